/*
Glance v2 (image).

- Lists hide `os_hidden` images, and `os_hidden=true` returns only hidden ones: a full list is two queries.
- `next` is a path (`/v2/images?marker=…`) joined to the endpoint base, keeping any path prefix before `/v2`.
- Downloads stream, resume with Range, and verify `os_hash_value` (else the MD5 `checksum`) over the whole image.
- Errors: Glance answers HTML to a wildcard Accept; every request here asks for JSON.
*/
/* eslint-disable @typescript-eslint/naming-convention -- Glance's request bodies and query parameters are snake_case. */
import {createHash, getHashes, type Hash} from 'node:crypto';
import type {
	CallOptions,
	CreateImageRequest,
	DownloadOptions,
	GlanceApi,
	ListOptions,
} from './api.js';
import {OpenStackError, undefinedIfNotFound} from './errors.js';
import {
	getJson,
	request,
	sendEmpty,
	sendJson,
	url,
	type ServiceContext,
} from './service.js';
import type {Image} from './types.js';
import {
	asArray,
	asObject,
	isTrue,
	encodeId,
	nameOf,
	nonEmpty,
	number,
	compact,
	trimSlash,
	utc,
	utcRequired,
	withoutRaw,
	type Json,
	optionalSetter,
} from './util.js';

const baseKeys = new Set([
	'id',
	'name',
	'status',
	'visibility',
	'owner',
	'size',
	'virtual_size',
	'disk_format',
	'container_format',
	'checksum',
	'os_hash_algo',
	'os_hash_value',
	'min_disk',
	'min_ram',
	'protected',
	'os_hidden',
	'tags',
	'created_at',
	'updated_at',
	'self',
	'file',
	'schema',
	'locations',
	'direct_url',
	'stores',
]);

export class ChecksumMismatchError extends Error {
	override name = 'ChecksumMismatchError';
	readonly imageId: string;
	readonly algorithm: string;

	constructor(imageId: string, algorithm: string, detail: string) {
		super(`image ${imageId}: downloaded data does not match its ${algorithm} (${detail}); the file is not a faithful copy`);
		this.imageId = imageId;
		this.algorithm = algorithm;
	}
}

export function toImage(raw: Json): Image {
	const properties: Record<string, string> = {};
	for (const [key, value] of Object.entries(raw)) {
		if (typeof value === 'string' && !baseKeys.has(key)) {
			properties[key] = value;
		}
	}

	const image: Image = {
		id: nameOf(raw['id']),
		name: nameOf(raw['name']),
		status: nameOf(raw['status']),
		visibility: nameOf(raw['visibility']),
		hidden: isTrue(raw['os_hidden']),
		protected: isTrue(raw['protected']),
		createdAt: utcRequired(raw['created_at']),
		properties,
		raw,
	};
	const set = optionalSetter(image);

	set('owner', nonEmpty(raw['owner']));
	set('size', number(raw['size']));
	set('diskFormat', nonEmpty(raw['disk_format']));
	set('containerFormat', nonEmpty(raw['container_format']));
	set('checksum', nonEmpty(raw['checksum']));
	set('hashAlgo', nonEmpty(raw['os_hash_algo']));
	set('hashValue', nonEmpty(raw['os_hash_value']));
	set('updatedAt', utc(raw['updated_at']));
	set('instanceUuid', properties['instance_uuid']);
	set('imageType', properties['image_type']);
	// Newer clouds name the key `os_encrypt_key_id` (the 2024.2 image encryption specs): the same reference under its new name.
	set('cinderEncryptionKeyId', properties['cinder_encryption_key_id'] ?? properties['os_encrypt_key_id']);
	set('cinderEncryptionKeyDeletionPolicy', properties['cinder_encryption_key_deletion_policy'] ?? properties['os_encrypt_key_deletion_policy']);
	const mapping = properties['block_device_mapping'];
	if (mapping !== undefined) {
		try {
			const parsed: unknown = JSON.parse(mapping);
			set('blockDeviceMapping', asArray(parsed).map(item => asObject(item)).filter((item): item is Json => item !== undefined));
		} catch {
			// Not JSON: left in `properties` only.
		}
	}

	return image;
}

/**
Node's name for a Python hashlib algorithm name (`sha3_256` → `sha3-256`).
*/
export function nodeHashName(algorithm: string): string | undefined {
	const lower = algorithm.toLowerCase();
	const available = new Set(getHashes().map(name => name.toLowerCase()));
	for (const candidate of [lower, lower.replaceAll('_', '-')]) {
		if (available.has(candidate)) {
			return candidate;
		}
	}

	return undefined;
}

async function * chunksOf(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
	const reader = stream.getReader();
	try {
		for (;;) {
			// eslint-disable-next-line no-await-in-loop -- a stream is read in order.
			const {done, value} = await reader.read();
			if (done) {
				return;
			}

			yield value;
		}
	} finally {
		await reader.cancel().catch(() => undefined);
		reader.releaseLock();
	}
}

type Verifier = {hash: Hash; algorithm: string; expected: string};

