/*
The key linkage graph: which resource depends on which Barbican secret, and how resources hang together.

Every encrypted Cinder resource has its own secret (Cinder clones the key for each backup, each restored volume, each
image upload); snapshots share their volume's key. The graph is built once from an inventory and can be walked from any
side: from a volume to its backups and their keys, from a secret to everything that needs it.

`linksOf` returns plain data (a tree) that a screen can draw; each resource appears once, at its shallowest place.
*/
import {
	indexInventory,
	isBackupEncrypted,
	isListReadable,
	keyStateOf,
	sourceTypeOf,
	type AssessmentIndex,
} from './assessment.js';
import type {
	Inventory,
	KeyState,
	ResourceKind,
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

const keyOfRef = (ref: Pick<ResourceRef, 'kind' | 'id'>) => `${ref.kind}:${ref.id}`;

function named(kind: ResourceKind, resource: {id: string; name?: string | undefined}): ResourceRef {
	return resource.name === undefined || resource.name === '' ? {kind, id: resource.id} : {kind, id: resource.id, name: resource.name};
}

class Graph implements KeyGraph {
	readonly #inventory: Inventory;
	readonly #index: AssessmentIndex;
	readonly #refs = new Map<string, ResourceRef>();
	readonly #edges = new Map<string, Edge[]>();
	/**
	Resources present in the inventory (as opposed to only referenced).
	*/
	readonly #listed = new Set<string>();

	constructor(inventory: Inventory) {
		this.#inventory = inventory;
		this.#index = indexInventory(inventory);
		this.#collectRefs();
		this.#volumeEdges();
		this.#serverEdges();
		this.#backupEdges();
		this.#imageEdges();
	}

	/**
	Adds the not yet seen neighbours of `node` as its children (breadth first: each resource once, at its shallowest).
	*/
	#expand(node: LinkNode, seen: Set<string>): LinkNode[] {
		const edges = (this.#edges.get(keyOfRef(node.ref)) ?? []).filter(edge => !seen.has(keyOfRef(edge.to)));
		for (const edge of edges) {
			seen.add(keyOfRef(edge.to));
			node.children.push({
				ref: this.#ref(edge.to), relation: edge.relation, state: this.#state(edge.to), children: [],
			});
		}

		return node.children;
	}

	#ref(ref: Pick<ResourceRef, 'kind' | 'id'>): ResourceRef {
		return this.#refs.get(keyOfRef(ref)) ?? {kind: ref.kind, id: ref.id};
	}

	#state(ref: Pick<ResourceRef, 'kind' | 'id'>): LinkState {
		const inventory = this.#inventory;
		if (ref.kind === 'secret') {
			const state = keyStateOf(inventory, this.#index, ref.id, true);
			return state === 'present' || state === 'missing' ? state : 'unknown';
		}

		if (this.#listed.has(keyOfRef(ref)) || (ref.kind === 'project')) {
			return 'present';
		}

		const list = {
			volume: 'volumes', backup: 'backups', snapshot: 'snapshots', 'volume-type': 'volume-types', image: 'images', server: 'servers',
		} as const;
		return isListReadable(inventory, list[ref.kind]) ? 'missing' : 'unknown';
	}

	#collectRefs(): void {
		const inventory = this.#inventory;
		const add = (ref: ResourceRef) => {
			this.#refs.set(keyOfRef(ref), ref);
			this.#listed.add(keyOfRef(ref));
		};

		for (const volume of inventory.volumes) {
			add(named('volume', volume));
		}

		for (const backup of inventory.backups) {
			add(named('backup', backup));
		}

		for (const snapshot of inventory.snapshots) {
			add(named('snapshot', snapshot));
		}

		for (const type of inventory.volumeTypes) {
			add(named('volume-type', type));
		}

		for (const image of inventory.images) {
			add(named('image', image));
		}

		for (const server of inventory.servers) {
			add(named('server', server));
		}

		for (const secret of inventory.secrets ?? []) {
			add(named('secret', {id: secret.id, name: secret.name}));
		}
	}

	#link(from: ResourceRef, relation: LinkRelation, to: ResourceRef, reverse: LinkRelation): void {
		const add = (source: ResourceRef, edgeRelation: LinkRelation, target: ResourceRef) => {
			const list = this.#edges.get(keyOfRef(source)) ?? [];
			if (list.every(edge => !(edge.relation === edgeRelation && keyOfRef(edge.to) === keyOfRef(target)))) {
				list.push({relation: edgeRelation, to: target});
			}

			this.#edges.set(keyOfRef(source), list);
		};

		if (!this.#refs.has(keyOfRef(to))) {
			// Referenced but not listed: a node of its own (missing or unknown), so that `linksOf` can show the gap.
			this.#refs.set(keyOfRef(to), to);
		}

		add(from, relation, to);
		add(to, reverse, from);
	}

	#typeRef(id: string | undefined, name: string | undefined): ResourceRef | undefined {
		// Before microversion 3.63 Cinder shows only the name (or, for a vanished type, its ID) in `volume_type`.
		const typeId = id ?? (name === undefined ? undefined : (this.#index.typesByName.get(name)?.id ?? name));
		if (typeId === undefined) {
			return undefined;
		}

		const known = this.#refs.get(`volume-type:${typeId}`);
		return known ?? (name === undefined ? {kind: 'volume-type', id: typeId} : {kind: 'volume-type', id: typeId, name});
	}

	#volumeEdges(): void {
		for (const volume of this.#inventory.volumes) {
			const self = this.#ref({kind: 'volume', id: volume.id});
			const type = this.#typeRef(volume.volumeTypeId, volume.volumeType);
			if (type) {
				this.#link(self, 'type', type, 'type-of');
			}

			const key = volume.encryptionKeyId === undefined ? undefined : this.#ref({kind: 'secret', id: volume.encryptionKeyId});
			if (key) {
				this.#link(self, 'key', key, 'used-by');
			}

			for (const snapshot of this.#index.snapshotsByVolume.get(volume.id) ?? []) {
				const snapshotRef = this.#ref({kind: 'snapshot', id: snapshot.id});
				this.#link(self, 'snapshot', snapshotRef, 'snapshot-of');
				if (key) {
					this.#link(snapshotRef, 'key', key, 'used-by');
				}
			}

			for (const attachment of volume.attachments) {
				this.#link(self, 'attached-to', this.#ref({kind: 'server', id: attachment.serverId}), 'volume');
			}
		}
	}

	#serverEdges(): void {
		for (const server of this.#inventory.servers) {
			const self = this.#ref({kind: 'server', id: server.id});
			for (const volumeId of server.attachedVolumeIds) {
				this.#link(this.#ref({kind: 'volume', id: volumeId}), 'attached-to', self, 'volume');
			}

			if (server.imageId !== undefined) {
				this.#link(self, 'boot-image', this.#ref({kind: 'image', id: server.imageId}), 'booted-server');
			}
		}
	}

	#backupEdges(): void {
		for (const backup of this.#inventory.backups) {
			const self = this.#ref({kind: 'backup', id: backup.id});
			this.#link(this.#ref({kind: 'volume', id: backup.volumeId}), 'backup', self, 'source-volume');
			const source = sourceTypeOf(this.#inventory, this.#index, backup);
			const type = source && this.#typeRef(source.id, source.name);
			if (type) {
				this.#link(self, 'source-type', type, 'backup-of-type');
			}

			if (backup.encryptionKeyId !== undefined) {
				this.#link(self, 'key', this.#ref({kind: 'secret', id: backup.encryptionKeyId}), 'used-by');
			}
		}
	}

	#imageEdges(): void {
		for (const image of this.#inventory.images) {
			const self = this.#ref({kind: 'image', id: image.id});
			if (image.cinderEncryptionKeyId !== undefined) {
				this.#link(self, 'key', this.#ref({kind: 'secret', id: image.cinderEncryptionKeyId}), 'used-by');
			}

			if (image.instanceUuid !== undefined) {
				this.#link(this.#ref({kind: 'server', id: image.instanceUuid}), 'snapshot-image', self, 'image-of-server');
			}

			for (const entry of image.blockDeviceMapping ?? []) {
				const snapshotId = entry['snapshot_id'];
				if (typeof snapshotId === 'string') {
					this.#link(self, 'image-snapshot', this.#ref({kind: 'snapshot', id: snapshotId}), 'in-image');
				}
			}
		}
	}

	linksOf(root: Pick<ResourceRef, 'kind' | 'id'>, options: {depth?: number} = {}): LinkNode {
		const depth = options.depth ?? 3;
		const rootNode: LinkNode = {ref: this.#ref(root), state: this.#state(root), children: []};
		const seen = new Set([keyOfRef(root)]);
		let level: LinkNode[] = [rootNode];
		for (let current = 0; current < depth && level.length > 0; current++) {
			level = level.flatMap(node => this.#expand(node, seen));
		}

		return rootNode;
	}

	usersOfSecret(secretId: string): ResourceRef[] {
		return (this.#edges.get(keyOfRef({kind: 'secret', id: secretId})) ?? [])
			.filter(edge => edge.relation === 'used-by')
			.map(edge => this.#ref(edge.to));
	}

	keyOf(ref: Pick<ResourceRef, 'kind' | 'id'>): KeyInfo | undefined {
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
				const volume = snapshot && index.volumes.get(snapshot.volumeId);
				if (snapshot === undefined) {
					return undefined;
				}

				return volume ? info(volume.encryptionKeyId, volume.encrypted, this.#ref({kind: 'volume', id: volume.id})) : {state: 'unknown'};
			}

			case 'backup': {
				const backup = inventory.backups.find(candidate => candidate.id === ref.id);
				return backup === undefined ? undefined : info(backup.encryptionKeyId, isBackupEncrypted(backup, index.volumes.get(backup.volumeId)));
			}

			case 'image': {
				const image = inventory.images.find(candidate => candidate.id === ref.id);
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
		const ids: string[] = [];
		for (const ref of this.#refs.values()) {
			if (ref.kind === 'secret') {
				ids.push(ref.id);
			}
		}

		return ids;
	}
}

/**
Builds the linkage graph of an inventory.
*/
export function buildKeyGraph(inventory: Inventory): KeyGraph {
	return new Graph(inventory);
}
