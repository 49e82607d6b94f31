/*
Cinder's operations (volumes, backups, snapshots, uploads to Glance) and the removal of what they create.
*/
import type {CloudSession} from '../../../openstack/api.js';
import {isEncryptedBackup} from '../encryption.js';
import {PlanError} from '../errors.js';
import {backoff, isMicroversionAtLeast} from '../clock.js';
import {
	firstMarked,
	intentKey,
	markFilter,
	markedName,
} from '../intents.js';
import {resolveAll} from '../refs.js';
import {
	assign,
	option,
	propertyFlags,
	shellQuote,
	variableFor,
	word,
} from '../shell.js';
import {need, readStatus} from '../status.js';
import {quote} from '../text.js';
import type {Volume} from '../../../openstack/types.js';
import type {
	Clock,
	CreatedResource,
	Operations,
	Plan,
} from '../types.js';
import {
	create,
	destroy,
	findMarkedImage,
	ignoreMissing,
	marked,
	mutate,
	resolveRefOr,
	withMark,
} from './shared.js';
import type {OperationFamily, Remover} from './types.js';

/**
What python-openstackclient 6.0.0 (Debian 12's) prints after it sent a backup restore that Cinder accepted: it then fails
formatting Cinder's answer and exits 1 (seen on the real cloud's machine). Only this failure counts as accepted in a
runbook; any other stops it.
*/
const osc6RestoreCrash = 'cannot unpack non-iterable VolumeBackupsRestore object';

const osc6Comment = [
	`# python-openstackclient 6.0 sends a backup restore, then fails printing Cinder's answer ("${osc6RestoreCrash}",`,
	'# exit status 1): that one failure means the restore was accepted; any other stops the runbook.',
];

/**
`openstack volume backup restore --force BACKUP VOLUME`, as runbook lines that tolerate only OSC 6.0's output crash.
*/
function restoreOntoLines(backup: string, volume: string): string[] {
	return [
		...osc6Comment,
		`if ! restore_output="$(openstack volume backup restore --force ${backup} ${volume} 2>&1 >/dev/null)"; then`,
		`\tcase "$restore_output" in *${shellQuote(osc6RestoreCrash)}*) ;; *) printf '%s\\n' "$restore_output" >&2; exit 1 ;; esac`,
		'fi',
	];
}

/**
True when `output` of step `stepId` is the ID of a volume that step creates (not one it was given).
*/
function isVolumeThePlanCreates(plan: Plan, stepId: string, output: string): boolean {
	const producer = plan.steps.find(step => step.id === stepId);
	return producer?.creates?.kind === 'volume' && producer.creates.output === output;
}

