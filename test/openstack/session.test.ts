/* eslint-disable @typescript-eslint/naming-convention -- fixtures and request bodies are OpenStack's snake_case JSON. */
import {Buffer} from 'node:buffer';
import test from 'ava';
import {openSession} from '../../source/openstack/session.js';
import {isOpenStackError} from '../../source/openstack/errors.js';
import {collect} from '../helpers/collect.js';
import {
	appCredentialSecret,
	createFakeCloud,
	fixture,
	password,
} from '../helpers/fake-cloud.js';

const {volume} = fixture<{volume: Record<string, unknown>}>('cinder-volume.json');

function volumesPage(ids: string[], next?: string) {
	return {
		volumes: ids.map(id => ({...volume, id, name: `vol-${id}`})),
		...(next !== undefined && {volumes_links: [{href: next, rel: 'next'}]}),
	};
}

test('opens a project-scoped session: password body, catalog, discovered microversions', async t => {
	const cloud = await createFakeCloud(t);
	const session = await openSession(cloud.config);
	const [auth] = cloud.authRequests();
	t.deepEqual(auth?.json(), {
		auth: {
			identity: {methods: ['password'], password: {user: {name: 'demo', domain: {name: 'Default'}, password}}},
			scope: {project: {name: 'demo', domain: {name: 'Default'}}},
		},
	});
	t.is(session.cloudName, 'fake');
	t.is(session.region, 'RegionOne');
	t.is(session.identity.token().projectId, cloud.projectId);
	t.deepEqual(session.identity.token().roles, ['member', 'reader']);
	t.regex(session.identity.token().expiresAt, /Z$/v);
	const services = session.services();
	t.deepEqual(services.cinder, {state: 'ok', endpoint: cloud.endpoints.cinder, microversion: {min: '3.0', max: '3.70'}});
	t.deepEqual(services.nova, {state: 'ok', endpoint: cloud.endpoints.nova, microversion: {min: '2.1', max: '2.93'}});
	t.deepEqual(services.glance, {state: 'ok', endpoint: `${cloud.endpoints.glance}/v2`, microversion: {min: '2.0', max: '2.16'}});
	t.deepEqual(services.barbican, {state: 'ok', endpoint: `${cloud.endpoints.barbican}/v1`, microversion: {min: '1.0', max: '1.1'}});
	t.is(session.cinder?.microversion.max, '3.70');
	t.deepEqual(cloud.server.problems, []);
});

test('sends "volume 3.N" capped at 3.70 and "compute 2.N" capped at 2.96, with the legacy Nova header', async t => {
	const cloud = await createFakeCloud(t, {cinderMax: '3.71', novaMax: '2.104'});
	cloud.route('GET', `/volume/v3/${cloud.projectId}/volumes/detail`, {json: volumesPage(['a'])});
	cloud.route('GET', '/compute/v2.1/servers/detail', {json: {servers: []}});
	const session = await openSession(cloud.config);
	const volumes = await collect(session.cinder!.listVolumes());

	for await (const _ of session.nova!.listServers()) {
		t.fail('no servers expected');
	}

	t.is(volumes.length, 1);
	const [cinderCall] = cloud.server.calls('GET', `/volume/v3/${cloud.projectId}/volumes/detail`);
	t.is(cinderCall?.header('openstack-api-version'), 'volume 3.70');
	t.is(cinderCall?.header('x-auth-token'), cloud.issued[0]);
	const [novaCall] = cloud.server.calls('GET', '/compute/v2.1/servers/detail');
	t.is(novaCall?.header('openstack-api-version'), 'compute 2.96');
	t.is(novaCall?.header('x-openstack-nova-api-version'), '2.96');
	t.deepEqual(cloud.server.problems, []);
});

test('an older Cinder gets its own maximum, not more', async t => {
	const cloud = await createFakeCloud(t, {cinderMax: '3.40'});
	cloud.route('GET', `/volume/v3/${cloud.projectId}/volumes/detail`, {json: volumesPage([])});
	const session = await openSession(cloud.config);
	for await (const _ of session.cinder!.listVolumes()) {
		t.fail();
	}

	t.is(cloud.server.calls('GET', `/volume/v3/${cloud.projectId}/volumes/detail`)[0]?.header('openstack-api-version'), 'volume 3.40');
	await t.throwsAsync(session.cinder!.createVolume({size: 1, backupId: 'b'}), {message: /needs Cinder microversion 3\.47; this cloud offers at most 3\.40/v});
	t.is(cloud.server.calls('POST', `/volume/v3/${cloud.projectId}/volumes`).length, 0);
});

test('a service missing from the catalog is undefined and reported as missing', async t => {
	const cloud = await createFakeCloud(t, {without: ['barbican', 'nova']});
	const session = await openSession(cloud.config);
	t.is(session.barbican, undefined);
	t.is(session.nova, undefined);
	t.truthy(session.cinder);
	t.deepEqual(session.services().barbican, {state: 'missing', reason: 'no key-manager service in the catalog'});
});

