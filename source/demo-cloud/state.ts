/* eslint-disable unicorn/prefer-iterator-helpers, unicorn/prefer-iterator-to-array -- the project's TypeScript lib has no iterator helpers. */
/* eslint-disable @typescript-eslint/naming-convention -- OpenStack's wire format is snake_case. */
/* eslint-disable @typescript-eslint/no-restricted-types -- node:http and node:crypto hand out Buffers. */
/*
The demo cloud's memory: identity, Cinder, Glance, Nova and Barbican records, plus the clock that moves statuses along.
Operations that several services share (cloning a key the way Cinder does, deleting it with its resource) live here.
*/
import {Buffer} from 'node:buffer';
import {createHash, randomBytes} from 'node:crypto';
import {hexId, uuid} from './http.js';
import {Table} from './paging.js';

export type Delays = {
	volumeCreate: number;
	volumeDelete: number;
	backupCreate: number;
	backupDelete: number;
	restore: number;
	snapshotCreate: number;
	snapshotDelete: number;
	imageUpload: number;
	serverImage: number;
	serverCreate: number;
	serverDelete: number;
};

/**
Milliseconds at timeScale 1; roughly what the real Zed cloud took.
*/
export const defaultDelays: Delays = {
	volumeCreate: 3000,
	volumeDelete: 1500,
	backupCreate: 2500,
	backupDelete: 1500,
	restore: 2000,
	snapshotCreate: 1500,
	snapshotDelete: 1000,
	imageUpload: 3000,
	serverImage: 3000,
	serverCreate: 4000,
	serverDelete: 2000,
};

export type ProjectRecord = {id: string; name: string; domainId: string; description: string; enabled: boolean};
export type UserRecord = {id: string; name: string; domainId: string; password: string; email?: string; defaultProjectId?: string};
export type AppCredentialRecord = {
	id: string;
	name: string;
	secret: string;
	userId: string;
	projectId: string;
	roles: string[];
	description: string | null;
	unrestricted: boolean;
	expiresAt?: number;
};
export type TokenRecord = {
	id: string;
	userId: string;
	projectId?: string;
	methods: string[];
	issuedAt: number;
	expiresAt: number;
	auditId: string;
	applicationCredentialId?: string;
};

export type EncryptionRecord = {
	encryptionId: string;
	provider: string;
	cipher: string;
	keySize: number;
	controlLocation: string;
	createdAt: number;
};

export type VolumeTypeRecord = {
	id: string;
	name: string;
	description: string | null;
	isPublic: boolean;
	extraSpecs: Record<string, string>;
	encryption?: EncryptionRecord;
	createdAt: number;
	deleted: boolean;
};

export type AttachmentRecord = {serverId: string; attachmentId: string; device: string; attachedAt: number};

export type VolumeRecord = {
	id: string;
	projectId: string;
	userId: string;
	name: string | null;
	description: string | null;
	status: string;
	size: number;
	typeId: string;
	encryptionKeyId?: string;
	bootable: boolean;
	availabilityZone: string;
	snapshotId: string | null;
	sourceVolid: string | null;
	metadata: Record<string, string>;
	attachments: AttachmentRecord[];
	imageMetadata?: Record<string, string>;
	createdAt: number;
	updatedAt: number | null;
	/**
	Bytes "on disk"; generated from the ID when absent.
	*/
	content?: Buffer;
};

export type BackupRecord = {
	id: string;
	projectId: string;
	userId: string;
	name: string | null;
	description: string | null;
	status: string;
	failReason: string | null;
	size: number;
	volumeId: string;
	snapshotId: string | null;
	parentId: string | null;
	encryptionKeyId?: string;
	/**
	What cinder-backup stores inside the backup: the source's type, used by restore.
	*/
	sourceTypeId: string;
	/**
	Also stored inside the backup: the source volume's metadata when it was backed up. A restore replaces the target's
	metadata with it (plus `src_backup_id`), as Cinder's backup driver does.
	*/
	sourceMetadata: Record<string, string>;
	/**
	Also stored inside the backup: the source's image metadata (volume from an image); a restore writes it to the target.
	*/
	sourceImageMetadata?: Record<string, string>;
	metadata: Record<string, string>;
	objectCount: number;
	availabilityZone: string | null;
	createdAt: number;
	updatedAt: number | null;
	dataTimestamp: number;
	content?: Buffer;
};

