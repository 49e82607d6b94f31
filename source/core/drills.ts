/*
What a restore drill leaves behind, and how it is read back. A drill (`backstack drill`) restores a backup into a
temporary volume, checks it, deletes it and records the outcome in two places: on the backup's own metadata (Cinder
3.43, so other people and the audit see it) and in a local JSON-lines log in the config directory (always, metadata
only). The planner and the command write; the assessment reads. Nothing secret is ever part of a record.
*/
import type {Backup} from '../openstack/types.js';

/**
When the drill ended: ISO 8601 UTC with a `Z`.
*/
export const backupMetaDrillAt = 'backstack_drill_at';
/**
`ok` or `failed`.
*/
export const backupMetaDrillResult = 'backstack_drill_result';
/**
Why it failed (or what it proved), short text, at most {@link drillReasonLimit} characters.
*/
export const backupMetaDrillReason = 'backstack_drill_reason';

/**
The sha512 of the backup's data as a drill with `--verify-data` read it (Glance's hash of the restored volume uploaded
as a raw image): later drills compare with it instead of the source volume, which may have changed since the backup.
*/
export const backupMetaDrillSha512 = 'backstack_drill_sha512';

/**
The sha512 of an ENCRYPTED backup's data as a drill with `--verify-data` read it: of the plaintext, the restored
volume's image decrypted with its own key (core/luks-reader.ts). Kept apart from {@link backupMetaDrillSha512} on
purpose: each upload of an encrypted volume is a LUKS container of its own master key, so a hash of those bytes (which
backstack before this key recorded under backstack_drill_sha512 for encrypted backups too) never matches another
upload of the same data, and must never be compared with a plaintext hash.
*/
export const backupMetaDrillPlaintextSha512 = 'backstack_drill_plaintext_sha512';

/**
Cinder keeps metadata values up to 255 characters.
*/
export const drillReasonLimit = 255;

export type DrillResult = 'ok' | 'failed';

/**
One drill's outcome: a line of the local drill log, or what a backup's metadata says.
*/
export type DrillRecord = {
	backupId: string;
	/**
	ISO 8601 UTC.
	*/
	at: string;
	result: DrillResult;
	reason?: string;
	volumeId?: string;
	projectId?: string;
	cloud?: string;
	planId?: string;
	/**
	Whether the drill compared the restored bytes with the source's (`--verify-data`).
	*/
	verifiedData?: boolean;
	/**
	The sha512 of the restored data (`--verify-data`), when the drill passed.
	*/
	sha512?: string;
	/**
	The sha512 of the restored data decrypted (`--verify-data` of an encrypted backup), when the drill passed.
	*/
	plaintextSha512?: string;
	durationMs?: number;
};

/**
The drill a backup's metadata records, if any. A malformed record (an unknown result, a time that is not a time) is
no record: it proves nothing.
*/
export function drillFromMetadata(backup: Pick<Backup, 'id' | 'metadata'>): DrillRecord | undefined {
	const at = backup.metadata[backupMetaDrillAt];
	const result = backup.metadata[backupMetaDrillResult];
	if (at === undefined || Number.isNaN(Date.parse(at)) || (result !== 'ok' && result !== 'failed')) {
		return undefined;
	}

	const reason = backup.metadata[backupMetaDrillReason];
	return {
		backupId: backup.id, at, result, ...(reason !== undefined && reason !== '' && {reason}),
	};
}

/**
The metadata a drill writes on its backup.
*/
export function drillMetadata(record: Pick<DrillRecord, 'at' | 'result' | 'reason' | 'sha512' | 'plaintextSha512'>): Record<string, string> {
	// Only a passed drill's hashes: a failed one keeps the hashes recorded before (the metadata's other keys are kept).
	const isPassed = record.result === 'ok';
	return {
		[backupMetaDrillAt]: record.at,
		[backupMetaDrillResult]: record.result,
		[backupMetaDrillReason]: (record.reason ?? '').slice(0, drillReasonLimit),
		...(isPassed && record.sha512 !== undefined && record.sha512 !== '' && {[backupMetaDrillSha512]: record.sha512}),
		...(isPassed && record.plaintextSha512 !== undefined && record.plaintextSha512 !== '' && {[backupMetaDrillPlaintextSha512]: record.plaintextSha512}),
	};
}

function sha512At(backup: Pick<Backup, 'metadata'>, key: string): string | undefined {
	const value = backup.metadata[key]?.toLowerCase();
	return value !== undefined && /^[\da-f]{128}$/v.test(value) ? value : undefined;
}

/**
The sha512 an earlier drill recorded on the backup, if it is one (128 hex digits).
*/
export function recordedDrillSha512(backup: Pick<Backup, 'metadata'>): string | undefined {
	return sha512At(backup, backupMetaDrillSha512);
}

/**
The plaintext sha512 an earlier drill of an encrypted backup recorded, if it is one (128 hex digits).
*/
export function recordedDrillPlaintextSha512(backup: Pick<Backup, 'metadata'>): string | undefined {
	return sha512At(backup, backupMetaDrillPlaintextSha512);
}

/**
The newest of several records of one backup (metadata and the local log may both have one).
*/
export function newestDrill(records: ReadonlyArray<DrillRecord | undefined>): DrillRecord | undefined {
	let newest: DrillRecord | undefined;
	for (const record of records) {
		if (record !== undefined && (newest === undefined || Date.parse(record.at) > Date.parse(newest.at))) {
			newest = record;
		}
	}

	return newest;
}
