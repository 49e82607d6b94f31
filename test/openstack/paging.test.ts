/*
Concurrent paging: Cinder lists counted at 3.45+ and read by offset, Barbican lists read by offset once `total` is known.
The servers here page like the real services (a slice of one ordered list per request) and record what was asked and
how many requests were in flight at once.
*/
/* eslint-disable @typescript-eslint/naming-convention -- OpenStack's snake_case JSON. */
import {setTimeout as delay} from 'node:timers/promises';
import test from 'ava';
import {orderedPages} from '../../source/openstack/service.js';
import {openSession} from '../../source/openstack/session.js';
import {collect} from '../helpers/collect.js';
import {createFakeCloud, fixture, type FakeCloud} from '../helpers/fake-cloud.js';
import type {RecordedRequest, Reply} from '../helpers/http-server.js';

const backupFixture = fixture<{backup: Record<string, unknown>}>('cinder-backup.json').backup;
const secretFixture = fixture('barbican-secret.json');

const byText = (a: unknown, b: unknown) => String(a).localeCompare(String(b));

type Flight = {now: number; most: number};

/**
Answers after `ms`, counting the requests in flight meanwhile.
*/
async function inFlight(flight: Flight, ms: number, reply: () => Reply): Promise<Reply> {
	flight.now++;
	flight.most = Math.max(flight.most, flight.now);
	try {
		await delay(ms);
		return reply();
	} finally {
		flight.now--;
	}
}

/**
A Cinder backup list over `items()` (read at each request, so a test can change it between pages): marker, offset,
limit (capped at `maxLimit`), next links on full pages, and `count` when asked at 3.45+.
*/
function cinderList(cloud: FakeCloud, path: string, items: () => Array<Record<string, unknown>>, {flight, maxLimit = 1000}: {flight: Flight; maxLimit?: number}) {
	cloud.route('GET', path, async (request: RecordedRequest) => inFlight(flight, 30, () => {
		const all = items();
		const {query} = request;
		const marker = query.get('marker');
		let start = marker === null ? 0 : all.findIndex(item => item['id'] === marker) + 1;
		start += Number(query.get('offset') ?? '0');
		const limit = Math.min(Number(query.get('limit') ?? maxLimit), maxLimit);
		const page = all.slice(start, start + limit);
		const version = request.header('openstack-api-version') ?? '';
		const isCounted = query.get('with_count') === 'true' && Number(version.split('.', 2)[1]) >= 45;
		const links = page.length === limit ? [{rel: 'next', href: `http://cinder.internal:8776${path}?limit=${limit}&marker=${String(page.at(-1)?.['id'])}`}] : undefined;
		return {json: {backups: page, ...(links && {backups_links: links}), ...(isCounted && {count: all.length})}};
	}));
}

function backups(count: number, prefix = 'b'): Array<Record<string, unknown>> {
	return Array.from({length: count}, (_, index) => ({...backupFixture, id: `${prefix}${index}`}));
}

test('cinder 3.45+: with_count on the first page, then the other pages by offset, several at once, in order', async t => {
	const cloud = await createFakeCloud(t);
	const base = `/volume/v3/${cloud.projectId}`;
	const all = backups(23);
	const flight = {now: 0, most: 0};
	cinderList(cloud, `${base}/backups/detail`, () => all, {flight});
	const session = await openSession(cloud.config);
	const listed = await collect(session.cinder!.listBackups({pageSize: 2}));
	t.deepEqual(listed.map(backup => backup.id), all.map(backup => backup['id']));
	const queries = cloud.server.calls('GET', `${base}/backups/detail`).map(call => call.query.toString());
	t.is(queries[0], 'limit=2&with_count=true');
	// 23 items by 2: the first page and 11 more at offsets 2…22, no marker, no empty last page.
	t.deepEqual(queries.slice(1).toSorted(byText), Array.from({length: 11}, (_, index) => `limit=2&offset=${2 * (index + 1)}`).toSorted(byText));
	t.true(flight.most > 1, `at most ${flight.most} request(s) in flight`);
	t.true(flight.most <= 6, `${flight.most} requests in flight`);
	t.deepEqual(cloud.server.problems, []);
});

test('cinder: the page size is what the server gave (a cap below the asked limit), and an exact multiple ends without an empty page', async t => {
	const cloud = await createFakeCloud(t);
	const base = `/volume/v3/${cloud.projectId}`;
	const all = backups(12);
	cinderList(cloud, `${base}/backups/detail`, () => all, {flight: {now: 0, most: 0}, maxLimit: 4});
	const session = await openSession(cloud.config);
	const listed = await collect(session.cinder!.listBackups({pageSize: 1000}));
	t.deepEqual(listed.map(backup => backup.id), all.map(backup => backup['id']));
	const queries = cloud.server.calls('GET', `${base}/backups/detail`).map(call => call.query.toString());
	t.deepEqual(queries.toSorted(byText), ['limit=1000&with_count=true', 'limit=4&offset=4', 'limit=4&offset=8'].toSorted(byText));
});

