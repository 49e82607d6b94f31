/*
The key linkage graph: which resource depends on which Barbican secret, and how resources hang together.

Every encrypted Cinder resource has its own secret (Cinder clones the key for each backup, each restored volume, each
image upload); snapshots share their volume's key. The graph can be walked from any side: from a volume to its backups
and their keys, from a secret to everything that needs it.

`linksOf` returns plain data (a tree) that a screen can draw; each resource appears once, at its shallowest place.
*/
import type {Server} from '../openstack/types.js';
import {
	indexInventory,
	isBackupEncrypted,
	isListReadable,
	keyStateOf,
	sourceTypeOf,
	type AssessmentIndex,
} from './assessment.js';
import type {
	CloudResourceKind,
	Inventory,
	KeyState,
	ResourceRef,
} from './model.js';

export type LinkRelation =
	| 'type' | 'type-of'
	| 'key' | 'used-by'
	| 'snapshot' | 'snapshot-of'
	| 'backup' | 'source-volume'
	| 'source-type' | 'backup-of-type'
	| 'attached-to' | 'volume'
	| 'snapshot-image' | 'image-of-server'
	| 'image-snapshot' | 'in-image'
	| 'boot-image' | 'booted-server';

/**
`present`: in the inventory. `missing`: referenced, and its list was read, but it is not there. `unknown`: could not be checked.
*/
export type LinkState = 'present' | 'missing' | 'unknown';

export type LinkNode = {
	ref: ResourceRef;
	/**
	How the parent relates to this node (absent on the root).
	*/
	relation?: LinkRelation;
	state: LinkState;
	children: LinkNode[];
};

export type KeyInfo = {
	/**
	Undefined when the resource is not encrypted, or encrypted but Cinder did not show the key ID.
	*/
	secretId?: string;
	state: KeyState;
	/**
	A snapshot uses its volume's key.
	*/
	inheritedFrom?: ResourceRef;
};

export type KeyGraph = {
	/**
	The resources linked to `ref`, as a tree `depth` levels deep (default 3).
	*/
	linksOf(ref: Pick<ResourceRef, 'kind' | 'id'>, options?: {depth?: number}): LinkNode;
	/**
	Every resource that needs the secret: volumes, their snapshots, backups, images.
	*/
	usersOfSecret(secretId: string): ResourceRef[];
	/**
	The key a resource depends on; undefined for resources that cannot have one (servers, types) or are unknown.
	*/
	keyOf(ref: Pick<ResourceRef, 'kind' | 'id'>): KeyInfo | undefined;
	/**
	Every secret ID the graph knows: listed in Barbican or referenced by a resource.
	*/
	secretIds(): string[];
};

type Edge = {relation: LinkRelation; to: ResourceRef};

type Ref = Pick<ResourceRef, 'kind' | 'id'>;

const keyOfRef = (ref: Ref) => `${ref.kind}:${ref.id}`;

function named(kind: CloudResourceKind, resource: {id: string; name?: string | undefined}): ResourceRef {
	return resource.name === undefined || resource.name === '' ? {kind, id: resource.id} : {kind, id: resource.id, name: resource.name};
}

function pushTo<V>(map: Map<string, V[]>, key: string, value: V): void {
	const list = map.get(key);
	if (list) {
		list.push(value);
	} else {
		map.set(key, [value]);
	}
}

/**
Reverse lookups that only some questions need, built on first use.
*/
type ReverseIndex = {
	/**
	Secret ID → every resource that uses it.
	*/
	secretUsers: Map<string, ResourceRef[]>;
	secretNames: Map<string, string | undefined>;
	/**
	Snapshot ID → images whose block device mapping refers to it.
	*/
	imagesBySnapshot: Map<string, ResourceRef[]>;
	/**
	Image ID → servers booted from it.
	*/
	serversByImage: Map<string, ResourceRef[]>;
	/**
	Type ID → volumes, and backups whose source type it is.
	*/
	volumesByType: Map<string, ResourceRef[]>;
	backupsByType: Map<string, ResourceRef[]>;
	servers: Map<string, Server>;
	/**
	Volume ID → servers it is attached to (both sides: Cinder attachments and Nova's list).
	*/
	volumeServers: Map<string, string[]>;
};

/*
Neighbours are computed when asked, from the assessment's indexes: building the graph costs nothing, and a question costs
the size of its answer. (An eager edge list for 50,000 resources took seconds, mostly in garbage collection.)
*/
class Graph implements KeyGraph {
	readonly #inventory: Inventory;
	readonly #index: AssessmentIndex;
	#reverse: ReverseIndex | undefined;

