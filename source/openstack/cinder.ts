/*
Cinder v3 (block-storage). Every request carries `OpenStack-API-Version: volume 3.N` (the word `volume`: Cinder does not
recognise `block-storage`). Lists follow `<key>_links` to the end; timestamps are naive UTC and get their `Z` here.
*/
/* eslint-disable @typescript-eslint/naming-convention -- Cinder's request bodies and query parameters are snake_case. */
import type {
	CinderApi,
	CinderListOptions,
	CreateBackupRequest,
	CreateEncryptedTypeRequest,
	CreateVolumeRequest,
	RestoreResult,
	UploadToImageRequest,
} from './api.js';
import {isNotFound, undefinedIfNotFound} from './errors.js';
import {
	getJson,
	markerPages,
	nextLink,
	orderedPages,
	pageConcurrency,
	sendEmpty,
	sendJson,
	type Query,
	type ServiceContext,
} from './service.js';
import type {
	Backup,
	EncryptionSpec,
	Snapshot,
	UserMessage,
	Volume,
	VolumeAttachment,
	VolumeType,
} from './types.js';
import {
	asArray,
	asObject,
	compact,
	isTrue,
	compareVersions,
	encodeId,
	nameOf,
	nonEmpty,
	number,
	stringRecord,
	utc,
	utcRequired,
	withoutRaw,
	type Json,
} from './util.js';

function setIf<T extends Record<string, unknown>, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
	if (value !== undefined) {
		target[key] = value;
	}
}

export function toVolume(raw: Json): Volume {
	const attachments: VolumeAttachment[] = [];
	for (const value of asArray(raw['attachments'])) {
		const attachment = asObject(value);
		const serverId = nonEmpty(attachment?.['server_id']);
		if (attachment === undefined || serverId === undefined) {
			continue;
		}

		const item: VolumeAttachment = {serverId};
		setIf(item, 'attachmentId', nonEmpty(attachment['attachment_id']));
		setIf(item, 'device', nonEmpty(attachment['device']));
		setIf(item, 'attachedAt', utc(attachment['attached_at']));
		attachments.push(item);
	}

	const volume: Volume = {
		id: nameOf(raw['id']),
		name: nameOf(raw['name']),
		status: nameOf(raw['status']),
		size: number(raw['size']) ?? 0,
		encrypted: isTrue(raw['encrypted']),
		bootable: isTrue(raw['bootable']),
		attachments,
		metadata: stringRecord(raw['metadata']),
		createdAt: utcRequired(raw['created_at']),
		raw,
	};
	setIf(volume, 'description', nonEmpty(raw['description']));
	setIf(volume, 'volumeType', nonEmpty(raw['volume_type']));
	setIf(volume, 'volumeTypeId', nonEmpty(raw['volume_type_id']));
	setIf(volume, 'encryptionKeyId', nonEmpty(raw['encryption_key_id']));
	setIf(volume, 'availabilityZone', nonEmpty(raw['availability_zone']));
	setIf(volume, 'snapshotId', nonEmpty(raw['snapshot_id']));
	setIf(volume, 'sourceVolumeId', nonEmpty(raw['source_volid']));
	setIf(volume, 'updatedAt', utc(raw['updated_at']));
	setIf(volume, 'projectId', nonEmpty(raw['os-vol-tenant-attr:tenant_id']));
	return volume;
}

