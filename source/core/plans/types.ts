/*
A plan is data: a list of steps that three readers interpret (describe.ts, execute.ts, cli-export.ts).

Everything here is JSON-serialisable so that a plan can be printed, exported, written to the journal and resumed
by another process. A plan never holds a secret payload or a token: files are named by path and read when the step runs.
*/
import type {ResourceKind} from '../model.js';
import type {BundleManifestDraft} from '../bundle/manifest.js';

/**
How much a step can hurt. `destroy` overwrites or deletes data the user has.
*/
export type Danger = 'read' | 'create' | 'mutate' | 'destroy';

/**
A value produced by an earlier step (`outputs[output]` of step `$ref`), known only while the plan runs.
*/
export type Ref = {
	$ref: string;
	output: string;
};

export type Value<T> = T | Ref;

/**
What a plan creates, confirms or journals: any kind but a project.
*/
export type PlanResourceKind = Exclude<ResourceKind, 'project'>;

/**
The operations a step can perform: one per API call (or local file work) the executor knows.
*/
export type Operations = {
	'cinder.createVolume': {
		size?: Value<number>;
		name?: string;
		description?: string;
		volumeType?: string;
		/**
		Microversion 3.47.
		*/
		backupId?: string;
		imageRef?: Value<string>;
		snapshotId?: Value<string>;
		metadata?: Record<string, string>;
	};
	/**
	Without `volumeId` Cinder creates a volume of the DEFAULT type: the executor refuses that for an encrypted backup.
	*/
	'cinder.restoreBackup': {backupId: string; volumeId?: Value<string>; name?: string};
	'cinder.createBackup': {
		volumeId: Value<string>;
		name?: string;
		description?: string;
		incremental?: boolean;
		force?: boolean;
		metadata?: Record<string, string>;
	};
	'cinder.createSnapshot': {volumeId: Value<string>; name?: string; force?: boolean};
	/**
	Adds or changes these keys of a backup's metadata (3.43) and keeps the others (a drill's result).
	*/
	'cinder.setBackupMetadata': {backupId: Value<string>; metadata: Record<string, string>};
	/**
	Reads a volume a restore made and fails unless it is what a real restore needs (a drill's proof): available, at least
	`minSize` GiB, of `volumeType` when given, with a key of its own when `encrypted`. Changes nothing.
	*/
	'cinder.verifyRestoredVolume': {
		volumeId: Value<string>;
		minSize: number;
		volumeType?: {id?: string; name?: string};
		encrypted: boolean;
		/**
		What `minSize` comes from, named in the message (default the backup).
		*/
		sizeFrom?: 'backup' | 'bundle';
	};
	'cinder.uploadVolumeToImage': {volumeId: Value<string>; imageName: string; force?: boolean; diskFormat?: string; containerFormat?: string};
	'cinder.deleteVolume': {volumeId: Value<string>};
	'cinder.deleteSnapshot': {snapshotId: Value<string>};
	'glance.createImage': {
		name: string;
		diskFormat: string;
		containerFormat: string;
		minDisk?: number;
		minRam?: number;
		properties?: Record<string, Value<string>>;
	};
	/**
	Reads image `imageId` and fails unless it is active and Glance's size and checksums of its data equal the recorded
	ones (a bundle's manifest): the MD5 `checksum`, and `os_hash_value` when Glance hashes with the recorded algorithm
	(or with sha256, which the bundle records itself). At least one hash must be compared. Changes nothing.
	*/
	'glance.verifyImageData': {
		imageId: Value<string>;
		size: number;
		checksum?: string;
		hashAlgo?: string;
		hashValue?: string;
		sha256?: string;
		/**
		What the bytes are, for messages (e.g. "the bundle's image-….raw").
		*/
		label: string;
	};
	'glance.uploadImageData': {imageId: Value<string>; path: string};
	'glance.downloadImage': {imageId: Value<string>; path: string};
	'glance.setImageProperties': {imageId: Value<string>; properties: Record<string, Value<string>>};
	/**
	Reads Glance's hash of `imageId` (os_hash_value, sha512 by default; the MD5 checksum where the algorithms differ) and
	fails unless it equals the reference: another image's (a volume uploaded the same way) or a sha512 recorded earlier;
	outputs `compared` = yes|no, the `reference` label, the `algorithm` and `hash` compared, and the image's `sha512`.
	`referenceLabel` says in the failure what the reference was (e.g. "the source volume"). Changes nothing.
	*/
	'glance.compareImageHash': {
		imageId: Value<string>;
		/**
		None: the hash is only read (there is nothing to compare it with).
		*/
		reference?: {imageId: Value<string>} | {sha512: string};
		referenceLabel: string;
		/**
		What a mismatch may mean besides a damaged backup (the source changed since the backup).
		*/
		mismatchHint?: string;
	};
	/**
	Downloads image `imageId` (an encrypted volume's upload: a LUKS1 container) as a stream, decrypts it with the image's
	own key (its cinder_encryption_key_id, read from Barbican into memory only, never written) and hashes the plaintext
	with sha512 (core/luks-reader.ts); with a `reference`, fails unless the hash equals it. Outputs `compared` = yes|no,
	the `reference` label, the `algorithm` (sha512), `hash` and `sha512` (both the plaintext's), `hashOf` = plaintext, the
	plaintext's `bytes` and the `cipher`. A key this user cannot read, an image without a key or a format the reader does
	not know fail inconclusive (InconclusiveError); so does any problem with a `reference` subject, while a restored
	volume's image that its own key does not open (or whose header or sectors are damaged) fails outright. Changes nothing.
	*/
	'glance.hashImagePlaintext': {
		imageId: Value<string>;
		/**
		Whose bytes these are: the restored volume's (the drill's subject) or its reference's (the source volume's).
		*/
		subject: 'restored' | 'reference';
		/**
		What the image is, for messages ("the restored volume's image").
		*/
		label: string;
		reference?: {sha512: Value<string>};
		referenceLabel?: string;
		/**
		What a mismatch may mean besides a damaged backup (the source changed since the backup).
		*/
		mismatchHint?: string;
	};
	/**
	Properties the image does not have are skipped: repeating the step (a resumed plan) changes nothing.
	*/
	'glance.removeImageProperties': {imageId: Value<string>; keys: string[]};
	'nova.createServerImage': {serverId: string; name: string; metadata?: Record<string, string>};
	'barbican.storeSecret': {
		path: string;
		name?: string;
		algorithm?: string;
		bitLength?: number;
		mode?: string;
		secretType?: string;
	};
	'barbican.exportSecret': {secretId: string; path: string; hexPath?: string};
	/**
	Writes the key of an image of an encrypted volume (its `cinder_encryption_key_id`, the clone Cinder made for it) to a
	new file (0600); outputs the `path` and the `secretId` read. Fails when the image has no key.
	*/
	'barbican.exportImageKey': {imageId: Value<string>; path: string};
	/**
	Creates the bundle's directory (mode 0700), or takes an existing one that holds nothing but files named in `ours`.
	*/
	'bundle.makeDirectory': {path: string; ours: string[]; itemId: string};
	/**
	Hashes the bundle's files, checks them against Glance's checksums and the sizes planned, and writes manifest.json
	atomically: the last file of a bundle.
	*/
	'bundle.writeManifest': {directory: string; manifest: BundleManifestDraft};
};

