/* eslint-disable @typescript-eslint/naming-convention -- OpenStack's wire format is snake_case. */
/*
The scale generator: many projects' worth of volumes, backups, snapshots, images, secrets and servers, written straight
into memory (no timers), deterministic for a given spec.
*/
import {Buffer} from 'node:buffer';
import {
	deterministicBytes,
	type DemoState,
	type ServerRecord,
	type VolumeRecord,
	type VolumeTypeRecord,
} from './state.js';
import {uuid} from './http.js';
import type {ScaleSpec} from './types.js';

const day = 86_400_000;

/**
Park-Miller minimal standard generator: small and good enough to spread names and dates.
*/
export function seededRandom(seed: number): () => number {
	let value = (Math.abs(Math.floor(seed)) % 2_147_483_646) + 1;
	return () => {
		value = (value * 48_271) % 2_147_483_647;
		return (value - 1) / 2_147_483_646;
	};
}

const scaleKeys = ['projects', 'volumes', 'backupsPerVolume', 'snapshots', 'images', 'secrets', 'servers', 'encryptedShare'] as const;

const presets: Record<string, ScaleSpec> = {
	small: {
		projects: 3, volumes: 50, backupsPerVolume: 2, snapshots: 10, images: 30, secrets: 20, servers: 10,
	},
	large: {
		projects: 1, volumes: 10_000, backupsPerVolume: 3, snapshots: 500, images: 5000, secrets: 3000, servers: 2000,
	},
};

/**
 `large`, `small`, or `volumes=10000,backupsPerVolume=3,images=5000,secrets=3000,servers=2000` (also `backups=` for
 backupsPerVolume). Throws a readable Error on anything else.
 */
export function parseScaleSpec(text: string): ScaleSpec {
	const preset = presets[text.trim()];
	if (preset) {
		return {...preset};
	}

	const spec: ScaleSpec = {};
	for (const rawPart of text.split(',')) {
		const part = rawPart.trim();
		if (part === '') {
			continue;
		}

		const [rawKey = '', rawValue = ''] = part.split('=', 2);
		const key = rawKey === 'backups' ? 'backupsPerVolume' : rawKey;
		const value = Number(rawValue);
		const known = scaleKeys.find(candidate => candidate === key);
		if (known === undefined || !Number.isFinite(value) || value < 0) {
			throw new Error(`Invalid scale "${part}": use large, small, or key=number pairs with keys ${scaleKeys.join(', ')}.`);
		}

		spec[known] = value;
	}

	return spec;
}

const volumePurposes = ['postgres-data', 'mysql-data', 'web-static', 'redis-aof', 'elastic-node', 'build-cache', 'logs', 'gitlab-repos', 'minio-disk', 'kafka-log', 'home-dirs', 'scratch'];
const serverRoles = ['web', 'api', 'worker', 'db', 'cache', 'ci-runner', 'bastion', 'monitor'];
const secretNames = ['tls-cert', 'db-password', 'api-token', 'ssh-host-key', 'backup-passphrase', 'oauth-client-secret'];

export type GenerateScaleOptions = {
	spec: ScaleSpec;
	/**
	The projects to fill, the first one usually `demo`.
	*/
	projectIds: string[];
	/**
	The owner of every generated resource.
	*/
	userId: string;
	/**
	The image that image-booted servers and server snapshots refer to.
	*/
	baseImageId: string;
	/**
	The type of the encrypted share of the volumes.
	*/
	encryptedType: VolumeTypeRecord;
};

/**
What every generator step shares: one random sequence (the order of its draws is the output), the clock, the options.
*/
type Generation = GenerateScaleOptions & {
	state: DemoState;
	random: () => number;
	pick: <T>(items: readonly T[]) => T;
	now: number;
};

const pad = (index: number): string => String(index).padStart(5, '0');

function generateVolumes(generation: Generation, projectId: string): VolumeRecord[] {
	const {
		state, spec, random, pick, now, userId, encryptedType,
	} = generation;
	const encryptedShare = spec.encryptedShare ?? 0.1;
	const volumes: VolumeRecord[] = [];
	for (let index = 0; index < (spec.volumes ?? 0); index++) {
		const createdAt = now - Math.floor(random() * 365 * day) - day;
		const isEncrypted = random() < encryptedShare;
		volumes.push(state.addVolume({
			projectId,
			userId,
			name: `${pick(volumePurposes)}-${pad(index)}`,
			size: pick([1, 2, 5, 10, 20, 50, 100]),
			typeId: isEncrypted ? encryptedType.id : state.defaultTypeId,
			createdAt,
			updatedAt: createdAt + 60_000,
		}, createdAt));
	}

	return volumes;
}

/**
One full backup per volume, then incrementals on it.
*/
function generateBackups(generation: Generation, volumes: VolumeRecord[]): void {
	const {
		state, spec, random, now, userId,
	} = generation;
	const count = spec.backupsPerVolume ?? 0;
	for (const volume of volumes) {
		let parentId: string | undefined;
		for (let index = 0; index < count; index++) {
			// Spread backups between the volume's creation and now; the freshest are up to a few months old, so some go stale.
			const span = now - volume.createdAt;
			const at = volume.createdAt + Math.floor(span * ((index + random()) / (count + 1)));
			const backup = state.addBackup(volume, {
				userId,
				name: `${volume.name ?? 'volume'}-${parentId === undefined ? 'full' : 'incr'}-${index}`,
				parentId: parentId ?? null,
				objectCount: parentId === undefined ? Math.ceil(volume.size * 2) : Math.ceil(volume.size / 4),
				content: undefined,
			}, at);
			parentId ??= backup.id;
		}
	}
}

