/*
The domain model every screen and command reads: one project's inventory, the findings about it, the key graph.
Plain data (JSON-serialisable), so it can be cached and compared in tests.
*/
import type {
	Backup,
	Image,
	Project,
	Secret,
	Server,
	ServiceName,
	Snapshot,
	Volume,
	VolumeType,
} from '../openstack/types.js';

/**
Every kind of thing backstack names: the cloud's resources, and `file`, a local file a plan writes (a downloaded image, an
exported key). The one list; the narrower sets are derived from it (`CloudResourceKind`, core/plans/types.ts
`PlanResourceKind`).
*/
export type ResourceKind = 'volume' | 'backup' | 'snapshot' | 'server' | 'image' | 'secret' | 'volume-type' | 'project' | 'file';

/**
What an inventory holds and a finding or the key graph names: the cloud's resources.
*/
export type CloudResourceKind = Exclude<ResourceKind, 'file'>;

/**
Whether a service could be read for this inventory. `unavailable` and `forbidden` are recorded, never fatal.
*/
export type SourceState =
	| {state: 'ok'}
	| {state: 'missing'; reason: string}
	| {state: 'forbidden'; reason: string}
	| {state: 'error'; reason: string};

export type Inventory = {
	cloud: string;
	region?: string;
	project: Project;
	/**
	ISO timestamp of when the reading finished.
	*/
	readAt: string;
	sources: Record<ServiceName, SourceState>;
	volumes: Volume[];
	backups: Backup[];
	snapshots: Snapshot[];
	servers: Server[];
	images: Image[];
	/**
	Metadata only; `undefined` when Barbican could not be read (see `sources.barbican`).
	*/
	secrets?: Secret[];
	volumeTypes: VolumeType[];
} & InventoryDetails;

export type Severity = 'critical' | 'warning' | 'info' | 'ok';

export type ResourceRef = {
	kind: CloudResourceKind;
	id: string;
	name?: string;
};

export type FindingCode =
	| 'volume.protected'
	| 'volume.verified'
	| 'volume.stale'
	| 'volume.unprotected'
	| 'volume.snapshot-only'
	| 'volume.last-backup-error'
	| 'backup.incremental-without-full'
	| 'key.missing'
	| 'key.unknown'
	| 'backup.source-type-unknown'
	| 'backup.source-type-deleted'
	| 'backup.drill-failed'
	| 'backup.never-drilled'
	| 'backup.drill-stale'
	| 'server.ephemeral-unprotected'
	| 'server.ephemeral-protected'
	| 'server.bfv-image-not-backup'
	| 'server.volumes-unprotected'
	| 'server.volumes-protected'
	| 'image.key-missing'
	| 'secret.orphan'
	| 'secret.referenced-missing'
	| 'volume.unknown'
	| 'source.unavailable'
	| (string & {});

export type Finding = {
	code: FindingCode;
	severity: Severity;
	resource: ResourceRef;
	/**
	One line: what is wrong (or right), in words an operator under stress understands.
	*/
	reason: string;
	/**
	One line: what to do about it. Empty when nothing needs doing.
	*/
	action: string;
	/**
	Other resources the finding is about (the backup that is stale, the missing key…).
	*/
	related?: ResourceRef[];
};

export type Policy = {
	/**
	Recovery point objective: a backup older than this is stale. Hours.
	*/
	rpoHours: number;
	/**
	Severity per finding code, overriding the defaults.
	*/
	severities: Partial<Record<FindingCode, Severity>>;
	/**
	A passed restore drill older than this many days no longer verifies a backup (`backup.drill-stale`). Default 30.
	*/
	drillMaxAgeDays?: number;
};

/*
Metadata keys backstack writes on every backup it creates (Cinder backup metadata, microversion ≥ 3.43). Cinder does not
tell a project user the source volume's type once that volume is gone, and an encrypted backup can only be restored onto
a volume of exactly that type: these keys keep the facts with the backup.
*/
/**
Name of the source volume's type.
*/
export const backupMetaSourceTypeName = 'backstack_source_type_name';
/**
ID of the source volume's type.
*/
export const backupMetaSourceTypeId = 'backstack_source_type_id';
/**
`'true'` or `'false'`: whether the source volume was encrypted.
*/
export const backupMetaEncrypted = 'backstack_encrypted';
/**
Size of the source volume in GiB, as a decimal string.
*/
export const backupMetaSize = 'backstack_size';
/**
Version of backstack that made the backup.
*/
export const backupMetaVersion = 'backstack_version';

/**
The lists an inventory is made of; each is read on its own and may fail on its own.
*/
export type InventoryList = 'volumes' | 'backups' | 'snapshots' | 'volume-types' | 'images' | 'servers' | 'secrets';

/**
The service each list of an inventory comes from.
*/
export const listServices: Readonly<Record<InventoryList, ServiceName>> = {
	volumes: 'cinder',
	backups: 'cinder',
	snapshots: 'cinder',
	'volume-types': 'cinder',
	images: 'glance',
	servers: 'nova',
	secrets: 'barbican',
};

/**
One step of reading an inventory: `count` resources of `resource` read so far, `done` when that list is complete (or failed).
*/
export type InventoryProgress = {
	service: ServiceName;
	resource: InventoryList;
	count: number;
	done: boolean;
};

/**
What looking up one referenced Barbican secret by ID (when the list did not contain it) answered.
*/
export type SecretLookup = 'found' | 'not-found' | 'forbidden' | 'error';

export type InventoryDetails = {
	/**
	State of each list; a list that failed while its service is otherwise readable is recorded here.
	*/
	lists?: Partial<Record<InventoryList, SourceState>>;
	/**
	Secrets referenced by a resource but absent from the list, looked up one by one.
	*/
	secretLookups?: Record<string, SecretLookup>;
};

/**
One project of an all-projects reading: its inventory, or why it could not be read.
*/
export type ProjectInventory = {
	project: Project;
	inventory?: Inventory;
	error?: string;
};

/**
Whether a resource's data can be brought back; the TUI's protection column.
*/
export type Protection = 'verified' | 'protected' | 'stale' | 'unprotected' | 'snapshot-only' | 'error' | 'unknown' | 'n/a';

/**
Whether one backup would restore, in one word: `verified` (would, and its newest restore drill passed within the
policy's `drillMaxAgeDays`), `restorable` (would, as far as the cloud shows), or why not: `not-available` (Cinder status
not available), `chain-broken` (an incremental without its full), `key-gone`, `type-unknown`, `type-gone` (encrypted,
and the source type is unknown or deleted), `drill-failed` (its newest restore drill failed).
*/
export type Restorability =
	| 'verified'
	| 'restorable'
	| 'not-available'
	| 'chain-broken'
	| 'key-gone'
	| 'type-unknown'
	| 'type-gone'
	| 'drill-failed';

/**
State of the Barbican key a resource depends on. `none`: not encrypted. `unknown`: could not be checked.
*/
export type KeyState = 'present' | 'missing' | 'unknown' | 'none';

/**
One row of the TUI's resource tables.
*/
export type ResourceSummary = {
	ref: ResourceRef;
	protection: Protection;
	/**
	When the data of the newest usable backup was taken (ISO).
	*/
	lastBackupAt?: string;
	/**
	Backups only: whether it would restore.
	*/
	restorability?: Restorability;
	/**
	Backups only: the newest restore drill (backup metadata or the local drill log).
	*/
	drill?: {at: string; result: 'ok' | 'failed'; reason?: string};
	encrypted: boolean;
	keyState: KeyState;
	/**
	Worst severity among the resource's own findings; `ok` when it has none.
	*/
	severity: Severity;
};
