/* eslint-disable @typescript-eslint/naming-convention -- fixtures and request bodies are OpenStack's snake_case JSON. */
import {once} from 'node:events';
import {createServer} from 'node:http';
import type {AddressInfo} from 'node:net';
import test from 'ava';
import {
	isForbidden,
	isNotFound,
	isOpenStackError,
	isQuota,
	type OpenStackError,
} from '../../source/openstack/errors.js';
import {HttpClient, parseRetryAfter, redactUrl} from '../../source/openstack/http.js';
import {createHttpServer, type Reply} from '../helpers/http-server.js';
import {fixture} from '../helpers/fake-cloud.js';

function client(options: {retries?: number; timeoutMs?: number; maxRetryAfterMs?: number} = {}) {
	const waits: number[] = [];
	const http = new HttpClient({
		retry: {retries: options.retries ?? 3, maxRetryAfterMs: options.maxRetryAfterMs ?? 60_000},
		timeoutMs: options.timeoutMs,
		random: () => 0.5,
		async sleep(ms) {
			waits.push(ms);
		},
	});
	return {http, waits};
}

function sequence(replies: Reply[]): () => Reply {
	let index = 0;
	return () => replies[Math.min(index++, replies.length - 1)]!;
}

test('GET is retried on 503 with exponential backoff and jitter, then succeeds', async t => {
	const server = await createHttpServer(t);
	server.route('GET', '/x', sequence([{status: 503, body: 'busy'}, {status: 502}, {status: 504}, {json: {ok: true}}]));
	const {http, waits} = client();
	const {data} = await http.json({
		service: 'cinder', method: 'GET', url: `${server.url}/x`, auth: false,
	});
	t.deepEqual(data, {ok: true});
	t.is(server.requests.length, 4);
	// Random 0.5 of 300, 600, 1200 ms.
	t.deepEqual(waits, [150, 300, 600]);
});

test('GET is retried on 429 after Retry-After seconds, or an HTTP date', async t => {
	const server = await createHttpServer(t);
	const inTwoMinutes = new Date(Date.now() + 30_000).toUTCString();
	server.route('GET', '/x', sequence([
		{status: 429, headers: {'retry-after': '2'}},
		{status: 429, headers: {'retry-after': inTwoMinutes}},
		{json: {}},
	]));
	const {http, waits} = client();
	await http.send({
		service: 'nova', method: 'GET', url: `${server.url}/x`, auth: false,
	});
	t.is(waits[0], 2000);
	t.true(waits[1]! > 25_000 && waits[1]! <= 30_000, String(waits[1]));
});

test('a Retry-After longer than the limit is reported, not waited for', async t => {
	const server = await createHttpServer(t);
	server.route('GET', '/x', {status: 429, headers: {'retry-after': '3600'}, json: {overLimit: {code: 429, message: 'Rate limited', retryAfter: '3600'}}});
	const {http, waits} = client({maxRetryAfterMs: 10_000});
	const error = await t.throwsAsync(http.send({
		service: 'nova', method: 'GET', url: `${server.url}/x`, auth: false,
	}));
	t.true(isOpenStackError(error));
	t.is((error as OpenStackError).retryAfter, 3600);
	t.is((error as OpenStackError).serviceMessage, 'Rate limited');
	t.deepEqual(waits, []);
});

test('POST is never retried on 503', async t => {
	const server = await createHttpServer(t);
	server.route('POST', '/backups', {status: 503, json: {serviceUnavailable: {code: 503, message: 'Service is unavailable at this time.'}}});
	const {http, waits} = client();
	const error = await t.throwsAsync(http.send({
		service: 'cinder', method: 'POST', url: `${server.url}/backups`, json: {backup: {volume_id: 'v'}}, auth: false,
	}));
	t.is(server.requests.length, 1);
	t.deepEqual(waits, []);
	t.is((error as OpenStackError).status, 503);
	t.regex(error.message, /cinder POST \/backups → 503 Service Unavailable: Service is unavailable at this time\./v);
});

test('413 with Retry-After: 0 is a quota error, reported at once (even for GET)', async t => {
	const server = await createHttpServer(t);
	const message = 'VolumeBackupSizeExceedsAvailableQuota: Requested backup exceeds allowed Backup gigabytes quota. '
		+ 'Requested 10G, quota is 5G and 0G has been consumed.';
	const body = {overLimit: {code: 413, message, retryAfter: '0'}};
	server.route('POST', '/backups', {status: 413, headers: {'retry-after': '0'}, json: body});
	server.route('GET', '/limits', {status: 413, headers: {'retry-after': '0'}, json: body});
	const {http, waits} = client();
	const post = await t.throwsAsync(http.send({
		service: 'cinder', method: 'POST', url: `${server.url}/backups`, json: {}, auth: false,
	}));
	const get = await t.throwsAsync(http.send({
		service: 'cinder', method: 'GET', url: `${server.url}/limits`, auth: false,
	}));
	t.true(isQuota(post));
	t.true(isQuota(get));
	t.is((post as OpenStackError).retryAfter, 0);
	t.regex(post.message, /quota is 5G/v);
	t.is(server.requests.length, 2);
	t.deepEqual(waits, []);
});