test('an endpoint only on another interface is missing, and the message says which interfaces exist', async t => {
	const cloud = await createFakeCloud(t);
	const session = await openSession({...cloud.config, interfaceOverrides: {glance: 'admin'}});
	t.is(session.glance, undefined);
	const status = session.services().glance;
	t.is(status.state, 'missing');
	t.regex(status.state === 'missing' ? status.reason : '', /image only for public@RegionOne, internal@RegionOne, not for interface admin/v);
});

test('wrong password: a 401 that names the cloud and its file, without the password', async t => {
	const cloud = await createFakeCloud(t);
	const error = await t.throwsAsync(openSession({...cloud.config, auth: {...cloud.config.auth, password: 'wrong-password-123'}}));
	t.true(isOpenStackError(error));
	t.regex(error.message, /401/v);
	t.regex(error.message, /cloud 'fake' \(\/tmp\/fake\/clouds\.yaml\)/v);
	t.false(error.message.includes('wrong-password-123'));
});

test('renews the token before a request when less than 120 s remain', async t => {
	const cloud = await createFakeCloud(t, {tokenLifetimeMs: 100_000});
	cloud.route('GET', '/compute/v2.1/servers/detail', {json: {servers: []}});
	const session = await openSession(cloud.config);
	t.is(cloud.authRequests().length, 1);
	await session.nova!.getServer('x').catch(() => undefined);
	for await (const _ of session.nova!.listServers()) {
		t.fail();
	}

	t.true(cloud.authRequests().length >= 2);
	const last = cloud.server.calls('GET', '/compute/v2.1/servers/detail')[0];
	t.is(last?.header('x-auth-token'), cloud.issued.at(-1));
});

test('token expiry in the middle of a paginated list: one re-auth, then the list completes', async t => {
	const cloud = await createFakeCloud(t);
	const path = `/volume/v3/${cloud.projectId}/volumes/detail`;
	cloud.route('GET', path, request => {
		const marker = request.query.get('marker');
		if (marker === null) {
			// First page served; the token "expires" right after.
			cloud.revokeAll();
			return {json: volumesPage(['v1', 'v2'], `https://cinder.internal.example:8776/v3/${cloud.projectId}/volumes/detail?limit=2&marker=v2`)};
		}

		return {json: marker === 'v2' ? volumesPage(['v3'], `https://cinder.internal.example:8776/v3/${cloud.projectId}/volumes/detail?limit=2&marker=v3`) : volumesPage([])};
	});
	const session = await openSession(cloud.config);
	const ids = [];
	for await (const item of session.cinder!.listVolumes({pageSize: 2})) {
		ids.push(item.id);
	}

	t.deepEqual(ids, ['v1', 'v2', 'v3']);
	t.is(cloud.authRequests().length, 2);
	const calls = cloud.server.calls('GET', path);
	// Page 2 tried with the dead token (401), then again with the new one; the link's host was not followed.
	t.deepEqual(calls.map(call => call.query.get('marker')), [null, 'v2', 'v2', 'v3']);
	t.is(calls[2]?.header('x-auth-token'), cloud.issued[1]);
	t.is(calls[2]?.query.get('limit'), '2');
	t.deepEqual(cloud.server.problems, []);
});