	constructor(inventory: Inventory) {
		this.#inventory = inventory;
		this.#index = indexInventory(inventory);
	}

	/**
	Adds the not yet seen neighbours of `node` as its children (breadth first: each resource once, at its shallowest).
	*/
	#expand(node: LinkNode, seen: Set<string>, isRoot: boolean): LinkNode[] {
		// A type or a public image links to thousands of resources: walk those fans only from the type or image itself.
		for (const edge of this.#neighbours(node.ref, isRoot)) {
			const key = keyOfRef(edge.to);
			if (seen.has(key)) {
				continue;
			}

			seen.add(key);
			node.children.push({
				ref: edge.to, relation: edge.relation, state: this.#state(edge.to), children: [],
			});
		}

		return node.children;
	}

	#neighbours(ref: Ref, shouldWalkFans: boolean): Edge[] {
		switch (ref.kind) {
			case 'volume': {
				return this.#volumeNeighbours(ref.id);
			}

			case 'snapshot': {
				return this.#snapshotNeighbours(ref.id);
			}

			case 'backup': {
				return this.#backupNeighbours(ref.id);
			}

			case 'image': {
				return this.#imageNeighbours(ref.id, shouldWalkFans);
			}

			case 'server': {
				return this.#serverNeighbours(ref.id);
			}

			case 'secret': {
				return (this.#reverseIndex().secretUsers.get(ref.id) ?? []).map(to => ({relation: 'used-by' as const, to}));
			}

			case 'volume-type': {
				const reverse = this.#reverseIndex();
				return shouldWalkFans
					? [
						...(reverse.volumesByType.get(ref.id) ?? []).map(to => ({relation: 'type-of' as const, to})),
						...(reverse.backupsByType.get(ref.id) ?? []).map(to => ({relation: 'backup-of-type' as const, to})),
					]
					: [];
			}

			case 'project': {
				return [];
			}
		}
	}

	#volumeNeighbours(id: string): Edge[] {
		const index = this.#index;
		const volume = index.volumes.get(id);
		const edges: Edge[] = [];
		const type = volume && this.#typeRef(volume.volumeTypeId, volume.volumeType);
		if (type) {
			edges.push({relation: 'type', to: type});
		}

		if (volume?.encryptionKeyId !== undefined) {
			edges.push({relation: 'key', to: this.#ref({kind: 'secret', id: volume.encryptionKeyId})});
		}

		for (const snapshot of index.snapshotsByVolume.get(id) ?? []) {
			edges.push({relation: 'snapshot', to: named('snapshot', snapshot)});
		}

		for (const serverId of this.#reverseIndex().volumeServers.get(id) ?? []) {
			edges.push({relation: 'attached-to', to: this.#ref({kind: 'server', id: serverId})});
		}

		for (const backup of index.backupsByVolume.get(id) ?? []) {
			edges.push({relation: 'backup', to: named('backup', backup)});
		}

		return edges;
	}

	#snapshotNeighbours(id: string): Edge[] {
		const snapshot = this.#index.snapshots.get(id);
		if (snapshot === undefined) {
			return [];
		}

		const volume = this.#index.volumes.get(snapshot.volumeId);
		return [
			{relation: 'snapshot-of', to: this.#ref({kind: 'volume', id: snapshot.volumeId})},
			...(volume?.encryptionKeyId === undefined ? [] : [{relation: 'key' as const, to: this.#ref({kind: 'secret', id: volume.encryptionKeyId})}]),
			...(this.#reverseIndex().imagesBySnapshot.get(id) ?? []).map(to => ({relation: 'in-image' as const, to})),
		];
	}

	#backupNeighbours(id: string): Edge[] {
		const backup = this.#index.backups.get(id);
		if (backup === undefined) {
			return [];
		}

		const source = sourceTypeOf(this.#inventory, this.#index, backup);
		const type = source && this.#typeRef(source.id, source.name);
		return [
			{relation: 'source-volume', to: this.#ref({kind: 'volume', id: backup.volumeId})},
			...(type ? [{relation: 'source-type' as const, to: type}] : []),
			...(backup.encryptionKeyId === undefined ? [] : [{relation: 'key' as const, to: this.#ref({kind: 'secret', id: backup.encryptionKeyId})}]),
		];
	}

	#imageNeighbours(id: string, shouldWalkFans: boolean): Edge[] {
		const image = this.#index.images.get(id);
		const reverse = this.#reverseIndex();
		const snapshots = (image?.blockDeviceMapping ?? [])
			.map(entry => entry['snapshot_id'])
			.filter((snapshotId): snapshotId is string => typeof snapshotId === 'string');
		return [
			...(image?.cinderEncryptionKeyId === undefined ? [] : [{relation: 'key' as const, to: this.#ref({kind: 'secret', id: image.cinderEncryptionKeyId})}]),
			...(image?.instanceUuid === undefined ? [] : [{relation: 'image-of-server' as const, to: this.#ref({kind: 'server', id: image.instanceUuid})}]),
			...snapshots.map(snapshotId => ({relation: 'image-snapshot' as const, to: this.#ref({kind: 'snapshot', id: snapshotId})})),
			...(shouldWalkFans ? reverse.serversByImage.get(id) ?? [] : []).map(to => ({relation: 'booted-server' as const, to})),
		];
	}

	#serverNeighbours(id: string): Edge[] {
		const imageId = this.#reverseIndex().servers.get(id)?.imageId;
		return [
			...[...this.#index.serverVolumes.get(id) ?? []].map(volumeId => ({relation: 'volume' as const, to: this.#ref({kind: 'volume', id: volumeId})})),
			...(imageId === undefined ? [] : [{relation: 'boot-image' as const, to: this.#ref({kind: 'image', id: imageId})}]),
			...(this.#index.imagesByServer.get(id) ?? []).map(image => ({relation: 'snapshot-image' as const, to: named('image', image)})),
		];
	}

	#typeRef(id: string | undefined, name: string | undefined): ResourceRef | undefined {
		// Before microversion 3.63 Cinder shows only the name (or, for a vanished type, its ID) in `volume_type`.
		const typeId = id ?? (name === undefined ? undefined : (this.#index.typesByName.get(name)?.id ?? name));
		if (typeId === undefined) {
			return undefined;
		}

		const known = this.#index.typesById.get(typeId);
		if (known) {
			return named('volume-type', known);
		}

		return name === undefined ? {kind: 'volume-type', id: typeId} : {kind: 'volume-type', id: typeId, name};
	}

	/**
	The resource behind a reference, when the inventory has it.
	*/
	#find(ref: Ref): {id: string; name?: string | undefined} | undefined {
		const index = this.#index;
		switch (ref.kind) {
			case 'volume': {
				return index.volumes.get(ref.id);
			}

			case 'backup': {
				return index.backups.get(ref.id);
			}

			case 'snapshot': {
				return index.snapshots.get(ref.id);
			}

			case 'image': {
				return index.images.get(ref.id);
			}

			case 'volume-type': {
				return index.typesById.get(ref.id);
			}

			case 'server': {
				return this.#reverseIndex().servers.get(ref.id);
			}

			case 'secret': {
				const names = this.#reverseIndex().secretNames;
				return names.has(ref.id) ? {id: ref.id, name: names.get(ref.id)} : undefined;
			}

			case 'project': {
				return ref.id === this.#inventory.project.id ? this.#inventory.project : undefined;
			}
		}
	}

	/**
	The reference with its name when the inventory has the resource.
	*/
	#ref(ref: Ref): ResourceRef {
		const found = this.#find(ref);
		return found ? named(ref.kind, found) : {kind: ref.kind, id: ref.id};
	}

	#state(ref: Ref): LinkState {
		const inventory = this.#inventory;
		if (ref.kind === 'secret') {
			const state = keyStateOf(inventory, this.#index, ref.id, true);
			return state === 'present' || state === 'missing' ? state : 'unknown';
		}

		if (ref.kind === 'project' || this.#find(ref) !== undefined) {
			return 'present';
		}

		const list = {
			volume: 'volumes', backup: 'backups', snapshot: 'snapshots', 'volume-type': 'volume-types', image: 'images', server: 'servers',
		} as const;
		return isListReadable(inventory, list[ref.kind]) ? 'missing' : 'unknown';
	}

	#reverseIndex(): ReverseIndex {
		this.#reverse ??= this.#buildReverseIndex();
		return this.#reverse;
	}

	#buildReverseIndex(): ReverseIndex {
		const inventory = this.#inventory;
		const reverse: ReverseIndex = {
			secretUsers: new Map(),
			secretNames: new Map((inventory.secrets ?? []).map(secret => [secret.id, secret.name])),
			imagesBySnapshot: new Map(),
			serversByImage: new Map(),
			volumesByType: new Map(),
			backupsByType: new Map(),
			servers: new Map(inventory.servers.map(server => [server.id, server])),
			volumeServers: new Map(),
		};
		// Both sides of an attachment (Cinder's and Nova's) are already merged in the index as server → volumes.
		for (const [serverId, volumeIds] of this.#index.serverVolumes) {
			for (const volumeId of volumeIds) {
				pushTo(reverse.volumeServers, volumeId, serverId);
			}
		}

		this.#reverseVolumes(reverse);
		this.#reverseBackups(reverse);
		this.#reverseImages(reverse);
		for (const server of inventory.servers) {
			if (server.imageId !== undefined) {
				pushTo(reverse.serversByImage, server.imageId, named('server', server));
			}
		}

		return reverse;
	}

	#reverseVolumes(reverse: ReverseIndex): void {
		for (const volume of this.#inventory.volumes) {
			const ref = named('volume', volume);
			if (volume.encryptionKeyId !== undefined) {
				pushTo(reverse.secretUsers, volume.encryptionKeyId, ref);
				for (const snapshot of this.#index.snapshotsByVolume.get(volume.id) ?? []) {
					pushTo(reverse.secretUsers, volume.encryptionKeyId, named('snapshot', snapshot));
				}
			}

			const type = this.#typeRef(volume.volumeTypeId, volume.volumeType);
			if (type) {
				pushTo(reverse.volumesByType, type.id, ref);
			}
		}
	}

	#reverseBackups(reverse: ReverseIndex): void {
		for (const backup of this.#inventory.backups) {
			const ref = named('backup', backup);
			if (backup.encryptionKeyId !== undefined) {
				pushTo(reverse.secretUsers, backup.encryptionKeyId, ref);
			}

			const source = sourceTypeOf(this.#inventory, this.#index, backup);
			const type = source && this.#typeRef(source.id, source.name);
			if (type) {
				pushTo(reverse.backupsByType, type.id, ref);
			}
		}
	}

	#reverseImages(reverse: ReverseIndex): void {
		for (const image of this.#inventory.images) {
			const ref = named('image', image);
			if (image.cinderEncryptionKeyId !== undefined) {
				pushTo(reverse.secretUsers, image.cinderEncryptionKeyId, ref);
			}

			for (const entry of image.blockDeviceMapping ?? []) {
				const snapshotId = entry['snapshot_id'];
				if (typeof snapshotId === 'string') {
					pushTo(reverse.imagesBySnapshot, snapshotId, ref);
				}
			}
		}
	}

	linksOf(root: Ref, options: {depth?: number} = {}): LinkNode {
		const depth = options.depth ?? 3;
		const rootNode: LinkNode = {ref: this.#ref(root), state: this.#state(root), children: []};
		const seen = new Set([keyOfRef(root)]);
		let level: LinkNode[] = [rootNode];
		for (let current = 0; current < depth && level.length > 0; current++) {
			level = level.flatMap(node => this.#expand(node, seen, node === rootNode));
		}

		return rootNode;
	}

	usersOfSecret(secretId: string): ResourceRef[] {
		return [...this.#reverseIndex().secretUsers.get(secretId) ?? []];
	}

	keyOf(ref: Ref): KeyInfo | undefined {
		const inventory = this.#inventory;
		const index = this.#index;
		const info = (secretId: string | undefined, isEncrypted: boolean, inheritedFrom?: ResourceRef): KeyInfo => ({
			...(secretId !== undefined && {secretId}),
			state: keyStateOf(inventory, index, secretId, isEncrypted),
			...(inheritedFrom !== undefined && {inheritedFrom}),
		});
		switch (ref.kind) {
			case 'volume': {
				const volume = index.volumes.get(ref.id);
				return volume && info(volume.encryptionKeyId, volume.encrypted || volume.encryptionKeyId !== undefined);
			}

			case 'snapshot': {
				const snapshot = index.snapshots.get(ref.id);
				if (snapshot === undefined) {
					return undefined;
				}

				const volume = index.volumes.get(snapshot.volumeId);
				return volume ? info(volume.encryptionKeyId, volume.encrypted, named('volume', volume)) : {state: 'unknown'};
			}

			case 'backup': {
				const backup = index.backups.get(ref.id);
				return backup && info(backup.encryptionKeyId, isBackupEncrypted(backup, index.volumes.get(backup.volumeId)));
			}

			case 'image': {
				const image = index.images.get(ref.id);
				return image && info(image.cinderEncryptionKeyId, image.cinderEncryptionKeyId !== undefined);
			}

			case 'secret': {
				return info(ref.id, true);
			}

			case 'server':
			case 'volume-type':
			case 'project': {
				return undefined;
			}
		}
	}

	secretIds(): string[] {
		const reverse = this.#reverseIndex();
		return [...new Set([...reverse.secretNames.keys(), ...reverse.secretUsers.keys()])];
	}
}

/**
Builds the linkage graph of an inventory.
*/
export function buildKeyGraph(inventory: Inventory): KeyGraph {
	return new Graph(inventory);
}