export type SnapshotRecord = {
	id: string;
	projectId: string;
	userId: string;
	name: string | null;
	description: string | null;
	status: string;
	size: number;
	volumeId: string;
	metadata: Record<string, string>;
	createdAt: number;
	updatedAt: number | null;
};

export type MessageRecord = {
	id: string;
	projectId: string;
	eventId: string;
	userMessage: string;
	level: string;
	resourceType: string;
	resourceUuid: string;
	requestId: string;
	createdAt: number;
};

export type ImageRecord = {
	id: string;
	name: string | null;
	status: string;
	visibility: string;
	owner: string;
	size: number | null;
	virtualSize: number | null;
	diskFormat: string | null;
	containerFormat: string | null;
	checksum: string | null;
	hashAlgo: string | null;
	hashValue: string | null;
	minDisk: number;
	minRam: number;
	protected: boolean;
	hidden: boolean;
	tags: string[];
	properties: Record<string, string>;
	createdAt: number;
	updatedAt: number;
	data?: Buffer;
};

export type FlavorRecord = {id: string; name: string; vcpus: number; ram: number; disk: number; ephemeral: number; swap: number};

export type ServerRecord = {
	id: string;
	projectId: string;
	userId: string;
	name: string;
	status: string;
	vmState: string;
	taskState: string | null;
	/**
	Empty for boot-from-volume.
	*/
	imageId: string;
	flavorId: string;
	availabilityZone: string;
	metadata: Record<string, string>;
	volumesAttached: Array<{id: string; deleteOnTermination: boolean}>;
	/**
	The key pair it was booted with (a name of its user's), and its user data (base64), when it has them.
	*/
	keyName?: string;
	userData?: string;
	createdAt: number;
	updatedAt: number;
	launchedAt: number;
};

/**
A user's key pair (Nova's key pairs belong to users, not projects); only its public half, as Nova keeps it.
*/
export type KeyPairRecord = {name: string; userId: string; publicKey: string; fingerprint: string; createdAt: number};

export type SecretRecord = {
	id: string;
	projectId: string;
	creatorId: string;
	name: string | null;
	status: string;
	secretType: string;
	algorithm: string | null;
	bitLength: number | null;
	mode: string | null;
	expiration: string | null;
	createdAt: number;
	updatedAt: number;
	payload?: Buffer;
	contentType?: string;
	metadata: Record<string, string>;
};

export type Quotas = {volumes: number; gigabytes: number; snapshots: number; backups: number; backup_gigabytes: number};

export const defaultQuotas: Quotas = {
	volumes: 100, gigabytes: 2000, snapshots: 100, backups: 200, backup_gigabytes: 4000,
};

export class DemoState {
	private readonly timers = new Set<NodeJS.Timeout>();
	readonly domain = {id: 'default', name: 'Default'};
	readonly projects = new Map<string, ProjectRecord>();
	readonly users = new Map<string, UserRecord>();
	/**
	Role name → id.
	*/
	readonly roles = new Map<string, string>();
	/**
	ProjectId → userId → role names.
	*/
	readonly assignments = new Map<string, Map<string, Set<string>>>();
	readonly applicationCredentials = new Map<string, AppCredentialRecord>();
	readonly tokens = new Map<string, TokenRecord>();

	readonly volumeTypes = new Map<string, VolumeTypeRecord>();
	readonly volumes = new Table<VolumeRecord>();
	readonly backups = new Table<BackupRecord>();
	readonly snapshots = new Table<SnapshotRecord>();
	readonly messages = new Map<string, MessageRecord>();
	readonly quotas = new Map<string, Quotas>();

	readonly images = new Table<ImageRecord>();
	readonly flavors = new Map<string, FlavorRecord>();
	readonly servers = new Table<ServerRecord>();
	/**
	By `<user id>/<name>`.
	*/
	readonly keyPairs = new Map<string, KeyPairRecord>();
	readonly secrets = new Table<SecretRecord>();

