/*
The domain model every screen and command reads: one project's inventory, the findings about it, the key graph.
Plain data (JSON-serialisable), so it can be cached and compared in tests.
*/
import type {
	Backup, Image, Project, Secret, Server, ServiceName, Snapshot, Volume, VolumeType,
} from '../openstack/types.js';

export type ResourceKind = 'volume' | 'backup' | 'snapshot' | 'server' | 'image' | 'secret' | 'volume-type' | 'project';

/** Whether a service could be read for this inventory. `unavailable` and `forbidden` are recorded, never fatal. */
export type SourceState =
	| {state: 'ok'}
	| {state: 'missing'; reason: string}
	| {state: 'forbidden'; reason: string}
	| {state: 'error'; reason: string};

export type Inventory = {
	cloud: string;
	region?: string;
	project: Project;
	/** ISO timestamp of when the reading finished. */
	readAt: string;
	sources: Record<ServiceName, SourceState>;
	volumes: Volume[];
	backups: Backup[];
	snapshots: Snapshot[];
	servers: Server[];
	images: Image[];
	/** Metadata only; `undefined` when Barbican could not be read (see `sources.barbican`). */
	secrets?: Secret[];
	volumeTypes: VolumeType[];
};

export type Severity = 'critical' | 'warning' | 'info' | 'ok';

export type ResourceRef = {
	kind: ResourceKind;
	id: string;
	name?: string;
};

export type FindingCode =
	| 'volume.protected'
	| 'volume.stale'
	| 'volume.unprotected'
	| 'volume.snapshot-only'
	| 'volume.last-backup-error'
	| 'backup.incremental-without-full'
	| 'key.missing'
	| 'key.unknown'
	| 'backup.source-type-unknown'
	| 'backup.source-type-deleted'
	| 'server.ephemeral-unprotected'
	| 'server.ephemeral-protected'
	| 'server.bfv-image-not-backup'
	| 'server.volumes-unprotected'
	| 'server.volumes-protected'
	| 'image.key-missing'
	| 'secret.orphan'
	| 'secret.referenced-missing'
	| (string & {});

export type Finding = {
	code: FindingCode;
	severity: Severity;
	resource: ResourceRef;
	/** One line: what is wrong (or right), in words an operator under stress understands. */
	reason: string;
	/** One line: what to do about it. Empty when nothing needs doing. */
	action: string;
	/** Other resources the finding is about (the backup that is stale, the missing key…). */
	related?: ResourceRef[];
};

export type Policy = {
	/** Recovery point objective: a backup older than this is stale. Hours. */
	rpoHours: number;
	/** Severity per finding code, overriding the defaults. */
	severities: Partial<Record<FindingCode, Severity>>;
};
