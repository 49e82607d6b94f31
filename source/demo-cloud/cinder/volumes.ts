/* eslint-disable unicorn/prefer-iterator-to-array -- the project's TypeScript lib has no iterator helpers. */
/* eslint-disable @typescript-eslint/naming-convention -- OpenStack's wire format is snake_case. */
/* eslint-disable unicorn/no-immediate-mutation -- views add fields that depend on the microversion and the caller. */
/* eslint-disable @typescript-eslint/no-restricted-types -- node:http and node:crypto hand out Buffers. */
/*
Cinder volumes: list, create (blank, from a snapshot, a volume, an image or a backup), show, update, delete, and a
volume's encryption metadata.
*/
import {Buffer} from 'node:buffer';
import {requireMember, requireReader} from '../auth.js';
import {
	HttpError,
	isRecord,
	jsonBody,
	naiveMicro,
	optionalString,
	stringRecord,
	type Router,
} from '../http.js';
import {isLuks, luksDecrypt, luksPassphrase} from '../luks.js';
import type {Listed} from '../paging.js';
import type {BackupRecord, ImageRecord, VolumeRecord} from '../state.js';
import {runRestore} from './restore.js';
import {rejectUnknownKeys, type Call, type Cinder} from './shared.js';

/**
The key Cinder adds to a volume's image metadata when it makes the volume from an image.
*/
const signatureVerified = 'signature_verified';

/**
A POST /volumes body, read and checked.
*/
type VolumeCreateRequest = {
	name: string | null;
	description: string | null;
	metadata: Record<string, string>;
	backupId: string | undefined;
	snapshotId: string | undefined;
	sourceVolid: string | undefined;
	imageRef: string | undefined;
	/**
	Undefined: the size of what the volume is made from.
	*/
	size: number | undefined;
	/**
	The volume type asked for; undefined: the one of what the volume is made from, else the default.
	*/
	typeName: string | undefined;
	/**
	The type asked for, or the default one.
	*/
	typeId: string;
};

/**
What a new volume takes from what it is made from (a backup, a snapshot, a volume, an image, or nothing).
*/
type VolumeOrigin = {
	size: number | undefined;
	typeId: string;
	content: Buffer | undefined;
	encryptionKeyId: string | undefined;
	isBootable: boolean;
	imageMetadata: Record<string, string> | undefined;
	/**
	Restored into the volume once it exists.
	*/
	backup?: BackupRecord;
	/**
	The image already had signature_verified: Cinder fails the volume after creating it.
	*/
	isGlanceMetadataClash?: boolean;
	/**
	The image is a LUKS container its key does not open: Cinder fails the volume.
	*/
	isUnreadable?: boolean;
};

function blankOrigin(request: VolumeCreateRequest): VolumeOrigin {
	return {
		size: request.size, typeId: request.typeId, content: undefined, encryptionKeyId: undefined, isBootable: false, imageMetadata: undefined,
	};
}

/**
The image metadata Cinder (Zed) gives a volume made from `image`: its own signature_verified first, then the image's
core fields and properties in one go. An image that already has signature_verified (uploaded from such a volume)
makes that second write fail.
*/
function imageMetadataOf(image: ImageRecord): Pick<VolumeOrigin, 'imageMetadata' | 'isGlanceMetadataClash'> {
	if (Object.hasOwn(image.properties, signatureVerified)) {
		// Cinder-volume logs "GlanceMetadataExists: Glance metadata cannot be updated, key signature_verified exists
		// for volume id …" and the volume ends `error`; the API shows only the status.
		return {imageMetadata: {[signatureVerified]: 'False'}, isGlanceMetadataClash: true};
	}

	return {
		imageMetadata: {
			[signatureVerified]: 'False',
			...Object.fromEntries(Object.entries(image.properties).filter(([key]) => !key.startsWith('os_glance'))),
			image_id: image.id,
			image_name: image.name ?? '',
			checksum: image.checksum ?? '',
			container_format: image.containerFormat ?? '',
			disk_format: image.diskFormat ?? '',
			min_disk: String(image.minDisk),
			min_ram: String(image.minRam),
			size: String(image.size ?? 0),
		},
	};
}

