/*
The shapes the client hands to the rest of backstack: plain, serialisable data.

- Timestamps are ISO 8601 strings in UTC with a `Z` (Cinder's and Barbican's naive ones are UTC and get the `Z` added here).
- Field names are camelCase; OpenStack statuses are kept verbatim as strings.
- `raw` is the resource exactly as the service returned it (for the "raw JSON" view); it never holds a token or a secret payload.
*/

export type ServiceName = 'identity' | 'cinder' | 'glance' | 'nova' | 'barbican';

export type VolumeStatus =
	| 'creating' | 'available' | 'reserved' | 'attaching' | 'detaching' | 'in-use' | 'maintenance'
	| 'deleting' | 'awaiting-transfer' | 'error' | 'error_deleting' | 'backing-up' | 'restoring-backup'
	| 'error_backing-up' | 'error_restoring' | 'error_extending' | 'downloading' | 'uploading'
	| 'retyping' | 'extending' | (string & {});

export type BackupStatus = 'creating' | 'available' | 'deleting' | 'error' | 'error_deleting' | 'restoring' | (string & {});

export type SnapshotStatus = 'creating' | 'available' | 'backing-up' | 'deleting' | 'deleted' | 'error' | 'error_deleting' | 'restoring' | (string & {});

export type ImageStatus = 'queued' | 'saving' | 'active' | 'killed' | 'deleted' | 'pending_delete' | 'deactivated' | 'uploading' | 'importing' | (string & {});

export type Project = {
	id: string;
	name: string;
	domainId?: string;
	enabled: boolean;
};

export type TokenInfo = {
	userId: string;
	userName: string;
	userDomainId?: string;
	projectId: string;
	projectName: string;
	projectDomainId?: string;
	roles: string[];
	expiresAt: string;
	issuedAt: string;
};

export type Endpoint = {
	serviceType: string;
	serviceName?: string;
	interface: string;
	region?: string;
	url: string;
};

export type VolumeAttachment = {
	serverId: string;
	attachmentId?: string;
	device?: string;
	attachedAt?: string;
};

export type Volume = {
	id: string;
	name: string;
	description?: string;
	status: VolumeStatus;
	/**
	GiB
	*/
	size: number;
	volumeType?: string;
	volumeTypeId?: string;
	encrypted: boolean;
	/**
	Present from microversion 3.64, only for encrypted volumes.
	*/
	encryptionKeyId?: string;
	bootable: boolean;
	availabilityZone?: string;
	snapshotId?: string;
	sourceVolumeId?: string;
	attachments: VolumeAttachment[];
	metadata: Record<string, string>;
	createdAt: string;
	updatedAt?: string;
	projectId?: string;
	raw: Record<string, unknown>;
};

export type Backup = {
	id: string;
	name: string;
	description?: string;
	status: BackupStatus;
	failReason?: string;
	/**
	GiB of the source volume, not of the data.
	*/
	size: number;
	volumeId: string;
	snapshotId?: string;
	isIncremental: boolean;
	hasDependentBackups: boolean;
	/**
	Present from microversion 3.64, only for encrypted backups.
	*/
	encryptionKeyId?: string;
	/**
	From microversion 3.43.
	*/
	metadata: Record<string, string>;
	container?: string;
	availabilityZone?: string;
	objectCount?: number;
	createdAt: string;
	updatedAt?: string;
	dataTimestamp?: string;
	projectId?: string;
	raw: Record<string, unknown>;
};

export type Snapshot = {
	id: string;
	name: string;
	description?: string;
	status: SnapshotStatus;
	size: number;
	volumeId: string;
	metadata: Record<string, string>;
	createdAt: string;
	updatedAt?: string;
	progress?: string;
	/**
	`os-extended-snapshot-attributes:project_id`.
	*/
	projectId?: string;
	raw: Record<string, unknown>;
};

export type VolumeType = {
	id: string;
	name: string;
	description?: string;
	isPublic: boolean;
	extraSpecs: Record<string, string>;
	raw: Record<string, unknown>;
};

