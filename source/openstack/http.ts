/*
The one place HTTP happens: Node's fetch (undici) underneath, with backstack's own rules on top.

- Every request has a timeout (until the response headers arrive) and honours the caller's AbortSignal.
- Idempotent requests (GET/HEAD) are retried on connection errors, 502/503/504 and 429, with exponential backoff and full
  jitter, or after `Retry-After` (seconds or an HTTP date) when the server sends it. Writes are never retried, except after
  a 401: that is keystonemiddleware refusing the token before the service ran anything, so one re-authentication and one
  replay are safe.
- 413 is never retried (Cinder's quota answer is 413 + `Retry-After: 0`).
- Non-2xx answers become `OpenStackError` with the service's own message and the request ID.
- `DebugSink` gets one line per request: method, URL, status, duration, request ID. Never headers, bodies or tokens.
*/
import {readFileSync} from 'node:fs';
import {Agent, type Dispatcher} from 'undici';
import {OpenStackError, parseServiceMessage} from './errors.js';
import type {ServiceName} from './types.js';

export type DebugSink = (line: string) => void;

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
Supplies the token for requests and renews it on demand.
*/
export type TokenSource = {
	token(signal?: AbortSignal): Promise<string>;
	/**
	Forces a new token (after a 401).
	*/
	reauthenticate(signal?: AbortSignal): Promise<string>;
};

export type RequestSpec = {
	service: ServiceName;
	method: HttpMethod;
	/**
	Absolute URL.
	*/
	url: string;
	headers?: Record<string, string>;
	/**
	Sent as JSON with `Content-Type: application/json` unless `headers` says otherwise.
	*/
	json?: unknown;
	/**
	Raw body (bytes or a stream). A streamed body cannot be replayed after a 401.
	*/
	body?: Uint8Array | ReadableStream<Uint8Array>;
	/**
	Default true: send X-Auth-Token from the token source.
	*/
	auth?: boolean;
	signal?: AbortSignal;
	/**
	Statuses (besides 2xx) that are answers, not errors, e.g. 300 on version discovery.
	*/
	accept?: number[];
	/**
	Override the retry rule (default: only GET/HEAD).
	*/
	idempotent?: boolean;
	/**
	Override the client's timeout; `false` for uploads, whose response only comes after the last byte.
	*/
	timeoutMs?: number | false;
};

export type RetryPolicy = {
	/**
	Retries after the first attempt.
	*/
	retries: number;
	/**
	First backoff step in ms; doubles each time, full jitter.
	*/
	baseDelayMs: number;
	maxDelayMs: number;
	/**
	A longer Retry-After is not waited for: the error is reported with `retryAfter`.
	*/
	maxRetryAfterMs: number;
};

export const defaultRetryPolicy: RetryPolicy = {
	retries: 4,
	baseDelayMs: 300,
	maxDelayMs: 10_000,
	maxRetryAfterMs: 60_000,
};

export type TlsOptions = {
	/**
	PEM CA bundle path.
	*/
	cacert?: string;
	/**
	False = do not check certificates.
	*/
	verify?: boolean;
	cert?: string;
	key?: string;
};

export type HttpClientOptions = {
	tokens?: TokenSource;
	debug?: DebugSink;
	/**
	Per-attempt timeout until response headers, ms. Default 60 000.
	*/
	timeoutMs?: number;
	/**
	What one request may take in all, its retries and the waits between them included, ms (not uploads and downloads
	that pass `timeoutMs: false`). Default 45 000, or `timeoutMs` when that is longer. A stalled service then fails
	within this bound, with a message naming the service, the path and how long was waited, instead of hanging.
	*/
	totalTimeoutMs?: number;
	retry?: Partial<RetryPolicy>;
	tls?: TlsOptions;
	/**
	Injected for tests: the wait between retries.
	*/
	sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
	random?: () => number;
	/**
	A fetch to use instead of the global one (tests).
	*/
	fetch?: FetchFunction;
	/**
	The connection pool fetch uses (made from `tls` when that needs one; shared by re-scoped clients).
	*/
	dispatcher?: Dispatcher;
	/**
	Aborts every request of this client (the session was closed).
	*/
	closeSignal?: AbortSignal;
};

