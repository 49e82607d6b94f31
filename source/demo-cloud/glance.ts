/* eslint-disable unicorn/no-immediate-mutation -- views and headers gain fields that depend on the request. */
/* eslint-disable unicorn/prefer-iterator-to-array -- the project's TypeScript lib has no iterator helpers. */
/* eslint-disable @typescript-eslint/naming-convention -- OpenStack's wire format is snake_case. */
/*
Glance v2 under /image: image records with real (small) data, upload/download with Range, os_hidden filtering,
JSON-patch updates, relative `next` links, and webob-style errors whose format follows Accept.
*/
import {Buffer} from 'node:buffer';
import {authenticate, requireMember, type AuthInfo} from './auth.js';
import {
	HttpError,
	Router,
	glanceErrorReply,
	header,
	isRecord,
	zulu,
	type RequestContext,
} from './http.js';
import {sortItems, sortedRecords} from './paging.js';
import type {ServiceModule} from './server.js';
import {setImageData, type DemoState, type ImageRecord} from './state.js';

type Call = {context: RequestContext; auth: AuthInfo};

const readOnly = new Set([
	'id',
	'status',
	'size',
	'virtual_size',
	'checksum',
	'created_at',
	'updated_at',
	'os_hash_algo',
	'os_hash_value',
	'file',
	'self',
	'schema',
	'locations',
	'direct_url',
	'stores',
]);
const diskFormats = new Set(['ami', 'ari', 'aki', 'vhd', 'vhdx', 'vmdk', 'raw', 'qcow2', 'vdi', 'iso', 'ploop']);
const containerFormats = new Set(['ami', 'ari', 'aki', 'bare', 'ovf', 'ova', 'docker', 'compressed']);
const listParameters = new Set(['limit', 'marker', 'sort_key', 'sort_dir', 'sort', 'visibility', 'os_hidden', 'member_status']);

/**
Sets one attribute of an image from a create body or a patch, checked as Glance checks it.
*/
type AttributeSetter = (call: Call, image: ImageRecord, key: string, value: unknown) => void;

function assertBoolean(key: string, value: unknown): asserts value is boolean {
	if (typeof value !== 'boolean') {
		throw new HttpError(400, `Invalid value for ${key}: ${JSON.stringify(value)} is not of type 'boolean'`);
	}
}

function assertMinimum(key: string, value: unknown): asserts value is number {
	if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
		throw new HttpError(400, `Invalid value for ${key}`);
	}
}

/**
A disk or container format: one Glance knows, and only while the image has no data yet.
*/
function assertFormat(image: ImageRecord, key: string, value: unknown, allowed: ReadonlySet<string>): asserts value is string {
	if (typeof value !== 'string' || !allowed.has(value)) {
		throw new HttpError(400, `Invalid value '${String(value)}' for ${key}`);
	}

	if (image.status !== 'queued') {
		throw new HttpError(403, `Attribute '${key}' can be only replaced for a queued image.`);
	}
}

/**
The image's own (base) attributes; any other key is a property.
*/
const baseAttributeSetters = new Map<string, AttributeSetter>([
	['name', (_call, image, _key, value) => {
		image.name = typeof value === 'string' ? value : null;
	}],
	['visibility', (call, image, _key, value) => {
		if (typeof value !== 'string' || !['public', 'private', 'shared', 'community'].includes(value)) {
			throw new HttpError(400, `Invalid visibility value: ${String(value)}`);
		}

		if (value === 'public' && !call.auth.isAdmin) {
			throw new HttpError(403, 'You are not authorized to complete publicize_image action.');
		}

		image.visibility = value;
	}],
	['protected', (_call, image, key, value) => {
		assertBoolean(key, value);
		image.protected = value;
	}],
	['os_hidden', (_call, image, key, value) => {
		assertBoolean(key, value);
		image.hidden = value;
	}],
	['min_disk', (_call, image, key, value) => {
		assertMinimum(key, value);
		image.minDisk = value;
	}],
	['min_ram', (_call, image, key, value) => {
		assertMinimum(key, value);
		image.minRam = value;
	}],
	['tags', (_call, image, _key, value) => {
		if (!Array.isArray(value) || value.some(tag => typeof tag !== 'string')) {
			throw new HttpError(400, 'Invalid tags');
		}

		image.tags = [...new Set(value as string[])];
	}],
	['disk_format', (_call, image, key, value) => {
		assertFormat(image, key, value, diskFormats);
		image.diskFormat = value;
	}],
	['container_format', (_call, image, key, value) => {
		assertFormat(image, key, value, containerFormats);
		image.containerFormat = value;
	}],
]);

