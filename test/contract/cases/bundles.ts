/* eslint-disable @typescript-eslint/naming-convention -- Glance's own property names. */
/*
Contracts: the off-cloud DR bundle (issue 13, first slice). A bundle written from the cloud must verify offline after
the image is gone: the cloud's checksums, sizes and (for an encrypted volume's image) its LUKS container and key are what
the bundle records and verify proves.
*/
import {randomBytes} from 'node:crypto';
import {
	mkdtemp,
	readFile,
	rm,
	stat,
	writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import {Readable} from 'node:stream';
import process from 'node:process';
import type {ExecutionContext} from 'ava';
import {findCryptsetup} from '../../../source/core/bundle/luks.js';
import type {BundleManifest} from '../../../source/core/bundle/manifest.js';
import {verifyBundle} from '../../../source/core/bundle/verify.js';
import {planImageBundle, planVolumeBundle} from '../../../source/core/plans/bundle.js';
import {runPlan} from '../../../source/core/plans/execute.js';
import type {PlanEvent} from '../../../source/core/plans/types.js';
import {collect} from '../../helpers/collect.js';
import {
	ids,
	isSecretDeleted,
	makeEncryptedType,
	makeVolume,
	namedLeftovers,
	pollingClock,
	removeImage,
	removeNamed,
	services,
	waitImage,
	waitVolume,
	type Context,
	type Contract,
} from '../kit.js';

async function bundleDirectory(c: Context, label: string): Promise<string> {
	const parent = await mkdtemp(path.join(c.scratch, `bundle-${label}-`));
	return path.join(parent, 'bundle');
}

async function runBundle(c: Context, imageId: string, directory: string) {
	const planned = await planImageBundle(c.member, {imageId, directory, version: 'contract'});
	if (planned.kind !== 'plan') {
		throw new Error(`the bundle was not planned: ${JSON.stringify(planned)}`);
	}

	const events = await collect(runPlan(planned.plan, c.member, {clock: pollingClock(c)}));
	return {plan: planned.plan, end: events.at(-1)};
}

async function runVolumeBundle(c: Context, volumeId: string, directory: string) {
	const planned = await planVolumeBundle(c.member, {volumeId, directory, version: 'contract'});
	if (planned.kind !== 'plan') {
		throw new Error(`the bundle was not planned: ${JSON.stringify(planned)}`);
	}

	const events = await collect(runPlan(planned.plan, c.member, {clock: pollingClock(c)}));
	return {plan: planned.plan, events, end: events.at(-1)};
}

function removedImages(events: PlanEvent[]): string[] {
	return events.flatMap(event => event.type === 'cleanup-done' && event.resource.kind === 'image' ? [event.resource.id] : []);
}

/**
An encrypted volume of a new (non-default) encrypted type, bundled as the member: what the bundle holds, and that the
temporary image and the key clone Cinder made for it are gone afterwards.
*/
async function bundledEncryptedVolume(t: ExecutionContext, c: Context, label: string) {
	const type = await makeEncryptedType(t, c, label);
	const {cinder, glance, barbican} = services(c.member);
	const name = `bs-contract-${c.run}-${label}`;
	const volume = await makeVolume(t, c, cinder, {
		size: 1, name, volumeType: type.name, metadata: {tier: 'gold'},
	});
	t.teardown(async () => removeNamed(c, c.member, `backstack-tmp-${name}`));
	const directory = await bundleDirectory(c, label);
	t.teardown(async () => rm(path.dirname(directory), {recursive: true, force: true}));
	const secretsBefore = ids(await collect(barbican.listSecrets())).toSorted();

	const {plan, events, end} = await runVolumeBundle(c, volume.id, directory);
	t.is(end?.type, 'plan-done', JSON.stringify(events.filter(event => ['plan-failed', 'step-failed', 'cleanup-failed'].includes(event.type))));
	t.true(plan.warnings.some(warning => warning.includes('PLAINTEXT')));
	const manifest = JSON.parse(await readFile(path.join(directory, 'manifest.json'), 'utf8')) as BundleManifest;
	const [item] = manifest.items;
	t.is(item?.kind, 'volume');
	t.is(item?.id, volume.id);

	const [imageId] = removedImages(events);
	t.truthy(imageId, 'the plan removed its temporary image');
	t.is(await glance.findImage(imageId!), undefined, 'the temporary image is gone');
	t.true(await isSecretDeleted(c, barbican, item!.encryption!.sourceSecretId), 'Glance deleted the image\'s key clone with it (on_image_deletion)');
	t.deepEqual(await namedLeftovers(c.member, `backstack-tmp-${name}`), []);
	const secretsAfter = ids(await collect(barbican.listSecrets())).toSorted();
	t.deepEqual(secretsAfter, secretsBefore, 'no secret was left behind');
	const after = await cinder.getVolume(volume.id);
	t.is(after.status, 'available');
	return {
		type, volume, directory, manifest,
	};
}

export function registerBundles(contract: Contract): void {
	contract('an encrypted volume of a non-default type bundles as the member, leaves no temporary image or key clone, and verifies sound offline', async (t, c) => {
		const {type, volume, directory, manifest} = await bundledEncryptedVolume(t, c, 'vbundle');
		const [item] = manifest.items;
		t.like(item?.kind === 'volume' ? item.volume : undefined, {size: 1, bootable: false, metadata: {tier: 'gold'}});
		t.deepEqual(item?.kind === 'volume' ? item.volume.volumeType : undefined, {
			name: type.name,
			id: type.id,
			encryption: {
				provider: 'luks', cipher: 'aes-xts-plain64', keySize: 256, controlLocation: 'front-end',
			},
		}, 'the type\'s encryption spec, as the member reads it from the volume');
		t.like(item?.encryption, {passphrase: 'hexlify', keyDeletionPolicy: 'on_image_deletion', keySize: 32});
		const data = await stat(path.join(directory, item!.data!.file));
		t.is(data.size, item!.data!.size, 'the file is the image Glance had, to the byte');
		t.is(item?.glance?.diskFormat, 'raw');
		t.is(volume.encrypted, true);

		// The key check against the LUKS header is the next contract; here the files and checksums.
		const report = await verifyBundle(directory, {cryptsetup: undefined});
		t.deepEqual(report.defects, []);
		t.true(report.notes.some(note => note.includes(`volume-${volume.id}.raw`) && note.includes('match')), report.notes.join('\n'));
	});

	/*
	Cinder uploads an encrypted volume as a LUKS container (the demo cloud too, as the real cloud's NFS driver does): the
	bundled key must open the header of the volume Cinder uploaded.
	*/
	contract('an encrypted volume\'s bundle holds a key that opens its LUKS header; another key does not', async (t, c) => {
		const cryptsetup = await findCryptsetup(process.env['PATH']);
		if (cryptsetup === undefined) {
			t.fail('this contract needs cryptsetup (Debian: cryptsetup-bin) to prove the key against the LUKS header');
			return;
		}

		const {volume, directory, manifest} = await bundledEncryptedVolume(t, c, 'vbundle-luks');
		const sound = await verifyBundle(directory, {cryptsetup});
		t.deepEqual(sound.defects, []);
		t.true(sound.notes.some(note => note.includes('opens a key slot')), sound.notes.join('\n'));

		const encryption = manifest.items[0]!.encryption!;
		await writeFile(path.join(directory, encryption.keyFile), randomBytes(encryption.keySize), {mode: 0o600});
		const wrong = await verifyBundle(directory, {cryptsetup});
		t.deepEqual(wrong.defects, [`${encryption.keyFile} does not open the LUKS header of volume-${volume.id}.raw: it is not this data's key.`]);
	});

	contract('a plain image bundles into a directory that verifies sound offline after the image is deleted', async (t, c) => {
		const {glance} = services(c.member);
		const data = randomBytes(700_000);
		const image = await glance.createImage({
			name: `bs-contract-${c.run}-bundle`, diskFormat: 'raw', containerFormat: 'bare', properties: {os_distro: 'debian', hw_disk_bus: 'scsi'},
		});
		t.teardown(async () => removeImage(c, glance, image.id));
		await glance.uploadImageData(image.id, Readable.from([data]), {size: data.length});
		const active = await waitImage(c, glance, image.id, ['active']);
		const directory = await bundleDirectory(c, 'plain');
		t.teardown(async () => rm(path.dirname(directory), {recursive: true, force: true}));

		const {end} = await runBundle(c, image.id, directory);
		t.is(end?.type, 'plan-done', JSON.stringify(end));
		await removeImage(c, glance, image.id);
		t.is(await glance.findImage(image.id), undefined, 'the image is gone: what follows needs no cloud');

		const manifest = JSON.parse(await readFile(path.join(directory, 'manifest.json'), 'utf8')) as BundleManifest;
		const [item] = manifest.items;
		t.is(item?.id, image.id);
		t.is(item?.data?.size, data.length);
		t.is(item?.glance?.checksum, active.checksum, 'Glance\'s md5 as the cloud computed it');
		t.is(item?.glance?.hashAlgo, active.hashAlgo);
		t.is(item?.glance?.hashValue, active.hashValue);
		t.deepEqual(item?.glance?.properties, {os_distro: 'debian', hw_disk_bus: 'scsi'}, 'the image\'s own properties, none of Glance\'s bookkeeping');
		t.is(manifest.source.project.id, c.member.identity.token().projectId);
		t.deepEqual(await readFile(path.join(directory, item!.data!.file)), data);

		const report = await verifyBundle(directory, {cryptsetup: await findCryptsetup(process.env['PATH'])});
		t.deepEqual(report.defects, []);
		t.true(report.notes.some(note => note.includes('match')), report.notes.join('\n'));
	});

	/*
	Cinder uploads an encrypted volume as its LUKS container, with a key clone for the image (the demo cloud as the real
	one): the bundled key must open that header.
	*/
	contract('an encrypted volume\'s image bundles with a key that opens its LUKS header; another key does not', async (t, c) => {
		const cryptsetup = await findCryptsetup(process.env['PATH']);
		if (cryptsetup === undefined) {
			t.fail('this contract needs cryptsetup (Debian: cryptsetup-bin) to prove the key against the LUKS header');
			return;
		}

		const type = await makeEncryptedType(t, c, 'bundle');
		const {cinder, glance} = services(c.member);
		const volume = await makeVolume(t, c, cinder, {size: 1, name: `bs-contract-${c.run}-bundle-src`, volumeType: type.name});
		const {imageId} = await cinder.uploadVolumeToImage(volume.id, {imageName: `bs-contract-${c.run}-bundle-enc`, diskFormat: 'raw', containerFormat: 'bare'});
		t.teardown(async () => removeImage(c, glance, imageId));
		await waitImage(c, glance, imageId, ['active']);
		await waitVolume(c, cinder, volume.id, ['available']);
		const directory = await bundleDirectory(c, 'encrypted');
		t.teardown(async () => rm(path.dirname(directory), {recursive: true, force: true}));

		const {plan, end} = await runBundle(c, imageId, directory);
		t.is(end?.type, 'plan-done', JSON.stringify(end));
		t.true(plan.warnings.some(warning => warning.includes('PLAINTEXT')));
		const manifest = JSON.parse(await readFile(path.join(directory, 'manifest.json'), 'utf8')) as BundleManifest;
		const encryption = manifest.items[0]?.encryption;
		t.truthy(encryption, 'the manifest records the key');
		t.is(encryption?.passphrase, 'hexlify');

		const sound = await verifyBundle(directory, {cryptsetup});
		t.deepEqual(sound.defects, []);
		t.true(sound.notes.some(note => note.includes('opens a key slot')), sound.notes.join('\n'));

		await writeFile(path.join(directory, encryption!.keyFile), randomBytes(encryption!.keySize), {mode: 0o600});
		const wrong = await verifyBundle(directory, {cryptsetup});
		t.true(wrong.defects.some(defect => defect.includes('does not open the LUKS header')), wrong.defects.join('\n'));
	});
}
