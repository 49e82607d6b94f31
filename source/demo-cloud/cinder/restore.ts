/* eslint-disable @typescript-eslint/naming-convention -- OpenStack's wire format is snake_case. */
/*
What cinder-backup does after the API accepted a restore (from `POST backups/:id/restore` or a volume create with
`backup_id`), with Cinder's encrypted-restore rule.
*/
import {Buffer} from 'node:buffer';
import type {BackupRecord, VolumeRecord} from '../state.js';
import type {Call, Cinder} from './shared.js';

function failRestore(cinder: Cinder, call: Call, backup: BackupRecord, volume: VolumeRecord): void {
	const {state, touch} = cinder;
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
}

/**
What cinder-backup does after the API accepted a restore.
*/
export function runRestore(cinder: Cinder, call: Call, backup: BackupRecord, volume: VolumeRecord): void {
	const {state, touch} = cinder;
	state.later('restore', () => {
		if (!state.volumes.has(volume.id) || !state.backups.has(backup.id)) {
			return;
		}

		if (backup.encryptionKeyId !== undefined) {
			// Cinder's _restore_vol_encryption_meta: the target must be of the source's (still existing) type.
			const sourceType = state.volumeTypes.get(backup.sourceTypeId);
			if (!sourceType || sourceType.deleted || volume.typeId !== backup.sourceTypeId) {
				failRestore(cinder, call, backup, volume);
				return;
			}

			const newKey = state.cloneSecret(backup.encryptionKeyId, volume.projectId, call.auth.user.id);
			if (!newKey) {
				failRestore(cinder, call, backup, volume);
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
}
