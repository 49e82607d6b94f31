/*
Backup planners (issue 8). Like the restore planners, they read the cloud and return a plan or a refusal.
*/
import path from 'node:path';
import type {CloudSession} from '../../openstack/api.js';
import type {Volume} from '../../openstack/types.js';
import {displayName} from '../text.js';
import {
	backupMetaEncrypted,
	backupMetaSize,
	backupMetaSourceTypeId,
	backupMetaSourceTypeName,
	backupMetaVersion,
} from '../model.js';
import {isMicroversionAtLeast} from './clock.js';
import {
	backupFailOn,
	usableBarbican,
	hour,
	imageFailOn,
	label,
	makePlan,
	planned,
	refuse,
	snapshotDetour,
} from './common.js';
import {ref} from './refs.js';
import type {Check, PlanResult, Step} from './types.js';

export type VolumeBackupRequest = {
	volumeId: string;
	name?: string;
	description?: string;
	/**
	`auto`: incremental when an available full backup exists.
	*/
	incremental?: boolean | 'auto';
	/**
	Needed for an in-use volume; default: true exactly when the volume is in use.
	*/
	force?: boolean;
	/**
	Backstack's version, written into the backup's metadata.
	*/
	version?: string;
};

export type VolumeToImageRequest = {
	volumeId: string;
	imageName: string;
	diskFormat?: string;
	containerFormat?: string;
	/**
	Take the snapshot detour for an available volume too: the volume stays usable (attachable) during the upload instead
	of sitting in `uploading`. An in-use volume always takes it.
	*/
	viaSnapshot?: boolean;
};

export type ServerImageRequest = {
	serverId: string;
	imageName: string;
};

export type ImageDownloadRequest = {
	imageId: string;
	path: string;
};

export type SecretExportRequest = {
	/**
	Where the key is found: the resource's own key reference.
	*/
	from: {kind: 'volume' | 'backup' | 'image' | 'secret'; id: string};
	path: string;
	/**
	Also write the hexlified form OpenStack passes to LUKS as passphrase (guide appendix).
	*/
	hex?: boolean;
};

export type ProtectNowRequest = {
	volumeIds: string[];
	/**
	Backups running at the same time; default 2.
	*/
	concurrency?: number;
	incremental?: boolean | 'auto';
	version?: string;
};

type BackupStepResult = {step: Step; warnings: string[]} | {refusal: string};

async function hasAvailableFull(session: CloudSession, volumeId: string, signal?: AbortSignal): Promise<boolean> {
	for await (const backup of session.cinder!.listBackups({signal})) {
		if (backup.volumeId === volumeId && backup.status === 'available' && !backup.isIncremental) {
			return true;
		}
	}

	return false;
}

async function sourceTypeId(session: CloudSession, volume: Volume, signal?: AbortSignal): Promise<string | undefined> {
	if (volume.volumeTypeId !== undefined || volume.volumeType === undefined) {
		return volume.volumeTypeId;
	}

	try {
		const type = await session.cinder!.getVolumeType(volume.volumeType, {signal});
		return type.id;
	} catch {
		return undefined;
	}
}

type BackupMode = {isForce: boolean; isIncremental: boolean} | {refusal: string};

/**
Force and incremental as the volume allows them, or why it cannot be backed up.
*/
async function backupMode(session: CloudSession, volume: Volume, request: Omit<VolumeBackupRequest, 'volumeId'>, signal?: AbortSignal): Promise<BackupMode> {
	if (volume.status !== 'available' && volume.status !== 'in-use') {
		return {refusal: `Volume ${label(volume)} is ${volume.status}; only an available or in-use volume can be backed up.`};
	}

	const isInUse = volume.status === 'in-use';
	const isForce = request.force ?? isInUse;
	if (isInUse && !isForce) {
		return {refusal: `Volume ${label(volume)} is in use; backing it up needs force (the backup is crash-consistent, not application-consistent).`};
	}

	const isFullExists = await hasAvailableFull(session, volume.id, signal);
	const wantIncremental = request.incremental ?? 'auto';
	const noFull = `Volume ${label(volume)} has no available full backup, so an incremental backup is not possible; make a full one.`;
	return wantIncremental === true && !isFullExists ? {refusal: noFull} : {isForce, isIncremental: wantIncremental === 'auto' ? isFullExists : wantIncremental};
}