export type OperationName = keyof Operations;

export type Action = {[K in OperationName]: {op: K; args: Operations[K]}}[OperationName];

/**
What a step's call creates; the executor records it in the journal the moment the call returns.
*/
export type Creates = {
	kind: PlanResourceKind;
	/**
	The output that holds the new resource's ID (or the file path).
	*/
	output: string;
	name?: string;
	/**
	Removed at the end of the plan whatever happens (snapshot detour).
	*/
	temporary: boolean;
};

/**
Preconditions, checked against the cloud before anything changes. They never reference refs.
*/
export type Check =
	| {kind: 'volume-status'; volumeId: string; in: string[]}
	| {kind: 'volume-min-size'; volumeId: string; size: number}
	| {kind: 'volume-type-is'; volumeId: string; volumeType: string}
	| {kind: 'backup-status'; backupId: string; in: string[]}
	| {kind: 'snapshot-status'; snapshotId: string; in: string[]}
	| {kind: 'volume-type-exists'; volumeType: string}
	| {kind: 'secret-exists'; secretId: string}
	| {kind: 'image-status'; imageId: string; in: string[]}
	| {kind: 'server-status'; serverId: string; in: string[]}
	| {kind: 'available-full-backup'; volumeId: string}
	| {kind: 'microversion'; service: 'cinder' | 'nova'; atLeast: string}
	| {kind: 'file-readable'; path: string}
	| {kind: 'file-absent'; path: string}
	/**
	The directory `path` is to be written in (or, while it does not exist yet, its nearest existing parent) is writable and
	its file system has room for `bytes` more (less what a `<path>.part` of an earlier run already holds).
	*/
	| {kind: 'room-for-file'; path: string; bytes: number};

export type WaitResource = 'volume' | 'backup' | 'snapshot' | 'image';

