import type {Backup} from '../../openstack/types.js';
import {backupMetaEncrypted} from '../model.js';

/**
The backup holds LUKS-encrypted data: it has its own key (3.64+) or backstack recorded that its source was encrypted.
*/
export function isEncryptedBackup(backup: Backup): boolean {
	return backup.encryptionKeyId !== undefined || backup.metadata[backupMetaEncrypted] === 'true';
}
