/* eslint-disable @typescript-eslint/naming-convention -- request and response bodies are OpenStack's snake_case JSON. */
import {once} from 'node:events';
import https from 'node:https';
import type {AddressInfo} from 'node:net';
import test from 'ava';
import {isOpenStackError} from '../../source/openstack/errors.js';
import {HttpClient} from '../../source/openstack/http.js';
import {openSession} from '../../source/openstack/session.js';
import {collect} from '../helpers/collect.js';
import {createFakeCloud} from '../helpers/fake-cloud.js';
import {selfSigned} from '../helpers/tls.js';

function text(chunks: Uint8Array[]): string {
	const decoder = new TextDecoder();
	return chunks.map(chunk => decoder.decode(chunk, {stream: true})).join('') + decoder.decode();
}

async function httpsServer(t: {teardown(fn: () => unknown): void}, credentials: {cert: string; key: string}) {
	const bodies: string[] = [];
	const server = https.createServer(credentials, (request, response) => {
		const chunks: Uint8Array[] = [];
		request.on('data', (chunk: Uint8Array) => {
			chunks.push(chunk);
		});
		request.on('end', () => {
			bodies.push(text(chunks));
			response.writeHead(200, {'content-type': 'application/json', 'x-openstack-request-id': 'req-tls'});
			response.end(JSON.stringify({ok: true, method: request.method}));
		});
	});
	server.listen(0, '127.0.0.1');
	await once(server, 'listening');
	t.teardown(() => {
		server.closeAllConnections();
		server.close();
	});
	return {url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies};
}

test('a CA bundle (cacert) makes a self-signed endpoint trusted; without it the certificate is refused', async t => {
	const credentials = await selfSigned(t);
	const server = await httpsServer(t, credentials);
	const trusted = new HttpClient({tls: {cacert: credentials.certFile}, retry: {retries: 0}});
	const {data} = await trusted.json({
		service: 'cinder', method: 'POST', url: `${server.url}/x`, json: {backup: {volume_id: 'v'}}, auth: false,
	});
	t.deepEqual(data, {ok: true, method: 'POST'});
	t.deepEqual(server.bodies, ['{"backup":{"volume_id":"v"}}']);
	t.false(trusted.tlsInsecure);

	const plain = new HttpClient({retry: {retries: 0}});
	const error = await t.throwsAsync(plain.send({
		service: 'cinder', method: 'GET', url: `${server.url}/x`, auth: false,
	}));
	t.true(isOpenStackError(error));
	t.regex(error.message, /^cinder GET \/x failed: .*(?:self.signed|SELF_SIGNED)/v);
});

test('verify: false accepts the certificate and says so (tlsInsecure)', async t => {
	const credentials = await selfSigned(t);
	const server = await httpsServer(t, credentials);
	const insecure = new HttpClient({tls: {verify: false}, retry: {retries: 0}});
	const {data, response} = await insecure.json({
		service: 'glance', method: 'GET', url: `${server.url}/y`, auth: false,
	});
	t.deepEqual(data, {ok: true, method: 'GET'});
	t.is(response.headers.get('x-openstack-request-id'), 'req-tls');
	t.true(insecure.tlsInsecure);
});

test('a whole session runs through the TLS-capable transport (verify: false), streams included', async t => {
	const cloud = await createFakeCloud(t);
	const data = new TextEncoder().encode('image bytes through node:http');
	cloud.route('GET', '/compute/v2.1/servers/detail', {
		json: {
			servers: [{
				id: 's1', name: 'a', status: 'ACTIVE', image: '', created: '2026-01-01T00:00:00Z',
			}],
		},
	});
	cloud.route('GET', '/image/v2/images/i1', {
		json: {
			id: 'i1', name: 'i', status: 'active', size: data.byteLength, created_at: '2026-01-01T00:00:00Z',
		},
	});
	cloud.route('GET', '/image/v2/images/i1/file', {body: data});
	const session = await openSession({...cloud.config, verify: false});
	t.true(session.insecure);
	const servers = await collect(session.nova!.listServers());
	t.deepEqual(servers.map(server => server.id), ['s1']);
	const chunks = await collect(session.glance!.downloadImage('i1'));
	t.is(text(chunks), 'image bytes through node:http');
	t.deepEqual(cloud.server.problems, []);
});
