/* eslint-disable @typescript-eslint/naming-convention -- Glance's own property names. */
/*
Contracts: `restore bundle` (issue 13). A bundle written in the member's first project, whose originals (and key) are
then deleted, verifies offline and comes back through `node dist/cli.js restore bundle` in a second project, as another
user (member2): the same bytes (downloaded back), a new secret for the key, and for an encrypted volume's image a volume
of it that the cloud makes available with an encrypted type. Nothing is left behind in either project.
*/
import {createHash, randomBytes} from 'node:crypto';
import {
	mkdtemp,
	readFile,
	rm,
	writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import {Buffer} from 'node:buffer';
import {Readable} from 'node:stream';
import type {ExecutionContext} from 'ava';
import {checkLuksKey, findCryptsetup} from '../../../source/core/bundle/luks.js';
import type {BundleManifest} from '../../../source/core/bundle/manifest.js';
import {verifyBundle} from '../../../source/core/bundle/verify.js';
import {planImageBundle, planVolumeBundle} from '../../../source/core/plans/bundle.js';
import {hexBytes} from '../../../source/core/plans/files.js';
import {hashLuksPlaintext} from '../../../source/core/luks-reader.js';
import {planRestore} from '../../../source/core/plans/commands.js';
import {runPlan} from '../../../source/core/plans/execute.js';
import type {CloudSession} from '../../../source/openstack/api.js';
import {collect} from '../../helpers/collect.js';
import {
	cliRunner,
	ignoreNotFound,
	isSecretDeleted,
	listUnfinishedOrDone,
	makeDataImage,
	makeEncryptedType,
	makeVolume,
	namedLeftovers,
	pollingClock,
	removeImage,
	removeNamed,
	removeVolume,
	services,
	waitImage,
	waitVolume,
	type Context,
	type Contract,
} from '../kit.js';

async function bundleInto(c: Context, imageId: string, label: string): Promise<{directory: string; manifest: BundleManifest}> {
	const parent = await mkdtemp(path.join(c.scratch, `restore-bundle-${label}-`));
	const directory = path.join(parent, 'bundle');
	const planned = await planImageBundle(c.member, {imageId, directory, version: 'contract'});
	if (planned.kind !== 'plan') {
		throw new Error(`the bundle was not planned: ${JSON.stringify(planned)}`);
	}

	const events = await collect(runPlan(planned.plan, c.member, {clock: pollingClock(c)}));
	const end = events.at(-1);
	if (end?.type !== 'plan-done') {
		throw new Error(`the bundle did not finish: ${JSON.stringify(end)}`);
	}

	return {directory, manifest: JSON.parse(await readFile(path.join(directory, 'manifest.json'), 'utf8')) as BundleManifest};
}

async function bytesOf(session: CloudSession, imageId: string): Promise<Uint8Array> {
	const chunks = await collect(services(session).glance.downloadImage(imageId));
	return Buffer.concat(chunks);
}

/**
What `Done. image:<old> <new>, secret:<old> <new>` of the CLI names for `key` (e.g. `image:<old id>`).
*/
function resultIn(output: string, key: string): string | undefined {
	const line = output.split('\n').find(text => text.includes('] Done. '));
	const pairs = line?.slice(line.indexOf('Done. ') + 'Done. '.length).split(', ').map(pair => pair.split(' '));
	return pairs?.find(([name]) => name === key)?.[1];
}

/**
Best effort for both projects: everything named with the prefix, whatever the test got to.
*/
function removeAllNamed(t: ExecutionContext, c: Context, prefix: string): void {
	t.teardown(async () => {
		await removeNamed(c, c.member2, prefix);
		await removeNamed(c, c.member, prefix);
	});
}

export function registerRestoreBundles(contract: Contract): void {
	contract('restore bundle: a plain image bundled in one project comes back byte for byte in another (--os-cloud, --project)', async (t, c) => {
		const prefix = `bs-contract-${c.run}-rbundle-plain`;
		removeAllNamed(t, c, prefix);
		const {glance} = services(c.member);
		const data = randomBytes(600_001);
		const image = await glance.createImage({
			name: prefix, diskFormat: 'raw', containerFormat: 'bare', minDisk: 1, properties: {os_distro: 'debian', hw_disk_bus: 'scsi'},
		});
		t.teardown(async () => removeImage(c, glance, image.id));
		await glance.uploadImageData(image.id, Readable.from([data]), {size: data.length});
		await waitImage(c, glance, image.id, ['active']);
		const {directory} = await bundleInto(c, image.id, 'plain');
		t.teardown(async () => rm(path.dirname(directory), {recursive: true, force: true}));
		await removeImage(c, glance, image.id);
		t.is(await glance.findImage(image.id), undefined, 'the original is gone');
		const report = await verifyBundle(directory, {cryptsetup: await findCryptsetup(process.env['PATH'])});
		t.deepEqual(report.defects, [], 'sound offline');

		const configDir = await mkdtemp(path.join(c.scratch, 'restore-bundle-plain-config-'));
		const project = c.member2.identity.token().projectName;
		const cli = cliRunner(c, configDir);
		const dry = await cli.run(['restore', 'bundle', directory, '--os-cloud', c.cloud.member, '--project', project, '--dry-run']);
		t.is(dry.code, 0, dry.stderr);
		t.regex(dry.stdout, new RegExp(`restored into project ${project}`, 'v'));
		const result = await cli.run(['restore', 'bundle', directory, '--os-cloud', c.cloud.member, '--project', project, '--yes']);
		t.is(result.code, 0, `${result.stdout}\n${result.stderr}`);
		const restoredId = resultIn(result.stdout, `image:${image.id}`);
		t.truthy(restoredId, result.stdout);
		const glance2 = services(c.member2).glance;
		t.teardown(async () => removeImage(c, glance2, restoredId!));
		const restored = await glance2.getImage(restoredId!);
		t.is(restored.owner, c.member2.identity.token().projectId, 'restored into the second project');
		t.is(restored.properties['os_distro'], 'debian');
		t.is(restored.raw['min_disk'], 1);
		const back = await bytesOf(c.member2, restoredId!);
		t.true(Buffer.from(back).equals(data), 'the same bytes, downloaded back');

		await removeImage(c, glance2, restoredId!);
		t.deepEqual(await namedLeftovers(c.member2, prefix), []);
		t.deepEqual(await namedLeftovers(c.member, prefix), []);
		t.deepEqual(listUnfinishedOrDone(path.join(configDir, 'journal')).length, 1, 'one journal record (the finished plan)');
	});

	/*
	On the real cloud Cinder uploads an encrypted volume as its LUKS container with a key clone: the bundle's key opens that
	header, and a volume made of the restored image opens it with the re-stored key (the demo cloud uploads a LUKS1
	container too).
	*/
	contract('restore bundle: an encrypted volume\'s image comes back in another project with a new secret; a volume of it becomes available', async (t, c) => {
		const prefix = `bs-contract-${c.run}-rbundle-enc`;
		removeAllNamed(t, c, prefix);
		const cryptsetup = await findCryptsetup(process.env['PATH']);
		const type = await makeEncryptedType(t, c, 'rbundle');
		const {cinder, glance, barbican} = services(c.member);
		const source = await makeVolume(t, c, cinder, {size: 1, name: `${prefix}-src`, volumeType: type.name});
		const {imageId} = await cinder.uploadVolumeToImage(source.id, {imageName: prefix, diskFormat: 'raw', containerFormat: 'bare'});
		t.teardown(async () => removeImage(c, glance, imageId));
		const uploaded = await waitImage(c, glance, imageId, ['active']);
		await waitVolume(c, cinder, source.id, ['available']);
		const oldKey = uploaded.cinderEncryptionKeyId!;
		t.truthy(oldKey);
		const {directory, manifest} = await bundleInto(c, imageId, 'encrypted');
		t.teardown(async () => rm(path.dirname(directory), {recursive: true, force: true}));
		const keyBytes = await readFile(path.join(directory, manifest.items[0]!.encryption!.keyFile));

		// The originals and the key are gone: only the bundle is left.
		await removeImage(c, glance, imageId);
		await removeVolume(c, cinder, source.id);
		await barbican.deleteSecret(oldKey).catch(ignoreNotFound);
		t.true(await isSecretDeleted(c, barbican, oldKey), 'the source key is gone');
		const report = await verifyBundle(directory, {cryptsetup});
		t.deepEqual(report.defects, [], 'sound offline');

		const configDir = await mkdtemp(path.join(c.scratch, 'restore-bundle-enc-config-'));
		const result = await cliRunner(c, configDir).run(['restore', 'bundle', directory, '--os-cloud', c.cloud.member2, '--yes']);
		t.is(result.code, 0, `${result.stdout}\n${result.stderr}`);
		const restoredId = resultIn(result.stdout, `image:${imageId}`)!;
		const secretId = resultIn(result.stdout, `secret:${imageId}`)!;
		t.truthy(restoredId, result.stdout);
		t.truthy(secretId, result.stdout);
		const second = services(c.member2);
		t.teardown(async () => removeImage(c, second.glance, restoredId));
		const restored = await second.glance.getImage(restoredId);
		t.is(restored.cinderEncryptionKeyId, secretId);
		t.not(secretId, oldKey);
		t.true(Buffer.from(await second.barbican.getSecretPayload(secretId)).equals(keyBytes), 'the new secret holds the key file\'s bytes');
		const back = await bytesOf(c.member2, restoredId);
		const bundled = await readFile(path.join(directory, manifest.items[0]!.data!.file));
		t.true(bundled.equals(back), 'the same bytes, downloaded back');

		const volumePlan = await planRestore(c.member2, {
			kind: 'volume-from-image', imageId: restoredId, name: `${prefix}-volume`, volumeType: type.id,
		});
		t.is(volumePlan.kind, 'plan', JSON.stringify(volumePlan));
		if (volumePlan.kind !== 'plan') {
			return;
		}

		const events = await collect(runPlan(volumePlan.plan, c.member2, {clock: pollingClock(c)}));
		const end = events.at(-1);
		t.is(end?.type, 'plan-done', JSON.stringify(end));
		const volumeId = end?.type === 'plan-done' ? String(end.results['volume']) : '';
		t.teardown(async () => removeVolume(c, second.cinder, volumeId));
		const volume = await waitVolume(c, second.cinder, volumeId, ['available']);
		t.true(volume.encrypted, 'an encrypted volume, opened with the re-stored key');

		await removeVolume(c, second.cinder, volumeId);
		await removeImage(c, second.glance, restoredId);
		t.true(await isSecretDeleted(c, second.barbican, secretId), 'the restored key went with its image (on_image_deletion)');
		t.deepEqual(await namedLeftovers(c.member2, prefix), []);
		t.deepEqual(await namedLeftovers(c.member, prefix), []);
	});

	/*
	The proof: an encrypted volume of a non-default type, holding random bytes, bundled in the member's first
	project; the volume (and with it its key) deleted; the bundle verified offline; restored with the CLI into the second
	project, as another user (member2), onto the same encrypted type; the restored volume uploaded again and downloaded.
	Its ciphertext differs from the bundle's (Cinder writes a restored encrypted volume into a LUKS container of its own: a
	new header and master key), so the bytes compared are the plaintext: the restored volume's upload, decrypted with the
	bundle's key by backstack's LUKS1 reader, is the original data followed by zeros, as is the bundle's data file.
	*/
	contract('restore bundle: an encrypted volume of a non-default type, deleted with its key, comes back in another project, opened by the bundle\'s key', async (t, c) => {
		const prefix = `bs-contract-${c.run}-rbundle-vol`;
		removeAllNamed(t, c, prefix);
		const cryptsetup = await findCryptsetup(process.env['PATH']);
		const type = await makeEncryptedType(t, c, 'rbvol');
		const {cinder, glance} = services(c.member);
		const original = randomBytes(1_048_579);
		const image = await makeDataImage(t, c, glance, {name: `${prefix}-data`, data: original});
		const source = await makeVolume(t, c, cinder, {
			size: 1, name: `${prefix}-src`, volumeType: type.name, metadata: {tier: 'gold'}, imageRef: image.id,
		});
		await removeImage(c, glance, image.id);
		const parent = await mkdtemp(path.join(c.scratch, 'restore-bundle-vol-'));
		t.teardown(async () => rm(parent, {recursive: true, force: true}));
		const directory = path.join(parent, 'bundle');
		const planned = await planVolumeBundle(c.member, {volumeId: source.id, directory, version: 'contract'});
		t.is(planned.kind, 'plan', JSON.stringify(planned));
		if (planned.kind !== 'plan') {
			return;
		}

		const bundled = await collect(runPlan(planned.plan, c.member, {clock: pollingClock(c)}));
		t.is(bundled.at(-1)?.type, 'plan-done', JSON.stringify(bundled.at(-1)));
		const manifest = JSON.parse(await readFile(path.join(directory, 'manifest.json'), 'utf8')) as BundleManifest;
		const [item] = manifest.items;
		t.is(item?.kind, 'volume');
		const sourceNow = await cinder.getVolume(source.id);
		const oldKey = sourceNow.encryptionKeyId;
		await removeVolume(c, cinder, source.id);
		if (oldKey !== undefined) {
			t.true(await isSecretDeleted(c, services(c.member).barbican, oldKey), 'the source volume\'s key went with it');
		}

		const report = await verifyBundle(directory, {cryptsetup});
		t.deepEqual(report.defects, [], 'sound offline');

		const configDir = await mkdtemp(path.join(c.scratch, 'restore-bundle-vol-config-'));
		const result = await cliRunner(c, configDir).run(['restore', 'bundle', directory, '--os-cloud', c.cloud.member2, '--volume-type', type.name, '--yes']);
		t.is(result.code, 0, `${result.stdout}\n${result.stderr}`);
		const volumeId = resultIn(result.stdout, `volume:${source.id}`)!;
		t.truthy(volumeId, result.stdout);
		const second = services(c.member2);
		t.teardown(async () => removeVolume(c, second.cinder, volumeId));
		const restored = await waitVolume(c, second.cinder, volumeId, ['available']);
		t.true(restored.encrypted, 'encrypted, of the type asked for');
		t.is(restored.size, 1);
		t.is(restored.metadata['tier'], 'gold');

		// Its bytes, as Cinder uploads them, against the bundle's data file.
		const {imageId} = await second.cinder.uploadVolumeToImage(volumeId, {imageName: `${prefix}-readback`, diskFormat: 'raw', containerFormat: 'bare'});
		t.teardown(async () => removeImage(c, second.glance, imageId));
		await waitImage(c, second.glance, imageId, ['active']);
		await waitVolume(c, second.cinder, volumeId, ['available']);
		const back = await bytesOf(c.member2, imageId);
		const data = await readFile(path.join(directory, item!.data!.file));
		t.is(back.byteLength, data.byteLength, 'as many bytes as the bundle\'s data file');
		const key = await readFile(path.join(directory, item!.encryption!.keyFile));
		const restoredPlain = await hashLuksPlaintext(Readable.from([back]), hexBytes(key));
		const bundledPlain = await hashLuksPlaintext(Readable.from([data]), hexBytes(key));
		t.is(restoredPlain.result, 'opened', `the bundle's key opens the restored volume's data: ${JSON.stringify(restoredPlain)}`);
		t.is(bundledPlain.result, 'opened', `the bundle's key opens its data file: ${JSON.stringify(bundledPlain)}`);
		if (restoredPlain.result !== 'opened' || bundledPlain.result !== 'opened') {
			return;
		}

		t.false(Buffer.from(back).equals(data), 'another ciphertext (a LUKS container of its own)');
		t.true(restoredPlain.bytes >= original.byteLength, `${restoredPlain.bytes} plaintext bytes`);
		const expected = createHash('sha512').update(original).update(Buffer.alloc(restoredPlain.bytes - original.byteLength)).digest('hex');
		t.is(restoredPlain.hash, expected, 'the restored volume holds the original data (then zeros)');
		t.is(bundledPlain.hash, restoredPlain.hash, 'the bundle\'s data file holds the same plaintext');
		if (cryptsetup !== undefined) {
			// A second opinion on the header, from cryptsetup-bin.
			const readBack = path.join(parent, 'readback.raw');
			await writeFile(readBack, back, {mode: 0o600});
			const opened = await checkLuksKey(cryptsetup, readBack, hexBytes(key));
			t.is(opened.result, 'opens', `cryptsetup: the bundle's key opens the restored volume's LUKS header: ${JSON.stringify(opened)}`);
		}

		await removeImage(c, second.glance, imageId);
		await removeVolume(c, second.cinder, volumeId);
		t.deepEqual(await namedLeftovers(c.member2, prefix), []);
		t.deepEqual(await namedLeftovers(c.member, prefix), []);
	});
}
