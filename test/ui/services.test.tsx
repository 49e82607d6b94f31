import {Buffer} from 'node:buffer';
import {mkdtemp, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import {App} from '../../source/ui/app.js';
import {osc52, osc52Writer} from '../../source/ui/osc52.js';
import {createInventoryCache} from '../../source/store/cache.js';
import type {Inventory} from '../../source/core/model.js';
import {
	drive,
	inventory,
	keys,
	now,
	projects,
	storyInventories,
	testServices,
	volume,
} from './helpers.js';

test('OSC 52 carries the text base64-encoded, and a hostile text cannot end the sequence early', t => {
	t.is(osc52('v-123'), `\u{1B}]52;c;${Buffer.from('v-123').toString('base64')}\u{7}`);
	const hostile = osc52('id\u{7}\u{1B}]0;pwned\u{7}');
	t.is(hostile.split('\u{7}').length, 2);
	const written: string[] = [];
	osc52Writer({
		write(chunk) {
			written.push(chunk);
		},
	})('abc');
	t.deepEqual(written, [osc52('abc')]);
});

test('the cached inventory shows at once, marked with its age, until the live one arrives', async t => {
	const directory = await mkdtemp(path.join(os.tmpdir(), 'backstack-ui-cache-'));
	// The app may still be writing the cache file it just refreshed: retry while the directory is not empty yet.
	t.teardown(async () => rm(directory, {
		recursive: true, force: true, maxRetries: 10, retryDelay: 50,
	}));
	const cache = createInventoryCache({directory, clock: () => new Date(now.getTime() - (10 * 60_000))});
	await cache.set('testcloud', 'p-web', storyInventories()['p-web']!);
	let release: (value: Inventory) => void = () => undefined;
	// Promise.withResolvers is not in this project's TypeScript lib.
	// eslint-disable-next-line unicorn/prefer-promise-with-resolvers
	const live = new Promise<Inventory>(resolve => {
		release = resolve;
	});
	const services = {...testServices(), cache, readInventory: async () => live};
	const app = drive(<App services={services} initialView='volumes'/>);
	t.teardown(app.unmount);
	const frame = await app.waitFor('scratch');
	t.regex(frame, /cached 10m ago/v);
	const fresh = storyInventories()['p-web']!;
	fresh.volumes.push(volume('v-new', 'fresh-volume'));
	release(fresh);
	const after = await app.waitFor('fresh-volume');
	t.notRegex(after, /cached/v);
	await cache.close();
});

test('while something is in progress the inventory is read again on its own', async t => {
	const web = projects[0]!;
	const busy = inventory(web, {volumes: [volume('v-busy', 'busy-volume', {status: 'creating'})]});
	const services = {...testServices({inventories: {[web.id]: busy, [projects[1]!.id]: inventory(projects[1]!)}}), refreshSeconds: 0.05};
	const app = drive(<App services={services} initialView='volumes'/>);
	t.teardown(app.unmount);
	await app.waitFor('busy-volume');
	await app.waitFor(() => services.calls.filter(call => call === 'readInventory p-web').length >= 3, 10_000);
	t.true(services.calls.filter(call => call === 'readInventory p-web').length >= 3);
});

test('the palette switches cloud without a restart', async t => {
	const services = testServices();
	const app = drive(<App services={services} cloud='testcloud'/>);
	t.teardown(app.unmount);
	await app.waitFor('scratch');
	await app.press(':', 'c', 'l', 'o', 'u', 'd', ' ', 'o', 't', 'h');
	await app.waitFor('› cloud: othercloud');
	await app.press(keys.enter);
	await app.waitFor(() => services.calls.includes('connect othercloud'));
	t.deepEqual(services.calls.filter(call => call.startsWith('connect')), ['connect testcloud', 'connect othercloud']);
	t.true(services.calls.includes('close p-web'));
});

test('a plan an earlier run left unfinished is announced at start, with what it created and how to resume or clean it up', async t => {
	const services = {
		...testServices(),
		unfinishedPlans: [{planId: 'restore-backup-abc', title: 'Restore backup db-full', leftovers: [{kind: 'volume', id: 'v-9', name: 'restore-db-full'}]}],
	};
	const app = drive(<App services={services} initialView='volumes'/>, {columns: 160, rows: 30});
	t.teardown(app.unmount);
	const frame = await app.waitFor('unfinished plan');
	t.regex(frame, /unfinished plan from an earlier run: backstack journal resume\|cleanup restore-backup-abc \(created volume restore-db-full\)/v);
});