/**
`GET /volumes/{id}/encryption` (project reader) or `GET /types/{id}/encryption` (admin).
*/
export type EncryptionSpec = {
	encryptionKeyId?: string;
	provider?: string;
	cipher?: string;
	keySize?: number;
	controlLocation?: string;
};

export type UserMessage = {
	id: string;
	eventId: string;
	userMessage: string;
	messageLevel: string;
	resourceType?: string;
	resourceUuid?: string;
	requestId?: string;
	createdAt: string;
	raw: Record<string, unknown>;
};

export type Image = {
	id: string;
	name: string;
	status: ImageStatus;
	visibility: string;
	owner?: string;
	/**
	Bytes; undefined until data is uploaded.
	*/
	size?: number;
	diskFormat?: string;
	containerFormat?: string;
	checksum?: string;
	hashAlgo?: string;
	hashValue?: string;
	hidden: boolean;
	protected: boolean;
	createdAt: string;
	updatedAt?: string;
	/**
	Nova snapshot of an image-backed server.
	*/
	instanceUuid?: string;
	/**
	`snapshot` or `backup` when Nova made it.
	*/
	imageType?: string;
	/**
	Parsed `block_device_mapping` (a JSON string in Glance) of a boot-from-volume server's image.
	*/
	blockDeviceMapping?: Array<Record<string, unknown>>;
	/**
	Set by Cinder when an encrypted volume is uploaded (`cinder_encryption_key_id`, or on newer clouds `os_encrypt_key_id`).
	*/
	cinderEncryptionKeyId?: string;
	cinderEncryptionKeyDeletionPolicy?: string;
	/**
	Every extra (string) property, as Glance returned it.
	*/
	properties: Record<string, string>;
	raw: Record<string, unknown>;
};

export type Server = {
	id: string;
	name: string;
	status: string;
	taskState?: string;
	/**
	Undefined for a boot-from-volume server (Nova returns `image: ""`).
	*/
	imageId?: string;
	bootFromVolume: boolean;
	attachedVolumeIds: string[];
	flavorId?: string;
	/**
	What the server says of its flavor: from microversion 2.47 the flavor itself (name, vCPUs, RAM, disk, no ID), before
	only its ID.
	*/
	flavor: ServerFlavor;
	keyName?: string;
	availabilityZone?: string;
	createdAt: string;
	updatedAt?: string;
	metadata: Record<string, string>;
	/**
	`tenant_id`.
	*/
	projectId?: string;
	raw: Record<string, unknown>;
};

export type ServerFlavor = {
	id?: string;
	name?: string;
	vcpus?: number;
	ramMiB?: number;
	diskGiB?: number;
};

export type Flavor = {
	id: string;
	name: string;
	vcpus: number;
	ramMiB: number;
	diskGiB: number;
	raw: Record<string, unknown>;
};

/**
A server to boot (`POST /servers`). Volumes are attached by block_device_mapping_v2 (source and destination volume, never
deleted with the server); the one with `boot` is the root disk (boot index 0) and `imageRef` is then absent.
*/
export type CreateServerRequest = {
	name: string;
	flavorRef: string;
	imageRef?: string;
	volumes?: Array<{volumeId: string; device?: string; boot?: boolean}>;
	/**
	`none` or `auto` (microversion 2.37).
	*/
	networks: 'none' | 'auto';
	metadata?: Record<string, string>;
	keyName?: string;
	/**
	Base64, as Nova takes it.
	*/
	userData?: string;
	availabilityZone?: string;
};

/**
Barbican secret metadata. Payloads never appear in this type.
*/
export type Secret = {
	id: string;
	name?: string;
	status: string;
	secretType: string;
	algorithm?: string;
	bitLength?: number;
	mode?: string;
	expiration?: string;
	createdAt: string;
	updatedAt?: string;
	creatorId?: string;
	contentTypes?: Record<string, string>;
	raw: Record<string, unknown>;
};

export type Microversion = {
	min: string;
	max: string;
};

/**
Reported while bytes move (image download/upload).
*/
export type ByteProgress = {
	transferred: number;
	total?: number;
};