const setProperty: AttributeSetter = (_call, image, key, value) => {
	if (typeof value !== 'string') {
		throw new HttpError(400, `Provided object does not match schema 'image': ${JSON.stringify(value)} is not of type 'string'`);
	}

	if (key.startsWith('os_glance')) {
		throw new HttpError(403, `Attribute '${key}' is reserved.`);
	}

	image.properties[key] = value;
};

const versions = (origin: string): unknown[] => ['2.15', '2.13', '2.12', '2.11', '2.10', '2.9', '2.8', '2.7', '2.6', '2.5', '2.4', '2.3', '2.2', '2.1', '2.0'].map((version, index) => ({
	id: `v${version}`,
	status: index === 0 ? 'CURRENT' : 'SUPPORTED',
	links: [{rel: 'self', href: `${origin}/image/v2/`}],
}));

export function imageView(image: ImageRecord): Record<string, unknown> {
	return {
		...image.properties,
		checksum: image.checksum,
		container_format: image.containerFormat,
		created_at: zulu(image.createdAt),
		disk_format: image.diskFormat,
		file: `/v2/images/${image.id}/file`,
		id: image.id,
		min_disk: image.minDisk,
		min_ram: image.minRam,
		name: image.name,
		os_hash_algo: image.hashAlgo,
		os_hash_value: image.hashValue,
		os_hidden: image.hidden,
		owner: image.owner,
		protected: image.protected,
		schema: '/v2/schemas/image',
		self: `/v2/images/${image.id}`,
		size: image.size,
		status: image.status,
		...(image.data && {stores: 'fs'}),
		tags: image.tags,
		updated_at: zulu(image.updatedAt),
		virtual_size: image.virtualSize,
		visibility: image.visibility,
	};
}

/**
Parses `bytes=a-b`, `bytes=a-`, `bytes=-n`; undefined when there is no usable Range header.
*/
export function parseRange(value: string | undefined, size: number): 'unsatisfiable' | {start: number; end: number} | undefined {
	if (value === undefined) {
		return undefined;
	}

	const match = /^bytes=(?<from>\d*)-(?<to>\d*)$/v.exec(value.trim());
	if (!match?.groups) {
		return undefined;
	}

	const from = match.groups['from'] ?? '';
	const to = match.groups['to'] ?? '';
	if (from === '' && to === '') {
		return undefined;
	}

	let start: number;
	let end: number;
	if (from === '') {
		const suffix = Number(to);
		start = Math.max(0, size - suffix);
		end = size - 1;
		if (suffix === 0) {
			return 'unsatisfiable';
		}
	} else {
		start = Number(from);
		end = to === '' ? size - 1 : Math.min(Number(to), size - 1);
	}

	return start >= size || start > end ? 'unsatisfiable' : {start, end};
}

