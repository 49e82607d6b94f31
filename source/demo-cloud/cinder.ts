/* eslint-disable unicorn/prefer-iterator-helpers, unicorn/prefer-iterator-to-array -- the project's TypeScript lib has no iterator helpers. */
/* eslint-disable @typescript-eslint/naming-convention -- OpenStack's wire format is snake_case. */
/* eslint-disable unicorn/no-immediate-mutation -- views add fields that depend on the microversion and the caller. */
/* eslint-disable @typescript-eslint/no-restricted-types -- node:http and node:crypto hand out Buffers. */
/*
Cinder v3 under /volume: volumes, backups (with Cinder's encrypted-restore rule), snapshots, volume types and their
encryption, user messages, quotas; microversions 3.0-3.70 as the Zed cloud reports them.
*/
import {Buffer} from 'node:buffer';
import {
	requireAdmin,
	requireMember,
	requireReader,
	authenticate,
	type AuthInfo,
} from './auth.js';
import {
	HttpError,
	Router,
	faultReply,
	header,
	isRecord,
	jsonBody,
	naiveMicro,
	optionalString,
	stringRecord,
	uuid,
	type Reply,
	type RequestContext,
} from './http.js';
import {markerPage} from './paging.js';
import type {ServiceModule} from './server.js';
import {
	type BackupRecord,
	type DemoState,
	type ImageRecord,
	type Quotas,
	type SnapshotRecord,
	type VolumeRecord,
	type VolumeTypeRecord,
	setImageData,
} from './state.js';

export const cinderMaxMinor = 70;

/**
The key Cinder adds to a volume's image metadata when it makes the volume from an image.
*/
const signatureVerified = 'signature_verified';

/**
Image metadata Cinder does not copy into an uploaded image's properties (its `glance_core_properties`).
*/
const glanceCoreProperties = new Set(['checksum', 'container_format', 'disk_format', 'image_name', 'image_id', 'min_disk', 'min_ram', 'name', 'size']);

type Call = {
	context: RequestContext;
	auth: AuthInfo;
	/**
	Minor microversion: 64 for 3.64.
	*/
	mv: number;
	projectId: string;
	/**
	`${origin}/volume/v3/${projectId}`
	*/
	base: string;
};

const versionDocument = (origin: string): Record<string, unknown> => ({
	id: 'v3.0',
	links: [
		{href: 'https://docs.openstack.org/', rel: 'describedby', type: 'text/html'},
		{href: `${origin}/volume/v3/`, rel: 'self'},
	],
	'media-types': [{base: 'application/json', type: 'application/vnd.openstack.volume+json;version=3'}],
	min_version: '3.0',
	status: 'CURRENT',
	updated: '2022-08-31T00:00:00Z',
	version: `3.${cinderMaxMinor}`,
});

/**
Minor version from `OpenStack-API-Version: volume 3.x`; 3.0 without the header.
*/
export function volumeMicroversion(context: RequestContext): number {
	const raw = header(context, 'openstack-api-version');
	if (raw === undefined) {
		return 0;
	}

	const entry = raw.split(',').map(part => part.trim()).find(part => part.toLowerCase().startsWith('volume '));
	if (entry === undefined) {
		return 0;
	}

	const version = entry.slice('volume '.length).trim();
	if (version === 'latest') {
		return cinderMaxMinor;
	}

	const match = /^(?<major>\d+)\.(?<minor>\d+)$/v.exec(version);
	if (!match) {
		throw new HttpError(400, `Invalid API version string: ${version}`);
	}

	const major = Number(match.groups?.['major']);
	const minor = Number(match.groups?.['minor']);
	if (major !== 3 || minor > cinderMaxMinor) {
		// Real Cinder echoes the version asked for in the 406's OpenStack-API-Version header.
		throw new HttpError(406, `Version ${version} is not supported by the API. Minimum is 3.0 and maximum is 3.${cinderMaxMinor}.`, {'OpenStack-API-Version': `volume ${version}`});
	}

	return minor;
}

const collections = new Set(['volumes', 'backups', 'snapshots', 'types', 'messages', 'os-quota-sets', 'limits', 'extensions', 'os-availability-zone']);

function quotaError(resource: keyof Quotas, quota: Quotas, usage: Quotas, requested: number): HttpError {
	const headers = {'Retry-After': '0'};
	if (resource === 'gigabytes' || resource === 'backup_gigabytes') {
		const what = resource === 'gigabytes' ? 'volume or snapshot' : 'backup';
		const name = resource === 'gigabytes' ? 'VolumeSizeExceedsAvailableQuota' : 'VolumeBackupSizeExceedsAvailableQuota';
		return new HttpError(413, `${name}: Requested ${what} exceeds allowed ${resource} quota. Requested ${requested}G, quota is ${quota[resource]}G and ${usage[resource]}G has been consumed.`, headers);
	}

	const noun = resource === 'volumes' ? 'volumes' : (resource === 'snapshots' ? 'snapshots' : 'backups');
	return new HttpError(413, `Maximum number of ${noun} allowed (${quota[resource]}) exceeded for quota '${resource}'.`, headers);
}