const retryableStatuses = new Set([429, 502, 503, 504]);

const secretParameter = /token|password|secret|passwd|credential|signature|key/iv;

/**
The URL as it may be shown: no userinfo, no values of query parameters that look secret.
*/
export function redactUrl(url: string): string {
	let parsed: URL;
	try {
		parsed = new URL(url);
	} catch {
		return '<invalid URL>';
	}

	parsed.username = '';
	parsed.password = '';
	for (const name of parsed.searchParams.keys()) {
		if (secretParameter.test(name)) {
			parsed.searchParams.set(name, 'REDACTED');
		}
	}

	return parsed.href;
}

export function requestIdOf(headers: Headers): string | undefined {
	return headers.get('x-openstack-request-id') ?? headers.get('x-compute-request-id') ?? undefined;
}

/**
Seconds to wait from a `Retry-After` value (delta-seconds or HTTP date), or undefined if absent or unreadable.
*/
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
	if (value === undefined) {
		return undefined;
	}

	const trimmed = value.trim();
	if (/^\d+(?:\.\d+)?$/v.test(trimmed)) {
		return Number(trimmed);
	}

	const date = Date.parse(trimmed);
	return Number.isNaN(date) ? undefined : Math.max(0, (date - now) / 1000);
}

function pathOf(url: string): string {
	try {
		const parsed = new URL(redactUrl(url));
		return parsed.pathname + parsed.search;
	} catch {
		return url;
	}
}

export async function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
	if (ms <= 0) {
		signal?.throwIfAborted();
		return;
	}

	await new Promise<void>((resolve, reject) => {
		const onAbort = () => {
			clearTimeout(timer);
			reject(signal?.reason instanceof Error ? signal.reason : new DOMException('Aborted', 'AbortError'));
		};

		const timer = setTimeout(() => {
			signal?.removeEventListener('abort', onAbort);
			resolve();
		}, ms);
		if (signal?.aborted) {
			onAbort();
			return;
		}

		signal?.addEventListener('abort', onAbort, {once: true});
	});
}

export type FetchFunction = (input: Request | URL | string, init?: RequestInit) => Promise<Response>;

/**
The connection pool for a cloud whose TLS needs a CA bundle, a client certificate or no verification: an undici Agent,
given to fetch as its dispatcher, so request and response bodies stream as they do without TLS options (an own fetch over
node:https had to read a request body into memory first).
*/
export function createTlsDispatcher(tls: TlsOptions): Dispatcher {
	const read = (file: string | undefined) => file === undefined || file === '' ? undefined : readFileSync(file);
	return new Agent({
		connect: {
			ca: read(tls.cacert), cert: read(tls.cert), key: read(tls.key), rejectUnauthorized: tls.verify !== false,
		},
	});
}

function requiresOwnDispatcher(tls: TlsOptions | undefined): tls is TlsOptions {
	return tls !== undefined && (tls.cacert !== undefined || tls.cert !== undefined || tls.key !== undefined || tls.verify === false);
}

type AttemptRules = {
	isIdempotent: boolean;
	isAuthenticated: boolean;
	isReplayable: boolean;
	isReauthenticated: boolean;
	/**
	Retries done so far.
	*/
	attempt: number;
	/**
	The `performance.now()` by which the request must be over; undefined for transfers without a timeout.
	*/
	deadline?: number;
	startedAt: number;
};

type Outcome = {kind: 'done'; response: Response} | {kind: 'reauthenticate'} | {kind: 'retry'; delayMs: number};

