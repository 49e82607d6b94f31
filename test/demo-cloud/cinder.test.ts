/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, unicorn/no-await-expression-member -- OpenStack JSON bodies are asserted field by field. */
/* eslint-disable @typescript-eslint/naming-convention -- OpenStack's wire format is snake_case. */
import {Buffer} from 'node:buffer';
import {execFile} from 'node:child_process';
import {
	mkdtemp,
	readFile,
	rm,
	writeFile,
} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import process from 'node:process';
import test from 'ava';
import {findCryptsetup} from '../../source/core/bundle/luks.js';
import {startDemoCloud, type DemoCloud} from '../../source/demo-cloud/index.js';
import {
	backupStatus,
	call,
	cinder,
	cinderAt,
	login,
	hasSecret,
	volumeStatus,
	waitFor,
	type Json,
	type Session,
} from './helpers/client.js';

async function execFileAsync(file: string, args: string[]): Promise<{stdout: string}> {
	return new Promise((resolve, reject) => {
		execFile(file, args, (error, stdout, stderr) => {
			if (error === null) {
				resolve({stdout});
			} else {
				reject(new Error(`${file} ${args.join(' ')}: ${error.message} ${stderr}`));
			}
		});
	});
}

let cloud: DemoCloud;
let admin: Session;
let demo: Session;
let typeName: string;
let typeId: string;

test.before(async () => {
	cloud = await startDemoCloud({seed: 'empty', timeScale: 0.01});
	admin = await login(cloud, 'admin', 'admin');
	demo = await login(cloud, 'demo', 'demo');
	typeName = 'LUKS';
	const created = await cinder(admin, 'POST', '/types', {volume_type: {name: typeName, 'os-volume-type-access:is_public': true}});
	typeId = created.json['volume_type'].id as string;
	await cinder(admin, 'POST', `/types/${typeId}/encryption`, {
		encryption: {
			provider: 'luks', cipher: 'aes-xts-plain64', key_size: 256, control_location: 'front-end',
		},
	});
});

test.after.always(async () => {
	await cloud.close();
});

async function encryptedVolume(name: string, size = 1): Promise<Json> {
	const created = await cinder(demo, 'POST', '/volumes', {volume: {size, name, volume_type: typeName}});
	if (created.status !== 202) {
		throw new Error(`volume create: ${created.status} ${created.text}`);
	}

	return volumeStatus(demo, created.json['volume'].id, ['available']);
}

async function backupOf(volumeId: string, name: string, extra: Record<string, unknown> = {}): Promise<Json> {
	const created = await cinder(demo, 'POST', '/backups', {backup: {volume_id: volumeId, name, ...extra}});
	if (created.status !== 202) {
		throw new Error(`backup create: ${created.status} ${created.text}`);
	}

	return backupStatus(demo, created.json['backup'].id, ['available', 'error']);
}

test('version documents: 300 at the root, 3.0..3.70', async t => {
	const root = await call(undefined, 'GET', `${cloud.url}/volume/`);
	t.is(root.status, 300);
	t.like(root.json['versions'][0], {
		id: 'v3.0', status: 'CURRENT', version: '3.70', min_version: '3.0',
	});
	t.is(root.headers.get('openstack-api-version'), 'volume 3.0', 'version documents are labelled 3.0, as on the real cloud');
	const v3 = await call(undefined, 'GET', `${cloud.url}/volume/v3/`, {headers: {'OpenStack-API-Version': 'volume 3.64'}});
	t.is(v3.status, 200);
	t.is(v3.headers.get('openstack-api-version'), 'volume 3.0', 'whatever the request asked for');
});

test('microversions: echo header, 406 above 3.70, fields by version', async t => {
	const volume = await encryptedVolume('mv-check');
	const at64 = await cinder(demo, 'GET', `/volumes/${volume['id']}`);
	t.is(at64.headers.get('openstack-api-version'), 'volume 3.64');
	t.is(typeof at64.json['volume'].encryption_key_id, 'string');
	t.is(at64.json['volume'].volume_type_id, typeId);
	const at63 = await cinderAt('3.63')(demo, 'GET', `/volumes/${volume['id']}`);
	t.false('encryption_key_id' in at63.json['volume']);
	t.is(at63.json['volume'].volume_type_id, typeId);
	t.true(at63.json['volume'].encrypted);
	const at62 = await cinderAt('3.62')(demo, 'GET', `/volumes/${volume['id']}`);
	t.false('volume_type_id' in at62.json['volume']);
	const tooHigh = await cinderAt('3.71')(demo, 'GET', '/volumes');
	t.is(tooHigh.status, 406);
	t.is(tooHigh.json['computeFault'].message, 'Version 3.71 is not supported by the API. Minimum is 3.0 and maximum is 3.70.');
	t.is(tooHigh.headers.get('openstack-api-version'), 'volume 3.71', 'a 406 echoes the version asked for');
	t.regex(at64.json['volume'].created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/v);
	t.is(at64.json['volume'].bootable, 'false');
});

