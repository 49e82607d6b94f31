/*
The off-cloud DR bundle's planner (issue 13, first slice: one image). A bundle is a directory (0700) with the image's
data file, its key file (0600) when the image holds an encrypted volume, and manifest.json, written last: a directory
without a manifest is an unfinished bundle, which a re-run of the same command continues (the download resumes from its
.part file, a finished data or key file is kept and hashed again before the manifest is written).
*/
import path from 'node:path';
import type {CloudSession} from '../../openstack/api.js';
import type {
	Image,
	Secret,
	Server,
	Volume,
} from '../../openstack/types.js';
import {directoryState, readRecord} from '../bundle/files.js';
import {attributeText, glanceOfImage, secretAttributes} from '../bundle/from-cloud.js';
import {
	bundleFiles,
	bundleFormat,
	bundleSchemaVersion,
	imageBundleFiles,
	isPending,
	manifestFileName,
	type BundleEncryptionSpec,
	type BundleItemDraft,
	type BundleManifestDraft,
	type BundlePendingItem,
	type BundleSecretAttributes,
	type BundleServer,
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
import {intentKey} from './intents.js';
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
		// Backstack's mark of a volume it made is bookkeeping, not the volume's.
		metadata: Object.fromEntries(Object.entries(volume.metadata).filter(([key]) => key !== intentKey)),
		...(image !== undefined && {imageMetadata: image}),
		volumeType: {
			name: volume.volumeType ?? volume.volumeTypeId ?? 'unknown',
			...(volume.volumeTypeId !== undefined && {id: volume.volumeTypeId}),
			...(spec !== undefined && {encryption: spec}),
		},
	};
}

/**
The volume's manifest item as planned; the temporary image completes it, in its record file, once its bytes are in.
*/
function pendingItem({
	volume, files, recordStep, secret, spec,
}: {volume: Volume; files: {data: string; key: string; record: string}; recordStep: string; secret: BundleSecretAttributes | undefined; spec: BundleEncryptionSpec | undefined}): BundlePendingItem {
	return {
		kind: 'volume',
		id: volume.id,
		name: volume.name,
		createdAt: volume.createdAt,
		...(volume.updatedAt !== undefined && {updatedAt: volume.updatedAt}),
		data: {file: files.data},
		record: {file: files.record, step: recordStep},
		...(volume.encrypted && {encryption: {keyFile: files.key, passphrase: 'hexlify' as const, ...(secret !== undefined && {secret})}}),
		volume: volumeOf(volume, spec),
	};
}

type DownloadInput = {
	what: string;
	files: {data: string; partial: string};
	entries: string[];
	dataPath: string;
	imageId: Ref;
	id: string;
};