test('cinder: the list changing while it is read shifts the offsets; no item twice, none that stayed lost (markers re-check)', async t => {
	const cloud = await createFakeCloud(t);
	const base = `/volume/v3/${cloud.projectId}`;
	const path = `${base}/backups/detail`;
	let all: Array<Record<string, unknown>> = [];
	let change: () => void = () => undefined;
	cinderList(cloud, path, () => {
		const now = all;
		change();
		change = () => undefined;
		return now;
	}, {flight: {now: 0, most: 0}});
	const session = await openSession(cloud.config);
	const ids = async () => {
		const listed = await collect(session.cinder!.listBackups({pageSize: 3}));
		return listed.map(backup => backup.id);
	};

	// An item already handed over is deleted after the first page: the others move up one, b3 falls between pages.
	all = backups(10);
	change = () => {
		all = all.filter(item => item['id'] !== 'b0');
	};

	const afterDelete = await ids();
	t.is(new Set(afterDelete).size, afterDelete.length);
	t.deepEqual(afterDelete.toSorted(byText), backups(10).map(item => String(item['id'])).toSorted(byText));
	t.is(afterDelete.at(-1), 'b3');

	// A new backup comes in at the front (newest first): the others move down one, the last is pushed past the count.
	all = backups(9, 'c');
	change = () => {
		all = [{...backupFixture, id: 'new'}, ...all];
	};

	const before = cloud.server.calls('GET', path).length;
	const afterInsert = await ids();
	t.is(new Set(afterInsert).size, afterInsert.length);
	t.deepEqual(afterInsert.toSorted(byText), [...backups(9, 'c').map(item => String(item['id'])), 'new'].toSorted(byText));
	const queries = cloud.server.calls('GET', path).slice(before).map(call => call.query.toString());
	t.true(queries.some(query => query.includes('offset=')));
	t.true(queries.some(query => query.includes('marker=')));
	t.deepEqual(cloud.server.problems, []);
});

test('cinder: nothing changed, nothing re-checked: the count is met by the offset pages alone', async t => {
	const cloud = await createFakeCloud(t);
	const base = `/volume/v3/${cloud.projectId}`;
	const all = backups(9);
	cinderList(cloud, `${base}/backups/detail`, () => all, {flight: {now: 0, most: 0}});
	const session = await openSession(cloud.config);
	await collect(session.cinder!.listBackups({pageSize: 3}));
	t.false(cloud.server.calls('GET', `${base}/backups/detail`).some(call => call.query.has('marker')));
});

test('cinder below 3.45: no with_count, no offset; markers from the next links', async t => {
	const cloud = await createFakeCloud(t, {cinderMax: '3.44'});
	const base = `/volume/v3/${cloud.projectId}`;
	const all = backups(7);
	const flight = {now: 0, most: 0};
	cinderList(cloud, `${base}/backups/detail`, () => all, {flight});
	const session = await openSession(cloud.config);
	const listed = await collect(session.cinder!.listBackups({pageSize: 3}));
	t.deepEqual(listed.map(backup => backup.id), all.map(backup => backup['id']));
	t.deepEqual(cloud.server.calls('GET', `${base}/backups/detail`).map(call => call.query.toString()), ['limit=3', 'limit=3&marker=b2', 'limit=3&marker=b5']);
	t.is(flight.most, 1);
});

test('cinder: a page answered 503 is retried, the list still complete and in order', async t => {
	const cloud = await createFakeCloud(t);
	const path = `/volume/v3/${cloud.projectId}/backups/detail`;
	const all = backups(9);
	let isRefused = false;
	cloud.route('GET', path, request => {
		if (!isRefused && request.query.get('offset') === '6') {
			isRefused = true;
			return {status: 503, headers: {'retry-after': '0'}, json: {message: 'busy'}};
		}

		const start = Number(request.query.get('offset') ?? '0');
		return {json: {backups: all.slice(start, start + 3), backups_links: [{rel: 'next', href: `${path}?marker=x`}], count: all.length}};
	});
	const session = await openSession(cloud.config);
	const listed = await collect(session.cinder!.listBackups({pageSize: 3}));
	t.deepEqual(listed.map(backup => backup.id), all.map(backup => backup['id']));
	t.true(isRefused);
	t.is(cloud.server.calls('GET', path).filter(call => call.query.get('offset') === '6').length, 2);
});

