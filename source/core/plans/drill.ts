/*
The restore drill (issue 12): the guided restore of `restore backup` (restore.ts, the encrypted non-default-type path
included) into a temporary volume, a check of what a real restore needs, and the volume's removal. The restore's own
steps are reused as they are; only what they create becomes temporary, so the executor deletes it at the end whatever
happens (after a failure or Ctrl+C too, and `backstack journal cleanup` after a kill) without a typed confirmation: the
plan deletes nothing it did not create.

The outcome is recorded after the run, from its events, by a plan of its own (`drillRecordPlan`): a drill that failed
must be recorded as failed, and a sequential plan stops at its first failure. Nothing here reads argv or writes files.
*/
import type {CloudSession} from '../../openstack/api.js';
import type {Backup} from '../../openstack/types.js';
import {drillMetadata, type DrillRecord} from '../drills.js';
import {isMicroversionAtLeast} from './clock.js';
import {toOpenstackCli} from './cli-export.js';
import {
	findSourceType,
	isEncryptedBackup,
	label,
	makePlan,
	matchType,
	planned,
	refuse,
} from './common.js';
import {planRestoreBackupToNewVolume} from './restore.js';
import {ref} from './refs.js';
import {shellQuote} from './shell.js';
import type {
	Operations,
	Plan,
	PlanResult,
	Ref,
	Step,
} from './types.js';

export const drillVolumePrefix = 'backstack-drill-';

export type DrillRequest = {
	backupId: string;
	/**
	Name of the temporary volume; default `backstack-drill-<first 8 characters of the backup ID>-<UTC time>`.
	*/
	name?: string;
	now?: Date;
};

/**
`backstack-drill-1a2b3c4d-20261206T223500Z`: whose drill it is and when, in a name any listing shows.
*/
export function drillVolumeName(backupId: string, now: Date = new Date()): string {
	const time = now.toISOString().replaceAll(/[\-:]/gv, '').replace(/\.\d+/v, '');
	return `${drillVolumePrefix}${backupId.slice(0, 8)}-${time}`;
}

type ExpectedType = Operations['cinder.verifyRestoredVolume']['volumeType'];

/**
The type the restored volume must have: the source type, where backstack knows it and it still exists. Without it (a
plain backup of a type that is gone, or of an unknown one) the guided restore uses the default type, and so does the check.
*/
async function expectedType(session: CloudSession, backup: Backup, signal?: AbortSignal): Promise<{type: ExpectedType; note?: string}> {
	const source = await findSourceType(session, backup, signal);
	if (source === undefined) {
		return {type: undefined, note: 'The source volume type is unknown (the volume is gone and the backup has no backstack metadata): the type is not checked.'};
	}

	const {type} = matchType(await session.cinder!.listVolumeTypes({signal}), source);
	return type
		? {type: {id: type.id, name: type.name}}
		: {type: undefined, note: `The source type ${source.name ?? source.id ?? ''} no longer exists: a restore gets the default type, which is not checked.`};
}

/**
The restore's steps, with the volume they make turned temporary; and the ref to that volume.
*/
function temporaryRestore(plan: Plan): {steps: Step[]; volume: Ref} | undefined {
	const volume = plan.results?.['volume'];
	if (volume === undefined) {
		return undefined;
	}

	const steps = plan.steps.map(step => (step.creates?.kind === 'volume' ? {...step, creates: {...step.creates, temporary: true}} : step));
	return {steps, volume};
}

/**
Plans a drill of one backup: restore it into a temporary volume, check that volume, delete it. A backup the guided
restore refuses (its key is gone, its type is gone, it is not available) or would have to ask about (an encrypted backup
whose type nobody recorded) gets a refusal: a restore of it would not work the first time either.
*/
export async function planDrill(session: CloudSession, request: DrillRequest, signal?: AbortSignal): Promise<PlanResult> {
	const name = request.name ?? drillVolumeName(request.backupId, request.now);
	const restore = await planRestoreBackupToNewVolume(session, {backupId: request.backupId, name}, signal);
	if (restore.kind === 'needs-input') {
		return refuse(`Backup ${request.backupId} is encrypted and its source volume type is unknown (the volume is gone and the backup has `
			+ 'no backstack metadata): a restore needs someone who knows the type.');
	}

	if (restore.kind === 'refusal') {
		return restore;
	}

	const made = temporaryRestore(restore.plan);
	if (made === undefined) {
		return refuse('The guided restore made no volume to check.');
	}

	const backup = await session.cinder!.getBackup(request.backupId, {signal});
	const isEncrypted = isEncryptedBackup(backup);
	const {type, note} = await expectedType(session, backup, signal);
	const verify: Step = {
		id: 'verify',
		title: `Check that the restored volume is what a real restore needs${type === undefined ? '' : ` (type ${type.name ?? type.id ?? ''})`}`,
		danger: 'read',
		checks: [],
		action: {
			op: 'cinder.verifyRestoredVolume',
			args: {
				volumeId: made.volume, minSize: backup.size, volumeType: type, encrypted: isEncrypted,
			},
		},
		note: note ?? (isEncrypted ? 'An encrypted backup restores only into its own type, with a clone of its key.' : undefined),
	};
	return planned(makePlan('drill', `Drill: restore backup ${label(backup)} into temporary volume ${name}, check it, delete it`, [...made.steps, verify], {
		warnings: [
			...restore.plan.warnings,
			`The temporary volume ${name} (${backup.size} GiB) is deleted at the end, whatever happens; Cinder deletes its key clone with it.`,
		],
		results: {
			volume: made.volume,
			status: ref('verify', 'status'),
			size: ref('verify', 'size'),
			volumeType: ref('verify', 'volumeType'),
			key: ref('verify', 'key'),
		},
	}));
}

/**
The one-step plan that writes a drill's outcome on its backup (Cinder 3.43 metadata; other keys are kept).
*/
export function drillRecordPlan(backupId: string, record: Pick<DrillRecord, 'at' | 'result' | 'reason'>): Plan {
	return makePlan('drill-record', `Record the drill of backup ${backupId} on its metadata`, [{
		id: 'record',
		title: `Record backstack_drill_result=${record.result} on backup ${backupId}`,
		danger: 'mutate',
		checks: [],
		action: {op: 'cinder.setBackupMetadata', args: {backupId, metadata: drillMetadata(record)}},
	}]);
}

/**
Whether this cloud takes backup metadata (Cinder 3.43); the reason when it does not.
*/
export function drillRecordRefusal(session: CloudSession): string | undefined {
	const {cinder} = session;
	if (!cinder) {
		return 'this cloud has no Cinder';
	}

	return isMicroversionAtLeast(cinder.microversion.max, '3.43') ? undefined : `Cinder here stops at microversion ${cinder.microversion.max}; backup metadata needs 3.43`;
}

/**
The drill as a runbook: the plan's script, then the record of the result (before the exit trap deletes the volume).
*/
export function drillToOpenstackCli(plan: Plan, backupId: string): string {
	const at = '"backstack_drill_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)"';
	const reason = shellQuote('backstack_drill_reason=passed (exported runbook)');
	return toOpenstackCli(plan) + [
		'',
		'# Every check passed: record it on the backup (backstack records result=failed and the reason when a drill fails).',
		`openstack --os-volume-api-version 3.43 volume backup set --property ${at} --property backstack_drill_result=ok --property ${reason} ${shellQuote(backupId)}`,
		'',
	].join('\n');
}
