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
export function drillMetadata(record: Pick<DrillRecord, 'at' | 'result' | 'reason'>): Record<string, string> {
	return {
		[backupMetaDrillAt]: record.at,
		[backupMetaDrillResult]: record.result,
		[backupMetaDrillReason]: (record.reason ?? '').slice(0, drillReasonLimit),
	};
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
