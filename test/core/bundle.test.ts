/* eslint-disable @typescript-eslint/naming-convention -- Glance's own property names. */
/*
The DR bundle (issue 13, first slice): `backup bundle image` against the demo cloud's Glance and Barbican, and the offline
`verify bundle` against what it wrote, and against bundles damaged on purpose. The encrypted case uses a real LUKS1
header made by cryptsetup, opened the way Cinder does (hexlified key).
*/
import {Buffer} from 'node:buffer';
import {randomBytes} from 'node:crypto';
import {
	chmod,
	mkdir,
	readdir,
	readFile,
	rm,
	stat,
	truncate,
	writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import {Readable} from 'node:stream';
import test, {type ExecutionContext} from 'ava';
import {findCryptsetup} from '../../source/core/bundle/luks.js';
import {bundleManifestSchema, parseManifest, type BundleManifest} from '../../source/core/bundle/manifest.js';
import {verifyBundle} from '../../source/core/bundle/verify.js';
import {planImageBundle, planVolumeBundle} from '../../source/core/plans/bundle.js';
import {toOpenstackCli} from '../../source/core/plans/cli-export.js';
import type {PlanEvent} from '../../source/core/plans/types.js';
import type {CloudSession} from '../../source/openstack/api.js';
import {
	demoCloud,
	fastClock,
	last,
	listAll,
	permissionsOf,
	runToEnd,
	temporaryDirectory,
	until,
	volumeNames,
	runTool,
	planOf,
} from './plans/helpers.js';

const cryptsetup = await findCryptsetup(process.env['PATH']);

async function imageWith(session: CloudSession, data: Uint8Array, properties: Record<string, string> = {}): Promise<string> {
	const glance = session.glance!;
	const image = await glance.createImage({
		name: 'bundle-me', diskFormat: 'raw', containerFormat: 'bare', properties: {os_distro: 'debian', ...properties},
	});
	await glance.uploadImageData(image.id, Readable.from([data]), {size: data.byteLength});
	return image.id;
}

async function bundle(session: CloudSession, imageId: string, directory: string) {
	const plan = planOf(await planImageBundle(session, {imageId, directory, version: '9.9.9'}));
	const events = await runToEnd(plan, session, {clock: fastClock()});
	return {plan, events};
}

async function manifestIn(directory: string): Promise<BundleManifest> {
	return JSON.parse(await readFile(path.join(directory, 'manifest.json'), 'utf8')) as BundleManifest;
}

async function writeManifest(directory: string, manifest: unknown): Promise<void> {
	await writeFile(path.join(directory, 'manifest.json'), JSON.stringify(manifest));
}

/**
A plain image bundled into a fresh directory: the directory, the manifest, the image's bytes.
*/
async function plainBundle(t: ExecutionContext) {
	const {session} = await demoCloud(t);
	const data = randomBytes(300_000);
	// What openstacksdk records of an upload it made: bookkeeping, not a property a restore should copy.
	const imageId = await imageWith(session, data, {'owner_specified.openstack.md5': '', 'owner_specified.openstack.object': 'images/bundle-me'});
	const directory = path.join(await temporaryDirectory(t), 'bundle');
	const {events} = await bundle(session, imageId, directory);
	t.is(last(events)?.type, 'plan-done', JSON.stringify(events.filter(event => event.type === 'plan-failed' || event.type === 'step-failed')));
	return {
		session, imageId, data, directory, manifest: await manifestIn(directory),
	};
}

test('a demo image bundles (directory 0700, files 0600, nothing secret) and verifies sound offline', async t => {
	const {imageId, data, directory, manifest} = await plainBundle(t);
	t.is(await permissionsOf(directory), 0o700);
	const files = await readdir(directory);
	t.deepEqual(files.toSorted(), [`image-${imageId}.raw`, 'manifest.json']);
	t.is(await permissionsOf(path.join(directory, `image-${imageId}.raw`)), 0o600);
	t.deepEqual(await readFile(path.join(directory, `image-${imageId}.raw`)), Buffer.from(data));

	const checked = await parseManifest(JSON.stringify(manifest));
	t.false('defects' in checked, JSON.stringify(checked));
	t.is(manifest.schemaVersion, 2);
	t.is(manifest.backstackVersion, '9.9.9');
	t.is(manifest.source.cloud, 'demo');
	t.is(manifest.source.project.name, 'demo');
	const [item] = manifest.items;
	t.is(item?.data?.size, data.byteLength);
	t.is(item?.glance?.diskFormat, 'raw');
	t.deepEqual(item?.glance?.properties, {os_distro: 'debian'});
	t.is(item?.encryption, undefined);

	const report = await verifyBundle(directory, {cryptsetup});
	t.deepEqual(report.defects, []);
	t.true(report.notes.some(note => note.includes('SHA-256, md5, sha512 match')), report.notes.join('\n'));
});

test('verify names a flipped byte, a missing file, a manifest failing its schema and a newer schema version', async t => {
	const {imageId, directory, manifest} = await plainBundle(t);
	const dataFile = path.join(directory, `image-${imageId}.raw`);
	const original = await readFile(dataFile);

	const flipped = Buffer.from(original);
	flipped[123_456] = (flipped[123_456]! + 1) % 256;
	await writeFile(dataFile, flipped);
	const afterFlip = await verifyBundle(directory, {cryptsetup});
	t.true(afterFlip.defects.some(defect => defect.includes('does not match its SHA-256')), afterFlip.defects.join('\n'));
	t.true(afterFlip.defects.some(defect => defect.includes('md5')), 'Glance\'s own checksum catches it too');

	// A manifest "repaired" to the damaged data's SHA-256 is still caught by Glance's checksums it records.
	const {createHash} = await import('node:crypto');
	await writeManifest(directory, {...manifest, items: [{...manifest.items[0]!, data: {...manifest.items[0]!.data, sha256: createHash('sha256').update(flipped).digest('hex')}}]});
	const edited = await verifyBundle(directory, {cryptsetup});
	t.false(edited.defects.some(defect => defect.includes('SHA-256')));
	t.true(edited.defects.some(defect => defect.includes('md5')) && edited.defects.some(defect => defect.includes('sha512')), edited.defects.join('\n'));

	await writeManifest(directory, manifest);
	await rm(dataFile);
	const missing = await verifyBundle(directory, {cryptsetup});
	t.deepEqual(missing.defects, [`image-${imageId}.raw (image bundle-me (${imageId})) is missing.`]);

	await writeFile(dataFile, original);
	await truncate(dataFile, original.byteLength - 1);
	const short = await verifyBundle(directory, {cryptsetup});
	t.deepEqual(short.defects, [`image-${imageId}.raw has ${original.byteLength - 1} bytes; the manifest says ${original.byteLength}.`]);

	await writeFile(dataFile, original);
	const restored = await verifyBundle(directory, {cryptsetup});
	t.deepEqual(restored.defects, [], 'sound again with the original bytes');

	const {sha256: _dropped, ...withoutHash} = manifest.items[0]!.data!;
	await writeManifest(directory, {...manifest, items: [{...manifest.items[0]!, data: withoutHash}]});
	const noHash = await verifyBundle(directory, {cryptsetup});
	t.deepEqual(noHash.defects, ['manifest.json fails its schema: /items/0/data: must have required property \'sha256\'']);

	await writeManifest(directory, {...manifest, items: [{...manifest.items[0]!, data: {...manifest.items[0]!.data, file: '../outside'}}]});
	const escape = await verifyBundle(directory, {cryptsetup});
	t.true(escape.defects.length === 1 && escape.defects[0]!.startsWith('manifest.json fails its schema: /items/0/data/file'), escape.defects.join('\n'));

	await writeManifest(directory, {...manifest, schemaVersion: 3, somethingNew: true});
	const newer = await verifyBundle(directory, {cryptsetup});
	t.is(newer.defects.length, 1);
	t.regex(newer.defects[0]!, /schema version 3, newer than this backstack reads \(up to 2\)/v);

	await writeFile(path.join(directory, 'manifest.json'), '{"format": "backstack-bundle",');
	const broken = await verifyBundle(directory, {cryptsetup});
	t.regex(broken.defects[0] ?? '', /^manifest\.json is not JSON/v);
});

test('an interrupted bundle continues from its .part; a finished one and a foreign directory are refused', async t => {
	const {session} = await demoCloud(t);
	const data = randomBytes(200_000);
	const imageId = await imageWith(session, data);
	const directory = path.join(await temporaryDirectory(t), 'bundle');
	await mkdir(directory, {mode: 0o755});
	await writeFile(path.join(directory, `image-${imageId}.raw.part`), data.subarray(0, 70_000), {mode: 0o600});

	const plan = planOf(await planImageBundle(session, {imageId, directory}));
	t.regex(plan.steps.find(step => step.id === 'download')?.note ?? '', /Continues the earlier run's/v);
	const events = await runToEnd(plan, session, {clock: fastClock()});
	t.is(last(events)?.type, 'plan-done');
	const first = events.find(event => event.type === 'bytes');
	t.is(first?.type === 'bytes' ? first.transferred : undefined, 70_000, 'the download started where the partial file ended');
	t.is(await permissionsOf(directory), 0o700, 'an existing directory is made 0700 too');
	const resumedReport = await verifyBundle(directory, {cryptsetup});
	t.deepEqual(resumedReport.defects, []);

	const again = await planImageBundle(session, {imageId, directory});
	t.is(again.kind, 'refusal');
	t.regex(again.kind === 'refusal' ? again.reason : '', /already holds a finished bundle of image .*backstack verify bundle/v);

	const other = path.join(await temporaryDirectory(t), 'photos');
	await mkdir(other);
	await writeFile(path.join(other, 'holiday.jpg'), 'not a bundle');
	const foreign = await planImageBundle(session, {imageId, directory: other});
	t.is(foreign.kind, 'refusal');
	t.regex(foreign.kind === 'refusal' ? foreign.reason : '', /is not empty and is not a bundle of this item \(it holds holiday\.jpg\)/v);

	const otherImage = await imageWith(session, randomBytes(1000));
	const ofAnother = await planImageBundle(session, {imageId: otherImage, directory});
	t.is(ofAnother.kind, 'refusal', 'a finished bundle of another image is not written into');

	// A finished data file of an earlier run that died before its manifest: kept, hashed again, no second download.
	const resumed = path.join(await temporaryDirectory(t), 'resumed');
	await mkdir(resumed, {mode: 0o700});
	await writeFile(path.join(resumed, `image-${imageId}.raw`), data, {mode: 0o600});
	const rest = planOf(await planImageBundle(session, {imageId, directory: resumed}));
	t.deepEqual(rest.steps.map(step => step.id), ['directory', 'manifest']);
	const restEvents = await runToEnd(rest, session, {clock: fastClock()});
	t.is(last(restEvents)?.type, 'plan-done');

	// The same, with a file that is not the image: the manifest is not written.
	const damaged = path.join(await temporaryDirectory(t), 'damaged');
	await mkdir(damaged, {mode: 0o700});
	await writeFile(path.join(damaged, `image-${imageId}.raw`), randomBytes(data.byteLength), {mode: 0o600});
	const damagedPlan = planOf(await planImageBundle(session, {imageId, directory: damaged}));
	const failing = await runToEnd(damagedPlan, session, {clock: fastClock()});
	const failed = last(failing);
	t.is(failed?.type, 'plan-failed');
	t.regex(failed?.type === 'plan-failed' ? failed.reason : '', /does not match the md5 checksum Glance has/v);
	const left = await readdir(damaged);
	t.false(left.includes('manifest.json'));
});

test('--export-cli of a bundle is a script of openstack and shell commands that writes the manifest last', async t => {
	const {session} = await demoCloud(t);
	const imageId = await imageWith(session, randomBytes(1000));
	const directory = path.join(await temporaryDirectory(t), 'bundle');
	const script = toOpenstackCli(planOf(await planImageBundle(session, {imageId, directory})));
	t.true(script.includes(`mkdir -p ${directory} && chmod 0700 ${directory}`));
	// The data file is the owner's only from the moment it exists, as backstack's own download makes it.
	t.true(script.includes(`(umask 077 && openstack image save --file ${directory}/image-${imageId}.raw ${imageId})`));
	t.true(script.indexOf('sha256sum') > script.indexOf('openstack image save'));
	t.regex(script, /umask 077 && printf .*"schemaVersion": 2/sv);
	const file = path.join(directory, '..', 'bundle.sh');
	await writeFile(file, script);
	await t.notThrowsAsync(runTool('bash', ['-n', file]), 'the script parses');
});

test('docs/bundle-manifest.schema.json is the schema the validator uses', async t => {
	const file = JSON.parse(await readFile(path.resolve(import.meta.dirname, '../../docs/bundle-manifest.schema.json'), 'utf8')) as unknown;
	t.deepEqual(file, structuredClone(bundleManifestSchema));
});

/**
A raw LUKS1 volume image of `size` bytes whose passphrase is the hex of `key` (what Cinder's os-brick does).
*/
async function luksImage(directory: string, key: Uint8Array, size = 4 * 1024 * 1024): Promise<Uint8Array> {
	const file = path.join(directory, `luks-${randomBytes(4).toString('hex')}.img`);
	const passphrase = path.join(directory, 'passphrase');
	await writeFile(file, Buffer.alloc(0));
	await truncate(file, size);
	await writeFile(passphrase, Buffer.from(key).toString('hex'), {mode: 0o600});
	await runTool(cryptsetup!, ['luksFormat', '--type', 'luks1', '--batch-mode', '--pbkdf-force-iterations', '1000', '--key-file', passphrase, file]);
	await rm(passphrase);
	return readFile(file);
}

test('an image of an encrypted volume bundles with its key (0600), which verify proves against the LUKS header', async t => {
	if (cryptsetup === undefined) {
		t.log('cryptsetup is not installed here: the LUKS half of this test cannot run');
	}

	const {session} = await demoCloud(t);
	const scratch = await temporaryDirectory(t);
	const key = randomBytes(32);
	const data = cryptsetup === undefined ? randomBytes(65_536) : await luksImage(scratch, key);
	const {id: secretId} = await session.barbican!.storeSecret({
		name: 'volume-key', payload: key, algorithm: 'aes', bitLength: 256, mode: 'xts', secretType: 'symmetric',
	});
	const imageId = await imageWith(session, data, {cinder_encryption_key_id: secretId, cinder_encryption_key_deletion_policy: 'on_image_deletion'});
	const directory = path.join(scratch, 'bundle');
	const {plan, events} = await bundle(session, imageId, directory);
	t.true(plan.warnings.some(warning => warning.includes('PLAINTEXT')));
	t.deepEqual(plan.steps.map(step => step.id), ['directory', 'key', 'download', 'manifest']);
	t.is(last(events)?.type, 'plan-done', JSON.stringify(events.filter(event => event.type === 'plan-failed')));

	const keyFile = path.join(directory, `image-${imageId}.key`);
	t.is(await permissionsOf(keyFile), 0o600);
	t.deepEqual(await readFile(keyFile), key);
	const manifestText = await readFile(path.join(directory, 'manifest.json'), 'utf8');
	t.false(manifestText.includes(key.toString('hex')), 'the key is not in the manifest');
	t.false(manifestText.includes(key.toString('base64')), 'the key is not in the manifest');
	const manifest = JSON.parse(manifestText) as BundleManifest;
	t.deepEqual(manifest.items[0]?.encryption, {
		keyFile: `image-${imageId}.key`,
		passphrase: 'hexlify',
		sourceSecretId: secretId,
		keyDeletionPolicy: 'on_image_deletion',
		secret: {
			secretType: 'symmetric', algorithm: 'aes', bitLength: 256, mode: 'xts',
		},
		keySize: 32,
	});
	t.false(Object.hasOwn(manifest.items[0]?.glance?.properties ?? {}, 'cinder_encryption_key_id'), 'the key reference is under encryption only');

	const unchecked = await verifyBundle(directory, {cryptsetup: undefined});
	t.deepEqual(unchecked.defects, []);
	t.true(unchecked.notes.some(note => note.includes('NOT checked against the data: cryptsetup is not installed')), unchecked.notes.join('\n'));

	await chmod(keyFile, 0o644);
	const open = await verifyBundle(directory, {cryptsetup: undefined});
	t.true(open.defects.some(defect => defect.includes('is open to others (mode 644)')), open.defects.join('\n'));
	await chmod(keyFile, 0o600);

	if (cryptsetup === undefined) {
		return;
	}

	const sound = await verifyBundle(directory, {cryptsetup});
	t.deepEqual(sound.defects, []);
	t.true(sound.notes.some(note => note.includes('opens a key slot')), sound.notes.join('\n'));

	// Another volume's key of the same size: the header refuses it.
	await writeFile(keyFile, randomBytes(32), {mode: 0o600});
	const wrong = await verifyBundle(directory, {cryptsetup});
	t.deepEqual(wrong.defects, [`image-${imageId}.key does not open the LUKS header of image-${imageId}.raw: it is not this data's key.`]);
	const wrongKey = await stat(keyFile);
	t.is(wrongKey.size, 32);
});

test('a key file an earlier run left cut short is not taken into the manifest', async t => {
	const {session} = await demoCloud(t);
	const key = randomBytes(32);
	const {id: secretId} = await session.barbican!.storeSecret({
		name: 'volume-key', payload: key, algorithm: 'aes', bitLength: 256, secretType: 'symmetric',
	});
	const data = randomBytes(10_000);
	const imageId = await imageWith(session, data, {cinder_encryption_key_id: secretId});
	const directory = path.join(await temporaryDirectory(t), 'bundle');
	await mkdir(directory, {mode: 0o700});
	await writeFile(path.join(directory, `image-${imageId}.key`), key.subarray(0, 16), {mode: 0o600});
	const plan = planOf(await planImageBundle(session, {imageId, directory}));
	t.deepEqual(plan.steps.map(step => step.id), ['directory', 'download', 'manifest'], 'the key file of the earlier run is kept');
	const end = last(await runToEnd(plan, session, {clock: fastClock()}));
	t.regex(end?.type === 'plan-failed' ? end.reason : JSON.stringify(end), /key file image-.*\.key has 16 bytes, the 256-bit secret needs 32: delete it/v);
	const left = await readdir(directory);
	t.false(left.includes('manifest.json'));
});

const luksSpec = {
	provider: 'luks', cipher: 'aes-xts-plain64', keySize: 256, controlLocation: 'front-end',
};

async function volumeIn(session: CloudSession, request: {name: string; volumeType?: string; metadata?: Record<string, string>; description?: string}) {
	const {id} = await session.cinder!.createVolume({size: 1, ...request});
	return until(async () => session.cinder!.getVolume(id), volume => volume.status === 'available');
}

async function bundleVolume(session: CloudSession, volumeId: string, directory: string) {
	const plan = planOf(await planVolumeBundle(session, {volumeId, directory, version: '9.9.9'}));
	const events = await runToEnd(plan, session, {clock: fastClock()});
	const failures = events.filter(event => ['plan-failed', 'step-failed', 'cleanup-failed'].includes(event.type));
	return {plan, events, failures};
}

async function secretIds(session: CloudSession): Promise<string[]> {
	const secrets = await listAll(session.barbican!.listSecrets());
	return secrets.map(secret => secret.id).toSorted();
}

async function defectsOf(directory: string): Promise<string[]> {
	const report = await verifyBundle(directory, {cryptsetup});
	return report.defects;
}

function removedImages(events: PlanEvent[]): string[] {
	return events.flatMap(event => event.type === 'cleanup-done' && event.resource.kind === 'image' ? [event.resource.id] : []);
}

test('a plain volume bundles through a temporary image, which is gone afterwards; the manifest holds its volume block', async t => {
	const {session} = await demoCloud(t);
	const volume = await volumeIn(session, {name: 'db-data', metadata: {tier: 'gold'}, description: 'the database'});
	const directory = path.join(await temporaryDirectory(t), 'bundle');
	const {plan, events, failures} = await bundleVolume(session, volume.id, directory);
	t.deepEqual(plan.steps.map(step => step.id), ['directory', 'upload', 'download', 'record', 'release', 'manifest']);
	t.true(plan.steps.find(step => step.id === 'upload')?.creates?.temporary, 'the image is a temporary');
	t.is(last(events)?.type, 'plan-done', JSON.stringify(failures));

	const [imageId] = removedImages(events);
	t.truthy(imageId, 'the temporary image was removed by the plan');
	t.is(await session.glance!.findImage(imageId!), undefined);
	const images = await listAll(session.glance!.listImages());
	t.deepEqual(images.filter(image => image.name.startsWith('backstack-tmp-')), []);
	const after = await session.cinder!.getVolume(volume.id);
	t.is(after.status, 'available');

	t.is(await permissionsOf(directory), 0o700);
	const files = await readdir(directory);
	t.deepEqual(files.toSorted(), ['manifest.json', `volume-${volume.id}.raw`]);
	const manifest = await manifestIn(directory);
	t.false('defects' in await parseManifest(JSON.stringify(manifest)));
	const [item] = manifest.items;
	t.is(item?.kind, 'volume');
	t.is(item?.id, volume.id);
	t.is(item?.name, 'db-data');
	t.is(item?.encryption, undefined);
	t.is(item?.glance?.diskFormat, 'raw');
	t.false(Object.keys(item?.glance?.properties ?? {}).some(key => key.startsWith('backstack_')), 'backstack\'s mark of the upload is bookkeeping');
	const data = await readFile(path.join(directory, `volume-${volume.id}.raw`));
	t.is(item?.data?.size, data.byteLength);
	t.deepEqual(item?.kind === 'volume' ? item.volume : undefined, {
		size: 1,
		bootable: false,
		description: 'the database',
		availabilityZone: volume.availabilityZone,
		metadata: {tier: 'gold'},
		volumeType: {name: volume.volumeType!, id: volume.volumeTypeId!},
	});

	const report = await verifyBundle(directory, {cryptsetup});
	t.deepEqual(report.defects, []);
	t.true(report.notes.some(note => note.includes(`volume-${volume.id}.raw`) && note.includes('match')), report.notes.join('\n'));

	// Verify names the volume when its data is gone.
	await rm(path.join(directory, `volume-${volume.id}.raw`));
	const missing = await verifyBundle(directory, {cryptsetup});
	t.deepEqual(missing.defects, [`volume-${volume.id}.raw (volume db-data (${volume.id})) is missing.`]);

	const again = await planVolumeBundle(session, {volumeId: volume.id, directory});
	t.regex(again.kind === 'refusal' ? again.reason : '', /already holds a finished bundle of volume db-data/v);
});

test('an encrypted volume of a non-default type bundles with the key clone of its temporary image, which goes with the image', async t => {
	const {session, cloud} = await demoCloud(t);
	const type = cloud.state.addVolumeType({name: 'LUKS-gold', encryption: luksSpec});
	const volume = await volumeIn(session, {name: 'vault', volumeType: 'LUKS-gold'});
	t.true(volume.encrypted);
	const key = await session.barbican!.getSecretPayload(volume.encryptionKeyId!);
	if (cryptsetup !== undefined) {
		// The demo's volume bytes become a real LUKS container opened by the volume's key, as Cinder's would be.
		cloud.state.volumes.get(volume.id)!.content = Buffer.from(await luksImage(await temporaryDirectory(t), key));
	}

	const secretsBefore = await secretIds(session);
	const directory = path.join(await temporaryDirectory(t), 'bundle');
	const {plan, events, failures} = await bundleVolume(session, volume.id, directory);
	t.deepEqual(plan.steps.map(step => step.id), ['directory', 'upload', 'key', 'download', 'record', 'release', 'manifest']);
	t.true(plan.warnings.some(warning => warning.includes('PLAINTEXT')));
	t.is(last(events)?.type, 'plan-done', JSON.stringify(failures));
	t.deepEqual(await secretIds(session), secretsBefore, 'no key clone is left');
	const [imageId] = removedImages(events);
	t.is(await session.glance!.findImage(imageId!), undefined);

	const keyFile = path.join(directory, `volume-${volume.id}.key`);
	t.is(await permissionsOf(keyFile), 0o600);
	t.deepEqual(await readFile(keyFile), Buffer.from(key), 'the clone holds the volume\'s key');
	const manifestText = await readFile(path.join(directory, 'manifest.json'), 'utf8');
	t.false(manifestText.includes(Buffer.from(key).toString('hex')));
	const manifest = JSON.parse(manifestText) as BundleManifest;
	const [item] = manifest.items;
	t.like(item?.encryption, {
		keyFile: `volume-${volume.id}.key`, passphrase: 'hexlify', keyDeletionPolicy: 'on_image_deletion', keySize: 32,
	});
	t.not(item?.encryption?.sourceSecretId, volume.encryptionKeyId, 'read from the image\'s own clone');
	t.deepEqual(item?.kind === 'volume' ? item.volume.volumeType : undefined, {name: 'LUKS-gold', id: type.id, encryption: luksSpec});

	const report = await verifyBundle(directory, {cryptsetup});
	t.deepEqual(report.defects, []);
	if (cryptsetup === undefined) {
		t.log('cryptsetup is not installed here: the key was not tried against a LUKS header');
		return;
	}

	t.true(report.notes.some(note => note.includes('opens a key slot')), report.notes.join('\n'));
	await writeFile(keyFile, randomBytes(32), {mode: 0o600});
	t.deepEqual(await defectsOf(directory), [`volume-${volume.id}.key does not open the LUKS header of volume-${volume.id}.raw: it is not this data's key.`]);
});

test('an in-use volume is bundled through the snapshot detour; every temporary is removed', async t => {
	const {session, cloud} = await demoCloud(t);
	const volume = await volumeIn(session, {name: 'busy'});
	cloud.state.volumes.get(volume.id)!.status = 'in-use';
	const directory = path.join(await temporaryDirectory(t), 'bundle');
	const {plan, events, failures} = await bundleVolume(session, volume.id, directory);
	t.deepEqual(plan.steps.map(step => step.id), ['directory', 'snapshot', 'temporary-volume', 'upload', 'download', 'record', 'release', 'manifest']);
	t.true(plan.warnings.some(warning => warning.includes('crash-consistent')));
	const snapshot = plan.steps[1]!;
	t.true(snapshot.action.op === 'cinder.createSnapshot' && snapshot.action.args.force === true);
	t.is(last(events)?.type, 'plan-done', JSON.stringify(failures));
	t.deepEqual(events.flatMap(event => event.type === 'cleanup-done' ? [event.resource.kind] : []), ['image', 'volume', 'snapshot']);
	// Removed by the release step, as soon as the bytes were downloaded: before the manifest was written.
	t.true(events.every(event => event.type !== 'cleanup-done' || event.stepId === 'release'));
	const manifestStart = events.findIndex(event => event.type === 'step-start' && event.stepId === 'manifest');
	t.true(events.findLastIndex(event => event.type === 'cleanup-done') < manifestStart);
	t.deepEqual(await volumeNames(session), ['busy']);
	t.deepEqual(await listAll(session.cinder!.listSnapshots()), []);
	const manifest = await manifestIn(directory);
	t.is(manifest.items[0]?.id, volume.id, 'the item is the volume, not the temporary copy');
	t.deepEqual(await defectsOf(directory), []);
});

test('a volume bundle refuses a foreign directory and a volume in error; an interrupted one continues; --export-cli parses', async t => {
	const {session, cloud} = await demoCloud(t);
	const volume = await volumeIn(session, {name: 'data'});
	const other = path.join(await temporaryDirectory(t), 'photos');
	await mkdir(other);
	await writeFile(path.join(other, 'holiday.jpg'), 'not a bundle');
	const foreign = await planVolumeBundle(session, {volumeId: volume.id, directory: other});
	t.regex(foreign.kind === 'refusal' ? foreign.reason : '', /is not empty and is not a bundle of this item \(it holds holiday\.jpg\)/v);

	const missing = await planVolumeBundle(session, {volumeId: 'no-such-volume', directory: other});
	t.is(missing.kind, 'refusal');

	const directory = path.join(await temporaryDirectory(t), 'bundle');
	await mkdir(directory, {mode: 0o755});
	const bytes = cloud.state.contentOf(cloud.state.volumes.get(volume.id)!);
	await writeFile(path.join(directory, `volume-${volume.id}.raw.part`), bytes.subarray(0, 1000), {mode: 0o600});
	const plan = planOf(await planVolumeBundle(session, {volumeId: volume.id, directory}));
	t.regex(plan.steps.find(step => step.id === 'download')?.note ?? '', /Continues the earlier run's/v);

	const script = toOpenstackCli(plan);
	t.true(script.includes(`openstack image create --volume ${volume.id}`));
	t.true(script.includes(`openstack image save --file ${directory}/volume-${volume.id}.raw`));
	t.regex(script, /umask 077 && printf .*"kind": "volume"/sv);
	const file = path.join(directory, '..', 'bundle.sh');
	await writeFile(file, script);
	await t.notThrowsAsync(runTool('bash', ['-n', file]), 'the script parses');

	const events = await runToEnd(plan, session, {clock: fastClock()});
	t.is(last(events)?.type, 'plan-done');
	const first = events.find(event => event.type === 'bytes');
	t.is(first?.type === 'bytes' ? first.transferred : undefined, 1000, 'the download started where the partial file ended');
	t.is(await permissionsOf(directory), 0o700);
	t.deepEqual(await defectsOf(directory), []);

	cloud.state.volumes.get(volume.id)!.status = 'error';
	const broken = await planVolumeBundle(session, {volumeId: volume.id, directory: path.join(await temporaryDirectory(t), 'b')});
	t.regex(broken.kind === 'refusal' ? broken.reason : '', /is error; only an available or in-use volume can be bundled/v);
});
