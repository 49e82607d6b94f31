/*
Restore planners (issue 7). Each reads the cloud, then returns a plan, a refusal that says why, or a question.
Nothing changes while planning.
*/
import {stat} from 'node:fs/promises';
import path from 'node:path';
import type {CloudSession} from '../../openstack/api.js';
import type {
	Backup,
	Image,
	Volume,
	VolumeType,
} from '../../openstack/types.js';
import type {Inventory} from '../model.js';
import {displayName} from '../text.js';
import {isMicroversionAtLeast} from './clock.js';
import {
	checkKey,
	encryptedTypes,
	usableBarbican,
	type KeyCheck,
	findSourceType,
	hour,
	imageFailOn,
	isEncryptedBackup,
	label,
	makePlan,
	matchType,
	minute,
	planned,
	refuse,
	restoreFailOn,
	typeQuestion,
	volumeFailOn,
	type SourceType,
} from './common.js';
import {intentKey} from './intents.js';
import {ref} from './refs.js';
import type {Check, PlanResult, Step} from './types.js';

const gib = 1024 ** 3;

export type RestoreBackupRequest = {
	backupId: string;
	/**
	Name of the new volume; default `restore-<backup name>`.
	*/
	name?: string;
	/**
	The user's answer to a needs-input question (name or ID).
	*/
	volumeType?: string;
	/**
	Force one way of restoring an encrypted backup; default: create-from-backup where the cloud has 3.47.
	*/
	method?: 'create-from-backup' | 'create-then-restore';
};

export type RestoreOntoVolumeRequest = {
	backupId: string;
	volumeId: string;
};

export type VolumeFromImageRequest = {
	imageId: string;
	name?: string;
	/**
	GiB; default: what the image needs.
	*/
	size?: number;
	volumeType?: string;
};

export type ImageFromFileRequest = {
	path: string;
	name: string;
	diskFormat?: string;
	containerFormat?: string;
	/**
	For an image of an encrypted volume: the key file exported with it.
	*/
	keyFile?: string;
	keyAlgorithm?: string;
	keyBitLength?: number;
	keyMode?: string;
	/**
	`on_image_deletion` (default) deletes the new secret with the image.
	*/
	keyDeletionPolicy?: 'on_image_deletion' | 'keep';
};

export type SecretFromFileRequest = {
	path: string;
	name?: string;
	algorithm?: string;
	bitLength?: number;
	mode?: string;
	secretType?: string;
	/**
	The ID the secret had; with an inventory, the plan lists what still points at it.
	*/
	oldSecretId?: string;
	inventory?: Inventory;
};

async function getBackupOrRefuse(session: CloudSession, backupId: string, signal?: AbortSignal): Promise<Backup | PlanResult> {
	if (!session.cinder) {
		return refuse('This cloud has no Cinder (block-storage) endpoint.');
	}

	const backup = await session.cinder.findBackup(backupId, {signal});
	if (!backup) {
		return refuse(`Backup ${backupId} does not exist in this project.`);
	}

	return backup.status === 'available' ? backup : refuse(`Backup ${label(backup)} is ${backup.status}; only an available backup can be restored.`);
}

function isResult(value: unknown): value is PlanResult {
	return typeof value === 'object' && value !== null && 'kind' in value && ['plan', 'refusal', 'needs-input'].includes((value as PlanResult).kind);
}

function backupChecks(backup: Backup, key: KeyCheck): Check[] {
	return [
		{kind: 'backup-status', backupId: backup.id, in: ['available']},
		...(key === 'present' && backup.encryptionKeyId !== undefined ? [{kind: 'secret-exists', secretId: backup.encryptionKeyId} as const] : []),
	];
}

type EncryptedRestoreInput = {
	session: CloudSession;
	backup: Backup;
	request: RestoreBackupRequest;
	source: SourceType | undefined;
	types: VolumeType[];
	name: string;
	signal?: AbortSignal;
};

