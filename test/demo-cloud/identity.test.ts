/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, unicorn/no-await-expression-member -- OpenStack JSON bodies are asserted field by field. */
/* eslint-disable @typescript-eslint/naming-convention -- OpenStack's wire format is snake_case. */
import test from 'ava';
import {startDemoCloud, type DemoCloud} from '../../source/demo-cloud/index.js';
import {
	call,
	cinder,
	login,
	sessionFrom,
	type Json,
} from './helpers/client.js';

let cloud: DemoCloud;

test.before(async () => {
	cloud = await startDemoCloud({seed: 'empty', timeScale: 0.01});
});

test.after.always(async () => {
	await cloud.close();
});

test('Keystone root is a 300 with versions.values pointing at /identity/v3/', async t => {
	const result = await call(undefined, 'GET', cloud.authUrl);
	t.is(result.status, 300);
	const values = result.json['versions'].values as Json[];
	t.is(values[0]?.['id'], 'v3.14');
	t.is(values[0]?.['links'][0].href, `${cloud.authUrl}/v3/`);
});

test('password token: 201, X-Subject-Token, roles, and a catalog pointing at this server', async t => {
	const session = await login(cloud, 'demo', 'demo');
	t.true(session.token.length > 100);
	t.is(session.projectId, cloud.projects['demo']?.id ?? 'missing');
	const token = session.body['token'] as Json;
	t.deepEqual(token['roles'].map((role: Json) => role['name']).toSorted(), ['creator', 'member', 'reader']);
	t.regex(token['expires_at'], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/v);
	const types = (token['catalog'] as Json[]).map(service => service['type'] as string).toSorted();
	t.deepEqual(types, ['block-storage', 'compute', 'identity', 'image', 'key-manager', 'volumev3']);
	const origin = cloud.url;
	for (const service of token['catalog'] as Json[]) {
		const endpoints = service['endpoints'] as Json[];
		t.deepEqual(endpoints.map(endpoint => endpoint['interface'] as string).toSorted(), ['internal', 'public']);
		t.true(endpoints.every(endpoint => endpoint['region_id'] === 'RegionOne' && String(endpoint['url']).startsWith(origin)));
	}

	t.is(session.endpoints['volumev3'], session.endpoints['block-storage']);
	t.is(session.endpoints['block-storage'], `${cloud.url}/volume/v3/${session.projectId}`);
});

test('wrong password → 401 in Keystone format with WWW-Authenticate', async t => {
	const result = await call(undefined, 'POST', `${cloud.authUrl}/v3/auth/tokens`, {
		body: {auth: {identity: {methods: ['password'], password: {user: {name: 'demo', domain: {id: 'default'}, password: 'wrong'}}}}},
	});
	t.is(result.status, 401);
	t.is(result.json['error'].code, 401);
	t.is(result.json['error'].title, 'Unauthorized');
	t.regex(result.headers.get('www-authenticate') ?? '', /^Keystone uri=/v);
	t.false(result.text.includes('wrong'));
});

test('a user without a role in the project cannot scope to it', async t => {
	const result = await call(undefined, 'POST', `${cloud.authUrl}/v3/auth/tokens`, {
		body: {
			auth: {
				identity: {methods: ['password'], password: {user: {name: 'demo-reader', domain: {id: 'default'}, password: cloud.users['demo-reader']?.password}}},
				scope: {project: {name: 'admin', domain: {id: 'default'}}},
			},
		},
	});
	t.is(result.status, 401);
});

test('application credential: token for its project; asking for a scope is refused', async t => {
	const {id, secret} = cloud.applicationCredential;
	const response = await fetch(`${cloud.authUrl}/v3/auth/tokens`, {
		method: 'POST',
		headers: {'Content-Type': 'application/json'},
		body: JSON.stringify({auth: {identity: {methods: ['application_credential'], application_credential: {id, secret}}}}),
	});
	t.is(response.status, 201);
	const session = await sessionFrom(response);
	t.is(session.projectId, cloud.projects['demo']?.id ?? 'missing');
	t.deepEqual((session.body['token'] as Json)['methods'], ['application_credential']);

	const scoped = await call(undefined, 'POST', `${cloud.authUrl}/v3/auth/tokens`, {
		body: {auth: {identity: {methods: ['application_credential'], application_credential: {id, secret}}, scope: {project: {id: cloud.projects['demo']?.id}}}},
	});
	t.is(scoped.status, 401);
	t.is(scoped.json['error'].message, 'Application credentials cannot request a scope.');
});

