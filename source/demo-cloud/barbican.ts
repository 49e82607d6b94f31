/* eslint-disable @typescript-eslint/no-restricted-types -- node:http hands out Buffers. */
/* eslint-disable unicorn/no-immediate-mutation -- views and headers gain fields that depend on the request. */
/* eslint-disable @typescript-eslint/naming-convention -- OpenStack's wire format is snake_case. */
/* eslint-disable unicorn/prefer-iterator-to-array -- the project's TypeScript lib has no iterator helpers. */
/*
Barbican v1 under /key-manager, enforcing the legacy policy the Zed cloud runs with: reading needs admin, observer,
creator or audit; payloads need admin, observer or creator; storing and deleting need admin or creator — all within
the token's project. A plain `member` can do nothing.
*/
import {Buffer} from 'node:buffer';
import {authenticate, type AuthInfo} from './auth.js';
import {
	HttpError,
	Router,
	barbicanErrorReply,
	header,
	isRecord,
	jsonBody,
	naiveSeconds,
	type Reply,
	type RequestContext,
} from './http.js';
import type {ServiceModule} from './server.js';
import type {DemoState, SecretRecord} from './state.js';
import {derived} from './paging.js';

type Call = {context: RequestContext; auth: AuthInfo; mv: number; host: string};

const maxMinor = 1;
const payloadTypes = new Set(['text/plain', 'text/plain;charset=utf-8', 'text/plain; charset=utf-8', 'application/octet-stream', 'application/pkcs8', 'application/pkix-cert', 'application/pkcs10']);
const secretTypes = new Set(['symmetric', 'public', 'private', 'passphrase', 'certificate', 'opaque']);

/**
The v1 entry of a version document. Real Barbican (Zed) answers in the 1.0 shape (`status: stable`, media types, no
version range) unless the request asks for `key-manager 1.1` or `latest`.
*/
function versionEntry(origin: string, mv: number): Record<string, unknown> {
	const links = [
		{rel: 'self', href: `${origin}/key-manager/v1/`},
		{rel: 'describedby', type: 'text/html', href: 'https://docs.openstack.org/'},
	];
	if (mv >= 1) {
		return {
			id: 'v1', status: 'CURRENT', min_version: '1.0', max_version: `1.${maxMinor}`, links,
		};
	}

	return {
		id: 'v1',
		status: 'stable',
		links,
		'media-types': [{base: 'application/json', type: 'application/vnd.openstack.key-manager-v1+json'}],
	};
}

/**
Real Barbican names the version it answered in on every response: `key-manager 1.0` unless 1.1 was asked for.
*/
function versionHeaders(mv: number): Record<string, string> {
	return {'OpenStack-API-Version': `key-manager 1.${mv}`, Vary: 'OpenStack-API-Version'};
}

function keyManagerMicroversion(context: RequestContext): number {
	const raw = header(context, 'openstack-api-version');
	const entry = raw?.split(',').map(part => part.trim()).find(part => part.toLowerCase().startsWith('key-manager '));
	if (entry === undefined) {
		return 0;
	}

	const version = entry.slice('key-manager '.length).trim();
	if (version === 'latest') {
		return maxMinor;
	}

	const match = /^1\.(?<minor>\d+)$/v.exec(version);
	const minor = Number(match?.groups?.['minor']);
	if (!match || minor > maxMinor) {
		throw new HttpError(406, `Version ${version} is not supported by the API. Minimum is 1.0 and maximum is 1.${maxMinor}.`);
	}

	return minor;
}

function hasAnyRole(auth: AuthInfo, roles: string[]): boolean {
	return roles.some(role => auth.roles.has(role));
}

