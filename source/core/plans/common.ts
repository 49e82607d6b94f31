/*
What the planners share: statuses, time limits, plan ids, the source type of a backup, the encrypted volume types.
*/
import {randomBytes} from 'node:crypto';
import type {BarbicanApi, CloudSession} from '../../openstack/api.js';
import type {Backup, VolumeType} from '../../openstack/types.js';
import {backupMetaEncrypted, backupMetaSourceTypeId, backupMetaSourceTypeName} from '../model.js';
import {httpStatusOf} from './errors.js';
import {ref} from './refs.js';
import type {Plan, PlanResult, Step} from './types.js';

export const minute = 60_000;
export const hour = 60 * minute;

export const volumeFailOn = ['error', 'error_restoring', 'error_extending'];
export const restoreFailOn = ['error_restoring', 'error'];
export const backupFailOn = ['error'];
export const snapshotFailOn = ['error'];
export const imageFailOn = ['killed', 'deleted', 'deactivated'];

export function newPlanId(kind: string): string {
	return `${kind}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

export function makePlan(kind: string, title: string, steps: Step[], extra: Partial<Plan> = {}): Plan {
	return {
		id: newPlanId(kind),
		kind,
		title,
		createdAt: new Date().toISOString(),
		steps,
		warnings: [],
		...extra,
	};
}

export function refuse(reason: string): PlanResult {
	return {kind: 'refusal', reason};
}

export function planned(plan: Plan): PlanResult {
	return {kind: 'plan', plan};
}

export function label(resource: {id: string; name?: string}): string {
	return resource.name === undefined || resource.name === '' ? resource.id : `${resource.name} (${resource.id})`;
}

export {isEncryptedBackup} from './encryption.js';

export type SourceType = {
	name?: string;
	id?: string;
	/**
	Where the answer came from, for previews.
	*/
	from: 'backup-metadata' | 'source-volume' | 'user';
};

/**
The source volume type of a backup: backstack's metadata, else the source volume if it still exists.
*/
export async function findSourceType(session: CloudSession, backup: Backup, signal?: AbortSignal): Promise<SourceType | undefined> {
	const name = backup.metadata[backupMetaSourceTypeName];
	const id = backup.metadata[backupMetaSourceTypeId];
	if (name !== undefined || id !== undefined) {
		return {name, id, from: 'backup-metadata'};
	}

	const volume = await session.cinder?.findVolume(backup.volumeId, {signal});
	return volume?.volumeType !== undefined || volume?.volumeTypeId !== undefined ? {name: volume.volumeType, id: volume.volumeTypeId, from: 'source-volume'} : undefined;
}

/**
The live type matching a recorded source type; a type re-created under the same name has a new ID and does not match.
*/
export function matchType(types: VolumeType[], source: SourceType): {type?: VolumeType; problem?: string} {
	if (source.id !== undefined) {
		const byId = types.find(type => type.id === source.id);
		if (byId) {
			return {type: byId};
		}

		const sameName = source.name === undefined ? undefined : types.find(type => type.name === source.name);
		const problem = sameName
			? `The volume type "${source.name}" was deleted and re-created (ID ${source.id} is now ${sameName.id}); `
			+ 'Cinder compares type IDs, so an encrypted backup of the old type cannot be restored into the new one.'
			: `The volume type ${source.name ?? ''} (${source.id}) no longer exists; an encrypted backup can only be restored into its own type.`;
		return {problem};
	}

	const byName = types.find(type => type.name === source.name || type.id === source.name);
	return byName ? {type: byName} : {problem: `The volume type "${source.name ?? '?'}" no longer exists (or is not visible to this project).`};
}

/**
Volume types known to be encrypted: from their encryption spec where the user may read it (admin), else from the
encrypted volumes and backstack backups that use them.
*/
export async function encryptedTypes(session: CloudSession, signal?: AbortSignal): Promise<VolumeType[]> {
	const {cinder} = session;
	if (!cinder) {
		return [];
	}

	const types = await cinder.listVolumeTypes({signal});
	const encrypted = new Set<string>();
	for (const type of types) {
		try {
			// eslint-disable-next-line no-await-in-loop
			const spec = await cinder.getVolumeTypeEncryption(type.id, {signal});
			if (spec?.provider !== undefined || spec?.cipher !== undefined) {
				encrypted.add(type.id);
			}
		} catch (error) {
			if (httpStatusOf(error) !== 403 && httpStatusOf(error) !== 404) {
				throw error;
			}

			break;
		}
	}

	for await (const volume of cinder.listVolumes({signal})) {
		if (!volume.encrypted) {
			continue;
		}

		const type = types.find(candidate => candidate.id === volume.volumeTypeId || candidate.name === volume.volumeType);
		if (type) {
			encrypted.add(type.id);
		}
	}

	for await (const backup of cinder.listBackups({signal})) {
		if (backup.metadata[backupMetaEncrypted] !== 'true') {
			continue;
		}

		const source: SourceType = {name: backup.metadata[backupMetaSourceTypeName], id: backup.metadata[backupMetaSourceTypeId], from: 'backup-metadata'};
		const {type} = matchType(types, source);
		if (type) {
			encrypted.add(type.id);
		}
	}

	return types.filter(type => encrypted.has(type.id));
}

export function typeQuestion(types: VolumeType[], question: string): PlanResult {
	if (types.length === 0) {
		return refuse(`${question} No encrypted volume type is visible to this project (or backstack cannot tell `
			+ 'which types are encrypted); ask the cloud operator which type the data was encrypted with.');
	}

	return {
		kind: 'needs-input',
		field: 'volumeType',
		question,
		options: types.map(type => ({value: type.id, label: type.description === undefined || type.description === '' ? type.name : `${type.name} — ${type.description}`})),
	};
}

/**
Barbican, if the catalog has it and it answered discovery; a key cannot be checked otherwise.
*/
export function usableBarbican(session: CloudSession): BarbicanApi | undefined {
	return session.barbican && session.services().barbican.state === 'ok' ? session.barbican : undefined;
}

export type KeyCheck = 'present' | 'missing' | 'unknown';

export async function checkKey(session: CloudSession, secretId: string | undefined, signal?: AbortSignal): Promise<KeyCheck> {
	const barbican = usableBarbican(session);
	if (secretId === undefined || !barbican) {
		return 'unknown';
	}

	try {
		return await barbican.findSecret(secretId, {signal}) ? 'present' : 'missing';
	} catch {
		return 'unknown';
	}
}

/**
The snapshot detour: Cinder uploads or copies only an available volume, so an in-use one is first snapshotted (forced:
crash-consistent) and a temporary volume made from the snapshot. Two temporary steps, `ids.snapshot` then `ids.volume`;
the copy is the second step's `volumeId`.
*/
export function snapshotDetour(
	volume: {id: string; size: number; volumeTypeId?: string; volumeType?: string},
	options: {ids: {snapshot: string; volume: string}; names: {snapshot: string; volume: string}; snapshotTitle: string; force?: boolean},
): Step[] {
	const {ids, names} = options;
	return [
		{
			id: ids.snapshot,
			title: options.snapshotTitle,
			danger: 'create',
			checks: [{kind: 'volume-status', volumeId: volume.id, in: ['in-use', 'available']}],
			action: {op: 'cinder.createSnapshot', args: {volumeId: volume.id, name: names.snapshot, force: options.force}},
			creates: {
				kind: 'snapshot', output: 'snapshotId', name: names.snapshot, temporary: true,
			},
			wait: {
				resource: 'snapshot', id: ref(ids.snapshot, 'snapshotId'), until: ['available'], failOn: snapshotFailOn, timeoutMs: hour,
			},
		},
		{
			id: ids.volume,
			title: 'Create a temporary volume from the snapshot',
			danger: 'create',
			checks: [],
			action: {
				op: 'cinder.createVolume', args: {
					name: names.volume, snapshotId: ref(ids.snapshot, 'snapshotId'), size: volume.size, volumeType: volume.volumeTypeId ?? volume.volumeType,
				},
			},
			creates: {
				kind: 'volume', output: 'volumeId', name: names.volume, temporary: true,
			},
			wait: {
				resource: 'volume', id: ref(ids.volume, 'volumeId'), until: ['available'], failOn: volumeFailOn, timeoutMs: 2 * hour,
			},
		},
	];
}