export const cinderOperations: OperationFamily<'cinder'> = {
	'cinder.createVolume': {
		describe(args, show) {
			let source = 'empty';
			if (args.backupId !== undefined) {
				source = `from backup ${args.backupId} (microversion 3.47)`;
			} else if (args.imageRef !== undefined) {
				source = `from image ${show(args.imageRef)}`;
			} else if (args.snapshotId !== undefined) {
				source = `from snapshot ${show(args.snapshotId)}`;
			}

			const size = args.size === undefined ? 'size of the source' : `${show(args.size)} GiB`;
			return `Create volume ${quote(args.name ?? '')} ${source}, ${size}, type ${args.volumeType ?? 'default'}`;
		},
		async perform(raw, context) {
			const args = resolveAll(raw, context.outputs);
			const volume = await need(context.session.cinder, 'Cinder').createVolume({
				size: args.size === undefined ? 0 : Number(args.size),
				name: args.name,
				description: args.description,
				volumeType: args.volumeType,
				backupId: args.backupId,
				imageRef: args.imageRef === undefined ? undefined : String(args.imageRef),
				snapshotId: args.snapshotId === undefined ? undefined : String(args.snapshotId),
				metadata: marked(args.metadata, context.intent),
			}, {});
			return {volumeId: volume.id};
		},
		exportCli({step, args}) {
			const flags = (extra: string[]) => [
				...option('--size', args.size),
				...option('--type', args.volumeType),
				...extra,
				...option('--image', args.imageRef),
				...option('--snapshot', args.snapshotId),
				...option('--description', args.description),
				...propertyFlags(args.metadata),
				word(args.name ?? step.id),
				'-f value -c id',
			].join(' ');
			if (args.backupId === undefined) {
				return [assign(step, 'volumeId', `openstack volume create ${flags([])}`)];
			}

			const volume = `"$${variableFor({$ref: step.id, output: 'volumeId'})}"`;
			return [
				'# Creating the volume from the backup with its type (microversion 3.47) avoids the restore-to-new-volume trap:',
				'# without a type Cinder uses the default one and an encrypted backup ends error_restoring.',
				'if openstack volume create --help 2>/dev/null | grep -q -e \'--backup <backup>\'; then',
				`\t${assign(step, 'volumeId', `openstack --os-volume-api-version 3.47 volume create ${flags(option('--backup', args.backupId))}`)}`,
				'else',
				'\t# This openstack CLI (python-openstackclient before 6.1, e.g. Debian 12\'s 6.0.0) has no volume create --backup:',
				'\t# the guide\'s way, an empty volume of the type, then the backup restored onto it (--force: it exists, and is new).',
				`\t${assign(step, 'volumeId', `openstack volume create ${flags([])}`)}`,
				`\tuntil status="$(openstack volume show ${volume} -c status -f value)" && [ "$status" = available ]; do`,
				`\t\tcase "$status" in error) echo "volume ${volume.replaceAll('"', '')} is $status" >&2; exit 1;; esac`,
				'\t\tsleep 5',
				'\tdone',
				...restoreOntoLines(word(args.backupId), volume).map(line => `\t${line}`),
				'fi',
			];
		},
		outputs: () => ['volumeId'],
		minimumDanger: create,
		undo: 'volume',
		intent: {
			isMarkable: session => session.cinder !== undefined,
			async find(session, mark, _args, signal) {
				const volume = await firstMarked(need(session.cinder, 'Cinder').listVolumes({metadata: markFilter(mark), signal}), item => item.metadata[intentKey], mark);
				return volume === undefined ? undefined : {volumeId: volume.id};
			},
		},
		// A volume made from a backup that fails to restore: Cinder files the message under the backup's ID.
		messageIds: args => (args.backupId === undefined ? [] : [args.backupId]),
	},
	'cinder.restoreBackup': {
		describe(args, show) {
			return args.volumeId === undefined
				? `Restore backup ${args.backupId} to a new volume ${quote(args.name ?? '')} (default type)`
				: `Restore backup ${args.backupId} onto volume ${show(args.volumeId)} (overwrites its data)`;
		},
		async perform(raw, {
			session, outputs, signal, intent,
		}) {
			const args = resolveAll(raw, outputs);
			const cinder = need(session.cinder, 'Cinder');
			if (args.volumeId === undefined) {
				const backup = await cinder.getBackup(args.backupId, {signal});
				if (isEncryptedBackup(backup)) {
					throw new PlanError(`Backup ${args.backupId} is encrypted: restoring it without a target volume makes a volume of the default type that ends error_restoring.`);
				}
			} else {
				// The checks saw both available: a restore under way between them is this step's, sent before a crash (a
				// resume) or a lost answer. Sent again, it would only get Cinder's 400 ("Backup status must be available").
				const volumeId = String(args.volumeId);
				const [volume, backup] = await Promise.all([cinder.getVolume(volumeId, {signal}), cinder.getBackup(args.backupId, {signal})]);
				if (volume.status === 'restoring-backup' && backup.status === 'restoring') {
					return {volumeId};
				}
			}

			// A new volume carries the step's mark in its name until `settle` gives it the plan's (intents.ts).
			const name = withMark(args.name, intent);
			const result = await cinder.restoreBackup(args.backupId, args.volumeId === undefined ? {name} : {volumeId: String(args.volumeId)}, {});
			return {volumeId: result.volumeId};
		},
		async settle(args, {session, outputs, step, signal}) {
			const volumeId = outputs[step.id]?.['volumeId'];
			if (volumeId === undefined || args.volumeId !== undefined || args.name === undefined) {
				return;
			}

			const cinder = need(session.cinder, 'Cinder');
			const volume = await cinder.getVolume(String(volumeId), {signal});
			if (volume.name !== args.name) {
				await cinder.renameVolume(String(volumeId), args.name);
			}
		},
		exportCli({step, args}) {
			if (args.volumeId === undefined) {
				const name = word(args.name ?? 'restored');
				const variable = variableFor({$ref: step.id, output: 'volumeId'});
				return [
					...osc6Comment,
					'restore_errors="$(mktemp)"',
					`if ${variable}="$(openstack volume backup restore ${word(args.backupId)} ${name} -f value -c volume_id 2>"$restore_errors")"; then :`,
					`elif grep -q -e ${shellQuote(osc6RestoreCrash)} "$restore_errors"; then ${variable}="$(openstack volume show ${name} -f value -c id)"`,
					'else cat "$restore_errors" >&2; rm -f "$restore_errors"; exit 1; fi',
					'rm -f "$restore_errors"',
				];
			}

			return restoreOntoLines(word(args.backupId), word(args.volumeId));
		},
		outputs: () => ['volumeId'],
		/*
		Restoring onto a volume overwrites every byte (`destroy`), unless the volume is one an earlier step of this same
		plan creates (nothing the user had is touched: `mutate`); without a target it makes a new volume.
		*/
		minimumDanger(args, plan) {
			const target = args.volumeId;
			if (target === undefined) {
				return 'create';
			}

			return typeof target === 'object' && isVolumeThePlanCreates(plan, target.$ref, target.output) ? 'mutate' : 'destroy';
		},
		undo: 'volume',
		intent: {
			// Only a restore that creates its volume: one onto a given volume creates nothing.
			isMarkable: (session, args) => session.cinder !== undefined && args.volumeId === undefined,
			async find(session, mark, args, signal) {
				const name = markedName(args.name, mark);
				// Client side: Cinder's `name` filter is not one every release and policy lets a member use.
				const volume = await firstMarked(need(session.cinder, 'Cinder').listVolumes({signal}), item => (item.name === name ? mark : undefined), mark);
				return volume === undefined ? undefined : {volumeId: volume.id};
			},
		},
		// Cinder files a restore failure under the backup's ID, not the volume's.
		messageIds: args => [args.backupId],
	},
	'cinder.createBackup': {
		describe(args, show) {
			const flavour = [args.incremental ? 'incremental' : 'full', args.force ? 'forced (volume in use)' : ''].filter(Boolean).join(', ');
			return `Back up volume ${show(args.volumeId)} (${flavour}) as ${quote(args.name ?? '')}`;
		},
		async perform(raw, context) {
			const args = resolveAll(raw, context.outputs);
			const {id} = await need(context.session.cinder, 'Cinder').createBackup({...args, volumeId: String(args.volumeId), metadata: marked(args.metadata, context.intent)}, {});
			return {backupId: id};
		},
		exportCli({step, args}) {
			const command = [
				args.metadata === undefined ? 'openstack volume backup create' : 'openstack --os-volume-api-version 3.43 volume backup create',
				...option('--name', args.name),
				...option('--description', args.description),
				...(args.incremental === true ? ['--incremental'] : []),
				...(args.force === true ? ['--force'] : []),
				...propertyFlags(args.metadata),
				word(args.volumeId),
				'-f value -c id',
			].join(' ');
			return [
				...(args.force === true ? ['# --force: the volume is in use; the backup is crash-consistent, not application-consistent.'] : []),
				assign(step, 'backupId', command),
			];
		},
		outputs: () => ['backupId'],
		minimumDanger: create,
		undo: 'backup',
		intent: {
			isMarkable: session => session.cinder !== undefined && isMicroversionAtLeast(session.cinder.microversion.max, '3.43'),
			async find(session, mark, _args, signal) {
				// Cinder has no metadata filter on backups for a project member: filtered here.
				const backup = await firstMarked(need(session.cinder, 'Cinder').listBackups({signal}), item => item.metadata[intentKey], mark);
				return backup === undefined ? undefined : {backupId: backup.id};
			},
		},
	},
	'cinder.createSnapshot': {
		describe(args, show) {
			return `Snapshot volume ${show(args.volumeId)}${args.force ? ' (force, volume in use)' : ''} as ${quote(args.name ?? '')}`;
		},
		async perform(raw, context) {
			const args = resolveAll(raw, context.outputs);
			const snapshot = await need(context.session.cinder, 'Cinder').createSnapshot({...args, volumeId: String(args.volumeId), metadata: marked(undefined, context.intent)}, {});
			return {snapshotId: snapshot.id};
		},
		exportCli({step, args}) {
			return [assign(step, 'snapshotId', `openstack volume snapshot create --volume ${word(args.volumeId)}${args.force ? ' --force' : ''} ${word(args.name ?? step.id)} -f value -c id`)];
		},
		outputs: () => ['snapshotId'],
		minimumDanger: create,
		undo: 'snapshot',
		intent: {
			isMarkable: session => session.cinder !== undefined,
			async find(session, mark, _args, signal) {
				const snapshot = await firstMarked(need(session.cinder, 'Cinder').listSnapshots({metadata: markFilter(mark), signal}), item => item.metadata[intentKey], mark);
				return snapshot === undefined ? undefined : {snapshotId: snapshot.id};
			},
		},
	},
	'cinder.setBackupMetadata': {
		describe(args, show) {
			const pairs = Object.entries(args.metadata).map(([key, value]) => `${key}=${value}`);
			return `Set ${pairs.join(', ')} on backup ${show(args.backupId)} (other metadata kept)`;
		},
		async perform(args, {session, outputs, signal}) {
			const backupId = String(resolveRefOr(args.backupId, outputs));
			const cinder = need(session.cinder, 'Cinder');
			// Cinder's update replaces the whole set: read, merge, write (what `openstack volume backup set --property` does too).
			const {metadata} = await cinder.getBackup(backupId, {signal});
			await cinder.updateBackupMetadata(backupId, {...metadata, ...args.metadata}, {});
			return {backupId};
		},
		exportCli: ({args}) => [`openstack --os-volume-api-version 3.43 volume backup set ${propertyFlags(args.metadata).join(' ')} ${word(args.backupId)}`],
		outputs: () => ['backupId'],
		minimumDanger: mutate,
	},
	'cinder.verifyRestoredVolume': {
		describe(args, show) {
			const type = args.volumeType === undefined ? '' : `, type ${args.volumeType.name ?? args.volumeType.id ?? ''}`;
			return `Check volume ${show(args.volumeId)}: available, at least ${args.minSize} GiB${type}${args.encrypted ? ', a key of its own' : ''}`;
		},
		async perform(args, {session, outputs, signal}) {
			const volumeId = String(resolveRefOr(args.volumeId, outputs));
			const volume = await need(session.cinder, 'Cinder').getVolume(volumeId, {signal});
			const problems = restoredVolumeProblems(volume, args);
			if (problems.length > 0) {
				throw new PlanError(`The restored volume ${problems.join('; ')}.`);
			}

			return {
				volumeId,
				status: volume.status,
				size: volume.size,
				volumeType: volume.volumeType ?? volume.volumeTypeId ?? 'unknown',
				key: args.encrypted ? 'present' : 'not encrypted',
			};
		},
		exportCli({args}) {
			const volume = word(args.volumeId);
			const fail = (what: string) => `{ echo ${shellQuote(`The restored volume ${what}`)} >&2; exit 1; }`;
			const field = (name: string) => `"$(openstack volume show ${volume} -f value -c ${name})"`;
			const typeName = args.volumeType?.name;
			return [
				`[ ${field('status')} = available ] || ${fail('is not available')}`,
				`[ ${field('size')} -ge ${args.minSize} ] || ${fail(`is smaller than ${args.minSize} GiB`)}`,
				...(typeName === undefined ? [] : [`[ ${field('type')} = ${shellQuote(typeName)} ] || ${fail(`is not of type ${typeName}`)}`]),
				...(args.encrypted ? [`[ ${field('encrypted')} = True ] || ${fail('is not encrypted')}`] : []),
			];
		},
		outputs: () => ['volumeId', 'status', 'size', 'volumeType', 'key'],
		minimumDanger: () => 'read',
	},
	'cinder.uploadVolumeToImage': {
		describe(args, show) {
			return `Upload volume ${show(args.volumeId)} to image ${quote(args.imageName)} (${args.diskFormat ?? 'raw'}/${args.containerFormat ?? 'bare'})`;
		},
		async perform(raw, {session, outputs, intent}) {
			const {volumeId, ...request} = resolveAll(raw, outputs);
			// The image carries the step's mark in its name until `settle` moves it to a property (intents.ts).
			const imageName = withMark(request.imageName, intent);
			const {imageId} = await need(session.cinder, 'Cinder').uploadVolumeToImage(String(volumeId), {...request, imageName}, {});
			return {imageId};
		},
		async settle(args, {
			session, outputs, step, signal, intent,
		}) {
			const imageId = outputs[step.id]?.['imageId'];
			if (imageId === undefined || intent === undefined) {
				return;
			}

			const glance = need(session.glance, 'Glance');
			const image = await glance.getImage(String(imageId), {signal});
			if (image.name !== args.imageName || image.properties[intentKey] !== intent) {
				// One JSON patch: the name and the property change together, the mark is on one or the other at every moment.
				await glance.setImageProperties(String(imageId), {name: args.imageName, [intentKey]: intent});
			}
		},
		exportCli({step, args}) {
			return [assign(step, 'imageId', `openstack image create --volume ${word(args.volumeId)}${args.force ? ' --force' : ''} --disk-format ${word(args.diskFormat ?? 'raw')} `
				+ `--container-format ${word(args.containerFormat ?? 'bare')} ${word(args.imageName)} -f value -c image_id`)];
		},
		outputs: () => ['imageId'],
		minimumDanger: create,
		undo: 'image',
		intent: {
			isMarkable: session => session.cinder !== undefined && session.glance !== undefined,
			// The mark is in the image's name until `settle` moves it to a property.
			find: async (session, mark, args, signal) => findMarkedImage(session, mark, markedName(args.imageName, mark), signal),
		},
	},
	'cinder.deleteVolume': {
		describe: (args, show) => `Delete volume ${show(args.volumeId)}`,
		async perform(args, {session, outputs}) {
			await need(session.cinder, 'Cinder').deleteVolume(String(resolveRefOr(args.volumeId, outputs)), {});
			return {};
		},
		exportCli: ({args}) => [`openstack volume delete ${word(args.volumeId)}`],
		outputs: () => [],
		minimumDanger: destroy,
	},
	'cinder.deleteSnapshot': {
		describe: (args, show) => `Delete snapshot ${show(args.snapshotId)}`,
		async perform(args, {session, outputs}) {
			await need(session.cinder, 'Cinder').deleteSnapshot(String(resolveRefOr(args.snapshotId, outputs)), {});
			return {};
		},
		exportCli: ({args}) => [`openstack volume snapshot delete ${word(args.snapshotId)}`],
		outputs: () => [],
		minimumDanger: destroy,
	},
};