test('connection errors: GET retried, POST not', async t => {
	const server = await createHttpServer(t);
	server.route('GET', '/x', sequence([{destroy: true}, {json: {fine: 1}}]));
	server.route('POST', '/y', {destroy: true});
	const {http, waits} = client();
	const {data} = await http.json({
		service: 'glance', method: 'GET', url: `${server.url}/x`, auth: false,
	});
	t.deepEqual(data, {fine: 1});
	t.is(waits.length, 1);
	const error = await t.throwsAsync(http.send({
		service: 'glance', method: 'POST', url: `${server.url}/y`, json: {}, auth: false,
	}));
	t.true(isOpenStackError(error));
	t.is((error as OpenStackError).status, undefined);
	t.regex(error.message, /^glance POST \/y failed: /v);
	t.is(server.calls('POST', '/y').length, 1);
});

test('gives up after the configured retries with the last error', async t => {
	const server = await createHttpServer(t);
	const page = '<html><body><h1>503 Service Unavailable</h1>No server is available to handle this request.</body></html>';
	server.route('GET', '/x', {status: 503, headers: {'x-openstack-request-id': 'req-503'}, body: page});
	const {http, waits} = client({retries: 2});
	const error = await t.throwsAsync(http.send({
		service: 'barbican', method: 'GET', url: `${server.url}/x`, auth: false,
	}));
	t.is(server.requests.length, 3);
	t.is(waits.length, 2);
	t.is(error.message, 'barbican GET /x → 503 Service Unavailable: No server is available to handle this request. (request req-503)');
});

// Webob's HTML error page, as Glance sends it to a client that does not ask for JSON.
const webobForbidden = [
	'<html>',
	' <head>',
	'  <title>403 Forbidden</title>',
	' </head>',
	' <body>',
	'  <h1>403 Forbidden</h1>',
	'  You are not authorized to complete get_image_location action.<br /><br />',
	'',
	'',
	'',
	' </body>',
	'</html>',
].join('\n');