test('volume status moves creating → available with time', async t => {
	const created = await cinder(demo, 'POST', '/volumes', {volume: {size: 1, name: 'slowly'}});
	t.is(created.status, 202);
	t.is(created.json['volume'].status, 'creating');
	t.is(created.json['volume'].volume_type, '__DEFAULT__');
	const available = await volumeStatus(demo, created.json['volume'].id, ['available']);
	t.is(available['name'], 'slowly');
});

test('only admins create types and read type encryption; members read /volumes/{id}/encryption', async t => {
	const denied = await cinder(demo, 'POST', '/types', {volume_type: {name: 'mine'}});
	t.is(denied.status, 403);
	t.truthy(denied.json['forbidden']);
	t.is((await cinder(demo, 'GET', `/types/${typeId}/encryption`)).status, 403);
	const spec = await cinder(admin, 'GET', `/types/${typeId}/encryption`);
	t.like(spec.json, {
		provider: 'luks', cipher: 'aes-xts-plain64', key_size: 256, volume_type_id: typeId,
	});

	const volume = await encryptedVolume('enc-meta');
	const encryption = await cinder(demo, 'GET', `/volumes/${volume['id']}/encryption`);
	t.deepEqual(encryption.json, {
		cipher: 'aes-xts-plain64', control_location: 'front-end', encryption_key_id: volume['encryption_key_id'], key_size: 256, provider: 'luks',
	});
});

test('each encrypted volume and backup gets its own Barbican secret, owned by the user; deleting them deletes it', async t => {
	const volume = await encryptedVolume('keys');
	const volumeKey = volume['encryption_key_id'] as string;
	const secret = await call(demo, 'GET', `${demo.endpoints['key-manager']}/v1/secrets/${volumeKey}`);
	t.like(secret.json, {
		algorithm: 'aes', bit_length: 256, secret_type: 'symmetric', name: null, creator_id: demo.userId,
	});
	t.regex(secret.json['created'], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/v);

	const full = await backupOf(volume['id'], 'keys-full');
	const incremental = await backupOf(volume['id'], 'keys-incr', {incremental: true});
	t.true(incremental['is_incremental']);
	const keys = [volumeKey, full['encryption_key_id'], incremental['encryption_key_id']];
	t.is(new Set(keys).size, 3);
	for (const key of keys) {
		// eslint-disable-next-line no-await-in-loop -- a handful of lookups.
		t.true(await hasSecret(demo, key));
	}

	const fullNow = await cinder(demo, 'GET', `/backups/${full['id']}`);
	t.true(fullNow.json['backup'].has_dependent_backups);
	const refused = await cinder(demo, 'DELETE', `/backups/${full['id']}`);
	t.is(refused.status, 400);
	t.is(refused.json['badRequest'].message, 'Invalid backup: Incremental backups exist for this backup.');

	t.is((await cinder(demo, 'DELETE', `/backups/${incremental['id']}`)).status, 202);
	await waitFor('incremental gone', async () => cinder(demo, 'GET', `/backups/${incremental['id']}`), result => result.status === 404);
	t.false(await hasSecret(demo, incremental['encryption_key_id']));
	t.true(await hasSecret(demo, full['encryption_key_id']));

	t.is((await cinder(demo, 'DELETE', `/volumes/${volume['id']}`)).status, 202);
	await waitFor('volume gone', async () => cinder(demo, 'GET', `/volumes/${volume['id']}`), result => result.status === 404);
	t.false(await hasSecret(demo, volumeKey));
});