/**
Restore 2: an encrypted backup can only go into a volume of its own source type.
*/
async function planEncryptedRestore(input: EncryptedRestoreInput): Promise<PlanResult> {
	const {
		session, backup, request, types, name, signal,
	} = input;
	let {source} = input;
	if (source === undefined) {
		return typeQuestion(await encryptedTypes(session, signal), `Backup ${label(backup)} is encrypted and its source volume type is unknown (the volume is gone `
			+ 'and the backup has no backstack metadata). Which encrypted volume type did the source volume have?');
	}

	const cinder = session.cinder!;
	const has347 = isMicroversionAtLeast(cinder.microversion.max, '3.47');
	const warnings: string[] = [];

	if (source.from === 'user') {
		// The user may answer with a name or an ID.
		const answer = types.find(type => type.id === request.volumeType || type.name === request.volumeType);
		source = answer ? {name: answer.name, id: answer.id, from: 'user'} : source;
		warnings.push('The volume type was chosen by you: if it is not the exact type of the source volume, Cinder ends the restore in error_restoring (the volume is left for you to delete).');
	}

	const {type, problem} = matchType(types, source);
	if (!type) {
		return refuse(`Backup ${label(backup)} cannot be restored: ${problem ?? 'its volume type is unknown.'}`);
	}

	const key = await checkKey(session, backup.encryptionKeyId, signal);
	if (key === 'missing') {
		return refuse(`Backup ${label(backup)} cannot be restored: its Barbican key ${backup.encryptionKeyId ?? ''} is `
			+ 'gone, so its data cannot be decrypted (a project user cannot give a Cinder backup another key).');
	}

	if (key === 'unknown') {
		warnings.push(backup.encryptionKeyId === undefined
			? 'This cloud does not show the backup\'s key ID (microversion 3.64), so backstack cannot check that its Barbican secret still exists.'
			: 'Barbican cannot be read here, so backstack cannot check that the backup\'s key still exists.');
	}

	const checks: Check[] = [...backupChecks(backup, key), {kind: 'volume-type-exists', volumeType: type.id}];
	const method = request.method ?? (has347 ? 'create-from-backup' : 'create-then-restore');
	if (method === 'create-from-backup') {
		if (!has347) {
			return refuse(`Cinder here supports microversions up to ${cinder.microversion.max}; creating a volume from a backup needs 3.47. Use the create-then-restore method.`);
		}

		const steps: Step[] = [{
			id: 'create-volume-from-backup',
			title: `Create volume "${name}" of type ${type.name} from the backup`,
			danger: 'create',
			checks: [...checks, {kind: 'microversion', service: 'cinder', atLeast: '3.47'}],
			action: {
				op: 'cinder.createVolume',
				args: {
					name, backupId: backup.id, volumeType: type.id, size: backup.size, description: `Restored by backstack from backup ${backup.id}`,
				},
			},
			creates: {
				kind: 'volume', output: 'volumeId', name, temporary: false,
			},
			wait: {
				resource: 'volume', id: ref('create-volume-from-backup', 'volumeId'), until: ['available'], failOn: restoreFailOn, timeoutMs: 12 * hour,
			},
			note: `The type comes from ${source.from === 'user' ? 'your answer' : (source.from === 'backup-metadata' ? 'the backup\'s backstack metadata' : 'the source volume')}; `
				+ 'a restore without it would use the default type and end error_restoring.',
		}];
		return planned(makePlan('restore-backup', `Restore encrypted backup ${label(backup)} into a new ${type.name} volume`, steps, {
			warnings,
			results: {volume: ref('create-volume-from-backup', 'volumeId')},
		}));
	}

	const steps: Step[] = [
		{
			id: 'create-target',
			title: `Create an empty ${backup.size} GiB volume "${name}" of type ${type.name}`,
			danger: 'create',
			checks,
			action: {op: 'cinder.createVolume', args: {name, size: backup.size, volumeType: type.id}},
			creates: {
				kind: 'volume', output: 'volumeId', name, temporary: false,
			},
			wait: {
				resource: 'volume', id: ref('create-target', 'volumeId'), until: ['available'], failOn: volumeFailOn, timeoutMs: 30 * minute,
			},
		},
		{
			id: 'restore',
			title: 'Restore the backup onto it',
			danger: 'mutate',
			checks: [],
			action: {op: 'cinder.restoreBackup', args: {backupId: backup.id, volumeId: ref('create-target', 'volumeId')}},
			wait: {
				resource: 'volume', id: ref('create-target', 'volumeId'), until: ['available'], failOn: restoreFailOn, timeoutMs: 12 * hour,
			},
			note: 'The volume goes restoring-backup, then available; its key is replaced by a clone of the backup\'s.',
		},
	];
	return planned(makePlan('restore-backup', `Restore encrypted backup ${label(backup)} into a new ${type.name} volume`, steps, {
		warnings,
		results: {volume: ref('create-target', 'volumeId')},
	}));
}