export class HttpClient {
	readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
	readonly #random: () => number;
	readonly #fetch?: FetchFunction;
	readonly #dispatcher?: Dispatcher;
	readonly #options: HttpClientOptions;
	readonly tokens?: TokenSource;
	readonly debug?: DebugSink;
	readonly timeoutMs: number;
	readonly totalTimeoutMs: number;
	readonly retry: RetryPolicy;
	readonly tlsInsecure: boolean;

	constructor(options: HttpClientOptions = {}) {
		this.#options = options;
		this.tokens = options.tokens;
		this.debug = options.debug;
		this.timeoutMs = options.timeoutMs ?? 60_000;
		this.totalTimeoutMs = options.totalTimeoutMs ?? Math.max(45_000, options.timeoutMs ?? 0);
		this.retry = {...defaultRetryPolicy, ...options.retry};
		this.#sleep = options.sleep ?? defaultSleep;
		this.#random = options.random ?? Math.random;
		const {tls} = options;
		this.tlsInsecure = tls?.verify === false;
		this.#fetch = options.fetch;
		this.#dispatcher = options.dispatcher ?? (options.fetch === undefined && requiresOwnDispatcher(tls) ? createTlsDispatcher(tls) : undefined);
	}

	/**
	One request: its response, or what to do before the next attempt. Throws when there is no next attempt.
	*/
	async #attempt(spec: RequestSpec, rules: AttemptRules): Promise<Outcome> {
		spec.signal?.throwIfAborted();
		const token = rules.isAuthenticated ? await this.#token(spec.signal) : undefined;
		const started = performance.now();
		let response: Response;
		try {
			response = await this.#fetchOnce(spec, token, this.#attemptTimeout(spec, rules));
		} catch (error) {
			return this.#afterNetworkError(spec, rules, error, Math.round(performance.now() - started));
		}

		const ms = Math.round(performance.now() - started);
		const requestId = requestIdOf(response.headers);
		this.#log(`${spec.method} ${redactUrl(spec.url)} ${response.status} ${ms}ms${requestId === undefined ? '' : ` ${requestId}`}`);
		if (response.ok || spec.accept?.includes(response.status) === true) {
			return {kind: 'done', response};
		}

		// A 401 is keystonemiddleware refusing the token before the service ran: re-authenticate once, then replay.
		if (!rules.isReauthenticated && rules.isAuthenticated && rules.isReplayable && response.status === 401) {
			await response.body?.cancel();
			return {kind: 'reauthenticate'};
		}

		const delayMs = this.#retryDelay(response, rules);
		if (delayMs !== undefined) {
			await response.body?.cancel();
			return {kind: 'retry', delayMs};
		}