/**
The download of the temporary image, continued from an earlier run's partial file; none when its data file is kept.
*/
function dataDownload({
	what, files, entries, dataPath, imageId, id,
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
			id,
			title: `Download the temporary image of ${what} to ${dataPath}`,
			danger: 'create',
			checks: [{kind: 'file-absent', path: dataPath}],
			action: {op: 'glance.downloadImage', args: {imageId, path: dataPath}},
			creates: {
				kind: 'file', output: 'path', name: dataPath, temporary: false,
			},
			note: entries.includes(files.partial)
				? `Continues the earlier run's ${files.partial} (Range request); the checksum of the new upload covers the whole file, `
				+ 'so data that changed in between fails here and is downloaded afresh on the next run.'
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
	id: string;
};

/**
The plaintext warning and the step that exports the temporary image's key clone (none when an earlier run's key is kept).
*/
function keyExport({
	volume, secret, keyPath, isKept, imageId, id,
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
			id,
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
The two steps after an item's download: its record (what the manifest needs of the temporary image), then the removal
of the image and whatever else was made to get its bytes (`temporaries`: the steps that made them).
*/
function recordAndRelease({
	directory, item, imageId, prefix, temporaries, what,
}: {directory: string; item: BundlePendingItem; imageId: Ref; prefix: string; temporaries: string[]; what: string}): Step[] {
	return [
		{
			id: item.record.step,
			title: `Record Glance's checksums of the temporary image of ${what} in ${item.record.file}`,
			danger: 'create',
			checks: [],
			action: {op: 'bundle.recordImage', args: {directory, item, imageId}},
			creates: {
				kind: 'file', output: 'path', name: path.join(directory, item.record.file), temporary: false,
			},
			note: 'Taken into manifest.json (and then deleted) at the end; a re-run keeps an item whose data and record are there.',
		},
		{
			id: `${prefix}release`,
			title: `Remove the temporary ${temporaries.length === 1 ? 'image' : 'image, volume and snapshot'} of ${what}: its bytes are downloaded`,
			danger: 'mutate',
			checks: [],
			action: {op: 'plan.removeTemporaries', args: {steps: temporaries}},
			note: 'Glance deletes the image\'s key clone with it (on_image_deletion). On a failure the plan\'s cleanup removes them instead.',
		},
	];
}

type ItemPlan = {
	steps: Step[];
	warnings: string[];
	item: BundlePendingItem | BundleItemDraft;
	/**
	The file names this item writes into the bundle's directory.
	*/
	ours: string[];
};

type Refusal = {refusal: string};

/**
A draft kept from an earlier run: its data file and its record are there (the record is that item's).
*/
async function keptItem(directory: string, entries: string[], item: BundlePendingItem): Promise<BundleItemDraft | undefined> {
	return !entries.includes(item.data.file) || !entries.includes(item.record.file) ? undefined : readRecord(directory, item);
}

/**
Everything a volume item needs: the upload to a temporary image (an in-use volume through a temporary snapshot and
volume), its key, download and record, and the removal of the temporaries; nothing when an earlier run finished it.
*/
async function volumeItem(session: CloudSession, volume: Volume, place: {directory: string; entries: string[]; prefix: string}, signal?: AbortSignal): Promise<ItemPlan | Refusal> {
	const {directory, entries, prefix} = place;
	if (volume.status !== 'available' && volume.status !== 'in-use') {
		return {refusal: `Volume ${label(volume)} is ${volume.status}; only an available or in-use volume can be bundled.`};
	}

	const key = await keyOfVolume(session, volume, signal);
	if ('refusal' in key) {
		return key;
	}

	const {spec, warning: specWarning} = await encryptionSpecOf(session, volume, signal);
	const files = bundleFiles('volume', volume.id, 'raw');
	const ours = [files.data, files.partial, files.record, ...(volume.encrypted ? [files.key] : [])];
	const id = (name: string) => `${prefix}${name}`;
	const item = pendingItem({
		volume, files, recordStep: id('record'), secret: key.secret, spec,
	});
	const kept = await keptItem(directory, entries, item);
	if (kept !== undefined) {
		return {
			steps: [],
			ours,
			item: kept,
			warnings: [`Volume ${label(volume)} is kept as an earlier run bundled it (${files.data} and its record are there); it is hashed again before the manifest is written.`],
		};
	}

	const dataPath = path.join(directory, files.data);
	const keyPath = path.join(directory, files.key);
	const isInUse = volume.status === 'in-use';
	const imageName = `backstack-tmp-${displayName(volume)}-bundle`;
	const warnings = [
		`Volume ${label(volume)} is copied through a temporary image "${imageName}" (raw, ${volume.size} GiB), removed once its bytes are downloaded (or at the end, whatever happens).`,
		...(specWarning === undefined ? [] : [specWarning]),
	];
	const steps: Step[] = [];
	const temporaries: string[] = [];
	let source: string | Ref = volume.id;
	if (isInUse) {
		warnings.push(`Volume ${label(volume)} is in use: it is copied from a snapshot, which is crash-consistent, not application-consistent; `
			+ 'the snapshot and a temporary volume made from it are removed with the image.');
		steps.push(...snapshotDetour(volume, {
			ids: {snapshot: id('snapshot'), volume: id('temporary-volume')},
			names: {snapshot: `backstack-tmp-${displayName(volume)}-snapshot`, volume: `backstack-tmp-${displayName(volume)}-volume`},
			snapshotTitle: `Snapshot the in-use volume ${label(volume)} (force)`,
			force: true,
		}));
		temporaries.push(id('snapshot'), id('temporary-volume'));
		source = ref(id('temporary-volume'), 'volumeId');
	}

	steps.push({
		id: id('upload'),
		title: `Upload ${isInUse ? `the temporary volume of ${label(volume)}` : `volume ${label(volume)}`} to the temporary image "${imageName}"`,
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
			resource: 'image', id: ref(id('upload'), 'imageId'), until: ['active'], failOn: imageFailOn, timeoutMs: 12 * hour,
		},
	});
	temporaries.push(id('upload'));
	const imageId = ref(id('upload'), 'imageId');

	if (volume.encrypted) {
		const exported = keyExport({
			volume, secret: key.secret, keyPath, isKept: entries.includes(files.key), imageId, id: id('key'),
		});
		warnings.push(...exported.warnings);
		steps.push(...exported.steps);
	}

	const fetched = dataDownload({
		what: `volume ${label(volume)} (${volume.size} GiB)`, files, entries, dataPath, imageId, id: id('download'),
	});
	warnings.push(...fetched.warnings);
	steps.push(...fetched.steps, ...recordAndRelease({
		directory, item, imageId, prefix, temporaries, what: `volume ${label(volume)}`,
	}));
	return {
		steps, warnings, item, ours,
	};
}

function directoryStep(directory: string, ours: string[], itemId: string): Step {
	return {
		id: 'directory',
		title: `Create the bundle directory ${directory} (mode 0700)`,
		danger: 'create',
		checks: [],
		action: {op: 'bundle.makeDirectory', args: {path: directory, ours, itemId}},
	};
}

function manifestStep(session: CloudSession, directory: string, items: BundleManifestDraft['items'], version: string | undefined): Step {
	const manifestPath = path.join(directory, manifestFileName);
	const isPendingAny = items.some(item => isPending(item));
	return {
		id: 'manifest',
		title: `Check the files against ${isPendingAny ? 'the recorded' : 'Glance\'s'} checksums and write ${manifestPath}`,
		danger: 'create',
		checks: [{kind: 'file-absent', path: manifestPath}],
		action: {
			op: 'bundle.writeManifest', args: {
				directory,
				manifest: {
					format: bundleFormat, schemaVersion: bundleSchemaVersion, backstackVersion: version ?? 'unknown', source: sourceOf(session), items,
				},
			},
		},
		creates: {
			kind: 'file', output: 'path', name: manifestPath, temporary: false,
		},
		note: 'Written last and atomically: a directory without manifest.json is an unfinished bundle.',
	};
}

type Place = Refusal | {directory: string; entries: string[]};

/**
The bundle's directory as it is: absent or an unfinished bundle of this item (its entries), else why it is not usable.
*/
async function placeOf(directory: string, ours: string[], resource: {id: string; name?: string}, kind: string): Promise<Place> {
	const state = await directoryState(directory, ours, resource.id);
	if (state.state === 'foreign') {
		return {refusal: state.reason};
	}

	const finished = state.state === 'complete'
		? `${directory} already holds a finished bundle of ${kind} ${label(resource)} (written ${state.manifest.createdAt}); check it with: backstack verify bundle ${directory}`
		: undefined;
	return finished === undefined ? {directory, entries: state.state === 'ours' ? state.entries : []} : {refusal: finished};
}

/**
`backstack backup bundle volume ID DIR`: the volume uploaded to a temporary image (an in-use one through a temporary
snapshot and volume), that image's data and key downloaded and recorded, every temporary removed as soon as the bytes
are in (the image with the key clone Cinder made for it: Glance deletes it with the image, `on_image_deletion`), the
manifest written.
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

	const files = bundleFiles('volume', volume.id, 'raw');
	const place = await placeOf(directory, [files.data, files.partial, files.record, ...(volume.encrypted ? [files.key] : [])], volume, 'volume');
	if ('refusal' in place) {
		return refuse(place.refusal);
	}

	const built = await volumeItem(session, volume, {...place, prefix: ''}, signal);
	if ('refusal' in built) {
		return refuse(built.refusal);
	}

	const steps = [directoryStep(directory, built.ours, volume.id), ...built.steps, manifestStep(session, directory, [built.item], given.version)];
	return planned(makePlan('volume-bundle', `Bundle ${volume.status === 'in-use' ? 'in-use ' : ''}volume ${label(volume)} into ${directory}`, steps, {
		warnings: built.warnings,
		results: {manifest: ref('manifest', 'path')},
	}));
}

export type ServerBundleRequest = {
	serverId: string;
	directory: string;
	/**
	Backstack's version, written into the manifest.
	*/
	version?: string;
};

/**
The statuses Nova makes an image of a server in (createImage).
*/
const imageableStatuses = ['ACTIVE', 'SHUTOFF', 'PAUSED', 'SUSPENDED'];

/**
The server's flavor as the manifest records it: what the server shows (from microversion 2.47 the flavor itself),
else the flavor it names, read from Nova (undefined fields when it is gone).
*/
async function flavorOf(session: CloudSession, server: Server, signal?: AbortSignal): Promise<BundleServer['flavor']> {
	const shown = server.flavor;
	if (shown.name !== undefined || shown.id === undefined) {
		return shown;
	}

	try {
		const flavor = await session.nova!.getFlavor(shown.id, {signal});
		return {
			id: flavor.id, name: flavor.name, vcpus: flavor.vcpus, ramMiB: flavor.ramMiB, diskGiB: flavor.diskGiB,
		};
	} catch (error) {
		if (httpStatusOf(error) === 404) {
			return shown;
		}

		throw error;
	}
}

/**
What a rebuild needs of the server; user data only when Nova shows it (the admin-only `OS-EXT-SRV-ATTR:user_data`).
*/
function serverBlock(server: Server, flavor: BundleServer['flavor'], volumes: BundleServer['volumes']): BundleServer {
	const isUserDataShown = Object.hasOwn(server.raw, 'OS-EXT-SRV-ATTR:user_data');
	const userData = server.raw['OS-EXT-SRV-ATTR:user_data'];
	return {
		flavor,
		// Backstack's mark of a server it booted is bookkeeping, not the server's.
		metadata: Object.fromEntries(Object.entries(server.metadata).filter(([key]) => key !== intentKey)),
		...(typeof userData === 'string' && userData !== '' && {userData}),
		userDataShown: isUserDataShown,
		bootFromVolume: server.bootFromVolume,
		...(server.imageId !== undefined && {imageId: server.imageId}),
		...(server.availabilityZone !== undefined && {availabilityZone: server.availabilityZone}),
		...(server.keyName !== undefined && {keyName: server.keyName}),
		volumes,
	};
}

/**
An image-backed server's disk: a temporary image of it (createImage), downloaded, recorded and removed; nothing when an
earlier run finished it.
*/
async function serverDiskItem(server: Server, block: BundleServer, place: {directory: string; entries: string[]}): Promise<ItemPlan> {
	const {directory, entries} = place;
	// Nova picks the image's disk format (qcow2 from libvirt's qcow2 disks, raw from Ceph): the manifest says which.
	const files = bundleFiles('server', server.id, 'disk');
	const ours = [files.data, files.partial, files.record];
	const item: BundlePendingItem = {
		kind: 'server',
		id: server.id,
		name: server.name,
		createdAt: server.createdAt,
		...(server.updatedAt !== undefined && {updatedAt: server.updatedAt}),
		data: {file: files.data},
		record: {file: files.record, step: 'server-record'},
		server: block,
	};
	const kept = await keptItem(directory, entries, item);
	if (kept !== undefined) {
		return {
			steps: [], ours, item: kept, warnings: [`The disk of server ${label(server)} is kept as an earlier run bundled it (${files.data} and its record are there).`],
		};
	}

	const imageName = `backstack-tmp-${displayName(server)}-bundle`;
	const dataPath = path.join(directory, files.data);
	const imageId = ref('server-image', 'imageId');
	const fetched = dataDownload({
		what: `server ${label(server)}`, files, entries, dataPath, imageId, id: 'server-download',
	});
	const steps: Step[] = [
		{
			id: 'server-image',
			title: `Create the temporary image "${imageName}" of the disk of server ${label(server)} (createImage)`,
			danger: 'create',
			checks: [{kind: 'server-status', serverId: server.id, in: imageableStatuses}],
			action: {op: 'nova.createServerImage', args: {serverId: server.id, name: imageName}},
			creates: {
				kind: 'image', output: 'imageId', name: imageName, temporary: true,
			},
			wait: {
				resource: 'image', id: imageId, until: ['active'], failOn: imageFailOn, timeoutMs: 6 * hour,
			},
			note: 'Nova copies the root disk as it is at that moment (crash-consistent); attached volumes are not in it.',
		},
		...fetched.steps,
		...recordAndRelease({
			directory, item, imageId, prefix: 'server-', temporaries: ['server-image'], what: `server ${label(server)}`,
		}),
	];
	return {
		steps,
		ours,
		item,
		warnings: [`The disk of server ${label(server)} is copied through a temporary image "${imageName}", removed once its bytes are downloaded.`, ...fetched.warnings],
	};
}

function serverWarnings(server: Server, block: BundleServer): string[] {
	const warnings = [
		block.userDataShown
			? (block.userData === undefined
				? `Server ${label(server)} has no user data.`
				: `The user data of server ${label(server)} goes into manifest.json as Nova gives it (base64): it may hold passwords or keys; keep the bundle safe.`)
			: `Nova does not show the user data of server ${label(server)} to you (only admins see it): the bundle holds none, and a server rebuilt from it gets none.`,
		'The bundle records no networks or ports: a server rebuilt from it boots without a network (attach one afterwards).',
		...(block.volumes.length > 0
			? [`Each part of server ${label(server)} (its ${block.bootFromVolume ? 'root volume' : 'disk'} and ${block.volumes.length} volume${block.volumes.length === 1 ? '' : 's'}) `
				+ 'is copied crash-consistently on its own, one after the other, not at one moment together.']
			: []),
	];
	return warnings;
}

/**
`backstack backup bundle server ID DIR`: one bundle of a server, its disk (an image-backed server: a temporary image of
it, createImage; a server booted from a volume has none of its own, never its 0-byte image), every attached volume as
an item of its own (the volume bundle's steps; the root volume of a boot-from-volume server among them), and what
rebuilding it needs: flavor, metadata, user data when Nova shows it, key pair name, image ID, the devices of its volumes.
*/
export async function planServerBundle(session: CloudSession, given: ServerBundleRequest, signal?: AbortSignal): Promise<PlanResult> {
	if (!session.nova || !session.glance) {
		return refuse('This cloud needs Nova and Glance for a server bundle.');
	}

	const directory = path.resolve(given.directory);
	const server = await session.nova.findServer(given.serverId, {signal});
	if (!server) {
		return refuse(`Server ${given.serverId} does not exist in this project.`);
	}

	if (!imageableStatuses.includes(server.status)) {
		return refuse(`Server ${label(server)} is ${server.status}; only an ACTIVE, SHUTOFF, PAUSED or SUSPENDED server can be bundled.`);
	}

	if (server.attachedVolumeIds.length > 0 && !session.cinder) {
		return refuse(`Server ${label(server)} has volumes attached and this cloud has no Cinder endpoint to copy them.`);
	}

	const volumes: Volume[] = [];
	for (const volumeId of server.attachedVolumeIds) {
		// eslint-disable-next-line no-await-in-loop
		const volume = await session.cinder!.findVolume(volumeId, {signal});
		if (!volume) {
			return refuse(`Volume ${volumeId}, attached to server ${label(server)}, cannot be read in this project.`);
		}

		volumes.push(volume);
	}

	const block = serverBlock(server, await flavorOf(session, server, signal), volumes.map(volume => {
		const device = volume.attachments.find(attachment => attachment.serverId === server.id)?.device;
		return {itemId: volume.id, ...(device !== undefined && {device})};
	}));
	const files = [
		...(server.bootFromVolume ? [] : Object.values(bundleFiles('server', server.id, 'disk')).filter(name => !name.endsWith('.key'))),
		...volumes.flatMap(volume => {
			const names = bundleFiles('volume', volume.id, 'raw');
			return [names.data, names.partial, names.record, ...(volume.encrypted ? [names.key] : [])];
		}),
	];
	const place = await placeOf(directory, files, server, 'server');
	if ('refusal' in place) {
		return refuse(place.refusal);
	}

	const parts: ItemPlan[] = [];
	if (server.bootFromVolume) {
		const item: BundleItemDraft = {
			kind: 'server', id: server.id, name: server.name, createdAt: server.createdAt, ...(server.updatedAt !== undefined && {updatedAt: server.updatedAt}), server: block,
		};
		parts.push({
			steps: [], ours: [], item, warnings: [`Server ${label(server)} boots from volume ${server.attachedVolumeIds[0] ?? '?'}: `
				+ 'its disk is that volume\'s item; Nova\'s image of such a server (0 bytes, references to snapshots) is not taken.'],
		});
	} else {
		parts.push(await serverDiskItem(server, block, place));
	}

	for (const [index, volume] of volumes.entries()) {
		// eslint-disable-next-line no-await-in-loop
		const built = await volumeItem(session, volume, {...place, prefix: `volume${index + 1}-`}, signal);
		if ('refusal' in built) {
			return refuse(`${built.refusal} (attached to server ${label(server)})`);
		}

		parts.push(built);
	}

	const steps = [
		directoryStep(directory, files, server.id),
		...parts.flatMap(part => part.steps),
		manifestStep(session, directory, parts.map(part => part.item), given.version),
	];
	return planned(makePlan('server-bundle', `Bundle server ${label(server)} (${server.bootFromVolume ? 'boots from a volume' : 'its disk'}`
		+ `${volumes.length > 0 ? ` and ${volumes.length} volume${volumes.length === 1 ? '' : 's'}` : ''}) into ${directory}`, steps, {
		warnings: [...serverWarnings(server, block), ...parts.flatMap(part => part.warnings)],
		results: {manifest: ref('manifest', 'path')},
	}));
}
