/*
The off-cloud DR bundle's planner (issue 13, first slice: one image). A bundle is a directory (0700) with the image's
data file, its key file (0600) when the image holds an encrypted volume, and manifest.json, written last: a directory
without a manifest is an unfinished bundle, which a re-run of the same command continues (the download resumes from its
.part file, a finished data or key file is kept and hashed again before the manifest is written).
*/
import path from 'node:path';
import type {CloudSession} from '../../openstack/api.js';
import type {Image, Secret} from '../../openstack/types.js';
import {directoryState} from '../bundle/files.js';
import {
	bundleFormat,
	bundleSchemaVersion,
	imageBundleFiles,
	manifestFileName,
	type BundleManifestDraft,
} from '../bundle/manifest.js';
import {
	label,
	makePlan,
	planned,
	refuse,
	usableBarbican,
} from './common.js';
import {ref} from './refs.js';
import type {Check, PlanResult, Step} from './types.js';

export type ImageBundleRequest = {
	imageId: string;
	directory: string;
	/**
	Backstack's version, written into the manifest.
	*/
	version?: string;
};

const keyProperties = new Set(['cinder_encryption_key_id', 'cinder_encryption_key_deletion_policy']);

/**
Bookkeeping of an upload, not of the image: Glance's import state (`os_glance_*`) and what openstacksdk records about
the file it uploaded (`owner_specified.openstack.*`, set again by whichever client uploads the restore).
*/
const bookkeeping = ['os_glance_', 'owner_specified.openstack.'];

/**
The properties a restore needs (hw_*, os_*, architecture…): the image's extra properties without upload bookkeeping and
without the key reference, which the manifest keeps under `encryption`.
*/
function keptProperties(image: Image): Record<string, string> {
	return Object.fromEntries(Object.entries(image.properties).filter(([key]) => bookkeeping.every(prefix => !key.startsWith(prefix)) && !keyProperties.has(key)));
}