/**
What the downloaded bytes must hash to: `os_hash_value` when Node knows the algorithm, else the MD5 `checksum`.
*/
function verifierFor(image: Image): Verifier | undefined {
	const nodeName = image.hashAlgo === undefined ? undefined : nodeHashName(image.hashAlgo);
	if (nodeName !== undefined && image.hashAlgo !== undefined && image.hashValue !== undefined) {
		return {hash: createHash(nodeName), algorithm: image.hashAlgo, expected: image.hashValue.toLowerCase()};
	}

	return image.checksum === undefined ? undefined : {hash: createHash('md5'), algorithm: 'md5 checksum', expected: image.checksum.toLowerCase()};
}

/**
Feeds the bytes already held (before a resume) to the hash; they must be exactly `offset` bytes.
*/
async function hashPrefix(id: string, verifier: Verifier, offset: number, prefix: AsyncIterable<Uint8Array> | undefined): Promise<void> {
	if (prefix === undefined) {
		throw new TypeError(`resuming image ${id} at byte ${offset} needs the bytes already held (prefix) to verify its ${verifier.algorithm}`);
	}

	let held = 0;
	for await (const chunk of prefix) {
		verifier.hash.update(chunk);
		held += chunk.byteLength;
	}

	if (held !== offset) {
		throw new TypeError(`resuming image ${id}: offset is ${offset} but the prefix holds ${held} bytes`);
	}
}

/**
Drops the first `count` bytes of a stream (a server that ignored Range sent the whole image).

@yields The remaining chunks.
*/
async function * skipBytes(chunks: AsyncIterable<Uint8Array>, count: number): AsyncGenerator<Uint8Array> {
	let remaining = count;
	for await (const chunk of chunks) {
		const dropped = Math.min(remaining, chunk.byteLength);
		remaining -= dropped;
		if (dropped < chunk.byteLength) {
			yield chunk.subarray(dropped);
		}
	}
}

/**
After the last byte: the whole image arrived, and it hashes to what Glance recorded.
*/
function checkComplete(download: {id: string; path: string; status: number; transferred: number; total?: number; verifier?: Verifier}): void {
	const {id, transferred, total, verifier} = download;
	if (total !== undefined && transferred !== total) {
		throw new OpenStackError({
			service: 'glance', method: 'GET', path: download.path, status: download.status,
			serviceMessage: `download ended after ${transferred} of ${total} bytes; resume with offset ${transferred}`,
		});
	}

	if (verifier === undefined) {
		return;
	}

	const actual = verifier.hash.digest('hex');
	if (actual !== verifier.expected) {
		throw new ChecksumMismatchError(id, verifier.algorithm, `expected ${verifier.expected.slice(0, 16)}…, got ${actual.slice(0, 16)}…`);
	}
}

function escapePointer(key: string): string {
	return key.replaceAll('~', '~0').replaceAll('/', '~1');
}

