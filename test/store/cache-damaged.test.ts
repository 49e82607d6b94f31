import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import {createInventoryCache} from '../../source/store/cache.js';
import type {Inventory} from '../../source/core/model.js';

test('a damaged cache file is dropped without a word on the terminal, and the cache works again', async t => {
	const directory = await mkdtemp(path.join(os.tmpdir(), 'backstack-cache-damaged-'));
	t.teardown(async () => rm(directory, {recursive: true, force: true}));
	await writeFile(path.join(directory, 'inventory-cache.json'), '{"cache": [["keyv:inventory:ab');
	const printed: unknown[][] = [];
	const original = console.error;
	console.error = (...items: unknown[]) => {
		printed.push(items);
	};

	try {
		const cache = createInventoryCache({directory});
		t.is(await cache.get('cloud', 'project'), undefined);
		const inventory = {projectId: 'project', volumes: []} as unknown as Inventory;
		await cache.set('cloud', 'project', inventory);
		const entry = await cache.get('cloud', 'project');
		t.deepEqual(entry?.inventory, inventory);
		await cache.close();
	} finally {
		console.error = original;
	}

	t.deepEqual(printed, []);
});
