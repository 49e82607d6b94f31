/* eslint-disable @typescript-eslint/no-unsafe-member-access, unicorn/no-await-expression-member -- OpenStack JSON bodies are asserted field by field. */
/* eslint-disable @typescript-eslint/naming-convention -- OpenStack's wire format is snake_case. */
import test from 'ava';
import {startDemoCloud, type DemoCloud} from '../../source/demo-cloud/index.js';
import {
	call,
	cinder,
	login,
	type Session,
} from './helpers/client.js';

// Faults are cloud-wide, so every test here gets its own cloud.
async function withCloud(run: (cloud: DemoCloud, session: Session) => Promise<void>, options: Parameters<typeof startDemoCloud>[0] = {}): Promise<void> {
	const cloud = await startDemoCloud({seed: 'empty', ...options});
	try {
		await run(cloud, await login(cloud, 'demo', 'demo'));
	} finally {
		await cloud.close();
	}
}

test('error fault: the chosen status in the service\'s own error format, only on the matching route', async t => {
	await withCloud(async (cloud, session) => {
		cloud.setFaults([{
			kind: 'error', status: 503, service: 'volume', path: /\/backups/v,
		}]);
		const failed = await cinder(session, 'GET', '/backups/detail');
		t.is(failed.status, 503);
		t.is(failed.json['serviceUnavailable'].code, 503);
		t.is((await cinder(session, 'GET', '/volumes/detail')).status, 200);
		const image = await call(session, 'GET', `${session.endpoints['image']}/v2/images`);
		t.is(image.status, 200);
	});
});

test('error fault with a rate hits about that share of requests; times limits the count', async t => {
	await withCloud(async (cloud, session) => {
		cloud.setFaults([{
			kind: 'error', status: 500, service: 'volume', rate: 0.5,
		}]);
		let failures = 0;
		for (let index = 0; index < 200; index++) {
			// eslint-disable-next-line no-await-in-loop -- sequential sampling.
			const result = await cinder(session, 'GET', '/volumes');
			failures += result.status === 500 ? 1 : 0;
		}

		t.true(failures > 60 && failures < 140, String(failures));
		cloud.setFaults([{kind: 'error', status: 502, times: 2}]);
		const statuses = [];
		for (let index = 0; index < 4; index++) {
			// eslint-disable-next-line no-await-in-loop -- order matters.
			statuses.push((await cinder(session, 'GET', '/volumes')).status);
		}

		t.deepEqual(statuses, [502, 502, 200, 200]);
	});
});

test('rate-limit fault: 429 with Retry-After', async t => {
	await withCloud(async (cloud, session) => {
		cloud.setFaults([{kind: 'rate-limit', retryAfter: 7, service: 'compute'}]);
		const limited = await call(session, 'GET', `${session.endpoints['compute']}/servers/detail`);
		t.is(limited.status, 429);
		t.is(limited.headers.get('retry-after'), '7');
		t.is(limited.json['overLimit'].code, 429);
	});
});

test('stall longer than the client timeout: the client gives up, the cloud stays usable', async t => {
	await withCloud(async (cloud, session) => {
		cloud.setFaults([{kind: 'stall', ms: 5000, path: '/volumes/detail'}]);
		const started = Date.now();
		const error = await t.throwsAsync(fetch(`${session.endpoints['block-storage']}/volumes/detail`, {headers: {'X-Auth-Token': session.token}, signal: AbortSignal.timeout(200)}));
		t.is(error?.name, 'TimeoutError');
		t.true(Date.now() - started < 2000);
		t.is((await cinder(session, 'GET', '/volumes')).status, 200);
	});
});

test('reset fault: the connection drops without an answer', async t => {
	await withCloud(async (cloud, session) => {
		cloud.setFaults([{kind: 'reset', service: 'key-manager'}]);
		await t.throwsAsync(fetch(`${session.endpoints['key-manager']}/v1/secrets`, {headers: {'X-Auth-Token': session.token}}));
		t.is((await cinder(session, 'GET', '/volumes')).status, 200);
	});
});

test('malformed fault: 200 with a body that is not JSON', async t => {
	await withCloud(async (cloud, session) => {
		cloud.setFaults([{kind: 'malformed', service: 'volume'}]);
		const result = await cinder(session, 'GET', '/volumes/detail');
		t.is(result.status, 200);
		t.throws(() => JSON.parse(result.text) as unknown);
	});
});

test('latency and bandwidth slow answers down; requestCount counts per service', async t => {
	await withCloud(async (cloud, session) => {
		const before = cloud.requestCount('volume');
		let started = Date.now();
		await cinder(session, 'GET', '/volumes');
		t.true(Date.now() - started >= 150);
		t.is(cloud.requestCount('volume'), before + 1);
		cloud.setLatency(0);
		const image = await call(session, 'POST', `${session.endpoints['image']}/v2/images`, {body: {name: 'bw', disk_format: 'raw', container_format: 'bare'}});
		await call(session, 'PUT', `${session.endpoints['image']}/v2/images/${image.json['id']}/file`, {raw: new Uint8Array(20_000)});
		cloud.setBandwidth(40_000);
		started = Date.now();
		const download = await call(session, 'GET', `${session.endpoints['image']}/v2/images/${image.json['id']}/file`);
		t.is(download.bytes.length, 20_000);
		t.true(Date.now() - started >= 400, String(Date.now() - started));
		t.true(cloud.requestCount() >= cloud.requestCount('image') + cloud.requestCount('volume'));
	}, {latencyMs: 150});
});

test('expire-token fault: after `skip` requests the token expires, as Keystone\'s do; later calls with it get 401, a new token works', async t => {
	await withCloud(async (cloud, session) => {
		cloud.setFaults([{kind: 'expire-token', service: 'volume', skip: 2}]);
		const statuses = [];
		for (let index = 0; index < 4; index++) {
			// eslint-disable-next-line no-await-in-loop -- order matters.
			statuses.push((await cinder(session, 'GET', '/volumes')).status);
		}

		t.deepEqual(statuses, [200, 200, 401, 401]);
		t.is(cloud.faultHits(), 2);
		const expired = await call(session, 'GET', `${session.endpoints['image']}/v2/images`);
		t.is(expired.status, 401, 'the token itself expired, not only the route');
		t.is(expired.json['error'].code, 401);
		cloud.setFaults([]);
		t.is((await cinder(await login(cloud, 'demo', 'demo'), 'GET', '/volumes')).status, 200);
	});
});
