/*
How a restore drill's outcome is recorded (issue 12), the same from `backstack drill` and from the TUI's `D`: the record
is built here, written on the backup's metadata by a plan of its own (drill.ts `drillRecordPlan`) where the cloud takes
backup metadata, and always handed to the local drill log through a writer the caller injects (core writes no files).
Also what a finished run says about its drill, read from its state (reduce.ts), so that the TUI judges a run as the
command judges its events.
*/
import type {CloudSession} from '../../openstack/api.js';
import type {Backup} from '../../openstack/types.js';
import type {DrillRecord, DrillResult} from '../drills.js';
import {drillRecordPlan, drillRecordRefusal} from './drill.js';
import {runPlan} from './execute.js';
import type {RunState} from './reduce.js';

/**
Appends one record to the local drill log (store/drill-log.ts `appendDrillLog` bound to the config directory).
*/
export type DrillLogWriter = (record: DrillRecord) => void;

/**
What one drill found, before it is recorded.
*/
export type DrillOutcome = {
	result: DrillResult;
	/**
	What a passed drill checked, or why it failed.
	*/
	reason: string;
	planId?: string;
	durationMs?: number;
	/**
	Whether the restored bytes were compared with the source's.
	*/
	verifiedData?: boolean;
	/**
	The sha512 of the restored data (`--verify-data`), recorded on the backup for the next drills when the drill passed.
	*/
	sha512?: string;
	/**
	For an encrypted backup, the sha512 of its restored data decrypted, instead (recorded under its own key).
	*/
	plaintextSha512?: string;
};

export type RecordedDrill = {
	record: DrillRecord;
	/**
	Why the backup's metadata does not carry the record (the local log has it regardless).
	*/
	unrecorded?: string;
};

/**
Statuses of a backup that is busy, not broken: a drill of it cannot run now, and that proves nothing either way.
*/
export const drillBusyStatuses: ReadonlySet<string> = new Set(['creating', 'restoring', 'backing-up', 'deleting']);

/**
A reason on one line, without the "Backup X cannot be restored: " a refusal starts with (whoever shows it names the
backup already).
*/
export function drillReasonText(text: string): string {
	return text.replaceAll(/\s+/gv, ' ').trim().replace(/^Backup .+? cannot be restored: /v, '');
}

/**
What a passed drill checked, from the drill plan's results (drill.ts `planDrill`).
*/
export function drillPassedReason(results: Record<string, string | number>): string {
	const key = results['key'] === 'present' ? 'key present' : 'not encrypted';
	return `${String(results['status'] ?? '?')}, ${String(results['size'] ?? '?')} GiB, type ${String(results['volumeType'] ?? '?')}, ${key}${drillDataReason(results)}`;
}

/**
What `--verify-data` found, from the drill plan's results, as the tail of the reason (empty without it): which reference
the bytes matched, or that there was none and the hash was only recorded.
*/
export function drillDataReason(results: Record<string, string | number>): string {
	const compared = results['dataCompared'];
	if (compared === undefined) {
		return '';
	}

	const hash = String(results['dataHash'] ?? '');
	const short = hash.length > 16 ? `${hash.slice(0, 16)}…` : hash;
	const reference = String(results['dataReference'] ?? '').replace(/ as it is now$/v, '');
	if (results['dataHashOf'] === 'plaintext') {
		return compared === 'yes'
			? `; decrypted data matches ${reference} (plaintext sha512 ${short})`
			: `; decrypted data not compared (${reference}); plaintext sha512 ${short} recorded for later drills`;
	}

	return compared === 'yes'
		? `; bytes match ${reference} (${String(results['dataAlgorithm'] ?? '')} ${short})`
		: `; bytes not compared (${reference}); sha512 ${short} recorded for later drills`;
}

/**
What a drill's results say about its data (`--verify-data`): whether the data was compared, and the sha512 to record
(an encrypted backup's plaintext sha512 as `plaintextSha512`).
*/
export function drillDataOutcome(results: Record<string, string | number>): Pick<DrillOutcome, 'verifiedData' | 'sha512' | 'plaintextSha512'> {
	const sha512 = String(results['dataSha512'] ?? '');
	const key = results['dataHashOf'] === 'plaintext' ? 'plaintextSha512' : 'sha512';
	return {verifiedData: results['dataCompared'] === 'yes', ...(sha512 !== '' && {[key]: sha512})};
}

/**
Writes the outcome on the backup's metadata (when the cloud takes it) and in the local log, in that order; the record
and why the backup does not carry it. Recorded as failed too: a drill that failed is the finding most worth keeping.
*/
export async function recordDrill(
	session: CloudSession,
	backup: Pick<Backup, 'id' | 'volumeId'>,
	outcome: DrillOutcome,
	options: {appendLog: DrillLogWriter; now?: () => Date},
): Promise<RecordedDrill> {
	const record: DrillRecord = {
		backupId: backup.id,
		at: (options.now?.() ?? new Date()).toISOString(),
		result: outcome.result,
		reason: outcome.reason,
		volumeId: backup.volumeId,
		projectId: session.identity.token().projectId,
		cloud: session.cloudName,
		verifiedData: outcome.verifiedData ?? false,
		...(outcome.sha512 !== undefined && {sha512: outcome.sha512}),
		...(outcome.plaintextSha512 !== undefined && {plaintextSha512: outcome.plaintextSha512}),
		...(outcome.planId !== undefined && {planId: outcome.planId}),
		...(outcome.durationMs !== undefined && {durationMs: outcome.durationMs}),
	};
	let unrecorded = drillRecordRefusal(session);
	if (unrecorded === undefined) {
		for await (const event of runPlan(drillRecordPlan(backup.id, record), session)) {
			if (event.type === 'plan-failed') {
				unrecorded = drillReasonText(event.reason);
			}
		}
	}

	options.appendLog(record);
	return {record, unrecorded};
}

/**
How a drill run ended, read from its final state: passed (with what was checked), failed (with the first reason),
not run (only the backup's status check failed: it is busy with another restore or a delete; or a step could not
decide, e.g. Barbican refused a key: neither proves anything either way), or cancelled. Undefined while it still runs.
*/
export type DrillVerdict = {result: DrillResult | 'not-run' | 'cancelled'; reason: string};

export function drillVerdictOf(state: RunState): DrillVerdict | undefined {
	switch (state.phase) {
		case 'done': {
			return {result: 'ok', reason: drillPassedReason(state.results ?? {})};
		}

		case 'failed': {
			const failed = state.steps.find(step => step.error !== undefined);
			const reason = drillReasonText(failed?.error ?? state.error ?? 'the drill failed');
			const isBusy = state.checkFailures.length > 0 && state.checkFailures.every(failure => failure.check.kind === 'backup-status');
			// A step that could not decide (a key this user may not read): nothing is proved either way.
			return {result: isBusy || failed?.inconclusive === true ? 'not-run' : 'failed', reason};
		}

		case 'cancelled': {
			return {result: 'cancelled', reason: 'the temporary volume is removed (or named by backstack journal)'};
		}

		case 'idle':
		case 'checking':
		case 'running':
		case 'cleanup': {
			return undefined;
		}
	}
}
