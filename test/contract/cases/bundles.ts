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
	writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import {Readable} from 'node:stream';
import process from 'node:process';
import {findCryptsetup} from '../../../source/core/bundle/luks.js';
import type {BundleManifest} from '../../../source/core/bundle/manifest.js';
import {verifyBundle} from '../../../source/core/bundle/verify.js';
import {planImageBundle} from '../../../source/core/plans/bundle.js';
import {runPlan} from '../../../source/core/plans/execute.js';
import {collect} from '../../helpers/collect.js';
import {
	makeEncryptedType,
	makeVolume,
	pollingClock,
	removeImage,
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

export function registerBundles(contract: Contract): void {
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
	On the real cloud Cinder uploads an encrypted volume as its LUKS container, with a key clone for the image: the
	bundled key must open that header. The demo cloud's volume data is no LUKS container, hence knownOn.
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
	}, {knownOn: ['demo']});
}