	defaultTypeId = '';
	tokenTtlSeconds: number;
	timeScale: number;
	delays: Delays;

	constructor(options: {tokenTtlSeconds?: number; timeScale?: number; delays?: Partial<Delays>} = {}) {
		this.tokenTtlSeconds = options.tokenTtlSeconds ?? 3600;
		this.timeScale = options.timeScale ?? 1;
		this.delays = {...defaultDelays, ...options.delays};
		for (const role of ['admin', 'member', 'reader', 'creator', 'observer', 'audit', 'service']) {
			this.roles.set(role, hexId());
		}

		const defaultType = this.addVolumeType({name: '__DEFAULT__', description: 'Default Volume Type'}, Date.now() - (400 * 86_400_000));
		this.defaultTypeId = defaultType.id;
	}

	now(): number {
		return Date.now();
	}

	/**
	Runs `action` after `kind`'s delay (scaled).
	*/
	later(kind: keyof Delays, action: () => void, factor = 1): void {
		const ms = Math.max(0, this.delays[kind] * this.timeScale * factor);
		const timer = setTimeout(() => {
			this.timers.delete(timer);
			action();
		}, ms);
		this.timers.add(timer);
	}

	stop(): void {
		for (const timer of this.timers) {
			clearTimeout(timer);
		}

		this.timers.clear();
	}

	// Identity

	addProject(name: string, description = ''): ProjectRecord {
		const project: ProjectRecord = {
			id: hexId(), name, domainId: this.domain.id, description, enabled: true,
		};
		this.projects.set(project.id, project);
		return project;
	}

	addUser(name: string, password: string, defaultProjectId?: string): UserRecord {
		const user: UserRecord = {
			id: hexId(), name, domainId: this.domain.id, password, email: `${name}@example.org`, defaultProjectId,
		};
		this.users.set(user.id, user);
		return user;
	}

	grant(userId: string, projectId: string, roles: string[]): void {
		let byUser = this.assignments.get(projectId);
		if (!byUser) {
			byUser = new Map();
			this.assignments.set(projectId, byUser);
		}

		const set = byUser.get(userId) ?? new Set<string>();
		for (const role of roles) {
			set.add(role);
		}

		byUser.set(userId, set);
	}

	rolesOf(userId: string, projectId: string): string[] {
		return [...(this.assignments.get(projectId)?.get(userId) ?? [])];
	}

	projectByName(name: string): ProjectRecord | undefined {
		return [...this.projects.values()].find(project => project.name === name);
	}

	userByName(name: string): UserRecord | undefined {
		return [...this.users.values()].find(user => user.name === name);
	}

	// Barbican

	addSecret(fields: Partial<SecretRecord> & {projectId: string; creatorId: string}, at = this.now()): SecretRecord {
		const secret: SecretRecord = {
			id: uuid(),
			name: null,
			status: 'ACTIVE',
			secretType: 'opaque',
			algorithm: null,
			bitLength: null,
			mode: null,
			expiration: null,
			createdAt: at,
			updatedAt: at,
			metadata: {},
			...fields,
		};
		this.secrets.set(secret.id, secret);
		return secret;
	}

	/**
	A new volume key the way castellan orders one: unnamed symmetric AES key of the type's size.
	*/
	newVolumeKey(projectId: string, userId: string, encryption: EncryptionRecord, at = this.now()): SecretRecord {
		return this.addSecret({
			projectId,
			creatorId: userId,
			secretType: 'symmetric',
			algorithm: cipherAlgorithm(encryption.cipher),
			bitLength: encryption.keySize,
			payload: randomBytes(keyBytes(encryption.keySize)),
			contentType: 'application/octet-stream',
		}, at);
	}

	/**
	Cinder's key clone: same bytes and attributes, new UUID, owned by the requesting user. Undefined when the source key is gone.
	*/
	cloneSecret(sourceId: string | undefined, projectId: string, userId: string, at = this.now()): SecretRecord | undefined {
		const source = sourceId === undefined ? undefined : this.secrets.get(sourceId);
		if (!source?.payload) {
			return undefined;
		}

		return this.addSecret({
			projectId,
			creatorId: userId,
			secretType: source.secretType,
			algorithm: source.algorithm,
			bitLength: source.bitLength,
			mode: source.mode,
			payload: Buffer.from(source.payload),
			contentType: 'application/octet-stream',
		}, at);
	}

