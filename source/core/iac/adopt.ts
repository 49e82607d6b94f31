/*
From a restore plan (and, once it ran, the new volume's ID) to what hcl.ts needs: which Terraform/OpenTofu address the
restored backup's source volume has, the backup, its size and volume type, and the attachments of the old volume.
Reads the backup (and the new volume, or the plan's volume type) from Cinder; changes nothing.

For the other restores that stand in for resources (Plan.replaces: a secret restored with the old one named, a DR
bundle's images and volumes), which resources a state manages and their new IDs: no request.
*/
import type {CloudSession} from '../../openstack/api.js';
import type {Plan} from '../plans/types.js';
import {attachmentsOf, type IacAdoption, type IacImport} from './hcl.js';
import type {IacMap} from './state.js';

export type AdoptionResult =
	| {kind: 'adoption'; adoption: IacAdoption}
	/**
	Nothing for Terraform to adopt; `reason` says why in a sentence.
	*/
	| {kind: 'none'; reason: string};

/**
The backup a restore plan restores and the volume type it gives the new volume (an ID), read off its steps.
*/
export function restoredBackupOf(plan: Plan): {backupId: string; volumeTypeId?: string} | undefined {
	if (plan.kind !== 'restore-backup') {
		return undefined;
	}

	for (const step of plan.steps) {
		const {action} = step;
		if (action.op === 'cinder.createVolume' && action.args.backupId !== undefined) {
			return {backupId: action.args.backupId, ...(action.args.volumeType !== undefined && {volumeTypeId: action.args.volumeType})};
		}

		if (action.op === 'cinder.restoreBackup') {
			// Create-then-restore: the type is that of the empty volume the first step created.
			const created = plan.steps.find(other => other.action.op === 'cinder.createVolume');
			const volumeType = created?.action.op === 'cinder.createVolume' ? created.action.args.volumeType : undefined;
			return {backupId: action.args.backupId, ...(volumeType !== undefined && {volumeTypeId: volumeType})};
		}
	}

	return undefined;
}

async function volumeTypeName(session: CloudSession, options: {newVolumeId?: string; volumeTypeId?: string; signal?: AbortSignal}): Promise<string | undefined> {
	const cinder = session.cinder!;
	const {signal} = options;
	if (options.newVolumeId !== undefined) {
		const volume = await cinder.getVolume(options.newVolumeId, {signal});
		return volume.volumeType ?? undefined;
	}

	if (options.volumeTypeId === undefined) {
		// Cinder picks the default type when the restore runs: nothing to write.
		return undefined;
	}

	const types = await cinder.listVolumeTypes({signal});
	return types.find(type => type.id === options.volumeTypeId)?.name ?? options.volumeTypeId;
}

/**
What Terraform needs to adopt the volume `plan` restores (or restored: `newVolumeId`), or why there is nothing.
*/
export async function restoreAdoption(
	session: CloudSession,
	plan: Plan,
	iac: IacMap,
	options: {newVolumeId?: string; signal?: AbortSignal} = {},
): Promise<AdoptionResult> {
	const restored = restoredBackupOf(plan);
	if (restored === undefined || session.cinder === undefined) {
		return {kind: 'none', reason: 'only a restore of a backup into a new volume (restore backup) makes a volume for Terraform to adopt.'};
	}

	const {signal} = options;
	const backup = await session.cinder.getBackup(restored.backupId, {signal});
	const volume = iac.byId.get(backup.volumeId);
	if (volume?.type !== 'openstack_blockstorage_volume_v3') {
		const files = iac.files.map(file => file.file).join(', ');
		return {kind: 'none', reason: `the backup's source volume ${backup.volumeId} is not an openstack_blockstorage_volume_v3 of ${files}: nothing for Terraform to adopt.`};
	}

	const volumeType = await volumeTypeName(session, {...options, ...(restored.volumeTypeId !== undefined && {volumeTypeId: restored.volumeTypeId})});
	return {
		kind: 'adoption',
		adoption: {
			volume,
			backupId: backup.id,
			...(options.newVolumeId !== undefined && {newVolumeId: options.newVolumeId}),
			...(volumeType !== undefined && {volumeType}),
			size: backup.size,
			attachments: attachmentsOf(iac.attachments, backup.volumeId),
		},
	};
}

const typeOfKind: Record<string, string> = {
	volume: 'openstack_blockstorage_volume_v3',
	image: 'openstack_images_image_v2',
	secret: 'openstack_keymanager_secret_v1',
};

/**
The resources `plan` makes in place of ones a state manages (its `replaces`), each with its new ID once the plan ran
(`results`, by label). A result label is its kind (`secret`) or the kind and the old ID (`image:<id>`).
*/
export function replacementImports(plan: Plan, iac: IacMap, results?: Readonly<Record<string, unknown>>): IacImport[] {
	const imports: IacImport[] = [];
	for (const [label, oldId] of Object.entries(plan.replaces ?? {})) {
		const entry = iac.byId.get(oldId);
		const kind = label.split(':', 1)[0] ?? '';
		if (entry === undefined || entry.type !== typeOfKind[kind]) {
			continue;
		}

		const newId = results?.[label];
		imports.push({entry, ...(typeof newId === 'string' && {newId})});
	}

	return imports;
}
