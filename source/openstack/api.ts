/*
What the rest of backstack may ask of an OpenStack cloud. `session.ts` implements it over HTTP.

Conventions:
- Every list is an async iterator that follows the service's own pagination to the end.
- Every call accepts `{signal}` to cancel it.
- Failures throw `OpenStackError` (errors.ts); a missing resource on a `get…` is `undefined` only where the name says `find…`.
- Writes are never retried blindly.
*/
import type {
	Backup,
	ByteProgress,
	CreateServerRequest,
	EncryptionSpec,
	Endpoint,
	Flavor,
	Image,
	Microversion,
	Project,
	Secret,
	Server,
	ServiceName,
	Snapshot,
	TokenInfo,
	UserMessage,
	Volume,
	VolumeType,
} from './types.js';

export type CallOptions = {
	signal?: AbortSignal;
};

export type ListOptions = CallOptions & {
	/**
	Page size to ask for; the service may cap it.
	*/
	pageSize?: number;
	/**
	Admin: every project's resources (`all_tenants=1`).
	*/
	allProjects?: boolean;
	/**
	False: each item comes with an empty `raw`, dropped as soon as its page is read (a big list then holds each
	resource once, not twice, while its pages wait their turn). Default true.
	*/
	keepRaw?: boolean;
};

export type CinderListOptions = ListOptions & {
	/**
	Only items with all these metadata pairs (Cinder's `metadata` filter: volumes, and snapshots from 3.22). The caller
	still checks each item: a Cinder that ignores the filter lists everything.
	*/
	metadata?: Record<string, string>;
};

export type IdentityApi = {
	token(): TokenInfo;
	catalog(): Endpoint[];
	/**
	`GET /v3/auth/projects`.
	*/
	listProjects(options?: CallOptions): Promise<Project[]>;
	/**
	`GET /v3/projects`: every project of the cloud, for an admin (403 for others).
	*/
	listAllProjects?(options?: CallOptions): Promise<Project[]>;
};

export type CreateVolumeRequest = {
	size: number;
	name?: string;
	description?: string;
	/**
	Name or ID.
	*/
	volumeType?: string;
	/**
	Microversion 3.47.
	*/
	backupId?: string;
	imageRef?: string;
	snapshotId?: string;
	metadata?: Record<string, string>;
};

export type CreateBackupRequest = {
	volumeId: string;
	name?: string;
	description?: string;
	incremental?: boolean;
	force?: boolean;
	snapshotId?: string;
	/**
	Microversion 3.43.
	*/
	metadata?: Record<string, string>;
};

export type RestoreResult = {
	backupId: string;
	volumeId: string;
	volumeName?: string;
};

export type CreateEncryptedTypeRequest = {
	name: string;
	description?: string;
	provider?: string;
	cipher?: string;
	keySize?: number;
	controlLocation?: string;
};

export type UploadToImageRequest = {
	imageName: string;
	force?: boolean;
	diskFormat?: string;
	containerFormat?: string;
};

/**
The project's volume quota and usage, from `GET /v3/{project_id}/limits` (absolute). -1 is unlimited.
*/
export type VolumeLimits = {maxVolumes: number; volumesUsed: number; maxGigabytes: number; gigabytesUsed: number};