/**
Restores 1 and 2: a backup into a new volume, of the source type where it matters.
*/
export async function planRestoreBackupToNewVolume(session: CloudSession, request: RestoreBackupRequest, signal?: AbortSignal): Promise<PlanResult> {
	const found = await getBackupOrRefuse(session, request.backupId, signal);
	if (isResult(found)) {
		return found;
	}

	const backup = found;
	const cinder = session.cinder!;
	const name = request.name ?? `restore-${displayName(backup)}`;
	const source: SourceType | undefined = request.volumeType === undefined ? await findSourceType(session, backup, signal) : {name: request.volumeType, from: 'user'};
	const types = await cinder.listVolumeTypes({signal});
	if (isEncryptedBackup(backup)) {
		return planEncryptedRestore({
			session, backup, request, source, types, name, signal,
		});
	}

	const has347 = isMicroversionAtLeast(cinder.microversion.max, '3.47');
	const warnings: string[] = [];

	// Not encrypted: any type works; keep the source type where backstack knows it and the cloud can take it.
	const checks = backupChecks(backup, 'unknown');
	if (source !== undefined && has347) {
		const {type} = matchType(types, source);
		if (type) {
			const steps: Step[] = [{
				id: 'create-volume-from-backup',
				title: `Create volume "${name}" of type ${type.name} from the backup`,
				danger: 'create',
				checks: [...checks, {kind: 'volume-type-exists', volumeType: type.id}, {kind: 'microversion', service: 'cinder', atLeast: '3.47'}],
				action: {
					op: 'cinder.createVolume', args: {
						name, backupId: backup.id, volumeType: type.id, size: backup.size,
					},
				},
				creates: {
					kind: 'volume', output: 'volumeId', name, temporary: false,
				},
				wait: {
					resource: 'volume', id: ref('create-volume-from-backup', 'volumeId'), until: ['available'], failOn: restoreFailOn, timeoutMs: 12 * hour,
				},
			}];
			return planned(makePlan('restore-backup', `Restore backup ${label(backup)} into a new ${type.name} volume`, steps, {
				warnings, results: {volume: ref('create-volume-from-backup', 'volumeId')},
			}));
		}

		warnings.push(`The source type ${source.name ?? source.id ?? ''} no longer exists; the volume gets the default type.`);
	}

	const steps: Step[] = [{
		id: 'restore',
		title: `Restore the backup into a new volume "${name}"`,
		danger: 'create',
		checks,
		action: {op: 'cinder.restoreBackup', args: {backupId: backup.id, name}},
		creates: {
			kind: 'volume', output: 'volumeId', name, temporary: false,
		},
		wait: {
			resource: 'volume', id: ref('restore', 'volumeId'), until: ['available'], failOn: restoreFailOn, timeoutMs: 12 * hour,
		},
		note: 'Cinder creates the volume (default type, the backup\'s size) and restores into it.',
	}];
	return planned(makePlan('restore-backup', `Restore backup ${label(backup)} into a new volume`, steps, {warnings, results: {volume: ref('restore', 'volumeId')}}));
}

