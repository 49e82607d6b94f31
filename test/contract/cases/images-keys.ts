/*
Contracts: images from volumes, downloads, Barbican secrets, types and quotas.
*/
import {Buffer} from 'node:buffer';
import {createHash, randomBytes} from 'node:crypto';
import {createReadStream, createWriteStream} from 'node:fs';
import {rm} from 'node:fs/promises';
import path from 'node:path';
import {Readable} from 'node:stream';
import {pipeline} from 'node:stream/promises';
import {isOpenStackError, isQuota} from '../../../source/openstack/index.js';
import {intentKey} from '../../../source/core/plans/intents.js';
import {collect} from '../../helpers/collect.js';
import {adminCinderRequest, userRequest} from '../admin-http.js';
import {fieldDifferences, realBody} from '../fields.js';
import {
	configFor,
	services,
	secretStatus,
	ignoreNotFound,
	cinderQuota,
	quotaUsage,
	waitVolume,
	waitBackup,
	waitImage,
	waitVolumeGone,
	isSecretDeleted,
	makeEncryptedType,
	makeVolume,
	makeBackup,
	removeVolume,
	removeImage,
	type Contract,
} from '../kit.js';

export function registerImagesAndKeys(contract: Contract): void {
	contract('uploading an encrypted volume makes an image with its own key; the download matches the checksum', async (t, c) => {
		const type = await makeEncryptedType(t, c, 'img');
		const {cinder, glance, barbican} = services(c.member);
		const volume = await makeVolume(t, c, cinder, {size: 1, name: `bs-contract-${c.run}-img-src`, volumeType: type.name});
		const {imageId} = await cinder.uploadVolumeToImage(volume.id, {imageName: `bs-contract-${c.run}-img`, diskFormat: 'raw', containerFormat: 'bare'});
		let isImageDeleted = false;
		t.teardown(async () => {
			if (!isImageDeleted) {
				await removeImage(c, glance, imageId);
			}
		});
		const image = await waitImage(c, glance, imageId, ['active']);
		await waitVolume(c, cinder, volume.id, ['available']);
		const imageKey = image.cinderEncryptionKeyId ?? '';
		t.truthy(imageKey, 'the image carries cinder_encryption_key_id');
		t.is(image.properties['cinder_encryption_key_id'], imageKey);
		t.is(image.cinderEncryptionKeyDeletionPolicy, 'on_image_deletion');
		t.not(imageKey, volume.encryptionKeyId, 'the image has its own clone of the key');
		t.is(await secretStatus(barbican, imageKey), 'ACTIVE');
		t.is(image.diskFormat, 'raw');
		t.deepEqual(fieldDifferences(realBody('glance-image-from-encrypted-volume'), image.raw), [], 'image fields as on the real cloud');
		t.truthy(image.checksum);
		t.truthy(image.size);
		// Streamed to a file (on the real cloud the image is a 1 GiB LUKS container), hashed on the way.
		const file = path.join(c.scratch, `img-${imageId}.raw`);
		t.teardown(async () => rm(file, {force: true}));
		const md5 = createHash('md5');
		const sha512 = createHash('sha512');
		let length = 0;
		await pipeline(Readable.from(glance.downloadImage(imageId)), async function * (chunks: AsyncIterable<Uint8Array>) {
			for await (const chunk of chunks) {
				md5.update(chunk);
				sha512.update(chunk);
				length += chunk.byteLength;
				yield chunk;
			}
		}, createWriteStream(file));
		t.is(length, image.size ?? -1);
		t.is(md5.digest('hex'), image.checksum ?? 'no checksum');
		if (image.hashAlgo === 'sha512') {
			t.is(sha512.digest('hex'), image.hashValue ?? 'no hash');
		}

		const half = Math.floor(length / 2);
		const restHash = createHash('sha256');
		for await (const chunk of glance.downloadImage(imageId, {offset: half, prefix: createReadStream(file, {end: half - 1})})) {
			restHash.update(chunk);
		}

		const fileRestHash = createHash('sha256');
		for await (const chunk of createReadStream(file, {start: half})) {
			fileRestHash.update(chunk as Uint8Array);
		}

		t.is(restHash.digest('hex'), fileRestHash.digest('hex'), 'a download resumed at an offset (Range) returns exactly the rest');

		await glance.deleteImage(imageId);
		isImageDeleted = true;
		t.is(await glance.findImage(imageId), undefined);
		t.is(await isSecretDeleted(c, barbican, imageKey), true, 'deleting the image deleted its key (on_image_deletion)');
	});

	contract('an image Cinder uploads from a volume can be renamed and given a property while it uploads; both stay once it is active', async (t, c) => {
		const {cinder, glance} = services(c.member);
		const volume = await makeVolume(t, c, cinder, {size: 1, name: `bs-contract-${c.run}-upname-src`});
		const {imageId} = await cinder.uploadVolumeToImage(volume.id, {imageName: `bs-contract-${c.run}-upname [backstack_token=${c.run}]`, diskFormat: 'raw', containerFormat: 'bare'});
		t.teardown(async () => removeImage(c, glance, imageId));
		const uploading = await glance.getImage(imageId);
		t.is(uploading.name, `bs-contract-${c.run}-upname [backstack_token=${c.run}]`, 'the image_name of the request, from the start');
		await glance.setImageProperties(imageId, {name: `bs-contract-${c.run}-upname`, [intentKey]: c.run});
		const image = await waitImage(c, glance, imageId, ['active']);
		await waitVolume(c, cinder, volume.id, ['available']);
		t.is(image.name, `bs-contract-${c.run}-upname`);
		t.is(image.properties[intentKey], c.run);
	});

	contract('a download resumed from a complete partial file asks Glance nothing (a Range from the end is 416 Request Range Not Satisfiable) and still verifies the hash', async (t, c) => {
		const {glance} = services(c.member);
		const data = randomBytes(1000);
		const image = await glance.createImage({name: `bs-contract-${c.run}-range`, diskFormat: 'raw', containerFormat: 'bare'});
		t.teardown(async () => removeImage(c, glance, image.id));
		await glance.uploadImageData(image.id, Readable.from([data]), {size: data.length});
		await waitImage(c, glance, image.id, ['active']);
		const config = await configFor(c.cloud, c.scratch, c.cloud.member);
		await t.throwsAsync(userRequest(c.member, config, {
			service: 'image', method: 'GET', path: `images/${image.id}/file`, headers: {range: `bytes=${data.length}-`},
		}), {message: /HTTP 416 [\s\S]*416 Request Range Not Satisfiable/v});
		const resume = async (held: Uint8Array) => collect(glance.downloadImage(image.id, {offset: held.length, prefix: Readable.from([held])}));
		t.deepEqual(await resume(data), [], 'nothing more to read');
		const corrupted = Buffer.from(data);
		corrupted[10] = 255 - (corrupted[10] ?? 0);
		await t.throwsAsync(resume(corrupted), {message: /does not match/v});
		const last = Buffer.concat(await resume(data.subarray(0, -1)));
		t.deepEqual(last, data.subarray(-1), 'one byte short: Glance sends the last byte');
	});

	contract('Barbican lists secrets by exact name (name=)', async (t, c) => {
		const {barbican} = services(c.member);
		const name = `bs-contract-${c.run}-byname [backstack_token=${c.run}]`;
		const stored = [];
		for (const each of [name, `${name}-other`, `bs-contract-${c.run}-byname`]) {
			// eslint-disable-next-line no-await-in-loop
			const {id} = await barbican.storeSecret({name: each, payload: new Uint8Array(randomBytes(32)), secretType: 'opaque'});
			stored.push(id);
			t.teardown(async () => barbican.deleteSecret(id).catch(ignoreNotFound));
		}

		const found = [];
		for await (const secret of barbican.listSecrets({name})) {
			found.push(secret.id);
		}

		t.deepEqual(found, stored.slice(0, 1));
	});

	contract('a secret stores and returns its payload as bytes', async (t, c) => {
		const {barbican} = services(c.member);
		const payload = new Uint8Array([0, 1, 2, 0x7F, 0x80, 0xFE, 0xFF, ...randomBytes(25)]);
		const {id} = await barbican.storeSecret({name: `bs-contract-${c.run}-secret`, payload, secretType: 'opaque'});
		let isDeleted = false;
		t.teardown(async () => {
			if (!isDeleted) {
				await barbican.deleteSecret(id).catch(ignoreNotFound);
			}
		});
		const secret = await barbican.getSecret(id);
		t.is(secret.name, `bs-contract-${c.run}-secret`);
		t.is(secret.status, 'ACTIVE');
		t.false(JSON.stringify(secret.raw).includes(Buffer.from(payload).toString('base64')), 'metadata never carries the payload');
		const back = await barbican.getSecretPayload(id);
		t.deepEqual(Buffer.from(back), Buffer.from(payload));
		await barbican.deleteSecret(id);
		isDeleted = true;
		t.is(await barbican.findSecret(id), undefined);
	});

	contract('a volume type with only backups left can be deleted, and those backups can no longer be restored', async (t, c) => {
		const type = await makeEncryptedType(t, c, 'gone');
		const {cinder} = services(c.member);
		const adminCinder = services(c.admin).cinder;
		const volume = await makeVolume(t, c, cinder, {size: 1, name: `bs-contract-${c.run}-gone-src`, volumeType: type.name});
		const backup = await makeBackup(t, c, cinder, {volumeId: volume.id, name: `bs-contract-${c.run}-gone-bk`});
		const inUse = await t.throwsAsync(adminCinder.deleteVolumeType(type.id));
		t.is(isOpenStackError(inUse) ? inUse.status : undefined, 400, 'refused while a volume uses the type');
		await cinder.deleteVolume(volume.id);
		await waitVolumeGone(c, cinder, volume.id);
		await adminCinder.deleteVolumeType(type.id);
		const types = await adminCinder.listVolumeTypes();
		t.false(types.some(item => item.id === type.id));
		const orphan = await cinder.getBackup(backup.id);
		t.is(orphan.status, 'available', 'the backup survives its type');
		const result = await cinder.restoreBackup(backup.id, {name: `bs-contract-${c.run}-gone-new`});
		t.teardown(async () => removeVolume(c, cinder, result.volumeId));
		const failed = await waitVolume(c, cinder, result.volumeId, ['error_restoring', 'error', 'available']);
		t.is(failed.status, 'error_restoring');
		await waitBackup(c, cinder, backup.id, ['available']);
	});

	contract('over-quota requests fail with 413 (Retry-After 0 means quota, not rate limit)', async (t, c) => {
		const {cinder} = services(c.member);
		const huge = await t.throwsAsync(cinder.createVolume({size: 100_000, name: `bs-contract-${c.run}-huge`}));
		t.true(isQuota(huge), String(huge));
		t.is(isOpenStackError(huge) ? huge.status : undefined, 413);
		t.is(isOpenStackError(huge) ? huge.retryAfter : undefined, 0);
		t.regex(String(isOpenStackError(huge) ? huge.serviceMessage : ''), /quota/iv);

		// A small volumes quota on the member's second project (set by the admin), restored afterwards.
		const {projectId} = c.member2.identity.token();
		const adminConfig = await configFor(c.cloud, c.scratch, c.cloud.admin);
		const before = await adminCinderRequest(c.admin, adminConfig, {method: 'GET', path: `os-quota-sets/${projectId}?usage=true`});
		const volumes = quotaUsage(before, 'volumes');
		t.teardown(async () => {
			await adminCinderRequest(c.admin, adminConfig, {method: 'PUT', path: `os-quota-sets/${projectId}`, body: cinderQuota(volumes.limit)});
		});
		await adminCinderRequest(c.admin, adminConfig, {method: 'PUT', path: `os-quota-sets/${projectId}`, body: cinderQuota(volumes.inUse)});
		const second = services(c.member2).cinder;
		const over = await t.throwsAsync(second.createVolume({size: 1, name: `bs-contract-${c.run}-over`}));
		t.true(isQuota(over), String(over));
		t.regex(String(isOpenStackError(over) ? over.serviceMessage : ''), /volume/iv);
		const listed = await collect(second.listVolumes());
		t.false(listed.some(item => item.name === `bs-contract-${c.run}-over`), 'nothing was created');
	});
}
