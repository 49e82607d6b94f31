/*
The two kinds of failure the client reports.

- `ConfigError`: clouds.yaml / secure.yaml / OS_* could not give a usable cloud. The message names the file, the cloud and
  the field, and says what to do.
- `OpenStackError`: a service answered with an error (or did not answer). It carries the service's own message, parsed from
  that service's error format, and the request ID to quote to the operator. Never a token, password or payload.
*/
import {STATUS_CODES} from 'node:http';
import type {ServiceName} from './types.js';

export class ConfigError extends Error {
	override name = 'ConfigError';
	readonly file?: string;
	readonly cloud?: string;
	readonly field?: string;

	constructor(message: string, details: {file?: string; cloud?: string; field?: string} = {}) {
		super(message);
		this.file = details.file;
		this.cloud = details.cloud;
		this.field = details.field;
	}
}

export type OpenStackErrorDetails = {
	service: ServiceName;
	method: string;
	/**
	URL path (and query) of the request; never a host's credentials or a token.
	*/
	path: string;
	/**
	HTTP status; undefined when no response came back (connection refused, timeout, abort).
	*/
	status?: number;
	requestId?: string;
	/**
	What the service itself said, already extracted from its error body.
	*/
	serviceMessage?: string;
	/**
	Seconds, from `Retry-After` when the service sent one.
	*/
	retryAfter?: number;
	cause?: unknown;
};

function describe(details: OpenStackErrorDetails, summary?: string): string {
	const what = `${details.service} ${details.method} ${details.path}`;
	let text: string;
	if (details.status === undefined) {
		text = `${what} failed: ${summary ?? 'no response'}`;
	} else {
		// The reason phrase (node:http's) names an error status; a success status with a body it could not read stays a number.
		const statusText = details.status >= 400 ? STATUS_CODES[details.status] : undefined;
		text = `${what} → ${details.status}${statusText === undefined ? '' : ` ${statusText}`}`;
		if (details.serviceMessage !== undefined && details.serviceMessage !== '') {
			text += `: ${details.serviceMessage}`;
		}
	}

	if (details.requestId !== undefined && details.requestId !== '') {
		text += ` (request ${details.requestId})`;
	}

	return text;
}

export class OpenStackError extends Error {
	override name = 'OpenStackError';
	readonly service: ServiceName;
	readonly method: string;
	readonly path: string;
	readonly status?: number;
	readonly requestId?: string;
	readonly serviceMessage?: string;
	readonly retryAfter?: number;

	constructor(details: OpenStackErrorDetails, summary?: string) {
		super(describe(details, summary), details.cause === undefined ? undefined : {cause: details.cause});
		this.service = details.service;
		this.method = details.method;
		this.path = details.path;
		this.status = details.status;
		this.requestId = details.requestId;
		this.serviceMessage = details.serviceMessage;
		this.retryAfter = details.retryAfter;
	}
}

export function isOpenStackError(error: unknown): error is OpenStackError {
	return error instanceof OpenStackError;
}

export function isNotFound(error: unknown): boolean {
	return isOpenStackError(error) && error.status === 404;
}

/**
Cinder/Glance quota: 413 (Cinder adds `Retry-After: 0`, which means "over quota", not "come back later").
*/
export function isQuota(error: unknown): boolean {
	return isOpenStackError(error) && error.status === 413;
}

export function isForbidden(error: unknown): boolean {
	return isOpenStackError(error) && error.status === 403;
}

export function isUnauthorized(error: unknown): boolean {
	return isOpenStackError(error) && error.status === 401;
}

/**
Raised when a caller's AbortSignal fired; not an OpenStack failure.
*/
export function isAbort(error: unknown): boolean {
	return error instanceof Error && (error.name === 'AbortError' || (isOpenStackError(error) && error.cause instanceof Error && error.cause.name === 'AbortError'));
}

const maxMessageLength = 500;

/**
Drops HTML tags (each becomes a space); a linear scan, no backtracking.
*/
function stripTags(text: string): string {
	let result = '';
	let isInTag = false;
	for (const character of text) {
		if (character === '<') {
			isInTag = true;
			result += ' ';
		} else if (character === '>' && isInTag) {
			isInTag = false;
		} else if (!isInTag) {
			result += character;
		}
	}

	return result;
}

/**
Removes the first `open`…`close` span (case-insensitive), if any.
*/
function cutBetween(text: string, open: string, close: string): string {
	const lower = text.toLowerCase();
	const start = lower.indexOf(open);
	const end = start === -1 ? -1 : lower.indexOf(close, start);
	return end === -1 ? text : text.slice(0, start) + text.slice(end + close.length);
}

function clean(text: string): string {
	const flat = stripTags(text)
		.replaceAll('&nbsp;', ' ')
		.replaceAll('&lt;', '<')
		.replaceAll('&gt;', '>')
		.replaceAll('&quot;', '"')
		.replaceAll('&#39;', '\'')
		.replaceAll('&amp;', '&')
		.replaceAll(/\s+/gv, ' ')
		.trim();
	return flat.length > maxMessageLength ? `${flat.slice(0, maxMessageLength)}…` : flat;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
	return typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : undefined;
}

function stringField(record: Record<string, unknown> | undefined, key: string): string | undefined {
	const value = record?.[key];
	return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/**
Extracts the human message from an error body, whatever the service's format (openstack-api.md §7):
Keystone `{"error":{"message"}}`, Cinder/Nova `{"<faultName>":{"code","message"}}`, Glance `{"message","code","title"}`
(or HTML / plain text), Barbican `{"code","title","description"}`.
*/
export function parseServiceMessage(body: string, contentType?: string): string | undefined {
	const trimmed = body.trim();
	if (trimmed === '') {
		return undefined;
	}

	if (trimmed.startsWith('{') || contentType?.includes('json') === true) {
		let parsed: unknown;
		try {
			parsed = JSON.parse(trimmed) as unknown;
		} catch {
			return clean(trimmed);
		}

		const record = asRecord(parsed);
		if (!record) {
			return undefined;
		}

		// Barbican: description is the detail, title the summary. Glance (webob JSON): message.
		const direct = stringField(record, 'description') ?? stringField(record, 'message');
		if (direct !== undefined) {
			return clean(direct);
		}

		// Keystone `error`, Cinder/Nova fault wrappers: a single object-valued key holding message.
		for (const value of Object.values(record)) {
			const inner = asRecord(value);
			const innerMessage = stringField(inner, 'message') ?? stringField(inner, 'description') ?? stringField(inner, 'explanation');
			if (innerMessage !== undefined) {
				return clean(innerMessage);
			}
		}

		const title = stringField(record, 'title');
		return title === undefined ? undefined : clean(title);
	}

	if (contentType?.includes('html') === true || trimmed.startsWith('<')) {
		// Webob's HTML page: the title repeats in <h1>; keep the body text after it.
		const withoutHead = cutBetween(cutBetween(trimmed, '<head>', '</head>'), '<h1>', '</h1>');
		const text = clean(withoutHead);
		return text === '' ? clean(trimmed) : text;
	}

	return clean(trimmed);
}

/**
What `get` returns, or `undefined` when the service answered 404: the `find…` calls of every service.
*/
export async function undefinedIfNotFound<T>(get: () => Promise<T>): Promise<T | undefined> {
	try {
		return await get();
	} catch (error) {
		if (isNotFound(error)) {
			return undefined;
		}

		throw error;
	}
}
