/*
What every service client gets from the session: the transport, its versioned base URL, the headers to send
(microversions) and the project it is scoped to.
*/
import type {HttpClient, HttpMethod, RequestSpec} from './http.js';
import type {Microversion, ServiceName} from './types.js';
import {joinUrl} from './util.js';

export type ServiceContext = {
	service: ServiceName;
	http: HttpClient;
	/**
	Versioned base URL from the catalog (e.g. `https://h:8776/v3/<project>`).
	*/
	endpoint: string;
	microversion: Microversion;
	/**
	Sent with every request (microversion headers).
	*/
	headers: Record<string, string>;
	projectId: string;
};

export type Query = Record<string, string | number | boolean | undefined>;

export function url(context: ServiceContext, path: string, query?: Query): string {
	return joinUrl(context.endpoint, path, query);
}

export function request(context: ServiceContext, method: HttpMethod, path: string, extra: Omit<RequestSpec, 'service' | 'method' | 'url'> & {query?: Query} = {}): RequestSpec {
	const {query, headers, ...rest} = extra;
	return {
		...rest,
		service: context.service,
		method,
		url: url(context, path, query),
		headers: {...context.headers, ...headers},
	};
}

export async function getJson(context: ServiceContext, path: string, options: {query?: Query; signal?: AbortSignal} = {}): Promise<unknown> {
	const {data} = await context.http.json(request(context, 'GET', path, options));
	return data;
}

export type JsonRequestOptions = {json: unknown; signal?: AbortSignal; headers?: Record<string, string>};

export async function sendJson(context: ServiceContext, method: HttpMethod, path: string, options: JsonRequestOptions): Promise<{data: unknown; response: Response}> {
	return context.http.json(request(context, method, path, options));
}

export async function sendEmpty(context: ServiceContext, method: HttpMethod, path: string, options: {signal?: AbortSignal} = {}): Promise<void> {
	const response = await context.http.send(request(context, method, path, options));
	await response.body?.cancel();
}

/**
Keeps the query of a server-sent `next` link but rebuilds the URL on our endpoint (never trusting the link's host).
*/
export function rebuildNext(context: ServiceContext, listPath: string, next: string): string {
	const link = new URL(next, context.endpoint);
	const target = new URL(url(context, listPath));
	target.search = link.search;
	return target.href;
}

export function nextLink(links: unknown): string | undefined {
	if (!Array.isArray(links)) {
		return undefined;
	}

	for (const link of links) {
		if (typeof link !== 'object' || link === null) {
			continue;
		}

		const record = link as Record<string, unknown>;
		if (record['rel'] === 'next' && typeof record['href'] === 'string') {
			return record['href'];
		}
	}

	return undefined;
}

/**
Follows Cinder/Nova marker pagination: items under `key`, the next page in `<key>_links` (rel=next). The link's query is
kept, its host and path are not: the URL is rebuilt on the catalog endpoint. Stops on an empty page or a repeated link.
`from` (a next link already received) starts there instead of at the first page.

@yields Each raw item, page after page.
*/
export async function * markerPages(context: ServiceContext, list: {path: string; key: string; query?: Query; from?: string; signal?: AbortSignal}): AsyncGenerator<Record<string, unknown>> {
	const {path: listPath, key, query, signal} = list;
	let target: string | undefined = list.from === undefined ? url(context, listPath, query) : rebuildNext(context, listPath, list.from);
	const seen = new Set<string>();
	while (target !== undefined) {
		seen.add(target);
		// eslint-disable-next-line no-await-in-loop -- pages are sequential.
		const {data} = await context.http.json({
			service: context.service, method: 'GET', url: target, headers: context.headers, signal,
		});
		const body = typeof data === 'object' && data !== null ? data as Record<string, unknown> : {};
		const items = Array.isArray(body[key]) ? body[key] as unknown[] : [];
		for (const item of items) {
			if (typeof item === 'object' && item !== null) {
				yield item as Record<string, unknown>;
			}
		}

		const next = nextLink(body[`${key}_links`]);
		if (next === undefined || items.length === 0) {
			return;
		}

		const rebuilt = rebuildNext(context, listPath, next);
		target = seen.has(rebuilt) ? undefined : rebuilt;
	}
}

/**
How many pages of one list are fetched at once once their number is known (Barbican `total`, Cinder `count`).
*/
export const pageConcurrency = 6;

/**
Fetches `count` pages with `fetchPage(index, signal)`, at most `limit` at a time, and yields them in index order. At most
`limit` pages are held, fetched or waiting, at once. When the consumer stops early or a page fails, the pages still in
flight are aborted (their signal is tied to the caller's).

@yields Each page's result, in index order.
*/
export async function * orderedPages<T>(count: number, limit: number, fetchPage: (index: number, signal: AbortSignal) => Promise<T>, signal?: AbortSignal): AsyncGenerator<T> {
	const controller = new AbortController();
	const inner = signal === undefined ? controller.signal : AbortSignal.any([signal, controller.signal]);
	const window: Array<Promise<T>> = [];
	let next = 0;
	const start = () => {
		const page = fetchPage(next++, inner);
		// Rejections are seen when the page's turn comes; until then they must not count as unhandled.
		page.catch(() => undefined);
		window.push(page);
	};

	try {
		for (let started = 0; started < Math.min(count, limit); started++) {
			start();
		}

		while (window.length > 0) {
			// eslint-disable-next-line no-await-in-loop -- pages are handed over in order.
			const page = await window.shift()!;
			if (next < count) {
				start();
			}

			yield page;
		}
	} finally {
		controller.abort(new DOMException('The list was left before its end', 'AbortError'));
	}
}