/**
What keeps a restored volume from being what a real restore needs, in a few words each (empty when nothing does).
*/
export function restoredVolumeProblems(volume: Volume, expected: Operations['cinder.verifyRestoredVolume']): string[] {
	const problems: string[] = volume.status === 'available' ? [] : [`is ${volume.status}, not available`];
	if (volume.size < expected.minSize) {
		problems.push(`has ${volume.size} GiB, less than the ${expected.sizeFrom ?? 'backup'}'s ${expected.minSize} GiB`);
	}

	const type = expected.volumeType;
	const isById = type?.id !== undefined && volume.volumeTypeId !== undefined;
	const isSameType = type === undefined || (isById ? volume.volumeTypeId === type.id : volume.volumeType === (type.name ?? type.id));
	if (!isSameType) {
		problems.push(`has type ${volume.volumeType ?? volume.volumeTypeId ?? 'unknown'}, not the source's ${type?.name ?? type?.id ?? ''}`);
	}

	// Encryption_key_id is shown from 3.64; below it, Cinder's `encrypted` flag is all there is to read.
	const hasKey = Object.hasOwn(volume.raw, 'encryption_key_id') ? volume.encryptionKeyId !== undefined : volume.encrypted;
	if (expected.encrypted && !(hasKey && volume.encrypted)) {
		problems.push('has no encryption key of its own');
	}

	return problems;
}

