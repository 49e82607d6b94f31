/*
Issue 16.5: backstack's local files are private. The config directory is 0700 (created so, and tightened when an older
run or conf left it 0755), the inventory cache and the settings file 0600, and the cache is replaced whole (temporary
file + fsync + rename): a crash in the middle of a write leaves the previous cache, never half a file.
*/
import {spawnSync} from 'node:child_process';
import {
	chmodSync,
	mkdirSync,
	mkdtempSync,
	readdirSync,
	readFileSync,
	rmSync,
	statSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import test from 'ava';
import {createConnector} from '../../source/core/connection.js';
import {readInventory} from '../../source/core/inventory.js';
import {demoPassword, startDemoCloud} from '../../source/demo-cloud/index.js';
import {configDirectory, createInventoryCache} from '../../source/store/cache.js';
import {loadSettings} from '../../source/store/settings.js';
import type {Inventory} from '../../source/core/model.js';

function temporaryDirectory(t: {teardown(fn: () => void): void}): string {
	const directory = mkdtempSync(path.join(os.tmpdir(), 'backstack-private-'));
	t.teardown(() => {
		rmSync(directory, {recursive: true, force: true});
	});
	return directory;
}

function modeOf(file: string): string {
	return (statSync(file).mode % 0o1000).toString(8);
}

const inventory = {projectId: 'p', volumes: []} as unknown as Inventory;

test('with a fresh XDG_CONFIG_HOME, a saved setting and a cached inventory leave the directory 0700 and both files 0600', async t => {
	const xdg = path.join(temporaryDirectory(t), 'xdg');
	const env = {XDG_CONFIG_HOME: xdg}; // eslint-disable-line @typescript-eslint/naming-convention
	const directory = configDirectory(env);
	// The order the TUI has: settings first (conf used to create the directory here, 0755), then the cache.
	const settings = loadSettings({env});
	settings.update({rpoHours: 12});
	const cache = createInventoryCache({directory});
	await cache.set('cloud', 'p', inventory);
	await cache.close();
	t.is(modeOf(directory), '700');
	t.is(modeOf(path.join(directory, 'config.json')), '600');
	t.is(modeOf(path.join(directory, 'inventory-cache.json')), '600');
	t.deepEqual(readdirSync(directory).toSorted(), ['config.json', 'inventory-cache.json'], 'no temporary file is left behind');
});

test('an existing config directory with mode 0755 is tightened to 0700, by the settings and by the cache', async t => {
	const parent = temporaryDirectory(t);
	const forSettings = path.join(parent, 'a');
	const forCache = path.join(parent, 'b');
	for (const directory of [forSettings, forCache]) {
		mkdirSync(directory);
		chmodSync(directory, 0o755);
	}

	loadSettings({directory: forSettings});
	t.is(modeOf(forSettings), '700');
	const cache = createInventoryCache({directory: forCache});
	t.is(modeOf(forCache), '700');
	await cache.close();
});

test('a cache file an older version left 0644 is not kept readable by others', async t => {
	const directory = temporaryDirectory(t);
	const file = path.join(directory, 'inventory-cache.json');
	const first = createInventoryCache({directory});
	await first.set('cloud', 'p', inventory);
	await first.close();
	chmodSync(file, 0o644);
	const again = createInventoryCache({directory});
	t.is(modeOf(file), '600');
	const entry = await again.get('cloud', 'p');
	t.deepEqual(entry?.inventory, inventory);
	await again.close();
});

test('each cache write replaces the file (a new inode), so no reader ever sees it half rewritten', async t => {
	const directory = temporaryDirectory(t);
	const file = path.join(directory, 'inventory-cache.json');
	const cache = createInventoryCache({directory});
	await cache.set('cloud', 'p', inventory);
	const before = statSync(file).ino;
	await cache.set('cloud', 'p', {...inventory, projectId: 'p2'} as Inventory);
	t.not(statSync(file).ino, before);
	await cache.close();
});

test('a process whose cache write is cut off in the middle leaves the previous cache whole', t => {
	const directory = temporaryDirectory(t);
	const child = new URL('child/cache-writer.ts', import.meta.url).pathname;
	const run = (label: string, size: number, limitBlocks?: number) => spawnSync('/bin/sh', [
		'-c',
		`${limitBlocks === undefined ? '' : `ulimit -f ${limitBlocks}; `}exec "$0" --import=tsx "$@"`,
		process.execPath,
		child,
		directory,
		label,
		String(size),
	], {encoding: 'utf8'});

	const first = run('first', 1000);
	t.is(first.stdout, 'written\n', first.stderr);
	// 64 blocks of 512 bytes: the write of 1 MB is cut off after 32 KiB (Node ignores SIGXFSZ, so the write fails EFBIG
	// and the process ends on the error, as a full disk would end it).
	const second = run('second', 1_000_000, 64);
	t.not(second.stdout, 'written\n', 'the file-size limit stopped the second write');
	t.regex(second.stderr, /EFBIG/v, 'and it stopped in the middle of writing');

	const text = readFileSync(path.join(directory, 'inventory-cache.json'), 'utf8');
	t.notThrows(() => JSON.parse(text) as unknown, 'the cache file is complete JSON');
	t.true(text.includes('first') && !text.includes('second'), 'and still the first inventory');
	t.deepEqual(readdirSync(directory), ['inventory-cache.json'], 'the cut-short temporary file was removed');
});

test('what the cache holds of a live demo inventory carries no password, token or payload', async t => {
	const cloud = await startDemoCloud({seed: 'story'});
	const directory = temporaryDirectory(t);
	const file = path.join(directory, 'clouds.yaml');
	await cloud.writeCloudsYaml(file);
	const connector = createConnector({
		env: Object.fromEntries([['OS_CLIENT_CONFIG_FILE', file], ['OS_CLOUD', 'demo']]), cwd: directory, home: directory, demo: true,
	});
	const session = await connector.connect('demo');
	t.teardown(async () => {
		session.close();
		await cloud.close();
	});
	const live = await readInventory(session);
	t.true(live.volumes.length > 0 && (live.secrets?.length ?? 0) > 0, 'the inventory has volumes and secrets to check');
	const cache = createInventoryCache({directory: path.join(directory, 'cache')});
	await cache.set('demo', live.project.id, live);
	await cache.close();
	const text = readFileSync(path.join(directory, 'cache', 'inventory-cache.json'), 'utf8');
	t.false(text.includes(demoPassword));
	t.notRegex(text, /payload|password|passphrase|x-auth-token|x-subject-token|application_credential_secret/iv);
});
