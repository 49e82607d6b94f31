/*
The off-cloud DR bundle's planner (issue 13, first slice: one image). A bundle is a directory (0700) with the image's
data file, its key file (0600) when the image holds an encrypted volume, and manifest.json, written last: a directory
without a manifest is an unfinished bundle, which a re-run of the same command continues (the download resumes from its
.part file, a finished data or key file is kept and hashed again before the manifest is written).
*/
import path from 'node:path';
import type {CloudSession} from '../../openstack/api.js';
import type {Image, Secret, Volume} from '../../openstack/types.js';
import {directoryState} from '../bundle/files.js';
import {attributeText, glanceOfImage, secretAttributes} from '../bundle/from-cloud.js';
import {
	bundleFiles,
	bundleFormat,
	bundleSchemaVersion,
	imageBundleFiles,
	manifestFileName,
	type BundleEncryptionSpec,
	type BundleManifestDraft,
	type BundlePendingItem,
	type BundleSecretAttributes,
	type BundleVolume,
} from '../bundle/manifest.js';
import {displayName} from '../text.js';
import {
	hour,
	imageFailOn,
	label,
	makePlan,
	planned,
	refuse,
	snapshotDetour,
	usableBarbican,
} from './common.js';
import {httpStatusOf} from './errors.js';
import {ref} from './refs.js';
import type {
	Check,
	PlanResult,
	Ref,
	Step,
} from './types.js';

export type ImageBundleRequest = {
	imageId: string;
	directory: string;
	/**
	Backstack's version, written into the manifest.
	*/
	version?: string;
};

type DraftInput = {
	image: Image;
	files: ReturnType<typeof imageBundleFiles>;
	secret: Secret | undefined;
	version: string | undefined;
};

function sourceOf(session: CloudSession): BundleManifestDraft['source'] {
	const token = session.identity.token();
	return {
		cloud: session.cloudName,
		...(session.region !== undefined && {region: session.region}),
		project: {id: token.projectId, name: token.projectName, ...(token.projectDomainId !== undefined && {domainId: token.projectDomainId})},
	};
}