test('restoring an encrypted backup to a NEW volume: 202, then error_restoring, backup available, the real user message', async t => {
	const volume = await encryptedVolume('restore-src');
	const backup = await backupOf(volume['id'], 'restore-full');
	const restore = await cinder(demo, 'POST', `/backups/${backup['id']}/restore`, {restore: {name: 'restored-new'}});
	t.is(restore.status, 202);
	t.is(restore.json['restore'].backup_id, backup['id']);
	t.is(restore.json['restore'].volume_name, 'restored-new');
	const target = await volumeStatus(demo, restore.json['restore'].volume_id, ['error_restoring', 'available']);
	t.is(target['status'], 'error_restoring');
	t.is(target['volume_type'], '__DEFAULT__');
	t.is(target['description'], 'auto-created_from_restore_from_backup');
	const after = await backupStatus(demo, backup['id'], ['available']);
	t.is(after['status'], 'available');
	const messages = await cinder(demo, 'GET', `/messages?resource_uuid=${backup['id']}`);
	t.is(messages.json['messages'].length, 1);
	t.like(messages.json['messages'][0], {
		event_id: 'VOLUME_VOLUME_BACKUP_015_026',
		user_message: 'restore backup:Backup driver failed to restore backup.',
		message_level: 'ERROR',
		resource_type: 'VOLUME_BACKUP',
		resource_uuid: backup['id'],
	});
});

test('workaround (a): restore onto a volume of the source type works and replaces its key', async t => {
	const volume = await encryptedVolume('wa-src');
	const backup = await backupOf(volume['id'], 'wa-full');
	const target = await encryptedVolume('wa-target');
	const oldKey = target['encryption_key_id'] as string;
	const restore = await cinder(demo, 'POST', `/backups/${backup['id']}/restore`, {restore: {volume_id: target['id']}});
	t.is(restore.status, 202);
	t.deepEqual(restore.json['restore'], {backup_id: backup['id'], volume_id: target['id'], volume_name: 'wa-target'});
	const restored = await volumeStatus(demo, target['id'], ['available', 'error_restoring']);
	t.is(restored['status'], 'available');
	t.deepEqual(restored['metadata'], {src_backup_id: backup['id']});
	t.not(restored['encryption_key_id'], oldKey);
	t.not(restored['encryption_key_id'], backup['encryption_key_id']);
	t.false(await hasSecret(demo, oldKey));
	t.true(await hasSecret(demo, restored['encryption_key_id']));
});

test('restoring an encrypted backup onto an existing volume of another type also ends error_restoring', async t => {
	const volume = await encryptedVolume('other-type-src');
	const backup = await backupOf(volume['id'], 'other-type-full');
	const created = await cinder(demo, 'POST', '/volumes', {volume: {size: 1, name: 'plain-target'}});
	const target = await volumeStatus(demo, created.json['volume'].id, ['available']);
	const restore = await cinder(demo, 'POST', `/backups/${backup['id']}/restore`, {restore: {volume_id: target['id']}});
	t.is(restore.status, 202);
	const after = await volumeStatus(demo, target['id'], ['available', 'error_restoring']);
	t.is(after['status'], 'error_restoring');
	t.deepEqual(after['metadata'], {});
	t.is((await backupStatus(demo, backup['id'], ['available']))['status'], 'available');
	const notAvailable = await cinder(demo, 'POST', `/backups/${backup['id']}/restore`, {restore: {volume_id: target['id']}});
	t.is(notAvailable.status, 400);
});

test('workaround (b): POST /volumes with backup_id + volume_type (3.47) → restoring-backup → available', async t => {
	const volume = await encryptedVolume('wb-src');
	const backup = await backupOf(volume['id'], 'wb-full');
	const created = await cinder(demo, 'POST', '/volumes', {volume: {backup_id: backup['id'], volume_type: typeName, name: 'wb-new'}});
	t.is(created.status, 202);
	t.is(created.json['volume'].size, 1);
	t.is(created.json['volume'].volume_type, typeName);
	const seen = new Set<string>();
	const final = await waitFor('wb volume', async () => cinder(demo, 'GET', `/volumes/${created.json['volume'].id}`), result => {
		seen.add(result.json['volume'].status);
		return ['available', 'error_restoring'].includes(result.json['volume'].status);
	});
	t.is(final.json['volume'].status, 'available');
	t.true(seen.has('restoring-backup') || seen.has('creating'));
	t.is(final.json['volume'].metadata.src_backup_id, backup['id']);

	const withoutType = await cinder(demo, 'POST', '/volumes', {volume: {backup_id: backup['id'], name: 'wb-default'}});
	const failed = await volumeStatus(demo, withoutType.json['volume'].id, ['available', 'error_restoring']);
	t.is(failed['status'], 'error_restoring');
	t.is(failed['volume_type'], '__DEFAULT__');

	const before347 = await cinderAt('3.46')(demo, 'POST', '/volumes', {volume: {size: 1, backup_id: backup['id'], name: 'ignored-backup'}});
	const plain = await volumeStatus(demo, before347.json['volume'].id, ['available', 'error_restoring']);
	t.is(plain['status'], 'available');
	t.deepEqual(plain['metadata'], {});
});