		throw await errorFromResponse(spec.service, spec.method, spec.url, response);
	}

	async #token(signal: AbortSignal | undefined): Promise<string> {
		if (this.tokens === undefined) {
			throw new Error('HttpClient: authenticated request without a token source');
		}

		return this.tokens.token(signal);
	}

	#afterNetworkError(spec: RequestSpec, rules: AttemptRules, error: unknown, ms: number): Outcome {
		if (spec.signal?.aborted === true) {
			this.#log(`${spec.method} ${redactUrl(spec.url)} aborted ${ms}ms`);
			throw spec.signal.reason instanceof Error ? spec.signal.reason : new DOMException('Aborted', 'AbortError');
		}

		const reason = describeNetworkError(error, this.#attemptTimeout(spec, rules, performance.now() - ms));
		this.#log(`${spec.method} ${redactUrl(spec.url)} failed (${reason}) ${ms}ms`);
		const delayMs = this.#backoff(rules.attempt);
		if (rules.isIdempotent && rules.isReplayable && rules.attempt < this.retry.retries && this.#fits(rules, delayMs)) {
			return {kind: 'retry', delayMs};
		}

		if (rules.attempt > 0) {
			throw new OpenStackError({
				service: spec.service, method: spec.method, path: pathOf(spec.url), cause: error,
			}, `${reason}; gave up after ${rules.attempt + 1} attempts in ${Math.round((performance.now() - rules.startedAt) / 1000)} s`);
		}

		throw new OpenStackError({
			service: spec.service, method: spec.method, path: pathOf(spec.url), cause: error,
		}, reason);
	}

	/**
	Wait before retrying this answer, or undefined when it must not be retried (writes, 413, too long a Retry-After).
	*/
	#retryDelay(response: Response, rules: AttemptRules): number | undefined {
		if (!rules.isIdempotent || !rules.isReplayable || !retryableStatuses.has(response.status) || rules.attempt >= this.retry.retries) {
			return undefined;
		}

		const retryAfter = parseRetryAfter(response.headers.get('retry-after') ?? undefined);
		const delay = retryAfter === undefined ? this.#backoff(rules.attempt) : retryAfter * 1000;
		return delay <= this.retry.maxRetryAfterMs && this.#fits(rules, delay) ? delay : undefined;
	}

	/**
	Whether waiting `delayMs` still leaves time for another attempt within the request's total budget.
	*/
	#fits(rules: AttemptRules, delayMs: number): boolean {
		return rules.deadline === undefined || performance.now() + delayMs < rules.deadline;
	}

	/**
	This attempt's timeout: the per-attempt one, or what is left of the total budget when that is less.
	*/
	#attemptTimeout(spec: RequestSpec, rules: AttemptRules, now = performance.now()): number | false {
		const perAttempt = spec.timeoutMs ?? this.timeoutMs;
		return perAttempt === false || rules.deadline === undefined ? perAttempt : Math.max(1, Math.min(perAttempt, Math.round(rules.deadline - now)));
	}

	#backoff(attempt: number): number {
		const ceiling = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * (2 ** attempt));
		return Math.round(this.#random() * ceiling);
	}

	#log(line: string): void {
		if (this.debug) {
			try {
				this.debug(line);
			} catch {
				// A broken sink must not break the request.
			}
		}
	}

	async #fetchOnce(spec: RequestSpec, token: string | undefined, timeoutMs: number | false): Promise<Response> {
		const headers = new Headers(spec.headers);
		if (!headers.has('accept')) {
			headers.set('accept', 'application/json');
		}

		if (token !== undefined) {
			headers.set('x-auth-token', token);
		}

		let body: BodyInit | undefined;
		if (spec.json !== undefined) {
			body = JSON.stringify(spec.json);
			if (!headers.has('content-type')) {
				headers.set('content-type', 'application/json');
			}
		} else if (spec.body !== undefined) {
			body = spec.body as BodyInit;
		}

		const isStreamed = body instanceof ReadableStream;
		const init = {
			method: spec.method,
			headers,
			body,
			// A streamed body cannot be replayed anyway; with redirects allowed, fetch keeps every chunk sent in case a 307
			// asks for it again (1 GiB upload → 1 GiB resident). OpenStack APIs do not redirect writes.
			...(isStreamed && {duplex: 'half', redirect: 'error'}),
			// Not in the DOM's RequestInit: Node's fetch takes its connection pool (here: the TLS options) from it.
			...(this.#dispatcher && {dispatcher: this.#dispatcher}),
		};
		const fetchFunction = this.#fetch ?? fetch;
		if (timeoutMs === false) {
			return fetchFunction(spec.url, {...init, ...(spec.signal && {signal: spec.signal})} as RequestInit);
		}

		// The timeout runs until the response headers arrive, not while the body is read (a large download may take
		// minutes): AbortSignal.timeout() cannot be stopped, so an own timer aborts, and is cleared once fetch resolves.
		const timer = new AbortController();
		const timeout = setTimeout(() => {
			timer.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError'));
		}, timeoutMs);
		try {
			const signal = spec.signal ? AbortSignal.any([spec.signal, timer.signal]) : timer.signal;
			return await fetchFunction(spec.url, {...init, signal} as RequestInit);
		} finally {
			clearTimeout(timeout);
		}
	}

	/**
	The same transport with another token source (a re-scoped session).
	*/
	withTokens(tokens: TokenSource, closeSignal?: AbortSignal): HttpClient {
		return new HttpClient({
			...this.#options, tokens, dispatcher: this.#dispatcher, closeSignal: closeSignal ?? this.#options.closeSignal,
		});
	}

	/**
	Sends the request with the retry rules; resolves with the (unread) response when the status is 2xx or accepted.
	*/
	async send(request: RequestSpec): Promise<Response> {
		const signals = [request.signal, this.#options.closeSignal].filter((signal): signal is AbortSignal => signal !== undefined);
		const spec: RequestSpec = signals.length > 1 ? {...request, signal: AbortSignal.any(signals)} : {...request, signal: signals[0]};
		const rules: AttemptRules = {
			isIdempotent: spec.idempotent ?? (spec.method === 'GET' || spec.method === 'HEAD'),
			isAuthenticated: spec.auth !== false,
			isReplayable: !(spec.body instanceof ReadableStream),
			isReauthenticated: false,
			attempt: 0,
			startedAt: performance.now(),
			deadline: spec.timeoutMs === false ? undefined : performance.now() + this.totalTimeoutMs,
		};

		for (;;) {
			// eslint-disable-next-line no-await-in-loop -- attempts are sequential by nature.
			const outcome = await this.#attempt(spec, rules);
			if (outcome.kind === 'done') {
				return outcome.response;
			}

			if (outcome.kind === 'reauthenticate') {
				rules.isReauthenticated = true;
				// eslint-disable-next-line no-await-in-loop
				await this.tokens?.reauthenticate(spec.signal);
			} else {
				rules.attempt++;
				// eslint-disable-next-line no-await-in-loop
				await this.#sleep(outcome.delayMs, spec.signal);
			}
		}
	}

	/**
	Sends and parses a JSON answer (undefined for an empty body).
	*/
	async json<T = unknown>(spec: RequestSpec): Promise<{data: T; response: Response}> {
		const response = await this.send(spec);
		const text = await response.text();
		if (text.trim() === '') {
			return {data: undefined as T, response};
		}

		try {
			return {data: JSON.parse(text) as T, response};
		} catch (error) {
			throw new OpenStackError({
				service: spec.service,
				method: spec.method,
				path: pathOf(spec.url),
				status: response.status,
				requestId: requestIdOf(response.headers),
				serviceMessage: `expected JSON but got ${response.headers.get('content-type') ?? 'no content type'}: ${parseServiceMessage(text.slice(0, 200)) ?? ''}`.trim(),
				cause: error,
			});
		}
	}
}