export function createGlance(state: DemoState): ServiceModule {
	const router = new Router<Call>();

	const canSee = (call: Call, image: ImageRecord): boolean => call.auth.isAdmin || image.owner === call.auth.project.id || image.visibility === 'public' || image.visibility === 'community';

	const getImage = (call: Call, id: string): ImageRecord => {
		const image = state.images.get(id);
		if (!image || !canSee(call, image)) {
			throw new HttpError(404, `No image found with ID ${id}`);
		}

		return image;
	};

	const ownImage = (call: Call, id: string, action: string): ImageRecord => {
		const image = getImage(call, id);
		requireMember(call.auth, action);
		if (!call.auth.isAdmin && image.owner !== call.auth.project.id) {
			throw new HttpError(403, `You are not permitted to ${action.replace('_', ' ')} this image.`);
		}

		return image;
	};

	router.add('GET', 'v2/images', call => {
		const {query} = call.context;
		const limit = Math.min(Number(query.get('limit') ?? 25), 1000);
		if (!Number.isSafeInteger(limit) || limit < 0) {
			throw new HttpError(400, 'limit param must be an integer');
		}

		const hidden = query.get('os_hidden');
		const isWantHidden = hidden === 'true' || hidden === 'True';
		const visibility = query.get('visibility');
		if (visibility !== null && !['public', 'private', 'shared', 'community', 'all'].includes(visibility)) {
			throw new HttpError(400, `Invalid visibility value: ${visibility}`);
		}

		// The order asked for, when it can be cached (created_at, id), before the filters (which keep it).
		const keys = sortKeys(query);
		const sortedAll = sortedRecords(state.images, keys);
		let items = (sortedAll ?? [...state.images.values()]).filter(image => {
			if (image.status === 'deleted' || image.hidden !== isWantHidden) {
				return false;
			}

			return visibility === null
				? call.auth.isAdmin || image.owner === call.auth.project.id || image.visibility === 'public'
				: (visibility === 'all' || image.visibility === visibility) && canSee(call, image);
		});
		for (const [key, value] of query) {
			if (listParameters.has(key)) {
				continue;
			}

			items = items.filter(image => isMatch(image, key, value));
		}

		const sorted = sortedAll === undefined ? sortItems(items, keys) : items;
		let start = 0;
		const marker = query.get('marker');
		if (marker !== null) {
			const index = sorted.findIndex(image => image.id === marker);
			if (index === -1) {
				throw new HttpError(400, `marker not found: Invalid marker. Image ${marker} could not be found.`);
			}

			start = index + 1;
		}

		const page = sorted.slice(start, start + limit);
		const json: Record<string, unknown> = {images: page.map(image => imageView(image)), first: firstLink(query), schema: '/v2/schemas/images'};
		const last = page.at(-1);
		if (last && page.length === limit) {
			const parameters = new URLSearchParams(query);
			parameters.set('marker', last.id);
			if (query.has('limit')) {
				parameters.set('limit', String(limit));
			}

			json['next'] = `/v2/images?${parameters.toString()}`;
		}

		return {status: 200, json};
	});

	router.add('POST', 'v2/images', call => {
		requireMember(call.auth, 'add_image');
		const body = parseJson(call.context);
		if (!isRecord(body)) {
			throw new HttpError(400, 'Body expected in request.');
		}

		const image = state.addImage({owner: call.auth.project.id, visibility: 'shared'});
		try {
			applyAttributes(call, image, body, true);
		} catch (error) {
			state.images.delete(image.id);
			throw error;
		}

		if (typeof body['id'] === 'string') {
			if (state.images.has(body['id'])) {
				state.images.delete(image.id);
				throw new HttpError(409, `Image with identifier ${body['id']} already exists!`);
			}

			state.images.delete(image.id);
			image.id = body['id'];
			state.images.set(image.id, image);
		}

		return {
			status: 201,
			headers: {Location: `${call.context.origin}/image/v2/images/${image.id}`, 'OpenStack-image-import-methods': 'glance-direct,web-download'},
			json: imageView(image),
		};
	});

	router.add('GET', 'v2/images/:id', (call, {id = ''}) => ({status: 200, json: imageView(getImage(call, id))}));

	router.add('PATCH', 'v2/images/:id', (call, {id = ''}) => {
		const image = ownImage(call, id, 'modify_image');
		const contentType = (header(call.context, 'content-type') ?? '').split(';', 1)[0]?.trim();
		if (contentType !== 'application/openstack-images-v2.1-json-patch' && contentType !== 'application/openstack-images-v2.0-json-patch') {
			throw new HttpError(415, 'Unsupported Content-Type', {'Accept-Patch': 'application/openstack-images-v2.0-json-patch, application/openstack-images-v2.1-json-patch'});
		}

		const operations = parseJson(call.context);
		if (!Array.isArray(operations)) {
			throw new HttpError(400, 'Request body must be a JSON array of operation objects.');
		}

		for (const operation of operations) {
			applyPatch(call, image, operation);
		}

		image.updatedAt = state.now();
		return {status: 200, json: imageView(image)};
	});

	router.add('DELETE', 'v2/images/:id', (call, {id = ''}) => {
		const image = ownImage(call, id, 'delete_image');
		if (image.protected) {
			throw new HttpError(403, `Image ${id} is protected and cannot be deleted.`);
		}

		state.deleteImage(image);
		return {status: 204};
	});

	router.add('PUT', 'v2/images/:id/file', (call, {id = ''}) => {
		const image = ownImage(call, id, 'upload_image');
		const contentType = (header(call.context, 'content-type') ?? '').split(';', 1)[0]?.trim();
		if (contentType !== 'application/octet-stream') {
			throw new HttpError(415, 'Content-Type must be application/octet-stream');
		}

		if (image.status !== 'queued') {
			throw new HttpError(409, `Image status transition from ${image.status} to saving is not allowed`);
		}

		if (image.diskFormat === null || image.containerFormat === null) {
			throw new HttpError(400, 'Properties disk_format, container_format must be set prior to saving data.');
		}

		const declared = header(call.context, 'x-openstack-image-size');
		if (declared !== undefined && Number(declared) !== call.context.body.length) {
			throw new HttpError(400, `Image size ${call.context.body.length} does not match the x-openstack-image-size ${declared}.`);
		}

		setImageData(image, Buffer.from(call.context.body));
		image.status = 'active';
		image.updatedAt = state.now();
		return {status: 204};
	});

	router.add('GET', 'v2/images/:id/file', (call, {id = ''}) => {
		const image = getImage(call, id);
		if (image.status === 'deactivated' && !call.auth.isAdmin) {
			throw new HttpError(403, 'The requested image has been deactivated. Image data download is forbidden.');
		}

		const {data} = image;
		if (!data) {
			return {status: 204};
		}

		const headers: Record<string, string> = {'Content-Type': 'application/octet-stream'};
		if (image.checksum !== null) {
			headers['Content-MD5'] = image.checksum;
		}

		const range = parseRange(header(call.context, 'range'), data.length);
		if (range === 'unsatisfiable') {
			// As Glance (Zed) answers on the test cloud: webob's 416, no Content-Range header, the valid start positions named.
			const why = `Invalid start position in Range header. Start position MUST be in the inclusive range [0, ${data.length - 1}].`;
			throw new HttpError(416, `The Range requested is not available.<br /><br />\n${why}`);
		}

		if (range === undefined) {
			return {status: 200, headers, body: data};
		}

		headers['Content-Range'] = `bytes ${range.start}-${range.end}/${data.length}`;
		return {status: 206, headers, body: data.subarray(range.start, range.end + 1)};
	});

	router.add('PUT', 'v2/images/:id/tags/:tag', (call, {id = '', tag = ''}) => {
		const image = ownImage(call, id, 'modify_image');
		if (!image.tags.includes(tag)) {
			image.tags.push(tag);
		}

		return {status: 204};
	});

	router.add('DELETE', 'v2/images/:id/tags/:tag', (call, {id = '', tag = ''}) => {
		const image = ownImage(call, id, 'modify_image');
		if (!image.tags.includes(tag)) {
			throw new HttpError(404, `Tag ${tag} not found`);
		}

		image.tags = image.tags.filter(item => item !== tag);
		return {status: 204};
	});

	router.add('POST', 'v2/images/:id/actions/deactivate', (call, {id = ''}) => {
		const image = getImage(call, id);
		if (!call.auth.isAdmin) {
			throw new HttpError(403, 'You are not authorized to complete deactivate action.');
		}

		image.status = 'deactivated';
		return {status: 204};
	});

	router.add('POST', 'v2/images/:id/actions/reactivate', (call, {id = ''}) => {
		const image = getImage(call, id);
		if (!call.auth.isAdmin) {
			throw new HttpError(403, 'You are not authorized to complete reactivate action.');
		}

		image.status = 'active';
		return {status: 204};
	});

	router.add('GET', 'v2/schemas/image', () => ({status: 200, json: {name: 'image', additionalProperties: {type: 'string'}, properties: {}}}));
	router.add('GET', 'v2/schemas/images', () => ({
		status: 200, json: {
			name: 'images', properties: {images: {type: 'array'}}, links: [{rel: 'first', href: '{first}'}, {rel: 'next', href: '{next}'}],
		},
	}));
	router.add('GET', 'v2/info/import', () => ({status: 200, json: {'import-methods': {description: 'Import methods available.', type: 'array', value: ['glance-direct', 'web-download']}}}));

	function applyAttributes(call: Call, image: ImageRecord, body: Record<string, unknown>, isCreate: boolean): void {
		for (const [key, value] of Object.entries(body)) {
			if (key === 'id' && isCreate) {
				continue;
			}

			if (key === 'owner' && typeof value === 'string' && call.auth.isAdmin) {
				image.owner = value;
				continue;
			}

			if (key === 'owner' || readOnly.has(key)) {
				throw new HttpError(403, `Attribute '${key}' is read-only.`);
			}

			setAttribute(call, image, key, value);
		}
	}

	function setAttribute(call: Call, image: ImageRecord, key: string, value: unknown): void {
		const setter = baseAttributeSetters.get(key) ?? setProperty;
		setter(call, image, key, value);
	}

	function applyPatch(call: Call, image: ImageRecord, operation: unknown): void {
		if (!isRecord(operation) || typeof operation['op'] !== 'string' || typeof operation['path'] !== 'string') {
			throw new HttpError(400, 'Unable to find \'op\' or \'path\' in JSON Schema change.');
		}

		const {op} = operation;
		const key = operation['path'].replace(/^\//v, '').replaceAll('~1', '/').replaceAll('~0', '~');
		if (key === 'owner' || readOnly.has(key)) {
			throw new HttpError(403, `Attribute '${key}' is read-only.`);
		}

		const isBase = baseAttributeSetters.has(key);
		switch (op) {
			case 'add':
			case 'replace': {
				if (!isBase && op === 'replace' && !Object.hasOwn(image.properties, key)) {
					throw new HttpError(409, `Property ${key} does not exist.`);
				}

				setAttribute(call, image, key, operation['value']);
				return;
			}

			case 'remove': {
				if (isBase) {
					throw new HttpError(403, `Properties ${key} cannot be removed.`);
				}

				if (!Object.hasOwn(image.properties, key)) {
					throw new HttpError(409, `Property ${key} does not exist.`);
				}

				const {[key]: _removed, ...rest} = image.properties;
				image.properties = rest;
				return;
			}

			default: {
				throw new HttpError(400, `Invalid operation: \`${op}\`: Operations must be exactly one of 'add', 'remove', or 'replace'.`);
			}
		}
	}

	return {
		service: 'image',
		prefix: '/image',
		async handle(context) {
			const {segments, origin} = context;
			if (segments.length === 0 || (segments.length === 1 && segments[0] === 'versions')) {
				return {status: segments.length === 0 ? 300 : 200, json: {versions: versions(origin)}};
			}

			if (segments[0] !== 'v2') {
				throw new HttpError(404, 'The resource could not be found.');
			}

			if (segments.length === 1) {
				return {status: 300, json: {versions: versions(origin)}};
			}

			const auth = authenticate(state, context);
			const match = router.resolve(context.method, segments);

			return match.handler({context, auth}, match.parameters);
		},
		errorReply: (error, context) => glanceErrorReply(error.status, error.message, header(context, 'accept'), error.headers),
	};
}

function parseJson(context: RequestContext): unknown {
	try {
		return JSON.parse(context.body.toString('utf8')) as unknown;
	} catch {
		throw new HttpError(400, 'Malformed JSON in request body.');
	}
}

function firstLink(query: URLSearchParams): string {
	const parameters = new URLSearchParams(query);
	parameters.delete('marker');
	const text = parameters.toString();
	return text === '' ? '/v2/images' : `/v2/images?${text}`;
}

function sortKeys(query: URLSearchParams): Array<{key: string; direction: 'asc' | 'desc'}> {
	const keys: Array<{key: string; direction: 'asc' | 'desc'}> = [];
	const sort = query.get('sort');
	if (sort === null) {
		const directions = query.getAll('sort_dir');
		for (const [index, key] of query.getAll('sort_key').entries()) {
			keys.push({key, direction: directions[index] === 'asc' ? 'asc' : 'desc'});
		}
	} else {
		for (const part of sort.split(',')) {
			const [key = '', direction = 'desc'] = part.trim().split(':', 2);
			keys.push({key, direction: direction === 'asc' ? 'asc' : 'desc'});
		}
	}

	for (const {key} of keys) {
		if (!['name', 'status', 'container_format', 'disk_format', 'size', 'id', 'created_at', 'updated_at'].includes(key)) {
			throw new HttpError(400, `Invalid sort key: ${key}. It must be one of the following: name, status, container_format, disk_format, size, id, created_at, updated_at.`);
		}
	}

	if (keys.length === 0) {
		keys.push({key: 'created_at', direction: 'desc'});
	}

	keys.push({key: 'id', direction: keys[0]?.direction ?? 'desc'});
	return keys;
}

function isMatch(image: ImageRecord, key: string, value: string): boolean {
	const wanted = value.startsWith('in:') ? value.slice(3).split(',') : [value];
	switch (key) {
		case 'id': {
			return wanted.includes(image.id);
		}

		case 'name': {
			return wanted.includes(image.name ?? '');
		}

		case 'status': {
			return wanted.includes(image.status);
		}

		case 'owner': {
			return wanted.includes(image.owner);
		}

		case 'disk_format': {
			return wanted.includes(image.diskFormat ?? '');
		}

		case 'container_format': {
			return wanted.includes(image.containerFormat ?? '');
		}

		case 'protected': {
			return String(image.protected) === value.toLowerCase();
		}

		case 'tag': {
			return image.tags.includes(value);
		}

		case 'size_min': {
			return (image.size ?? 0) >= Number(value);
		}

		case 'size_max': {
			return (image.size ?? 0) <= Number(value);
		}

		default: {
			return image.properties[key] === value;
		}
	}
}
