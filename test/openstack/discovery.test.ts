/* eslint-disable @typescript-eslint/naming-convention -- version documents are OpenStack's snake_case JSON. */
import test from 'ava';
import {
	discoverBarbican,
	discoverCinder,
	discoverGlance,
	discoverNova,
	parseVersionDocument,
	selectEndpoint,
} from '../../source/openstack/discovery.js';
import {HttpClient} from '../../source/openstack/http.js';
import {identityBase} from '../../source/openstack/keystone.js';
import type {Endpoint} from '../../source/openstack/types.js';
import {createHttpServer} from '../helpers/http-server.js';

const endpoint = (serviceType: string, url: string, extra: Partial<Endpoint> = {}): Endpoint => ({
	serviceType, interface: 'public', region: 'R1', url, ...extra,
});

test('block-storage is found through its aliases; the official type wins, then the first alias in order', t => {
	const catalog = [
		endpoint('volumev2', 'https://c/v2/p'),
		endpoint('volumev3', 'https://c/v3/p'),
		endpoint('block-storage', 'https://c/v3/p-official', {interface: 'internal'}),
	];
	t.is(selectEndpoint(catalog, 'cinder', {interface: 'public'})?.url, 'https://c/v3/p');
	t.is(selectEndpoint(catalog, 'cinder', {interface: 'internal'})?.url, 'https://c/v3/p-official');
	t.is(selectEndpoint(catalog, 'cinder', {interface: 'publicURL'})?.url, 'https://c/v3/p');
	t.is(selectEndpoint(catalog, 'cinder', {interface: 'public', region: 'R2'}), undefined);
	t.is(selectEndpoint([endpoint('volume', 'https://c/v1/p')], 'cinder', {interface: 'public'})?.url, 'https://c/v1/p');
	t.is(selectEndpoint(catalog, 'barbican', {interface: 'public'}), undefined);
});

test('version documents: Cinder/Nova lists, Keystone and Barbican 1.0 nested values, a versioned root', t => {
	t.deepEqual(parseVersionDocument({
		versions: [{
			id: 'v3.0', status: 'CURRENT', version: '3.70', min_version: '3.0',
		}],
	}), [{
		id: 'v3.0', status: 'CURRENT', version: '3.70', minVersion: '3.0',
	}]);
	t.deepEqual(parseVersionDocument({versions: {values: [{id: 'v1', status: 'stable'}]}}), [{id: 'v1', status: 'stable'}]);
	t.deepEqual(parseVersionDocument({version: {id: 'v2.1', version: '2.93', min_version: '2.1'}}), [{id: 'v2.1', version: '2.93', minVersion: '2.1'}]);
	t.deepEqual(parseVersionDocument({versions: [{id: 'v1', max_version: '1.2', min_version: '1.0'}]}), [{id: 'v1', maxVersion: '1.2', minVersion: '1.0'}]);
	t.deepEqual(parseVersionDocument('not json'), []);
});

test('Keystone v3 base from auth_url: unversioned, /v3, /v2.0 and a path prefix', t => {
	t.is(identityBase('https://k:5000'), 'https://k:5000/v3');
	t.is(identityBase('https://k:5000/v3/'), 'https://k:5000/v3');
	t.is(identityBase('https://k:5000/v2.0'), 'https://k:5000/v3');
	t.is(identityBase('https://h/identity'), 'https://h/identity/v3');
});

test('discovery on the service roots: a v2 Cinder URL becomes v3, unversioned Glance/Barbican get /v2 and /v1, 300 is an answer', async t => {
	const server = await createHttpServer(t);
	server.route('GET', '/volume/', {
		status: 300, json: {
			versions: [{
				id: 'v3.0', status: 'CURRENT', version: '3.71', min_version: '3.0',
			}],
		},
	});
	server.route('GET', '/compute/', {json: {versions: [{id: 'v2.0', version: '', min_version: ''}, {id: 'v2.1', version: '2.104', min_version: '2.1'}]}});
	server.route('GET', '/image/', {status: 300, json: {versions: [{id: 'v2.9', status: 'SUPPORTED'}, {id: 'v2.17', status: 'CURRENT'}, {id: 'v1.1', status: 'DEPRECATED'}]}});
	server.route('GET', '/kms/', {status: 300, json: {versions: {values: [{id: 'v1', status: 'stable'}]}}});
	const http = new HttpClient({retry: {retries: 0}});
	t.deepEqual(await discoverCinder(http, `${server.url}/volume/v2/p1`, 'p1'), {endpoint: `${server.url}/volume/v3/p1`, microversion: {min: '3.0', max: '3.71'}});
	t.deepEqual(await discoverCinder(http, `${server.url}/volume`, 'p1'), {endpoint: `${server.url}/volume/v3/p1`, microversion: {min: '3.0', max: '3.71'}});
	t.deepEqual(await discoverNova(http, `${server.url}/compute/v2.1/p1`), {endpoint: `${server.url}/compute/v2.1/p1`, microversion: {min: '2.1', max: '2.104'}});
	t.deepEqual(await discoverGlance(http, `${server.url}/image`), {endpoint: `${server.url}/image/v2`, microversion: {min: '2.9', max: '2.17'}});
	t.deepEqual(await discoverBarbican(http, `${server.url}/kms/`), {endpoint: `${server.url}/kms/v1`, microversion: {min: '1.0', max: '1.0'}});
	t.deepEqual(server.problems, []);
	t.true(server.requests.every(request => request.header('x-auth-token') === undefined));
});

test('a root that does not answer leaves the endpoint usable at the base microversion, with a warning', async t => {
	const server = await createHttpServer(t);
	server.route('GET', '/', {status: 503, body: 'down'});
	const http = new HttpClient({retry: {retries: 0}});
	const result = await discoverCinder(http, `${server.url}/v3/p`, 'p');
	t.is(result.endpoint, `${server.url}/v3/p`);
	t.deepEqual(result.microversion, {min: '3.0', max: '3.0'});
	t.is(result.warning, 'version discovery failed: cinder GET / → 503 Service Unavailable: down');
});

test('Cinder behind a root that wants a token: the versioned root /v3/ is asked with the token', async t => {
	const server = await createHttpServer(t);
	server.route('GET', '/', {status: 401, json: {error: {code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.'}}});
	server.route('GET', '/v3/', request => request.header('x-auth-token') === 'tok-1'
		? {
			json: {
				versions: [{
					id: 'v3.0', status: 'CURRENT', version: '3.70', min_version: '3.0',
				}],
			},
		}
		: {status: 401, json: {error: {code: 401, message: 'no token'}}});
	const http = new HttpClient({
		retry: {retries: 0},
		tokens: {
			token: async () => 'tok-1',
			reauthenticate: async () => 'tok-1',
		},
	});
	t.deepEqual(await discoverCinder(http, `${server.url}/v3/p`, 'p'), {endpoint: `${server.url}/v3/p`, microversion: {min: '3.0', max: '3.70'}});
	t.is(server.calls('GET', '/').length, 1);
});
