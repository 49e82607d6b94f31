/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument, unicorn/no-await-expression-member -- OpenStack JSON bodies are asserted field by field. */
/* eslint-disable @typescript-eslint/naming-convention -- OpenStack's wire format is snake_case. */
import {Buffer} from 'node:buffer';
import {randomBytes} from 'node:crypto';
import test from 'ava';
import {startDemoCloud, type DemoCloud} from '../../source/demo-cloud/index.js';
import {
	call,
	login,
	type Json,
	type Session,
} from './helpers/client.js';

let cloud: DemoCloud;
let demo: Session;

test.before(async () => {
	cloud = await startDemoCloud({seed: 'empty'});
	demo = await login(cloud, 'demo', 'demo');
});

test.after.always(async () => {
	await cloud.close();
});

const secrets = (session: Session, path = ''): string => `${session.endpoints['key-manager']}/v1/secrets${path}`;

test('version document: the 1.0 shape without a version header, max_version 1.1 when asked for 1.1 or latest', async t => {
	const root = await call(undefined, 'GET', `${cloud.url}/key-manager`);
	t.is(root.status, 300);
	t.is(root.headers.get('openstack-api-version'), 'key-manager 1.0');
	t.like(root.json['versions'].values[0], {id: 'v1', status: 'stable'});
	t.false('max_version' in root.json['versions'].values[0]);
	for (const asked of ['key-manager 1.1', 'key-manager latest']) {
		// eslint-disable-next-line no-await-in-loop
		const modern = await call(undefined, 'GET', `${cloud.url}/key-manager`, {headers: {'OpenStack-API-Version': asked}});
		t.is(modern.status, 300);
		t.is(modern.headers.get('openstack-api-version'), 'key-manager 1.1', `asked for ${asked}`);
		t.like(modern.json['versions'][0], {
			id: 'v1', status: 'CURRENT', min_version: '1.0', max_version: '1.1',
		}, `asked for ${asked}`);
	}

	t.is((await call(undefined, 'GET', `${cloud.url}/key-manager/v1/`)).status, 401, 'v1 wants a token');
	const versioned = await call(demo, 'GET', `${cloud.url}/key-manager/v1/`);
	t.like(versioned.json['version'], {id: 'v1', status: 'stable'});
	t.is(versioned.headers.get('openstack-api-version'), 'key-manager 1.0');
	const missing = await call(demo, 'GET', secrets(demo, '/00000000-0000-4000-8000-000000000000'));
	t.is(missing.status, 404);
	t.is(missing.headers.get('openstack-api-version'), 'key-manager 1.0', 'errors name the version too');
	const tooNew = await call(demo, 'GET', secrets(demo), {headers: {'OpenStack-API-Version': 'key-manager 1.5'}});
	t.is(tooNew.status, 406);
});

test('one-step store with base64 payload; metadata view; payload bytes back; delete', async t => {
	const payload = randomBytes(32);
	const stored = await call(demo, 'POST', secrets(demo), {
		body: {
			name: 'key-one', algorithm: 'aes', bit_length: 256, secret_type: 'symmetric', payload: payload.toString('base64'),
			payload_content_type: 'application/octet-stream', payload_content_encoding: 'base64',
		},
	});
	t.is(stored.status, 201);
	const reference = stored.json['secret_ref'] as string;
	t.true(reference.startsWith(`${cloud.url}/key-manager/v1/secrets/`));
	const id = reference.split('/').at(-1) ?? '';
	const meta = await call(demo, 'GET', secrets(demo, `/${id}`));
	t.like(meta.json, {
		name: 'key-one', algorithm: 'aes', bit_length: 256, secret_type: 'symmetric', status: 'ACTIVE', creator_id: demo.userId, content_types: {default: 'application/octet-stream'},
	});
	t.regex(meta.json['created'], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/v);
	t.false('consumers' in meta.json);
	const withConsumers = await call(demo, 'GET', secrets(demo, `/${id}`), {headers: {'OpenStack-API-Version': 'key-manager 1.1'}});
	t.deepEqual(withConsumers.json['consumers'], []);
	const bytes = await call(demo, 'GET', secrets(demo, `/${id}/payload`), {headers: {Accept: 'application/octet-stream'}});
	t.deepEqual(Buffer.from(bytes.bytes), payload);
	t.is((await call(demo, 'DELETE', secrets(demo, `/${id}`))).status, 204);
	const gone = await call(demo, 'GET', secrets(demo, `/${id}`));
	t.is(gone.status, 404);
	t.deepEqual(gone.json, {code: 404, title: 'Not Found', description: 'Secret not found.'});
});