type CinderKind = 'volume' | 'snapshot' | 'backup';

const settled: Record<CinderKind, Set<string>> = {
	volume: new Set(['available', 'error', 'error_restoring', 'error_extending', 'error_backing-up', 'error_deleting']),
	snapshot: new Set(['available', 'error', 'error_deleting']),
	backup: new Set(['available', 'error', 'error_deleting']),
};

/**
Waits until the resource may be deleted: false when it is already gone.
*/
type Removal = {
	session: CloudSession;
	kind: CinderKind;
	id: string;
	clock: Clock;
	deadline: number;
};

async function canDelete({
	session, kind, id, clock, deadline,
}: Removal): Promise<boolean> {
	const intervals = backoff();
	for (;;) {
		// eslint-disable-next-line no-await-in-loop
		const status = await readStatus(session, kind, id);
		if (status === undefined) {
			return false;
		}

		if ((status === 'deleting') || settled[kind].has(status)) {
			return true;
		}

		if (status === 'in-use') {
			throw new PlanError(`${kind} ${id} is attached to a server; detach it first.`);
		}

		if (clock.now() >= deadline) {
			throw new PlanError(`${kind} ${id} is still ${status}; it cannot be deleted yet.`);
		}

		// eslint-disable-next-line no-await-in-loop
		await clock.sleep(intervals.next().value);
	}
}

