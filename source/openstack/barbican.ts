/*
Barbican v1 (key-manager).

- Secret URLs are built from the catalog endpoint and the UUID; `secret_ref` (which uses the server's `host_href`,
  often `http://localhost:9311`) is only read for its last segment.
- Lists page with offset/limit (max 100) until `total` is reached.
- Payloads are bytes (`Accept: application/octet-stream`) and never appear in a log, an error or a `Secret`.
*/
/* eslint-disable @typescript-eslint/naming-convention -- Barbican's request bodies are snake_case JSON. */
import {Buffer} from 'node:buffer';
import type {BarbicanApi, ListOptions, StoreSecretRequest} from './api.js';
import {undefinedIfNotFound} from './errors.js';
import {
	getJson,
	orderedPages,
	pageConcurrency,
	request,
	sendEmpty,
	sendJson,
	url,
	type ServiceContext,
} from './service.js';
import type {Secret} from './types.js';
import {
	asArray,
	asObject,
	compact,
	encodeId,
	lastSegment,
	nonEmpty,
	number,
	string,
	stringRecord,
	utc,
	utcRequired,
	withoutRaw,
	type Json,
	optionalSetter,
} from './util.js';

export const maxSecretPage = 100;

export function toSecret(raw: Json): Secret {
	const reference = nonEmpty(raw['secret_ref']);
	const secret: Secret = {
		id: reference === undefined ? (string(raw['id']) ?? '') : lastSegment(reference),
		status: string(raw['status']) ?? '',
		secretType: string(raw['secret_type']) ?? 'opaque',
		createdAt: utcRequired(raw['created']),
		raw,
	};
	const set = optionalSetter(secret);

	set('name', nonEmpty(raw['name']));
	set('algorithm', nonEmpty(raw['algorithm']));
	set('bitLength', number(raw['bit_length']));
	set('mode', nonEmpty(raw['mode']));
	set('expiration', utc(raw['expiration']));
	set('updatedAt', utc(raw['updated']));
	set('creatorId', nonEmpty(raw['creator_id']));
	const contentTypes = asObject(raw['content_types']);
	if (contentTypes) {
		set('contentTypes', stringRecord(contentTypes));
	}

	return secret;
}

export function createBarbican(context: ServiceContext): BarbicanApi {
	const api: BarbicanApi = {
		async * listSecrets(options?: ListOptions & {name?: string}) {
			const limit = Math.min(options?.pageSize ?? maxSecretPage, maxSecretPage);
			const signal = options?.signal;
			const seen = new Set<string>();
			const toItem = options?.keepRaw === false ? (raw: Json) => withoutRaw(toSecret(raw)) : toSecret;
			// Each page is mapped as it arrives: a page waiting its turn holds the secrets, not the parsed body.
			const page = async (offset: number, pageSignal?: AbortSignal) => {
				const body = asObject(await getJson(context, 'secrets', {query: {offset, limit, ...(options?.name !== undefined && {name: options.name})}, signal: pageSignal})) ?? {};
				const secrets: Secret[] = [];
				for (const value of asArray(body['secrets'])) {
					const raw = asObject(value);
					if (raw !== undefined) {
						secrets.push(toItem(raw));
					}
				}

				return {secrets, total: number(body['total'])};
			};

			// Secrets not seen before (a secret created while the list is read moves the others down one offset).
			function * fresh(secrets: readonly Secret[]): Generator<Secret> {
				for (const secret of secrets) {
					if (seen.has(secret.id)) {
						continue;
					}

					seen.add(secret.id);
					yield secret;
				}
			}

			const first = await page(0, signal);
			yield * fresh(first.secrets);
			// The first page says how many there are: the other pages are fetched a few at a time, handed over in order.
			const step = first.secrets.length;
			let offset = step;
			let last = first;
			if (first.total !== undefined && step > 0 && offset < first.total) {
				const count = Math.ceil((first.total - offset) / step);
				for await (const next of orderedPages(count, pageConcurrency, async (index, pageSignal) => page(offset + (index * step), pageSignal), signal)) {
					yield * fresh(next.secrets);
					last = next;
				}

				offset += count * step;
			}

			// Then one page after another while there is more than the first answer promised (or no `total` at all).
			while (last.secrets.length > 0 && (last.total === undefined ? last.secrets.length >= limit : offset < last.total)) {
				// eslint-disable-next-line no-await-in-loop -- what is left is not known in advance.
				last = await page(offset, signal);
				yield * fresh(last.secrets);
				offset += last.secrets.length;
			}
		},
		async getSecret(id, options) {
			const body = asObject(await getJson(context, `secrets/${encodeId(id)}`, options));
			if (!body) {
				throw new TypeError(`Barbican answered no secret for ${id}`);
			}

			return toSecret(body);
		},
		async findSecret(id, options) {
			return undefinedIfNotFound(async () => api.getSecret(id, options));
		},
		async getSecretPayload(id, options) {
			const response = await context.http.send(request(context, 'GET', `secrets/${encodeId(id)}/payload`, {
				headers: {accept: 'application/octet-stream'}, signal: options?.signal,
			}));
			return new Uint8Array(await response.arrayBuffer());
		},
		async getSecretMetadata(id, options) {
			const body = asObject(await getJson(context, `secrets/${encodeId(id)}/metadata`, options));
			return stringRecord(body?.['metadata']);
		},
		async storeSecret(storeRequest: StoreSecretRequest, options) {
			const body = compact({
				payload: Buffer.from(storeRequest.payload).toString('base64'),
				payload_content_type: 'application/octet-stream',
				payload_content_encoding: 'base64',
				secret_type: storeRequest.secretType ?? 'opaque',
				name: storeRequest.name,
				algorithm: storeRequest.algorithm,
				bit_length: storeRequest.bitLength,
				mode: storeRequest.mode,
			});

			const {data} = await sendJson(context, 'POST', 'secrets', {...options, json: body});
			const reference = nonEmpty(asObject(data)?.['secret_ref']);
			if (reference === undefined) {
				throw new TypeError('Barbican stored the secret but returned no secret_ref');
			}

			return {id: lastSegment(reference)};
		},
		async deleteSecret(id, options) {
			await sendEmpty(context, 'DELETE', `secrets/${encodeId(id)}`, options);
		},
	};
	return api;
}

/**
The catalog-based URL of a secret (what python-barbicanclient does instead of trusting `secret_ref`).
*/
export function secretUrl(context: ServiceContext, id: string): string {
	return url(context, `secrets/${encodeId(id)}`);
}