export type CinderApi = {
	microversion: Microversion;
	listVolumes(options?: CinderListOptions): AsyncIterable<Volume>;
	getVolume(id: string, options?: CallOptions): Promise<Volume>;
	findVolume(id: string, options?: CallOptions): Promise<Volume | undefined>;
	createVolume(request: CreateVolumeRequest, options?: CallOptions): Promise<Volume>;
	deleteVolume(id: string, options?: CallOptions): Promise<void>;
	/**
	`PUT /volumes/{id}` with the name only (Cinder allows it in any status but maintenance).
	*/
	renameVolume(id: string, name: string, options?: CallOptions): Promise<void>;
	getVolumeEncryption(volumeId: string, options?: CallOptions): Promise<EncryptionSpec>;
	uploadVolumeToImage(volumeId: string, request: UploadToImageRequest, options?: CallOptions): Promise<{imageId: string}>;

	listBackups(options?: ListOptions): AsyncIterable<Backup>;
	getBackup(id: string, options?: CallOptions): Promise<Backup>;
	findBackup(id: string, options?: CallOptions): Promise<Backup | undefined>;
	createBackup(request: CreateBackupRequest, options?: CallOptions): Promise<{id: string}>;
	/**
	REPLACES the backup's metadata with `metadata` (3.43): Cinder deletes every key not sent. Read, merge, then write to
	add keys (the `cinder.setBackupMetadata` operation does).
	*/
	updateBackupMetadata(id: string, metadata: Record<string, string>, options?: CallOptions): Promise<void>;
	deleteBackup(id: string, options?: CallOptions): Promise<void>;
	/**
	Without `volumeId` Cinder creates a volume of the default type: never do that for an encrypted backup.
	*/
	restoreBackup(id: string, target: {volumeId?: string; name?: string}, options?: CallOptions): Promise<RestoreResult>;

	listSnapshots(options?: CinderListOptions): AsyncIterable<Snapshot>;
	getSnapshot(id: string, options?: CallOptions): Promise<Snapshot>;
	createSnapshot(request: {volumeId: string; name?: string; force?: boolean; metadata?: Record<string, string>}, options?: CallOptions): Promise<Snapshot>;
	deleteSnapshot(id: string, options?: CallOptions): Promise<void>;

	listVolumeTypes(options?: CallOptions): Promise<VolumeType[]>;
	getVolumeType(idOrName: string, options?: CallOptions): Promise<VolumeType>;
	/**
	Admin only by default.
	*/
	getVolumeTypeEncryption(typeId: string, options?: CallOptions): Promise<EncryptionSpec | undefined>;
	/**
	Admin only. Creates the type and its encryption spec.
	*/
	createEncryptedVolumeType(request: CreateEncryptedTypeRequest, options?: CallOptions): Promise<VolumeType>;
	deleteVolumeType(id: string, options?: CallOptions): Promise<void>;
	/**
	`GET /limits`: the project's volumes and gigabytes quota and what is used of it.
	*/
	getLimits(options?: CallOptions): Promise<VolumeLimits>;

	listMessages(filter?: {resourceUuid?: string}, options?: CallOptions): Promise<UserMessage[]>;
};

export type CreateImageRequest = {
	name: string;
	diskFormat: string;
	containerFormat: string;
	visibility?: string;
	/**
	GiB and MiB a server booted from the image needs.
	*/
	minDisk?: number;
	minRam?: number;
	/**
	Extra properties (strings), e.g. `cinder_encryption_key_id`.
	*/
	properties?: Record<string, string>;
};

export type DownloadOptions = CallOptions & {
	/**
	Resume from this byte (Range request).
	*/
	offset?: number;
	/**
	With `offset`: the bytes already held (usually read back from the partial file), so that the checksum covers the whole image.
	*/
	prefix?: AsyncIterable<Uint8Array>;
	onProgress?: (progress: ByteProgress) => void;
};