test('two-step store: metadata first, then PUT of the raw payload; a second PUT is 409', async t => {
	const stored = await call(demo, 'POST', secrets(demo), {body: {name: 'two-step'}});
	const id = (stored.json['secret_ref'] as string).split('/').at(-1) ?? '';
	const empty = await call(demo, 'GET', secrets(demo, `/${id}/payload`));
	t.is(empty.status, 404);
	const put = await call(demo, 'PUT', secrets(demo, `/${id}`), {raw: new Uint8Array(Buffer.from('plain words')), headers: {'Content-Type': 'text/plain'}});
	t.is(put.status, 204);
	const text = await call(demo, 'GET', secrets(demo, `/${id}/payload`), {headers: {Accept: 'text/plain'}});
	t.is(text.text, 'plain words');
	const again = await call(demo, 'PUT', secrets(demo, `/${id}`), {raw: new Uint8Array([1]), headers: {'Content-Type': 'application/octet-stream'}});
	t.is(again.status, 409);
});

test('payload without content type is refused', async t => {
	const refused = await call(demo, 'POST', secrets(demo), {body: {payload: 'abc'}});
	t.is(refused.status, 400);
	t.is(refused.json['code'], 400);
	t.false(refused.text.includes('abc"'));
});

test('offset/limit paging: default 10, total, next and previous hrefs', async t => {
	const paging = await startDemoCloud({seed: 'empty'});
	try {
		const session = await login(paging, 'demo', 'demo');
		for (let index = 0; index < 23; index++) {
			// eslint-disable-next-line no-await-in-loop -- creation order is the listing order.
			await call(session, 'POST', secrets(session), {body: {name: `s-${index}`, payload: 'x', payload_content_type: 'text/plain'}});
		}

		const first = await call(session, 'GET', secrets(session));
		t.is(first.json['secrets'].length, 10);
		t.is(first.json['total'], 23);
		t.is(first.json['next'], `${paging.url}/key-manager/v1/secrets?limit=10&offset=10`);
		t.is(first.json['previous'], undefined);
		const last = await call(session, 'GET', secrets(session, '?limit=10&offset=20'));
		t.deepEqual((last.json['secrets'] as Json[]).map(secret => secret['name'] as string), ['s-20', 's-21', 's-22']);
		t.is(last.json['previous'], `${paging.url}/key-manager/v1/secrets?limit=10&offset=10`);
		t.is(last.json['next'], undefined);
		const capped = await call(session, 'GET', secrets(session, '?limit=500'));
		t.is(capped.json['secrets'].length, 23);
	} finally {
		await paging.close();
	}
});

test('metadata: put, add one, read, delete one (keys lower-cased)', async t => {
	const stored = await call(demo, 'POST', secrets(demo), {body: {name: 'with-meta', payload: 'v', payload_content_type: 'text/plain'}});
	const id = (stored.json['secret_ref'] as string).split('/').at(-1) ?? '';
	t.is((await call(demo, 'PUT', secrets(demo, `/${id}/metadata`), {body: {metadata: {Volume: 'shop-db'}}})).status, 201);
	t.is((await call(demo, 'POST', secrets(demo, `/${id}/metadata`), {body: {key: 'kind', value: 'escrow'}})).status, 201);
	t.is((await call(demo, 'POST', secrets(demo, `/${id}/metadata`), {body: {key: 'kind', value: 'again'}})).status, 409);
	t.deepEqual((await call(demo, 'GET', secrets(demo, `/${id}/metadata`))).json, {metadata: {volume: 'shop-db', kind: 'escrow'}});
	t.is((await call(demo, 'DELETE', secrets(demo, `/${id}/metadata/kind`))).status, 204);
	t.deepEqual((await call(demo, 'GET', secrets(demo, `/${id}/metadata`))).json, {metadata: {volume: 'shop-db'}});
});

test('legacy policy: a plain member can do nothing; the reader (audit) lists but cannot read payloads', async t => {
	const stored = await call(demo, 'POST', secrets(demo), {body: {name: 'guarded', payload: 'top', payload_content_type: 'text/plain'}});
	const id = (stored.json['secret_ref'] as string).split('/').at(-1) ?? '';
	const member = await login(cloud, 'demo-member', 'demo');
	t.is((await call(member, 'GET', secrets(member))).status, 403);
	t.is((await call(member, 'GET', secrets(member, `/${id}`))).status, 403);
	t.is((await call(member, 'POST', secrets(member), {body: {name: 'x'}})).status, 403);
	const reader = await login(cloud, 'demo-reader', 'demo');
	t.is((await call(reader, 'GET', secrets(reader))).status, 200);
	t.is((await call(reader, 'GET', secrets(reader, `/${id}`))).status, 200);
	const payload = await call(reader, 'GET', secrets(reader, `/${id}/payload`));
	t.is(payload.status, 403);
	t.false(payload.text.includes('top'));
	t.is((await call(reader, 'DELETE', secrets(reader, `/${id}`))).status, 403);
	const admin = await login(cloud, 'admin', 'admin');
	t.is((await call(admin, 'GET', secrets(admin, `/${id}`))).status, 403);
});
