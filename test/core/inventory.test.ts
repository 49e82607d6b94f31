/* eslint-disable @typescript-eslint/naming-convention -- response bodies are OpenStack's snake_case JSON */
import test from 'ava';
import {readAllProjects, readInventory} from '../../source/core/inventory.js';
import type {InventoryProgress} from '../../source/core/model.js';
import type {CloudSession} from '../../source/openstack/api.js';
import {
	backupBody,
	backupKey,
	imageBody,
	imageKey,
	open,
	secretBody,
	serve,
	volumeBody,
	volumeKey,
} from './cloud.js';

test('reads every list of every service, at the same time', async t => {
	const {cloud, session} = await open(t);
	// Each list answer waits until six lists are asked for at once (or 20 s): only reading them together is quick.
	const server = serve(cloud, {barrier: 6, wait: 20_000});
	cloud.route('GET', '/key-manager/v1/secrets/:id', request => (
		request.path.endsWith(imageKey) ? {json: {...secretBody, secret_ref: `http://x/v1/secrets/${imageKey}`}} : {status: 404, json: {code: 404, title: 'Not Found', description: 'Not Found'}}
	));
	const started = Date.now();
	const inventory = await readInventory(session);
	const elapsed = Date.now() - started;

	t.is(inventory.cloud, session.cloudName);
	t.is(inventory.project.id, cloud.projectId);
	t.deepEqual(inventory.sources, {
		identity: {state: 'ok'}, cinder: {state: 'ok'}, glance: {state: 'ok'}, nova: {state: 'ok'}, barbican: {state: 'ok'},
	});
	t.deepEqual(inventory.volumes.map(volume => volume.id), [volumeBody['id']]);
	t.deepEqual(inventory.backups.map(backup => backup.id), [backupBody['id']]);
	t.deepEqual(inventory.snapshots.map(snapshot => snapshot.volumeId), [volumeBody['id']]);
	t.deepEqual(inventory.volumeTypes.map(type => type.name), [volumeBody['volume_type']]);
	t.deepEqual(inventory.images.map(image => image.id), [String(imageBody['id']), 'img-hidden']);
	t.deepEqual(inventory.servers.map(item => item.id), ['srv-1']);
	// The listed secret is the volume's key; the backup's and the image's keys were looked up one by one.
	t.deepEqual(inventory.secrets?.map(secret => secret.id).toSorted(), [volumeKey, imageKey].toSorted());
	t.deepEqual(inventory.secretLookups, {[backupKey]: 'not-found', [imageKey]: 'found'});
	// Eight list requests (images twice): read one after another, at most one would be in flight.
	t.true(server.peak() >= 6, `peak concurrency ${server.peak()}`);
	t.true(elapsed < 20_000, `took ${elapsed} ms: the lists waited for the barrier's time-out, so they were not read together`);
	t.true(Date.parse(inventory.readAt) >= started);
});

test('a service that refuses the user (403) is recorded, the rest is read', async t => {
	const {cloud, session} = await open(t);
	serve(cloud, {overrides: {'/key-manager/v1/secrets': {status: 403, json: {code: 403, title: 'Forbidden', description: 'SecretsController: access denied'}}}});
	const inventory = await readInventory(session);
	t.is(inventory.sources.barbican.state, 'forbidden');
	t.regex(inventory.sources.barbican.state === 'ok' ? '' : inventory.sources.barbican.reason, /^secrets: .*403/v);
	t.is(inventory.secrets, undefined);
	t.is(inventory.secretLookups, undefined);
	t.is(inventory.volumes.length, 1);
	t.is(inventory.sources.cinder.state, 'ok');
});

test('one failing Cinder list marks Cinder, keeps the other lists and says which list failed', async t => {
	const {cloud, session} = await open(t);
	serve(cloud, {overrides: {[`/volume/v3/${cloud.projectId}/backups/detail`]: {status: 404, json: {itemNotFound: {code: 404, message: 'Service cinder-backup could not be found.'}}}}});
	const inventory = await readInventory(session);
	t.is(inventory.sources.cinder.state, 'missing');
	t.is(inventory.lists?.backups?.state, 'missing');
	t.is(inventory.lists?.volumes?.state, 'ok');
	t.is(inventory.volumes.length, 1);
	t.deepEqual(inventory.backups, []);
});