export function createCinder(state: DemoState): ServiceModule {
	const router = new Router<Call>();

	const checkQuota = (projectId: string, wanted: Partial<Quotas>): void => {
		const quota = state.quotaOf(projectId);
		const usage = state.usageOf(projectId);
		for (const [key, amount] of Object.entries(wanted) as Array<[keyof Quotas, number]>) {
			if (quota[key] >= 0 && usage[key] + amount > quota[key]) {
				throw quotaError(key, quota, usage, amount);
			}
		}
	};

	const isVisible = <T extends {projectId: string}>(call: Call, item: T | undefined): item is T => item !== undefined && (item.projectId === call.projectId || call.auth.isAdmin);

	const getVolume = (call: Call, id: string): VolumeRecord => {
		const volume = state.volumes.get(id);
		if (!isVisible(call, volume)) {
			throw new HttpError(404, `Volume ${id} could not be found.`);
		}

		return volume;
	};

	const getBackup = (call: Call, id: string): BackupRecord => {
		const backup = state.backups.get(id);
		if (!isVisible(call, backup)) {
			throw new HttpError(404, `Backup ${id} could not be found.`);
		}

		return backup;
	};

	const getSnapshot = (call: Call, id: string): SnapshotRecord => {
		const snapshot = state.snapshots.get(id);
		if (!isVisible(call, snapshot)) {
			throw new HttpError(404, `Snapshot ${id} could not be found.`);
		}

		return snapshot;
	};

	const getType = (nameOrId: string): VolumeTypeRecord => {
		const type = state.findVolumeType(nameOrId);
		if (!type) {
			throw new HttpError(404, `Volume type with name ${nameOrId} could not be found.`);
		}

		return type;
	};

	const links = (call: Call, kind: string, id: string, projectId: string): unknown[] => [
		{href: `${call.context.origin}/volume/v3/${projectId}/${kind}/${id}`, rel: 'self'},
		{href: `${call.context.origin}/volume/${projectId}/${kind}/${id}`, rel: 'bookmark'},
	];

	/**
	Items of the caller's project, or every project's for an admin asking `all_tenants`.
	*/
	const scope = <T extends {projectId: string}>(call: Call, items: Iterable<T>): T[] => {
		const isAll = call.auth.isAdmin && ['1', 'true', 'True'].includes(call.context.query.get('all_tenants') ?? '');
		const projectFilter = call.auth.isAdmin ? call.context.query.get('project_id') : null;
		const result: T[] = [];
		for (const item of items) {
			if (projectFilter === null ? (isAll || item.projectId === call.projectId) : item.projectId === projectFilter) {
				result.push(item);
			}
		}

		return result;
	};

	const filterParameters = new Set(['limit', 'marker', 'offset', 'sort', 'sort_key', 'sort_dir', 'with_count', 'all_tenants', 'project_id']);

	const applyFilters = <T extends {name: string | null; status: string; metadata?: Record<string, string>}>(call: Call, items: T[], allowed: string[], extra: Record<string, (item: T, value: string) => boolean> = {}): T[] => {
		const {query} = call.context;
		let result = items;
		for (const [key, value] of query) {
			if (filterParameters.has(key)) {
				continue;
			}

			const isLike = key.endsWith('~');
			const field = isLike ? key.slice(0, -1) : key;
			if (!allowed.includes(field) && !call.auth.isAdmin) {
				if (call.mv >= 31) {
					throw new HttpError(400, `Invalid filters ${key} are found in query options.`);
				}

				continue;
			}

			result = filterItems(result, field, value, isLike, extra);
		}

		return result;
	};

	const listReply = <T extends {id: string; createdAt: number}>(call: Call, kind: string, items: T[], view: (item: T) => unknown, notFound: string): Reply => {
		const path = call.context.segments.at(-1) === 'detail' ? `${kind}/detail` : kind;
		const {page, next} = markerPage(items, call.context.query, `${call.base}/${path}`, {maxLimit: 1000, notFound: marker => `${notFound} ${marker} could not be found.`});
		const json: Record<string, unknown> = {[kind]: page.map(item => view(item))};
		if (next !== undefined) {
			json[`${kind}_links`] = [{href: next, rel: 'next'}];
		}

		if (call.mv >= 45 && ['true', '1', 'True'].includes(call.context.query.get('with_count') ?? '')) {
			json['count'] = items.length;
		}

		return {status: 200, json};
	};

	// Views

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

	const backupView = (call: Call, backup: BackupRecord, parents = parentIds()): Record<string, unknown> => {
		const view: Record<string, unknown> = {
			availability_zone: backup.availabilityZone,
			container: backup.status === 'creating' ? null : `${backup.id.slice(0, 2)}/${backup.id.slice(2, 4)}/${backup.id}`,
			created_at: naiveMicro(backup.createdAt),
			data_timestamp: naiveMicro(backup.dataTimestamp),
			description: backup.description,
			fail_reason: backup.failReason,
			has_dependent_backups: parents.has(backup.id),
			id: backup.id,
			is_incremental: backup.parentId !== null,
			links: links(call, 'backups', backup.id, backup.projectId),
			name: backup.name,
			object_count: backup.objectCount,
			size: backup.size,
			snapshot_id: backup.snapshotId,
			status: backup.status,
			updated_at: backup.updatedAt === null ? null : naiveMicro(backup.updatedAt),
			volume_id: backup.volumeId,
		};
		if (call.mv >= 18 && call.auth.isAdmin) {
			view['os-backup-project-attr:project_id'] = backup.projectId;
		}

		if (call.mv >= 43) {
			view['metadata'] = backup.metadata;
		}

		if (call.mv >= 56 && call.auth.isAdmin) {
			view['user_id'] = backup.userId;
		}

		if (call.mv >= 64 && backup.encryptionKeyId !== undefined) {
			view['encryption_key_id'] = backup.encryptionKeyId;
		}

		return view;
	};

	const parentIds = (): Set<string> => {
		const parents = new Set<string>();
		for (const backup of state.backups.values()) {
			if (backup.parentId !== null) {
				parents.add(backup.parentId);
			}
		}

		return parents;
	};

	const snapshotView = (call: Call, snapshot: SnapshotRecord): Record<string, unknown> => {
		const view: Record<string, unknown> = {
			created_at: naiveMicro(snapshot.createdAt),
			description: snapshot.description,
			id: snapshot.id,
			metadata: snapshot.metadata,
			name: snapshot.name,
			'os-extended-snapshot-attributes:progress': snapshot.status === 'creating' ? '0%' : '100%',
			'os-extended-snapshot-attributes:project_id': snapshot.projectId,
			size: snapshot.size,
			status: snapshot.status,
			updated_at: snapshot.updatedAt === null ? null : naiveMicro(snapshot.updatedAt),
			volume_id: snapshot.volumeId,
		};
		if (call.mv >= 14) {
			view['group_snapshot_id'] = null;
		}

		if (call.mv >= 41) {
			view['user_id'] = snapshot.userId;
		}

		if (call.mv >= 65) {
			view['consumes_quota'] = true;
		}

		return view;
	};

	const typeView = (call: Call, type: VolumeTypeRecord): Record<string, unknown> => {
		const view: Record<string, unknown> = {
			description: type.description,
			extra_specs: type.extraSpecs,
			id: type.id,
			is_public: type.isPublic,
			name: type.name,
			'os-volume-type-access:is_public': type.isPublic,
		};
		if (call.auth.isAdmin) {
			view['qos_specs_id'] = null;
		}

		return view;
	};

	const encryptionView = (type: VolumeTypeRecord): Record<string, unknown> => {
		const {encryption} = type;
		if (!encryption) {
			return {};
		}

		return {
			cipher: encryption.cipher,
			control_location: encryption.controlLocation,
			created_at: naiveMicro(encryption.createdAt),
			deleted: false,
			deleted_at: null,
			encryption_id: encryption.encryptionId,
			key_size: encryption.keySize,
			provider: encryption.provider,
			updated_at: null,
			volume_type_id: type.id,
		};
	};

	// Background work

	const touch = (item: {updatedAt: number | null}): void => {
		item.updatedAt = state.now();
	};

	const failRestore = (call: Call, backup: BackupRecord, volume: VolumeRecord): void => {
		volume.status = 'error_restoring';
		touch(volume);
		backup.status = 'available';
		touch(backup);
		state.addMessage(backup.projectId, {
			eventId: 'VOLUME_VOLUME_BACKUP_015_026',
			userMessage: 'restore backup:Backup driver failed to restore backup.',
			resourceType: 'VOLUME_BACKUP',
			resourceUuid: backup.id,
			requestId: call.context.requestId,
		});
	};

	/**
	What cinder-backup does after the API accepted a restore.
	*/
	const runRestore = (call: Call, backup: BackupRecord, volume: VolumeRecord): void => {
		state.later('restore', () => {
			if (!state.volumes.has(volume.id) || !state.backups.has(backup.id)) {
				return;
			}

			if (backup.encryptionKeyId !== undefined) {
				// Cinder's _restore_vol_encryption_meta: the target must be of the source's (still existing) type.
				const sourceType = state.volumeTypes.get(backup.sourceTypeId);
				if (!sourceType || sourceType.deleted || volume.typeId !== backup.sourceTypeId) {
					failRestore(call, backup, volume);
					return;
				}

				const newKey = state.cloneSecret(backup.encryptionKeyId, volume.projectId, call.auth.user.id);
				if (!newKey) {
					failRestore(call, backup, volume);
					return;
				}

				const oldKey = volume.encryptionKeyId;
				volume.encryptionKeyId = newKey.id;
				if (oldKey !== newKey.id) {
					state.deleteSecret(oldKey);
				}
			}

			volume.content = Buffer.from(state.backupContentOf(backup));
			// The backup driver replaces the target's metadata with the source volume's; the manager then adds src_backup_id.
			volume.metadata = {...backup.sourceMetadata, src_backup_id: backup.id};
			// And the source's image metadata (signature_verified included): an image uploaded from the restored volume
			// carries it, as on the real cloud.
			if (backup.sourceImageMetadata) {
				volume.imageMetadata = {...volume.imageMetadata, ...backup.sourceImageMetadata};
			}

			volume.status = 'available';
			touch(volume);
			backup.status = 'available';
			touch(backup);
		});
	};

	const createVolumeRecord = (call: Call, fields: Partial<VolumeRecord> & {size: number; typeId: string; status: string}): VolumeRecord => {
		const type = state.volumeTypes.get(fields.typeId);
		if (type?.encryption && fields.encryptionKeyId === undefined && !call.auth.isAdmin && !call.auth.roles.has('creator')) {
			// Cinder asks Barbican with the user's token; the legacy Barbican policy refuses a plain member.
			throw new HttpError(400, 'Key manager error');
		}

		const volume = state.addVolume({projectId: call.projectId, userId: call.auth.user.id, ...fields});
		volume.updatedAt = null;
		return volume;
	};

	// Routes: volumes

	router.add('GET', 'volumes', call => listReply(call, 'volumes', volumeList(call), volume => ({id: volume.id, links: links(call, 'volumes', volume.id, volume.projectId), name: volume.name}), 'Volume'));
	router.add('GET', 'volumes/detail', call => listReply(call, 'volumes', volumeList(call), volume => volumeView(call, volume), 'Volume'));

	const volumeList = (call: Call): VolumeRecord[] => {
		requireReader(call.auth, 'volume:get_all');
		return applyFilters(call, scope(call, state.volumes.values()), ['name', 'status', 'metadata', 'bootable', 'migration_status', 'availability_zone', 'group_id', 'size', 'created_at', 'updated_at', 'consumes_quota'], {
			bootable: (volume, value) => String(volume.bootable) === value.toLowerCase() || (value === '1' && volume.bootable) || (value === '0' && !volume.bootable),
			size: (volume, value) => String(volume.size) === value,
			availability_zone: (volume, value) => volume.availabilityZone === value,
		});
	};

	const volumeCreateKeys = new Set(['size', 'name', 'description', 'display_name', 'display_description', 'volume_type', 'availability_zone', 'snapshot_id', 'source_volid', 'imageRef', 'image_id', 'backup_id', 'metadata', 'multiattach', 'consistencygroup_id', 'group_id', 'source_replica', 'scheduler_hints']);

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

		const name = optionalString(spec['name'] ?? spec['display_name'], 'name') ?? null;
		const description = optionalString(spec['description'] ?? spec['display_description'], 'description') ?? null;
		const metadata = stringRecord(spec['metadata'], 'metadata');
		const backupId = call.mv >= 47 ? optionalString(spec['backup_id'], 'backup_id') : undefined;
		const snapshotId = optionalString(spec['snapshot_id'], 'snapshot_id');
		const sourceVolid = optionalString(spec['source_volid'], 'source_volid');
		const imageRef = optionalString(spec['imageRef'] ?? spec['image_id'], 'imageRef');
		const requestedType = optionalString(spec['volume_type'], 'volume_type');

		let size = spec['size'] === undefined || spec['size'] === null ? undefined : Number(spec['size']);
		if (size !== undefined && (!Number.isSafeInteger(size) || size < 1)) {
			throw new HttpError(400, `Invalid input for field/attribute size. Value: ${JSON.stringify(spec['size'])}. Invalid volume size.`);
		}

		let typeId = requestedType === undefined ? state.defaultTypeId : getType(requestedType).id;
		let content: Buffer | undefined;
		let encryptionKeyId: string | undefined;
		let backup: BackupRecord | undefined;
		let imageMetadata: Record<string, string> | undefined;
		let isBootable = false;
		let isGlanceMetadataClash = false;

		if (backupId !== undefined) {
			backup = getBackup(call, backupId);
			if (backup.status !== 'available') {
				throw new HttpError(400, `Invalid backup: Backup status must be available but is ${backup.status}.`);
			}

			size ??= backup.size;
			if (size < backup.size) {
				throw new HttpError(400, `Invalid input received: Volume size ${size}GB cannot be smaller than the backup size ${backup.size}GB.`);
			}
		} else if (snapshotId !== undefined) {
			const snapshot = getSnapshot(call, snapshotId);
			if (snapshot.status !== 'available') {
				throw new HttpError(400, 'Invalid snapshot: Originating snapshot status must be one of \'available\' values');
			}

			const source = state.volumes.get(snapshot.volumeId);
			size ??= snapshot.size;
			typeId = requestedType === undefined ? (source?.typeId ?? typeId) : typeId;
			content = source ? Buffer.from(state.contentOf(source)) : undefined;
			if (source?.encryptionKeyId !== undefined) {
				encryptionKeyId = state.cloneSecret(source.encryptionKeyId, call.projectId, call.auth.user.id)?.id;
			}
		} else if (sourceVolid !== undefined) {
			const source = getVolume(call, sourceVolid);
			size ??= source.size;
			typeId = requestedType === undefined ? source.typeId : typeId;
			content = Buffer.from(state.contentOf(source));
			if (source.encryptionKeyId !== undefined) {
				encryptionKeyId = state.cloneSecret(source.encryptionKeyId, call.projectId, call.auth.user.id)?.id;
			}
		} else if (imageRef !== undefined) {
			const image = state.images.get(imageRef);
			if (!image || (image.owner !== call.projectId && image.visibility === 'private' && !call.auth.isAdmin)) {
				throw new HttpError(400, 'Invalid image identifier or unable to access requested image.');
			}

			if (image.status !== 'active') {
				throw new HttpError(400, `Invalid input received: Image ${image.id} is not active.`);
			}

			const imageType = image.properties['cinder_img_volume_type'];
			if (requestedType === undefined && imageType !== undefined) {
				typeId = getType(imageType).id;
			}

			const gib = Math.max(1, Math.ceil((image.size ?? 0) / (1024 ** 3)));
			size ??= Math.max(gib, image.minDisk);
			content = image.data ? Buffer.from(image.data) : undefined;
			isBootable = true;
			// Cinder (Zed) records its own signature_verified first, then the image's core fields and properties in one
			// go; an image that already has signature_verified (uploaded from such a volume) makes that fail.
			if (Object.hasOwn(image.properties, signatureVerified)) {
				// Cinder-volume logs "GlanceMetadataExists: Glance metadata cannot be updated, key signature_verified exists
				// for volume id …" and the volume ends `error`; the API shows only the status.
				imageMetadata = {[signatureVerified]: 'False'};
				isGlanceMetadataClash = true;
			} else {
				imageMetadata = {
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
				};
			}

			const imageKey = image.properties['cinder_encryption_key_id'];
			if (imageKey !== undefined) {
				encryptionKeyId = state.cloneSecret(imageKey, call.projectId, call.auth.user.id)?.id;
			}
		}

		if (size === undefined) {
			throw new HttpError(400, 'Invalid input received: Volume size \'None\' must be an integer and greater than 0');
		}

		checkQuota(call.projectId, {volumes: 1, gigabytes: size});
		const volume = createVolumeRecord(call, {
			name, description, metadata, size, typeId, status: 'creating', snapshotId: snapshotId ?? null, sourceVolid: sourceVolid ?? null, content, encryptionKeyId, bootable: isBootable, imageMetadata,
		});

		state.later('volumeCreate', () => {
			if (!state.volumes.has(volume.id) || volume.status !== 'creating') {
				return;
			}

			if (backup) {
				volume.status = 'restoring-backup';
				touch(volume);
				const source = backup;
				if (!state.backups.has(source.id) || source.status !== 'available') {
					volume.status = 'error';
					return;
				}

				source.status = 'restoring';
				touch(source);
				runRestore(call, source, volume);
				return;
			}

			if (isGlanceMetadataClash) {
				volume.status = 'error';
				touch(volume);
				return;
			}

			volume.status = 'available';
			touch(volume);
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
			throw new HttpError(400, 'Invalid volume: Volume status must be available or error or error_restoring or error_extending or error_managing and must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.');
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

	router.add('POST', 'volumes/:id/action', (call, {id = ''}) => {
		const volume = getVolume(call, id);
		const body = jsonBody(call.context);
		const [entry] = Object.entries(body);
		const action = entry?.[0] ?? '';
		const spec = isRecord(entry?.[1]) ? entry[1] : {};
		switch (action) {
			case 'os-volume_upload_image': {
				requireMember(call.auth, 'volume_extension:volume_actions:upload_image');
				return uploadToImage(call, volume, spec);
			}

			case 'os-reset_status': {
				requireAdmin(call.auth, 'volume_extension:volume_admin_actions:reset_status');
				volume.status = optionalString(spec['status'], 'status') ?? volume.status;
				touch(volume);
				return {status: 202};
			}

			case 'os-set_bootable': {
				requireMember(call.auth, 'volume_extension:volume_actions:set_bootable');
				volume.bootable = isTrue(spec['bootable']);
				touch(volume);
				return {status: 200};
			}

			default: {
				throw new HttpError(400, `There is no such action: ${action}`);
			}
		}
	});

	const uploadToImage = (call: Call, volume: VolumeRecord, spec: Record<string, unknown>): Reply => {
		const isForce = isTrue(spec['force']);
		if (volume.status !== 'available' && !(isForce && volume.status === 'in-use')) {
			throw new HttpError(400, `Invalid volume: Volume ${volume.id} status must be available or in-use with force, but current status is: ${volume.status}.`);
		}

		const imageName = optionalString(spec['image_name'], 'image_name');
		if (imageName === undefined) {
			throw new HttpError(400, 'No image_name was specified in request.');
		}

		const diskFormat = optionalString(spec['disk_format'], 'disk_format') ?? 'raw';
		const containerFormat = optionalString(spec['container_format'], 'container_format') ?? 'bare';
		const type = state.volumeTypes.get(volume.typeId);
		if (type?.encryption && (diskFormat !== 'raw' || containerFormat !== 'bare')) {
			throw new HttpError(400, 'Invalid input received: Unsupported image format. Encrypted volumes can only be uploaded as raw/bare.');
		}

		const visibility = call.mv >= 1 ? (optionalString(spec['visibility'], 'visibility') ?? 'private') : 'private';
		const image: ImageRecord = state.addImage({
			owner: volume.projectId,
			name: imageName,
			diskFormat,
			containerFormat,
			visibility,
			protected: call.mv >= 1 && spec['protected'] === true,
		});
		const previous = volume.status;
		volume.status = 'uploading';
		touch(volume);
		state.later('imageUpload', () => {
			if (image.status === 'queued') {
				image.status = 'saving';
			}
		}, 0.5);
		state.later('imageUpload', () => {
			if (state.volumes.has(volume.id)) {
				volume.status = previous;
				touch(volume);
			}

			if (!state.images.has(image.id)) {
				return;
			}

			// Cinder copies the volume's image metadata (all but the core fields) into the image's properties,
			// signature_verified included; an encrypted volume's key properties are then set to the new key.
			for (const [key, value] of Object.entries(volume.imageMetadata ?? {})) {
				if (!glanceCoreProperties.has(key) && !key.startsWith('cinder_encryption_key')) {
					image.properties[key] = value;
				}
			}

			if (volume.encryptionKeyId !== undefined) {
				const key = state.cloneSecret(volume.encryptionKeyId, volume.projectId, call.auth.user.id);
				if (!key) {
					image.status = 'killed';
					return;
				}

				image.properties['cinder_encryption_key_id'] = key.id;
				image.properties['cinder_encryption_key_deletion_policy'] = 'on_image_deletion';
			}

			setImageData(image, Buffer.from(state.contentOf(volume)));
			image.status = 'active';
			image.updatedAt = state.now();
		});

		return {
			status: 202,
			json: {
				'os-volume_upload_image': {
					container_format: containerFormat,
					disk_format: diskFormat,
					display_description: volume.description,
					id: volume.id,
					image_id: image.id,
					image_name: imageName,
					protected: image.protected,
					size: volume.size,
					status: 'uploading',
					updated_at: naiveMicro(state.now()),
					visibility,
					volume_type: type
						? {
							created_at: naiveMicro(type.createdAt), deleted: false, deleted_at: null, description: type.description, extra_specs: type.extraSpecs, id: type.id, is_public: type.isPublic, name: type.name, qos_specs_id: null, updated_at: null,
						}
						: null,
				},
			},
		};
	};

	// Routes: backups

	const backupList = (call: Call): BackupRecord[] => {
		requireReader(call.auth, 'backup:get_all');
		return applyFilters(call, scope(call, state.backups.values()), ['name', 'status', 'volume_id'], {
			volume_id: (backup, value) => backup.volumeId === value,
		});
	};

	router.add('GET', 'backups', call => listReply(call, 'backups', backupList(call), backup => ({id: backup.id, links: links(call, 'backups', backup.id, backup.projectId), name: backup.name}), 'Backup'));
	router.add('GET', 'backups/detail', call => {
		const parents = parentIds();
		return listReply(call, 'backups', backupList(call), backup => backupView(call, backup, parents), 'Backup');
	});

	router.add('POST', 'backups', call => {
		requireMember(call.auth, 'backup:create');
		const body = jsonBody(call.context);
		const allowedTop = new Set(['backup']);
		const allowed = new Set(['volume_id', 'container', 'description', 'incremental', 'force', 'name', 'snapshot_id', ...(call.mv >= 43 ? ['metadata'] : []), ...(call.mv >= 51 ? ['availability_zone'] : [])]);
		const spec = body['backup'];
		rejectUnknownKeys(body, allowedTop, 'backup');

		if (!isRecord(spec)) {
			throw new HttpError(400, 'Invalid input for field/attribute backup. \'backup\' is a required property');
		}

		rejectUnknownKeys(spec, allowed, 'backup');

		const volumeId = optionalString(spec['volume_id'], 'volume_id');
		if (volumeId === undefined) {
			throw new HttpError(400, 'Invalid input for field/attribute backup. \'volume_id\' is a required property');
		}

		const volume = getVolume(call, volumeId);
		const isForce = spec['force'] === true;
		if (volume.status !== 'available' && !(isForce && volume.status === 'in-use')) {
			throw new HttpError(400, `Invalid volume: Volume to be backed up must be available or in-use, but the current status is "${volume.status}".`);
		}

		const snapshotId = optionalString(spec['snapshot_id'], 'snapshot_id');
		let dataTimestamp = state.now();
		if (snapshotId !== undefined) {
			const snapshot = getSnapshot(call, snapshotId);
			if (snapshot.volumeId !== volume.id || snapshot.status !== 'available') {
				throw new HttpError(400, 'Invalid snapshot: Snapshot to be backed up must be available, but the current status is "' + snapshot.status + '".');
			}

			dataTimestamp = snapshot.createdAt;
		}

		let parentId: string | null = null;
		if (spec['incremental'] === true) {
			const parent = [...state.backups.values()]
				.filter(candidate => candidate.volumeId === volume.id && candidate.status === 'available' && candidate.dataTimestamp <= dataTimestamp)
				.toSorted((a, b) => b.dataTimestamp - a.dataTimestamp)[0];
			if (!parent) {
				throw new HttpError(400, 'Invalid backup: No backups available to do an incremental backup.');
			}

			parentId = parent.id;
		}

		checkQuota(call.projectId, {backups: 1, backup_gigabytes: volume.size});
		const backup = state.addBackup(volume, {
			userId: call.auth.user.id,
			name: optionalString(spec['name'], 'name') ?? null,
			description: optionalString(spec['description'], 'description') ?? null,
			status: 'creating',
			parentId,
			snapshotId: snapshotId ?? null,
			metadata: stringRecord(spec['metadata'], 'metadata'),
			objectCount: 0,
			dataTimestamp,
			availabilityZone: optionalString(spec['availability_zone'], 'availability_zone') ?? null,
			updatedAt: null,
		});
		const previous = volume.status;
		volume.status = 'backing-up';
		touch(volume);
		state.later('backupCreate', () => {
			if (state.volumes.has(volume.id)) {
				volume.status = previous;
				touch(volume);
			}

			if (!state.backups.has(backup.id)) {
				return;
			}

			touch(backup);
			if (volume.encryptionKeyId !== undefined) {
				const key = state.cloneSecret(volume.encryptionKeyId, volume.projectId, call.auth.user.id);
				if (!key) {
					backup.status = 'error';
					backup.failReason = 'Key manager error';
					return;
				}

				backup.encryptionKeyId = key.id;
			}

			backup.content = Buffer.from(state.contentOf(volume));
			backup.objectCount = parentId === null ? 1 : 0;
			backup.status = 'available';
		});

		return {status: 202, json: {backup: {id: backup.id, links: links(call, 'backups', backup.id, backup.projectId), name: backup.name}}};
	});

	router.add('GET', 'backups/:id', (call, {id = ''}) => {
		requireReader(call.auth, 'backup:get');
		return {status: 200, json: {backup: backupView(call, getBackup(call, id))}};
	});

	router.add('PUT', 'backups/:id', (call, {id = ''}) => {
		requireMember(call.auth, 'backup:update');
		if (call.mv < 9) {
			throw new HttpError(404, 'The resource could not be found.');
		}

		const backup = getBackup(call, id);
		const spec = jsonBody(call.context)['backup'];
		if (!isRecord(spec)) {
			throw new HttpError(400, 'Invalid input for field/attribute backup. \'backup\' is a required property');
		}

		const allowed = new Set(['name', 'description', ...(call.mv >= 43 ? ['metadata'] : [])]);
		rejectUnknownKeys(spec, allowed, 'backup');

		if ('name' in spec) {
			backup.name = optionalString(spec['name'], 'name') ?? null;
		}

		if ('description' in spec) {
			backup.description = optionalString(spec['description'], 'description') ?? null;
		}

		if ('metadata' in spec) {
			backup.metadata = {...backup.metadata, ...stringRecord(spec['metadata'], 'metadata')};
		}

		touch(backup);
		return {status: 200, json: {backup: backupView(call, backup)}};
	});

	router.add('DELETE', 'backups/:id', (call, {id = ''}) => {
		requireMember(call.auth, 'backup:delete');
		const backup = getBackup(call, id);
		if (backup.status !== 'available' && backup.status !== 'error') {
			throw new HttpError(400, `Invalid backup: Backup status must be available or error, but current status is: ${backup.status}.`);
		}

		if ([...state.backups.values()].some(other => other.parentId === id)) {
			throw new HttpError(400, 'Invalid backup: Incremental backups exist for this backup.');
		}

		backup.status = 'deleting';
		touch(backup);
		state.later('backupDelete', () => {
			state.backups.delete(id);
			state.deleteSecret(backup.encryptionKeyId);
		});
		return {status: 202};
	});

	router.add('POST', 'backups/:id/restore', (call, {id = ''}) => {
		requireMember(call.auth, 'backup:restore');
		const body = jsonBody(call.context);
		rejectUnknownKeys(body, ['restore'], 'restore');

		const spec = body['restore'];
		if (!isRecord(spec)) {
			throw new HttpError(400, 'Invalid input for field/attribute restore. \'restore\' is a required property');
		}

		rejectUnknownKeys(spec, ['volume_id', 'name'], 'restore');

		const backup = getBackup(call, id);
		if (backup.status !== 'available') {
			throw new HttpError(400, `Invalid backup: Backup status must be available but is ${backup.status}.`);
		}

		const volumeId = optionalString(spec['volume_id'], 'volume_id');
		const name = optionalString(spec['name'], 'name');
		let volume: VolumeRecord;
		if (volumeId === undefined) {
			checkQuota(call.projectId, {volumes: 1, gigabytes: backup.size});
			volume = createVolumeRecord(call, {
				name: name ?? `restore_backup_${backup.id}`,
				description: 'auto-created_from_restore_from_backup',
				size: backup.size,
				typeId: state.defaultTypeId,
				status: 'restoring-backup',
			});
		} else {
			volume = getVolume(call, volumeId);
			if (volume.status !== 'available') {
				throw new HttpError(400, `Invalid volume: Volume to be restored to must be available, but the current status is "${volume.status}".`);
			}

			if (volume.size < backup.size) {
				throw new HttpError(400, `Invalid volume: volume size ${volume.size} is too small to restore backup of size ${backup.size}.`);
			}

			volume.status = 'restoring-backup';
		}

		touch(volume);
		backup.status = 'restoring';
		touch(backup);
		runRestore(call, backup, volume);
		return {status: 202, json: {restore: {backup_id: backup.id, volume_id: volume.id, volume_name: volume.name}}};
	});

	router.add('POST', 'backups/:id/action', (call, {id = ''}) => {
		const backup = getBackup(call, id);
		const body = jsonBody(call.context);
		if (isRecord(body['os-reset_status'])) {
			requireAdmin(call.auth, 'backup:backup-reset_status');
			backup.status = optionalString(body['os-reset_status']['status'], 'status') ?? backup.status;
			touch(backup);
			return {status: 202};
		}

		if ('os-force_delete' in body) {
			requireAdmin(call.auth, 'backup:force_delete');
			state.backups.delete(id);
			state.deleteSecret(backup.encryptionKeyId);
			return {status: 202};
		}

		throw new HttpError(400, 'There is no such action.');
	});

	// Routes: snapshots

	const snapshotList = (call: Call): SnapshotRecord[] => {
		requireReader(call.auth, 'volume:get_all_snapshots');
		return applyFilters(call, scope(call, state.snapshots.values()), ['name', 'status', 'volume_id', 'metadata', 'availability_zone'], {
			volume_id: (snapshot, value) => snapshot.volumeId === value,
		});
	};

	router.add('GET', 'snapshots', call => listReply(call, 'snapshots', snapshotList(call), snapshot => snapshotView(call, snapshot), 'Snapshot'));
	router.add('GET', 'snapshots/detail', call => listReply(call, 'snapshots', snapshotList(call), snapshot => snapshotView(call, snapshot), 'Snapshot'));

	router.add('POST', 'snapshots', call => {
		requireMember(call.auth, 'volume:create_snapshot');
		const spec = jsonBody(call.context)['snapshot'];
		if (!isRecord(spec)) {
			throw new HttpError(400, 'Missing required element \'snapshot\' in request body.');
		}

		const volume = getVolume(call, optionalString(spec['volume_id'], 'volume_id') ?? '');
		const isForce = isTrue(spec['force']);
		if (volume.status !== 'available' && !(volume.status === 'in-use' && (isForce || call.mv >= 66))) {
			throw new HttpError(400, `Invalid volume: Volume ${volume.id} status must be available, but current status is: ${volume.status}.`);
		}

		checkQuota(call.projectId, {snapshots: 1, gigabytes: volume.size});
		const snapshot = createSnapshotRecord(state, volume, call.auth.user.id, {
			name: optionalString(spec['name'] ?? spec['display_name'], 'name') ?? null,
			description: optionalString(spec['description'] ?? spec['display_description'], 'description') ?? null,
			metadata: stringRecord(spec['metadata'], 'metadata'),
		});
		return {status: 202, json: {snapshot: snapshotView(call, snapshot)}};
	});

	router.add('GET', 'snapshots/:id', (call, {id = ''}) => {
		requireReader(call.auth, 'volume:get_snapshot');
		return {status: 200, json: {snapshot: snapshotView(call, getSnapshot(call, id))}};
	});

	router.add('DELETE', 'snapshots/:id', (call, {id = ''}) => {
		requireMember(call.auth, 'volume:delete_snapshot');
		const snapshot = getSnapshot(call, id);
		if (!['available', 'error'].includes(snapshot.status)) {
			throw new HttpError(400, `Invalid snapshot: Volume Snapshot status must be available or error, but current status is: ${snapshot.status}.`);
		}

		snapshot.status = 'deleting';
		touch(snapshot);
		state.later('snapshotDelete', () => {
			state.snapshots.delete(id);
		});
		return {status: 202};
	});

	// Routes: volume types

	const visibleTypes = (call: Call): VolumeTypeRecord[] => [...state.volumeTypes.values()].filter(type => !type.deleted && (type.isPublic || call.auth.isAdmin));

	router.add('GET', 'types', call => {
		requireReader(call.auth, 'volume_extension:types_manage');
		return {status: 200, json: {volume_types: visibleTypes(call).toSorted((a, b) => a.name.localeCompare(b.name)).map(type => typeView(call, type))}};
	});

	router.add('GET', 'types/default', call => {
		const type = state.volumeTypes.get(state.defaultTypeId);
		if (!type) {
			throw new HttpError(404, 'Default volume type can not be found.');
		}

		return {status: 200, json: {volume_type: typeView(call, type)}};
	});

	router.add('GET', 'types/:id', (call, {id = ''}) => {
		const type = state.findVolumeType(id);
		if (!type || (!type.isPublic && !call.auth.isAdmin)) {
			throw new HttpError(404, `Volume type ${id} could not be found.`);
		}

		return {status: 200, json: {volume_type: typeView(call, type)}};
	});

	router.add('POST', 'types', call => {
		requireAdmin(call.auth, 'volume_extension:types_manage');
		const spec = jsonBody(call.context)['volume_type'];
		if (!isRecord(spec) || typeof spec['name'] !== 'string' || spec['name'].trim() === '') {
			throw new HttpError(400, 'Volume type name can not be empty.');
		}

		const {name} = spec;
		if (state.findVolumeType(name)) {
			throw new HttpError(409, `Volume Type ${name} already exists.`);
		}

		const isPublic = spec['os-volume-type-access:is_public'] ?? spec['is_public'] ?? true;
		const type = state.addVolumeType({
			name,
			description: optionalString(spec['description'], 'description') ?? null,
			isPublic: isTrue(isPublic),
			extraSpecs: stringRecord(spec['extra_specs'], 'extra_specs'),
		});
		return {status: 200, json: {volume_type: typeView(call, type)}};
	});

	router.add('DELETE', 'types/:id', (call, {id = ''}) => {
		requireAdmin(call.auth, 'volume_extension:types_manage');
		const type = state.findVolumeType(id);
		if (!type) {
			throw new HttpError(404, `Volume type ${id} could not be found.`);
		}

		if (type.id === state.defaultTypeId) {
			throw new HttpError(400, 'Default volume type can not be deleted.');
		}

		if ([...state.volumes.values()].some(volume => volume.typeId === type.id)) {
			throw new HttpError(400, 'Target volume type is still in use.');
		}

		type.deleted = true;
		return {status: 202};
	});

	router.add('GET', 'types/:id/extra_specs', (_call, {id = ''}) => {
		const type = state.findVolumeType(id);
		if (!type) {
			throw new HttpError(404, `Volume type ${id} could not be found.`);
		}

		return {status: 200, json: {extra_specs: type.extraSpecs}};
	});

	router.add('GET', 'types/:id/encryption', (call, {id = ''}) => {
		requireAdmin(call.auth, 'volume_extension:volume_type_encryption:get');
		const type = state.findVolumeType(id);
		if (!type) {
			throw new HttpError(404, `Volume type ${id} could not be found.`);
		}

		return {status: 200, json: encryptionView(type)};
	});

	router.add('POST', 'types/:id/encryption', (call, {id = ''}) => {
		requireAdmin(call.auth, 'volume_extension:volume_type_encryption:create');
		const type = state.findVolumeType(id);
		if (!type) {
			throw new HttpError(404, `Volume type ${id} could not be found.`);
		}

		if (type.encryption) {
			throw new HttpError(400, `Volume type encryption for type ${type.id} already exists.`);
		}

		if ([...state.volumes.values()].some(volume => volume.typeId === type.id)) {
			throw new HttpError(400, 'Cannot create encryption specs. Volume type in use.');
		}

		const spec = jsonBody(call.context)['encryption'];
		if (!isRecord(spec)) {
			throw new HttpError(400, 'Missing required element \'encryption\' in request body.');
		}

		const provider = optionalString(spec['provider'], 'provider');
		if (provider === undefined) {
			throw new HttpError(400, 'Invalid input for field/attribute encryption. \'provider\' is a required property');
		}

		const keySize = spec['key_size'] === undefined || spec['key_size'] === null ? 256 : Number(spec['key_size']);
		type.encryption = {
			encryptionId: uuid(),
			provider,
			cipher: optionalString(spec['cipher'], 'cipher') ?? 'aes-xts-plain64',
			keySize,
			controlLocation: optionalString(spec['control_location'], 'control_location') ?? 'front-end',
			createdAt: state.now(),
		};
		const view = encryptionView(type);
		return {
			status: 200,
			json: {
				encryption: {
					cipher: view['cipher'], control_location: view['control_location'], encryption_id: view['encryption_id'], key_size: view['key_size'], provider: view['provider'], volume_type_id: type.id,
				},
			},
		};
	});

	// Routes: messages

	const messageView = (call: Call, message: (typeof state.messages extends Map<string, infer M> ? M : never)): Record<string, unknown> => ({
		created_at: naiveMicro(message.createdAt),
		event_id: message.eventId,
		guaranteed_until: naiveMicro(message.createdAt + (30 * 86_400_000)),
		id: message.id,
		links: links(call, 'messages', message.id, message.projectId),
		message_level: message.level,
		request_id: message.requestId,
		resource_type: message.resourceType,
		resource_uuid: message.resourceUuid,
		user_message: message.userMessage,
	});

	router.add('GET', 'messages', call => {
		requireReader(call.auth, 'message:get_all');
		if (call.mv < 3) {
			throw new HttpError(404, 'The resource could not be found.');
		}

		const {query} = call.context;
		const filters: Record<string, string | null> = {
			resource_uuid: query.get('resource_uuid'),
			event_id: query.get('event_id'),
			message_level: query.get('message_level'),
			resource_type: query.get('resource_type'),
		};
		const items = scope(call, state.messages.values()).filter(message => (filters['resource_uuid'] === null || message.resourceUuid === filters['resource_uuid'])
			&& (filters['event_id'] === null || message.eventId === filters['event_id'])
			&& (filters['message_level'] === null || message.level === filters['message_level'])
			&& (filters['resource_type'] === null || message.resourceType === filters['resource_type']));
		const pageQuery = new URLSearchParams();
		for (const key of ['limit', 'marker', 'offset', 'sort', 'sort_key', 'sort_dir']) {
			const value = query.get(key);
			if (value !== null && call.mv >= 5) {
				pageQuery.set(key, value);
			}
		}

		const {page, next} = markerPage(items, pageQuery, `${call.base}/messages`, {maxLimit: 1000, notFound: marker => `Message ${marker} could not be found.`});
		const json: Record<string, unknown> = {messages: page.map(message => messageView(call, message))};
		if (next !== undefined) {
			json['messages_links'] = [{href: next, rel: 'next'}];
		}

		return {status: 200, json};
	});

	router.add('GET', 'messages/:id', (call, {id = ''}) => {
		const message = state.messages.get(id);
		if (call.mv < 3 || !isVisible(call, message)) {
			throw new HttpError(404, `Message ${id} could not be found.`);
		}

		return {status: 200, json: {message: messageView(call, message)}};
	});

	router.add('DELETE', 'messages/:id', (call, {id = ''}) => {
		const message = state.messages.get(id);
		if (call.mv < 3 || !isVisible(call, message)) {
			throw new HttpError(404, `Message ${id} could not be found.`);
		}

		state.messages.delete(id);
		return {status: 204};
	});

	// Routes: quotas, limits, extensions

	const quotaKeys: Array<keyof Quotas> = ['volumes', 'gigabytes', 'snapshots', 'backups', 'backup_gigabytes'];

	router.add('GET', 'os-quota-sets/:project', (call, {project = ''}) => {
		if (project !== call.auth.project.id) {
			requireAdmin(call.auth, 'volume_extension:quotas:show');
		}

		const quota = state.quotaOf(project);
		const usage = state.usageOf(project);
		const isWithUsage = ['true', 'True', '1'].includes(call.context.query.get('usage') ?? '');
		const set: Record<string, unknown> = {id: project, per_volume_gigabytes: -1, groups: 10};
		for (const key of quotaKeys) {
			set[key] = isWithUsage
				? {
					limit: quota[key], in_use: usage[key], reserved: 0, allocated: 0,
				}
				: quota[key];
		}

		return {status: 200, json: {quota_set: set}};
	});

	router.add('PUT', 'os-quota-sets/:project', (call, {project = ''}) => {
		requireAdmin(call.auth, 'volume_extension:quotas:update');
		const spec = jsonBody(call.context)['quota_set'];
		if (!isRecord(spec)) {
			throw new HttpError(400, 'Missing required element quota_set in request body.');
		}

		const quota = {...state.quotaOf(project)};
		for (const key of quotaKeys) {
			const value = spec[key];
			if (value === undefined) {
				continue;
			}

			const number = Number(value);
			if (!Number.isSafeInteger(number) || number < -1) {
				throw new HttpError(400, `Invalid input received: Quota ${key} must be an integer >= -1.`);
			}

			quota[key] = number;
		}

		state.quotas.set(project, quota);
		return {status: 200, json: {quota_set: quota}};
	});

	router.add('GET', 'limits', call => {
		const quota = state.quotaOf(call.projectId);
		const usage = state.usageOf(call.projectId);
		return {
			status: 200,
			json: {
				limits: {
					rate: [],
					absolute: {
						maxTotalVolumes: quota.volumes,
						maxTotalVolumeGigabytes: quota.gigabytes,
						maxTotalSnapshots: quota.snapshots,
						maxTotalBackups: quota.backups,
						maxTotalBackupGigabytes: quota.backup_gigabytes,
						totalVolumesUsed: usage.volumes,
						totalGigabytesUsed: usage.gigabytes,
						totalSnapshotsUsed: usage.snapshots,
						totalBackupsUsed: usage.backups,
						totalBackupGigabytesUsed: usage.backup_gigabytes,
					},
				},
			},
		};
	});

	router.add('GET', 'extensions', () => ({status: 200, json: {extensions: []}}));
	router.add('GET', 'os-availability-zone', () => ({status: 200, json: {availabilityZoneInfo: [{zoneName: 'nova', zoneState: {available: true}}]}}));

	const versionHeaders = (mv: number): Record<string, string> => ({'OpenStack-API-Version': `volume 3.${mv}`, Vary: 'OpenStack-API-Version'});

	return {
		service: 'volume',
		prefix: '/volume',
		async handle(context) {
			const {segments, origin} = context;
			// Real Cinder labels its version documents `volume 3.0`, whatever the request asked for.
			const documentHeaders = {'OpenStack-API-Version': 'volume 3.0'};
			if (segments.length === 0) {
				return {status: 300, json: {versions: [versionDocument(origin)]}, headers: documentHeaders};
			}

			if (segments[0] !== 'v3') {
				throw new HttpError(404, 'The resource could not be found.');
			}

			if (segments.length === 1) {
				return {status: 200, json: {versions: [versionDocument(origin)]}, headers: documentHeaders};
			}

			const auth = authenticate(state, context);
			const mv = volumeMicroversion(context);
			let projectId = segments[1] ?? '';
			let rest = segments.slice(2);
			if (collections.has(projectId) && mv >= 67) {
				projectId = auth.project.id;
				rest = segments.slice(1);
			}

			if (projectId !== auth.project.id) {
				throw new HttpError(400, `Malformed request URL: URL's project_id '${projectId}' doesn't match Context's project_id '${auth.project.id}'`);
			}

			const call: Call = {
				context, auth, mv, projectId, base: `${origin}/volume/v3/${projectId}`,
			};
			const match = router.resolve(context.method, rest);

			return withHeaders(match.handler(call, match.parameters), versionHeaders(mv));
		},
		errorReply(error, context) {
			let versionHeaders_: Record<string, string> = {};
			try {
				versionHeaders_ = versionHeaders(volumeMicroversion(context));
			} catch {}

			return faultReply(error.status, error.message, {...versionHeaders_, ...error.headers});
		},
	};
}

/**
A snapshot that becomes available after the configured delay; it reuses the volume's key (no clone).
*/
export function createSnapshotRecord(state: DemoState, volume: VolumeRecord, userId: string, fields: {name: string | null; description: string | null; metadata?: Record<string, string>}): SnapshotRecord {
	const snapshot: SnapshotRecord = {
		id: uuid(),
		projectId: volume.projectId,
		userId,
		name: fields.name,
		description: fields.description,
		status: 'creating',
		size: volume.size,
		volumeId: volume.id,
		metadata: fields.metadata ?? {},
		createdAt: state.now(),
		updatedAt: null,
	};
	state.snapshots.set(snapshot.id, snapshot);
	state.later('snapshotCreate', () => {
		if (state.snapshots.get(snapshot.id)?.status !== 'creating') {
			return;
		}

		snapshot.status = 'available';
		snapshot.updatedAt = state.now();
	});
	return snapshot;
}

async function withHeaders(reply: Reply | Promise<Reply>, headers: Record<string, string>): Promise<Reply> {
	const resolved = await reply;
	return {...resolved, headers: {...headers, ...resolved.headers}};
}

function isTrue(value: unknown): boolean {
	return value === true || (typeof value === 'string' && ['true', 'True', '1'].includes(value));
}

function rejectUnknownKeys(record: Record<string, unknown>, allowed: Iterable<string>, field: string): void {
	const known = new Set(allowed);
	const unexpected = Object.keys(record).find(key => !known.has(key));
	if (unexpected !== undefined) {
		throw new HttpError(400, `Invalid input for field/attribute ${field}. Value: ${JSON.stringify(record)}. Additional properties are not allowed ('${unexpected}' was unexpected)`);
	}
}

type Filterable = {name: string | null; status: string; metadata?: Record<string, string>};

function filterItems<T extends Filterable>(items: T[], field: string, value: string, isLike: boolean, extra: Record<string, (item: T, value: string) => boolean>): T[] {
	switch (field) {
		case 'name': {
			return items.filter(item => (isLike ? (item.name ?? '').includes(value) : item.name === value));
		}

		case 'status': {
			return items.filter(item => item.status === value);
		}

		case 'metadata': {
			let wanted: Record<string, string>;
			try {
				wanted = stringRecord(JSON.parse(value.replaceAll('\'', '"')), 'metadata');
			} catch {
				throw new HttpError(400, `Invalid metadata filter: ${value}`);
			}

			return items.filter(item => Object.entries(wanted).every(([key, wantedValue]) => item.metadata?.[key] === wantedValue));
		}

		default: {
			const predicate = extra[field];
			return predicate ? items.filter(item => predicate(item, value)) : items;
		}
	}
}