test('cinder: a page that fails for good fails the list, after the items before it, in order', async t => {
	const cloud = await createFakeCloud(t);
	const path = `/volume/v3/${cloud.projectId}/backups/detail`;
	const all = backups(30);
	cloud.route('GET', path, async request => {
		if (request.query.get('offset') === '9') {
			return {status: 404, json: {itemNotFound: {code: 404, message: 'gone'}}};
		}

		const start = Number(request.query.get('offset') ?? '0');
		await delay(20);
		return {json: {backups: all.slice(start, start + 3), backups_links: [{rel: 'next', href: `${path}?marker=x`}], count: all.length}};
	});
	const session = await openSession(cloud.config);
	const seen: string[] = [];
	const error = await t.throwsAsync(async () => {
		for await (const backup of session.cinder!.listBackups({pageSize: 3})) {
			seen.push(backup.id);
		}
	});
	t.regex(error.message, /404/v);
	t.deepEqual(seen, all.slice(0, 9).map(item => item['id']));
});

test('orderedPages: bounded, in order, and leaving early aborts the pages in flight', async t => {
	const started: number[] = [];
	const aborted: number[] = [];
	const fetchPage = async (index: number, signal: AbortSignal) => new Promise<number>(resolve => {
		started.push(index);
		// Later pages answer sooner: the order must still be by index.
		const timer = setTimeout(() => {
			resolve(index);
		}, index < 2 ? 50 - (index * 5) : 5000);
		signal.addEventListener('abort', () => {
			clearTimeout(timer);
			aborted.push(index);
			resolve(-1);
		}, {once: true});
	});
	const got: number[] = [];
	for await (const page of orderedPages(8, 3, fetchPage)) {
		got.push(page);
		t.true(started.length <= got.length + 3);
		if (got.length === 2) {
			break;
		}
	}

	t.deepEqual(got, [0, 1]);
	// Pages 2…4 were in flight (three at most) and are aborted; no page after them was started.
	t.deepEqual(started.toSorted(byText), [0, 1, 2, 3, 4]);
	t.deepEqual(aborted.filter(index => index > 1).toSorted(byText), [2, 3, 4]);

	const all = await collect(orderedPages(5, 2, async (index: number) => index));
	t.deepEqual(all, [0, 1, 2, 3, 4]);
});

function secret(id: string) {
	return {...secretFixture, secret_ref: `http://localhost:9311/v1/secrets/${id}`};
}

test('barbican: after the first page, the other offsets several at once, handed over in order', async t => {
	const cloud = await createFakeCloud(t);
	const all = Array.from({length: 1050}, (_, index) => secret(`s${index}`));
	const flight = {now: 0, most: 0};
	cloud.route('GET', '/key-manager/v1/secrets', async request => inFlight(flight, 30, () => {
		const offset = Number(request.query.get('offset'));
		const limit = Math.min(Number(request.query.get('limit')), 100);
		return {json: {secrets: all.slice(offset, offset + limit), total: all.length}};
	}));
	const session = await openSession(cloud.config);
	const secrets = await collect(session.barbican!.listSecrets());
	const ids = secrets.map(item => item.id);
	t.deepEqual(ids, all.map((_, index) => `s${index}`));
	const queries = cloud.server.calls('GET', '/key-manager/v1/secrets').map(call => call.query.toString());
	t.is(queries[0], 'offset=0&limit=100');
	t.deepEqual(queries.slice(1).toSorted(byText), Array.from({length: 10}, (_, index) => `offset=${100 * (index + 1)}&limit=100`).toSorted(byText));
	t.true(flight.most > 1 && flight.most <= 6, `${flight.most} requests in flight`);
	t.deepEqual(cloud.server.problems, []);
});

test('barbican: a secret created during the list shifts offsets; each secret once, the one pushed out fetched after', async t => {
	const cloud = await createFakeCloud(t);
	const originals = Array.from({length: 300}, (_, index) => secret(`s${index}`));
	let all = originals;
	cloud.route('GET', '/key-manager/v1/secrets', request => {
		const offset = Number(request.query.get('offset'));
		const limit = Math.min(Number(request.query.get('limit')), 100);
		const now = all;
		if (offset === 0) {
			all = [secret('new'), ...originals];
		}

		return {json: {secrets: now.slice(offset, offset + limit), total: now.length}};
	});
	const session = await openSession(cloud.config);
	const secrets = await collect(session.barbican!.listSecrets());
	const ids = secrets.map(item => item.id);
	t.is(new Set(ids).size, ids.length);
	t.deepEqual(ids, originals.map((_, index) => `s${index}`));
	// Offsets 100 and 200 from the first total (300), then 300: the new total (301) says there is one more.
	const offsets = cloud.server.calls('GET', '/key-manager/v1/secrets').map(call => call.query.get('offset'));
	t.deepEqual(offsets.slice(1, 3).toSorted(byText), ['100', '200']);
	t.deepEqual(offsets.slice(3), ['300']);
});