test('a service missing from the catalog is recorded as missing, not fatal', async t => {
	const {cloud, session} = await open(t, {without: ['nova', 'barbican']});
	serve(cloud);
	const inventory = await readInventory(session);
	t.is(inventory.sources.nova.state, 'missing');
	t.is(inventory.sources.barbican.state, 'missing');
	t.deepEqual(inventory.servers, []);
	t.is(inventory.secrets, undefined);
	t.is(inventory.volumes.length, 1);
	t.is(cloud.server.calls('GET', '/compute/v2.1/servers/detail').length, 0);
});

test('progress is reported per list, ending with done', async t => {
	const {cloud, session} = await open(t);
	serve(cloud);
	cloud.route('GET', '/key-manager/v1/secrets/:id', {status: 404, json: {code: 404, title: 'Not Found', description: ''}});
	const events: InventoryProgress[] = [];
	await readInventory(session, {
		onProgress(event) {
			events.push(event);
		},
	});
	const done = events.filter(event => event.done).map(event => `${event.service}/${event.resource}=${event.count}`).toSorted();
	t.deepEqual(done, [
		'barbican/secrets=1', 'cinder/backups=1', 'cinder/snapshots=1', 'cinder/volume-types=1', 'cinder/volumes=1', 'glance/images=2', 'nova/servers=1',
	]);
	t.true(events.some(event => !event.done && event.resource === 'images' && event.count === 1));
});

test('cancelling rejects instead of recording an error', async t => {
	const {cloud, session} = await open(t);
	serve(cloud, {wait: 2000});
	const controller = new AbortController();
	const reading = readInventory(session, {signal: controller.signal});
	setTimeout(() => {
		controller.abort();
	}, 50);
	await t.throwsAsync(reading);
});

test('readAllProjects reads each project in its own session and reports a project it cannot read', async t => {
	const {cloud, session} = await open(t, {projects: [{id: 'p2', name: 'demo2'}]});
	serve(cloud);
	// Project p2's Cinder lives under its own project path; give it one volume.
	cloud.route('GET', '/volume/v3/p2/volumes/detail', {json: {volumes: [{...volumeBody, id: 'v-p2'}]}});
	for (const list of ['backups', 'snapshots']) {
		cloud.route('GET', `/volume/v3/p2/${list}/detail`, {json: {[list]: []}});
	}

	cloud.route('GET', '/volume/v3/p2/types', {json: {volume_types: []}});
	cloud.route('GET', '/key-manager/v1/secrets/:id', {status: 404, json: {code: 404, title: 'Not Found', description: ''}});
	// A third project the user is listed in but cannot scope to.
	const withLocked: CloudSession = {
		...session,
		identity: {
			...session.identity,
			async listProjects(options) {
				return [...await session.identity.listProjects(options), {id: 'p3', name: 'locked', enabled: true}];
			},
		},
		async switchProject(projectId, options) {
			if (projectId === 'p3') {
				throw Object.assign(new Error('keystone POST /v3/auth/tokens → 401 Unauthorized'), {status: 401});
			}

			return session.switchProject(projectId, options);
		},
	};
	const results = await readAllProjects(withLocked);
	t.deepEqual(results.map(result => result.project.name), ['demo', 'demo2', 'locked']);
	t.deepEqual(results[0]?.inventory?.volumes.map(volume => volume.id), [volumeBody['id']]);
	t.deepEqual(results[1]?.inventory?.volumes.map(volume => volume.id), ['v-p2']);
	t.is(results[1]?.inventory?.project.id, 'p2');
	t.is(results[2]?.inventory, undefined);
	t.regex(results[2]?.error ?? '', /^not allowed to read this project: .*401/v);
});

test('keepRaw false drops each resource\'s raw body and keeps every field read from it', async t => {
	const {cloud, session} = await open(t);
	serve(cloud);
	cloud.route('GET', '/key-manager/v1/secrets/:id', {status: 404, json: {code: 404, title: 'Not Found', description: ''}});
	const full = await readInventory(session);
	const lean = await readInventory(session, {keepRaw: false});
	t.true(Object.keys(full.volumes[0]?.raw ?? {}).length > 0, 'by default the raw body is kept');
	for (const list of [lean.volumes, lean.backups, lean.snapshots, lean.images, lean.servers, lean.secrets ?? []]) {
		t.true(list.length > 0);
		t.true(list.every(item => Object.keys(item.raw).length === 0));
	}

	const withoutRaw = (items: ReadonlyArray<{raw: unknown}>) => items.map(item => ({...item, raw: {}}));
	t.deepEqual(withoutRaw(lean.volumes), withoutRaw(full.volumes));
	t.deepEqual(withoutRaw(lean.images), withoutRaw(full.images));
});
