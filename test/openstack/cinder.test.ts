/* eslint-disable @typescript-eslint/naming-convention -- fixtures and request bodies are OpenStack's snake_case JSON. */
import test from 'ava';
import {isNotFound} from '../../source/openstack/errors.js';
import {openSession} from '../../source/openstack/session.js';
import {collect} from '../helpers/collect.js';
import {createFakeCloud, fixture, type FakeCloud} from '../helpers/fake-cloud.js';
import type {RecordedRequest} from '../helpers/http-server.js';

const volumeFixture = fixture<{volume: Record<string, unknown>}>('cinder-volume.json').volume;
const backupFixture = fixture<{backup: Record<string, unknown>}>('cinder-backup.json').backup;
const messagesFixture = fixture<{messages: Array<Record<string, unknown>>}>('cinder-messages.json').messages;

async function open(t: Parameters<typeof createFakeCloud>[0]) {
	const cloud = await createFakeCloud(t);
	const session = await openSession(cloud.config);
	const base = `/volume/v3/${cloud.projectId}`;
	return {cloud, cinder: session.cinder!, base};
}

/**
Serves `pages` in order through `<key>_links`, with links on a foreign host (which must not be followed).
*/
function paged(cloud: FakeCloud, path: string, key: string, pages: Array<Array<Record<string, unknown>>>) {
	cloud.route('GET', path, (request: RecordedRequest) => {
		const index = Number(request.query.get('marker')?.replace('page', '') ?? '0');
		const items = pages[index] ?? [];
		// Like Cinder, the link keeps the request's filters and sets the marker.
		const query = new URLSearchParams(request.query);
		query.set('marker', `page${index + 1}`);
		const next = index + 1 < pages.length ? [{rel: 'next', href: `http://cinder.internal:8776${path}?${query.toString()}`}] : undefined;
		return {json: {[key]: items, ...(next && {[`${key}_links`]: next})}};
	});
}

test('volumes: two pages, mapped with UTC timestamps, string booleans and the 3.64 key ID', async t => {
	const {cloud, cinder, base} = await open(t);
	paged(cloud, `${base}/volumes/detail`, 'volumes', [
		[volumeFixture, {
			...volumeFixture, id: 'v2', bootable: 'true', encrypted: false, encryption_key_id: undefined,
		}],
		[{
			...volumeFixture, id: 'v3', attachments: [{
				server_id: 's1', attachment_id: 'a1', device: '/dev/vdb', attached_at: '2026-11-23T11:52:00.000000',
			}],
		}],
	]);
	const volumes = await collect(cinder.listVolumes({pageSize: 2}));
	t.deepEqual(volumes.map(volume => volume.id), ['2d05b8f3-5b06-4bf6-a5e8-88e255b680cb', 'v2', 'v3']);
	const [first, second, third] = volumes;
	t.is(first?.createdAt, '2026-11-23T11:50:12.000Z');
	t.is(first?.updatedAt, '2026-11-23T11:50:17.000Z');
	t.is(first?.encryptionKeyId, 'c123f9b2-f1ee-4538-ab66-399cc957fcc9');
	t.is(first?.volumeTypeId, '26917c74-4cdb-4927-bf2b-e2dcd5aee580');
	t.is(first?.volumeType, 'vrf-LUKS');
	t.false(first?.bootable);
	t.true(first?.encrypted);
	t.is(first?.projectId, '8e1e6f12e0a74026a0698897be8cb876');
	t.true(second?.bootable);
	t.is(second?.encryptionKeyId, undefined);
	t.deepEqual(third?.attachments, [{
		serverId: 's1', attachmentId: 'a1', device: '/dev/vdb', attachedAt: '2026-11-23T11:52:00.000Z',
	}]);
	const calls = cloud.server.calls('GET', `${base}/volumes/detail`);
	// At 3.70 the first page asks for the count; this server gives none, so its next links are followed (with their query).
	t.deepEqual(calls.map(call => call.query.toString()), ['limit=2&with_count=true', 'limit=2&with_count=true&marker=page1']);
	t.deepEqual(cloud.server.problems, []);
});

