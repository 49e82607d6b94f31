/*
The restore drill of the selected backup (`D`, issue 12): core's planDrill restores it into a temporary volume, checks
it and deletes it; the plan screen then records what it found. Nothing to ask: the plan is the preview. Pure.
*/
import {drillBusyStatuses} from '../../core/plans/drill-record.js';
import type {Backup} from '../../core/types.js';
import {displayName, sanitize} from '../sanitize.js';
import type {Flow, FlowResult} from './types.js';

/**
The drills of the marked backups, one plan each, in the order of the list: the first flow, with the rest chained behind
it (Flow.next). Each drill keeps its own preview, confirmation, journal entry and record, as `backstack drill` does.
*/
export function drillBackups(backups: readonly Backup[], options: DrillOptions = {}): FlowResult {
	const busy = backups.filter(backup => drillBusyStatuses.has(backup.status));
	if (busy.length > 0) {
		const names = busy.map(backup => `${displayName(backup)} (${sanitize(backup.status)})`).join(', ');
		return `not available to drill yet: ${names}; unmark ${busy.length === 1 ? 'it' : 'them'} (Space) or wait`;
	}

	let next: Flow | undefined;
	for (let index = backups.length - 1; index >= 0; index--) {
		const backup = backups[index]!;
		const flow = drillBackup(backup, options);
		if (typeof flow === 'string') {
			return flow;
		}

		next = backups.length === 1
			? flow
			: {...flow, title: `Restore drill ${index + 1} of ${backups.length}: backup ${displayName(backup)}`, next};
	}

	return next ?? 'mark backups with Space, or select one, then press D';
}

/**
`verifyData` (V): also compare the restored bytes with a reference, as `backstack drill --verify-data`.
*/
export type DrillOptions = {verifyData?: boolean};

export function drillBackup(backup: Backup, options: DrillOptions = {}): FlowResult {
	// A backup in the middle of something else: a drill now would fail for a reason that says nothing about the backup.
	if (drillBusyStatuses.has(backup.status)) {
		return `backup ${displayName(backup)} is ${sanitize(backup.status)}: drill it once it is available`;
	}

	return {
		title: `Restore drill of backup ${displayName(backup)}${options.verifyData === true ? ', bytes compared' : ''}`,
		drill: {
			id: backup.id, name: backup.name, volumeId: backup.volumeId, status: backup.status,
		},
		request: () => ({type: 'drill', request: {backupId: backup.id, ...(options.verifyData === true && {verifyData: true})}}),
	};
}