	deleteSecret(id: string | undefined): void {
		if (id !== undefined) {
			this.secrets.delete(id);
		}
	}

	// Cinder

	addVolumeType(
		fields: {name: string; description?: string | null; isPublic?: boolean; extraSpecs?: Record<string, string>; encryption?: Omit<EncryptionRecord, 'encryptionId' | 'createdAt'>},
		at = this.now(),
	): VolumeTypeRecord {
		const type: VolumeTypeRecord = {
			id: uuid(),
			name: fields.name,
			description: fields.description ?? null,
			isPublic: fields.isPublic ?? true,
			extraSpecs: fields.extraSpecs ?? {},
			createdAt: at,
			deleted: false,
			encryption: fields.encryption ? {...fields.encryption, encryptionId: uuid(), createdAt: at} : undefined,
		};

		this.volumeTypes.set(type.id, type);
		return type;
	}

	/**
	Live type by name or ID.
	*/
	findVolumeType(nameOrId: string): VolumeTypeRecord | undefined {
		const byId = this.volumeTypes.get(nameOrId);
		return byId && !byId.deleted ? byId : [...this.volumeTypes.values()].find(type => !type.deleted && type.name === nameOrId);
	}

	addVolume(fields: Partial<VolumeRecord> & {projectId: string; userId: string; size: number}, at = this.now()): VolumeRecord {
		const volume: VolumeRecord = {
			id: uuid(),
			name: null,
			description: null,
			status: 'available',
			typeId: this.defaultTypeId,
			bootable: false,
			availabilityZone: 'nova',
			snapshotId: null,
			sourceVolid: null,
			metadata: {},
			attachments: [],
			createdAt: at,
			updatedAt: at,
			...fields,
		};
		const type = this.volumeTypes.get(volume.typeId);
		if (type?.encryption && volume.encryptionKeyId === undefined) {
			volume.encryptionKeyId = this.newVolumeKey(volume.projectId, volume.userId, type.encryption, at).id;
		}

		this.volumes.set(volume.id, volume);
		return volume;
	}

	/**
	A backup record as cinder-backup leaves it: encrypted sources get their own cloned key.
	*/
	addBackup(volume: VolumeRecord, fields: Partial<BackupRecord> & {userId: string}, at = this.now()): BackupRecord {
		const id = fields.id ?? uuid();
		const backup: BackupRecord = {
			id,
			projectId: volume.projectId,
			name: null,
			description: null,
			status: 'available',
			failReason: null,
			size: volume.size,
			volumeId: volume.id,
			snapshotId: null,
			parentId: null,
			sourceTypeId: volume.typeId,
			sourceMetadata: {...volume.metadata},
			...(volume.imageMetadata && {sourceImageMetadata: {...volume.imageMetadata}}),
			metadata: {},
			objectCount: 1,
			availabilityZone: null,
			createdAt: at,
			updatedAt: at,
			dataTimestamp: at,
			...fields,
		};
		if (volume.encryptionKeyId !== undefined && fields.encryptionKeyId === undefined && backup.status === 'available') {
			backup.encryptionKeyId = this.cloneSecret(volume.encryptionKeyId, volume.projectId, fields.userId, at)?.id;
		}

		this.backups.set(id, backup);
		return backup;
	}

	/**
	A backup's bytes: what it copied, or (for seeded backups) what its volume held at first.
	*/
	backupContentOf(backup: BackupRecord): Buffer {
		backup.content ??= deterministicBytes(backup.volumeId, 4096);
		return backup.content;
	}

	/**
	A test hook (no API has it): flips one byte of what backup `id` stored, as a damaged backup store would, so that a
	restore of it gives other bytes than its source held (`backstack drill --verify-data` must then fail).
	*/
	alterBackupData(id: string): void {
		const backup = this.backups.get(id);
		if (backup === undefined) {
			throw new Error(`no backup ${id}`);
		}

		const content = Buffer.from(this.backupContentOf(backup));
		content[0] = 255 - (content[0] ?? 0);
		backup.content = content;
	}