/**
Backstack's provenance for the backup's metadata, or a warning when the cloud cannot store it (before 3.43).
*/
async function backupMetadata(session: CloudSession, volume: Volume, version: string | undefined, signal?: AbortSignal): Promise<{metadata?: Record<string, string>; warning?: string}> {
	const cinder = session.cinder!;
	if (!isMicroversionAtLeast(cinder.microversion.max, '3.43')) {
		const consequence = volume.encrypted ? ': an encrypted backup can only be restored into that exact type' : '';
		return {
			warning: `Cinder here stops at microversion ${cinder.microversion.max}: backup metadata needs 3.43, so the source type (${volume.volumeType ?? 'unknown'}) `
				+ `cannot be recorded on the backup. Note it down${consequence}.`,
		};
	}

	const typeId = await sourceTypeId(session, volume, signal);
	return {
		metadata: {
			[backupMetaEncrypted]: String(volume.encrypted),
			[backupMetaSize]: String(volume.size),
			[backupMetaVersion]: version ?? 'unknown',
			...(volume.volumeType !== undefined && {[backupMetaSourceTypeName]: volume.volumeType}),
			...(typeId !== undefined && {[backupMetaSourceTypeId]: typeId}),
		},
	};
}

type BackupStepInput = {
	session: CloudSession;
	volume: Volume;
	request: Omit<VolumeBackupRequest, 'volumeId'>;
	stepId: string;
};

async function backupStep({
	session, volume, request, stepId,
}: BackupStepInput, signal?: AbortSignal): Promise<BackupStepResult> {
	const mode = await backupMode(session, volume, request, signal);
	if ('refusal' in mode) {
		return mode;
	}

	const {isForce, isIncremental} = mode;
	const isInUse = volume.status === 'in-use';
	const checks: Check[] = [
		{kind: 'volume-status', volumeId: volume.id, in: isForce ? ['available', 'in-use'] : ['available']},
		...(isIncremental ? [{kind: 'available-full-backup', volumeId: volume.id} as const] : []),
	];
	const {metadata, warning} = await backupMetadata(session, volume, request.version, signal);
	const warnings = warning === undefined ? [] : [warning];

	const name = request.name ?? `${displayName(volume)}-${isIncremental ? 'incr' : 'full'}-${new Date().toISOString().slice(0, 16).replaceAll(':', '')}`;
	const step: Step = {
		id: stepId,
		title: `${isIncremental ? 'Incremental' : 'Full'} backup of volume ${label(volume)}${isForce && isInUse ? ' (forced, in use)' : ''}`,
		danger: 'create',
		checks,
		action: {
			op: 'cinder.createBackup',
			args: {
				volumeId: volume.id, name, description: request.description, incremental: isIncremental, force: isForce || undefined, metadata,
			},
		},
		creates: {
			kind: 'backup', output: 'backupId', name, temporary: false,
		},
		wait: {
			resource: 'backup', id: ref(stepId, 'backupId'), until: ['available'], failOn: backupFailOn, timeoutMs: 12 * hour,
		},
		note: isInUse ? 'The volume is in use: the backup is crash-consistent, not application-consistent (flush or stop the application for a clean copy).' : undefined,
	};
	if (volume.encrypted) {
		warnings.push(`Volume ${label(volume)} is encrypted: Cinder gives the backup its own copy of the key in Barbican; the `
			+ `backup can only be restored while that secret exists and into type ${volume.volumeType ?? '(unknown)'}.`);
	}

	return {step, warnings};
}

/**
Backup 1: a Cinder backup of one volume, full or incremental, with backstack's metadata.
*/
export async function planVolumeBackup(session: CloudSession, request: VolumeBackupRequest, signal?: AbortSignal): Promise<PlanResult> {
	if (!session.cinder) {
		return refuse('This cloud has no Cinder (block-storage) endpoint.');
	}

	const volume = await session.cinder.findVolume(request.volumeId, {signal});
	if (!volume) {
		return refuse(`Volume ${request.volumeId} does not exist in this project.`);
	}

	const result = await backupStep({
		session, volume, request, stepId: 'backup',
	}, signal);
	if ('refusal' in result) {
		return refuse(result.refusal);
	}

	return planned(makePlan('volume-backup', `Back up volume ${label(volume)}`, [result.step], {
		warnings: result.warnings,
		results: {backup: ref('backup', 'backupId')},
	}));
}

