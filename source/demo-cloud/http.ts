/* eslint-disable @typescript-eslint/no-restricted-types -- node:http and node:crypto hand out Buffers. */
/*
HTTP plumbing shared by the simulated services: replies, errors in each service's own format, timestamps, routing.
Nothing here knows about a particular service's resources.
*/
import {type Buffer} from 'node:buffer';
import {randomUUID} from 'node:crypto';
import {STATUS_CODES, type IncomingHttpHeaders} from 'node:http';

export type DemoService = 'identity' | 'volume' | 'image' | 'compute' | 'key-manager';

export type Reply = {
	status: number;
	headers?: Record<string, string>;
	/**
	Raw body; `json` wins when both are set.
	*/
	body?: Uint8Array | string;
	json?: unknown;
};

/**
Thrown by handlers; turned into the service's error body by the server.
*/
export class HttpError extends Error {
	readonly status: number;
	readonly headers: Record<string, string>;

	constructor(status: number, message: string, headers: Record<string, string> = {}) {
		super(message);
		this.name = 'HttpError';
		this.status = status;
		this.headers = headers;
	}
}

// Titles as node:http names them, except where webob (which the OpenStack services answer through) words it differently:
// those are what a real cloud puts in its error bodies and status lines (webob.exc's titles: a Glance range past the end
// answers "416 Request Range Not Satisfiable" on the Zed test cloud), so the simulator says them too.
const webobTitles: Record<number, string> = {
	413: 'Request Entity Too Large',
	416: 'Request Range Not Satisfiable',
};

export function titleOf(status: number): string {
	return webobTitles[status] ?? STATUS_CODES[status] ?? 'Error';
}

/**
Keystone and keystonemiddleware: `{"error": {code, title, message}}`.
*/
export function keystoneErrorReply(status: number, message: string, authUrl: string): Reply {
	const headers: Record<string, string> = status === 401 ? {'WWW-Authenticate': `Keystone uri="${authUrl}"`} : {};

	return {status, headers, json: {error: {code: status, title: titleOf(status), message}}};
}

const faultNames: Record<number, string> = {
	400: 'badRequest',
	401: 'unauthorized',
	403: 'forbidden',
	404: 'itemNotFound',
	405: 'badMethod',
	409: 'conflictingRequest',
	413: 'overLimit',
	415: 'badMediaType',
	429: 'overLimit',
	501: 'notImplemented',
	503: 'serviceUnavailable',
};

/**
Cinder and Nova: `{"<faultName>": {code, message}}`; overLimit carries `retryAfter`.
*/
export function faultReply(status: number, message: string, headers: Record<string, string> = {}): Reply {
	const name = faultNames[status] ?? 'computeFault';
	const fault: Record<string, unknown> = {code: status, message};
	const retryAfter = headers['Retry-After'];
	if (name === 'overLimit' && retryAfter !== undefined) {
		fault['retryAfter'] = retryAfter;
	}

	return {status, headers, json: {[name]: fault}};
}

/**
Barbican (pecan hooks): `{code, title, description}`.
*/
export function barbicanErrorReply(status: number, message: string, headers: Record<string, string> = {}): Reply {
	return {status, headers, json: {code: status, title: titleOf(status), description: message}};
}

type GlanceFormat = 'json' | 'html' | 'plain';

function acceptQuality(accept: string, type: string): number {
	let best = -1;
	for (const part of accept.split(',')) {
		const [range = '', ...parameters] = part.trim().split(';');
		const q = parameters.map(p => p.trim()).find(p => p.startsWith('q='));
		const quality = q === undefined ? 1 : Number(q.slice(2));
		const [major] = type.split('/', 1);
		const isMatches = [type, '*/*', `${major ?? ''}/*`].includes(range);
		const specificity = range === type ? 0.0002 : (range === '*/*' ? 0 : 0.0001);
		if (isMatches && quality > 0) {
			best = Math.max(best, quality + specificity);
		}
	}

	return best;
}

/**
Webob picks the error body's format from Accept among text/html and application/json; no Accept → text/plain.
*/
export function glanceErrorFormat(accept: string | undefined): GlanceFormat {
	if (accept === undefined || accept.trim() === '') {
		return 'plain';
	}

	const html = acceptQuality(accept, 'text/html');
	const json = acceptQuality(accept, 'application/json');
	if (html < 0 && json < 0) {
		return 'plain';
	}

	return json > html ? 'json' : 'html';
}

export function glanceErrorReply(status: number, message: string, accept: string | undefined, headers: Record<string, string> = {}): Reply {
	const code = `${status} ${titleOf(status)}`;
	switch (glanceErrorFormat(accept)) {
		case 'json': {
			return {status, headers, json: {message, code, title: titleOf(status)}};
		}

		case 'html': {
			const body = `<html>\n <head>\n  <title>${code}</title>\n </head>\n <body>\n  <h1>${code}</h1>\n  ${message}<br /><br />\n\n\n\n </body>\n</html>`;
			return {status, headers: {...headers, 'Content-Type': 'text/html; charset=UTF-8'}, body};
		}

		case 'plain': {
			return {status, headers: {...headers, 'Content-Type': 'text/plain; charset=UTF-8'}, body: `${code}\n\n${message}\n\n   `};
		}
	}
}

export const uuid = (): string => randomUUID();
/**
Keystone-style IDs: 32 hex digits.
*/
export const hexId = (): string => randomUUID().replaceAll('-', '');