function count(value: unknown): number | undefined {
	return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

type DraftInput = {
	image: Image;
	files: ReturnType<typeof imageBundleFiles>;
	secret: Secret | undefined;
	version: string | undefined;
};

function draftOf(session: CloudSession, {
	image, files, secret, version,
}: DraftInput): BundleManifestDraft {
	const token = session.identity.token();
	const minDisk = count(image.raw['min_disk']);
	const minRam = count(image.raw['min_ram']);
	return {
		format: bundleFormat,
		schemaVersion: bundleSchemaVersion,
		backstackVersion: version ?? 'unknown',
		source: {
			cloud: session.cloudName,
			...(session.region !== undefined && {region: session.region}),
			project: {id: token.projectId, name: token.projectName, ...(token.projectDomainId !== undefined && {domainId: token.projectDomainId})},
		},
		items: [{
			kind: 'image',
			id: image.id,
			name: image.name,
			createdAt: image.createdAt,
			...(image.updatedAt !== undefined && {updatedAt: image.updatedAt}),
			data: {file: files.data, size: image.size!},
			glance: {
				diskFormat: image.diskFormat ?? 'raw',
				containerFormat: image.containerFormat ?? 'bare',
				...(image.checksum !== undefined && {checksum: image.checksum.toLowerCase()}),
				...(image.hashAlgo !== undefined && image.hashValue !== undefined && {hashAlgo: image.hashAlgo, hashValue: image.hashValue.toLowerCase()}),
				...(minDisk !== undefined && {minDisk}),
				...(minRam !== undefined && {minRam}),
				visibility: image.visibility,
				protected: image.protected,
				properties: keptProperties(image),
			},
			...(secret !== undefined && {
				encryption: {
					keyFile: files.key,
					passphrase: 'hexlify',
					sourceSecretId: secret.id,
					...(image.cinderEncryptionKeyDeletionPolicy !== undefined && {keyDeletionPolicy: image.cinderEncryptionKeyDeletionPolicy}),
					secret: {
						secretType: secret.secretType,
						...(secret.algorithm !== undefined && secret.algorithm !== '' && {algorithm: secret.algorithm}),
						...(secret.bitLength !== undefined && {bitLength: secret.bitLength}),
						...(secret.mode !== undefined && secret.mode !== '' && {mode: secret.mode}),
					},
				},
			}),
		}],
	};
}

type KeyLookup = {secret?: Secret} | {refusal: string};

async function keyOfImage(session: CloudSession, image: Image, signal?: AbortSignal): Promise<KeyLookup> {
	const secretId = image.cinderEncryptionKeyId;
	if (secretId === undefined) {
		return {};
	}

	const barbican = usableBarbican(session);
	if (!barbican) {
		return {refusal: `Image ${label(image)} holds an encrypted volume (key ${secretId}), but Barbican cannot be reached: without the key the bundle would be useless.`};
	}

	const secret = await barbican.findSecret(secretId, {signal});
	return secret ? {secret} : {refusal: `The key of image ${label(image)}, Barbican secret ${secretId}, does not exist (or is not readable by you): the data could never be decrypted.`};
}

/**
`backstack backup bundle image ID DIR`: the image's data, its key when it has one, and the manifest, in DIR.
*/
export async function planImageBundle(session: CloudSession, given: ImageBundleRequest, signal?: AbortSignal): Promise<PlanResult> {
	if (!session.glance) {
		return refuse('This cloud has no Glance (image) endpoint.');
	}

	// Absolute at planning time: the journal names the files wherever a resume runs.
	const directory = path.resolve(given.directory);
	const image = await session.glance.findImage(given.imageId, {signal});
	if (!image) {
		return refuse(`Image ${given.imageId} does not exist (or is not visible to this project).`);
	}

	if (image.status !== 'active') {
		return refuse(`Image ${label(image)} is ${image.status}; only an active image can be bundled.`);
	}

	if ((image.size ?? 0) === 0) {
		return refuse(`Image ${label(image)} has no data${image.blockDeviceMapping ? ' (it only references Cinder snapshots of a boot-from-volume server)' : ''}: there is nothing to bundle.`);
	}

	const key = await keyOfImage(session, image, signal);
	if ('refusal' in key) {
		return refuse(key.refusal);
	}

	const {secret} = key;
	const files = imageBundleFiles(image.id, image.diskFormat);
	const ours = [files.data, files.partial, ...(secret === undefined ? [] : [files.key])];
	const state = await directoryState(directory, ours, image.id);
	if (state.state === 'foreign') {
		return refuse(state.reason);
	}

	if (state.state === 'complete') {
		return refuse(`${directory} already holds a finished bundle of image ${label(image)} (written ${state.manifest.createdAt}); check it with: backstack verify bundle ${directory}`);
	}

	const entries = state.state === 'ours' ? state.entries : [];
	const dataPath = path.join(directory, files.data);
	const keyPath = path.join(directory, files.key);
	const warnings: string[] = [];
	const steps: Step[] = [{
		id: 'directory',
		title: `Create the bundle directory ${directory} (mode 0700)`,
		danger: 'create',
		checks: [],
		action: {op: 'bundle.makeDirectory', args: {path: directory, ours, itemId: image.id}},
	}];

	if (secret !== undefined) {
		const attributes = [
			secret.secretType,
			secret.algorithm,
			secret.bitLength === undefined ? undefined : `${secret.bitLength} bit`,
			secret.mode === undefined || secret.mode === '' ? undefined : `mode ${secret.mode}`,
		].filter(value => value !== undefined && value !== '').join(', ');
		warnings.push(
			`Image ${label(image)} holds LUKS-encrypted volume data: its key (Barbican secret ${secret.id}) is written in PLAINTEXT to ${keyPath}. `
			+ 'Whoever reads that file can decrypt the image: keep the bundle somewhere safe and offline.',
			`The secret's attributes (${attributes}) go into the manifest for a later restore.`,
		);
		if (entries.includes(files.key)) {
			warnings.push(`${keyPath} is there from an earlier run and is kept (the manifest step checks it is not empty; verify checks it opens the data).`);
		} else {
			steps.push({
				id: 'key',
				title: `Export the key of image ${label(image)} to ${keyPath} (0600)`,
				danger: 'create',
				checks: [{kind: 'secret-exists', secretId: secret.id}, {kind: 'file-absent', path: keyPath}],
				action: {op: 'barbican.exportSecret', args: {secretId: secret.id, path: keyPath}},
				creates: {
					kind: 'file', output: 'path', name: keyPath, temporary: false,
				},
			});
		}
	}

	if (entries.includes(files.data)) {
		warnings.push(`${dataPath} is there from an earlier run (a finished, checksum-verified download) and is kept; it is hashed again before the manifest is written.`);
	} else {
		steps.push({
			id: 'download',
			title: `Download image ${label(image)} (${image.size!} bytes) to ${dataPath}`,
			danger: 'create',
			checks: [{kind: 'image-status', imageId: image.id, in: ['active']}, {kind: 'file-absent', path: dataPath}, {kind: 'room-for-file', path: dataPath, bytes: image.size!}],
			action: {op: 'glance.downloadImage', args: {imageId: image.id, path: dataPath}},
			creates: {
				kind: 'file', output: 'path', name: dataPath, temporary: false,
			},
			note: entries.includes(files.partial)
				? `Continues the earlier run's ${files.partial} (Range request); the checksum covers the whole file.`
				: `Written to ${files.partial} first; an interrupted bundle continues from there when run again.`,
		});
	}

	const manifestPath = path.join(directory, manifestFileName);
	const checks: Check[] = [{kind: 'file-absent', path: manifestPath}];
	const manifest = draftOf(session, {
		image, files, secret, version: given.version,
	});
	steps.push({
		id: 'manifest',
		title: `Check the files against Glance's checksums and write ${manifestPath}`,
		danger: 'create',
		checks,
		action: {op: 'bundle.writeManifest', args: {directory, manifest}},
		creates: {
			kind: 'file', output: 'path', name: manifestPath, temporary: false,
		},
		note: 'Written last and atomically: a directory without manifest.json is an unfinished bundle.',
	});
	return planned(makePlan('image-bundle', `Bundle image ${label(image)} into ${directory}`, steps, {
		warnings,
		results: {manifest: ref('manifest', 'path')},
	}));
}