test('backups, snapshots, volume types and messages: every list follows its links to the end', async t => {
	const {cloud, cinder, base} = await open(t);
	paged(cloud, `${base}/backups/detail`, 'backups', [[backupFixture], [{...backupFixture, id: 'b2', is_incremental: true}]]);
	paged(cloud, `${base}/snapshots/detail`, 'snapshots', [[{
		id: 's1', volume_id: 'v', status: 'available', size: 1, created_at: '2026-01-01T00:00:00.000000',
	}], [{
		id: 's2', volume_id: 'v', status: 'creating', size: 1, created_at: '2026-01-02T00:00:00',
	}]]);
	paged(cloud, `${base}/types`, 'volume_types', [[{
		id: 't1', name: '__DEFAULT__', is_public: true, extra_specs: {},
	}], [{
		id: 't2', name: 'LUKS', is_public: true, extra_specs: {volume_backend_name: 'nfs'},
	}]]);
	paged(cloud, `${base}/messages`, 'messages', [[messagesFixture[0]!], [messagesFixture[1]!]]);

	const backups = await collect(cinder.listBackups());
	t.deepEqual(backups.map(backup => [backup.id, backup.isIncremental]), [['f55bf647-1ce1-4080-9bb2-60f5c2b5d70a', false], ['b2', true]]);
	t.is(backups[0]?.encryptionKeyId, '638d45ee-4e8f-4ea7-a05d-7d8ffef38806');
	t.is(backups[0]?.dataTimestamp, '2026-11-23T11:50:17.000Z');
	t.is(backups[0]?.objectCount, 1);
	t.is(backups[0]?.container, 'f5/5b/f55bf647-1ce1-4080-9bb2-60f5c2b5d70a');
	t.is(backups[0]?.failReason, undefined);

	const snapshots = await collect(cinder.listSnapshots());
	t.deepEqual(snapshots.map(snapshot => [snapshot.id, snapshot.createdAt]), [['s1', '2026-01-01T00:00:00.000Z'], ['s2', '2026-01-02T00:00:00.000Z']]);

	const types = await cinder.listVolumeTypes();
	t.deepEqual(types.map(type => [type.name, type.extraSpecs]), [['__DEFAULT__', {}], ['LUKS', {volume_backend_name: 'nfs'}]]);

	const messages = await cinder.listMessages({resourceUuid: 'f55bf647-1ce1-4080-9bb2-60f5c2b5d70a'});
	t.is(messages.length, 2);
	t.is(messages[0]?.userMessage, 'restore backup:Backup driver failed to restore backup.');
	t.is(messages[0]?.eventId, 'VOLUME_VOLUME_BACKUP_015_026');
	t.is(messages[0]?.requestId, 'req-7d48229a-1ce5-44d8-9a83-9891aa419c77');
	t.is(messages[0]?.createdAt, '2026-11-23T11:50:47.000Z');
	t.true(cloud.server.calls('GET', `${base}/messages`).every(call => call.query.get('resource_uuid') === 'f55bf647-1ce1-4080-9bb2-60f5c2b5d70a'));
	t.deepEqual(cloud.server.problems, []);
});

test('get volume / find volume: 404 throws on get, is undefined on find', async t => {
	const {cloud, cinder, base} = await open(t);
	cloud.route('GET', `${base}/volumes/:id`, request => request.params['id'] === 'gone'
		? {status: 404, json: {itemNotFound: {code: 404, message: 'Volume gone could not be found.'}}}
		: {json: {volume: {...volumeFixture, id: request.params['id']}}});
	t.like(await cinder.getVolume('abc'), {id: 'abc'});
	t.is(await cinder.findVolume('gone'), undefined);
	const error = await t.throwsAsync(cinder.getVolume('gone'));
	t.true(isNotFound(error));
	t.regex(error.message, /Volume gone could not be found\./v);
});

