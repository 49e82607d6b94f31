/* eslint-disable unicorn/consistent-class-member-order -- the public surface first, the request pipeline below it. */
/* eslint-disable @typescript-eslint/no-restricted-types -- node:http and node:crypto hand out Buffers. */
/*
One node:http server for all five services: picks the service by path prefix, applies latency, bandwidth and faults,
and turns handler errors into each service's own error body.
*/
import {Buffer} from 'node:buffer';
import {
	createServer,
	type IncomingMessage,
	type Server,
	type ServerResponse,
} from 'node:http';
import type {AddressInfo} from 'node:net';
import {AuthError} from './auth.js';
import {FaultTable, type FaultSpec} from './faults.js';
import {
	HttpError,
	keystoneErrorReply,
	uuid,
	type DemoService,
	type Reply,
	type RequestContext,
} from './http.js';

export type ServiceModule = {
	service: DemoService;
	/**
	E.g. `/volume`; requests to the prefix itself or below it belong to the module.
	*/
	prefix: string;
	handle(context: RequestContext): Reply | Promise<Reply>;
	errorReply(error: HttpError, context: RequestContext): Reply;
};

const maxBodyBytes = 256 * 1024 * 1024;

/**
How long stall and latency faults hold a request, in all.
*/
function faultDelay(faults: ReadonlyArray<{kind: string; ms?: number}>): number {
	let delay = 0;
	for (const fault of faults) {
		if ((fault.kind === 'stall' || fault.kind === 'latency') && fault.ms !== undefined) {
			delay += fault.ms;
		}
	}

	return delay;
}

export type RequestEntry = {at: number; method: string; path: string};

const recentCap = 10_000;

export class DemoHttpServer {
	private readonly server: Server;
	private readonly modules: ServiceModule[] = [];
	private readonly counts = new Map<string, number>();
	/**
	The newest requests (time, method, path), for a benchmark to see how often something was polled; capped.
	*/
	private readonly recent: RequestEntry[] = [];
	private readonly sleepers = new Set<{timer: NodeJS.Timeout; resolve: () => void}>();
	private closed = false;

	readonly faults = new FaultTable();
	/**
	What an `expire-token` fault does to the token it catches (set by the cloud that owns the token store).
	*/
	expireToken?: (tokenId: string) => void;
	latencyMs: number;
	bandwidthBytesPerSecond: number | undefined;
	origin = '';

	constructor(options: {latencyMs?: number; bandwidthBytesPerSecond?: number} = {}) {
		this.latencyMs = options.latencyMs ?? 0;
		this.bandwidthBytesPerSecond = options.bandwidthBytesPerSecond;
		this.server = createServer((request, response) => {
			void this.dispatch(request, response);
		});
		this.server.keepAliveTimeout = 5000;
	}

	private async sleep(ms: number): Promise<void> {
		if (ms <= 0 || this.closed) {
			return;
		}

		await new Promise<void>(resolve => {
			const sleeper = {
				timer: setTimeout(() => {
					this.sleepers.delete(sleeper);
					resolve();
				}, ms),
				resolve,
			};
			this.sleepers.add(sleeper);
		});
	}

	use(module: ServiceModule): void {
		this.modules.push(module);
	}

	async listen(port = 0, host = '127.0.0.1'): Promise<string> {
		await new Promise<void>((resolve, reject) => {
			this.server.once('error', reject);
			this.server.listen(port, host, () => {
				this.server.off('error', reject);
				resolve();
			});
		});
		const address = this.server.address() as AddressInfo;
		this.origin = `http://${host}:${address.port}`;
		return this.origin;
	}

	async close(): Promise<void> {
		this.closed = true;
		for (const sleeper of this.sleepers) {
			clearTimeout(sleeper.timer);
			sleeper.resolve();
		}

		this.sleepers.clear();
		const closing = new Promise<void>(resolve => {
			this.server.close(() => {
				resolve();
			});
		});
		this.server.closeAllConnections();
		await closing;
	}

	/**
	The newest requests (at most 10,000), oldest first; paths only, never a query, header or body.
	*/
	requestLog(): RequestEntry[] {
		return [...this.recent];
	}

	/**
	Requests received, in total or for one service.
	*/
	requestCount(service?: DemoService): number {
		if (service !== undefined) {
			return this.counts.get(service) ?? 0;
		}

		let total = 0;
		for (const count of this.counts.values()) {
			total += count;
		}

		return total;
	}

	/**
	An `expire-token` fault ends the token the request carries, as Keystone's expiry would.
	*/
	private applyTokenFaults(request: IncomingMessage, faults: ReadonlyArray<{kind: string}>): void {
		const token = request.headers['x-auth-token'];
		if (typeof token === 'string' && faults.some(fault => fault.kind === 'expire-token')) {
			this.expireToken?.(token);
		}
	}

