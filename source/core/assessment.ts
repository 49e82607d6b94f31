/*
The protection rules: (inventory, now, policy) → findings. Pure: no I/O, no clock of its own, same input same output.

Every rule says what it saw in one line and what to do in another. A fact that could not be checked (a service that could
not be read, a key ID Cinder did not show) is reported as unknown, never as fine.

Default severities (overridable per code in the settings, `severities`):

| code | default | when |
| --- | --- | --- |
| volume.verified | ok | protected, and that newest usable backup passed a restore drill within `drillMaxAgeDays` |
| volume.protected | ok | a backup that would restore (`whyBackupUnusable`: available, chain, key, type, drill) younger than the RPO |
| volume.stale | warning | usable backups exist, the newest is older than the RPO |
| volume.snapshot-only | warning | no usable backup, only snapshots (they live on the same backend: not a backup) |
| volume.unprotected | critical | no usable backup, no snapshot |
| volume.unknown | warning | backups could not be read |
| volume.last-backup-error | warning | the newest backup attempt ended in `error` |
| volume.not-assessed | info | the volume holds no data yet/any more (creating, error, deleting…) |
| backup.incremental-without-full | critical | an incremental backup with no available full backup before it |
| key.missing | critical | a volume's or backup's Barbican key is gone: its data cannot be decrypted or restored |
| key.unknown | warning | the key could not be checked (Barbican absent/unreadable, or key ID not shown) |
| backup.source-type-unknown | warning | encrypted backup, source volume gone, no type recorded in its metadata |
| backup.source-type-deleted | critical | encrypted backup whose source volume type no longer exists: restore impossible |
| backup.drill-failed | critical | the backup's newest restore drill (its metadata or the local drill log) failed |
| backup.never-drilled | info | a volume's newest usable backup was never restore-drilled (older backups are not judged) |
| backup.drill-stale | warning | a volume's newest usable backup passed its last drill longer ago than `drillMaxAgeDays` |
| server.ephemeral-protected | ok | an image-backed server with a snapshot image (active, with data) younger than the RPO |
| server.ephemeral-stale | warning | its newest snapshot image is older than the RPO |
| server.ephemeral-unprotected | warning | no snapshot image of its ephemeral disk |
| server.ephemeral-unknown | warning | images could not be read |
| server.bfv-image-not-backup | warning | a boot-from-volume "snapshot image": only references to Cinder snapshots, no data |
| server.volumes-protected | ok | every attached volume is protected |
| server.volumes-unprotected | warning | some attached volume is not protected |
| image.key-missing | critical | an encrypted image whose key is gone |
| secret.orphan | info | a secret no volume, backup or image refers to |
| secret.referenced-missing | critical | a secret some resource refers to is gone |
| source.unavailable | warning | a service could not be read: what depends on it is unknown |
*/
import type {
	Backup,
	Image,
	Server,
	ServiceName,
	Snapshot,
	Volume,
	VolumeType,
} from '../openstack/types.js';
import {
	backupMetaEncrypted,
	backupMetaSourceTypeId,
	backupMetaSourceTypeName,
	listServices,
	type Finding,
	type FindingCode,
	type Inventory,
	type InventoryList,
	type KeyState,
	type Policy,
	type Protection,
	type ResourceRef,
	type ResourceSummary,
	type Restorability,
	type Severity,
} from './model.js';
import {drillFromMetadata, newestDrill, type DrillRecord} from './drills.js';

/**
The severity of each finding code unless the policy overrides it (see the table above).
*/
export const defaultSeverities: Readonly<Record<string, Severity>> = {
	'volume.protected': 'ok',
	'volume.verified': 'ok',
	'volume.stale': 'warning',
	'volume.snapshot-only': 'warning',
	'volume.unprotected': 'critical',
	'volume.unknown': 'warning',
	'volume.last-backup-error': 'warning',
	'volume.not-assessed': 'info',
	'backup.incremental-without-full': 'critical',
	'key.missing': 'critical',
	'key.unknown': 'warning',
	'backup.source-type-unknown': 'warning',
	'backup.source-type-deleted': 'critical',
	'backup.drill-failed': 'critical',
	'backup.never-drilled': 'info',
	'backup.drill-stale': 'warning',
	'server.ephemeral-protected': 'ok',
	'server.ephemeral-stale': 'warning',
	'server.ephemeral-unprotected': 'warning',
	'server.ephemeral-unknown': 'warning',
	'server.bfv-image-not-backup': 'warning',
	'server.volumes-protected': 'ok',
	'server.volumes-unprotected': 'warning',
	'image.key-missing': 'critical',
	'secret.orphan': 'info',
	'secret.referenced-missing': 'critical',
	'source.unavailable': 'warning',
};

/**
How many days a passed restore drill verifies its backup when the policy does not say.
*/
export const defaultDrillMaxAgeDays = 30;

/**
Default policy: RPO 24 hours, drills valid 30 days, the default severities above.
*/
export const defaultPolicy: Policy = {
	rpoHours: 24,
	severities: {},
	drillMaxAgeDays: defaultDrillMaxAgeDays,
};

const severityRank: Record<Severity, number> = {
	critical: 3,
	warning: 2,
	info: 1,
	ok: 0,
};

/**
Orders severities, worst first.
*/
export function compareSeverity(a: Severity, b: Severity): number {
	return severityRank[b] - severityRank[a];
}

export function worstSeverity(severities: Iterable<Severity>): Severity {
	let worst: Severity = 'ok';
	for (const severity of severities) {
		if (severityRank[severity] > severityRank[worst]) {
			worst = severity;
		}
	}

	return worst;
}

const hour = 3_600_000;

/**
`26 h`, `3 d`: how old something is, for a reason line.
*/
export function formatAge(milliseconds: number): string {
	if (milliseconds < hour) {
		return `${Math.max(0, Math.round(milliseconds / 60_000))} min`;
	}

	return milliseconds < 72 * hour ? `${Math.round(milliseconds / hour)} h` : `${Math.round(milliseconds / (24 * hour))} d`;
}

