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
import {
	backupMetaDrillAt,
	drillMetadata,
	recordedDrillPlaintextSha512,
	recordedDrillSha512,
	type DrillRecord,
} from '../drills.js';
import {isMicroversionAtLeast} from './clock.js';
import {toOpenstackCli} from './cli-export.js';
import {
	findSourceType,
	hour,
	imageFailOn,
	isEncryptedBackup,
	label,
	makePlan,
	matchType,
	planned,
	refuse,
	snapshotDetour,
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
	/**
	`--verify-data`: also prove the bytes (verifyDataSteps).
	*/
	verifyData?: boolean;
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
The reference the restored bytes are compared with: a hash an earlier drill recorded, or an image of the source volume
made by an earlier step; none when there is nothing to compare with.
*/
type DataReference = {sha512: string} | {imageId: Ref} | undefined;

/**
The steps that compare the restored volume's image (step `upload-restored`) with a reference, ending in `compare-data`.
A plain backup's images are compared by Glance's own hash of their bytes. An encrypted backup's are not (each upload is
a LUKS container of a master key of its own: equal data, unequal bytes): each image is downloaded, decrypted with its
own key and its plaintext hashed (glance.hashImagePlaintext), the reference's first.
*/
function compareSteps(isEncrypted: boolean, reference: DataReference, referenceLabel: string, mismatchHint?: string): Step[] {
	const restored = ref('upload-restored', 'imageId');
	if (!isEncrypted) {
		return [{
			id: 'compare-data',
			title: reference === undefined ? 'Read the restored data\'s hash (nothing to compare it with)' : `Compare the restored bytes with ${referenceLabel}`,
			danger: 'read',
			checks: [],
			action: {
				op: 'glance.compareImageHash', args: {
					imageId: restored, reference, referenceLabel, mismatchHint,
				},
			},
		}];
	}

	const plaintext = (id: string, title: string, args: Omit<Operations['glance.hashImagePlaintext'], 'imageId'> & {imageId: Ref}): Step => ({
		id, title, danger: 'read', checks: [], action: {op: 'glance.hashImagePlaintext', args},
	});
	const source = reference !== undefined && 'imageId' in reference
		? [plaintext('plaintext-source', 'Decrypt the source volume\'s image with its own key and hash the plaintext, for the reference', {
			imageId: reference.imageId, subject: 'reference', label: 'the source volume\'s image',
		})]
		: [];
	const expected = reference === undefined ? undefined : {sha512: 'sha512' in reference ? reference.sha512 : ref('plaintext-source', 'sha512')};
	return [
		...source,
		plaintext('compare-data', expected === undefined
			? 'Decrypt the restored volume\'s image with its own key and read its plaintext\'s hash (nothing to compare it with)'
			: `Decrypt the restored volume's image with its own key and compare its plaintext with ${referenceLabel}`, {
			imageId: restored, subject: 'restored', label: 'the restored volume\'s image', reference: expected, referenceLabel, mismatchHint,
		}),
	];
}

/**
The steps of `--verify-data` and what they report. The restored volume is uploaded to a temporary raw image, whose data
is compared with a reference, the best one there is:
1. the sha512 an earlier drill recorded on the backup (backstack_drill_sha512, or backstack_drill_plaintext_sha512 for
   an encrypted backup): the backup's data as it was then, which no later change to the source volume can blur;
2. else the source volume, uploaded the same way (an in-use one through a temporary snapshot and a volume made from it):
   the data as it is now, so a mismatch may also mean that the source changed since the backup;
3. else none (the source is gone, or its size changed): the hash is only read, and recorded for the next drills.
What is compared: Glance's hash (os_hash_value, sha512 by default) of a plain backup's bytes; for an encrypted backup
the sha512 of the plaintext, each image decrypted with its own key (compareSteps). Every image, snapshot and volume made
here is a temporary: the executor removes it at the end whatever happens.
*/
async function verifyDataSteps(session: CloudSession, made: {backup: Backup; name: string; restored: Ref}, signal?: AbortSignal): Promise<{steps: Step[]; warnings: string[]}> {
	const {backup, name, restored} = made;
	const isEncrypted = isEncryptedBackup(backup);
	const imageStep = (id: string, volumeId: Ref | string, imageName: string, [title, checks]: [string, Step['checks']?]): Step => ({
		id,
		title,
		danger: 'create',
		checks: checks ?? [],
		action: {
			op: 'cinder.uploadVolumeToImage', args: {
				volumeId, imageName, diskFormat: 'raw', containerFormat: 'bare',
			},
		},
		creates: {
			kind: 'image', output: 'imageId', name: imageName, temporary: true,
		},
		wait: {
			resource: 'image', id: ref(id, 'imageId'), until: ['active'], failOn: imageFailOn, timeoutMs: 12 * hour,
		},
	});
	const what = isEncrypted ? 'plaintext' : 'bytes';
	const steps: Step[] = [imageStep('upload-restored', restored, `${name}-restored`, [`Upload the restored volume to a temporary image (raw), to read its ${isEncrypted ? 'data' : 'bytes'}`])];
	const encryptedWarnings = isEncrypted
		? ['--verify-data of an encrypted backup: backstack downloads each image as a stream, decrypts it with its own key (its '
			+ 'cinder_encryption_key_id, read from Barbican into memory, never written) and hashes its plaintext (sha512); Cinder '
			+ 'gives each upload a LUKS header and master key of its own, so the encrypted bytes of equal data differ.']
		: [];
	const noReference = (why: string) => ({
		steps: [...steps, ...compareSteps(isEncrypted, undefined, `no reference: ${why}`)],
		warnings: [...encryptedWarnings, `--verify-data: ${why}, so the restored ${what} is not compared; its sha512 is recorded on the backup.`],
	});

	const changedSinceDrill = 'the backup\'s stored data changed since that drill';
	const recorded = isEncrypted ? recordedDrillPlaintextSha512(backup) : recordedDrillSha512(backup);
	if (recorded !== undefined) {
		const at = backup.metadata[backupMetaDrillAt];
		const recordedLabel = `the ${isEncrypted ? 'plaintext ' : ''}sha512 an earlier drill recorded${at === undefined ? '' : ` (${at})`}`;
		return {
			steps: [...steps, ...compareSteps(isEncrypted, {sha512: recorded}, recordedLabel, changedSinceDrill)],
			warnings: encryptedWarnings,
		};
	}

	const source = await session.cinder!.findVolume(backup.volumeId, {signal});
	if (source === undefined) {
		return noReference('the source volume is gone and no earlier drill recorded a hash');
	}

	if (source.size !== backup.size) {
		return noReference(`the source volume is ${source.size} GiB now, the backup ${backup.size} GiB`);
	}

	const hint = `the backup's data is damaged, or the source volume changed since the backup (${backup.createdAt})`;
	const referenceLabel = `the source volume ${label(source)} as it is now`;
	const mismatchWarning = `The source volume is read as it is now: if it changed since the backup, the ${what} differs without the backup being damaged.`;
	const sourceImage = `${name}-source`;
	const sourceReference = {imageId: ref('upload-source', 'imageId')};
	if (source.status === 'available') {
		return {
			steps: [
				...steps,
				imageStep('upload-source', source.id, sourceImage, [
					`Upload the source volume ${label(source)} to a temporary image (raw), for the reference`,
					[{kind: 'volume-status', volumeId: source.id, in: ['available']}],
				]),
				...compareSteps(isEncrypted, sourceReference, referenceLabel, hint),
			],
			warnings: [...encryptedWarnings, mismatchWarning, `The source volume ${label(source)} is "uploading" (not attachable) while Glance copies it.`],
		};
	}

	if (source.status !== 'in-use') {
		return noReference(`the source volume is ${source.status}`);
	}

	// In use: Cinder uploads only an available volume; a snapshot of it (crash-consistent) and a volume made from that.
	const snapshotName = `${name}-source-snapshot`;
	const copyName = `${name}-source-copy`;
	return {
		steps: [
			...steps,
			...snapshotDetour(source, {
				ids: {snapshot: 'source-snapshot', volume: 'source-copy'},
				names: {snapshot: snapshotName, volume: copyName},
				snapshotTitle: `Snapshot the in-use source volume ${label(source)} (force)`,
				force: true,
			}),
			imageStep('upload-source', ref('source-copy', 'volumeId'), sourceImage, ['Upload the copy of the source volume to a temporary image (raw), for the reference']),
			...compareSteps(isEncrypted, sourceReference, referenceLabel, hint),
		],
		warnings: [...encryptedWarnings, mismatchWarning, `The source volume ${label(source)} is in use: its snapshot is crash-consistent, so a write under way can make the ${what} differ.`],
	};
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
	const data = request.verifyData === true ? await verifyDataSteps(session, {backup, name, restored: made.volume}, signal) : undefined;
	const what = data === undefined ? 'check it' : 'check it and its bytes';
	return planned(makePlan('drill', `Drill: restore backup ${label(backup)} into temporary volume ${name}, ${what}, delete it`, [...made.steps, verify, ...data?.steps ?? []], {
		warnings: [
			...restore.plan.warnings,
			`The temporary volume ${name} (${backup.size} GiB) is deleted at the end, whatever happens; Cinder deletes its key clone with it.`,
			...data === undefined ? [] : ['--verify-data: the temporary images (and any snapshot and volume made for the reference) are deleted at the end too.', ...data.warnings],
		],
		results: {
			volume: made.volume,
			status: ref('verify', 'status'),
			size: ref('verify', 'size'),
			volumeType: ref('verify', 'volumeType'),
			key: ref('verify', 'key'),
			...data !== undefined && {
				dataCompared: ref('compare-data', 'compared'),
				dataReference: ref('compare-data', 'reference'),
				dataAlgorithm: ref('compare-data', 'algorithm'),
				dataHash: ref('compare-data', 'hash'),
				dataSha512: ref('compare-data', 'sha512'),
				...isEncrypted && {dataHashOf: ref('compare-data', 'hashOf')},
			},
		},
	}));
}

/**
The one-step plan that writes a drill's outcome on its backup (Cinder 3.43 metadata; other keys are kept).
*/
export function drillRecordPlan(backupId: string, record: Pick<DrillRecord, 'at' | 'result' | 'reason' | 'sha512' | 'plaintextSha512'>): Plan {
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
	// With --verify-data the restored data's sha512 is recorded too, as backstack does: a later drill compares with it
	// (an encrypted backup's plaintext hash under its own key).
	const ops = new Set(plan.steps.map(step => step.action.op));
	/* eslint-disable no-template-curly-in-string -- bash, not a template. */
	const sha512 = [
		...ops.has('glance.compareImageHash') ? [' ${restored_sha512:+--property "backstack_drill_sha512=$restored_sha512"}'] : [],
		...ops.has('glance.hashImagePlaintext') ? [' ${restored_plaintext_sha512:+--property "backstack_drill_plaintext_sha512=$restored_plaintext_sha512"}'] : [],
	].join('');
	/* eslint-enable no-template-curly-in-string */
	return toOpenstackCli(plan) + [
		'',
		'# Every check passed: record it on the backup (backstack records result=failed and the reason when a drill fails).',
		`openstack --os-volume-api-version 3.43 volume backup set --property ${at} --property backstack_drill_result=ok --property ${reason}${sha512} ${shellQuote(backupId)}`,
		'',
	].join('\n');
}