test('volume type delete: 400 while volumes use it, 202 when only backups remain; those backups no longer restore', async t => {
	const type = await cinder(admin, 'POST', '/types', {volume_type: {name: 'LUKS-temp'}});
	const temporaryId = type.json['volume_type'].id as string;
	await cinder(admin, 'POST', `/types/${temporaryId}/encryption`, {
		encryption: {
			provider: 'luks', cipher: 'aes-xts-plain64', key_size: 256, control_location: 'front-end',
		},
	});
	const created = await cinder(demo, 'POST', '/volumes', {volume: {size: 1, name: 'temp-src', volume_type: 'LUKS-temp'}});
	const volume = await volumeStatus(demo, created.json['volume'].id, ['available']);
	const backup = await backupOf(volume['id'], 'temp-full');
	const inUse = await cinder(admin, 'DELETE', `/types/${temporaryId}`);
	t.is(inUse.status, 400);
	t.deepEqual(inUse.json, {badRequest: {code: 400, message: 'Target volume type is still in use.'}});
	await cinder(demo, 'DELETE', `/volumes/${volume['id']}`);
	await waitFor('volume gone', async () => cinder(demo, 'GET', `/volumes/${volume['id']}`), result => result.status === 404);
	const deleted = await cinder(admin, 'DELETE', `/types/${temporaryId}`);
	t.is(deleted.status, 202);
	t.is((await cinder(demo, 'POST', '/volumes', {volume: {size: 1, volume_type: 'LUKS-temp'}})).status, 404);
	t.is((await backupStatus(demo, backup['id'], ['available']))['status'], 'available');
	const restore = await cinder(demo, 'POST', `/backups/${backup['id']}/restore`, {restore: {name: 'after-type-delete'}});
	t.is(restore.status, 202);
	const target = await volumeStatus(demo, restore.json['restore'].volume_id, ['available', 'error_restoring']);
	t.is(target['status'], 'error_restoring');
});

test('backup create and restore schemas are strict (unknown field → 400); metadata needs 3.43', async t => {
	const created = await cinder(demo, 'POST', '/volumes', {volume: {size: 1, name: 'schema'}});
	const volume = await volumeStatus(demo, created.json['volume'].id, ['available']);
	const unknown = await cinder(demo, 'POST', '/backups', {backup: {volume_id: volume['id'], volume_type: typeName}});
	t.is(unknown.status, 400);
	t.regex(unknown.json['badRequest'].message, /Additional properties are not allowed \('volume_type' was unexpected\)/v);
	const oldMetadata = await cinderAt('3.42')(demo, 'POST', '/backups', {backup: {volume_id: volume['id'], metadata: {a: 'b'}}});
	t.is(oldMetadata.status, 400);
	const withMetadata = await backupOf(volume['id'], 'with-meta', {metadata: {source_type: '__DEFAULT__'}});
	t.deepEqual(withMetadata['metadata'], {source_type: '__DEFAULT__'});
	const restore = await cinder(demo, 'POST', `/backups/${withMetadata['id']}/restore`, {restore: {name: 'x', volume_type: typeName}});
	t.is(restore.status, 400);
	const update = await cinder(demo, 'PUT', `/backups/${withMetadata['id']}`, {backup: {metadata: {encrypted: 'false'}}});
	t.is(update.status, 200);
	// The set is replaced, as Cinder's backup_metadata_update(delete=True) does; the contract suite checks it on the real cloud.
	t.deepEqual(update.json['backup'].metadata, {encrypted: 'false'});
});

test('quota exceeded → 413 overLimit with Retry-After: 0', async t => {
	const limited = await startDemoCloud({seed: 'empty', timeScale: 0.01});
	try {
		limited.setQuota('demo', {volumes: 1});
		const session = await login(limited, 'demo', 'demo');
		t.is((await cinder(session, 'POST', '/volumes', {volume: {size: 1}})).status, 202);
		const over = await cinder(session, 'POST', '/volumes', {volume: {size: 1}});
		t.is(over.status, 413);
		t.is(over.headers.get('retry-after'), '0');
		t.is(over.json['overLimit'].message, 'Maximum number of volumes allowed (1) exceeded for quota \'volumes\'.');
		t.is(over.json['overLimit'].retryAfter, '0');
	} finally {
		await limited.close();
	}
});