function refOf(kind: ResourceRef['kind'], resource: {id: string; name?: string}): ResourceRef {
	return resource.name === undefined || resource.name === '' ? {kind, id: resource.id} : {kind, id: resource.id, name: resource.name};
}

/**
`name (id…)` or the ID, for reason lines.
*/
function label(resource: {id: string; name?: string}): string {
	return resource.name === undefined || resource.name === '' ? resource.id : `"${resource.name}"`;
}

/**
When a backup's data was taken: `data_timestamp` (the snapshot's time for snapshot backups), else creation.
*/
export function backupTime(backup: Backup): number {
	return Date.parse(backup.dataTimestamp ?? backup.createdAt);
}

/**
Whether a list of the inventory could be read. Hand-built inventories without `lists` fall back to the service state.
*/
export function isListReadable(inventory: Inventory, list: InventoryList): boolean {
	const state = inventory.lists?.[list];
	return state === undefined ? (list !== 'secrets' || inventory.secrets !== undefined) && inventory.sources[listServices[list]].state === 'ok' : state.state === 'ok';
}

/**
Statuses in which a volume holds no user data to protect.
*/
const noDataStatuses = new Set(['creating', 'error', 'deleting', 'error_deleting', 'error_restoring']);

/**
Everything the rules look up, indexed once.
*/
export type AssessmentIndex = {
	volumes: Map<string, Volume>;
	backupsByVolume: Map<string, Backup[]>;
	snapshotsByVolume: Map<string, Snapshot[]>;
	snapshots: Map<string, Snapshot>;
	typesById: Map<string, VolumeType>;
	typesByName: Map<string, VolumeType>;
	secretIds?: Set<string>;
	/**
	Volumes attached to each server, from both sides (Nova's list and Cinder's attachments).
	*/
	serverVolumes: Map<string, Set<string>>;
	/**
	Images Nova made of each server (`instance_uuid`).
	*/
	imagesByServer: Map<string, Image[]>;
	backups: Map<string, Backup>;
	images: Map<string, Image>;
	/**
	The newest restore drill of each backup, from its metadata and the records the caller gave.
	*/
	drills: Map<string, DrillRecord>;
	/**
	What {@link whyBackupUnusable} answered for each backup ID so far (the rules, the summary and the audit's backup
	list ask about the same backups): an index is of one inventory as it was read.
	*/
	unusable?: Map<string, Unusable | undefined>;
};

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
	const list = map.get(key);
	if (list) {
		list.push(value);
	} else {
		map.set(key, [value]);
	}
}

/**
Indexes an inventory for the rules. `drills` are drill records the caller read elsewhere (the local drill log); with
a backup's own metadata record, the newest of them counts.
*/
export function indexInventory(inventory: Inventory, drills: readonly DrillRecord[] = []): AssessmentIndex {
	const index: AssessmentIndex = {
		volumes: new Map(inventory.volumes.map(volume => [volume.id, volume])),
		backupsByVolume: new Map(),
		snapshotsByVolume: new Map(),
		snapshots: new Map(inventory.snapshots.map(snapshot => [snapshot.id, snapshot])),
		typesById: new Map(inventory.volumeTypes.map(type => [type.id, type])),
		typesByName: new Map(inventory.volumeTypes.map(type => [type.name, type])),
		serverVolumes: new Map(),
		imagesByServer: new Map(),
		backups: new Map(inventory.backups.map(backup => [backup.id, backup])),
		images: new Map(inventory.images.map(image => [image.id, image])),
		drills: new Map(),
		...(inventory.secrets !== undefined && {secretIds: new Set(inventory.secrets.map(secret => secret.id))}),
		unusable: new Map(),
	};

	const logged = new Map<string, DrillRecord[]>();
	for (const record of drills) {
		push(logged, record.backupId, record);
	}

	for (const backup of inventory.backups) {
		push(index.backupsByVolume, backup.volumeId, backup);
		const drill = newestDrill([drillFromMetadata(backup), ...logged.get(backup.id) ?? []]);
		if (drill !== undefined) {
			index.drills.set(backup.id, drill);
		}
	}

	for (const image of inventory.images) {
		if (image.instanceUuid !== undefined) {
			push(index.imagesByServer, image.instanceUuid, image);
		}
	}

	for (const snapshot of inventory.snapshots) {
		push(index.snapshotsByVolume, snapshot.volumeId, snapshot);
	}

	const attach = (serverId: string, volumeId: string) => {
		const set = index.serverVolumes.get(serverId) ?? new Set<string>();
		set.add(volumeId);
		index.serverVolumes.set(serverId, set);
	};

	for (const server of inventory.servers) {
		for (const volumeId of server.attachedVolumeIds) {
			attach(server.id, volumeId);
		}
	}

	for (const volume of inventory.volumes) {
		for (const attachment of volume.attachments) {
			attach(attachment.serverId, volume.id);
		}
	}

	return index;
}

/**
The item with the greatest `time`, if any.
*/
function newestBy<T>(items: readonly T[], time: (item: T) => number): T | undefined {
	let newest: T | undefined;
	let newestTime = 0;
	for (const item of items) {
		const itemTime = time(item);
		// Not `<=`: an item whose time is NaN never replaces the newest.
		const isNewer = newest === undefined || itemTime > newestTime;
		if (!isNewer) {
			continue;
		}

		newest = item;
		newestTime = itemTime;
	}

	return newest;
}

/**
Whether a backup's data is encrypted: it has a key, backstack recorded so, or its source volume is encrypted.
*/
export function isBackupEncrypted(backup: Backup, sourceVolume: Volume | undefined): boolean {
	return backup.encryptionKeyId !== undefined
		|| backup.metadata[backupMetaEncrypted] === 'true'
		|| sourceVolume?.encrypted === true;
}

/**
State of a key: present in Barbican, missing, or unknown (not checkable, or an encrypted resource without a key ID).
*/
export function keyStateOf(inventory: Inventory, index: AssessmentIndex, keyId: string | undefined, isEncrypted: boolean): KeyState {
	if (keyId === undefined) {
		return isEncrypted ? 'unknown' : 'none';
	}

	if (index.secretIds === undefined) {
		return 'unknown';
	}

	if (index.secretIds.has(keyId)) {
		return 'present';
	}

	const lookup = inventory.secretLookups?.[keyId];
	return lookup === 'forbidden' || lookup === 'error' ? 'unknown' : 'missing';
}