export function toBackup(raw: Json): Backup {
	const backup: Backup = {
		id: nameOf(raw['id']),
		name: nameOf(raw['name']),
		status: nameOf(raw['status']),
		size: number(raw['size']) ?? 0,
		volumeId: nameOf(raw['volume_id']),
		isIncremental: isTrue(raw['is_incremental']),
		hasDependentBackups: isTrue(raw['has_dependent_backups']),
		metadata: stringRecord(raw['metadata']),
		createdAt: utcRequired(raw['created_at']),
		raw,
	};
	setIf(backup, 'description', nonEmpty(raw['description']));
	setIf(backup, 'failReason', nonEmpty(raw['fail_reason']));
	setIf(backup, 'snapshotId', nonEmpty(raw['snapshot_id']));
	setIf(backup, 'encryptionKeyId', nonEmpty(raw['encryption_key_id']));
	setIf(backup, 'container', nonEmpty(raw['container']));
	setIf(backup, 'availabilityZone', nonEmpty(raw['availability_zone']));
	setIf(backup, 'objectCount', number(raw['object_count']));
	setIf(backup, 'updatedAt', utc(raw['updated_at']));
	setIf(backup, 'dataTimestamp', utc(raw['data_timestamp']));
	setIf(backup, 'projectId', nonEmpty(raw['os-backup-project-attr:project_id']));
	return backup;
}

export function toSnapshot(raw: Json): Snapshot {
	const snapshot: Snapshot = {
		id: nameOf(raw['id']),
		name: nameOf(raw['name']),
		status: nameOf(raw['status']),
		size: number(raw['size']) ?? 0,
		volumeId: nameOf(raw['volume_id']),
		metadata: stringRecord(raw['metadata']),
		createdAt: utcRequired(raw['created_at']),
		raw,
	};
	setIf(snapshot, 'description', nonEmpty(raw['description']));
	setIf(snapshot, 'updatedAt', utc(raw['updated_at']));
	setIf(snapshot, 'progress', nonEmpty(raw['os-extended-snapshot-attributes:progress']));
	setIf(snapshot, 'projectId', nonEmpty(raw['os-extended-snapshot-attributes:project_id']));
	return snapshot;
}

export function toVolumeType(raw: Json): VolumeType {
	const type: VolumeType = {
		id: nameOf(raw['id']),
		name: nameOf(raw['name']),
		isPublic: raw['is_public'] === undefined ? raw['os-volume-type-access:is_public'] !== false : isTrue(raw['is_public']),
		extraSpecs: stringRecord(raw['extra_specs']),
		raw,
	};
	setIf(type, 'description', nonEmpty(raw['description']));
	return type;
}

export function toEncryptionSpec(raw: Json): EncryptionSpec {
	const spec: EncryptionSpec = {};
	setIf(spec, 'encryptionKeyId', nonEmpty(raw['encryption_key_id']));
	setIf(spec, 'provider', nonEmpty(raw['provider']));
	setIf(spec, 'cipher', nonEmpty(raw['cipher']));
	setIf(spec, 'keySize', number(raw['key_size']));
	setIf(spec, 'controlLocation', nonEmpty(raw['control_location']));
	return spec;
}

export function toMessage(raw: Json): UserMessage {
	const message: UserMessage = {
		id: nameOf(raw['id']),
		eventId: nameOf(raw['event_id']),
		userMessage: nameOf(raw['user_message']),
		messageLevel: nameOf(raw['message_level']),
		createdAt: utcRequired(raw['created_at']),
		raw,
	};
	setIf(message, 'resourceType', nonEmpty(raw['resource_type']));
	setIf(message, 'resourceUuid', nonEmpty(raw['resource_uuid']));
	setIf(message, 'requestId', nonEmpty(raw['request_id']));
	return message;
}

function listQuery(options: CinderListOptions | undefined): Query {
	return {
		limit: options?.pageSize,
		all_tenants: options?.allProjects ? 1 : undefined,
		metadata: options?.metadata === undefined ? undefined : JSON.stringify(options.metadata),
	};
}

function required(body: unknown, key: string, what: string): Json {
	const value = asObject(asObject(body)?.[key]);
	if (value === undefined) {
		throw new TypeError(`Cinder answered without "${key}" for ${what}`);
	}

	return value;
}

