/*
A small HTTP server on 127.0.0.1, port 0, for tests: routes by method + path pattern (`:name` segments), records every
request (method, path, query, headers, body), and closes itself at the end of the test.

Unmatched requests get a 404 and are listed in `problems`, as are handler exceptions (answered 500): a test asserts
`server.problems` is empty to know the client asked nothing unexpected.
*/
import {once} from 'node:events';
import http from 'node:http';
import type {AddressInfo} from 'node:net';

export type RecordedRequest = {
	method: string;
	/**
	Path without the query.
	*/
	path: string;
	query: URLSearchParams;
	headers: http.IncomingHttpHeaders;
	body: Uint8Array;
	params: Record<string, string>;
	text(): string;
	json(): unknown;
	header(name: string): string | undefined;
};

export type Reply = {
	status?: number;
	headers?: Record<string, string>;
	json?: unknown;
	body?: string | Uint8Array;
	/**
	Sent in pieces, each after `chunkDelayMs` (for streaming tests).
	*/
	chunks?: Uint8Array[];
	chunkDelayMs?: number;
	/**
	Close the socket without answering (connection error).
	*/
	destroy?: boolean;
};

export type Handler = (request: RecordedRequest) => Reply | Promise<Reply>;

type Route = {
	method: string;
	pattern: RegExp;
	names: string[];
	handler: Handler;
};

export type TestServer = {
	url: string;
	requests: RecordedRequest[];
	problems: string[];
	route(method: string, path: string, handler: Handler | Reply): void;
	/**
	Requests whose method and path (no query) match.
	*/
	calls(method: string, path: string | RegExp): RecordedRequest[];
	close(): Promise<void>;
};

type Teardown = {teardown(fn: () => unknown): void};

const regexSyntax = new Set(['^', '$', '\\', '.', '*', '+', '?', '(', ')', '[', ']', '{', '}', '|', '/']);

function compile(path: string): {pattern: RegExp; names: string[]} {
	const names: string[] = [];
	const source = path.split('/').map(segment => {
		if (segment.startsWith(':')) {
			names.push(segment.slice(1));
			return String.raw`([^\/]+)`;
		}

		return [...segment].map(character => regexSyntax.has(character) ? `\\${character}` : character).join('');
	}).join('/');
	return {pattern: new RegExp(`^${source}$`, 'v'), names};
}

async function readBody(request: http.IncomingMessage): Promise<Uint8Array> {
	const chunks: Uint8Array[] = [];
	for await (const chunk of request) {
		chunks.push(chunk as Uint8Array);
	}

	const total = chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
	const body = new Uint8Array(total);
	let offset = 0;
	for (const chunk of chunks) {
		body.set(chunk, offset);
		offset += chunk.byteLength;
	}

	return body;
}

async function delay(ms: number): Promise<void> {
	await new Promise(resolve => {
		setTimeout(resolve, ms);
	});
}

export async function createHttpServer(t?: Teardown): Promise<TestServer> {
	const routes: Route[] = [];
	const requests: RecordedRequest[] = [];
	const problems: string[] = [];

	const handle = async (incoming: http.IncomingMessage, outgoing: http.ServerResponse) => {
		const parsed = new URL(incoming.url ?? '/', 'http://127.0.0.1');
		const body = await readBody(incoming);
		const method = incoming.method ?? 'GET';
		const recorded: RecordedRequest = {
			method,
			path: parsed.pathname,
			query: parsed.searchParams,
			headers: incoming.headers,
			body,
			params: {},
			text: () => new TextDecoder().decode(body),
			json: () => JSON.parse(new TextDecoder().decode(body)) as unknown,
			header(name) {
				const value = incoming.headers[name.toLowerCase()];
				return Array.isArray(value) ? value.join(', ') : value;
			},
		};
		requests.push(recorded);

		let reply: Reply;
		const route = routes.find(candidate => candidate.method === method && candidate.pattern.test(parsed.pathname));
		if (route) {
			const match = route.pattern.exec(parsed.pathname);
			for (const [index, name] of route.names.entries()) {
				recorded.params[name] = decodeURIComponent(match?.[index + 1] ?? '');
			}

			try {
				reply = await route.handler(recorded);
			} catch (error) {
				problems.push(`${method} ${parsed.pathname}: ${(error as Error).message}`);
				reply = {status: 500, json: {error: {code: 500, message: `test handler failed: ${(error as Error).message}`}}};
			}
		} else {
			problems.push(`unexpected ${method} ${parsed.pathname}${parsed.search}`);
			reply = {status: 404, json: {error: {code: 404, title: 'Not Found', message: `no test route for ${method} ${parsed.pathname}`}}};
		}

		if (reply.destroy) {
			incoming.socket.destroy();
			return;
		}

		const headers: Record<string, string> = {...reply.headers};
		let payload: Uint8Array | string | undefined = reply.body;
		if (reply.json !== undefined) {
			payload = JSON.stringify(reply.json);
			headers['content-type'] ??= 'application/json';
		}

		if (reply.chunks) {
			outgoing.writeHead(reply.status ?? 200, headers);
			for (const chunk of reply.chunks) {
				if (reply.chunkDelayMs !== undefined && reply.chunkDelayMs > 0) {
					// eslint-disable-next-line no-await-in-loop -- chunks go out in order, spaced in time.
					await delay(reply.chunkDelayMs);
				}

				outgoing.write(chunk);
			}

			outgoing.end();
			return;
		}

		outgoing.writeHead(reply.status ?? 200, headers);
		outgoing.end(payload);
	};

	const server = http.createServer((incoming, outgoing) => {
		void handle(incoming, outgoing);
	});

	server.listen(0, '127.0.0.1');
	await once(server, 'listening');
	const {port} = server.address() as AddressInfo;
	let isClosed = false;
	const close = async () => {
		if (isClosed) {
			return;
		}

		isClosed = true;
		server.closeAllConnections();
		await new Promise<void>(resolve => {
			server.close(() => {
				resolve();
			});
		});
	};

	t?.teardown(close);

	return {
		url: `http://127.0.0.1:${port}`,
		requests,
		problems,
		route(method, path, handler) {
			const {pattern, names} = compile(path);
			routes.unshift({
				method, pattern, names, handler: typeof handler === 'function' ? handler : () => handler,
			});
		},
		calls(method, path) {
			return requests.filter(request => request.method === method && (typeof path === 'string' ? request.path === path : path.test(request.path)));
		},
		close,
	};
}
