/* eslint-disable @typescript-eslint/naming-convention -- fixtures and request bodies are OpenStack's snake_case JSON. */
import {Buffer} from 'node:buffer';
import test from 'ava';
import {openSession} from '../../source/openstack/session.js';
import {createFakeCloud, fixture} from '../helpers/fake-cloud.js';

const secretFixture = fixture('barbican-secret.json');

function secret(id: string) {
	// Barbican builds secret_ref from its host_href, often a host the client cannot reach.
	return {...secretFixture, secret_ref: `http://localhost:9311/v1/secrets/${id}`};
}

test('secrets: offset/limit paging until total, at most 100 per page, IDs from secret_ref', async t => {
	const cloud = await createFakeCloud(t);
	const all = Array.from({length: 205}, (_, index) => secret(`s${index}`));
	cloud.route('GET', '/key-manager/v1/secrets', request => {
		const offset = Number(request.query.get('offset'));
		const limit = Number(request.query.get('limit'));
		return {json: {secrets: all.slice(offset, offset + Math.min(limit, 100)), total: all.length, next: 'http://localhost:9311/v1/secrets?limit=100&offset=999'}};
	});
	const session = await openSession(cloud.config);
	const ids = [];
	for await (const item of session.barbican!.listSecrets({pageSize: 500})) {
		ids.push(item.id);
	}

	t.is(ids.length, 205);
	t.is(ids[204], 's204');
	t.deepEqual(cloud.server.calls('GET', '/key-manager/v1/secrets').map(call => call.query.toString()), ['offset=0&limit=100', 'offset=100&limit=100', 'offset=200&limit=100']);
	t.deepEqual(cloud.server.problems, []);
});

test('get (naive timestamps become UTC), find (404 → undefined), metadata', async t => {
	const cloud = await createFakeCloud(t);
	cloud.route('GET', '/key-manager/v1/secrets/:id', request => request.params['id'] === 'gone'
		? {status: 404, json: fixture('barbican-error-404.json')}
		: {json: secret(request.params['id']!)});
	cloud.route('GET', '/key-manager/v1/secrets/:id/metadata', {json: {metadata: {backstack: 'escrowed'}}});
	const session = await openSession(cloud.config);
	const found = await session.barbican!.getSecret('k1');
	t.like(found, {
		id: 'k1', status: 'ACTIVE', secretType: 'symmetric', algorithm: 'aes', bitLength: 256, createdAt: '2026-11-23T11:50:12.000Z', updatedAt: '2026-11-23T11:50:12.000Z',
	});
	t.is(found.name, undefined);
	t.deepEqual(found.contentTypes, {default: 'application/octet-stream'});
	t.is(await session.barbican!.findSecret('gone'), undefined);
	await t.throwsAsync(session.barbican!.getSecret('gone'), {message: /barbican GET \/key-manager\/v1\/secrets\/gone → 404 Not Found: Secret not found\./v});
	t.deepEqual(await session.barbican!.getSecretMetadata('k1'), {backstack: 'escrowed'});
});

test('payload as bytes with Accept: application/octet-stream; store as base64 octet-stream; delete', async t => {
	const cloud = await createFakeCloud(t);
	const key = new Uint8Array(Array.from({length: 32}, (_, index) => index * 7));
	cloud.route('GET', '/key-manager/v1/secrets/k1/payload', request => request.header('accept') === 'application/octet-stream'
		? {body: key, headers: {'content-type': 'application/octet-stream'}}
		: {status: 406, json: {code: 406, title: 'Not Acceptable', description: 'wrong accept'}});
	cloud.route('POST', '/key-manager/v1/secrets', {status: 201, json: {secret_ref: 'http://localhost:9311/v1/secrets/new-uuid'}});
	cloud.route('DELETE', '/key-manager/v1/secrets/new-uuid', {status: 204});
	const session = await openSession(cloud.config);
	t.deepEqual([...await session.barbican!.getSecretPayload('k1')], [...key]);
	const stored = await session.barbican!.storeSecret({
		payload: key, algorithm: 'aes', bitLength: 256, secretType: 'symmetric',
	});
	t.deepEqual(stored, {id: 'new-uuid'});
	t.deepEqual(cloud.server.calls('POST', '/key-manager/v1/secrets')[0]?.json(), {
		payload: Buffer.from(key).toString('base64'),
		payload_content_type: 'application/octet-stream',
		payload_content_encoding: 'base64',
		secret_type: 'symmetric',
		algorithm: 'aes',
		bit_length: 256,
	});
	await session.barbican!.deleteSecret('new-uuid');
	t.is(cloud.server.calls('DELETE', '/key-manager/v1/secrets/new-uuid').length, 1);
	t.false(cloud.server.requests.some(request => request.header('host')?.startsWith('localhost')));
});

test('a 403 on the payload (reader role) keeps Barbican\'s description and no payload in the message', async t => {
	const cloud = await createFakeCloud(t);
	const description = 'SecretPayload retrieval attempt not allowed - please review your user/project privileges';
	cloud.route('GET', '/key-manager/v1/secrets/k1/payload', {status: 403, json: {code: 403, title: 'Forbidden', description}});
	const session = await openSession(cloud.config);
	const error = await t.throwsAsync(session.barbican!.getSecretPayload('k1'));
	t.is(error.message, 'barbican GET /key-manager/v1/secrets/k1/payload → 403 Forbidden: SecretPayload retrieval attempt not allowed - please review your user/project privileges');
});