	private async dispatch(request: IncomingMessage, response: ServerResponse): Promise<void> {
		const url = new URL(request.url ?? '/', 'http://localhost');
		const method = (request.method ?? 'GET').toUpperCase();
		const module = this.modules.find(candidate => url.pathname === candidate.prefix || url.pathname.startsWith(`${candidate.prefix}/`));
		const requestId = `req-${uuid()}`;
		const counterKey = module?.service ?? 'other';
		this.counts.set(counterKey, (this.counts.get(counterKey) ?? 0) + 1);
		this.recent.push({at: Date.now(), method, path: url.pathname});
		if (this.recent.length > recentCap) {
			this.recent.splice(0, this.recent.length - recentCap);
		}

		let body: Buffer;
		try {
			body = await readBody(request);
		} catch {
			response.destroy();
			return;
		}

		const context: RequestContext = {
			method,
			segments: module ? url.pathname.slice(module.prefix.length).split('/').filter(Boolean).map(segment => decodeURIComponent(segment)) : [],
			query: url.searchParams,
			headers: request.headers,
			body,
			origin: this.origin,
			requestId,
		};

		if (!module) {
			await this.write(response, method, {status: 404, json: {error: {code: 404, title: 'Not Found', message: `No service at ${url.pathname}`}}}, {requestId, isMalformed: false});
			return;
		}

		await this.sleep(this.latencyMs);
		const faults = this.faults.pick(module.service, method, `${url.pathname}${url.search}`);
		if (faults.some(fault => fault.kind === 'reset')) {
			request.socket.destroy();
			return;
		}

		this.applyTokenFaults(request, faults);
		await this.sleep(faultDelay(faults));
		if (this.closed) {
			response.destroy();
			return;
		}

		const isMalformed = faults.some(fault => fault.kind === 'malformed');
		let reply = faultReply(module, context, faults);

		reply ??= await this.run(module, context);
		const hold = faults.find((fault): fault is Extract<FaultSpec, {kind: 'hold-reply'}> => fault.kind === 'hold-reply');
		if (hold) {
			// The longest timer Node keeps (about 24 days); close() ends it.
			await this.sleep(hold.ms ?? 2_147_483_647);
			if (this.closed) {
				response.destroy();
				return;
			}
		}

		await this.write(response, method, reply, {requestId, isMalformed});
	}

	private async run(module: ServiceModule, context: RequestContext): Promise<Reply> {
		try {
			return await module.handle(context);
		} catch (error) {
			if (error instanceof AuthError) {
				return keystoneErrorReply(401, error.message, `${this.origin}/identity`);
			}

			return error instanceof HttpError
				? module.errorReply(error, context)
				: module.errorReply(new HttpError(500, 'The server has either '
				+ `erred or is incapable of performing the requested operation. (${error instanceof Error ? error.message : String(error)})`), context);
		}
	}

	private async write(response: ServerResponse, method: string, reply: Reply, {requestId, isMalformed}: {requestId: string; isMalformed: boolean}): Promise<void> {
		const headers: Record<string, string> = {'x-openstack-request-id': requestId, ...reply.headers};
		let payload: Buffer;
		if (reply.json === undefined) {
			payload = reply.body === undefined ? Buffer.alloc(0) : Buffer.from(reply.body);
		} else {
			payload = Buffer.from(JSON.stringify(reply.json));
			headers['Content-Type'] ??= 'application/json';
		}

		if (isMalformed && payload.length > 0) {
			payload = payload.subarray(0, Math.floor(payload.length / 2));
		}

		const isNoBody = method === 'HEAD' || reply.status === 204 || reply.status === 304;
		headers['Content-Length'] ??= String(isNoBody && method !== 'HEAD' ? 0 : payload.length);
		if (reply.status === 204) {
			delete headers['Content-Length'];
		}

		if (response.destroyed) {
			return;
		}

		response.writeHead(reply.status, headers);
		if (isNoBody) {
			response.end();
			return;
		}

		const rate = this.bandwidthBytesPerSecond;
		if (rate === undefined || rate <= 0 || payload.length === 0) {
			response.end(payload);
			return;
		}

		const tickMs = 50;
		const chunkSize = Math.max(1, Math.floor(rate * tickMs / 1000));
		for (let offset = 0; offset < payload.length; offset += chunkSize) {
			if (response.destroyed || this.closed) {
				return;
			}

			response.write(payload.subarray(offset, offset + chunkSize));
			// eslint-disable-next-line no-await-in-loop
			await this.sleep(tickMs);
		}

		response.end();
	}
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
	const chunks: Buffer[] = [];
	let size = 0;
	for await (const chunk of request) {
		const buffer = chunk as Buffer;
		size += buffer.length;
		if (size > maxBodyBytes) {
			throw new Error('Request body too large');
		}

		chunks.push(buffer);
	}

	return Buffer.concat(chunks);
}

// The reply an `error` or `rate-limit` fault puts in place of the service's own.
function faultReply(module: ServiceModule, context: RequestContext, faults: FaultSpec[]): Reply | undefined {
	for (const fault of faults) {
		if (fault.kind === 'error') {
			return module.errorReply(new HttpError(fault.status, fault.message ?? 'Injected fault'), context);
		}

		if (fault.kind === 'rate-limit') {
			return module.errorReply(new HttpError(429, 'Too many requests', {'Retry-After': String(fault.retryAfter ?? 1)}), context);
		}
	}

	return undefined;
}