export type SourceType = {
	/**
	Where the type was learnt.
	*/
	from: 'volume' | 'metadata';
	id?: string;
	name?: string;
	/**
	`true` exists, `false` deleted, `undefined` could not be checked (volume types unreadable).
	*/
	exists?: boolean;
};

/**
The source volume type of a backup: from its volume if that still exists, else from backstack's metadata.
*/
export function sourceTypeOf(inventory: Inventory, index: AssessmentIndex, backup: Backup): SourceType | undefined {
	const volume = index.volumes.get(backup.volumeId);
	let type: SourceType | undefined;
	if (volume && (volume.volumeTypeId !== undefined || volume.volumeType !== undefined)) {
		type = {from: 'volume', id: volume.volumeTypeId, name: volume.volumeType};
	} else {
		const id = backup.metadata[backupMetaSourceTypeId];
		const name = backup.metadata[backupMetaSourceTypeName];
		if (id === undefined && name === undefined) {
			return undefined;
		}

		type = {from: 'metadata', id, name};
	}

	if (isListReadable(inventory, 'volume-types')) {
		// Before 3.63 Cinder may show the type's ID in `volume_type`: accept either.
		const byId = type.id === undefined ? undefined : index.typesById.get(type.id);
		const byName = type.name === undefined ? undefined : (index.typesByName.get(type.name) ?? index.typesById.get(type.name));
		type.exists = (type.id === undefined ? byName : byId) !== undefined;
	}

	return type;
}

/**
Why a backup would not restore: a {@link Restorability} word other than `verified`/`restorable`, and a short text.
*/
export type Unusable = {
	code: Exclude<Restorability, 'verified' | 'restorable'>;
	text: string;
};

/**
Why a backup would not restore, as far as the cloud and its drills show; `undefined` when it would. A volume counts as
protected only by backups that would: an available backup, an incremental one only with an available full before it
(its data chain), for an encrypted one its own key present and its source type known and existing (Cinder restores an
encrypted backup only onto that type), and none whose newest restore drill failed (a failed restore is proof, whatever
the metadata says). A key that could not be checked (Barbican unreadable) does not make a backup unusable: the key
findings say so separately.

Each encrypted backup has its own clone of the volume's key, and the data it reads from a full is the volume's
ciphertext, so an incremental whose full lost its key is judged by its own key.
*/
export function whyBackupUnusable(inventory: Inventory, index: AssessmentIndex, backup: Backup): Unusable | undefined {
	const memo = index.unusable;
	if (memo?.has(backup.id) === true) {
		return memo.get(backup.id);
	}

	const unusable = judgeUsability(inventory, index, backup);
	memo?.set(backup.id, unusable);
	return unusable;
}

function judgeUsability(inventory: Inventory, index: AssessmentIndex, backup: Backup): Unusable | undefined {
	if (backup.status !== 'available') {
		return {code: 'not-available', text: `status ${backup.status}`};
	}

	if (backup.isIncremental) {
		const siblings = index.backupsByVolume.get(backup.volumeId) ?? [];
		const time = backupTime(backup);
		if (siblings.every(other => other.isIncremental || other.status !== 'available' || backupTime(other) > time)) {
			return {code: 'chain-broken', text: 'incremental without an available full backup before it'};
		}
	}

	const unusable = isBackupEncrypted(backup, index.volumes.get(backup.volumeId)) ? whyEncryptedUnusable(inventory, index, backup) : undefined;
	if (unusable !== undefined) {
		return unusable;
	}

	const drill = index.drills.get(backup.id);
	return drill?.result === 'failed' ? {code: 'drill-failed', text: `its restore drill failed at ${drill.at}${drill.reason === undefined ? '' : `: ${drill.reason}`}`} : undefined;
}

function whyEncryptedUnusable(inventory: Inventory, index: AssessmentIndex, backup: Backup): Unusable | undefined {
	if (keyStateOf(inventory, index, backup.encryptionKeyId, true) === 'missing') {
		return {code: 'key-gone', text: 'its encryption key is gone from Barbican'};
	}

	const type = sourceTypeOf(inventory, index, backup);
	if (type === undefined) {
		return {code: 'type-unknown', text: 'encrypted, and its source volume type is unknown'};
	}

	return type.exists === false ? {code: 'type-gone', text: `encrypted, and its volume type ${type.name ?? type.id ?? '?'} no longer exists`} : undefined;
}

/**
How long a passed drill verifies its backup under `policy`, in milliseconds.
*/
function drillWindow(policy: Pick<Policy, 'drillMaxAgeDays'>): number {
	return (policy.drillMaxAgeDays ?? defaultDrillMaxAgeDays) * 24 * hour;
}

/**
Whether a backup's newest drill passed no longer ago than `maxAge` before `now`.
*/
function isDrillFresh(drill: DrillRecord | undefined, now: number, maxAge: number): boolean {
	return drill?.result === 'ok' && now - Date.parse(drill.at) <= maxAge;
}

/**
One word for whether a backup would restore (see {@link Restorability}), for the Backups view and the audit JSON.
`index` should come from `indexInventory(inventory, drills)` with the drill log's records; `now` defaults to when
the inventory was read.
*/
export function restorabilityOf(
	inventory: Inventory,
	index: AssessmentIndex,
	backup: Backup,
	options: {now?: Date | number; policy?: Pick<Policy, 'drillMaxAgeDays'>} = {},
): Restorability {
	const unusable = whyBackupUnusable(inventory, index, backup);
	if (unusable !== undefined) {
		return unusable.code;
	}

	const now = options.now === undefined ? Date.parse(inventory.readAt) : Number(options.now);
	return isDrillFresh(index.drills.get(backup.id), now, drillWindow(options.policy ?? defaultPolicy)) ? 'verified' : 'restorable';
}