function draftOf(session: CloudSession, {
	image, files, secret, version,
}: DraftInput): BundleManifestDraft {
	return {
		format: bundleFormat,
		schemaVersion: bundleSchemaVersion,
		backstackVersion: version ?? 'unknown',
		source: sourceOf(session),
		items: [{
			kind: 'image',
			id: image.id,
			name: image.name,
			createdAt: image.createdAt,
			...(image.updatedAt !== undefined && {updatedAt: image.updatedAt}),
			data: {file: files.data, size: image.size!},
			glance: glanceOfImage(image),
			...(secret !== undefined && {
				encryption: {
					keyFile: files.key,
					passphrase: 'hexlify',
					sourceSecretId: secret.id,
					...(image.cinderEncryptionKeyDeletionPolicy !== undefined && {keyDeletionPolicy: image.cinderEncryptionKeyDeletionPolicy}),
					secret: secretAttributes(secret),
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
		const attributes = attributeText(secretAttributes(secret));
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

export type VolumeBundleRequest = {
	volumeId: string;
	directory: string;
	/**
	Backstack's version, written into the manifest.
	*/
	version?: string;
};

type SpecLookup = {spec?: BundleEncryptionSpec; warning?: string};

/**
The volume's encryption spec as the project may read it (`GET /volumes/{id}/encryption`; the type's own is admin-only).
*/
async function encryptionSpecOf(session: CloudSession, volume: Volume, signal?: AbortSignal): Promise<SpecLookup> {
	let spec;
	try {
		spec = await session.cinder!.getVolumeEncryption(volume.id, {signal});
	} catch (error) {
		if (httpStatusOf(error) === 403 || httpStatusOf(error) === 404) {
			return volume.encrypted
				? {warning: `Cinder does not show the encryption spec of volume ${label(volume)} to you (${httpStatusOf(error)}): the manifest names its type, not the type's cipher and key size.`}
				: {};
		}

		throw error;
	}

	if (spec.provider === undefined) {
		return {};
	}

	return {
		spec: {
			provider: spec.provider,
			...(spec.cipher !== undefined && {cipher: spec.cipher}),
			...(spec.keySize !== undefined && {keySize: spec.keySize}),
			...(spec.controlLocation !== undefined && {controlLocation: spec.controlLocation}),
		},
	};
}

type VolumeKeyLookup = {secret?: BundleSecretAttributes} | {refusal: string};

/**
An encrypted volume's key must be readable: Cinder clones it for the image, and the bundle exports that clone. Its
attributes (the clone's are the same) are what the runbook writes into the manifest.
*/
async function keyOfVolume(session: CloudSession, volume: Volume, signal?: AbortSignal): Promise<VolumeKeyLookup> {
	if (!volume.encrypted) {
		return {};
	}

	const barbican = usableBarbican(session);
	if (!barbican) {
		return {refusal: `Volume ${label(volume)} is encrypted, but Barbican cannot be reached: without the key the bundle would be useless.`};
	}

	if (volume.encryptionKeyId === undefined) {
		// Before microversion 3.64 Cinder does not show the key reference; the image's clone is checked when it exists.
		return {};
	}

	const secret = await barbican.findSecret(volume.encryptionKeyId, {signal});
	return secret
		? {secret: secretAttributes(secret)}
		: {refusal: `The key of volume ${label(volume)}, Barbican secret ${volume.encryptionKeyId}, does not exist (or is not readable by you): the data could never be decrypted.`};
}

function volumeOf(volume: Volume, spec: BundleEncryptionSpec | undefined): BundleVolume {
	const imageMetadata = volume.raw['volume_image_metadata'];
	const strings = (value: unknown): Record<string, string> | undefined => typeof value === 'object' && value !== null && !Array.isArray(value)
		? Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'))
		: undefined;
	const image = strings(imageMetadata);
	return {
		size: volume.size,
		bootable: volume.bootable,
		...(volume.description !== undefined && {description: volume.description}),
		...(volume.availabilityZone !== undefined && {availabilityZone: volume.availabilityZone}),
		metadata: volume.metadata,
		...(image !== undefined && {imageMetadata: image}),
		volumeType: {
			name: volume.volumeType ?? volume.volumeTypeId ?? 'unknown',
			...(volume.volumeTypeId !== undefined && {id: volume.volumeTypeId}),
			...(spec !== undefined && {encryption: spec}),
		},
	};
}

/**
The volume's manifest item as planned; the temporary image completes it when the manifest is written.
*/
function pendingItem({
	volume, files, imageId, secret, spec,
}: {volume: Volume; files: {data: string; key: string}; imageId: Ref; secret: BundleSecretAttributes | undefined; spec: BundleEncryptionSpec | undefined}): BundlePendingItem {
	return {
		kind: 'volume',
		id: volume.id,
		name: volume.name,
		createdAt: volume.createdAt,
		...(volume.updatedAt !== undefined && {updatedAt: volume.updatedAt}),
		data: {file: files.data},
		fromImage: imageId,
		...(volume.encrypted && {encryption: {keyFile: files.key, passphrase: 'hexlify' as const, ...(secret !== undefined && {secret})}}),
		volume: volumeOf(volume, spec),
	};
}

type DownloadInput = {
	volume: Volume;
	files: {data: string; partial: string};
	entries: string[];
	dataPath: string;
	imageId: Ref;
};

/**
The download of the temporary image, continued from an earlier run's partial file; none when its data file is kept.
*/
function dataDownload({
	volume, files, entries, dataPath, imageId,
}: DownloadInput): {warnings: string[]; steps: Step[]} {
	if (entries.includes(files.data)) {
		return {
			steps: [], warnings: [`${dataPath} is there from an earlier run (a finished, checksum-verified download) and is kept; `
				+ 'it is checked against the new upload\'s checksums before the manifest is written.'],
		};
	}

	return {
		warnings: [],
		steps: [{
			id: 'download',
			title: `Download the temporary image (${volume.size} GiB) to ${dataPath}`,
			danger: 'create',
			checks: [{kind: 'file-absent', path: dataPath}],
			action: {op: 'glance.downloadImage', args: {imageId, path: dataPath}},
			creates: {
				kind: 'file', output: 'path', name: dataPath, temporary: false,
			},
			note: entries.includes(files.partial)
				? `Continues the earlier run's ${files.partial} (Range request); the checksum of the new upload covers the whole file, `
				+ 'so a volume that changed in between fails here and is downloaded afresh on the next run.'
				: `Written to ${files.partial} first; an interrupted bundle continues from there when run again.`,
		}],
	};
}

type KeyExportInput = {
	volume: Volume;
	secret: BundleSecretAttributes | undefined;
	keyPath: string;
	isKept: boolean;
	imageId: Ref;
};

/**
The plaintext warning and the step that exports the temporary image's key clone (none when an earlier run's key is kept).
*/
function keyExport({
	volume, secret, keyPath, isKept, imageId,
}: KeyExportInput): {warnings: string[]; steps: Step[]} {
	const warnings = [
		`Volume ${label(volume)} is LUKS-encrypted: its key (the clone Cinder makes for the temporary image) is written in PLAINTEXT to ${keyPath}. `
		+ 'Whoever reads that file can decrypt the volume: keep the bundle somewhere safe and offline.',
		secret === undefined
			? 'The key\'s attributes go into the manifest for a later restore.'
			: `The key's attributes (${attributeText(secret)}) go into the manifest for a later restore.`,
	];
	if (isKept) {
		warnings.push(`${keyPath} is there from an earlier run and is kept (the manifest step checks its size; verify checks it opens the data).`);
		return {warnings, steps: []};
	}

	return {
		warnings,
		steps: [{
			id: 'key',
			title: `Export the key of the temporary image to ${keyPath} (0600)`,
			danger: 'create',
			checks: [{kind: 'file-absent', path: keyPath}],
			action: {op: 'barbican.exportImageKey', args: {imageId, path: keyPath}},
			creates: {
				kind: 'file', output: 'path', name: keyPath, temporary: false,
			},
		}],
	};
}

/**
`backstack backup bundle volume ID DIR`: the volume uploaded to a temporary image (an in-use one through a temporary
snapshot and volume), that image's data and key downloaded, the manifest written; every temporary removed at the end,
the image with the key clone Cinder made for it (Glance deletes it with the image: `on_image_deletion`).
*/
export async function planVolumeBundle(session: CloudSession, given: VolumeBundleRequest, signal?: AbortSignal): Promise<PlanResult> {
	if (!session.cinder || !session.glance) {
		return refuse('This cloud needs both Cinder and Glance for a volume bundle (the volume is copied through a temporary image).');
	}

	const directory = path.resolve(given.directory);
	const volume = await session.cinder.findVolume(given.volumeId, {signal});
	if (!volume) {
		return refuse(`Volume ${given.volumeId} does not exist in this project.`);
	}

	if (volume.status !== 'available' && volume.status !== 'in-use') {
		return refuse(`Volume ${label(volume)} is ${volume.status}; only an available or in-use volume can be bundled.`);
	}

	const key = await keyOfVolume(session, volume, signal);
	if ('refusal' in key) {
		return refuse(key.refusal);
	}

	const {spec, warning: specWarning} = await encryptionSpecOf(session, volume, signal);
	const files = bundleFiles('volume', volume.id, 'raw');
	const ours = [files.data, files.partial, ...(volume.encrypted ? [files.key] : [])];
	const state = await directoryState(directory, ours, volume.id);
	if (state.state === 'foreign') {
		return refuse(state.reason);
	}

	if (state.state === 'complete') {
		return refuse(`${directory} already holds a finished bundle of volume ${label(volume)} (written ${state.manifest.createdAt}); check it with: backstack verify bundle ${directory}`);
	}

	const entries = state.state === 'ours' ? state.entries : [];
	const dataPath = path.join(directory, files.data);
	const keyPath = path.join(directory, files.key);
	const isInUse = volume.status === 'in-use';
	const imageName = `backstack-tmp-${displayName(volume)}-bundle`;
	const warnings = [
		`Volume ${label(volume)} is copied through a temporary image "${imageName}" (raw, ${volume.size} GiB), removed again at the end whatever happens.`,
		...(specWarning === undefined ? [] : [specWarning]),
	];
	const steps: Step[] = [{
		id: 'directory',
		title: `Create the bundle directory ${directory} (mode 0700)`,
		danger: 'create',
		checks: [],
		action: {op: 'bundle.makeDirectory', args: {path: directory, ours, itemId: volume.id}},
	}];

	let source: string | Ref = volume.id;
	if (isInUse) {
		warnings.push('The volume is in use: it is copied from a snapshot, which is crash-consistent, not application-consistent; '
			+ 'the snapshot and a temporary volume made from it are removed at the end.');
		steps.push(...snapshotDetour(volume, {
			ids: {snapshot: 'snapshot', volume: 'temporary-volume'},
			names: {snapshot: `backstack-tmp-${displayName(volume)}-snapshot`, volume: `backstack-tmp-${displayName(volume)}-volume`},
			snapshotTitle: `Snapshot the in-use volume ${label(volume)} (force)`,
			force: true,
		}));
		source = ref('temporary-volume', 'volumeId');
	}

	steps.push({
		id: 'upload',
		title: `Upload ${isInUse ? 'the temporary volume' : `volume ${label(volume)}`} to the temporary image "${imageName}"`,
		danger: 'create',
		checks: isInUse ? [] : [{kind: 'volume-status', volumeId: volume.id, in: ['available']}],
		action: {
			op: 'cinder.uploadVolumeToImage', args: {
				volumeId: source, imageName, diskFormat: 'raw', containerFormat: 'bare',
			},
		},
		creates: {
			kind: 'image', output: 'imageId', name: imageName, temporary: true,
		},
		wait: {
			resource: 'image', id: ref('upload', 'imageId'), until: ['active'], failOn: imageFailOn, timeoutMs: 12 * hour,
		},
	});
	const imageId = ref('upload', 'imageId');

	if (volume.encrypted) {
		const exported = keyExport({
			volume, secret: key.secret, keyPath, isKept: entries.includes(files.key), imageId,
		});
		warnings.push(...exported.warnings);
		steps.push(...exported.steps);
	}

	const fetched = dataDownload({
		volume, files, entries, dataPath, imageId,
	});
	warnings.push(...fetched.warnings);
	steps.push(...fetched.steps);

	const manifestPath = path.join(directory, manifestFileName);
	const item = pendingItem({
		volume, files, imageId, secret: key.secret, spec,
	});
	steps.push({
		id: 'manifest',
		title: `Check the files against Glance's checksums of the temporary image and write ${manifestPath}`,
		danger: 'create',
		checks: [{kind: 'file-absent', path: manifestPath}],
		action: {
			op: 'bundle.writeManifest', args: {
				directory,
				manifest: {
					format: bundleFormat, schemaVersion: bundleSchemaVersion, backstackVersion: given.version ?? 'unknown', source: sourceOf(session), items: [item],
				},
			},
		},
		creates: {
			kind: 'file', output: 'path', name: manifestPath, temporary: false,
		},
		note: 'Written last and atomically, while the temporary image still exists: a directory without manifest.json is an unfinished bundle.',
	});
	return planned(makePlan('volume-bundle', `Bundle ${isInUse ? 'in-use ' : ''}volume ${label(volume)} into ${directory}`, steps, {
		warnings,
		results: {manifest: ref('manifest', 'path')},
	}));
}