async function waitUntilGone({
	session, kind, id, clock, deadline,
}: Removal): Promise<void> {
	const intervals = backoff();
	for (;;) {
		// eslint-disable-next-line no-await-in-loop
		const status = await readStatus(session, kind, id);
		if (status === undefined) {
			return;
		}

		if (status === 'error_deleting') {
			throw new PlanError(`${kind} ${id} ended error_deleting.`);
		}

		if (clock.now() >= deadline) {
			throw new PlanError(`${kind} ${id} is still ${status}.`);
		}

		// eslint-disable-next-line no-await-in-loop
		await clock.sleep(intervals.next().value);
	}
}

function cinderRemover(kind: CinderKind, remove: (session: CloudSession, id: string) => Promise<void>): Remover {
	return async (session: CloudSession, resource: CreatedResource, clock: Clock, deadline: number) => {
		need(session.cinder, 'Cinder');
		const removal: Removal = {
			session, kind, id: resource.id, clock, deadline,
		};
		if (await canDelete(removal)) {
			await ignoreMissing(async () => remove(session, resource.id));
			await waitUntilGone(removal);
		}

		return undefined;
	};
}

/**
Volumes, snapshots and backups are deleted once settled, and waited for until gone, so that what depends on them can go next.
*/
export const cinderRemovers: Record<CinderKind, Remover> = {
	volume: cinderRemover('volume', async (session, id) => session.cinder!.deleteVolume(id)),
	snapshot: cinderRemover('snapshot', async (session, id) => session.cinder!.deleteSnapshot(id)),
	backup: cinderRemover('backup', async (session, id) => session.cinder!.deleteBackup(id)),
};