/**
Backup 2: a volume into a Glance image; an in-use volume takes the snapshot detour, whose temporaries are always removed.
*/
export async function planVolumeToImage(session: CloudSession, request: VolumeToImageRequest, signal?: AbortSignal): Promise<PlanResult> {
	if (!session.cinder || !session.glance) {
		return refuse('This cloud needs both Cinder and Glance for a volume image.');
	}

	const volume = await session.cinder.findVolume(request.volumeId, {signal});
	if (!volume) {
		return refuse(`Volume ${request.volumeId} does not exist in this project.`);
	}

	const diskFormat = request.diskFormat ?? 'raw';
	const containerFormat = request.containerFormat ?? 'bare';
	const warnings = ['An image is a full copy every time; Glance has no incremental images.'];
	if (volume.encrypted) {
		if (diskFormat !== 'raw' || containerFormat !== 'bare') {
			return refuse(`Volume ${label(volume)} is encrypted: Cinder uploads encrypted volumes as raw/bare only.`);
		}

		warnings.push('The volume is encrypted: the image holds its LUKS-encrypted blocks and gets its own key (image property cinder_encryption_key_id). '
			+ 'Outside OpenStack the image is useless without that key: export it too (backstack backup secret image <image> <file>).');
	}

	const upload = (stepId: string, volumeId: ReturnType<typeof ref> | string, checks: Check[]): Step => ({
		id: stepId,
		title: `Upload ${typeof volumeId === 'string' ? `volume ${label(volume)}` : 'the temporary volume'} to image "${request.imageName}"`,
		danger: 'create',
		checks,
		action: {
			op: 'cinder.uploadVolumeToImage', args: {
				volumeId, imageName: request.imageName, diskFormat, containerFormat,
			},
		},
		creates: {
			kind: 'image', output: 'imageId', name: request.imageName, temporary: false,
		},
		wait: {
			resource: 'image', id: ref(stepId, 'imageId'), until: ['active'], failOn: imageFailOn, timeoutMs: 12 * hour,
		},
	});

	if (volume.status === 'available' && request.viaSnapshot !== true) {
		return planned(makePlan('volume-image', `Copy volume ${label(volume)} into image "${request.imageName}"`, [
			upload('upload', volume.id, [{kind: 'volume-status', volumeId: volume.id, in: ['available']}]),
		], {warnings, results: {image: ref('upload', 'imageId')}}));
	}

	if (volume.status !== 'in-use' && volume.status !== 'available') {
		return refuse(`Volume ${label(volume)} is ${volume.status}; only an available or in-use volume can be copied into an image.`);
	}

	const isInUse = volume.status === 'in-use';
	warnings.push(isInUse
		? 'The volume is in use: the snapshot is crash-consistent, not application-consistent.'
		: 'Through a snapshot (--via-snapshot): the volume stays available and usable while the copy is uploaded; a temporary snapshot and volume are made and removed.');
	const snapshotName = `backstack-tmp-${displayName(volume)}-snapshot`;
	const temporaryName = `backstack-tmp-${displayName(volume)}-volume`;
	const steps: Step[] = [
		...snapshotDetour(volume, {
			ids: {snapshot: 'snapshot', volume: 'temporary-volume'},
			names: {snapshot: snapshotName, volume: temporaryName},
			snapshotTitle: isInUse ? `Snapshot the in-use volume ${label(volume)} (force)` : `Snapshot volume ${label(volume)}`,
			force: isInUse || undefined,
		}),
		upload('upload', ref('temporary-volume', 'volumeId'), []),
	];
	return planned(makePlan('volume-image', `Copy ${isInUse ? 'in-use ' : ''}volume ${label(volume)} into image "${request.imageName}" (snapshot detour)`, steps, {
		warnings,
		results: {image: ref('upload', 'imageId')},
	}));
}

