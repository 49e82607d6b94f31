/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument, unicorn/no-await-expression-member -- OpenStack JSON bodies are asserted field by field. */

import {
	mkdtemp,
	readFile,
	rm,
	writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import {parse} from 'yaml';
import {
	demoPassword,
	parseScaleSpec,
	runStandalone,
	startDemoCloud,
} from '../../source/demo-cloud/index.js';
import {
	call,
	cinder,
	cinderAt,
	hasSecret,
	login,
	volumeStatus,
	type Json,
} from './helpers/client.js';

test('story seed: the stories backstack tells are all there', async t => {
	const cloud = await startDemoCloud({seed: 'story', timeScale: 0.01});
	try {
		t.deepEqual(Object.keys(cloud.projects).toSorted(), ['admin', 'analytics', 'ci-runners', 'demo']);
		const demo = await login(cloud, 'demo', 'demo');
		const volumes = (await cinder(demo, 'GET', '/volumes/detail')).json['volumes'] as Json[];
		const backups = (await cinder(demo, 'GET', '/backups/detail')).json['backups'] as Json[];
		const byName = (name: string): Json | undefined => backups.find(backup => backup['name'] === name);
		const volume = (name: string): Json | undefined => volumes.find(item => item['name'] === name);

		// Encrypted volume of the non-default type LUKS with a full and an incremental backup, each with its own key.
		const data = volume('shop-db-data');
		t.is(data?.['volume_type'], 'LUKS');
		t.true(data?.['encrypted']);
		const full = byName('shop-db-data-weekly-full');
		const incremental = byName('shop-db-data-daily-incr');
		t.true(incremental?.['is_incremental']);
		t.true(full?.['has_dependent_backups']);
		t.not(full?.['encryption_key_id'], data?.['encryption_key_id']);
		t.true(await hasSecret(demo, full?.['encryption_key_id']));

		// Backup whose volume is gone; backup whose key is gone; backup whose type is gone.
		const orphan = byName('payments-db-final');
		t.is((await cinder(demo, 'GET', `/volumes/${orphan?.['volume_id']}`)).status, 404);
		t.true(await hasSecret(demo, orphan?.['encryption_key_id']));
		t.false(await hasSecret(demo, byName('legal-archive-2026-q2')?.['encryption_key_id']));
		const types = (await cinder(demo, 'GET', '/types')).json['volume_types'] as Json[];
		t.false(types.some(type => type['name'] === 'LUKS-2023'));
		const crm = byName('crm-db-final');
		const restore = await cinder(demo, 'POST', `/backups/${crm?.['id']}/restore`, {restore: {name: 'crm-try'}});
		t.is((await volumeStatus(demo, restore.json['restore'].volume_id, ['error_restoring', 'available']))['status'], 'error_restoring');

		// Stale vs fresh vs none, and a snapshot-only volume.
		const age = (name: string): number => Date.now() - Date.parse(`${byName(name)?.['created_at']}Z`);
		t.true(age('shop-uploads-before-migration') > 90 * 86_400_000);
		t.true(age('shop-web-static-2d') < 3 * 86_400_000);
		t.false(backups.some(backup => backup['volume_id'] === volume('shop-redis-aof')?.['id']));
		const snapshots = (await cinder(demo, 'GET', '/snapshots/detail')).json['snapshots'] as Json[];
		t.true(snapshots.some(snapshot => snapshot['volume_id'] === volume('shop-search-index')?.['id']));
		t.false(backups.some(backup => backup['volume_id'] === volume('shop-search-index')?.['id']));

		// Server snapshot with data, BFV 0-byte image, image carrying a Cinder key.
		const images = (await call(demo, 'GET', `${demo.endpoints['image']}/v2/images`)).json['images'] as Json[];
		const image = (name: string): Json | undefined => images.find(item => item['name'] === name);
		t.true(image('shop-web-01-nightly')?.['size'] > 0);
		t.is(image('shop-web-01-nightly')?.['image_type'], 'snapshot');
		t.is(image('shop-db-01-before-upgrade')?.['size'], 0);
		t.is(typeof image('shop-db-01-before-upgrade')?.['block_device_mapping'], 'string');
		t.true(await hasSecret(demo, image('shop-db-data-export')?.['cinder_encryption_key_id']));

		// Orphan secrets: keys that no volume, backup or image references.
		const referenced = new Set<string>();
		for (const item of [...volumes, ...backups]) {
			referenced.add(String(item['encryption_key_id']));
		}

		for (const item of images) {
			referenced.add(String(item['cinder_encryption_key_id']));
		}

		const listed = (await call(demo, 'GET', `${demo.endpoints['key-manager']}/v1/secrets?limit=100`)).json['secrets'] as Json[];
		const orphans = listed.filter(secret => secret['secret_type'] === 'symmetric' && !referenced.has(String(secret['secret_ref']).split('/').at(-1) ?? ''));
		t.true(orphans.length >= 2);

		const analytics = await login(cloud, 'demo', 'analytics');
		const messages = (await cinder(analytics, 'GET', '/messages')).json['messages'] as Json[];
		t.is(messages[0]?.['event_id'], 'VOLUME_VOLUME_BACKUP_015_026');
	} finally {
		await cloud.close();
	}
});

test('scale generator: 10,000 volumes, 30,000 backups, 5,000 images, 3,000 secrets, 2,000 servers in one project, quickly', async t => {
	const started = Date.now();
	const cloud = await startDemoCloud({
		seed: {
			volumes: 10_000, backupsPerVolume: 3, images: 5000, secrets: 3000, servers: 2000, snapshots: 100,
		},
	});
	try {
		t.true(Date.now() - started < 20_000, `${Date.now() - started} ms`);
		const demo = await login(cloud, 'demo', 'demo');
		const volumes = await cinderAt('3.64')(demo, 'GET', '/volumes?with_count=true&limit=1000');
		t.is(volumes.json['count'], 10_000);
		t.is(volumes.json['volumes'].length, 1000);
		t.truthy(volumes.json['volumes_links']);
		const backups = await cinderAt('3.64')(demo, 'GET', '/backups?with_count=true&limit=1');
		t.is(backups.json['count'], 30_000);
		const secrets = await call(demo, 'GET', `${demo.endpoints['key-manager']}/v1/secrets?limit=1`);
		t.true(secrets.json['total'] >= 3000);
		const servers = await call(demo, 'GET', `${demo.endpoints['compute']}/servers?limit=1000`);
		t.is(servers.json['servers'].length, 1000);
		t.truthy(servers.json['servers_links']);
		const visibleImages = await call(demo, 'GET', `${demo.endpoints['image']}/v2/images?limit=1000`);
		t.is(visibleImages.json['images'].length, 1000);
	} finally {
		await cloud.close();
	}
});

test('parseScaleSpec: presets, key=value pairs, errors', t => {
	t.like(parseScaleSpec('large'), {
		volumes: 10_000, backupsPerVolume: 3, images: 5000, secrets: 3000, servers: 2000,
	});
	t.deepEqual(parseScaleSpec('projects=2,volumes=50,backups=2'), {projects: 2, volumes: 50, backupsPerVolume: 2});
	t.throws(() => parseScaleSpec('volumes=lots'), {message: /Invalid scale "volumes=lots"/v});
	t.throws(() => parseScaleSpec('disks=4'), {message: /Invalid scale/v});
});

test('runStandalone: clouds.yaml in its own directory, env lines, never over a foreign file, stops on abort', async t => {
	const directory = await mkdtemp(path.join(os.tmpdir(), 'standalone-test-'));
	const controller = new AbortController();
	try {
		const output: string[] = [];
		const running = runStandalone({
			directory, seed: 'empty', signal: controller.signal, write(text) {
				output.push(text);
			},
		});
		const file = path.join(directory, 'clouds.yaml');
		for (let attempt = 0; attempt < 100 && !output.join('').includes('OS_CLOUD=demo'); attempt++) {
			// eslint-disable-next-line no-await-in-loop -- waiting for the server to come up.
			await new Promise(resolve => {
				setTimeout(resolve, 20);
			});
		}

		const text = output.join('');
		t.true(text.includes(`export OS_CLIENT_CONFIG_FILE=${file}`));
		t.true(text.includes('export OS_CLOUD=demo'));
		t.false(text.includes(demoPassword), 'the password is not printed');
		const clouds = parse(await readFile(file, 'utf8')) as Json;
		t.deepEqual(Object.keys(clouds['clouds']).toSorted(), ['demo', 'demo-admin', 'demo-appcred', 'demo-member', 'demo-reader']);
		const authUrl = clouds['clouds'].demo.auth.auth_url as string;
		t.is((await fetch(authUrl)).status, 300);
		controller.abort();
		const result = await running;
		t.deepEqual(result.envLines, [`OS_CLIENT_CONFIG_FILE=${file}`, 'OS_CLOUD=demo']);
		await t.throwsAsync(fetch(authUrl));

		await writeFile(file, 'clouds:\n  mine: {}\n');
		await t.throwsAsync(runStandalone({directory, seed: 'empty'}), {message: /not written by the demo cloud/v});
		t.is(await readFile(file, 'utf8'), 'clouds:\n  mine: {}\n');
	} finally {
		controller.abort();
		await rm(directory, {recursive: true, force: true});
	}
});