export function createGlance(context: ServiceContext): GlanceApi {
	const base = trimSlash(context.endpoint);
	const root = base.endsWith('/v2') ? base.slice(0, -'/v2'.length) : base;

	async function * pages(isHidden: boolean, options?: ListOptions): AsyncGenerator<Json> {
		let target: string | undefined = url(context, 'images', {limit: options?.pageSize, os_hidden: isHidden ? 'true' : undefined});
		const seen = new Set<string>();
		while (target !== undefined) {
			seen.add(target);
			// eslint-disable-next-line no-await-in-loop -- pages are sequential.
			const {data} = await context.http.json({
				service: 'glance', method: 'GET', url: target, headers: context.headers, signal: options?.signal,
			});
			const body = asObject(data) ?? {};
			const images = asArray(body['images']).map(value => asObject(value)).filter((image): image is Json => image !== undefined);
			yield * images;
			const next = nonEmpty(body['next']);
			if (next === undefined || images.length === 0) {
				return;
			}

			// Path-only link: join to the endpoint's root (keeping a path prefix such as /image), never to another host.
			const link = new URL(next, 'https://placeholder.invalid');
			const rebuilt = `${root}${link.pathname}${link.search}`;
			target = seen.has(rebuilt) ? undefined : rebuilt;
		}
	}

	/**
	One JSON-patch request on an image; the image as Glance answers it (read again when the answer has no body).
	*/
	const patchImage = async (id: string, patch: Array<{op: string; path: string; value?: string}>, options?: CallOptions): Promise<Image> => {
		const {data} = await sendJson(context, 'PATCH', `images/${encodeId(id)}`, {
			...options,
			json: patch,
			headers: {'content-type': 'application/openstack-images-v2.1-json-patch'},
		});
		const image = asObject(data);
		return image === undefined ? api.getImage(id, options) : toImage(image);
	};

	const api: GlanceApi = {
		async * listImages(options) {
			const seen = new Set<string>();
			const raws = async function * () {
				yield * pages(false, options);
				yield * pages(true, options);
			};

			for await (const raw of raws()) {
				const image = options?.keepRaw === false ? withoutRaw(toImage(raw)) : toImage(raw);
				if (seen.has(image.id)) {
					continue;
				}

				seen.add(image.id);
				yield image;
			}
		},
		async getImage(id, options) {
			const body = asObject(await getJson(context, `images/${encodeId(id)}`, options));
			if (body === undefined) {
				throw new TypeError(`Glance answered no image for ${id}`);
			}

			return toImage(body);
		},
		async findImage(id, options) {
			return undefinedIfNotFound(async () => api.getImage(id, options));
		},
		async createImage(imageRequest: CreateImageRequest, options) {
			const body = compact({
				...imageRequest.properties,
				name: imageRequest.name,
				disk_format: imageRequest.diskFormat,
				container_format: imageRequest.containerFormat,
				visibility: imageRequest.visibility,
				min_disk: imageRequest.minDisk,
				min_ram: imageRequest.minRam,
			});
			const {data} = await sendJson(context, 'POST', 'images', {...options, json: body});
			const image = asObject(data);
			if (image === undefined) {
				throw new TypeError('Glance created an image but returned no body');
			}

			return toImage(image);
		},
		async uploadImageData(id, data, options = {}) {
			let transferred = 0;
			const iterator = data[Symbol.asyncIterator]();
			const stream = new ReadableStream<Uint8Array>({
				async pull(controller) {
					const result: IteratorResult<Uint8Array, unknown> = await iterator.next();
					if (result.done === true) {
						controller.close();
						return;
					}

					const {value} = result;

					transferred += value.byteLength;
					options.onProgress?.({transferred, ...(options.size !== undefined && {total: options.size})});
					controller.enqueue(value);
				},
				async cancel() {
					await iterator.return?.();
				},
			});
			const headers: Record<string, string> = {
				'content-type': 'application/octet-stream',
				...(options.size !== undefined && {'x-openstack-image-size': String(options.size)}),
			};

			const response = await context.http.send(request(context, 'PUT', `images/${encodeId(id)}/file`, {
				body: stream, headers, signal: options.signal, timeoutMs: false,
			}));
			await response.body?.cancel();
		},
		async * downloadImage(id, options: DownloadOptions = {}) {
			const image = await api.getImage(id, options);
			const offset = options.offset ?? 0;
			const verifier = verifierFor(image);
			if (verifier !== undefined && offset > 0) {
				await hashPrefix(id, verifier, offset, options.prefix);
			}

			const path = new URL(url(context, `images/${encodeId(id)}/file`)).pathname;
			if (offset > 0 && image.size !== undefined && offset >= image.size) {
				// Everything is here already (a run killed after the last byte, before the rename): Glance would answer a
				// Range from the end with 416 Request Range Not Satisfiable, so nothing is asked; the prefix's hash decides.
				checkComplete({
					id, path, status: 206, transferred: offset, total: image.size, verifier,
				});
				return;
			}

			const headers: Record<string, string> = {
				accept: 'application/octet-stream',
				...(offset > 0 && {range: `bytes=${offset}-`}),
			};
			const response = await context.http.send(request(context, 'GET', `images/${encodeId(id)}/file`, {
				headers, signal: options.signal, accept: [206],
			}));
			let transferred = offset;
			const total = image.size;
			if (response.status !== 204 && response.body !== null) {
				// A server that ignored the Range header sends everything: skip what we already have.
				const skip = offset > 0 && response.status === 200 ? offset : 0;
				for await (const chunk of skipBytes(chunksOf(response.body), skip)) {
					verifier?.hash.update(chunk);
					transferred += chunk.byteLength;
					options.onProgress?.({transferred, ...(total !== undefined && {total})});
					yield chunk;
				}
			}

			checkComplete({
				id, path, status: response.status, transferred, total, verifier,
			});
		},
		async setImageProperties(id, properties, options) {
			const current = await api.getImage(id, options);
			const patch = Object.entries(properties).map(([key, value]) => ({
				op: Object.hasOwn(current.raw, key) ? 'replace' : 'add',
				path: `/${escapePointer(key)}`,
				value,
			}));
			return patchImage(id, patch, options);
		},
		async removeImageProperties(id, keys, options) {
			// Glance answers 409 to a `remove` of an absent property: only the ones the image has are removed, so a
			// second call (a resumed plan) is a no-op.
			const patchFor = (image: Image) => keys.filter(key => Object.hasOwn(image.raw, key)).map(key => ({op: 'remove', path: `/${escapePointer(key)}`}));

			const current = await api.getImage(id, options);
			const patch = patchFor(current);
			if (patch.length === 0) {
				return current;
			}

			try {
				return await patchImage(id, patch, options);
			} catch (error) {
				if (!(error instanceof OpenStackError) || error.status !== 409) {
					throw error;
				}

				// Someone removed one of them meanwhile: remove what is left, once.
				const again = patchFor(await api.getImage(id, options));
				return again.length === 0 ? api.getImage(id, options) : patchImage(id, again, options);
			}
		},
		async deleteImage(id, options) {
			await sendEmpty(context, 'DELETE', `images/${encodeId(id)}`, options);
		},
	};
	return api;
}
