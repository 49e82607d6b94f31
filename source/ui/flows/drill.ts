/*
The restore drill of the selected backup (`D`, issue 12): core's planDrill restores it into a temporary volume, checks
it and deletes it; the plan screen then records what it found. Nothing to ask: the plan is the preview. Pure.
*/
import {drillBusyStatuses} from '../../core/plans/drill-record.js';
import type {Backup} from '../../core/types.js';
import {displayName, sanitize} from '../sanitize.js';
import type {FlowResult} from './types.js';

export function drillBackup(backup: Backup): FlowResult {
	// A backup in the middle of something else: a drill now would fail for a reason that says nothing about the backup.
	if (drillBusyStatuses.has(backup.status)) {
		return `backup ${displayName(backup)} is ${sanitize(backup.status)}: drill it once it is available`;
	}

	return {
		title: `Restore drill of backup ${displayName(backup)}`,
		drill: {
			id: backup.id, name: backup.name, volumeId: backup.volumeId, status: backup.status,
		},
		request: () => ({type: 'drill', request: {backupId: backup.id}}),
	};
}