test('each service\'s error format becomes its own message, with the request ID', async t => {
	const server = await createHttpServer(t);
	const cases: Array<{service: 'identity' | 'cinder' | 'nova' | 'glance' | 'barbican'; reply: Reply; message: string; requestId?: string}> = [
		{
			service: 'identity',
			reply: {status: 401, json: {error: {code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.'}}, headers: {'x-openstack-request-id': 'req-k'}},
			message: 'The request you have made requires authentication.',
			requestId: 'req-k',
		},
		{
			service: 'cinder',
			reply: {status: 400, json: fixture('cinder-error-400.json'), headers: {'x-openstack-request-id': 'req-c'}},
			message: 'Target volume type is still in use.',
			requestId: 'req-c',
		},
		{
			service: 'nova',
			reply: {status: 404, json: {itemNotFound: {code: 404, message: 'Instance abc could not be found.'}}, headers: {'x-compute-request-id': 'req-n'}},
			message: 'Instance abc could not be found.',
			requestId: 'req-n',
		},
		{
			service: 'glance',
			reply: {status: 409, json: {message: 'Image status transition from active to saving is not allowed<br /><br />\n', code: '409 Conflict', title: 'Conflict'}},
			message: 'Image status transition from active to saving is not allowed',
		},
		{
			service: 'glance',
			reply: {status: 403, headers: {'content-type': 'text/html;charset=UTF-8'}, body: webobForbidden},
			message: 'You are not authorized to complete get_image_location action.',
		},
		{
			service: 'glance',
			reply: {status: 404, headers: {'content-type': 'text/plain'}, body: '404 Not Found\n\nNo image found with ID x\n\n   '},
			message: '404 Not Found No image found with ID x',
		},
		{
			service: 'barbican', reply: {status: 404, json: fixture('barbican-error-404.json')}, message: 'Secret not found.',
		},
	];
	const http = new HttpClient({retry: {retries: 0}});
	for (const [index, item] of cases.entries()) {
		server.route('GET', `/e${index}`, item.reply);
		// eslint-disable-next-line no-await-in-loop
		const error = await t.throwsAsync(http.send({
			service: item.service, method: 'GET', url: `${server.url}/e${index}`, auth: false,
		}));
		t.true(isOpenStackError(error), item.service);
		t.is((error as OpenStackError).serviceMessage, item.message, `${item.service} #${index}`);
		t.is((error as OpenStackError).requestId, item.requestId);
		t.is((error as OpenStackError).service, item.service);
	}

	t.true(isNotFound(await http.send({
		service: 'barbican', method: 'GET', url: `${server.url}/e6`, auth: false,
	}).catch((error: unknown) => error)));
	t.true(isForbidden(await http.send({
		service: 'glance', method: 'GET', url: `${server.url}/e4`, auth: false,
	}).catch((error: unknown) => error)));
	// Every request asked for JSON, so that Glance does not answer HTML.
	t.true(server.requests.every(request => request.header('accept') === 'application/json'));
});

test('a non-JSON success body where JSON was expected is a clear error', async t => {
	const server = await createHttpServer(t);
	server.route('GET', '/x', {headers: {'content-type': 'text/html'}, body: '<html><body>Welcome to nginx!</body></html>'});
	const http = new HttpClient();
	const error = await t.throwsAsync(http.json({
		service: 'nova', method: 'GET', url: `${server.url}/x`, auth: false,
	}));
	t.is(error.message, 'nova GET /x → 200: expected JSON but got text/html: Welcome to nginx!');
});

test('an error status reads with node:http\'s reason phrase, also one the client has no special case for', async t => {
	const server = await createHttpServer(t);
	server.route('GET', '/images/i', {status: 422, json: {code: 422, title: 'Unprocessable Entity', description: 'bad data'}});
	server.route('GET', '/big', {status: 507, body: ''});
	const {http} = client({retries: 0});
	const unprocessable = await t.throwsAsync(http.send({
		service: 'glance', method: 'GET', url: `${server.url}/images/i`, auth: false,
	}));
	t.regex(unprocessable.message, /^glance GET \/images\/i → 422 Unprocessable Entity: bad data/v);
	const storage = await t.throwsAsync(http.send({
		service: 'cinder', method: 'GET', url: `${server.url}/big`, auth: false,
	}));
	t.regex(storage.message, /→ 507 Insufficient Storage/v);
});

test('every request has a timeout', async t => {
	const server = await createHttpServer(t);
	server.route('GET', '/slow', async () => {
		await new Promise(resolve => {
			setTimeout(resolve, 1000);
		});
		return {json: {}};
	});
	const {http} = client({retries: 0, timeoutMs: 100});
	const error = await t.throwsAsync(http.send({
		service: 'cinder', method: 'GET', url: `${server.url}/slow`, auth: false,
	}));
	t.is(error.message, 'cinder GET /slow failed: no answer within 100 ms');
});

test('a stalled service fails within the request\'s total budget, retries included, and says how long it waited', async t => {
	const server = await createHttpServer(t);
	server.route('GET', '/stall', async () => new Promise(() => {
		// Never answers: the request is accepted and then nothing.
	}));
	const http = new HttpClient({
		retry: {retries: 10}, timeoutMs: 250, totalTimeoutMs: 600, random: () => 0.5, sleep: async () => undefined,
	});
	const error = await t.throwsAsync(http.send({
		service: 'cinder', method: 'GET', url: `${server.url}/stall`, auth: false,
	}));
	t.regex(error.message, /^cinder GET \/stall failed: no answer within \d+ ms; gave up after [23] attempts in \d+ s$/v);
	t.true(server.requests.length >= 2 && server.requests.length <= 3, `${server.requests.length} attempts, not the 11 the retries allow`);
});

test('the timeout covers the wait for the answer, not the reading of a long body', async t => {
	const server = createServer((_request, response) => {
		response.writeHead(200, {'content-type': 'application/octet-stream'});
		// The answer (headers) at once; the body then takes 6 × 400 ms, far longer than the 1 s timeout.
		response.flushHeaders();
		let sent = 0;
		const tick = setInterval(() => {
			response.write('x'.repeat(1000));
			if (++sent !== 6) {
				return;
			}

			clearInterval(tick);
			response.end();
		}, 400);
	});
	server.listen(0, '127.0.0.1');
	await once(server, 'listening');
	t.teardown(() => {
		server.closeAllConnections();
		server.close();
	});
	const {http} = client({retries: 0, timeoutMs: 1000});
	const response = await http.send({
		service: 'glance', method: 'GET', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/file`, auth: false,
	});
	const body = await response.text();
	t.is(body.length, 6000);
});

test('a caller\'s AbortSignal stops the request and the retries', async t => {
	const server = await createHttpServer(t);
	server.route('GET', '/x', {status: 503});
	const controller = new AbortController();
	const http = new HttpClient({
		retry: {retries: 5},
		async sleep() {
			controller.abort();
		},
	});
	await t.throwsAsync(http.send({
		service: 'cinder', method: 'GET', url: `${server.url}/x`, auth: false, signal: controller.signal,
	}), {name: 'AbortError'});
	t.is(server.requests.length, 1);
});

test('Retry-After parsing and URL redaction', t => {
	t.is(parseRetryAfter('0'), 0);
	t.is(parseRetryAfter('12'), 12);
	t.is(parseRetryAfter('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT')), 10);
	t.is(parseRetryAfter('soon'), undefined);
	t.is(parseRetryAfter(undefined), undefined);
	t.is(redactUrl('https://user:pw@h/v3?token=abc&limit=2&marker=m'), 'https://h/v3?token=REDACTED&limit=2&marker=m');
});