/**
The newest backup of `backups` that would restore, if any.
*/
export function newestUsableBackup(inventory: Inventory, index: AssessmentIndex, backups: readonly Backup[]): Backup | undefined {
	return newestBy(backups.filter(backup => whyBackupUnusable(inventory, index, backup) === undefined), backup => backupTime(backup));
}

type Draft = {
	code: FindingCode;
	resource: ResourceRef;
	reason: string;
	action: string;
	related?: ResourceRef[] | undefined;
};

type Emit = (draft: Draft) => void;

/**
What every rule gets: the inventory, its index, the clock, the RPO and how long a passed drill counts (milliseconds),
and where to put findings.
*/
type RuleContext = {
	inventory: Inventory;
	index: AssessmentIndex;
	now: number;
	rpo: number;
	drillMaxAge: number;
	emit: Emit;
};

function assessSources({inventory, emit}: RuleContext): void {
	const projectRef = refOf('project', inventory.project);
	const consequence: Record<Exclude<ServiceName, 'identity'>, string> = {
		cinder: 'volumes, backups and snapshots are unknown',
		glance: 'images and server snapshot images are unknown',
		nova: 'servers and their ephemeral disks are unknown',
		barbican: 'encryption keys could not be checked',
	};
	const verbs = {missing: 'is not available', forbidden: 'refused to be read', error: 'could not be read'};
	for (const service of ['cinder', 'glance', 'nova', 'barbican'] as const) {
		const source = inventory.sources[service];
		if (source.state !== 'ok') {
			emit({
				code: 'source.unavailable',
				resource: projectRef,
				reason: `${service} ${verbs[source.state]} (${source.reason}): ${consequence[service]}`,
				action: source.state === 'forbidden' ? `Ask for a role that may read ${service} in this project` : `Check the ${service} service, then audit again`,
			});
		}
	}
}

type VolumeVerdict = {code: FindingCode; protection: Protection};

/**
The verdict of a volume with at least one usable backup: verified, protected or stale by its newest usable backup.
*/
function judgeUsableBackup(context: RuleContext, ref: ResourceRef, newest: Backup): VolumeVerdict {
	const {index, now, rpo, drillMaxAge, emit} = context;
	const age = now - backupTime(newest);
	const related = [refOf('backup', newest)];
	if (age > rpo) {
		emit({
			code: 'volume.stale',
			resource: ref,
			reason: `Newest usable backup ${label(newest)} is ${formatAge(age)} old, older than the RPO of ${formatAge(rpo)}`,
			action: 'Create a new backup (incremental is fine) and schedule backups',
			related,
		});
		return {code: 'volume.stale', protection: 'stale'};
	}

	const drill = index.drills.get(newest.id);
	if (drill !== undefined && isDrillFresh(drill, now, drillMaxAge)) {
		emit({
			code: 'volume.verified',
			resource: ref,
			reason: `Backed up ${formatAge(age)} ago (backup ${label(newest)}), and a restore drill of that backup passed ${formatAge(now - Date.parse(drill.at))} ago`,
			action: '',
			related,
		});
		return {code: 'volume.verified', protection: 'verified'};
	}

	emit({
		code: 'volume.protected', resource: ref, reason: `Backed up ${formatAge(age)} ago (backup ${label(newest)})`, action: '', related,
	});
	return {code: 'volume.protected', protection: 'protected'};
}

/**
The verdict of a volume none of whose backups would restore: snapshot-only or unprotected, naming each backup and why.
*/
function judgeWithoutUsableBackup(context: RuleContext, volume: Volume, backups: readonly Backup[]): VolumeVerdict {
	const {inventory, index, emit} = context;
	const ref = refOf('volume', volume);
	const snapshots = (index.snapshotsByVolume.get(volume.id) ?? []).filter(snapshot => snapshot.status === 'available');
	if (isListReadable(inventory, 'snapshots') && snapshots.length > 0) {
		emit({
			code: 'volume.snapshot-only',
			resource: ref,
			reason: `Only ${snapshots.length} snapshot(s), no backup: snapshots live on the same storage and die with it`,
			action: 'Create a Cinder backup of the volume',
			related: snapshots.map(snapshot => refOf('snapshot', snapshot)),
		});
		return {code: 'volume.snapshot-only', protection: 'snapshot-only'};
	}

	const shown = backups.slice(0, 3).map(backup => `${label(backup)}: ${whyBackupUnusable(inventory, index, backup)?.text ?? '?'}`);
	const more = backups.length > shown.length ? `; ${backups.length - shown.length} more` : '';
	emit({
		code: 'volume.unprotected',
		resource: ref,
		reason: backups.length > 0 ? `No backup that would restore (${shown.join('; ')}${more})` : 'No backup',
		action: 'Create a Cinder backup of the volume',
		...(backups.length > 0 && {related: backups.map(backup => refOf('backup', backup))}),
	});
	return {code: 'volume.unprotected', protection: 'unprotected'};
}

/**
`volume.last-backup-error` when the newest backup attempt failed; an unprotected verdict then reads `error`.
*/
function assessLastAttempt({emit}: RuleContext, ref: ResourceRef, backups: readonly Backup[], verdict: VolumeVerdict): void {
	const latestAttempt = newestBy(backups, backup => Date.parse(backup.createdAt));
	if (latestAttempt?.status !== 'error') {
		return;
	}

	const why = latestAttempt.failReason === undefined || latestAttempt.failReason === '' ? '' : `: ${latestAttempt.failReason}`;
	emit({
		code: 'volume.last-backup-error',
		resource: ref,
		reason: `The last backup ${label(latestAttempt)} failed${why}`,
		action: 'Read the backup\'s fail reason, fix it, back up again, then delete the failed backup',
		related: [refOf('backup', latestAttempt)],
	});
	if (!isProtected(verdict.protection)) {
		verdict.protection = 'error';
	}
}