test('lists page with limit/marker and a next link until the end', async t => {
	const names = ['page-a', 'page-b', 'page-c', 'page-d', 'page-e'];
	const paging = await startDemoCloud({seed: 'empty', timeScale: 0.01});
	try {
		const session = await login(paging, 'demo', 'demo');
		for (const name of names) {
			// eslint-disable-next-line no-await-in-loop -- creation order gives created_at order.
			await cinder(session, 'POST', '/volumes', {volume: {size: 1, name}});
		}

		const seen: string[] = [];
		let url: string | undefined = `${session.endpoints['block-storage']}/volumes/detail?limit=2`;
		let pages = 0;
		while (url !== undefined) {
			// eslint-disable-next-line no-await-in-loop -- pages are sequential.
			const page = await call(session, 'GET', url, {headers: {'OpenStack-API-Version': 'volume 3.64'}});
			pages++;
			seen.push(...page.json['volumes'].map((volume: Json) => volume['name'] as string));
			url = page.json['volumes_links']?.[0]?.href as string | undefined;
			t.true(pages < 10);
		}

		t.deepEqual(seen.toSorted(), names);
		t.is(pages, 3);
		const counted = await cinderAt('3.45')(session, 'GET', '/volumes?with_count=true&limit=1');
		t.is(counted.json['count'], 5);
		t.is((await cinder(session, 'GET', '/volumes?marker=nope')).status, 404);
	} finally {
		await paging.close();
	}
});

test('snapshots: create from a volume, creating → available, listed, and block the volume\'s deletion', async t => {
	const created = await cinder(demo, 'POST', '/volumes', {volume: {size: 2, name: 'snap-src'}});
	const volume = await volumeStatus(demo, created.json['volume'].id, ['available']);
	const snapshot = await cinder(demo, 'POST', '/snapshots', {snapshot: {volume_id: volume['id'], name: 'snap-1'}});
	t.is(snapshot.status, 202);
	t.is(snapshot.json['snapshot'].status, 'creating');
	await waitFor('snapshot', async () => cinder(demo, 'GET', `/snapshots/${snapshot.json['snapshot'].id}`), result => result.json['snapshot'].status === 'available');
	const list = await cinder(demo, 'GET', '/snapshots/detail');
	t.true(list.json['snapshots'].some((item: Json) => item['id'] === snapshot.json['snapshot'].id && item['size'] === 2));
	const refused = await cinder(demo, 'DELETE', `/volumes/${volume['id']}`);
	t.is(refused.status, 400);
});

test('a plain member without Barbican\'s creator role cannot create an encrypted volume', async t => {
	const member = await login(cloud, 'demo-member', 'demo');
	const refused = await cinder(member, 'POST', '/volumes', {volume: {size: 1, volume_type: typeName}});
	t.is(refused.status, 400);
	t.is((await cinder(member, 'POST', '/volumes', {volume: {size: 1}})).status, 202);
	const reader = await login(cloud, 'demo-reader', 'demo');
	t.is((await cinder(reader, 'POST', '/volumes', {volume: {size: 1}})).status, 403);
	t.is((await cinder(reader, 'GET', '/volumes/detail')).status, 200);
});

test('a backup keeps a volume\'s image metadata: the restored volume has signature_verified, and so does an image uploaded from it', async t => {
	const demoProject = cloud.state.projectByName('demo')!;
	const image = cloud.state.addImage({
		owner: demoProject.id, name: 'base', diskFormat: 'raw', containerFormat: 'bare', data: Buffer.from('base image bytes'),
	});
	const created = await cinder(demo, 'POST', '/volumes', {volume: {size: 1, name: 'from-base', imageRef: image.id}});
	const volume = await volumeStatus(demo, created.json['volume'].id, ['available']);
	const backup = await backupOf(volume['id'], 'from-base-backup');
	const restore = await cinder(demo, 'POST', `/backups/${backup['id']}/restore`, {restore: {name: 'from-base-restored'}});
	t.is(restore.status, 202);
	const restored = await volumeStatus(demo, restore.json['restore'].volume_id, ['available', 'error_restoring']);
	t.is(restored['status'], 'available');
	t.like(restored['volume_image_metadata'], {signature_verified: 'False', image_id: image.id});

	const upload = await cinder(demo, 'POST', `/volumes/${restored['id']}/action`, {'os-volume_upload_image': {image_name: 'from-restored', disk_format: 'raw', container_format: 'bare'}});
	const uploaded = String(upload.json['os-volume_upload_image'].image_id);
	const second = await waitFor('image active', async () => cloud.state.images.get(uploaded), found => found?.status === 'active');
	t.is(second?.properties['signature_verified'], 'False');
});

