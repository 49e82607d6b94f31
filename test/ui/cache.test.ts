import {
	mkdtemp,
	readFile,
	rm,
	stat,
	writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import {configDirectory, createInventoryCache, scrub} from '../../source/store/cache.js';
import {server} from '../core/builders.js';
import {now, storyInventories} from './helpers.js';

async function temporaryDirectory(t: {teardown(fn: () => Promise<void>): void}): Promise<string> {
	const directory = await mkdtemp(path.join(os.tmpdir(), 'backstack-cache-'));
	t.teardown(async () => rm(directory, {recursive: true, force: true}));
	return directory;
}

test('an inventory written for a cloud and project is read back with the time it was saved', async t => {
	const directory = await temporaryDirectory(t);
	const inventory = storyInventories()['p-web']!;
	const cache = createInventoryCache({directory: path.join(directory, 'backstack'), clock: () => now});
	await cache.set('testcloud', 'p-web', inventory);
	t.deepEqual(await cache.get('testcloud', 'p-web'), {inventory, savedAt: now.toISOString()});
	t.is(await cache.get('testcloud', 'p-data'), undefined);
	t.is(await cache.get('othercloud', 'p-web'), undefined);
	await cache.close();

	const reopened = createInventoryCache({directory: path.join(directory, 'backstack')});
	const again = await reopened.get('testcloud', 'p-web');
	t.deepEqual(again?.inventory.volumes.map(volume => volume.id), inventory.volumes.map(volume => volume.id));
	await reopened.close();
	const {mode} = await stat(path.join(directory, 'backstack'));
	t.is((mode % 0o1000).toString(8), '700');
});

test('fields named like credentials or payloads never reach the cache file', async t => {
	const directory = await temporaryDirectory(t);
	const inventory = storyInventories()['p-web']!;
	inventory.volumes[0]!.raw = {id: 'v-db', payload: 'c2VjcmV0LWtleS1ieXRlcw==', nested: {password: 'hunter2', ok: 'kept'}};
	const cache = createInventoryCache({directory});
	await cache.set('testcloud', 'p-web', inventory);
	await cache.close();
	const file = await readFile(path.join(directory, 'inventory-cache.json'), 'utf8');
	t.false(file.includes('c2VjcmV0LWtleS1ieXRlcw=='));
	t.false(file.includes('hunter2'));
	t.true(file.includes('kept'));
});

test('scrub removes forbidden keys at any depth and keeps everything else', t => {
	t.deepEqual(scrub({
		a: 1, token: 'x', list: [{secret: 's', name: 'n'}], 'X-Auth-Token': 'y',
	}), {a: 1, list: [{name: 'n'}]});
});

test('a damaged cache file reads as empty', async t => {
	const directory = await temporaryDirectory(t);
	await writeFile(path.join(directory, 'inventory-cache.json'), '{not json');
	const cache = createInventoryCache({directory});
	t.is(await cache.get('testcloud', 'p-web'), undefined);
	await cache.close();
});

test('the cache lives in BACKSTACK_CONFIG_DIR, else under XDG_CONFIG_HOME, else ~/.config', t => {
	t.is(configDirectory(Object.fromEntries([['BACKSTACK_CONFIG_DIR', '/tmp/x']]), '/home/a'), '/tmp/x');
	t.is(configDirectory(Object.fromEntries([['XDG_CONFIG_HOME', '/cfg']]), '/home/a'), '/cfg/backstack');
	t.is(configDirectory({}, '/home/a'), '/home/a/.config/backstack');
});

test('credential words anywhere in a name, and Nova user_data, are dropped; references to credentials are kept', t => {
	const dropped = ['db_password', 'adminPass', 'OS-EXT-SRV-ATTR:user_data', 'user_data', 'userData', 'X-Subject-Token', 'application_credential_secret', 'mysql-root-passwd', 'api_token', 'payload'];
	const kept = ['secret_ref', 'secretRef', 'secret_type', 'secretLookups', 'secrets', 'encryption_key_id', 'passthrough', 'token_expires_at', 'payload_content_type', 'name', 'bypass'];
	const scrubbed = scrub(Object.fromEntries([...dropped, ...kept].map(key => [key, `value-of-${key}`])));
	t.deepEqual(Object.keys(scrubbed).toSorted(), kept.toSorted());
});

test('a server\'s user data and password-named metadata never reach the cache file', async t => {
	const directory = await temporaryDirectory(t);
	const inventory = storyInventories()['p-web']!;
	inventory.servers.push(server({
		id: 's-web', metadata: Object.fromEntries([['db_password', 'hunter3'], ['role', 'web']]), raw: {'OS-EXT-SRV-ATTR:user_data': 'I2Nsb3VkLWNvbmZpZyBwYXNzd29yZA=='},
	}));
	const cache = createInventoryCache({directory});
	await cache.set('testcloud', 'p-web', inventory);
	await cache.close();
	const file = await readFile(path.join(directory, 'inventory-cache.json'), 'utf8');
	t.false(file.includes('I2Nsb3VkLWNvbmZpZyBwYXNzd29yZA=='));
	t.false(file.includes('hunter3'));
	const reopened = createInventoryCache({directory});
	const cached = await reopened.get('testcloud', 'p-web');
	await reopened.close();
	t.deepEqual(cached?.inventory.servers.map(entry => entry.metadata), [{role: 'web'}]);
});
