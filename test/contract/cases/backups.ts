/*
Contracts: encrypted types, backups and the restores of the guide.
*/
import {isOpenStackError} from '../../../source/openstack/index.js';
import {type Plan} from '../../../source/core/plans/types.js';
import {runPlan} from '../../../source/core/plans/execute.js';
import {collect} from '../../helpers/collect.js';
import {fieldDifferences, realBody} from '../fields.js';
import {
	pollingClock,
	services,
	compareVersions,
	secretStatus,
	waitVolume,
	waitBackup,
	waitBackupGone,
	makeEncryptedType,
	makeVolume,
	makeBackup,
	removeVolume,
	type Contract,
} from '../kit.js';

export function registerBackups(contract: Contract): void {
	contract('an admin makes an encrypted volume type; a member\'s volume of it has its own live key', async (t, c) => {
		const type = await makeEncryptedType(t, c, 'luks');
		const encryption = await services(c.admin).cinder.getVolumeTypeEncryption(type.id);
		t.like(encryption, {
			provider: 'luks', cipher: 'aes-xts-plain64', keySize: 256, controlLocation: 'front-end',
		});
		const {cinder, barbican} = services(c.member);
		const listed = await cinder.listVolumeTypes();
		t.true(listed.some(item => item.id === type.id), 'a public type is visible to members');
		const memberView = await cinder.getVolumeTypeEncryption(type.id).then(() => 'allowed').catch((error: unknown) => (isOpenStackError(error) ? error.status : error));
		t.is(memberView, 403, 'type encryption is admin-only');
		const volume = await makeVolume(t, c, cinder, {size: 1, name: `bs-contract-${c.run}-encrypted`, volumeType: type.name});
		t.true(volume.encrypted);
		t.is(volume.volumeType, type.name);
		t.is(volume.volumeTypeId, type.id);
		t.truthy(volume.encryptionKeyId);
		const keyId = volume.encryptionKeyId ?? '';
		const viaEncryption = await cinder.getVolumeEncryption(volume.id);
		t.is(viaEncryption.encryptionKeyId, keyId);
		const secret = await barbican.getSecret(keyId);
		t.like(secret, {
			id: keyId, status: 'ACTIVE', secretType: 'symmetric', algorithm: 'aes', bitLength: 256,
		});
		t.is(secret.creatorId, c.member.identity.token().userId);
		t.true(compareVersions(cinder.microversion.max, '3.70') >= 0, 'the client then speaks 3.70, the fixtures\' version');
		// Service_uuid: null on the real cloud for volumes made just after cinder-volume started.
		t.deepEqual(fieldDifferences(realBody('cinder-volume-encrypted-3.70', 'volume'), volume.raw, {nullable: ['service_uuid']}), [], 'volume fields as on the real cloud');
		t.deepEqual(fieldDifferences(realBody('barbican-secret'), secret.raw), [], 'secret fields as on the real cloud');
	});

	contract('full and incremental backups carry metadata and their own live keys; deleting a backup deletes its key', async (t, c) => {
		const type = await makeEncryptedType(t, c, 'bk');
		const {cinder, barbican} = services(c.member);
		const volume = await makeVolume(t, c, cinder, {size: 1, name: `bs-contract-${c.run}-bk-src`, volumeType: type.name});
		const metadata = {'backstack:source-type': type.name, 'backstack:source-type-id': type.id};
		const full = await makeBackup(t, c, cinder, {volumeId: volume.id, name: `bs-contract-${c.run}-full`, metadata});
		const incremental = await makeBackup(t, c, cinder, {
			volumeId: volume.id, name: `bs-contract-${c.run}-incr`, incremental: true, metadata,
		});
		const fullNow = await cinder.getBackup(full.id);
		t.false(fullNow.isIncremental);
		t.true(fullNow.hasDependentBackups);
		t.true(incremental.isIncremental);
		t.false(incremental.hasDependentBackups);
		t.deepEqual(fullNow.metadata, metadata);
		t.deepEqual(incremental.metadata, metadata);
		t.deepEqual(fieldDifferences(realBody('cinder-backup-encrypted-incremental-3.70', 'backup'), incremental.raw), [], 'backup fields as on the real cloud');
		t.is(fullNow.volumeId, volume.id);
		t.is(fullNow.size, 1);
		const keys = [volume.encryptionKeyId, fullNow.encryptionKeyId, incremental.encryptionKeyId];
		t.true(keys.every(key => typeof key === 'string' && key !== ''), `keys ${JSON.stringify(keys)}`);
		t.is(new Set(keys).size, 3, 'every backup gets its own clone of the key');
		for (const key of keys) {
			// eslint-disable-next-line no-await-in-loop
			const secret = await barbican.findSecret(key ?? '');
			t.is(secret?.status, 'ACTIVE', `key ${key} is live`);
		}

		const listed = await collect(cinder.listBackups());
		t.true(listed.some(item => item.id === full.id && item.encryptionKeyId === fullNow.encryptionKeyId));
		const refused = await t.throwsAsync(cinder.deleteBackup(full.id));
		t.is(isOpenStackError(refused) ? refused.status : undefined, 400, 'a backup with an incremental child cannot be deleted');
		await cinder.deleteBackup(incremental.id);
		await waitBackupGone(c, cinder, incremental.id);
		t.is(await barbican.findSecret(incremental.encryptionKeyId ?? ''), undefined, 'the incremental\'s key is gone');
		t.truthy(await barbican.findSecret(fullNow.encryptionKeyId ?? ''), 'the full backup\'s key stays');
		await waitBackup(c, cinder, full.id, ['available']);
		await cinder.deleteBackup(full.id);
		await waitBackupGone(c, cinder, full.id);
		t.is(await barbican.findSecret(fullNow.encryptionKeyId ?? ''), undefined, 'the full backup\'s key is gone');
		t.truthy(await barbican.findSecret(volume.encryptionKeyId ?? ''), 'the volume keeps its key');
	});

	contract('an unencrypted backup restores to a new volume', async (t, c) => {
		const {cinder} = services(c.member);
		const volume = await makeVolume(t, c, cinder, {size: 1, name: `bs-contract-${c.run}-plain-src`, metadata: {origin: 'source'}});
		const backup = await makeBackup(t, c, cinder, {volumeId: volume.id, name: `bs-contract-${c.run}-plain-bk`});
		t.is(backup.encryptionKeyId, undefined);
		const name = `bs-contract-${c.run}-plain-restored`;
		const result = await cinder.restoreBackup(backup.id, {name});
		t.teardown(async () => removeVolume(c, cinder, result.volumeId));
		t.is(result.backupId, backup.id);
		t.truthy(result.volumeId);
		const restored = await waitVolume(c, cinder, result.volumeId, ['available']);
		t.deepEqual(restored.metadata, Object.fromEntries([['origin', 'source'], ['src_backup_id', backup.id]]), 'the source volume\'s metadata, plus src_backup_id');
		t.false(restored.encrypted);
		t.is(restored.size, 1);
		await waitBackup(c, cinder, backup.id, ['available']);
	});

	contract('a backup\'s metadata update (3.43) replaces the whole set; the setBackupMetadata step adds keys and keeps the rest', async (t, c) => {
		const {cinder} = services(c.member);
		const volume = await makeVolume(t, c, cinder, {size: 1, name: `bs-contract-${c.run}-bkmeta-src`});
		const backup = await makeBackup(t, c, cinder, {volumeId: volume.id, name: `bs-contract-${c.run}-bkmeta`, metadata: {keep: 'a', changed: 'b'}});
		await cinder.updateBackupMetadata(backup.id, {changed: 'c', added: 'd'});
		const replaced = await cinder.getBackup(backup.id);
		t.deepEqual(replaced.metadata, {changed: 'c', added: 'd'}, 'a key not sent is deleted');
		const plan: Plan = {
			id: `bs-contract-${c.run}-bkmeta-plan`,
			kind: 'test',
			title: 'record on a backup',
			createdAt: new Date().toISOString(),
			warnings: [],
			steps: [{
				id: 'record', title: 'Record', danger: 'mutate', checks: [], action: {op: 'cinder.setBackupMetadata', args: {backupId: backup.id, metadata: {added: 'e', drill: 'ok'}}},
			}],
		};
		const events = await collect(runPlan(plan, c.member, {clock: pollingClock(c)}));
		t.is(events.at(-1)?.type, 'plan-done', JSON.stringify(events.at(-1)));
		const merged = await cinder.getBackup(backup.id);
		t.deepEqual(merged.metadata, {changed: 'c', added: 'e', drill: 'ok'});
	});

	contract('a volume a restore creates can be renamed while it restores, and keeps that name when the restore ends', async (t, c) => {
		const {cinder} = services(c.member);
		const volume = await makeVolume(t, c, cinder, {size: 1, name: `bs-contract-${c.run}-rename-src`});
		const backup = await makeBackup(t, c, cinder, {volumeId: volume.id, name: `bs-contract-${c.run}-rename-bk`});
		const result = await cinder.restoreBackup(backup.id, {name: `bs-contract-${c.run}-rename-restored [backstack_token=${c.run}]`});
		t.teardown(async () => removeVolume(c, cinder, result.volumeId));
		const restoring = await cinder.getVolume(result.volumeId);
		t.is(restoring.name, `bs-contract-${c.run}-rename-restored [backstack_token=${c.run}]`, 'the name of the request, from the start');
		await cinder.renameVolume(result.volumeId, `bs-contract-${c.run}-rename-restored`);
		const restored = await waitVolume(c, cinder, result.volumeId, ['available']);
		t.is(restored.name, `bs-contract-${c.run}-rename-restored`);
		await waitBackup(c, cinder, backup.id, ['available']);
	});

	contract('a restore onto an existing volume replaces its metadata with the source volume\'s and keeps its name', async (t, c) => {
		const {cinder} = services(c.member);
		const source = await makeVolume(t, c, cinder, {size: 1, name: `bs-contract-${c.run}-meta-src`, metadata: {origin: 'source', shared: 'from-source'}});
		const backup = await makeBackup(t, c, cinder, {volumeId: source.id, name: `bs-contract-${c.run}-meta-bk`});
		const targetName = `bs-contract-${c.run}-meta-target`;
		const onto = await makeVolume(t, c, cinder, {size: 1, name: targetName, metadata: {shared: 'from-target', mine: 'target'}});
		await cinder.restoreBackup(backup.id, {volumeId: onto.id});
		const restored = await waitVolume(c, cinder, onto.id, ['available']);
		t.is(restored.name, targetName);
		t.deepEqual(
			restored.metadata,
			Object.fromEntries([['origin', 'source'], ['shared', 'from-source'], ['src_backup_id', backup.id]]),
			'the target\'s metadata is replaced by the source volume\'s, plus src_backup_id',
		);
		await waitBackup(c, cinder, backup.id, ['available']);
	});

	contract('an encrypted backup of a non-default type restored to a NEW volume ends error_restoring', async (t, c) => {
		const type = await makeEncryptedType(t, c, 'trap');
		const {cinder} = services(c.member);
		const volume = await makeVolume(t, c, cinder, {size: 1, name: `bs-contract-${c.run}-trap-src`, volumeType: type.name});
		const backup = await makeBackup(t, c, cinder, {volumeId: volume.id, name: `bs-contract-${c.run}-trap-bk`});
		const result = await cinder.restoreBackup(backup.id, {name: `bs-contract-${c.run}-trap-new`});
		t.teardown(async () => removeVolume(c, cinder, result.volumeId));
		const failed = await waitVolume(c, cinder, result.volumeId, ['error_restoring', 'error', 'available']);
		t.is(failed.status, 'error_restoring');
		t.is(failed.volumeType, '__DEFAULT__', 'Cinder made the new volume with the default type');
		const after = await waitBackup(c, cinder, backup.id, ['available']);
		t.is(after.status, 'available', 'the backup itself is unharmed');
		const messages = await cinder.listMessages({resourceUuid: backup.id});
		const message = messages.find(item => item.resourceUuid === backup.id);
		t.like(message, {
			eventId: 'VOLUME_VOLUME_BACKUP_015_026',
			userMessage: 'restore backup:Backup driver failed to restore backup.',
			messageLevel: 'ERROR',
			resourceType: 'VOLUME_BACKUP',
		});
		t.deepEqual(fieldDifferences(realBody('cinder-messages', 'messages', 0), message?.raw ?? {}), [], 'message fields as on the real cloud');
	});

	contract('restoring onto a pre-created volume of the source type works and replaces its key', async (t, c) => {
		const type = await makeEncryptedType(t, c, 'onto');
		const {cinder, barbican} = services(c.member);
		const source = await makeVolume(t, c, cinder, {size: 1, name: `bs-contract-${c.run}-onto-src`, volumeType: type.name});
		const backup = await makeBackup(t, c, cinder, {volumeId: source.id, name: `bs-contract-${c.run}-onto-bk`});
		const onto = await makeVolume(t, c, cinder, {size: 1, name: `bs-contract-${c.run}-onto-target`, volumeType: type.name});
		const oldKey = onto.encryptionKeyId ?? '';
		t.truthy(await barbican.findSecret(oldKey));
		const result = await cinder.restoreBackup(backup.id, {volumeId: onto.id});
		t.is(result.volumeId, onto.id);
		const restored = await waitVolume(c, cinder, onto.id, ['available', 'error_restoring', 'error']);
		t.is(restored.status, 'available');
		t.is(restored.metadata['src_backup_id'], backup.id);
		t.true(restored.encrypted);
		t.is(restored.volumeTypeId, type.id);
		const newKey = restored.encryptionKeyId ?? '';
		t.truthy(newKey);
		t.not(newKey, oldKey, 'the target got a new key');
		t.not(newKey, backup.encryptionKeyId, 'a clone, not the backup\'s own key');
		t.is(await secretStatus(barbican, newKey), 'ACTIVE');
		t.is(await barbican.findSecret(oldKey), undefined, 'the target\'s previous key was deleted');
		await waitBackup(c, cinder, backup.id, ['available']);
	});

	contract('creating a volume from an encrypted backup with its type (3.47) reaches available', async (t, c) => {
		const type = await makeEncryptedType(t, c, 'from');
		const {cinder, barbican} = services(c.member);
		const source = await makeVolume(t, c, cinder, {size: 1, name: `bs-contract-${c.run}-from-src`, volumeType: type.name});
		const backup = await makeBackup(t, c, cinder, {volumeId: source.id, name: `bs-contract-${c.run}-from-bk`});
		const created = await cinder.createVolume({
			size: 1, name: `bs-contract-${c.run}-from-new`, backupId: backup.id, volumeType: type.name,
		});
		t.teardown(async () => removeVolume(c, cinder, created.id));
		const volume = await waitVolume(c, cinder, created.id, ['available', 'error', 'error_restoring']);
		t.is(volume.status, 'available');
		t.is(volume.volumeTypeId, type.id);
		t.true(volume.encrypted);
		t.truthy(volume.encryptionKeyId);
		t.not(volume.encryptionKeyId, backup.encryptionKeyId);
		t.not(volume.encryptionKeyId, source.encryptionKeyId);
		t.is(await secretStatus(barbican, volume.encryptionKeyId ?? ''), 'ACTIVE');
		await waitBackup(c, cinder, backup.id, ['available']);
	});
}