/**
Cinder: naive UTC with microseconds as read back from its database (`2026-11-23T11:50:12.000000`).
*/
export function naiveMicro(ms: number): string {
	return `${new Date(ms).toISOString().slice(0, 19)}.000000`;
}

/**
Barbican: naive UTC to the second.
*/
export function naiveSeconds(ms: number): string {
	return new Date(ms).toISOString().slice(0, 19);
}

/**
Glance and Nova: `2026-11-23T11:50:44Z`.
*/
export function zulu(ms: number): string {
	return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/**
Keystone: `2026-11-23T12:50:12.000000Z`.
*/
export function keystoneTime(ms: number): string {
	return `${new Date(ms).toISOString().slice(0, 23)}000Z`;
}

export type RequestContext = {
	method: string;
	/**
	Path segments below the service prefix, URL-decoded.
	*/
	segments: string[];
	query: URLSearchParams;
	headers: IncomingHttpHeaders;
	body: Buffer;
	/**
	`http://127.0.0.1:<port>`
	*/
	origin: string;
	requestId: string;
};

export function header(context: RequestContext, name: string): string | undefined {
	const value = context.headers[name.toLowerCase()];
	return Array.isArray(value) ? value.join(', ') : value;
}

/**
The body parsed as a JSON object, or a 400 in the service's words.
*/
export function jsonBody(context: RequestContext): Record<string, unknown> {
	if (context.body.length === 0) {
		throw new HttpError(400, 'Malformed request body');
	}

	let parsed: unknown;
	try {
		parsed = JSON.parse(context.body.toString('utf8'));
	} catch {
		throw new HttpError(400, 'Malformed request body');
	}

	if (!isRecord(parsed)) {
		throw new HttpError(400, 'Malformed request body');
	}

	return parsed;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function optionalString(value: unknown, field: string): string | undefined {
	if (value === undefined || value === null) {
		return undefined;
	}

	if (typeof value !== 'string') {
		throw new HttpError(400, `Invalid input for field/attribute ${field}. Value: ${JSON.stringify(value)}. ${JSON.stringify(value)} is not of type 'string'`);
	}

	return value;
}

export function stringRecord(value: unknown, field: string): Record<string, string> {
	if (value === undefined || value === null) {
		return {};
	}

	if (!isRecord(value)) {
		throw new HttpError(400, `Invalid input for field/attribute ${field}. Value: ${JSON.stringify(value)}. ${JSON.stringify(value)} is not of type 'object'`);
	}

	const result: Record<string, string> = {};
	for (const [key, item] of Object.entries(value)) {
		if (typeof item !== 'string') {
			throw new HttpError(400, `Invalid input for field/attribute ${field}. Value: ${JSON.stringify(value)}. ${JSON.stringify(item)} is not of type 'string'`);
		}

		result[key] = item;
	}

	return result;
}

export type Handler<C = RequestContext> = (call: C, parameters: Record<string, string>) => Reply | Promise<Reply>;

type Route<C> = {method: string; parts: string[]; handler: Handler<C>};

/**
Method + path-segment router; `:name` segments capture.
*/
export class Router<C = RequestContext> {
	private readonly routes: Array<Route<C>> = [];

	add(method: string, pattern: string, handler: Handler<C>): this {
		this.routes.push({method, parts: pattern.split('/').filter(Boolean), handler});
		return this;
	}

	/**
	`undefined`: no route; `'method'`: the path exists with other methods (405).
	*/
	match(method: string, segments: string[]): 'method' | {handler: Handler<C>; parameters: Record<string, string>} | undefined {
		let isPathMatched = false;
		for (const route of this.routes) {
			const parameters = matchParts(route.parts, segments);
			if (!parameters) {
				continue;
			}

			if (route.method === method || (method === 'HEAD' && route.method === 'GET')) {
				return {handler: route.handler, parameters};
			}

			isPathMatched = true;
		}

		return isPathMatched ? 'method' : undefined;
	}

	/**
	The route for a request, or the service's 404 / 405 as an HttpError.
	*/
	resolve(method: string, segments: string[], notAllowed = 'The method specified is not allowed for this resource.'): {handler: Handler<C>; parameters: Record<string, string>} {
		const match = this.match(method, segments);
		if (match === undefined) {
			throw new HttpError(404, 'The resource could not be found.');
		}

		if (match === 'method') {
			throw new HttpError(405, notAllowed);
		}

		return match;
	}
}

function matchParts(parts: string[], segments: string[]): Record<string, string> | undefined {
	if (parts.length !== segments.length) {
		return undefined;
	}

	const parameters: Record<string, string> = {};
	for (const [index, part] of parts.entries()) {
		const segment = segments[index] ?? '';
		if (part.startsWith(':')) {
			parameters[part.slice(1)] = segment;
		} else if (part !== segment) {
			return undefined;
		}
	}

	return parameters;
}

/**
Reads an integer query parameter within bounds; 400 otherwise.
*/
export function intParameter(query: URLSearchParams, name: string, fallback: number, max?: number): number {
	const raw = query.get(name);
	if (raw === null || raw === '') {
		return fallback;
	}

	const value = Number(raw);
	if (!Number.isSafeInteger(value) || value < 0) {
		throw new HttpError(400, `Invalid ${name} value: ${raw}`);
	}

	return max === undefined ? value : Math.min(value, max);
}