/**
Restore 3: onto an existing volume, whose data it destroys.
*/
export async function planRestoreOntoVolume(session: CloudSession, request: RestoreOntoVolumeRequest, signal?: AbortSignal): Promise<PlanResult> {
	const found = await getBackupOrRefuse(session, request.backupId, signal);
	if (isResult(found)) {
		return found;
	}

	const backup = found;
	const cinder = session.cinder!;
	const target: Volume | undefined = await cinder.findVolume(request.volumeId, {signal});
	if (!target) {
		return refuse(`Volume ${request.volumeId} does not exist in this project.`);
	}

	if (target.status !== 'available') {
		return refuse(`Volume ${label(target)} is ${target.status}; a backup can only be restored onto an available (detached) volume.`);
	}

	if (target.size < backup.size) {
		return refuse(`Volume ${label(target)} has ${target.size} GiB; backup ${label(backup)} needs at least ${backup.size} GiB.`);
	}

	const key = await checkKey(session, backup.encryptionKeyId, signal);
	const checks: Check[] = [
		...backupChecks(backup, key),
		{kind: 'volume-status', volumeId: target.id, in: ['available']},
		{kind: 'volume-min-size', volumeId: target.id, size: backup.size},
	];
	if (isEncryptedBackup(backup)) {
		const source = await findSourceType(session, backup, signal);
		if (!source) {
			return refuse(`Backup ${label(backup)} is encrypted and its source volume type is unknown, so backstack cannot check that `
				+ `${label(target)} has it; a mismatch ends error_restoring. Restore into a new volume instead (it asks for the type).`);
		}

		const {type, problem} = matchType(await cinder.listVolumeTypes({signal}), source);
		if (!type) {
			return refuse(`Backup ${label(backup)} cannot be restored: ${problem ?? ''}`);
		}

		if (target.volumeTypeId !== undefined && target.volumeTypeId !== type.id) {
			return refuse(`Volume ${label(target)} has type ${target.volumeType ?? target.volumeTypeId}; the encrypted backup can only be restored onto a ${type.name} volume.`);
		}

		if (target.volumeTypeId === undefined && target.volumeType !== type.name) {
			return refuse(`Volume ${label(target)} has type ${target.volumeType ?? 'unknown'}; the encrypted backup can only be restored onto a ${type.name} volume.`);
		}

		if (key === 'missing') {
			return refuse(`Backup ${label(backup)} cannot be restored: its Barbican key ${backup.encryptionKeyId ?? ''} is gone.`);
		}

		checks.push({kind: 'volume-type-is', volumeId: target.id, volumeType: type.id});
	}

	const confirmationText = displayName(target);
	const steps: Step[] = [{
		id: 'restore',
		title: `Overwrite volume ${label(target)} with backup ${label(backup)}`,
		danger: 'destroy',
		checks,
		action: {op: 'cinder.restoreBackup', args: {backupId: backup.id, volumeId: target.id}},
		wait: {
			resource: 'volume', id: target.id, until: ['available'], failOn: restoreFailOn, timeoutMs: 12 * hour,
		},
		note: 'Everything on the volume now is replaced by the backup\'s data.',
	}];
	return planned(makePlan('restore-onto-volume', `Restore backup ${label(backup)} onto existing volume ${label(target)}`, steps, {
		warnings: [`All data on volume ${label(target)} (${target.size} GiB) will be overwritten.`],
		confirmation: {
			text: confirmationText,
			resource: {kind: 'volume', id: target.id, name: target.name === '' ? undefined : target.name},
			reason: `Restoring overwrites every byte of volume ${label(target)}.`,
		},
		results: {volume: ref('restore', 'volumeId')},
	}));
}

/**
Cinder (Zed) writes `signature_verified` into a new volume's image metadata, then copies the image's properties there
too: an image that already carries the property (uploaded from a volume that came from an image) makes the volume end
`error` (GlanceMetadataExists). Removing the property from the image first is the fix; only the image's owner may.
*/
const cinderOwnKey = 'signature_verified';