test('create volume from a backup (3.47) with the source type: exact request body', async t => {
	const {cloud, cinder, base} = await open(t);
	cloud.route('POST', `${base}/volumes`, {
		status: 202, json: {
			volume: {
				...volumeFixture, id: 'new', status: 'creating', created_at: '2026-11-23T12:00:00.123456',
			},
		},
	});
	const created = await cinder.createVolume({
		size: 1, name: 'restored', volumeType: 'vrf-LUKS', backupId: 'f55b',
	});
	t.is(created.id, 'new');
	t.is(created.createdAt, '2026-11-23T12:00:00.123Z');
	const [call] = cloud.server.calls('POST', `${base}/volumes`);
	t.deepEqual(call?.json(), {
		volume: {
			size: 1, name: 'restored', volume_type: 'vrf-LUKS', backup_id: 'f55b',
		},
	});
	t.is(call?.header('content-type'), 'application/json');
	t.is(call?.header('openstack-api-version'), 'volume 3.70');
});

test('backup create with metadata (3.43), metadata update, restore into a volume and into a new one', async t => {
	const {cloud, cinder, base} = await open(t);
	cloud.route('POST', `${base}/backups`, {status: 202, json: {backup: {id: 'b-new', name: 'nightly', links: []}}});
	cloud.route('PUT', `${base}/backups/:id`, request => ({json: {backup: {...backupFixture, id: request.params['id'], metadata: (request.json() as {backup: {metadata: unknown}}).backup.metadata}}}));
	cloud.route('POST', `${base}/backups/:id/restore`, request => {
		const body = request.json() as {restore: {volume_id?: string; name?: string}};
		return {status: 202, json: {restore: {backup_id: request.params['id'], volume_id: body.restore.volume_id ?? 'auto-vol', volume_name: body.restore.name ?? 'target'}}};
	});
	const metadata = {'backstack:source_type': 'vrf-LUKS', 'backstack:encrypted': 'true'};
	t.deepEqual(await cinder.createBackup({
		volumeId: 'v1', name: 'nightly', incremental: true, force: true, metadata,
	}), {id: 'b-new'});
	t.deepEqual(cloud.server.calls('POST', `${base}/backups`)[0]?.json(), {
		backup: {
			volume_id: 'v1', name: 'nightly', incremental: true, force: true, metadata,
		},
	});
	await cinder.updateBackupMetadata('b-new', {a: '1'});
	t.deepEqual(cloud.server.calls('PUT', `${base}/backups/b-new`)[0]?.json(), {backup: {metadata: {a: '1'}}});
	t.deepEqual(await cinder.restoreBackup('b-new', {volumeId: 'target-vol'}), {backupId: 'b-new', volumeId: 'target-vol', volumeName: 'target'});
	t.deepEqual(await cinder.restoreBackup('b-new', {name: 'fresh'}), {backupId: 'b-new', volumeId: 'auto-vol', volumeName: 'fresh'});
	const restores = cloud.server.calls('POST', `${base}/backups/b-new/restore`).map(call => call.json());
	t.deepEqual(restores, [{restore: {volume_id: 'target-vol'}}, {restore: {name: 'fresh'}}]);
});