function assessVolume(context: RuleContext, volume: Volume): VolumeVerdict {
	const {inventory, index, emit} = context;
	const ref = refOf('volume', volume);
	if (noDataStatuses.has(volume.status)) {
		emit({
			code: 'volume.not-assessed', resource: ref, reason: `Volume is in status ${volume.status}: it holds no data to protect`, action: '',
		});
		return {code: 'volume.not-assessed', protection: 'n/a'};
	}

	if (!isListReadable(inventory, 'backups')) {
		emit({
			code: 'volume.unknown', resource: ref, reason: 'Backups could not be read: protection unknown', action: 'Make Cinder backups readable, then audit again',
		});
		return {code: 'volume.unknown', protection: 'unknown'};
	}

	const backups = index.backupsByVolume.get(volume.id) ?? [];
	const newest = newestUsableBackup(inventory, index, backups);
	const verdict = newest ? judgeUsableBackup(context, ref, newest) : judgeWithoutUsableBackup(context, volume, backups);
	assessLastAttempt(context, ref, backups, verdict);
	return verdict;
}

function assessVolumes(context: RuleContext): Map<string, VolumeVerdict> {
	const verdicts = new Map<string, VolumeVerdict>();
	for (const volume of context.inventory.volumes) {
		verdicts.set(volume.id, assessVolume(context, volume));
		if (volume.encrypted || volume.encryptionKeyId !== undefined) {
			assessKey(context, refOf('volume', volume), volume.encryptionKeyId, 'its data cannot be decrypted: it cannot be attached, backed up or read');
		}
	}

	return verdicts;
}

/**
Restore drills: every backup whose newest drill failed, and for each volume (present or gone) only its newest usable
backup when it was never drilled or its last passed drill is too old. Older backups are not judged: the newest is the
one a restore would use, and listing every old backup would bury the findings that matter.
*/
function assessDrills(context: RuleContext): void {
	const {inventory, index, now, drillMaxAge, emit} = context;
	for (const backup of inventory.backups) {
		const drill = index.drills.get(backup.id);
		if (drill?.result === 'failed') {
			emit({
				code: 'backup.drill-failed',
				resource: refOf('backup', backup),
				reason: `Its restore drill failed ${formatAge(now - Date.parse(drill.at))} ago (${drill.at}): ${drill.reason ?? 'no reason recorded'}`,
				action: 'Do not count on this backup: fix what the drill names, back the volume up again and drill the new backup',
				related: [{kind: 'volume', id: backup.volumeId}],
			});
		}
	}

	if (!isListReadable(inventory, 'backups')) {
		return;
	}

	for (const [volumeId, backups] of index.backupsByVolume) {
		const newest = newestUsableBackup(inventory, index, backups);
		const drill = newest === undefined ? undefined : index.drills.get(newest.id);
		if (newest === undefined || isDrillFresh(drill, now, drillMaxAge)) {
			continue;
		}

		const volume = index.volumes.get(volumeId);
		const of = volume ? `volume ${label(volume)}` : `volume ${volumeId} (gone)`;
		emit(drill === undefined
			? {
				code: 'backup.never-drilled',
				resource: refOf('backup', newest),
				reason: `The newest usable backup of ${of} was never restore-drilled (only each volume's newest usable backup is judged)`,
				action: `Prove it restores: backstack drill ${newest.id}`,
				related: [volume ? refOf('volume', volume) : {kind: 'volume', id: volumeId}],
			}
			: {
				code: 'backup.drill-stale',
				resource: refOf('backup', newest),
				reason: `The last restore drill of the newest usable backup of ${of} passed ${formatAge(now - Date.parse(drill.at))} ago, `
					+ `longer than ${formatAge(drillMaxAge)} (only each volume's newest usable backup is judged)`,
				action: `Drill it again: backstack drill ${newest.id}`,
				related: [volume ? refOf('volume', volume) : {kind: 'volume', id: volumeId}],
			});
	}
}

/**
What to do when a key is gone. Cinder's key IDs cannot be changed through the API, so a re-stored key only helps images.
*/
const keyMissingActions: Partial<Record<ResourceRef['kind'], string>> = {
	volume: 'Restore the volume from a backup whose key is present; a re-stored key gets a new ID that Cinder cannot use',
	backup: 'Back up the source volume again; this backup cannot be restored by Cinder any more',
	image: 'Re-store the key from an offline copy and point cinder_encryption_key_id at the new secret',
};

/**
Why a key lookup was refused: with the Barbican source's reason when the project's secrets could not be listed (an
admin's fleet audit of a project it has no role in, `core/fleet.ts`).
*/
function refusalOf(inventory: Inventory): string {
	const source = inventory.sources.barbican;
	return source.state === 'ok' ? 'Barbican refused the lookup' : `Barbican refused the lookup (${source.reason})`;
}

/**
Findings about the key of an encrypted resource.
*/
function assessKey({inventory, index, emit}: RuleContext, ref: ResourceRef, keyId: string | undefined, consequence: string): void {
	const state = keyStateOf(inventory, index, keyId, true);
	if (state === 'missing' && keyId !== undefined) {
		emit({
			code: ref.kind === 'image' ? 'image.key-missing' : 'key.missing',
			resource: ref,
			reason: `Its encryption key ${keyId} is gone from Barbican: ${consequence}`,
			action: keyMissingActions[ref.kind] ?? '',
			related: [{kind: 'secret', id: keyId}],
		});
	} else if (state === 'unknown') {
		const why = keyId === undefined
			? 'Cinder did not show the key ID (needs volume API 3.64)'
			: (index.secretIds === undefined ? 'Barbican could not be read' : refusalOf(inventory));
		emit({
			code: 'key.unknown',
			resource: ref,
			reason: `Encrypted, but its key could not be checked: ${why}`,
			action: 'Make Barbican readable (the creator or reader role), then audit again',
			related: keyId === undefined ? undefined : [{kind: 'secret', id: keyId}],
		});
	}
}

