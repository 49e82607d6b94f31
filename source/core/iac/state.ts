/*
Terraform / OpenTofu state, read for one purpose: which cloud resource ID lives at which resource address.

Two inputs are understood:
- the state file itself (`terraform state pull`, `terraform.tfstate`): `{"version": 4, "resources": [{module?, mode,
  type, name, instances: [{index_key?, attributes: {id, …}}]}]}`;
- `terraform show -json`: `{"format_version": "1.x", "values": {"root_module": {resources: [{address, mode, type, name,
  index?, values: {id, …}}], child_modules: [{address, resources, child_modules}]}}}`.

Addresses are spelled as Terraform prints them: `module.db.openstack_blockstorage_volume_v3.data["0"]` for a for_each
key, `…data[0]` for a count index. Secrets are keyed by the last path part of their reference URL (Barbican's ID).
Nothing here touches the network; the files are read synchronously, once.
*/
import {readFileSync} from 'node:fs';

export const iacTypes = [
	'openstack_blockstorage_volume_v3',
	'openstack_compute_instance_v2',
	'openstack_images_image_v2',
	'openstack_keymanager_secret_v1',
	'openstack_blockstorage_volume_attach_v3',
	'openstack_compute_volume_attach_v2',
] as const;

export type IacType = typeof iacTypes[number];

const attachTypes = new Set<string>(['openstack_blockstorage_volume_attach_v3', 'openstack_compute_volume_attach_v2']);

/**
One managed resource instance found in a state file.
*/
export type IacEntry = {
	/**
	The cloud's ID (for a secret: the last part of its reference URL).
	*/
	id: string;
	address: string;
	type: IacType;
	/**
	The resource block's name label and the module path before it (`module.db`, '' for the root module).
	*/
	name: string;
	module: string;
	/**
	The instance key: a number for `count`, a string for `for_each`; absent for a single instance.
	*/
	indexKey?: number | string;
	stateFile: string;
	/**
	For an attachment: the volume it attaches.
	*/
	volumeId?: string;
};

export type IacMap = {
	/**
	Resource ID → where it is managed (the first state file that names it wins).
	*/
	byId: ReadonlyMap<string, IacEntry>;
	/**
	Attachment resources, whose own IDs are not cloud resource IDs.
	*/
	attachments: readonly IacEntry[];
	/**
	Every file read, with the IDs it holds (attachments left out).
	*/
	files: ReadonlyArray<{file: string; ids: string[]}>;
};

/**
A state file backstack cannot use; the message says what it is and what to do.
*/
export class IacStateError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'IacStateError';
	}
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function list(value: unknown): Json[] {
	return Array.isArray(value) ? value.filter(item => isObject(item)) : [];
}

function indexText(key: unknown): string {
	if (typeof key === 'number') {
		return `[${key}]`;
	}

	return typeof key === 'string' ? `[${JSON.stringify(key)}]` : '';
}

function cloudId(type: IacType, id: string): string {
	// Barbican's reference is https://…/v1/secrets/<uuid>; the provider imports by that last part.
	if (type !== 'openstack_keymanager_secret_v1') {
		return id;
	}

	const parts = id.split('/').filter(part => part !== '');
	return parts.at(-1) ?? id;
}

type Fields = {type: unknown; name: unknown; module: string; address: string; indexKey: unknown; attributes: unknown};

function entryOf(fields: Fields, stateFile: string): IacEntry | undefined {
	const {type, name, attributes, indexKey} = fields;
	if (typeof name !== 'string' || typeof type !== 'string' || !(iacTypes as readonly string[]).includes(type) || !isObject(attributes)) {
		return undefined;
	}

	const {id} = attributes;
	if (typeof id !== 'string' || id === '') {
		return undefined;
	}

	const volumeId = attributes['volume_id'];
	return {
		id: cloudId(type as IacType, id),
		address: fields.address,
		type: type as IacType,
		name,
		module: fields.module,
		...((typeof indexKey === 'number' || typeof indexKey === 'string') && {indexKey}),
		stateFile,
		...(attachTypes.has(type) && typeof volumeId === 'string' && {volumeId}),
	};
}

function fromStateV4(state: Json, stateFile: string): IacEntry[] {
	const entries: IacEntry[] = [];
	for (const resource of list(state['resources'])) {
		if (resource['mode'] !== 'managed') {
			continue;
		}

		const module = typeof resource['module'] === 'string' ? resource['module'] : '';
		const base = `${module === '' ? '' : `${module}.`}${String(resource['type'])}.${String(resource['name'])}`;
		for (const instance of list(resource['instances'])) {
			const entry = entryOf({
				type: resource['type'], name: resource['name'], module, address: `${base}${indexText(instance['index_key'])}`, indexKey: instance['index_key'], attributes: instance['attributes'],
			}, stateFile);
			if (entry !== undefined) {
				entries.push(entry);
			}
		}
	}

	return entries;
}

