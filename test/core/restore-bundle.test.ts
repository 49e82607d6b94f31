/* eslint-disable @typescript-eslint/naming-convention -- Glance's own property names. */
/*
`restore bundle` (issue 13) against the demo cloud: a bundle written by `backup bundle image` comes back byte for byte
after its image is gone, an encrypted one with a new secret holding the key file's bytes; a volume item (written by hand
here: the volume bundler is built elsewhere) comes back as a volume of a type with the recorded encryption spec, through
a temporary image that is gone afterwards; and what must be refused is refused before anything changes.
*/
import {Buffer} from 'node:buffer';
import {createHash, randomBytes} from 'node:crypto';
import {
	mkdir,
	readFile,
	rm,
	truncate,
	writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import {Readable} from 'node:stream';
import test from 'ava';
import {findCryptsetup} from '../../source/core/bundle/luks.js';
import type {BundleManifest, BundleVolumeItem} from '../../source/core/bundle/manifest.js';
import {planImageBundle} from '../../source/core/plans/bundle.js';
import {toOpenstackCli} from '../../source/core/plans/cli-export.js';
import {restoreRequestFrom} from '../../source/core/plans/commands.js';
import {planBundleRestore, specDifferences} from '../../source/core/plans/restore-bundle.js';
import type {PlanEvent, PlanResult} from '../../source/core/plans/types.js';
import type {CloudSession} from '../../source/openstack/api.js';
import {
	demoCloud,
	fastClock,
	last,
	listAll,
	runToEnd,
	temporaryDirectory,
	type CloudForTest,
	runTool,
	planOf,
} from './plans/helpers.js';

const cryptsetup = await findCryptsetup(process.env['PATH']);

function reasonOf(result: PlanResult): string {
	if (result.kind !== 'refusal') {
		throw new Error(`Expected a refusal, got ${JSON.stringify(result)}`);
	}

	return result.reason;
}

function resultsOf(events: PlanEvent[]): Record<string, string | number> {
	const end = last(events);
	if (end?.type !== 'plan-done') {
		throw new Error(`the plan did not finish: ${JSON.stringify(events.filter(event => event.type === 'plan-failed' || event.type === 'step-failed'))}`);
	}

	return end.results;
}

async function bytesOf(session: CloudSession, imageId: string): Promise<Uint8Array> {
	const chunks = await listAll(session.glance!.downloadImage(imageId));
	return Buffer.concat(chunks);
}

async function imageWith(session: CloudSession, data: Uint8Array, properties: Record<string, string> = {}): Promise<string> {
	const glance = session.glance!;
	const image = await glance.createImage({
		name: 'golden', diskFormat: 'raw', containerFormat: 'bare', minDisk: 2, minRam: 512, properties: {os_distro: 'debian', ...properties},
	});
	await glance.uploadImageData(image.id, Readable.from([data]), {size: data.byteLength});
	return image.id;
}

async function bundleOf(session: CloudSession, imageId: string, directory: string): Promise<BundleManifest> {
	const events = await runToEnd(planOf(await planImageBundle(session, {imageId, directory, version: 'test'})), session, {clock: fastClock()});
	resultsOf(events);
	return JSON.parse(await readFile(path.join(directory, 'manifest.json'), 'utf8')) as BundleManifest;
}

async function restore(session: CloudSession, directory: string, volumeType?: string) {
	const plan = planOf(await planBundleRestore(session, {directory, volumeType, cryptsetup}));
	const events = await runToEnd(plan, session, {clock: fastClock()});
	return {plan, events, results: resultsOf(events)};
}

/**
A raw LUKS1 volume image whose passphrase is the hex of `key` (what Cinder's os-brick does); random bytes without cryptsetup.
*/
async function luksImage(directory: string, key: Uint8Array, size = 4 * 1024 * 1024): Promise<Uint8Array> {
	if (cryptsetup === undefined) {
		return randomBytes(size);
	}

	const file = path.join(directory, `luks-${randomBytes(4).toString('hex')}.img`);
	const passphrase = path.join(directory, 'passphrase');
	await writeFile(file, Buffer.alloc(0));
	await truncate(file, size);
	await writeFile(passphrase, Buffer.from(key).toString('hex'), {mode: 0o600});
	await runTool(cryptsetup, ['luksFormat', '--type', 'luks1', '--batch-mode', '--pbkdf-force-iterations', '1000', '--key-file', passphrase, file]);
	await rm(passphrase);
	const data = await readFile(file);
	await rm(file);
	return data;
}

const luksSpec = {
	provider: 'luks', cipher: 'aes-xts-plain64', keySize: 256, controlLocation: 'front-end',
} as const;

/**
A bundle of one encrypted volume, written by hand as the volume bundler will: its LUKS data, its key (0600), a manifest.
*/
async function volumeBundle(directory: string, options: {typeName?: string; metadata?: Record<string, string>} = {}) {
	await mkdir(directory, {mode: 0o700});
	const key = randomBytes(32);
	const data = await luksImage(directory, key);
	const id = '5f0c1e9a-3b6d-4c2e-9a41-7d2b8e6f1c30';
	const dataFile = `volume-${id}.raw`;
	const keyFile = `volume-${id}.key`;
	await writeFile(path.join(directory, dataFile), data, {mode: 0o600});
	await writeFile(path.join(directory, keyFile), key, {mode: 0o600});
	const hash = (algorithm: string) => createHash(algorithm).update(data).digest('hex');
	const item: BundleVolumeItem = {
		kind: 'volume',
		id,
		name: 'db-data',
		createdAt: '2026-12-01T10:00:00.000Z',
		data: {file: dataFile, size: data.byteLength, sha256: hash('sha256')},
		glance: {
			diskFormat: 'raw',
			containerFormat: 'bare',
			checksum: hash('md5'),
			hashAlgo: 'sha512',
			hashValue: hash('sha512'),
			minDisk: 1,
			minRam: 0,
			visibility: 'private',
			protected: false,
			// What Cinder copies into an image of a volume made from an image: would fail the new volume on Zed.
			properties: {signature_verified: 'False', os_distro: 'debian'},
		},
		encryption: {
			keyFile,
			keySize: 32,
			passphrase: 'hexlify',
			sourceSecretId: '0d6c1b4e-0000-4000-8000-000000000001',
			keyDeletionPolicy: 'on_image_deletion',
			secret: {
				secretType: 'symmetric', algorithm: 'aes', bitLength: 256, mode: 'xts',
			},
		},
		volume: {
			size: 1,
			bootable: false,
			description: 'the database',
			metadata: options.metadata ?? {app: 'db', tier: 'gold'},
			volumeType: {name: options.typeName ?? 'LUKS', id: '11111111-2222-4333-8444-555555555555', encryption: {...luksSpec}},
		},
	};
	const manifest: BundleManifest = {
		format: 'backstack-bundle',
		schemaVersion: 2,
		createdAt: '2026-12-01T10:05:00.000Z',
		backstackVersion: 'test',
		source: {cloud: 'elsewhere', region: 'RegionOne', project: {id: 'f0f0f0f0f0f0', name: 'bs-alpha'}},
		items: [item],
	};
	await writeFile(path.join(directory, 'manifest.json'), JSON.stringify(manifest, undefined, '\t'));
	return {key, data, manifest};
}

function withTypes(context: CloudForTest) {
	const {state} = context.cloud;
	return {
		luks: state.addVolumeType({name: 'LUKS', encryption: {...luksSpec}}),
		other: state.addVolumeType({name: 'Another LUKS', encryption: {...luksSpec}}),
		plain: state.addVolumeType({name: 'plain'}),
	};
}

test('a plain image comes back from its bundle byte for byte, with its formats, minimums and properties', async t => {
	const {session} = await demoCloud(t);
	const data = randomBytes(300_001);
	const imageId = await imageWith(session, data, {hw_disk_bus: 'scsi'});
	const directory = path.join(await temporaryDirectory(t), 'bundle');
	await bundleOf(session, imageId, directory);
	await session.glance!.deleteImage(imageId);
	t.is(await session.glance!.findImage(imageId), undefined);

	const {plan, results} = await restore(session, directory);
	t.deepEqual(plan.steps.map(step => step.id), ['image', 'upload', 'check-image']);
	t.true(plan.warnings.some(warning => warning.includes('NEW ID')));
	const restoredId = String(results[`image:${imageId}`]);
	t.not(restoredId, imageId);
	t.deepEqual(await bytesOf(session, restoredId), Buffer.from(data));
	const restored = await session.glance!.getImage(restoredId);
	t.is(restored.name, 'golden');
	t.is(restored.diskFormat, 'raw');
	t.is(restored.raw['min_disk'], 2);
	t.is(restored.raw['min_ram'], 512);
	t.is(restored.properties['os_distro'], 'debian');
	t.is(restored.properties['hw_disk_bus'], 'scsi');
	t.is(restored.cinderEncryptionKeyId, undefined);

	const script = toOpenstackCli(plan);
	t.true(script.includes('--min-disk 2') && script.includes('--min-ram 512'), script);
	const file = path.join(directory, '..', 'restore.sh');
	await writeFile(file, script);
	await t.notThrowsAsync(runTool('bash', ['-n', file]), 'the exported script parses');
});

test('an encrypted image comes back with a NEW secret holding the key file\'s bytes, pointed at by cinder_encryption_key_id', async t => {
	const {session} = await demoCloud(t);
	const scratch = await temporaryDirectory(t);
	const key = randomBytes(32);
	const data = await luksImage(scratch, key);
	const barbican = session.barbican!;
	const {id: oldSecret} = await barbican.storeSecret({
		name: 'volume-key', payload: key, algorithm: 'aes', bitLength: 256, mode: 'xts', secretType: 'symmetric',
	});
	const imageId = await imageWith(session, data, {cinder_encryption_key_id: oldSecret, cinder_encryption_key_deletion_policy: 'on_image_deletion'});
	const directory = path.join(scratch, 'bundle');
	await bundleOf(session, imageId, directory);
	await session.glance!.deleteImage(imageId);
	t.is(await barbican.findSecret(oldSecret), undefined, 'the key went with the image');

	const {plan, events, results} = await restore(session, directory);
	t.deepEqual(plan.steps.map(step => step.id), ['key', 'image', 'upload', 'check-image']);
	const restoredId = String(results[`image:${imageId}`]);
	const secretId = String(results[`secret:${imageId}`]);
	t.not(secretId, oldSecret);
	const restored = await session.glance!.getImage(restoredId);
	t.is(restored.cinderEncryptionKeyId, secretId);
	t.is(restored.cinderEncryptionKeyDeletionPolicy, 'on_image_deletion');
	t.deepEqual(Buffer.from(await barbican.getSecretPayload(secretId)), key);
	const secret = await barbican.getSecret(secretId);
	t.like(secret, {
		algorithm: 'aes', bitLength: 256, mode: 'xts', secretType: 'symmetric',
	});
	t.deepEqual(await bytesOf(session, restoredId), data);
	const journalText = JSON.stringify({plan, events});
	t.false(journalText.includes(key.toString('hex')) || journalText.includes(key.toString('base64')), 'no key in the plan or its events');
});

test('an image whose key is under os_encrypt_key_id (newer clouds) is read as encrypted', async t => {
	const {session} = await demoCloud(t);
	const {id: secretId} = await session.barbican!.storeSecret({
		name: 'k', payload: randomBytes(32), algorithm: 'aes', bitLength: 256, secretType: 'symmetric',
	});
	const imageId = await imageWith(session, randomBytes(1000), {os_encrypt_key_id: secretId, os_encrypt_key_deletion_policy: 'on_image_deletion', os_encrypt_format: 'luks'});
	const image = await session.glance!.getImage(imageId);
	t.is(image.cinderEncryptionKeyId, secretId);
	t.is(image.cinderEncryptionKeyDeletionPolicy, 'on_image_deletion');
	const directory = path.join(await temporaryDirectory(t), 'bundle');
	const plan = planOf(await planImageBundle(session, {imageId, directory}));
	t.true(plan.steps.some(step => step.id === 'key'), 'the bundle exports its key');
});

test('a volume item comes back as a volume of the type with the recorded spec; its temporary image and key are gone', async t => {
	const context = await demoCloud(t);
	const types = withTypes(context);
	const {admin} = context;
	const directory = path.join(await temporaryDirectory(t), 'bundle');
	await volumeBundle(directory);
	const secretsBefore = await listAll(admin.barbican!.listSecrets());

	// The admin reads type encryption specs: the type is found by its spec, the same name first.
	const {plan, results} = await restore(admin, directory);
	t.deepEqual(plan.steps.map(step => step.id), ['key', 'image', 'upload', 'check-image', 'volume', 'check-volume']);
	t.true(plan.warnings.some(warning => warning.includes('type LUKS has the recorded encryption spec and name')), plan.warnings.join('\n'));
	const volumeId = String(results['volume:5f0c1e9a-3b6d-4c2e-9a41-7d2b8e6f1c30']);
	const volume = await admin.cinder!.getVolume(volumeId);
	t.like(volume, {
		status: 'available', size: 1, volumeTypeId: types.luks.id, encrypted: true, name: 'db-data', description: 'the database',
	});
	t.like(volume.metadata, {app: 'db', tier: 'gold'});
	t.truthy(volume.encryptionKeyId, 'a key of its own (Cinder\'s clone)');
	const images = await listAll(admin.glance!.listImages());
	t.false(images.some(image => image.name.startsWith('db-data')), 'the temporary image is gone');
	const secretsAfter = await listAll(admin.barbican!.listSecrets());
	const before = new Set(secretsBefore.map(secret => secret.id));
	const added = secretsAfter.filter(secret => !before.has(secret.id)).map(secret => secret.id);
	t.deepEqual(added, [volume.encryptionKeyId], 'only the volume\'s own key is left: the temporary image\'s key went with it');
});

test('a member, who cannot read type specs, is asked among the types seen encrypted (refused, naming --volume-type, when none is seen); an unencrypted or mismatched type is refused', async t => {
	const context = await demoCloud(t);
	const types = withTypes(context);
	const {session, admin} = context;
	const directory = path.join(await temporaryDirectory(t), 'bundle');
	await volumeBundle(directory);

	// No type is seen encrypted in the project: refused, naming --volume-type.
	const refused = reasonOf(await planBundleRestore(session, {directory, cryptsetup}));
	t.regex(refused, /cannot tell which type here has that encryption.*Name the encrypted volume type to restore it into with --volume-type T/sv);

	// Once a volume of the project shows LUKS to be encrypted, the member is asked, among the encrypted types only.
	const encryptedOne = await session.cinder!.createVolume({size: 1, name: 'encrypted-one', volumeType: types.luks.name});
	t.teardown(async () => session.cinder!.deleteVolume(encryptedOne.id).catch(() => undefined));
	const asked = await planBundleRestore(session, {directory, cryptsetup});
	if (asked.kind !== 'needs-input') {
		throw new Error(`Expected a question, got ${JSON.stringify(asked)}`);
	}

	t.is(asked.field, 'volumeType');
	t.regex(asked.question, /volume db-data .* holds a LUKS-encrypted volume .*cannot tell which type here has that encryption.*Which encrypted volume type should it be restored into\?/sv);
	t.deepEqual(asked.options.map(option => option.value), [types.luks.id]);

	t.regex(reasonOf(await planBundleRestore(admin, {directory, volumeType: 'plain', cryptsetup})), /Volume type plain is not encrypted, and volume db-data .* holds a LUKS-encrypted volume/v);
	t.regex(reasonOf(await planBundleRestore(admin, {directory, volumeType: 'nope', cryptsetup})), /Volume type nope does not exist/v);

	// A member cannot read the spec, but a plain volume of the type in the project says it is not encrypted.
	const plainVolume = await session.cinder!.createVolume({size: 1, name: 'plain-one', volumeType: types.plain.name});
	t.teardown(async () => session.cinder!.deleteVolume(plainVolume.id).catch(() => undefined));
	t.regex(reasonOf(await planBundleRestore(session, {directory, volumeType: 'plain', cryptsetup})), /Volume type plain is not encrypted \(volume plain-one/v);

	const mismatched = context.cloud.state.addVolumeType({name: 'CBC', encryption: {...luksSpec, cipher: 'aes-cbc-essiv:sha256'}});
	const differs = reasonOf(await planBundleRestore(admin, {directory, volumeType: mismatched.name, cryptsetup}));
	t.regex(differs, /does not match the encryption of volume db-data .*cipher aes-cbc-essiv:sha256, not aes-xts-plain64/v);

	// With --volume-type the member's restore runs; the last step proves the volume is encrypted.
	const {plan, results} = await restore(session, directory, 'LUKS');
	t.true(plan.warnings.some(warning => warning.includes('cannot be compared with the recorded one')), plan.warnings.join('\n'));
	const volume = await session.cinder!.getVolume(String(results['volume:5f0c1e9a-3b6d-4c2e-9a41-7d2b8e6f1c30']));
	t.like(volume, {status: 'available', encrypted: true, volumeTypeId: types.luks.id});
});

test('no type with the recorded spec: refused, nothing created', async t => {
	const context = await demoCloud(t);
	context.cloud.state.addVolumeType({name: 'CBC', encryption: {...luksSpec, cipher: 'aes-cbc-essiv:sha256'}});
	context.cloud.state.addVolumeType({name: 'plain'});
	const directory = path.join(await temporaryDirectory(t), 'bundle');
	await volumeBundle(directory);
	t.regex(reasonOf(await planBundleRestore(context.admin, {directory, cryptsetup})), /no volume type here has its encryption spec \(luks, aes-xts-plain64, 256 bit, front-end\).*--volume-type/v);
	t.deepEqual(await listAll(context.admin.cinder!.listVolumes()), []);
});

test('an unsound bundle, and a manifest of a newer schema version, are refused with their defects', async t => {
	const {session} = await demoCloud(t);
	const directory = path.join(await temporaryDirectory(t), 'bundle');
	const {manifest, data} = await volumeBundle(directory);
	const dataFile = path.join(directory, manifest.items[0]!.data!.file);
	const flipped = Buffer.from(data);
	flipped[5_000_000 % flipped.length] = (flipped[5_000_000 % flipped.length]! + 1) % 256;
	await writeFile(dataFile, flipped);
	t.regex(reasonOf(await planBundleRestore(session, {directory, volumeType: 'LUKS', cryptsetup})), /is not a sound bundle, so nothing of it is restored: .*does not match its SHA-256/v);
	await writeFile(dataFile, data);

	await writeFile(path.join(directory, 'manifest.json'), JSON.stringify({...manifest, schemaVersion: 3}));
	t.regex(reasonOf(await planBundleRestore(session, {directory, volumeType: 'LUKS', cryptsetup})), /schema version 3, newer than this backstack reads/v);

	const nowhere = path.join(directory, 'nothing-here');
	t.regex(reasonOf(await planBundleRestore(session, {directory: nowhere, cryptsetup})), /does not exist/v);
});

test('restore bundle on the command line, and the spec comparison', t => {
	t.deepEqual(restoreRequestFrom(['bundle', 'dr/db'], {volumeType: 'LUKS', flavor: 'm1.small'}), {
		kind: 'bundle', directory: 'dr/db', volumeType: 'LUKS', flavor: 'm1.small',
	});
	t.throws(() => restoreRequestFrom(['bundle'], {}), {message: 'Missing the bundle directory.'});
	t.deepEqual(specDifferences(luksSpec, {
		provider: 'nova.volume.encryptors.luks.LuksEncryptor', cipher: 'aes-xts-plain64', keySize: 256, controlLocation: 'front-end',
	}), []);
	t.deepEqual(specDifferences(luksSpec, {provider: 'plain', cipher: 'aes-xts-plain64', keySize: 512}), ['provider plain, not luks', 'key size 512, not 256']);
});