function assessBackups(context: RuleContext): void {
	const {inventory, index, emit} = context;
	const restorable = new Set(['available', 'creating', 'restoring', 'backing-up']);
	for (const backup of inventory.backups) {
		const ref = refOf('backup', backup);
		const volume = index.volumes.get(backup.volumeId);
		if (backup.isIncremental && backup.status === 'available') {
			const siblings = index.backupsByVolume.get(backup.volumeId) ?? [];
			const hasFull = siblings.some(other => !other.isIncremental && other.status === 'available' && backupTime(other) <= backupTime(backup));
			if (!hasFull) {
				emit({
					code: 'backup.incremental-without-full',
					resource: ref,
					reason: 'Incremental backup without an available full backup before it: it cannot be restored',
					action: 'Create a full backup of the volume (not incremental)',
					related: volume ? [refOf('volume', volume)] : undefined,
				});
			}
		}

		if (!restorable.has(backup.status) || !isBackupEncrypted(backup, volume)) {
			continue;
		}

		assessKey(context, ref, backup.encryptionKeyId, 'restore impossible');
		const type = sourceTypeOf(inventory, index, backup);
		if (type === undefined) {
			emit({
				code: 'backup.source-type-unknown',
				resource: ref,
				reason: 'Encrypted backup whose source volume is gone and whose type was not recorded: the restore target\'s type must match exactly',
				action: 'Find the source volume type in your records; restore onto a new volume of that type (never to a new default-type volume)',
				related: [{kind: 'volume', id: backup.volumeId}],
			});
		} else if (type.exists === false) {
			emit({
				code: 'backup.source-type-deleted',
				resource: ref,
				reason: `Encrypted backup of volume type ${type.name ?? type.id ?? '?'}, which no longer exists: restore impossible (Cinder requires the same type)`,
				action: 'Keep the backup; ask the operator whether the type can be restored (a re-created type gets a new ID and does not match)',
				related: [{kind: 'volume-type', id: type.id ?? type.name ?? '?', ...(type.name !== undefined && {name: type.name})}],
			});
		}
	}
}

/**
Whether a Glance image is a boot-from-volume "snapshot": no data, only references to Cinder snapshots.
*/
export function isSnapshotReferenceImage(image: Image): boolean {
	const mapping = image.blockDeviceMapping;
	return mapping === undefined || mapping.length === 0 || (image.size ?? 0) > 0 ? false : mapping.some(entry => typeof entry['snapshot_id'] === 'string');
}

/**
Server snapshot images of an image-backed server that hold data.
*/
export function serverSnapshotImages(index: AssessmentIndex, server: Server): Image[] {
	return (index.imagesByServer.get(server.id) ?? []).filter(image => image.status === 'active' && (image.size ?? 0) > 0);
}

function isOwnImage(inventory: Inventory, image: Image): boolean {
	return image.owner === undefined || image.owner === inventory.project.id;
}

function assessSnapshotReferenceImage({inventory, index, emit}: RuleContext, image: Image): void {
	const snapshotIds = (image.blockDeviceMapping ?? [])
		.map(entry => entry['snapshot_id'])
		.filter((id): id is string => typeof id === 'string');
	const related: ResourceRef[] = [];
	const servers = new Set<string>();
	for (const snapshotId of snapshotIds) {
		const snapshot = index.snapshots.get(snapshotId);
		related.push(snapshot ? refOf('snapshot', snapshot) : {kind: 'snapshot', id: snapshotId});
		const volume = snapshot ? index.volumes.get(snapshot.volumeId) : undefined;
		for (const attachment of volume?.attachments ?? []) {
			servers.add(attachment.serverId);
		}
	}

	related.push(...inventory.servers.filter(server => servers.has(server.id)).map(server => refOf('server', server)));
	emit({
		code: 'server.bfv-image-not-backup',
		resource: refOf('image', image),
		reason: `Boot-from-volume server image with no data: only references to ${snapshotIds.length} Cinder snapshot(s) on the same storage, not a backup`,
		action: 'Back up the server\'s volumes with Cinder backups',
		related,
	});
}

function assessImages(context: RuleContext): void {
	const {inventory} = context;
	for (const image of inventory.images) {
		if (!isOwnImage(inventory, image)) {
			continue;
		}

		if (image.cinderEncryptionKeyId !== undefined) {
			assessKey(context, refOf('image', image), image.cinderEncryptionKeyId, 'the image data is unreadable');
		}

		if (isSnapshotReferenceImage(image)) {
			assessSnapshotReferenceImage(context, image);
		}
	}
}

function assessEphemeralDisk({inventory, index, now, rpo, emit}: RuleContext, server: Server): void {
	const ref = refOf('server', server);
	if (!isListReadable(inventory, 'images')) {
		emit({
			code: 'server.ephemeral-unknown', resource: ref, reason: 'Images could not be read: protection of its ephemeral disk unknown', action: 'Make Glance readable, then audit again',
		});
		return;
	}

	const newest = newestBy(serverSnapshotImages(index, server), image => Date.parse(image.createdAt));
	if (newest === undefined) {
		emit({
			code: 'server.ephemeral-unprotected',
			resource: ref,
			reason: 'Its ephemeral disk has no snapshot image',
			action: 'Create a server image (createImage) and download it if it must leave the cloud',
		});
	} else if (now - Date.parse(newest.createdAt) <= rpo) {
		emit({
			code: 'server.ephemeral-protected',
			resource: ref,
			reason: `Ephemeral disk imaged ${formatAge(now - Date.parse(newest.createdAt))} ago (image ${label(newest)})`,
			action: '',
			related: [refOf('image', newest)],
		});
	} else {
		emit({
			code: 'server.ephemeral-stale',
			resource: ref,
			reason: `Newest snapshot image ${label(newest)} of its ephemeral disk is ${formatAge(now - Date.parse(newest.createdAt))} old, older than the RPO of ${formatAge(rpo)}`,
			action: 'Create a new server image',
			related: [refOf('image', newest)],
		});
	}
}

/**
Whether a protection state counts as protected (a verified volume is protected, and proven so).
*/
export function isProtected(protection: Protection | undefined): boolean {
	return protection === 'protected' || protection === 'verified';
}

