/*
What the keys that act on a resource do in each view: b, i, d, K, X, Space, P, R, O, I, U, D and V (keymap.ts names them; flows/
builds what each asks). Pure: given the selected row and the inventory, the guided flow to open, or the line that says
what to select instead.
*/
import type {Inventory} from '../../core/model.js';
import type {Row, ViewId} from '../views/index.js';
import {sanitize} from '../sanitize.js';
import {
	drillBackup,
	drillBackups,
	bundle,
	bundleRestore,
	imageDownload,
	imageFromFile,
	keyExport,
	protectNow,
	restoreOntoFromBackup,
	restoreOntoFromVolume,
	restoreToNewVolume,
	secretFromFile,
	serverImage,
	volumeBackup,
	volumeFromImage,
	volumeToImage,
	type DrillOptions,
	type FlowResult,
} from '../flows/index.js';

/**
What a resource key sees: the row it acts on (the selected one, or the one in the detail pane), the view, the inventory.
*/
export type Selection = {
	readonly row: Row | undefined;
	readonly viewId: ViewId;
	readonly inventory: Inventory | undefined;
	/**
	Volumes marked for protect-now and backups marked for a drill, by ID.
	*/
	readonly marks: ReadonlySet<string>;
	/**
	The version of backstack, written into the metadata of the backups it makes.
	*/
	readonly version?: string;
};

/**
A flow to open (or the sentence why this resource has none), or a hint about what to select for this key.
*/
export type Outcome = {type: 'flow'; flow: FlowResult} | {type: 'hint'; text: string};

type Found = {
	volume: Inventory['volumes'][number];
	backup: Inventory['backups'][number];
	image: Inventory['images'][number];
	server: Inventory['servers'][number];
	secret: NonNullable<Inventory['secrets']>[number];
};

/**
The selected resource as the inventory holds it, handed to a flow builder.
*/
function withResource<K extends keyof Found>(kind: K, selection: Selection, build: (resource: Found[K], inventory: Inventory) => FlowResult): Outcome {
	const {row, inventory} = selection;
	const id = row?.ref?.id;
	const lists: {[P in keyof Found]: ReadonlyArray<Found[P]> | undefined} = {
		volume: inventory?.volumes, backup: inventory?.backups, image: inventory?.images, server: inventory?.servers, secret: inventory?.secrets,
	};
	const list = lists[kind] as ReadonlyArray<{id: string}> | undefined;
	const resource = list?.find(candidate => candidate.id === id) as Found[K] | undefined;
	const flow = resource === undefined || inventory === undefined
		? `${kind} ${sanitize(row?.ref?.name ?? id ?? '')} is not in the inventory (yet): r refreshes`
		: build(resource, inventory);
	return {type: 'flow', flow};
}

function hint(text: string): Outcome {
	return {type: 'hint', text};
}

/**
D (and V, which also compares the bytes): the marked backups one after the other, else the selected one.
*/
function drillKey(selection: Selection, options: DrillOptions): Outcome {
	const marked = (selection.inventory?.backups ?? []).filter(backup => selection.marks.has(backup.id));
	if (marked.length > 0) {
		return {type: 'flow', flow: drillBackups(marked, options)};
	}

	return selection.row?.ref?.kind === 'backup'
		? withResource('backup', selection, backup => drillBackup(backup, options))
		: hint(`${options.verifyData === true ? 'V' : 'D'} drills the selected backup (restores it into a temporary volume, checks it, deletes it): select a backup (view 3)`);
}