function describeNetworkError(error: unknown, timeoutMs: number | false): string {
	if (!(error instanceof Error)) {
		return String(error);
	}

	if (timeoutMs !== false && error.name === 'TimeoutError') {
		return `no answer within ${timeoutMs < 1000 ? `${timeoutMs} ms` : `${Math.round(timeoutMs / 1000)} s`}`;
	}

	// Ky and fetch wrap the real reason ("fetch failed" → ECONNREFUSED, a certificate error…): report the innermost one.
	let innermost: NodeJS.ErrnoException = error;
	for (let depth = 0; depth < 5 && innermost.cause instanceof Error; depth++) {
		innermost = innermost.cause;
	}

	const {code, message} = innermost;
	return code === undefined || message.includes(code) ? message : `${code}: ${message}`;
}

/**
Reads an error response into an `OpenStackError` (service message parsed, body never quoted whole).
*/
export async function errorFromResponse(service: ServiceName, method: string, url: string, response: Response): Promise<OpenStackError> {
	let text = '';
	try {
		text = await response.text();
	} catch {
		// The body is optional for the error.
	}

	return new OpenStackError({
		service,
		method,
		path: pathOf(url),
		status: response.status,
		requestId: requestIdOf(response.headers),
		serviceMessage: parseServiceMessage(text.slice(0, 20_000), response.headers.get('content-type') ?? undefined),
		retryAfter: parseRetryAfter(response.headers.get('retry-after') ?? undefined),
	});
}