function assessServerVolumes({index, emit}: RuleContext, server: Server, verdicts: Map<string, VolumeVerdict>): void {
	const volumeIds = [...index.serverVolumes.get(server.id) ?? []].toSorted();
	if (volumeIds.length === 0) {
		return;
	}

	const weak = volumeIds.filter(volumeId => !isProtected(verdicts.get(volumeId)?.protection));
	const ref = refOf('server', server);
	if (weak.length === 0) {
		emit({
			code: 'server.volumes-protected', resource: ref, reason: `All ${volumeIds.length} attached volume(s) are backed up within the RPO`, action: '',
		});
		return;
	}

	const refs = weak.map(volumeId => {
		const volume = index.volumes.get(volumeId);
		return volume ? refOf('volume', volume) : {kind: 'volume' as const, id: volumeId};
	});
	const states = refs.map(volume => `${label(volume)} ${verdicts.get(volume.id)?.protection ?? 'unknown'}`);
	emit({
		code: 'server.volumes-unprotected',
		resource: ref,
		reason: `${weak.length} of ${volumeIds.length} attached volume(s) not protected: ${states.join(', ')}`,
		action: 'Back up those volumes (in-use volumes need --force: crash-consistent)',
		related: refs,
	});
}

function assessServers(context: RuleContext, verdicts: Map<string, VolumeVerdict>): void {
	for (const server of context.inventory.servers) {
		if (!server.bootFromVolume) {
			assessEphemeralDisk(context, server);
		}

		assessServerVolumes(context, server, verdicts);
	}
}

/**
Every Barbican secret a resource refers to, with who refers to it.
*/
export function secretUsers(inventory: Inventory, index?: AssessmentIndex): Map<string, ResourceRef[]> {
	const users = new Map<string, ResourceRef[]>();
	for (const volume of inventory.volumes) {
		if (volume.encryptionKeyId !== undefined) {
			push(users, volume.encryptionKeyId, refOf('volume', volume));
		}
	}

	for (const backup of inventory.backups) {
		if (backup.encryptionKeyId !== undefined) {
			push(users, backup.encryptionKeyId, refOf('backup', backup));
		}
	}

	for (const image of inventory.images) {
		if (image.cinderEncryptionKeyId !== undefined && (index === undefined || isOwnImage(inventory, image))) {
			push(users, image.cinderEncryptionKeyId, refOf('image', image));
		}
	}

	return users;
}

function assessSecrets({inventory, index, emit}: RuleContext): void {
	const users = secretUsers(inventory, index);
	for (const [secretId, refs] of [...users].toSorted(([a], [b]) => a.localeCompare(b))) {
		if (keyStateOf(inventory, index, secretId, true) === 'missing') {
			emit({
				code: 'secret.referenced-missing',
				resource: {kind: 'secret', id: secretId},
				reason: `Secret is gone from Barbican but ${refs.length} resource(s) need it: ${refs.map(ref => `${ref.kind} ${label(ref)}`).join(', ')}`,
				action: 'Those resources cannot be decrypted; a re-stored key gets a new ID that Cinder cannot use',
				related: refs,
			});
		}
	}

	// An orphan can only be claimed when everything that could refer to a secret was read.
	const isComplete = (['volumes', 'backups', 'images'] as const).every(list => isListReadable(inventory, list));
	if (!isComplete || inventory.secrets === undefined) {
		return;
	}

	for (const secret of inventory.secrets) {
		if (!users.has(secret.id)) {
			emit({
				code: 'secret.orphan',
				resource: refOf('secret', {id: secret.id, ...(secret.name !== undefined && {name: secret.name})}),
				reason: 'No volume, backup or image of this project refers to this secret',
				action: 'Keep it if something outside OpenStack uses it (or it is a key backup); otherwise it may be deleted',
			});
		}
	}
}

/**
Runs every rule over an inventory. `now` is the moment ages are measured against; `policy` sets the RPO, how long a
drill counts and severities; `drills` are restore drill records read by the caller (the local drill log), beside what
each backup's metadata records. Findings come in a stable order: by rule, then in inventory order.
*/
export function assess(inventory: Inventory, now: Date, policy: Policy = defaultPolicy, drills?: readonly DrillRecord[]): Finding[] {
	return assessIndexed(inventory, indexInventory(inventory, drills), now, policy);
}

/**
{@link assess} with the inventory's index (`indexInventory(inventory, drills)`) made by the caller, who uses it again.
*/
export function assessIndexed(inventory: Inventory, index: AssessmentIndex, now: Date, policy: Policy = defaultPolicy): Finding[] {
	const findings: Finding[] = [];
	const emit: Emit = ({code, resource, reason, action, related}) => {
		const severity = policy.severities[code] ?? defaultSeverities[code] ?? 'warning';
		findings.push({
			code, severity, resource, reason, action, ...(!(related === undefined || related.length === 0) && {related}),
		});
	};

	const context: RuleContext = {
		inventory, index, now: now.getTime(), rpo: policy.rpoHours * hour, drillMaxAge: drillWindow(policy), emit,
	};
	assessSources(context);
	const verdicts = assessVolumes(context);
	assessBackups(context);
	assessDrills(context);
	assessServers(context, verdicts);
	assessImages(context);
	assessSecrets(context);
	return findings;
}

const protectionByCode: Record<string, Protection> = {
	'volume.protected': 'protected',
	'volume.verified': 'verified',
	'volume.stale': 'stale',
	'volume.unprotected': 'unprotected',
	'volume.snapshot-only': 'snapshot-only',
	'volume.unknown': 'unknown',
	'volume.not-assessed': 'n/a',
	'server.ephemeral-protected': 'protected',
	'server.ephemeral-stale': 'stale',
	'server.ephemeral-unprotected': 'unprotected',
	'server.ephemeral-unknown': 'unknown',
	'server.volumes-protected': 'protected',
};

/**
Worst first.
*/
const protectionOrder: Protection[] = ['unprotected', 'error', 'snapshot-only', 'stale', 'unknown', 'protected', 'verified', 'n/a'];

function worstProtection(values: Protection[]): Protection {
	let worst: Protection = 'n/a';
	for (const value of values) {
		if (protectionOrder.indexOf(value) < protectionOrder.indexOf(worst)) {
			worst = value;
		}
	}

	return worst;
}

type SummaryContext = {
	inventory: Inventory;
	index: AssessmentIndex;
	own: (ref: ResourceRef) => Finding[];
	summaries: Record<string, ResourceSummary>;
};

