/* eslint-disable @typescript-eslint/no-unsafe-member-access -- OpenStack JSON bodies are asserted field by field. */
/* eslint-disable @typescript-eslint/naming-convention -- OpenStack's wire format and environment variables. */
/*
Fidelity: the real `openstack` CLI (Debian's python3-openstackclient + python3-barbicanclient, run with Debian's python)
works against the demo cloud for everything backstack's users would do with it.
*/
import {Buffer} from 'node:buffer';
import {execFile} from 'node:child_process';
import {createHash} from 'node:crypto';
import {existsSync} from 'node:fs';
import {
	mkdtemp,
	readFile,
	rm,
	writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import {startDemoCloud, type DemoCloud} from '../../source/demo-cloud/index.js';
import {needOrSkip} from '../helpers/need.js';
import type {Json} from './helpers/client.js';

const cli = '/usr/bin/openstack';
const hasCli = existsSync(cli);

let cloud: DemoCloud;
let directory: string;

type Run = {code: number; stdout: string; stderr: string};

async function openstack(...arguments_: string[]): Promise<Run> {
	return new Promise(resolve => {
		execFile('/usr/bin/python3', [cli, '--os-cloud', 'demo', ...arguments_], {
			env: {
				PATH: '/usr/bin:/bin', HOME: directory, OS_CLIENT_CONFIG_FILE: path.join(directory, 'clouds.yaml'), LANG: 'C.UTF-8',
			},
			timeout: 50_000,
		}, (error, stdout, stderr) => {
			resolve({code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr});
		});
	});
}

async function openstackJson(...arguments_: string[]): Promise<Json> {
	const result = await openstack(...arguments_, '-f', 'json');
	if (result.code !== 0) {
		throw new Error(`openstack ${arguments_.join(' ')} → ${result.code}: ${result.stderr}`);
	}

	return JSON.parse(result.stdout) as Json;
}

async function waitForField(what: string, arguments_: string[], field: string, values: string[]): Promise<Json> {
	for (let attempt = 0; attempt < 30; attempt++) {
		// eslint-disable-next-line no-await-in-loop -- polling through the CLI.
		const shown = await openstackJson(...arguments_);
		if (values.includes(String(shown[field]))) {
			return shown;
		}
	}

	throw new Error(`${what} never reached ${values.join('/')}`);
}

if (hasCli) {
	test.before(async () => {
		cloud = await startDemoCloud({seed: 'story', timeScale: 0.02});
		directory = await mkdtemp(path.join(os.tmpdir(), 'demo-cli-'));
		await cloud.writeCloudsYaml(path.join(directory, 'clouds.yaml'));
	});

	test.after.always(async () => {
		await cloud.close();
		await rm(directory, {recursive: true, force: true});
	});

	test('openstack token issue / project list', async t => {
		const token = await openstackJson('token', 'issue');
		t.is(token['project_id'], cloud.projects['demo']?.id);
		t.is(token['user_id'], cloud.users['demo']?.id);
		t.true(String(token['id']).length > 100);
		const projects = await openstackJson('project', 'list');
		t.deepEqual((projects as Json[]).map(project => project['Name'] as string).toSorted(), ['analytics', 'ci-runners', 'demo']);
	});

	test('openstack volume list/show/create, volume type list, volume snapshot list', async t => {
		const volumes = await openstackJson('volume', 'list');
		t.true((volumes as Json[]).some(volume => volume['Name'] === 'shop-db-data' && volume['Status'] === 'in-use'));
		const shown = await openstackJson('volume', 'show', 'shop-db-data');
		t.like(shown, {
			type: 'LUKS', encrypted: true, size: 100, bootable: 'false',
		});
		const created = await openstackJson('volume', 'create', '--size', '1', '--type', 'LUKS', 'cli-volume');
		t.is(created['status'], 'creating');
		const available = await waitForField('cli-volume', ['volume', 'show', 'cli-volume'], 'status', ['available']);
		t.is(available['type'], 'LUKS');
		const types = await openstackJson('volume', 'type', 'list');
		t.deepEqual((types as Json[]).map(type => type['Name'] as string).toSorted(), ['LUKS', '__DEFAULT__', 'ssd-fast']);
		const snapshots = await openstackJson('volume', 'snapshot', 'list');
		t.true((snapshots as Json[]).some(snapshot => snapshot['Name'] === 'shop-search-index-snap'));
	});

	test('openstack volume backup list/show/create/restore (encrypted restore to a new volume ends error_restoring)', async t => {
		const backups = await openstackJson('volume', 'backup', 'list');
		t.true((backups as Json[]).some(backup => backup['Name'] === 'payments-db-final'));
		const full = await openstackJson('volume', 'backup', 'show', 'shop-db-data-weekly-full');
		t.like(full, {
			is_incremental: false, has_dependent_backups: true, status: 'available', size: 100,
		});

		await openstackJson('volume', 'create', '--size', '1', '--type', 'LUKS', 'cli-backup-source');
		await waitForField('source volume', ['volume', 'show', 'cli-backup-source'], 'status', ['available']);
		const created = await openstackJson('volume', 'backup', 'create', '--name', 'cli-backup', 'cli-backup-source');
		t.is(typeof created['id'], 'string');
		await waitForField('cli-backup', ['volume', 'backup', 'show', 'cli-backup'], 'status', ['available']);

		// OSC 6.0 sends the restore, then crashes formatting the answer; the real Zed cloud shows the same (NOTES.md).
		const restore = await openstack('volume', 'backup', 'restore', 'cli-backup', 'cli-restored');
		t.true(restore.code === 0 || restore.stderr.includes('cannot unpack non-iterable VolumeBackupsRestore object'), restore.stderr);
		const restored = await waitForField('cli-restored', ['volume', 'show', 'cli-restored'], 'status', ['error_restoring', 'available']);
		t.is(restored['status'], 'error_restoring');
		t.is(restored['type'], '__DEFAULT__');
	});

	test('openstack image list/show/save/create', async t => {
		const images = await openstackJson('image', 'list');
		t.true((images as Json[]).some(image => image['Name'] === 'shop-web-01-nightly'));
		const shown = await openstackJson('image', 'show', 'shop-web-01-nightly');
		t.is(shown['properties'].image_type, 'snapshot');
		const saved = path.join(directory, 'nightly.img');
		const save = await openstack('image', 'save', '--file', saved, 'shop-web-01-nightly');
		t.is(save.code, 0, save.stderr);
		t.is(createHash('sha512').update(await readFile(saved)).digest('hex'), shown['os_hash_value'] ?? shown['properties'].os_hash_value);

		const upload = path.join(directory, 'upload.img');
		const bytes = Buffer.from(createHash('sha256').update('cli upload').digest('hex').repeat(100));
		await writeFile(upload, bytes);
		const created = await openstackJson('image', 'create', '--disk-format', 'raw', '--container-format', 'bare', '--file', upload, '--property', 'purpose=fidelity', 'cli-image');
		t.is(created['name'], 'cli-image');
		const active = await openstackJson('image', 'show', 'cli-image');
		t.like(active, {status: 'active', size: bytes.length, checksum: createHash('md5').update(bytes).digest('hex')});
		t.is(active['properties'].purpose, 'fidelity');
	});

	test('openstack server list', async t => {
		const servers = await openstackJson('server', 'list');
		const byName = new Map((servers as Json[]).map(server => [server['Name'] as string, server]));
		t.is(byName.get('shop-db-01')?.['Image'], 'N/A (booted from volume)');
		t.is(byName.get('shop-web-01')?.['Image'], 'Debian 12 (bookworm)');
		t.is(byName.get('shop-web-01')?.['Flavor'], 'm1.small');
	});

	test('openstack secret list/get/store', async t => {
		const stored = await openstackJson('secret', 'store', '--name', 'cli-secret', '--payload', 'hello-from-cli');
		const href = stored['Secret href'] as string;
		t.true(href.startsWith(`${cloud.url}/key-manager/v1/secrets/`));
		const got = await openstackJson('secret', 'get', href);
		t.is(got['Name'], 'cli-secret');
		const payload = await openstack('secret', 'get', '--payload', href, '-f', 'value');
		t.is(payload.stdout.trim(), 'hello-from-cli');
		// Barbican pages by 10 and the CLI shows one page, as against the real cloud; filter by name.
		const list = await openstackJson('secret', 'list', '--name', 'cli-secret');
		t.deepEqual((list as Json[]).map(secret => secret['Secret href'] as string), [href]);
		const firstPage = await openstackJson('secret', 'list');
		t.is((firstPage as Json[]).length, 10);
	});
} else {
	needOrSkip(false, cli, 'apt-get install --no-install-recommends python3-openstackclient python3-barbicanclient')('openstack CLI fidelity', t => {
		t.fail(`${cli} is absent`);
	});
}