function signatureStep(session: CloudSession, image: Image): Step | PlanResult | undefined {
	if (!Object.hasOwn(image.properties, cinderOwnKey)) {
		return undefined;
	}

	const project = session.identity.token().projectId;
	if (image.owner !== project) {
		return refuse(`Image ${label(image)} carries the property ${cinderOwnKey} (Cinder copies it into images made from volumes), `
			+ 'and Cinder (Zed) fails a volume made of such an image: it ends in error. Only the image\'s owner can remove the property, and '
			+ `the image belongs to ${image.owner === undefined ? 'another project' : `project ${image.owner}`} (visibility ${image.visibility}), not to yours. `
			+ `Either ask its owner to run \`openstack image unset --property ${cinderOwnKey} ${image.id}\`, or make your own copy: `
			+ `\`backstack backup image-download ${image.id} <file>\`, then \`backstack restore image <file> --name <new name>\``
			+ (image.cinderEncryptionKeyId === undefined
				? ''
				: ` --key-file <key file> (the image is encrypted; its key: \`backstack backup secret image ${image.id} <key file>\`, if you may read it)`)
			+ ', and restore the volume from that new image.');
	}

	return {
		id: 'unset-signature-verified',
		title: `Remove property ${cinderOwnKey} from image ${label(image)}, or Cinder would fail the new volume`,
		danger: 'mutate',
		// The next step's checks (image active, type, key) run before this one changes anything.
		checks: [],
		action: {op: 'glance.removeImageProperties', args: {imageId: image.id, keys: [cinderOwnKey]}},
		note: `Cinder copied ${cinderOwnKey} into this image from the volume it was uploaded from; Cinder Zed then refuses to `
			+ 'make a volume of it (the volume ends in error, "GlanceMetadataExists"). The image\'s data is not touched.',
	};
}

function isSnapshotReferenceImage(image: Image): boolean {
	return image.blockDeviceMapping !== undefined && (image.size ?? 0) === 0;
}

/**
Restore 4: a volume from an image (an image backup of a volume).
*/
export async function planVolumeFromImage(session: CloudSession, request: VolumeFromImageRequest, signal?: AbortSignal): Promise<PlanResult> {
	if (!session.glance || !session.cinder) {
		return refuse('This cloud needs both Glance and Cinder for this restore.');
	}

	const image = await session.glance.findImage(request.imageId, {signal});
	if (!image) {
		return refuse(`Image ${request.imageId} does not exist (or is not visible to this project).`);
	}

	if (image.status !== 'active') {
		return refuse(`Image ${label(image)} is ${image.status}; only an active image can be restored.`);
	}

	if (isSnapshotReferenceImage(image)) {
		return refuse(`Image ${label(image)} holds no data: it was made from a boot-from-volume server and only references Cinder snapshots.`);
	}

	const signature = signatureStep(session, image);
	if (isResult(signature)) {
		return signature;
	}

	const rawMinDisk = image.raw['min_disk'];
	const rawVirtual = image.raw['virtual_size'];
	const minDisk = typeof rawMinDisk === 'number' ? rawMinDisk : 0;
	const bytes = typeof rawVirtual === 'number' ? rawVirtual : image.size ?? 0;
	const needed = Math.max(1, minDisk, Math.ceil(bytes / gib));
	const size = request.size ?? needed;
	if (size < needed) {
		return refuse(`Image ${label(image)} needs a volume of at least ${needed} GiB; ${size} GiB was asked for.`);
	}

	const checks: Check[] = [{kind: 'image-status', imageId: image.id, in: ['active']}];
	const warnings: string[] = [];
	let {volumeType} = request;
	if (image.cinderEncryptionKeyId !== undefined) {
		if (volumeType === undefined) {
			return typeQuestion(await encryptedTypes(session, signal), `Image ${label(image)} holds an encrypted volume (it has cinder_encryption_key_id). `
				+ 'Which encrypted volume type should the new volume have? Another type leaves it unusable.');
		}

		const types = await session.cinder.listVolumeTypes({signal});
		const type = types.find(candidate => candidate.id === volumeType || candidate.name === volumeType);
		if (!type) {
			return refuse(`Volume type ${volumeType} does not exist (or is not visible to this project).`);
		}

		volumeType = type.id;
		const key = await checkKey(session, image.cinderEncryptionKeyId, signal);
		if (key === 'missing') {
			return refuse(`Image ${label(image)} cannot be restored: its Barbican key ${image.cinderEncryptionKeyId} is gone. Restore the `
				+ 'key from its file and point the image at it first (backstack restore secret, then set cinder_encryption_key_id).');
		}

		if (key === 'present') {
			checks.push({kind: 'secret-exists', secretId: image.cinderEncryptionKeyId});
		} else {
			warnings.push('Barbican cannot be read here, so backstack cannot check that the image\'s key still exists.');
		}

		checks.push({kind: 'volume-type-exists', volumeType: type.id});
	} else if (volumeType !== undefined) {
		checks.push({kind: 'volume-type-exists', volumeType});
	}

	const name = request.name ?? `from-${displayName(image)}`;
	const steps: Step[] = [...(signature === undefined ? [] : [signature]), {
		id: 'create-volume-from-image',
		title: `Create volume "${name}" (${size} GiB) from image ${label(image)}`,
		danger: 'create',
		checks,
		action: {
			op: 'cinder.createVolume', args: {
				name, size, imageRef: image.id, volumeType,
			},
		},
		creates: {
			kind: 'volume', output: 'volumeId', name, temporary: false,
		},
		wait: {
			resource: 'volume', id: ref('create-volume-from-image', 'volumeId'), until: ['available'], failOn: volumeFailOn, timeoutMs: 6 * hour,
		},
	}];
	return planned(makePlan('volume-from-image', `Restore image ${label(image)} into a new volume`, steps, {warnings, results: {volume: ref('create-volume-from-image', 'volumeId')}}));
}