	contentOf(volume: VolumeRecord): Buffer {
		volume.content ??= deterministicBytes(volume.id, 4096);
		return volume.content;
	}

	quotaOf(projectId: string): Quotas {
		return this.quotas.get(projectId) ?? defaultQuotas;
	}

	usageOf(projectId: string): Quotas {
		const usage: Quotas = {
			volumes: 0, gigabytes: 0, snapshots: 0, backups: 0, backup_gigabytes: 0,
		};
		for (const volume of this.volumes.values()) {
			if (volume.projectId !== projectId) {
				continue;
			}

			usage.volumes++;
			usage.gigabytes += volume.size;
		}

		for (const snapshot of this.snapshots.values()) {
			if (snapshot.projectId !== projectId) {
				continue;
			}

			usage.snapshots++;
			usage.gigabytes += snapshot.size;
		}

		for (const backup of this.backups.values()) {
			if (backup.projectId !== projectId) {
				continue;
			}

			usage.backups++;
			usage.backup_gigabytes += backup.size;
		}

		return usage;
	}

	addMessage(projectId: string, fields: {eventId: string; userMessage: string; resourceType: string; resourceUuid: string; requestId: string}): MessageRecord {
		const message: MessageRecord = {
			id: uuid(), projectId, level: 'ERROR', createdAt: this.now(), ...fields,
		};
		this.messages.set(message.id, message);
		return message;
	}

	// Glance

	addImage(fields: Partial<ImageRecord> & {owner: string}, at = this.now()): ImageRecord {
		const image: ImageRecord = {
			id: uuid(),
			name: null,
			status: 'queued',
			visibility: 'private',
			size: null,
			virtualSize: null,
			diskFormat: null,
			containerFormat: null,
			checksum: null,
			hashAlgo: null,
			hashValue: null,
			minDisk: 0,
			minRam: 0,
			protected: false,
			hidden: false,
			tags: [],
			properties: {},
			createdAt: at,
			updatedAt: at,
			...fields,
		};
		if (fields.data) {
			setImageData(image, fields.data);
			image.status = fields.status ?? 'active';
		}

		this.images.set(image.id, image);
		return image;
	}

	/**
	Glance deletes the Cinder-made key with the image when the policy says so.
	*/
	deleteImage(image: ImageRecord): void {
		if (image.properties['cinder_encryption_key_deletion_policy'] === 'on_image_deletion') {
			this.deleteSecret(image.properties['cinder_encryption_key_id']);
		}

		this.images.delete(image.id);
	}
}

export function setImageData(image: ImageRecord, data: Buffer): void {
	image.data = data;
	image.size = data.length;
	image.virtualSize = image.diskFormat === 'raw' ? data.length : null;
	image.checksum = createHash('md5').update(data).digest('hex');
	image.hashAlgo = 'sha512';
	image.hashValue = createHash('sha512').update(data).digest('hex');
}

/**
Stable pseudo-random bytes for a resource (a "disk" that reads the same every time).
*/
export function deterministicBytes(seed: string, length: number): Buffer {
	const chunks: Buffer[] = [];
	let total = 0;
	let counter = 0;
	while (total < length) {
		const chunk = createHash('sha256').update(`${seed}:${counter++}`).digest();
		chunks.push(chunk);
		total += chunk.length;
	}

	return Buffer.concat(chunks).subarray(0, length);
}

// Castellan names the key's algorithm after the cipher's first part (`aes-xts-plain64` → `aes`).
function cipherAlgorithm(cipher: string): string {
	const [algorithm] = cipher.split('-', 1);
	return algorithm ?? 'aes';
}

function keyBytes(keySizeBits: number): number {
	return Math.max(1, Math.floor(keySizeBits / 8));
}

/**
`/dev/vda` is the root disk: a boot-from-volume server's first volume, else the image's disk.
*/
export function deviceName(index: number, isBootFromVolume: boolean): string {
	return `/dev/vd${String.fromCodePoint(97 + index + (isBootFromVolume ? 0 : 1))}`;
}