export type Wait = {
	resource: WaitResource;
	id: Value<string>;
	/**
	Statuses that mean done.
	*/
	until: string[];
	/**
	Statuses that mean failed: the wait stops at once.
	*/
	failOn: string[];
	timeoutMs: number;
};

export type Step = {
	/**
	Kebab-case, unique within the plan.
	*/
	id: string;
	title: string;
	danger: Danger;
	checks: Check[];
	action: Action;
	creates?: Creates;
	wait?: Wait;
	/**
	Steps that must be done before this one (concurrent plans only; a sequential plan runs in order).
	*/
	after?: string[];
	/**
	One line shown in previews (e.g. "crash-consistent: the volume is in use").
	*/
	note?: string;
};

export type Confirmation = {
	/**
	What the user must type, exactly.
	*/
	text: string;
	resource: {kind: PlanResourceKind; id: string; name?: string};
	reason: string;
};

export type Plan = {
	/**
	Unique; names the journal file.
	*/
	id: string;
	kind: string;
	title: string;
	createdAt: string;
	steps: Step[];
	/**
	When set, independent steps run at most this many at a time; otherwise steps run one after the other.
	*/
	concurrency?: number;
	/**
	Shown before the plan runs (plaintext key on disk, crash consistency, what is not in an image...).
	*/
	warnings: string[];
	/**
	Present when a step destroys data: the run is refused without this exact text.
	*/
	confirmation?: Confirmation;
	/**
	Outputs the plan reports when done, by label.
	*/
	results?: Record<string, Ref>;
	/**
	Result label → the ID of the resource that result stands in for (the old secret of a restored one, a bundle item's
	source): Terraform/OpenTofu can then adopt the new resource at the old one's address (core/iac/adopt.ts).
	*/
	replaces?: Record<string, string>;
};

/**
What a planner returns: a plan, a refusal (nothing was changed), or a question.
*/
export type PlanResult =
	| {kind: 'plan'; plan: Plan}
	| {kind: 'refusal'; reason: string}
	| {kind: 'needs-input'; field: string; question: string; options: Array<{value: string; label: string}>};

export type StepState = 'pending' | 'running' | 'done' | 'failed' | 'skipped' | 'cancelled';

export type CreatedResource = {
	kind: PlanResourceKind;
	id: string;
	name?: string;
	stepId: string;
	temporary: boolean;
	/**
	Set once the executor (or cleanupPlan) removed it.
	*/
	removed?: boolean;
	/**
	A file's device and inode when backstack created it (decimal strings): cleanup deletes the file only while the path
	still names that same file. `id` is then the absolute path.
	*/
	file?: FileIdentity;
};

/**
Device and inode, and the birth time in nanoseconds where the file system keeps one: a file made after the original
was deleted often gets the same inode number, never the same birth time.
*/
export type FileIdentity = {dev: string; ino: string; birth?: string};

export type PlanEvent =
	| {type: 'plan-start'; planId: string; at: number; resumed: boolean}
	| {type: 'check-failed'; stepId: string; check: Check; reason: string; at: number}
	| {type: 'checks-passed'; at: number}
	| {type: 'step-start'; stepId: string; at: number}
	| {type: 'request'; stepId: string; op: OperationName; summary: string; at: number}
	| {type: 'created'; stepId: string; resource: CreatedResource; at: number}
	| {type: 'status'; stepId: string; resource: WaitResource; id: string; status: string; at: number}
	| {type: 'bytes'; stepId: string; transferred: number; total?: number; rate?: number; at: number}
	| {type: 'step-done'; stepId: string; outputs: Record<string, string | number>; at: number}
	/**
	`inconclusive`: the step could not decide (an InconclusiveError), which says nothing about what it checks.
	*/
	| {type: 'step-failed'; stepId: string; reason: string; inconclusive?: true; at: number}
	| {type: 'cleanup-start'; resource: CreatedResource; at: number}
	/**
	`alreadyGone`: there was nothing left to remove (a file someone else deleted).
	*/
	| {type: 'cleanup-done'; resource: CreatedResource; alreadyGone?: boolean; at: number}
	| {type: 'cleanup-failed'; resource: CreatedResource; reason: string; at: number}
	/**
	Resources the plan created and left in place (kept results, or a failure's leftovers the user may delete).
	*/
	| {type: 'cleanup-offered'; resources: CreatedResource[]; at: number}
	| {type: 'plan-done'; results: Record<string, string | number>; at: number}
	| {type: 'plan-failed'; reason: string; stepId?: string; at: number}
	| {type: 'plan-cancelled'; at: number};

/**
Time as the executor sees it; tests pass a fast one.
*/
export type Clock = {
	now(): number;
	sleep(ms: number, signal?: AbortSignal): Promise<void>;
};