export function createCinder(context: ServiceContext): CinderApi & {requestedMicroversion: string} {
	// The header is `volume 3.N`.
	const requested = context.headers['OpenStack-API-Version']?.split(' ', 2)[1] ?? '3.0';
	const needs = (version: string, what: string) => {
		if (compareVersions(requested, version) < 0) {
			throw new Error(`${what} needs Cinder microversion ${version}; this cloud offers at most ${context.microversion.max}`);
		}
	};

	async function getOne(path: string, key: string, what: string, options?: {signal?: AbortSignal}): Promise<Json> {
		return required(await getJson(context, path, options), key, what);
	}

	const canCount = compareVersions(requested, '3.45') >= 0;

	/**
	A detail list, in Cinder's order. From 3.45 the first page is asked `with_count=true`; knowing the count, the other
	pages are fetched a few at a time by `offset` (which Cinder takes with `limit`), handed over in order and without
	an item twice (one created meanwhile shifts the offsets). After the counted pages, or when Cinder gave no count, the
	list goes on by markers (`<key>_links`) to its real end.

	@yields Each item once.
	*/
	async function * list<T extends {id: string}>(path: string, key: string, map: (raw: Json) => T, options?: CinderListOptions): AsyncGenerator<T> {
		const signal = options?.signal;
		const query = listQuery(options);
		const toItem = options?.keepRaw === false ? (raw: Json) => withoutRaw(map(raw)) : map;
		if (!canCount) {
			for await (const raw of markerPages(context, {
				path, key, query, signal,
			})) {
				yield toItem(raw);
			}

			return;
		}

		const seen = new Set<string>();
		function * fresh(items: readonly T[]): Generator<T> {
			for (const item of items) {
				if (seen.has(item.id)) {
					continue;
				}

				seen.add(item.id);
				yield item;
			}
		}

		// Each page is mapped as it arrives: a page waiting its turn holds the items, not the parsed body.
		const page = async (pageQuery: Query, pageSignal?: AbortSignal) => {
			const body = asObject(await getJson(context, path, {query: pageQuery, signal: pageSignal})) ?? {};
			const items: T[] = [];
			for (const value of asArray(body[key])) {
				const raw = asObject(value);
				if (raw !== undefined) {
					items.push(toItem(raw));
				}
			}

			return {items, count: number(body['count']), next: nextLink(body[`${key}_links`])};
		};

		const first = await page({...query, with_count: 'true'}, signal);
		yield * fresh(first.items);
		if (first.next === undefined || first.items.length === 0) {
			return;
		}

		if (first.count === undefined) {
			// No count (a Cinder that ignores `with_count`): Cinder's own next links to the end.
			for await (const raw of markerPages(context, {
				path, key, from: first.next, signal,
			})) {
				yield * fresh([toItem(raw)]);
			}

			return;
		}

		const {count} = first;
		const step = first.items.length;
		const pages = Math.max(0, Math.ceil((count - step) / step));
		const pageQuery = {...query, limit: step};
		for await (const next of orderedPages(pages, pageConcurrency, async (index, pageSignal) => page({...pageQuery, offset: step * (index + 1)}, pageSignal), signal)) {
			yield * fresh(next.items);
		}

		// Fewer than counted: the list changed while it was read, and offsets may have skipped an item. Markers from the
		// start find it (what was already handed over is not handed over again).
		if (seen.size < count) {
			for await (const raw of markerPages(context, {
				path, key, query: pageQuery, signal,
			})) {
				yield * fresh([toItem(raw)]);
			}
		}
	}

	const api: CinderApi & {requestedMicroversion: string} = {
		microversion: context.microversion,
		requestedMicroversion: requested,

		listVolumes: options => list('volumes/detail', 'volumes', toVolume, options),
		async getVolume(id, options) {
			return toVolume(await getOne(`volumes/${encodeId(id)}`, 'volume', `volume ${id}`, options));
		},
		async findVolume(id, options) {
			return undefinedIfNotFound(async () => api.getVolume(id, options));
		},
		async createVolume(request: CreateVolumeRequest, options) {
			if (request.backupId !== undefined) {
				needs('3.47', 'Creating a volume from a backup');
			}

			const volume = compact({
				size: request.size,
				name: request.name,
				description: request.description,
				volume_type: request.volumeType,
				backup_id: request.backupId,
				imageRef: request.imageRef,
				snapshot_id: request.snapshotId,
				metadata: request.metadata,
			});
			const {data} = await sendJson(context, 'POST', 'volumes', {...options, json: {volume}});
			return toVolume(required(data, 'volume', 'the new volume'));
		},
		async deleteVolume(id, options) {
			await sendEmpty(context, 'DELETE', `volumes/${encodeId(id)}`, options);
		},
		async getVolumeEncryption(volumeId, options) {
			const body = asObject(await getJson(context, `volumes/${encodeId(volumeId)}/encryption`, options)) ?? {};
			return toEncryptionSpec(asObject(body['encryption']) ?? body);
		},
		async uploadVolumeToImage(volumeId, request: UploadToImageRequest, options) {
			const body = {
				'os-volume_upload_image': {
					image_name: request.imageName,
					force: request.force ?? false,
					disk_format: request.diskFormat ?? 'raw',
					container_format: request.containerFormat ?? 'bare',
				},
			};
			const {data} = await sendJson(context, 'POST', `volumes/${encodeId(volumeId)}/action`, {...options, json: body});
			const upload = asObject(asObject(data)?.['os-volume_upload_image']);
			const imageId = nonEmpty(upload?.['image_id']);
			if (imageId === undefined) {
				throw new TypeError(`Cinder accepted the upload of volume ${volumeId} but returned no image_id`);
			}

			return {imageId};
		},

		listBackups: options => list('backups/detail', 'backups', toBackup, options),
		async getBackup(id, options) {
			return toBackup(await getOne(`backups/${encodeId(id)}`, 'backup', `backup ${id}`, options));
		},
		async findBackup(id, options) {
			return undefinedIfNotFound(async () => api.getBackup(id, options));
		},
		async createBackup(request: CreateBackupRequest, options) {
			if (request.metadata !== undefined) {
				needs('3.43', 'Backup metadata');
			}

			const backup = compact({
				volume_id: request.volumeId,
				name: request.name,
				description: request.description,
				incremental: request.incremental,
				force: request.force,
				snapshot_id: request.snapshotId,
				metadata: request.metadata,
			});
			const {data} = await sendJson(context, 'POST', 'backups', {...options, json: {backup}});
			const id = nonEmpty(required(data, 'backup', 'the new backup')['id']);
			if (id === undefined) {
				throw new TypeError('Cinder accepted the backup but returned no ID');
			}

			return {id};
		},
		async renameVolume(id, name, options) {
			await sendJson(context, 'PUT', `volumes/${encodeId(id)}`, {...options, json: {volume: {name}}});
		},
		async updateBackupMetadata(id, metadata, options) {
			needs('3.43', 'Backup metadata');
			await sendJson(context, 'PUT', `backups/${encodeId(id)}`, {...options, json: {backup: {metadata}}});
		},
		async deleteBackup(id, options) {
			await sendEmpty(context, 'DELETE', `backups/${encodeId(id)}`, options);
		},
		async restoreBackup(id, target, options): Promise<RestoreResult> {
			const restore = compact({volume_id: target.volumeId, name: target.name});
			const {data} = await sendJson(context, 'POST', `backups/${encodeId(id)}/restore`, {...options, json: {restore}});
			const answer = required(data, 'restore', `the restore of backup ${id}`);
			const volumeName = nonEmpty(answer['volume_name']);
			return {
				backupId: nonEmpty(answer['backup_id']) ?? id,
				volumeId: nameOf(answer['volume_id']),
				...(volumeName !== undefined && {volumeName}),
			};
		},

		listSnapshots: options => list('snapshots/detail', 'snapshots', toSnapshot, options),
		async getSnapshot(id, options) {
			return toSnapshot(await getOne(`snapshots/${encodeId(id)}`, 'snapshot', `snapshot ${id}`, options));
		},
		async createSnapshot(request, options) {
			const snapshot = compact({
				volume_id: request.volumeId, name: request.name, force: request.force, metadata: request.metadata,
			});
			const {data} = await sendJson(context, 'POST', 'snapshots', {...options, json: {snapshot}});
			return toSnapshot(required(data, 'snapshot', 'the new snapshot'));
		},
		async deleteSnapshot(id, options) {
			await sendEmpty(context, 'DELETE', `snapshots/${encodeId(id)}`, options);
		},

		async getLimits(options) {
			const absolute = asObject(required(await getJson(context, 'limits', options), 'limits', 'the project\'s limits')['absolute']) ?? {};
			const read = (key: string) => {
				const value = absolute[key];
				if (typeof value !== 'number') {
					throw new TypeError(`Cinder's limits have no number ${key}`);
				}

				return value;
			};

			return {
				maxVolumes: read('maxTotalVolumes'),
				volumesUsed: read('totalVolumesUsed'),
				maxGigabytes: read('maxTotalVolumeGigabytes'),
				gigabytesUsed: read('totalGigabytesUsed'),
			};
		},

		async listVolumeTypes(options) {
			const types: VolumeType[] = [];
			for await (const raw of markerPages(context, {
				path: 'types', key: 'volume_types', query: {}, signal: options?.signal,
			})) {
				types.push(toVolumeType(raw));
			}

			return types;
		},
		async getVolumeType(idOrName, options) {
			try {
				const body = await getJson(context, `types/${encodeId(idOrName)}`, options);
				return toVolumeType(required(body, 'volume_type', `volume type ${idOrName}`));
			} catch (error) {
				if (!isNotFound(error)) {
					throw error;
				}

				const types = await api.listVolumeTypes(options);
				const match = types.find(type => type.name === idOrName);
				if (match === undefined) {
					throw error;
				}

				return match;
			}
		},
		async getVolumeTypeEncryption(typeId, options) {
			const body = asObject(await getJson(context, `types/${encodeId(typeId)}/encryption`, options)) ?? {};
			const spec = asObject(body['encryption']) ?? body;
			return Object.keys(spec).length === 0 || (spec['provider'] === undefined && spec['cipher'] === undefined) ? undefined : toEncryptionSpec(spec);
		},
		async createEncryptedVolumeType(request: CreateEncryptedTypeRequest, options) {
			const volumeType = compact({name: request.name, description: request.description, 'os-volume-type-access:is_public': true});

			const {data} = await sendJson(context, 'POST', 'types', {...options, json: {volume_type: volumeType}});
			const created = toVolumeType(required(data, 'volume_type', 'the new volume type'));
			const encryption = {
				provider: request.provider ?? 'luks',
				cipher: request.cipher ?? 'aes-xts-plain64',
				key_size: request.keySize ?? 256,
				control_location: request.controlLocation ?? 'front-end',
			};
			try {
				await sendJson(context, 'POST', `types/${encodeId(created.id)}/encryption`, {...options, json: {encryption}});
			} catch (error) {
				// Do not leave an unencrypted type behind under a name that promises encryption.
				await api.deleteVolumeType(created.id).catch(() => undefined);
				throw error;
			}

			return created;
		},
		async deleteVolumeType(id, options) {
			await sendEmpty(context, 'DELETE', `types/${encodeId(id)}`, options);
		},

		async listMessages(filter, options) {
			const messages: UserMessage[] = [];
			const query: Query = {resource_uuid: filter?.resourceUuid};
			for await (const raw of markerPages(context, {
				path: 'messages', key: 'messages', query, signal: options?.signal,
			})) {
				messages.push(toMessage(raw));
			}

			return messages;
		},
	};
	return api;
}