/**
Restore 5: an image from a downloaded file, with its key re-stored when it is an encrypted volume's image.
*/
export async function planImageFromFile(session: CloudSession, given: ImageFromFileRequest): Promise<PlanResult> {
	if (!session.glance) {
		return refuse('This cloud has no Glance (image) endpoint.');
	}

	// Absolute at planning time: a resume from another directory reads the same files.
	const request = {...given, path: path.resolve(given.path), keyFile: given.keyFile === undefined ? undefined : path.resolve(given.keyFile)};

	let size: number;
	try {
		({size} = await stat(request.path));
	} catch {
		return refuse(`${request.path} cannot be read.`);
	}

	const diskFormat = request.diskFormat ?? 'raw';
	const containerFormat = request.containerFormat ?? 'bare';
	const steps: Step[] = [];
	const warnings: string[] = [];
	const properties: Record<string, string | ReturnType<typeof ref>> = {};
	if (request.keyFile !== undefined) {
		if (!usableBarbican(session)) {
			return refuse('Barbican cannot be reached on this cloud, so the image\'s key cannot be restored.');
		}

		let keyBytes: number;
		try {
			({size: keyBytes} = await stat(request.keyFile));
		} catch {
			return refuse(`${request.keyFile} cannot be read.`);
		}

		steps.push({
			id: 'store-key',
			title: 'Store the image\'s key as a new Barbican secret',
			danger: 'create',
			checks: [{kind: 'file-readable', path: request.keyFile}],
			action: {
				op: 'barbican.storeSecret',
				args: {
					path: request.keyFile,
					name: `${request.name}-key`,
					algorithm: request.keyAlgorithm ?? 'aes',
					bitLength: request.keyBitLength ?? (keyBytes * 8),
					mode: request.keyMode,
					secretType: 'symmetric',
				},
			},
			creates: {
				kind: 'secret', output: 'secretId', name: `${request.name}-key`, temporary: false,
			},
			note: `The secret gets a NEW ID; the image is pointed at it. ${markedSecretNote}`,
		});
		properties['cinder_encryption_key_id'] = ref('store-key', 'secretId');
		if ((request.keyDeletionPolicy ?? 'on_image_deletion') === 'on_image_deletion') {
			properties['cinder_encryption_key_deletion_policy'] = 'on_image_deletion';
		}

		if (diskFormat !== 'raw' || containerFormat !== 'bare') {
			warnings.push('Images of encrypted volumes are raw/bare; Cinder refuses other formats when it makes a volume of them.');
		}
	}

	steps.push(
		{
			id: 'create-image',
			title: `Create image "${request.name}" (${diskFormat}/${containerFormat})`,
			danger: 'create',
			checks: [{kind: 'file-readable', path: request.path}],
			action: {
				op: 'glance.createImage', args: {
					name: request.name, diskFormat, containerFormat, properties,
				},
			},
			creates: {
				kind: 'image', output: 'imageId', name: request.name, temporary: false,
			},
		},
		{
			id: 'upload',
			title: `Upload ${request.path} (${size} bytes)`,
			danger: 'mutate',
			checks: [],
			action: {op: 'glance.uploadImageData', args: {imageId: ref('create-image', 'imageId'), path: request.path}},
			wait: {
				resource: 'image', id: ref('create-image', 'imageId'), until: ['active'], failOn: imageFailOn, timeoutMs: hour,
			},
		},
	);
	return planned(makePlan('image-from-file', `Restore image "${request.name}" from ${request.path}`, steps, {
		warnings,
		results: {image: ref('create-image', 'imageId'), ...(request.keyFile !== undefined && {secret: ref('store-key', 'secretId')})},
	}));
}