test('unscoped token lists the user\'s projects and re-scopes with the token method', async t => {
	const unscoped = await fetch(`${cloud.authUrl}/v3/auth/tokens`, {
		method: 'POST',
		headers: {'Content-Type': 'application/json'},
		body: JSON.stringify({auth: {identity: {methods: ['password'], password: {user: {name: 'admin', domain: {name: 'Default'}, password: cloud.users['admin']?.password}}}, scope: 'unscoped'}}),
	});
	t.is(unscoped.status, 201);
	const token = unscoped.headers.get('x-subject-token') ?? '';
	const body = await unscoped.json() as Json;
	t.is(body['token'].catalog, undefined);
	t.is(body['token'].project, undefined);

	const projects = await call({
		token, projectId: '', userId: '', endpoints: {}, body: {},
	}, 'GET', `${cloud.authUrl}/v3/auth/projects`);
	t.is(projects.status, 200);
	t.deepEqual((projects.json['projects'] as Json[]).map(project => project['name'] as string).toSorted(), ['admin', 'demo', 'sandbox']);

	const rescoped = await call(undefined, 'POST', `${cloud.authUrl}/v3/auth/tokens`, {
		body: {auth: {identity: {methods: ['token'], token: {id: token}}, scope: {project: {id: cloud.projects['demo']?.id}}}},
	});
	t.is(rescoped.status, 201);
	t.is(rescoped.json['token'].project.name, 'demo');
	t.true(rescoped.json['token'].methods.includes('token'));
});

test('every service answers a bad token with keystonemiddleware\'s 401 JSON', async t => {
	const session = await login(cloud, 'demo', 'demo');
	const urls = [
		`${session.endpoints['block-storage']}/volumes/detail`,
		`${session.endpoints['image']}/v2/images`,
		`${session.endpoints['compute']}/servers/detail`,
		`${session.endpoints['key-manager']}/v1/secrets`,
	];
	for (const url of urls) {
		// eslint-disable-next-line no-await-in-loop -- one service after the other.
		const result = await call({...session, token: 'not-a-token'}, 'GET', url);
		t.is(result.status, 401, url);
		t.deepEqual(result.json, {error: {code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.'}}, url);
		t.regex(result.headers.get('www-authenticate') ?? '', /Keystone uri="http:\/\/127\.0\.0\.1:\d+\/identity"/v);
	}
});

test('tokens expire after the configured lifetime, then every call is 401', async t => {
	const short = await startDemoCloud({seed: 'empty', tokenTtlSeconds: 1});
	try {
		const session = await login(short, 'demo', 'demo');
		const expires = Date.parse((session.body['token'] as Json)['expires_at']);
		const issued = Date.parse((session.body['token'] as Json)['issued_at']);
		t.true(expires - issued <= 1000);
		t.is((await cinder(session, 'GET', '/volumes')).status, 200);
		await new Promise(resolve => {
			setTimeout(resolve, 1100);
		});
		t.is((await cinder(session, 'GET', '/volumes')).status, 401);
		t.is((await call(session, 'GET', `${session.endpoints['image']}/v2/images`)).status, 401);
	} finally {
		await short.close();
	}
});

test.serial('expireTokens() ends every issued token at once', async t => {
	const session = await login(cloud, 'demo', 'demo');
	t.is((await cinder(session, 'GET', '/volumes')).status, 200);
	cloud.expireTokens();
	t.is((await cinder(session, 'GET', '/volumes')).status, 401);
	const fresh = await login(cloud, 'demo', 'demo');
	t.is((await cinder(fresh, 'GET', '/volumes')).status, 200);
});