export function createBarbican(state: DemoState): ServiceModule {
	const router = new Router<Call>();

	const requireRoles = (call: Call, roles: string[], message: string): void => {
		if (!hasAnyRole(call.auth, roles)) {
			throw new HttpError(403, `${message} attempt not allowed - please review your user/project privileges`);
		}
	};

	const readRoles = ['admin', 'observer', 'creator', 'audit'];
	const decryptRoles = ['admin', 'observer', 'creator'];
	const writeRoles = ['admin', 'creator'];

	const getSecret = (call: Call, id: string, message: string): SecretRecord => {
		const secret = state.secrets.get(id);
		if (!secret) {
			throw new HttpError(404, 'Secret not found.');
		}

		if (secret.projectId !== call.auth.project.id) {
			throw new HttpError(403, `${message} attempt not allowed - please review your user/project privileges`);
		}

		return secret;
	};

	const secretView = (call: Call, secret: SecretRecord): Record<string, unknown> => ({
		algorithm: secret.algorithm,
		bit_length: secret.bitLength,
		...(secret.payload && {content_types: {default: secret.contentType ?? 'application/octet-stream'}}),
		created: naiveSeconds(secret.createdAt),
		creator_id: secret.creatorId,
		expiration: secret.expiration,
		mode: secret.mode,
		name: secret.name,
		secret_ref: `${call.host}/v1/secrets/${secret.id}`,
		secret_type: secret.secretType,
		status: secret.status,
		updated: naiveSeconds(secret.updatedAt),
		...((call.mv >= 1) && {consumers: []}),
	});

	const payloadReply = (call: Call, secret: SecretRecord): Reply => {
		requireRoles(call, decryptRoles, 'Secret payload retrieval');
		if (!secret.payload) {
			throw new HttpError(404, 'Not Found. Sorry but your secret has no payload.');
		}

		// Barbican converts to any supported type the client accepts (text/plain decodes the bytes as UTF-8).
		const stored = secret.contentType ?? 'application/octet-stream';
		const accept = header(call.context, 'accept');
		let type = stored;
		if (accept !== undefined && accept.trim() !== '' && accept.trim() !== '*/*') {
			const wanted = accept.split(',').map(item => (item.split(';', 1)[0] ?? '').trim()).find(item => payloadTypes.has(item));
			if (wanted === undefined) {
				throw new HttpError(406, `Wrong payload content-type: ${accept}`);
			}

			type = wanted;
		}

		return {status: 200, headers: {'Content-Type': type.startsWith('text/plain') ? 'text/plain; charset=utf-8' : type}, body: secret.payload};
	};

	router.add('GET', 'v1/secrets', call => {
		requireRoles(call, readRoles, 'Secret(s) retrieval');
		const {query} = call.context;
		const limit = Math.min(Number(query.get('limit') ?? 10), 100);
		const offset = Number(query.get('offset') ?? 0);
		if (!Number.isSafeInteger(limit) || limit < 0 || !Number.isSafeInteger(offset) || offset < 0) {
			throw new HttpError(400, 'Invalid limit or offset.');
		}

		const filters: Array<[string, (secret: SecretRecord, value: string) => boolean]> = [
			['name', (secret, value) => secret.name === value],
			['alg', (secret, value) => secret.algorithm === value],
			['mode', (secret, value) => secret.mode === value],
			['bits', (secret, value) => String(secret.bitLength) === value],
			['secret_type', (secret, value) => secret.secretType === value],
		];
		const [sortKey = 'created', direction = 'asc'] = (query.get('sort') ?? 'created:asc').split(':', 2);
		const sortValue = (secret: SecretRecord): string | number => {
			switch (sortKey) {
				case 'name': {
					return secret.name ?? '';
				}

				case 'updated': {
					return secret.updatedAt;
				}

				case 'secret_type': {
					return secret.secretType;
				}

				default: {
					return secret.createdAt;
				}
			}
		};

		const sort = (secrets: readonly SecretRecord[]): SecretRecord[] => secrets.toSorted((a, b) => {
			const left = sortValue(a);
			const right = sortValue(b);
			// Ties (same second on the real cloud) keep the order the secrets were stored in, as the database's rows do.
			const order = left < right ? -1 : (left > right ? 1 : 0);
			return direction === 'desc' ? -order : order;
		});
		// A secret's creation time never changes: that order is kept while the table is unchanged, and filtering keeps it.
		const isCreatedOrder = !['name', 'updated', 'secret_type'].includes(sortKey);
		const ordered = isCreatedOrder ? derived(state.secrets, direction === 'desc' ? 'created:desc' : 'created:asc', sort) : [...state.secrets.values()];
		let items = ordered.filter(secret => secret.projectId === call.auth.project.id);
		for (const [name, predicate] of filters) {
			const value = query.get(name);
			if (value !== null) {
				items = items.filter(secret => predicate(secret, value));
			}
		}

		if (!isCreatedOrder) {
			items = sort(items);
		}

		const total = items.length;
		const page = items.slice(offset, offset + limit);
		const link = (newOffset: number): string => {
			const parameters = new URLSearchParams(query);
			parameters.set('limit', String(limit));
			parameters.set('offset', String(newOffset));
			return `${call.host}/v1/secrets?${parameters.toString()}`;
		};

		const json: Record<string, unknown> = {secrets: page.map(secret => secretView(call, secret)), total};
		if (offset + limit < total) {
			json['next'] = link(offset + limit);
		}

		if (offset > 0) {
			json['previous'] = link(Math.max(0, offset - limit));
		}

		return {status: 200, json};
	});

	router.add('POST', 'v1/secrets', call => {
		requireRoles(call, writeRoles, 'Secret creation');
		const body = jsonBody(call.context);
		const {payload, payload_content_type: contentType, payload_content_encoding: encoding} = body;
		const secretType = body['secret_type'] ?? 'opaque';
		if (typeof secretType !== 'string' || !secretTypes.has(secretType)) {
			throw new HttpError(400, 'Provided object does not match schema \'Secret\': Invalid secret_type. Invalid property: \'secret_type\'');
		}

		let bytes: Buffer | undefined;
		if (payload !== undefined && payload !== null) {
			if (typeof payload !== 'string' || payload === '') {
				throw new HttpError(400, 'Provided object does not match schema \'Secret\': If \'payload\' is supplied, it must not be empty. Invalid property: \'payload\'');
			}

			if (typeof contentType !== 'string') {
				throw new HttpError(400, 'Provided object does not match schema \'Secret\': If \'payload\' is '
					+ 'supplied, \'payload_content_type\' must also be supplied. Invalid property: \'payload_content_type\'');
			}

			bytes = decodePayload(payload, contentType, typeof encoding === 'string' ? encoding : undefined);
		} else if (contentType !== undefined) {
			throw new HttpError(400, 'Provided object does not match schema \'Secret\': payload_content_type is not allowed when payload is not supplied. Invalid property: \'payload_content_type\'');
		}

		const {expiration} = body;
		if (typeof expiration === 'string' && Date.parse(expiration.endsWith('Z') ? expiration : `${expiration}Z`) <= state.now()) {
			throw new HttpError(400, 'Provided object does not match schema \'Secret\': \'expiration\' is before current time. Invalid property: \'expiration\'');
		}

		const secret = state.addSecret({
			projectId: call.auth.project.id,
			creatorId: call.auth.user.id,
			name: typeof body['name'] === 'string' ? body['name'] : null,
			secretType,
			algorithm: typeof body['algorithm'] === 'string' ? body['algorithm'] : null,
			bitLength: typeof body['bit_length'] === 'number' ? body['bit_length'] : null,
			mode: typeof body['mode'] === 'string' ? body['mode'] : null,
			expiration: typeof expiration === 'string' ? expiration : null,
			payload: bytes,
			contentType: bytes ? normaliseContentType(String(contentType)) : undefined,
		});
		const secretReference = `${call.host}/v1/secrets/${secret.id}`;
		return {status: 201, headers: {Location: secretReference}, json: {secret_ref: secretReference}};
	});

	router.add('GET', 'v1/secrets/:id', (call, {id = ''}) => {
		const accept = header(call.context, 'accept');
		const secret = getSecret(call, id, 'Secret retrieval');
		if (accept !== undefined && accept !== '*/*' && !accept.includes('application/json')) {
			// Deprecated: a non-JSON Accept on the secret itself returns the payload.
			return payloadReply(call, secret);
		}

		requireRoles(call, readRoles, 'Secret retrieval');
		return {status: 200, json: secretView(call, secret)};
	});

	router.add('PUT', 'v1/secrets/:id', (call, {id = ''}) => {
		requireRoles(call, writeRoles, 'Secret update');
		const secret = getSecret(call, id, 'Secret update');
		if (secret.payload) {
			throw new HttpError(409, 'Secret already has data, cannot modify it.');
		}

		const contentType = header(call.context, 'content-type') ?? '';
		if (call.context.body.length === 0) {
			throw new HttpError(400, 'No payload provided.');
		}

		const encoding = header(call.context, 'content-encoding');
		secret.payload = decodePayload(call.context.body.toString(encoding === 'base64' ? 'utf8' : 'latin1'), contentType, encoding, call.context.body);
		secret.contentType = normaliseContentType(contentType);
		secret.updatedAt = state.now();
		return {status: 204};
	});

	router.add('DELETE', 'v1/secrets/:id', (call, {id = ''}) => {
		requireRoles(call, writeRoles, 'Secret deletion');
		getSecret(call, id, 'Secret deletion');
		state.secrets.delete(id);
		return {status: 204};
	});

	router.add('GET', 'v1/secrets/:id/payload', (call, {id = ''}) => payloadReply(call, getSecret(call, id, 'Secret payload retrieval')));

	router.add('GET', 'v1/secrets/:id/metadata', (call, {id = ''}) => {
		requireRoles(call, readRoles, 'Secret metadata retrieval');
		return {status: 200, json: {metadata: getSecret(call, id, 'Secret metadata retrieval').metadata}};
	});

	router.add('PUT', 'v1/secrets/:id/metadata', (call, {id = ''}) => {
		requireRoles(call, writeRoles, 'Secret metadata update');
		const secret = getSecret(call, id, 'Secret metadata update');
		const {metadata} = jsonBody(call.context);
		if (!isRecord(metadata)) {
			throw new HttpError(400, 'Provided object does not match schema \'Secret Metadata\': \'metadata\' is a required property');
		}

		secret.metadata = {};
		for (const [key, value] of Object.entries(metadata)) {
			secret.metadata[key.toLowerCase()] = String(value);
		}

		return {status: 201, json: {metadata_ref: `${call.host}/v1/secrets/${secret.id}/metadata`}};
	});

	router.add('POST', 'v1/secrets/:id/metadata', (call, {id = ''}) => {
		requireRoles(call, writeRoles, 'Secret metadatum creation');
		const secret = getSecret(call, id, 'Secret metadatum creation');
		const body = jsonBody(call.context);
		if (typeof body['key'] !== 'string' || typeof body['value'] !== 'string') {
			throw new HttpError(400, 'Provided object does not match schema \'Secret Metadatum\': \'key\' and \'value\' are required');
		}

		const key = body['key'].toLowerCase();
		if (Object.hasOwn(secret.metadata, key)) {
			throw new HttpError(409, 'Conflict. A secret metadata with this key already exists.');
		}

		secret.metadata[key] = body['value'];
		return {status: 201, headers: {Location: `${call.host}/v1/secrets/${secret.id}/metadata/${key}`}, json: {key, value: body['value']}};
	});

	router.add('GET', 'v1/secrets/:id/metadata/:key', (call, {id = '', key = ''}) => {
		requireRoles(call, readRoles, 'Secret metadatum retrieval');
		const secret = getSecret(call, id, 'Secret metadatum retrieval');
		const value = secret.metadata[key.toLowerCase()];
		if (value === undefined) {
			throw new HttpError(404, 'Secret metadata not found.');
		}

		return {status: 200, json: {key: key.toLowerCase(), value}};
	});

	router.add('PUT', 'v1/secrets/:id/metadata/:key', (call, {id = '', key = ''}) => {
		requireRoles(call, writeRoles, 'Secret metadatum update');
		const secret = getSecret(call, id, 'Secret metadatum update');
		const body = jsonBody(call.context);
		if (typeof body['value'] !== 'string') {
			throw new HttpError(400, 'Provided object does not match schema \'Secret Metadatum\': \'value\' is required');
		}

		if (!Object.hasOwn(secret.metadata, key.toLowerCase())) {
			throw new HttpError(404, 'Secret metadata not found.');
		}

		secret.metadata[key.toLowerCase()] = body['value'];
		return {status: 200, json: {key: key.toLowerCase(), value: body['value']}};
	});

	router.add('DELETE', 'v1/secrets/:id/metadata/:key', (call, {id = '', key = ''}) => {
		requireRoles(call, writeRoles, 'Secret metadatum removal');
		const secret = getSecret(call, id, 'Secret metadatum removal');
		const lower = key.toLowerCase();
		if (!Object.hasOwn(secret.metadata, lower)) {
			throw new HttpError(404, 'Secret metadata not found.');
		}

		const {[lower]: _removed, ...rest} = secret.metadata;
		secret.metadata = rest;
		return {status: 204};
	});

	router.add('GET', 'v1/secrets/:id/consumers', (call, {id = ''}) => {
		requireRoles(call, readRoles, 'Secret consumers retrieval');
		getSecret(call, id, 'Secret consumers retrieval');
		return {status: 200, json: {consumers: [], total: 0}};
	});

	const answer = async (context: RequestContext, mv: number): Promise<Reply> => {
		const {segments, origin} = context;
		if (segments.length === 0) {
			const entry = versionEntry(origin, mv);
			return {status: 300, json: {versions: mv >= 1 ? [entry] : {values: [entry]}}};
		}

		if (segments[0] !== 'v1') {
			throw new HttpError(404, 'The resource could not be found.');
		}

		if (segments.length === 1) {
			// Unlike the root, real Barbican's /v1/ wants a token.
			authenticate(state, context);
			return {status: 200, json: {version: versionEntry(origin, mv)}};
		}

		const auth = authenticate(state, context);
		const match = router.resolve(context.method, segments);

		return match.handler({
			context, auth, mv, host: `${origin}/key-manager`,
		}, match.parameters);
	};

	return {
		service: 'key-manager',
		prefix: '/key-manager',
		async handle(context) {
			const mv = keyManagerMicroversion(context);
			const reply = await answer(context, mv);
			return {...reply, headers: {...versionHeaders(mv), ...reply.headers}};
		},
		errorReply(error, context) {
			let headers: Record<string, string> = {};
			try {
				headers = versionHeaders(keyManagerMicroversion(context));
			} catch {}

			return barbicanErrorReply(error.status, error.message, {...headers, ...error.headers});
		},
	};
}

function normaliseContentType(contentType: string): string {
	const base = (contentType.split(';', 1)[0] ?? '').trim();
	return base === 'text/plain' ? 'text/plain' : base;
}

function decodePayload(payload: string, contentType: string, encoding: string | undefined, raw?: Buffer): Buffer {
	const base = normaliseContentType(contentType);
	if (!payloadTypes.has(contentType.trim()) && !payloadTypes.has(base)) {
		throw new HttpError(415, `Unsupported Media Type: ${contentType}`);
	}

	if (base === 'text/plain') {
		if (encoding !== undefined && encoding !== 'base64') {
			throw new HttpError(400, 'Invalid payload content encoding.');
		}

		return encoding === 'base64' ? Buffer.from(payload, 'base64') : (raw ?? Buffer.from(payload, 'utf8'));
	}

	if (encoding === 'base64') {
		const decoded = Buffer.from(payload, 'base64');
		if (decoded.length === 0) {
			throw new HttpError(400, 'Could not decode the payload as base64.');
		}

		return decoded;
	}

	if (raw) {
		return raw;
	}

	throw new HttpError(400, 'Provided object does not match schema \'Secret\': payload_content_encoding must be base64 for binary payloads. Invalid property: \'payload_content_encoding\'');
}