/**
Barbican keeps nothing of a store request but its name, and a secret cannot be renamed (intents.ts).
*/
const markedSecretNote = `Its name ends with [${intentKey}=<random id of this run>] for good: that is how a resumed run finds it instead of storing it twice.`;

/**
What still points at a secret ID, from an inventory.
*/
export function referencesTo(secretId: string, inventory: Inventory): string[] {
	const found: string[] = [];
	for (const volume of inventory.volumes) {
		if (volume.encryptionKeyId === secretId) {
			found.push(`volume ${label(volume)} (Cinder keeps the old ID; it cannot be changed through the API)`);
		}
	}

	for (const backup of inventory.backups) {
		if (backup.encryptionKeyId === secretId) {
			found.push(`backup ${label(backup)} (Cinder keeps the old ID; it cannot be changed through the API)`);
		}
	}

	for (const image of inventory.images) {
		if (image.cinderEncryptionKeyId === secretId) {
			found.push(`image ${label(image)} (can be pointed at the new ID: openstack image set --property cinder_encryption_key_id=<new id>)`);
		}
	}

	return found;
}

/**
Restore 6: a Barbican secret from a file. It gets a new ID.
*/
export async function planSecretFromFile(session: CloudSession, given: SecretFromFileRequest): Promise<PlanResult> {
	if (!usableBarbican(session)) {
		return refuse('Barbican (key-manager) cannot be reached on this cloud.');
	}

	const request = {...given, path: path.resolve(given.path)};

	let bytes: number;
	try {
		({size: bytes} = await stat(request.path));
	} catch {
		return refuse(`${request.path} cannot be read.`);
	}

	if (bytes === 0) {
		return refuse(`${request.path} is empty.`);
	}

	const warnings = [
		'The restored secret gets a NEW ID. Anything that refers to the old ID keeps doing so and cannot use the restored copy.',
		'Barbican does not verify algorithm, bit length, mode or type: make them match the original secret.',
	];
	if (request.oldSecretId !== undefined) {
		const references = request.inventory ? referencesTo(request.oldSecretId, request.inventory) : [];
		warnings.push(references.length > 0
			? `Still pointing at the old ID ${request.oldSecretId}: ${references.join('; ')}.`
			: `Nothing backstack knows of points at the old ID ${request.oldSecretId}${request.inventory ? '' : ' (no inventory was given to look it up)'}.`);
	}

	const steps: Step[] = [{
		id: 'store-secret',
		title: `Store ${request.path} as a new secret${request.name === undefined || request.name === '' ? '' : ` "${request.name}"`}`,
		danger: 'create',
		checks: [{kind: 'file-readable', path: request.path}],
		action: {
			op: 'barbican.storeSecret',
			args: {
				path: request.path,
				name: request.name,
				algorithm: request.algorithm ?? 'aes',
				bitLength: request.bitLength ?? (bytes * 8),
				mode: request.mode,
				secretType: request.secretType ?? 'symmetric',
			},
		},
		creates: {
			kind: 'secret', output: 'secretId', name: request.name, temporary: false,
		},
		note: markedSecretNote,
	}];
	return planned(makePlan('secret-from-file', `Restore a Barbican secret from ${request.path}`, steps, {
		warnings,
		results: {secret: ref('store-secret', 'secretId')},
		...(request.oldSecretId !== undefined && {replaces: {secret: request.oldSecretId}}),
	}));
}