/*
As the real cloud's NFS driver: an encrypted volume goes to Glance as a LUKS1 container of a master key of its own,
opened by the hex of the image's key clone (checked here with cryptsetup and qemu-img, the tools Cinder's own data
path uses); a volume made from that image holds the same data, and one whose key does not open the container ends error.
*/
test('an encrypted volume uploads as a LUKS1 container that cryptsetup and qemu-img open with the image key\'s hex; a volume of the image holds the same data', async t => {
	const cryptsetup = await findCryptsetup(process.env['PATH']);
	if (cryptsetup === undefined) {
		throw new Error('this test needs cryptsetup (Debian: cryptsetup-bin)');
	}

	const volume = await encryptedVolume('luks-upload');
	const content = Buffer.from(cloud.state.contentOf(cloud.state.volumes.get(volume['id'])!));
	const uploadOf = async (volumeId: string, name: string) => {
		const upload = await cinder(demo, 'POST', `/volumes/${volumeId}/action`, {
			'os-volume_upload_image': {image_name: name, disk_format: 'raw', container_format: 'bare'},
		});
		const imageId = String(upload.json['os-volume_upload_image'].image_id);
		const image = await waitFor('image active', async () => cloud.state.images.get(imageId), found => found?.status === 'active');
		await volumeStatus(demo, volumeId, ['available']);
		return image!;
	};

	const image = await uploadOf(volume['id'], 'luks-upload-image');
	const data = image.data!;
	t.false(data.includes(content.subarray(0, 64)), 'the image does not hold the plaintext');
	const key = cloud.state.secrets.get(image.properties['cinder_encryption_key_id'] ?? '')!.payload!;
	const directory = await mkdtemp(path.join(tmpdir(), 'demo-luks-'));
	t.teardown(async () => rm(directory, {recursive: true, force: true}));
	const [file, passphrase, plain] = ['image.luks', 'passphrase', 'plain.raw'].map(name => path.join(directory, name)) as [string, string, string];
	await writeFile(file, data);
	await writeFile(passphrase, key.toString('hex'), {mode: 0o600});
	await execFileAsync(cryptsetup, ['luksOpen', '--test-passphrase', '--key-file', passphrase, file]);
	const dump = await execFileAsync(cryptsetup, ['luksDump', file]);
	t.regex(dump.stdout, /Version:\s+1\n.*Cipher name:\s+aes\n.*Cipher mode:\s+xts-plain64\n/sv);
	await execFileAsync('/usr/bin/qemu-img', ['convert', '--object', `secret,id=sec0,file=${passphrase}`, '--image-opts', `driver=luks,key-secret=sec0,file.filename=${file}`, '-O', 'raw', plain]);
	t.true((await readFile(plain)).subarray(0, content.length).equals(content), 'qemu-img decrypts the volume\'s data');

	const created = await cinder(demo, 'POST', '/volumes', {
		volume: {
			size: 1, name: 'luks-from-image', imageRef: image.id, volume_type: typeName,
		},
	});
	const fromImage = await volumeStatus(demo, created.json['volume'].id, ['available', 'error']);
	t.is(fromImage['status'], 'available');
	t.true(cloud.state.contentOf(cloud.state.volumes.get(fromImage['id'])!).equals(content), 'the same data, opened with the volume\'s key clone');
	const again = await uploadOf(fromImage['id'], 'luks-again');
	t.false(again.data!.equals(data), 'its own upload: another master key, other bytes');

	// The image's key replaced by another one: the volume's clone does not open the container.
	cloud.state.secrets.get(image.properties['cinder_encryption_key_id'] ?? '')!.payload = Buffer.alloc(key.length, 7);
	const wrong = await cinder(demo, 'POST', '/volumes', {
		volume: {
			size: 1, name: 'luks-wrong-key', imageRef: image.id, volume_type: typeName,
		},
	});
	t.is((await volumeStatus(demo, wrong.json['volume'].id, ['available', 'error']))['status'], 'error');
});