/**
The resource keys by keymap binding.
*/
export const resourceKeys: Readonly<Record<string, (selection: Selection) => Outcome>> = {
	'restore.start'(selection) {
		const {row, inventory} = selection;
		const kind = row?.ref?.kind;
		if (kind === 'backup') {
			return withResource('backup', selection, backup => restoreToNewVolume(backup));
		}

		if (kind === 'image') {
			return withResource('image', selection, image => volumeFromImage(image));
		}

		if (kind === 'secret' || selection.viewId === 'secrets') {
			const secret = kind === 'secret' ? inventory?.secrets?.find(candidate => candidate.id === row?.ref?.id) : undefined;
			return {type: 'flow', flow: secretFromFile(inventory, secret)};
		}

		return hint('R restores the selected backup (view 3) or image (view 6), or a secret from a file (view 7)');
	},
	'restore.onto'(selection) {
		const kind = selection.row?.ref?.kind;
		if (kind === 'backup') {
			return withResource('backup', selection, (backup, inventory) => restoreOntoFromBackup(inventory, backup));
		}

		return kind === 'volume'
			? withResource('volume', selection, (volume, inventory) => restoreOntoFromVolume(inventory, volume))
			: hint('O restores onto an existing volume: select a backup (view 3) or the target volume (view 2)');
	},
	'drill.start'(selection) {
		return drillKey(selection, {});
	},
	'drill.verify'(selection) {
		return drillKey(selection, {verifyData: true});
	},
	'restore.imageFile'() {
		return {type: 'flow', flow: imageFromFile()};
	},
	'restore.bundle'() {
		return {type: 'flow', flow: bundleRestore()};
	},
	'backup.create'(selection) {
		const kind = selection.row?.ref?.kind;
		if (kind === 'volume') {
			return withResource('volume', selection, volume => volumeBackup(volume, selection.version));
		}

		return kind === 'server'
			? withResource('server', selection, server => serverImage(server))
			: hint('b backs up the selected volume (view 2) or makes an image of the selected server (view 5)');
	},
	'backup.toImage'(selection) {
		return selection.row?.ref?.kind === 'volume'
			? withResource('volume', selection, volume => volumeToImage(volume))
			: hint('i copies the selected volume into an image: select a volume (view 2)');
	},
	'backup.download'(selection) {
		return selection.row?.ref?.kind === 'image'
			? withResource('image', selection, image => imageDownload(image))
			: hint('d downloads the selected image: select an image (view 6)');
	},
	'backup.bundle'(selection) {
		const kind = selection.row?.ref?.kind;
		if (kind === 'volume') {
			return withResource('volume', selection, resource => bundle({kind, resource}, selection.version));
		}

		return kind === 'image'
			? withResource('image', selection, resource => bundle({kind, resource}, selection.version))
			: hint('X writes a DR bundle to a directory: select a volume (2) or an image (6)');
	},
	'backup.exportKey'(selection) {
		const kind = selection.row?.ref?.kind;
		if (kind === 'volume') {
			return withResource('volume', selection, resource => keyExport({kind, resource}));
		}

		if (kind === 'backup') {
			return withResource('backup', selection, resource => keyExport({kind, resource}));
		}

		if (kind === 'image') {
			return withResource('image', selection, resource => keyExport({kind, resource}));
		}

		return kind === 'secret'
			? withResource('secret', selection, resource => keyExport({kind, resource}))
			: hint('K exports a key: select an encrypted volume, backup or image, or a secret');
	},
	'backup.protect'(selection) {
		const marked = (selection.inventory?.volumes ?? []).filter(volume => selection.marks.has(volume.id));
		return {type: 'flow', flow: protectNow(marked, selection.version)};
	},
};

/**
Space: the marks with the selected volume (for protect-now) or backup (for a drill) marked or unmarked, or the hint that
only those can be marked.
*/
export function toggleMark(selection: Selection): ReadonlySet<string> | string {
	const {row, inventory} = selection;
	const kind = row?.ref?.kind;
	const id = kind === 'volume' || kind === 'backup' ? row?.ref?.id : undefined;
	const isKnown = kind === 'volume'
		? inventory?.volumes.some(volume => volume.id === id)
		: inventory?.backups.some(backup => backup.id === id);
	if (id === undefined || isKnown !== true) {
		return 'only volumes (P protects them now) and backups (D drills them) can be marked';
	}

	const next = new Set(selection.marks);
	if (next.has(id)) {
		next.delete(id);
	} else {
		next.add(id);
	}

	return next;
}