export function addVolumeRoutes(router: Router<Call>, cinder: Cinder): void {
	const {
		state, getVolume, getBackup, getSnapshot, getType, links, scope, ordered, applyFilters, listReply, touch, checkQuota, createVolumeRecord,
	} = cinder;

	const volumeView = (call: Call, volume: VolumeRecord, isCreateView = false): Record<string, unknown> => {
		const type = state.volumeTypes.get(volume.typeId);
		const view: Record<string, unknown> = {
			attachments: volume.attachments.map(attachment => ({
				id: volume.id,
				attachment_id: attachment.attachmentId,
				volume_id: volume.id,
				server_id: attachment.serverId,
				host_name: call.auth.isAdmin ? 'demo-compute-1' : null,
				device: attachment.device,
				attached_at: naiveMicro(attachment.attachedAt),
			})),
			availability_zone: volume.availabilityZone,
			bootable: volume.bootable ? 'true' : 'false',
			consistencygroup_id: null,
			created_at: naiveMicro(volume.createdAt),
			description: volume.description,
			encrypted: Boolean(type?.encryption),
			id: volume.id,
			links: links(call, 'volumes', volume.id, volume.projectId),
			metadata: volume.metadata,
			multiattach: false,
			name: volume.name,
			replication_status: null,
			size: volume.size,
			snapshot_id: volume.snapshotId,
			source_volid: volume.sourceVolid,
			status: volume.status,
			updated_at: volume.updatedAt === null ? null : naiveMicro(volume.updatedAt),
			user_id: volume.userId,
			volume_type: type?.name ?? volume.typeId,
		};
		if (!isCreateView) {
			view['os-vol-tenant-attr:tenant_id'] = volume.projectId;
		}

		if (call.mv >= 13) {
			view['group_id'] = null;
		}

		if (call.mv >= 48) {
			view['service_uuid'] = isCreateView ? null : 'a6f0f4a8-2f5e-4a39-9f0b-5d3b0c1e7d21';
			view['shared_targets'] = false;
		}

		if (call.mv >= 63) {
			view['volume_type_id'] = volume.typeId;
		}

		if (call.mv >= 64 && type?.encryption && volume.encryptionKeyId !== undefined) {
			view['encryption_key_id'] = volume.encryptionKeyId;
		}

		if (call.mv >= 65) {
			view['consumes_quota'] = true;
		}

		if (volume.imageMetadata) {
			view['volume_image_metadata'] = volume.imageMetadata;
		}

		if (call.auth.isAdmin) {
			view['os-vol-host-attr:host'] = 'demo@lvmdriver-1#lvmdriver-1';
			view['os-vol-mig-status-attr:migstat'] = null;
			view['os-vol-mig-status-attr:name_id'] = null;
			view['migration_status'] = null;
			if (call.mv >= 21) {
				view['provider_id'] = null;
			}
		}

		return view;
	};

	// Routes: volumes

	router.add('GET', 'volumes', call => listReply(
		call,
		'volumes',
		volumeList(call),
		volume => ({id: volume.id, links: links(call, 'volumes', volume.id, volume.projectId), name: volume.name}),
	));
	router.add('GET', 'volumes/detail', call => listReply(call, 'volumes', volumeList(call), volume => volumeView(call, volume)));

	const volumeList = (call: Call): Listed<VolumeRecord> => {
		requireReader(call.auth, 'volume:get_all');
		const {records, isSorted} = ordered(call, state.volumes);
		return {
			isSorted,
			items: applyFilters(call, scope(call, records), volumeFilterKeys, {
				bootable: (volume, value) => String(volume.bootable) === value.toLowerCase() || (value === '1' && volume.bootable) || (value === '0' && !volume.bootable),
				size: (volume, value) => String(volume.size) === value,
				availability_zone: (volume, value) => volume.availabilityZone === value,
			}),
		};
	};

	const volumeFilterKeys = ['name', 'status', 'metadata', 'bootable', 'migration_status', 'availability_zone', 'group_id', 'size', 'created_at', 'updated_at', 'consumes_quota'];
	const volumeCreateKeys = new Set([
		'size',
		'name',
		'description',
		'display_name',
		'display_description',
		'volume_type',
		'availability_zone',
		'snapshot_id',
		'source_volid',
		'imageRef',
		'image_id',
		'backup_id',
		'metadata',
		'multiattach',
		'consistencygroup_id',
		'group_id',
		'source_replica',
		'scheduler_hints',
	]);

	/**
	What POST /volumes reads from its body, in the order Cinder validates it.
	*/
	const parseVolumeCreate = (call: Call, spec: Record<string, unknown>): VolumeCreateRequest => {
		const name = optionalString(spec['name'] ?? spec['display_name'], 'name') ?? null;
		const description = optionalString(spec['description'] ?? spec['display_description'], 'description') ?? null;
		const metadata = stringRecord(spec['metadata'], 'metadata');
		const backupId = call.mv >= 47 ? optionalString(spec['backup_id'], 'backup_id') : undefined;
		const snapshotId = optionalString(spec['snapshot_id'], 'snapshot_id');
		const sourceVolid = optionalString(spec['source_volid'], 'source_volid');
		const imageRef = optionalString(spec['imageRef'] ?? spec['image_id'], 'imageRef');
		const typeName = optionalString(spec['volume_type'], 'volume_type');

		const size = spec['size'] === undefined || spec['size'] === null ? undefined : Number(spec['size']);
		if (size !== undefined && (!Number.isSafeInteger(size) || size < 1)) {
			throw new HttpError(400, `Invalid input for field/attribute size. Value: ${JSON.stringify(spec['size'])}. Invalid volume size.`);
		}

		const typeId = typeName === undefined ? state.defaultTypeId : getType(typeName).id;
		return {
			name, description, metadata, backupId, snapshotId, sourceVolid, imageRef, size, typeName, typeId,
		};
	};

	/**
	The new volume's own key: a copy of the key of what it is made from, when that one is encrypted.
	*/
	const cloneKey = (call: Call, keyId: string | undefined): string | undefined => keyId === undefined
		? undefined
		: state.cloneSecret(keyId, call.projectId, call.auth.user.id)?.id;

	const fromBackup = (call: Call, backupId: string, request: VolumeCreateRequest): VolumeOrigin => {
		const backup = getBackup(call, backupId);
		if (backup.status !== 'available') {
			throw new HttpError(400, `Invalid backup: Backup status must be available but is ${backup.status}.`);
		}

		const size = request.size ?? backup.size;
		if (size < backup.size) {
			throw new HttpError(400, `Invalid input received: Volume size ${size}GB cannot be smaller than the backup size ${backup.size}GB.`);
		}

		return {...blankOrigin(request), size, backup};
	};

	const fromSnapshot = (call: Call, snapshotId: string, request: VolumeCreateRequest): VolumeOrigin => {
		const snapshot = getSnapshot(call, snapshotId);
		if (snapshot.status !== 'available') {
			throw new HttpError(400, 'Invalid snapshot: Originating snapshot status must be one of \'available\' values');
		}

		const source = state.volumes.get(snapshot.volumeId);
		return {
			...blankOrigin(request),
			size: request.size ?? snapshot.size,
			typeId: request.typeName === undefined ? (source?.typeId ?? request.typeId) : request.typeId,
			content: source ? Buffer.from(state.contentOf(source)) : undefined,
			encryptionKeyId: cloneKey(call, source?.encryptionKeyId),
		};
	};

	const fromVolume = (call: Call, sourceVolid: string, request: VolumeCreateRequest): VolumeOrigin => {
		const source = getVolume(call, sourceVolid);
		return {
			...blankOrigin(request),
			size: request.size ?? source.size,
			typeId: request.typeName === undefined ? source.typeId : request.typeId,
			content: Buffer.from(state.contentOf(source)),
			encryptionKeyId: cloneKey(call, source.encryptionKeyId),
		};
	};

	const fromImage = (call: Call, imageRef: string, request: VolumeCreateRequest): VolumeOrigin => {
		const image = state.images.get(imageRef);
		if (!image || (image.owner !== call.projectId && image.visibility === 'private' && !call.auth.isAdmin)) {
			throw new HttpError(400, 'Invalid image identifier or unable to access requested image.');
		}

		if (image.status !== 'active') {
			throw new HttpError(400, `Invalid input received: Image ${image.id} is not active.`);
		}

		const imageType = image.properties['cinder_img_volume_type'];
		const typeId = imageType !== undefined && request.typeName === undefined ? getType(imageType).id : request.typeId;
		const gib = Math.max(1, Math.ceil((image.size ?? 0) / (1024 ** 3)));
		const encryptionKeyId = cloneKey(call, image.properties['cinder_encryption_key_id']);
		const data = contentOfImage(image, encryptionKeyId);
		return {
			size: request.size ?? Math.max(gib, image.minDisk),
			typeId,
			content: data === 'unreadable' ? undefined : data,
			isBootable: true,
			...imageMetadataOf(image),
			encryptionKeyId,
			...(data === 'unreadable' && {isUnreadable: true}),
		};
	};

	/**
	What a volume made from `image` holds: an encrypted volume's LUKS container opened with the volume's key clone (the
	same bytes as the image's key), as the real cloud's driver does; other data as it is.
	*/
	const contentOfImage = (image: ImageRecord, keyId: string | undefined): Buffer | 'unreadable' | undefined => {
		if (!image.data) {
			return undefined;
		}

		if (!isLuks(image.data)) {
			return Buffer.from(image.data);
		}

		const key = keyId === undefined ? undefined : state.secrets.get(keyId)?.payload;
		return (key === undefined ? undefined : luksDecrypt(image.data, luksPassphrase(key))) ?? 'unreadable';
	};

	/**
	Where the volume comes from: the first of backup, snapshot, source volume and image that the request names, else
	a blank volume.
	*/
	const volumeOrigin = (call: Call, request: VolumeCreateRequest): VolumeOrigin => {
		if (request.backupId !== undefined) {
			return fromBackup(call, request.backupId, request);
		}

		if (request.snapshotId !== undefined) {
			return fromSnapshot(call, request.snapshotId, request);
		}

		if (request.sourceVolid !== undefined) {
			return fromVolume(call, request.sourceVolid, request);
		}

		return request.imageRef === undefined ? blankOrigin(request) : fromImage(call, request.imageRef, request);
	};

	/**
	The cinder-volume side, once the volume exists: restore the backup into it, or fail it, or make it available.
	*/
	const finishVolumeCreate = (call: Call, volume: VolumeRecord, origin: VolumeOrigin): void => {
		if (!state.volumes.has(volume.id) || volume.status !== 'creating') {
			return;
		}

		const {backup} = origin;
		if (backup) {
			volume.status = 'restoring-backup';
			touch(volume);
			if (!state.backups.has(backup.id) || backup.status !== 'available') {
				volume.status = 'error';
				return;
			}

			backup.status = 'restoring';
			touch(backup);
			runRestore(cinder, call, backup, volume);
			return;
		}

		if (origin.isGlanceMetadataClash === true || origin.isUnreadable === true) {
			volume.status = 'error';
			touch(volume);
			return;
		}

		volume.status = 'available';
		touch(volume);
	};

	router.add('POST', 'volumes', call => {
		requireMember(call.auth, 'volume:create');
		const body = jsonBody(call.context);
		const spec = body['volume'];
		if (!isRecord(spec)) {
			throw new HttpError(400, 'Missing required element \'volume\' in request body.');
		}

		if (call.mv >= 53) {
			rejectUnknownKeys(spec, volumeCreateKeys, 'volume');
		}

		const request = parseVolumeCreate(call, spec);
		const origin = volumeOrigin(call, request);
		const {size} = origin;
		if (size === undefined) {
			throw new HttpError(400, 'Invalid input received: Volume size \'None\' must be an integer and greater than 0');
		}

		checkQuota(call.projectId, {volumes: 1, gigabytes: size});
		const volume = createVolumeRecord(call, {
			name: request.name,
			description: request.description,
			metadata: request.metadata,
			size,
			typeId: origin.typeId,
			status: 'creating',
			snapshotId: request.snapshotId ?? null,
			sourceVolid: request.sourceVolid ?? null,
			content: origin.content,
			encryptionKeyId: origin.encryptionKeyId,
			bootable: origin.isBootable,
			imageMetadata: origin.imageMetadata,
		});

		state.later('volumeCreate', () => {
			finishVolumeCreate(call, volume, origin);
		});

		return {status: 202, json: {volume: volumeView(call, volume, true)}};
	});

	router.add('GET', 'volumes/:id', (call, {id = ''}) => {
		requireReader(call.auth, 'volume:get');
		return {status: 200, json: {volume: volumeView(call, getVolume(call, id))}};
	});

	router.add('PUT', 'volumes/:id', (call, {id = ''}) => {
		requireMember(call.auth, 'volume:update');
		const volume = getVolume(call, id);
		const spec = jsonBody(call.context)['volume'];
		if (!isRecord(spec)) {
			throw new HttpError(400, 'Missing required element \'volume\' in request body.');
		}

		if ('name' in spec) {
			volume.name = optionalString(spec['name'], 'name') ?? null;
		}

		if ('description' in spec) {
			volume.description = optionalString(spec['description'], 'description') ?? null;
		}

		if ('metadata' in spec) {
			volume.metadata = stringRecord(spec['metadata'], 'metadata');
		}

		touch(volume);
		return {status: 200, json: {volume: volumeView(call, volume)}};
	});

	router.add('DELETE', 'volumes/:id', (call, {id = ''}) => {
		requireMember(call.auth, 'volume:delete');
		const volume = getVolume(call, id);
		if (!['available', 'error', 'error_restoring', 'error_extending', 'error_managing'].includes(volume.status) || volume.attachments.length > 0) {
			throw new HttpError(400, 'Invalid volume: Volume status must be available or error or error_restoring or error_extending or error_managing and '
				+ 'must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.');
		}

		const dependents = [...state.snapshots.values()].filter(snapshot => snapshot.volumeId === id).length;
		if (dependents > 0) {
			throw new HttpError(400, `Invalid volume: Volume ${id} still has ${dependents} dependent snapshots.`);
		}

		volume.status = 'deleting';
		touch(volume);
		state.later('volumeDelete', () => {
			state.volumes.delete(id);
			state.deleteSecret(volume.encryptionKeyId);
		});
		return {status: 202};
	});

	router.add('GET', 'volumes/:id/encryption', (call, {id = ''}) => {
		requireReader(call.auth, 'volume_extension:volume_encryption_metadata');
		const volume = getVolume(call, id);
		const type = state.volumeTypes.get(volume.typeId);
		if (!type?.encryption) {
			return {status: 200, json: {encryption_key_id: null}};
		}

		return {
			status: 200,
			json: {
				cipher: type.encryption.cipher,
				control_location: type.encryption.controlLocation,
				encryption_key_id: volume.encryptionKeyId ?? null,
				key_size: type.encryption.keySize,
				provider: type.encryption.provider,
			},
		};
	});
}
