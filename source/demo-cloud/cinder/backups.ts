/* eslint-disable unicorn/prefer-iterator-helpers, unicorn/prefer-iterator-to-array -- the project's TypeScript lib has no iterator helpers. */
/* eslint-disable @typescript-eslint/naming-convention -- OpenStack's wire format is snake_case. */
/* eslint-disable unicorn/no-immediate-mutation -- views add fields that depend on the microversion and the caller. */
/* eslint-disable @typescript-eslint/no-restricted-types -- node:http and node:crypto hand out Buffers. */
/*
Cinder backups: list, create (full or incremental, of a volume or one of its snapshots), show, update, delete, restore,
and the admin actions reset status and force delete.
*/
import {Buffer} from 'node:buffer';
import {requireAdmin, requireMember, requireReader} from '../auth.js';
import {
	HttpError,
	isRecord,
	jsonBody,
	naiveMicro,
	optionalString,
	stringRecord,
	type Router,
} from '../http.js';
import {derived, type Listed} from '../paging.js';
import type {BackupRecord, VolumeRecord} from '../state.js';
import {runRestore} from './restore.js';
import {rejectUnknownKeys, type Call, type Cinder} from './shared.js';

export function addBackupRoutes(router: Router<Call>, cinder: Cinder): void {
	const {
		state, getVolume, getBackup, getSnapshot, links, scope, ordered, applyFilters, listReply, touch, checkQuota, createVolumeRecord,
	} = cinder;

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

	// A backup's parent never changes: the set is derived once per change of the table.
	const parentIds = (): Set<string> => derived(state.backups, 'parents', backups => {
		const parents = new Set<string>();
		for (const backup of backups) {
			if (backup.parentId !== null) {
				parents.add(backup.parentId);
			}
		}

		return parents;
	});

	// Routes: backups

	const backupList = (call: Call): Listed<BackupRecord> => {
		requireReader(call.auth, 'backup:get_all');
		const {records, isSorted} = ordered(call, state.backups);
		return {
			isSorted,
			items: applyFilters(call, scope(call, records), ['name', 'status', 'volume_id'], {
				volume_id: (backup, value) => backup.volumeId === value,
			}),
		};
	};

	router.add('GET', 'backups', call => listReply(call, 'backups', backupList(call), backup => ({
		id: backup.id, links: links(call, 'backups', backup.id, backup.projectId), name: backup.name,
	})));
	router.add('GET', 'backups/detail', call => {
		const parents = parentIds();
		return listReply(call, 'backups', backupList(call), backup => backupView(call, backup, parents));
	});

	router.add('POST', 'backups', call => {
		requireMember(call.auth, 'backup:create');
		const body = jsonBody(call.context);
		const allowedTop = new Set(['backup']);
		const allowed = new Set([
			'volume_id',
			'container',
			'description',
			'incremental',
			'force',
			'name',
			'snapshot_id',
			...(call.mv >= 43 ? ['metadata'] : []),
			...(call.mv >= 51 ? ['availability_zone'] : []),
		]);
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
			// The whole set is replaced: Cinder deletes the keys the request does not name (backup_metadata_update with delete=True).
			backup.metadata = stringRecord(spec['metadata'], 'metadata');
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
		runRestore(cinder, call, backup, volume);
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
}