function moduleOf(address: string, type: string, name: string): string {
	// `module.a["x"].module.b.TYPE.NAME[0]` → `module.a["x"].module.b`
	const at = address.lastIndexOf(`${type}.${name}`);
	return at > 0 ? address.slice(0, at - 1) : '';
}

function fromShowJson(show: Json, stateFile: string): IacEntry[] {
	const entries: IacEntry[] = [];
	const walk = (module: Json) => {
		for (const resource of list(module['resources'])) {
			const {address, type, name} = resource;
			if (typeof address !== 'string' || typeof type !== 'string' || typeof name !== 'string' || resource['mode'] !== 'managed') {
				continue;
			}

			const entry = entryOf({
				type, name, module: moduleOf(address, type, name), address, indexKey: resource['index'], attributes: resource['values'],
			}, stateFile);
			if (entry !== undefined) {
				entries.push(entry);
			}
		}

		for (const child of list(module['child_modules'])) {
			walk(child);
		}
	};

	const {values} = show;
	if (isObject(values) && isObject(values['root_module'])) {
		walk(values['root_module']);
	}

	return entries;
}

/**
The managed resources of one state document (text as read from `file`, which names it in messages).
*/
export function parseIacState(text: string, file: string): IacEntry[] {
	let document: unknown;
	try {
		document = JSON.parse(text);
	} catch {
		throw new IacStateError(`${file} is not JSON, so not a Terraform/OpenTofu state. Give the state file (terraform state pull > state.json) or the output of terraform show -json.`);
	}

	if (!isObject(document)) {
		throw new IacStateError(`${file} is JSON but not a Terraform/OpenTofu state (no object at the top). Give the output of terraform state pull or terraform show -json.`);
	}

	if ('version' in document) {
		if (document['version'] !== 4) {
			throw new IacStateError(`${file} is a state of format version ${JSON.stringify(document['version'])}; backstack reads version 4`
				+ ' (Terraform ≥ 0.12, every OpenTofu). Run terraform state pull with a current Terraform or OpenTofu and give its output.');
		}

		return fromStateV4(document, file);
	}

	if (typeof document['format_version'] === 'string') {
		if ('planned_values' in document || 'resource_changes' in document) {
			throw new IacStateError(`${file} is a plan (terraform show -json of a plan file), not a state. Give terraform show -json without a plan file.`);
		}

		return fromShowJson(document, file);
	}

	throw new IacStateError(`${file} is JSON but neither a state (no "version") nor terraform show -json output (no "format_version"). Give one of those.`);
}

function addEntries(entries: IacEntry[], byId: Map<string, IacEntry>, attachments: IacEntry[]): string[] {
	const ids: string[] = [];
	for (const entry of entries) {
		if (attachTypes.has(entry.type)) {
			attachments.push(entry);
		} else {
			ids.push(entry.id);
			if (!byId.has(entry.id)) {
				byId.set(entry.id, entry);
			}
		}
	}

	return ids;
}

/**
Reads every file and merges them. Throws {@link IacStateError} for a file that is missing, unreadable or not a state.
*/
export function readIacStates(files: readonly string[]): IacMap {
	const byId = new Map<string, IacEntry>();
	const attachments: IacEntry[] = [];
	const read: Array<{file: string; ids: string[]}> = [];
	for (const file of files) {
		let text: string;
		try {
			text = readFileSync(file, 'utf8');
		} catch (error) {
			const {code} = error as NodeJS.ErrnoException;
			throw new IacStateError(code === 'ENOENT'
				? `The state file ${file} does not exist. Check the path (--tfstate or the tfstate setting), or write it with terraform state pull > ${file}.`
				: `The state file ${file} cannot be read (${code ?? String(error)}).`);
		}

		read.push({file, ids: addEntries(parseIacState(text, file), byId, attachments)});
	}

	return {byId, attachments, files: read};
}

/**
The state files none of whose resources is among `knownIds` (an empty one among them).
*/
export function unmatchedStateFiles(map: IacMap, knownIds: ReadonlySet<string>): IacMap['files'] {
	return map.files.filter(file => file.ids.every(id => !knownIds.has(id)));
}

/**
Warnings for state files none of whose resources is among `knownIds` (those of the project that was read): most likely
the state of another workspace, project or cloud.
*/
export function unmatchedStateWarnings(map: IacMap, knownIds: ReadonlySet<string>, where: {project: string; cloud: string}): string[] {
	return unmatchedStateFiles(map, knownIds)
		.map(file => (file.ids.length === 0
			? `${file.file} holds no OpenStack volume, server, image or secret: nothing of it can be shown.`
			: `no resource of ${file.file} is in project ${where.project} of cloud ${where.cloud}: another workspace?`));
}

/**
The IDs of an inventory's resources that a state can name (volumes, servers, images, secrets).
*/
type Identified = ReadonlyArray<{id: string}>;

export function inventoryIds(inventory: {volumes: Identified; servers: Identified; images: Identified; secrets?: Identified}): Set<string> {
	return new Set([...inventory.volumes, ...inventory.servers, ...inventory.images, ...(inventory.secrets ?? [])].map(resource => resource.id));
}