/**
Backup 3: a server's ephemeral disk into an image (createImage).
*/
export async function planServerImage(session: CloudSession, request: ServerImageRequest, signal?: AbortSignal): Promise<PlanResult> {
	if (!session.nova || !session.glance) {
		return refuse('This cloud needs Nova and Glance for a server image.');
	}

	let server;
	try {
		server = await session.nova.getServer(request.serverId, {signal});
	} catch (error) {
		return refuse(`Server ${request.serverId} cannot be read: ${error instanceof Error ? error.message : String(error)}`);
	}

	const allowed = ['ACTIVE', 'SHUTOFF', 'PAUSED', 'SUSPENDED'];
	if (!allowed.includes(server.status)) {
		return refuse(`Server ${label(server)} is ${server.status}; Nova makes images of ACTIVE, SHUTOFF, PAUSED or SUSPENDED servers only.`);
	}

	const warnings: string[] = [];
	if (server.bootFromVolume) {
		warnings.push(`Server ${label(server)} boots from a volume: the image would hold no data, only references to Cinder `
			+ 'snapshots on the same storage. That is not a backup; back up its volumes instead (backstack backup volume).');
	} else if (server.attachedVolumeIds.length > 0) {
		warnings.push(`Volumes attached to ${label(server)} are NOT in the image (${server.attachedVolumeIds.join(', ')}); Nova snapshots them in Cinder instead. Back them up separately.`);
	}

	const steps: Step[] = [{
		id: 'create-image',
		title: `Create image "${request.imageName}" of server ${label(server)}`,
		danger: 'create',
		checks: [{kind: 'server-status', serverId: server.id, in: allowed}],
		action: {op: 'nova.createServerImage', args: {serverId: server.id, name: request.imageName}},
		creates: {
			kind: 'image', output: 'imageId', name: request.imageName, temporary: false,
		},
		wait: {
			resource: 'image', id: ref('create-image', 'imageId'), until: ['active'], failOn: imageFailOn, timeoutMs: 6 * hour,
		},
	}];
	return planned(makePlan('server-image', `Copy the ephemeral disk of server ${label(server)} into image "${request.imageName}"`, steps, {
		warnings,
		results: {image: ref('create-image', 'imageId')},
	}));
}

/**
Backup 4: an image downloaded to a file, resumable, verified.
*/
export async function planImageDownload(session: CloudSession, given: ImageDownloadRequest, signal?: AbortSignal): Promise<PlanResult> {
	if (!session.glance) {
		return refuse('This cloud has no Glance (image) endpoint.');
	}

	// Absolute at planning time: the journal names the file wherever a resume or cleanup runs.
	const request = {...given, path: path.resolve(given.path)};

	const image = await session.glance.findImage(request.imageId, {signal});
	if (!image) {
		return refuse(`Image ${request.imageId} does not exist (or is not visible to this project).`);
	}

	if (image.status !== 'active') {
		return refuse(`Image ${label(image)} is ${image.status}; only an active image can be downloaded.`);
	}

	if ((image.size ?? 0) === 0) {
		return refuse(`Image ${label(image)} has no data${image.blockDeviceMapping ? ' (it only references Cinder snapshots of a boot-from-volume server)' : ''}.`);
	}

	const warnings = image.cinderEncryptionKeyId === undefined
		? []
		: [`The image holds LUKS-encrypted volume data: without its key (Barbican secret ${image.cinderEncryptionKeyId}) the file cannot be used. Export the key too.`];

	const steps: Step[] = [{
		id: 'download',
		title: `Download image ${label(image)} (${image.size ?? '?'} bytes) to ${request.path}`,
		danger: 'create',
		checks: [
			{kind: 'image-status', imageId: image.id, in: ['active']},
			{kind: 'file-absent', path: request.path},
			...(image.size === undefined ? [] : [{kind: 'room-for-file', path: request.path, bytes: image.size} as const]),
		],
		action: {op: 'glance.downloadImage', args: {imageId: image.id, path: request.path}},
		creates: {
			kind: 'file', output: 'path', name: request.path, temporary: false,
		},
		note: `Written to ${request.path}.part first; an interrupted download resumes from there (Range request) and the checksum covers the whole file.`,
	}];
	return planned(makePlan('image-download', `Download image ${label(image)}`, steps, {warnings, results: {file: ref('download', 'path')}}));
}

type KeyOwner = {secretId: string | undefined; owner: string} | {refusal: string};

/**
The key a resource points at: volume/backup encryption_key_id, image cinder_encryption_key_id, or the secret itself.
*/
async function keyOf(session: CloudSession, from: SecretExportRequest['from'], signal?: AbortSignal): Promise<KeyOwner> {
	switch (from.kind) {
		case 'volume': {
			const volume = await session.cinder?.findVolume(from.id, {signal});
			if (!volume) {
				return {refusal: `Volume ${from.id} does not exist in this project.`};
			}

			return volume.encrypted ? {secretId: volume.encryptionKeyId, owner: `volume ${label(volume)}`} : {refusal: `Volume ${label(volume)} is not encrypted; it has no key.`};
		}

		case 'backup': {
			const backup = await session.cinder?.findBackup(from.id, {signal});
			return backup ? {secretId: backup.encryptionKeyId, owner: `backup ${label(backup)}`} : {refusal: `Backup ${from.id} does not exist in this project.`};
		}

		case 'image': {
			const image = await session.glance?.findImage(from.id, {signal});
			return image ? {secretId: image.cinderEncryptionKeyId, owner: `image ${label(image)}`} : {refusal: `Image ${from.id} does not exist (or is not visible to this project).`};
		}

		case 'secret': {
			return {secretId: from.id, owner: `secret ${from.id}`};
		}
	}
}