function addSummary(context: SummaryContext, ref: ResourceRef, row: Omit<ResourceSummary, 'ref' | 'severity'>): void {
	context.summaries[ref.id] = {
		ref,
		...row,
		severity: worstSeverity(context.own(ref).map(finding => finding.severity)),
	};
}

function keyRow(context: SummaryContext, keyId: string | undefined, isEncrypted: boolean): Pick<ResourceSummary, 'encrypted' | 'keyState'> {
	return {encrypted: isEncrypted, keyState: keyStateOf(context.inventory, context.index, keyId, isEncrypted)};
}

function protectionOfCodes(codes: readonly FindingCode[]): Protection[] {
	return codes.map(code => protectionByCode[code]).filter(value => value !== undefined);
}

/**
A volume's protection, from the codes of its own findings.
*/
function volumeProtectionOf(codes: readonly FindingCode[]): Protection {
	const protection = codes.length === 0 ? 'unknown' : worstProtection(protectionOfCodes(codes));
	return !isProtected(protection) && codes.includes('volume.last-backup-error') ? 'error' : protection;
}

/**
Each volume's protection (as {@link summarise} gives it), from the findings `assess` gave for the inventory.
*/
export function volumeProtections(inventory: Inventory, findings: readonly Finding[]): Map<string, Protection> {
	const codes = new Map<string, FindingCode[]>();
	for (const finding of findings) {
		if (finding.resource.kind === 'volume') {
			push(codes, finding.resource.id, finding.code);
		}
	}

	return new Map(inventory.volumes.map(volume => [volume.id, volumeProtectionOf(codes.get(volume.id) ?? [])]));
}

function summariseVolumes(context: SummaryContext): Map<string, Protection> {
	const protections = new Map<string, Protection>();
	for (const volume of context.inventory.volumes) {
		const ref = refOf('volume', volume);
		const protection = volumeProtectionOf(context.own(ref).map(finding => finding.code));
		protections.set(volume.id, protection);
		const newest = newestUsableBackup(context.inventory, context.index, context.index.backupsByVolume.get(volume.id) ?? []);
		const lastBackupAt = newest?.dataTimestamp ?? newest?.createdAt;
		addSummary(context, ref, {
			protection,
			...(lastBackupAt !== undefined && {lastBackupAt}),
			...keyRow(context, volume.encryptionKeyId, volume.encrypted || volume.encryptionKeyId !== undefined),
		});
	}

	return protections;
}

function summariseServers(context: SummaryContext, volumeProtection: Map<string, Protection>): void {
	for (const server of context.inventory.servers) {
		const ref = refOf('server', server);
		const values = protectionOfCodes(context.own(ref).map(finding => finding.code));
		for (const volumeId of context.index.serverVolumes.get(server.id) ?? []) {
			values.push(volumeProtection.get(volumeId) ?? 'unknown');
		}

		const lastBackupAt = server.bootFromVolume
			? undefined
			: serverSnapshotImages(context.index, server).map(image => image.createdAt).toSorted().at(-1);
		addSummary(context, ref, {
			protection: values.length === 0 ? 'unknown' : worstProtection(values),
			...(lastBackupAt !== undefined && {lastBackupAt}),
			encrypted: false,
			keyState: 'none',
		});
	}
}

/**
What a summary needs beyond the findings to say whether each backup would restore: the same drill records, clock and
policy `assess` had (`now` defaults to when the inventory was read).
*/
export type SummaryOptions = {
	drills?: readonly DrillRecord[];
	now?: Date;
	policy?: Pick<Policy, 'drillMaxAgeDays'>;
};

/**
One row summary per resource ID (volumes, backups, snapshots, servers, images, secrets) for the TUI's tables, read from
the inventory and the findings `assess` gave for it.
*/
export function summarise(inventory: Inventory, findings: readonly Finding[], options: SummaryOptions = {}): Record<string, ResourceSummary> {
	const byResource = new Map<string, Finding[]>();
	for (const finding of findings) {
		push(byResource, `${finding.resource.kind}:${finding.resource.id}`, finding);
	}

	const context: SummaryContext = {
		inventory,
		index: indexInventory(inventory, options.drills),
		own: ref => byResource.get(`${ref.kind}:${ref.id}`) ?? [],
		summaries: {},
	};
	const volumeProtection = summariseVolumes(context);
	for (const backup of inventory.backups) {
		const isEncrypted = isBackupEncrypted(backup, context.index.volumes.get(backup.volumeId));
		const drill = context.index.drills.get(backup.id);
		addSummary(context, refOf('backup', backup), {
			...(drill !== undefined && {drill: {at: drill.at, result: drill.result, ...(drill.reason !== undefined && {reason: drill.reason})}}),
			protection: backup.status === 'error' ? 'error' : 'n/a',
			lastBackupAt: backup.dataTimestamp ?? backup.createdAt,
			restorability: restorabilityOf(inventory, context.index, backup, {
				...(options.now !== undefined && {now: options.now}), ...(options.policy !== undefined && {policy: options.policy}),
			}),
			...keyRow(context, backup.encryptionKeyId, isEncrypted),
		});
	}

	for (const snapshot of inventory.snapshots) {
		const volume = context.index.volumes.get(snapshot.volumeId);
		addSummary(context, refOf('snapshot', snapshot), {
			protection: 'n/a',
			// A snapshot shares its volume's key; without the volume its encryption is unknown.
			...(volume ? keyRow(context, volume.encryptionKeyId, volume.encrypted) : {encrypted: false, keyState: 'unknown' as const}),
		});
	}

	summariseServers(context, volumeProtection);
	for (const image of inventory.images) {
		addSummary(context, refOf('image', image), {protection: 'n/a', ...keyRow(context, image.cinderEncryptionKeyId, image.cinderEncryptionKeyId !== undefined)});
	}

	for (const secret of inventory.secrets ?? []) {
		addSummary(context, refOf('secret', {id: secret.id, ...(secret.name !== undefined && {name: secret.name})}), {
			protection: 'n/a', encrypted: false, keyState: 'present',
		});
	}

	return context.summaries;
}