export type GlanceApi = {
	/**
	Both visible and hidden (`os_hidden`) images.
	*/
	listImages(options?: ListOptions): AsyncIterable<Image>;
	getImage(id: string, options?: CallOptions): Promise<Image>;
	findImage(id: string, options?: CallOptions): Promise<Image | undefined>;
	createImage(request: CreateImageRequest, options?: CallOptions): Promise<Image>;
	/**
	Streams `data` to `PUT /v2/images/{id}/file`.
	*/
	uploadImageData(id: string, data: AsyncIterable<Uint8Array>, options?: CallOptions & {size?: number; onProgress?: (progress: ByteProgress) => void}): Promise<void>;
	/**
	Streams the image's bytes; the caller writes them. Throws when the checksum at the end does not match.
	*/
	downloadImage(id: string, options?: DownloadOptions): AsyncIterable<Uint8Array>;
	/**
	Replace or add string properties (JSON patch).
	*/
	setImageProperties(id: string, properties: Record<string, string>, options?: CallOptions): Promise<Image>;
	/**
	Removes these properties (JSON patch `remove`, as `openstack image unset --property`); the ones the image does not
	have are skipped, so the call can be repeated. Returns the image as Glance left it.
	*/
	removeImageProperties(id: string, keys: string[], options?: CallOptions): Promise<Image>;
	deleteImage(id: string, options?: CallOptions): Promise<void>;
};

export type NovaApi = {
	microversion: Microversion;
	listServers(options?: ListOptions): AsyncIterable<Server>;
	getServer(id: string, options?: CallOptions): Promise<Server>;
	/**
	`createImage` action; returns the new image's ID (body at ≥2.45, `Location` before).
	*/
	createServerImage(id: string, request: {name: string; metadata?: Record<string, string>}, options?: CallOptions): Promise<{imageId: string}>;
	/**
	`undefined` when Nova answers 404.
	*/
	findServer(id: string, options?: CallOptions): Promise<Server | undefined>;
	listFlavors(options?: CallOptions): Promise<Flavor[]>;
	getFlavor(id: string, options?: CallOptions): Promise<Flavor>;
	/**
	The user's key pair of this name (key pairs belong to users, not projects); `undefined` when Nova answers 404.
	*/
	findKeyPair(name: string, options?: CallOptions): Promise<{name: string} | undefined>;
	createServer(request: CreateServerRequest, options?: CallOptions): Promise<{id: string}>;
	deleteServer(id: string, options?: CallOptions): Promise<void>;
};

export type StoreSecretRequest = {
	name?: string;
	payload: Uint8Array;
	algorithm?: string;
	bitLength?: number;
	mode?: string;
	secretType?: string;
};

export type BarbicanApi = {
	/**
	`name`: only secrets of exactly this name (Barbican's `name=` filter).
	*/
	listSecrets(options?: ListOptions & {name?: string}): AsyncIterable<Secret>;
	getSecret(id: string, options?: CallOptions): Promise<Secret>;
	/**
	`undefined` when Barbican answers 404.
	*/
	findSecret(id: string, options?: CallOptions): Promise<Secret | undefined>;
	getSecretPayload(id: string, options?: CallOptions): Promise<Uint8Array>;
	getSecretMetadata(id: string, options?: CallOptions): Promise<Record<string, string>>;
	storeSecret(request: StoreSecretRequest, options?: CallOptions): Promise<{id: string}>;
	deleteSecret(id: string, options?: CallOptions): Promise<void>;
};

export type SwitchOptions = CallOptions & {
	/**
	Only these services (default: all). A service left out is `missing` in the new session.
	*/
	services?: readonly ServiceName[];
};

export type ServiceStatus =
	| {state: 'ok'; endpoint: string; microversion?: Microversion}
	| {state: 'missing'; reason: string}
	| {state: 'error'; reason: string};

/**
A project-scoped, authenticated connection to one cloud.
*/
export type CloudSession = {
	cloudName: string;
	region?: string;
	identity: IdentityApi;
	/**
	Undefined when the catalog has no such service.
	*/
	cinder?: CinderApi;
	glance?: GlanceApi;
	nova?: NovaApi;
	barbican?: BarbicanApi;
	services(): Record<ServiceName, ServiceStatus>;
	/**
	A new session scoped to another of the user's projects, without asking for the password again.
	*/
	switchProject(projectId: string, options?: SwitchOptions): Promise<CloudSession>;
	close(): void;
	/**
	True when TLS certificates are not verified (`verify: false` / `insecure`): report it loudly.
	*/
	insecure?: boolean;
};