function generateSnapshots(generation: Generation, projectId: string, volumes: VolumeRecord[]): void {
	const {
		state, spec, random, pick, now, userId,
	} = generation;
	for (let index = 0; index < (spec.snapshots ?? 0) && volumes.length > 0; index++) {
		const volume = pick(volumes);
		const at = now - Math.floor(random() * 60 * day);
		const id = uuid();
		state.snapshots.set(id, {
			id, projectId, userId, name: `${volume.name ?? 'volume'}-snap-${index}`, description: null,
			status: 'available', size: volume.size, volumeId: volume.id, metadata: {}, createdAt: at, updatedAt: at,
		});
	}
}

/**
Attaches the first free volume as the boot disk of server `serverId`; what the server lists as attached (empty when
no volume is free).
*/
function attachBootVolume(volumes: VolumeRecord[], serverId: string, at: number): ServerRecord['volumesAttached'] {
	const volume = volumes.find(candidate => candidate.attachments.length === 0 && candidate.status === 'available');
	if (!volume) {
		return [];
	}

	volume.status = 'in-use';
	volume.bootable = true;
	volume.attachments.push({
		serverId, attachmentId: uuid(), device: '/dev/vda', attachedAt: at,
	});
	return [{id: volume.id, deleteOnTermination: false}];
}

/**
Servers, about half booted from a free volume, the others from the base image.
*/
function generateServers(generation: Generation, projectId: string, volumes: VolumeRecord[]): ServerRecord[] {
	const {
		state, spec, random, pick, now, userId, baseImageId,
	} = generation;
	const servers: ServerRecord[] = [];
	for (let index = 0; index < (spec.servers ?? 0); index++) {
		const at = now - Math.floor(random() * 300 * day);
		const isBootFromVolume = random() < 0.5 && volumes.length > 0;
		const id = uuid();
		const attached = isBootFromVolume ? attachBootVolume(volumes, id, at) : [];
		const server: ServerRecord = {
			id,
			projectId,
			userId,
			name: `${pick(serverRoles)}-${pad(index)}`,
			status: 'ACTIVE',
			vmState: 'active',
			taskState: null,
			imageId: attached.length > 0 ? '' : baseImageId,
			flavorId: pick(['2', '3', '4']),
			availabilityZone: 'nova',
			metadata: {},
			volumesAttached: attached,
			createdAt: at,
			updatedAt: at,
			launchedAt: at + 20_000,
		};
		state.servers.set(id, server);
		servers.push(server);
	}

	return servers;
}

/**
Images: most are snapshots of a server (with Nova's snapshot properties when the server booted from an image), the
rest uploads.
*/
function generateImages(generation: Generation, projectId: string, servers: ServerRecord[]): void {
	const {
		state, spec, random, pick, now, userId, baseImageId,
	} = generation;
	for (let index = 0; index < (spec.images ?? 0); index++) {
		const at = now - Math.floor(random() * 200 * day);
		const server = servers.length > 0 && random() < 0.6 ? pick(servers) : undefined;
		const properties: Record<string, string> = server && server.imageId !== ''
			? {
				image_type: 'snapshot', instance_uuid: server.id, base_image_ref: baseImageId, owner_project_name: 'generated', user_id: userId,
			}
			: {};
		state.addImage({
			owner: projectId,
			name: server ? `${server.name}-snap-${pad(index)}` : `upload-${pad(index)}`,
			diskFormat: 'qcow2',
			containerFormat: 'bare',
			properties,
			hidden: random() < 0.02,
			data: deterministicBytes(`image-${projectId}-${index}`, 512),
			createdAt: at,
			updatedAt: at,
		}, at);
	}
}

function generateSecrets(generation: Generation, projectId: string): void {
	const {
		state, spec, random, pick, now, userId,
	} = generation;
	for (let index = 0; index < (spec.secrets ?? 0); index++) {
		const at = now - Math.floor(random() * 400 * day);
		state.addSecret({
			projectId,
			creatorId: userId,
			name: `${pick(secretNames)}-${pad(index)}`,
			secretType: pick(['opaque', 'passphrase', 'symmetric']),
			algorithm: 'aes',
			bitLength: 256,
			payload: Buffer.from(deterministicBytes(`secret-${projectId}-${index}`, 32)),
			contentType: 'application/octet-stream',
		}, at);
	}
}

/**
Fills `options.projectIds` with generated resources owned by `options.userId`. The steps run project by project in a
fixed order, drawing from one seeded sequence, so a spec always gives the same cloud.
*/
export function generateScale(state: DemoState, options: GenerateScaleOptions): void {
	const random = seededRandom(0x0B_AC_C5);
	const generation: Generation = {
		...options,
		state,
		random,
		pick: <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T,
		now: state.now(),
	};

	for (const projectId of options.projectIds) {
		const volumes = generateVolumes(generation, projectId);
		generateBackups(generation, volumes);
		generateSnapshots(generation, projectId, volumes);
		const servers = generateServers(generation, projectId, volumes);
		generateImages(generation, projectId, servers);
		generateSecrets(generation, projectId);
	}
}