/**
Backup 5: a Barbican secret written in plaintext to a file created with mode 0600.
*/
export async function planSecretExport(session: CloudSession, given: SecretExportRequest, signal?: AbortSignal): Promise<PlanResult> {
	const request = {...given, path: path.resolve(given.path)};
	const barbican = usableBarbican(session);
	if (!barbican) {
		return refuse('Barbican (key-manager) cannot be reached on this cloud.');
	}

	const found = await keyOf(session, request.from, signal);
	if ('refusal' in found) {
		return refuse(found.refusal);
	}

	const {secretId, owner} = found;
	if (secretId === undefined) {
		return refuse(`${owner} has no key reference (not encrypted, or the cloud is older than Cinder microversion 3.64, which shows encryption_key_id).`);
	}

	const secret = await barbican.findSecret(secretId, {signal});
	if (!secret) {
		return refuse(`The key of ${owner}, Barbican secret ${secretId}, does not exist.`);
	}

	const hexPath = request.hex ? `${request.path}.hex` : undefined;
	const checks: Check[] = [
		{kind: 'secret-exists', secretId},
		{kind: 'file-absent', path: request.path},
		...(hexPath === undefined ? [] : [{kind: 'file-absent', path: hexPath} as const]),
	];

	const attributes = [
		secret.secretType,
		secret.algorithm,
		secret.bitLength === undefined ? undefined : `${secret.bitLength} bit`,
		secret.mode === undefined || secret.mode === '' ? undefined : `mode ${secret.mode}`,
	].filter(value => value !== undefined && value !== '').join(', ');
	const warnings = [
		`The key is written in PLAINTEXT to ${request.path}. Whoever reads that file can decrypt the data of ${owner}: keep it somewhere safe and offline.`,
		`Note the secret's attributes for a later restore: ${attributes}.`,
		...(hexPath === undefined ? [] : [`${hexPath} holds the LUKS passphrase form (hex of the key, as OpenStack passes it): cryptsetup luksOpen --key-file ${hexPath} image.raw name.`]),
	];

	const steps: Step[] = [{
		id: 'export',
		title: `Export the key of ${owner} to ${request.path}`,
		danger: 'create',
		checks,
		action: {
			op: 'barbican.exportSecret', args: {secretId, path: request.path, hexPath},
		},
		creates: {
			kind: 'file', output: 'path', name: request.path, temporary: false,
		},
	}];
	return planned(makePlan('secret-export', `Export the key of ${owner}`, steps, {warnings, results: {file: ref('export', 'path')}}));
}

/**
Backup 6: back up many volumes now, a few at a time. Volumes that cannot be backed up are listed, not fatal.
*/
export async function planProtectNow(session: CloudSession, request: ProtectNowRequest, signal?: AbortSignal): Promise<PlanResult> {
	if (!session.cinder) {
		return refuse('This cloud has no Cinder (block-storage) endpoint.');
	}

	const steps: Step[] = [];
	const warnings: string[] = [];
	const skipped: string[] = [];
	for (const [index, volumeId] of request.volumeIds.entries()) {
		// eslint-disable-next-line no-await-in-loop
		const volume = await session.cinder.findVolume(volumeId, {signal});
		if (!volume) {
			skipped.push(`${volumeId}: does not exist`);
			continue;
		}

		// eslint-disable-next-line no-await-in-loop
		const result = await backupStep({
			session, volume, request: {incremental: request.incremental, version: request.version}, stepId: `backup-${index + 1}`,
		}, signal);
		if ('refusal' in result) {
			skipped.push(result.refusal);
			continue;
		}

		steps.push(result.step);
		warnings.push(...result.warnings);
	}

	if (steps.length === 0) {
		return refuse(`None of the volumes can be backed up: ${skipped.join(' ')}`);
	}

	if (skipped.length > 0) {
		warnings.unshift(`Not backed up: ${skipped.join(' ')}`);
	}

	const results = Object.fromEntries(steps.map(({id}) => [id, ref(id, 'backupId')]));
	return planned(makePlan('protect-now', `Back up ${steps.length} volume${steps.length === 1 ? '' : 's'} now`, steps, {
		concurrency: Math.max(1, request.concurrency ?? 2),
		warnings,
		results,
	}));
}