test('encrypted volume type: type then encryption spec; the type is removed if the spec is refused', async t => {
	const {cloud, cinder, base} = await open(t);
	let typeCount = 0;
	cloud.route('POST', `${base}/types`, request => {
		typeCount++;
		const body = request.json() as {volume_type: {name: string}};
		return {
			json: {
				volume_type: {
					id: `type-${typeCount}`, name: body.volume_type.name, is_public: true, extra_specs: {}, description: null,
				},
			},
		};
	});
	cloud.route('POST', `${base}/types/:id/encryption`, request => request.params['id'] === 'type-2'
		? {status: 403, json: {forbidden: {code: 403, message: 'Policy doesn\'t allow volume_extension:volume_type_encryption:create to be performed.'}}}
		: {json: {encryption: {...(request.json() as {encryption: Record<string, unknown>}).encryption, volume_type_id: request.params['id'], encryption_id: 'e'}}});
	cloud.route('DELETE', `${base}/types/:id`, {status: 202});
	const type = await cinder.createEncryptedVolumeType({name: 'LUKS', keySize: 512});
	t.is(type.id, 'type-1');
	t.deepEqual(cloud.server.calls('POST', `${base}/types`)[0]?.json(), {volume_type: {name: 'LUKS', 'os-volume-type-access:is_public': true}});
	t.deepEqual(cloud.server.calls('POST', `${base}/types/type-1/encryption`)[0]?.json(), {
		encryption: {
			provider: 'luks', cipher: 'aes-xts-plain64', key_size: 512, control_location: 'front-end',
		},
	});
	await t.throwsAsync(cinder.createEncryptedVolumeType({name: 'LUKS2'}), {message: /403 Forbidden: Policy doesn't allow/v});
	t.is(cloud.server.calls('DELETE', `${base}/types/type-2`).length, 1);
	t.is(cloud.server.calls('DELETE', `${base}/types/type-1`).length, 0);
});

test('volume encryption (flat body), type encryption ({} = none), upload to image', async t => {
	const {cloud, cinder, base} = await open(t);
	cloud.route('GET', `${base}/volumes/v1/encryption`, {
		json: {
			encryption_key_id: 'k1', provider: 'luks', cipher: 'aes-xts-plain64', key_size: 256, control_location: 'front-end',
		},
	});
	cloud.route('GET', `${base}/types/plain/encryption`, {json: {}});
	cloud.route('GET', `${base}/types/enc/encryption`, {
		json: {
			cipher: 'aes-xts-plain64', provider: 'luks', key_size: 256, control_location: 'front-end', volume_type_id: 'enc',
		},
	});
	cloud.route('POST', `${base}/volumes/v1/action`, {status: 202, json: fixture('cinder-upload-to-image.json')});
	t.deepEqual(await cinder.getVolumeEncryption('v1'), {
		encryptionKeyId: 'k1', provider: 'luks', cipher: 'aes-xts-plain64', keySize: 256, controlLocation: 'front-end',
	});
	t.is(await cinder.getVolumeTypeEncryption('plain'), undefined);
	t.like(await cinder.getVolumeTypeEncryption('enc'), {keySize: 256});
	t.deepEqual(await cinder.uploadVolumeToImage('v1', {imageName: 'vrf-img'}), {imageId: '33d5b195-573c-46f1-8492-6d0b1066b014'});
	t.deepEqual(cloud.server.calls('POST', `${base}/volumes/v1/action`)[0]?.json(), {
		'os-volume_upload_image': {
			image_name: 'vrf-img', force: false, disk_format: 'raw', container_format: 'bare',
		},
	});
});

test('volume type by name falls back to the list when GET by name is 404', async t => {
	const {cloud, cinder, base} = await open(t);
	cloud.route('GET', `${base}/types/:id`, {status: 404, json: {itemNotFound: {code: 404, message: 'Volume type LUKS could not be found.'}}});
	cloud.route('GET', `${base}/types`, {
		json: {
			volume_types: [{
				id: 't9', name: 'LUKS', is_public: true, extra_specs: {},
			}],
		},
	});
	t.like(await cinder.getVolumeType('LUKS'), {id: 't9'});
	await t.throwsAsync(cinder.getVolumeType('nope'), {message: /Volume type LUKS could not be found/v});
});

test('Cinder 413 quota on backup create is not retried and reads as quota', async t => {
	const {cloud, cinder, base} = await open(t);
	cloud.route('POST', `${base}/backups`, {
		status: 413,
		headers: {'retry-after': '0'},
		json: {overLimit: {code: 413, message: 'Maximum number of backups allowed (10) exceeded', retryAfter: '0'}},
	});
	const error = await t.throwsAsync(cinder.createBackup({volumeId: 'v'}));
	t.regex(error.message, /413 Payload Too Large: Maximum number of backups allowed \(10\) exceeded/v);
	t.is(cloud.server.calls('POST', `${base}/backups`).length, 1);
});