test('a second 401 right after re-authenticating is reported, not looped on', async t => {
	const cloud = await createFakeCloud(t);
	cloud.server.route('GET', '/compute/v2.1/servers/x', {status: 401, json: {error: {code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.'}}});
	const session = await openSession(cloud.config);
	const error = await t.throwsAsync(session.nova!.getServer('x'));
	t.true(isOpenStackError(error) && error.status === 401);
	t.is(cloud.server.calls('GET', '/compute/v2.1/servers/x').length, 2);
	t.is(cloud.authRequests().length, 2);
});

test('listProjects follows Keystone\'s links.next (its host ignored) over two pages', async t => {
	const cloud = await createFakeCloud(t);
	const lastPage = {
		projects: [{
			id: 'p3', name: 'gamma', domain_id: 'default', enabled: false,
		}], links: {next: null},
	};
	const firstPage = {
		projects: [{
			id: 'p1', name: 'alpha', domain_id: 'default', enabled: true,
		}, {id: 'p2', name: 'beta', enabled: true}],
		links: {next: 'https://keystone.internal:5000/v3/auth/projects?limit=2&marker=p2'},
	};
	cloud.route('GET', '/identity/v3/auth/projects', request => ({json: request.query.get('marker') === 'p2' ? lastPage : firstPage}));
	const session = await openSession(cloud.config);
	const projects = await session.identity.listProjects();
	t.deepEqual(projects, [
		{
			id: 'p1', name: 'alpha', domainId: 'default', enabled: true,
		},
		{id: 'p2', name: 'beta', enabled: true},
		{
			id: 'p3', name: 'gamma', domainId: 'default', enabled: false,
		},
	]);
	t.deepEqual(cloud.server.calls('GET', '/identity/v3/auth/projects').map(call => call.query.toString()), ['', 'limit=2&marker=p2']);
	t.deepEqual(cloud.server.problems, []);
});

test('switchProject re-scopes the current token (method token), never sending the password again', async t => {
	const cloud = await createFakeCloud(t, {projects: [{id: 'p2', name: 'demo2'}]});
	const session = await openSession(cloud.config);
	const projects = await session.identity.listProjects();
	t.deepEqual(projects.map(project => project.name), ['demo', 'demo2']);
	const other = await session.switchProject('p2');
	const rescope = cloud.authRequests()[1]?.json();
	t.deepEqual(rescope, {auth: {identity: {methods: ['token'], token: {id: cloud.issued[0]}}, scope: {project: {id: 'p2'}}}});
	t.false(JSON.stringify(rescope).includes(password));
	t.is(other.identity.token().projectId, 'p2');
	t.is(other.services().cinder.state === 'ok' ? (other.services().cinder as {endpoint: string}).endpoint : '', `${cloud.url}/volume/v3/p2`);
});

test('an application credential authenticates without a scope', async t => {
	const cloud = await createFakeCloud(t);
	const session = await openSession({
		...cloud.config,
		authType: 'v3applicationcredential',
		auth: {authUrl: cloud.config.auth.authUrl, applicationCredentialId: 'ac-1', applicationCredentialSecret: appCredentialSecret},
	});
	t.deepEqual(cloud.authRequests()[0]?.json(), {
		auth: {identity: {methods: ['application_credential'], application_credential: {id: 'ac-1', secret: appCredentialSecret}}},
	});
	t.is(session.identity.token().projectId, cloud.projectId);
});

test('without a configured project, the user\'s only project is used', async t => {
	const cloud = await createFakeCloud(t);
	const {projectName: _, projectDomainName: __, ...auth} = cloud.config.auth;
	const session = await openSession({...cloud.config, auth});
	t.is(session.identity.token().projectId, cloud.projectId);
	t.is(cloud.authRequests().length, 2);
});

test('without a configured project and several projects: a ConfigError listing them', async t => {
	const cloud = await createFakeCloud(t, {projects: [{id: 'p2', name: 'demo2'}]});
	const {projectName: _, projectDomainName: __, ...auth} = cloud.config.auth;
	await t.throwsAsync(openSession({...cloud.config, auth}), {name: 'ConfigError', message: /several \(demo, demo2\); add auth\.project_name/v});
});

test('debug log: one line per request with status, duration and request ID; no token, password or payload', async t => {
	const cloud = await createFakeCloud(t);
	cloud.route('GET', '/key-manager/v1/secrets/s1/payload', {
		body: new Uint8Array([0xDE, 0xAD, 0xBE, 0xEF]), headers: {'content-type': 'application/octet-stream', 'x-openstack-request-id': 'req-pay-1'},
	});
	cloud.route('POST', '/key-manager/v1/secrets', {status: 201, json: {secret_ref: 'http://localhost:9311/v1/secrets/s2'}});
	const lines: string[] = [];
	const session = await openSession(cloud.config, {
		debug(line) {
			lines.push(line);
		},
	});
	const payload = await session.barbican!.getSecretPayload('s1');
	t.deepEqual([...payload], [0xDE, 0xAD, 0xBE, 0xEF]);
	await session.barbican!.storeSecret({payload: new TextEncoder().encode('very-secret-key-bytes')});
	t.is(lines.length, cloud.server.requests.length);
	t.regex(lines[0] ?? '', /^POST http:\/\/127\.0\.0\.1:\d+\/identity\/v3\/auth\/tokens 201 \d+ms req-auth-1$/v);
	t.true(lines.some(line => /^GET .*\/key-manager\/v1\/secrets\/s1\/payload 200 \d+ms req-pay-1$/v.test(line)));
	const all = lines.join('\n');
	const secrets = [password, ...cloud.issued, 'very-secret-key-bytes', Buffer.from('very-secret-key-bytes').toString('base64'), 'deadbeef'];
	for (const [index, secret] of secrets.entries()) {
		t.false(all.toLowerCase().includes(secret.toLowerCase()), `secret #${index} appears in the debug log`);
	}
});

test('close() aborts what is still running', async t => {
	const cloud = await createFakeCloud(t);
	cloud.route('GET', '/compute/v2.1/servers/slow', async () => {
		await new Promise(resolve => {
			setTimeout(resolve, 2000);
		});
		return {json: {server: {}}};
	});
	const session = await openSession(cloud.config);
	const pending = session.nova!.getServer('slow');
	setTimeout(() => {
		session.close();
	}, 50);
	await t.throwsAsync(pending, {name: 'AbortError'});
});
