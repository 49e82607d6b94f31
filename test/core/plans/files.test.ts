/* eslint-disable @typescript-eslint/naming-convention -- OpenStack's own field names in the fake responses. */
/*
Plans that move bytes between files and Glance/Barbican: the real client against a small local HTTP server
(test/helpers/fake-cloud.ts), which can cut a download short at a chosen byte, serve data that does not match its
checksum and show the Range header each request carried: answers the demo cloud does not give on demand.
*/
import {Buffer} from 'node:buffer';
import {createHash, randomBytes} from 'node:crypto';
import type {BigIntStats} from 'node:fs';
import {
	readFile,
	stat,
	writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import {planImageDownload, planSecretExport} from '../../../source/core/plans/backup.js';
import {runPlan} from '../../../source/core/plans/execute.js';
import {listUnfinished, readJournal} from '../../../source/core/plans/journal.js';
import {cleanupPlan} from '../../../source/core/plans/recover.js';
import {planImageFromFile, planSecretFromFile} from '../../../source/core/plans/restore.js';
import {openSession} from '../../../source/openstack/index.js';
import {createFakeCloud, fixture, type FakeCloud} from '../../helpers/fake-cloud.js';
import {
	collect,
	fastClock,
	last,
	permissionsOf,
	runToEnd,
	sizeOf,
	temporaryDirectory,
	planOf,
} from './helpers.js';

type Teardown = {teardown(fn: () => unknown): void};

async function sessionOn(t: Teardown, cloud: FakeCloud) {
	const session = await openSession(cloud.config);
	t.teardown(() => {
		session.close();
	});
	return session;
}

/**
What the journal should record of a file: device, inode and (where the file system keeps it) birth time.
*/
function identityIn(stats: BigIntStats) {
	return {dev: String(stats.dev), ino: String(stats.ino), ...(stats.birthtimeNs > 0n && {birth: String(stats.birthtimeNs)})};
}

const imageId = '33d5b195-573c-46f1-8492-6d0b1066b014';
const secretId = 'c123f9b2-f1ee-4538-ab66-399cc957fcc9';

function imageBody(data: Uint8Array, extra: Record<string, unknown> = {}) {
	return {
		...fixture('glance-image.json'),
		size: data.byteLength,
		virtual_size: data.byteLength,
		checksum: createHash('md5').update(data).digest('hex'),
		os_hash_algo: 'sha512',
		os_hash_value: createHash('sha512').update(data).digest('hex'),
		...extra,
	};
}

/**
Serves `data` as image content, honouring Range, 64 KiB every 20 ms. With `cutAt`, the first full download stops
after that many bytes although Content-Length promised all of them (a connection lost half-way).
*/
function serveImage(cloud: FakeCloud, data: Uint8Array, options: {served?: Uint8Array; cutAt?: number} = {}) {
	const served = options.served ?? data;
	let cut = options.cutAt;
	cloud.route('GET', `/image/v2/images/${imageId}`, {json: imageBody(data)});
	cloud.route('GET', `/image/v2/images/${imageId}/file`, request => {
		const range = /^bytes=(?<start>\d+)-$/v.exec(request.header('range') ?? '');
		const start = range ? Number(range.groups?.['start']) : 0;
		const end = range === null && cut !== undefined ? cut : served.byteLength;
		cut = undefined;
		const body = served.subarray(start, end);
		const chunks: Uint8Array[] = [];
		for (let offset = 0; offset < body.byteLength; offset += 65_536) {
			chunks.push(body.subarray(offset, offset + 65_536));
		}

		return {
			status: range ? 206 : 200,
			headers: {
				'content-type': 'application/octet-stream',
				'content-length': String(served.byteLength - start),
				'content-md5': createHash('md5').update(data).digest('hex'),
				...(range && {'content-range': `bytes ${start}-${data.byteLength - 1}/${data.byteLength}`}),
			},
			chunks,
			chunkDelayMs: 20,
		};
	});
}

test('an interrupted image download resumes from the partial file with a Range request and is verified', async t => {
	const cloud = await createFakeCloud(t);
	const data = new Uint8Array(randomBytes(1024 * 1024));
	serveImage(cloud, data, {cutAt: 400_000});
	const session = await sessionOn(t, cloud);
	const directory = await temporaryDirectory(t);
	const file = path.join(directory, 'image.raw');

	const first = planOf(await planImageDownload(session, {imageId, path: file}));
	const events = await collect(runPlan(first, session, {clock: fastClock()}));
	t.is(last(events)?.type, 'plan-failed');
	const partial = await sizeOf(`${file}.part`);
	t.is(partial, 400_000);
	await t.throwsAsync(stat(file));

	const second = planOf(await planImageDownload(session, {imageId, path: file}));
	const resumed = await collect(runPlan(second, session, {clock: fastClock()}));
	t.is(last(resumed)?.type, 'plan-done', JSON.stringify(resumed.filter(event => event.type === 'plan-failed')));
	const downloads = cloud.server.calls('GET', `/image/v2/images/${imageId}/file`);
	t.is(downloads.at(-1)?.header('range'), `bytes=${partial}-`);
	t.deepEqual(new Uint8Array(await readFile(file)), data);
	await t.throwsAsync(stat(`${file}.part`));
	const bytes = resumed.flatMap(event => event.type === 'bytes' ? [event.transferred] : []);
	t.is(bytes[0], partial);
	t.is(bytes.at(-1), data.byteLength);
});

test('an interrupted download journals its partial file by absolute path and identity; cleanup removes it', async t => {
	const cloud = await createFakeCloud(t);
	const data = new Uint8Array(randomBytes(300_000));
	serveImage(cloud, data, {cutAt: 100_000});
	const session = await sessionOn(t, cloud);
	const journal = await temporaryDirectory(t);
	const file = path.join(await temporaryDirectory(t), 'image.raw');
	const plan = planOf(await planImageDownload(session, {imageId, path: file}));
	const events = await collect(runPlan(plan, session, {journal, clock: fastClock()}));
	t.is(last(events)?.type, 'plan-failed');
	const partial = await stat(`${file}.part`, {bigint: true});
	t.deepEqual(readJournal(journal, plan.id)?.created, [{
		kind: 'file', id: `${file}.part`, name: `${file}.part`, stepId: 'download', temporary: false, file: identityIn(partial),
	}]);
	t.deepEqual(listUnfinished(journal).map(entry => entry.leftovers.map(resource => resource.id)), [[`${file}.part`]]);

	const cleanup = await collect(cleanupPlan(journal, plan.id, session, {clock: fastClock()}));
	t.deepEqual(cleanup.map(event => event.type), ['cleanup-start', 'cleanup-done']);
	await t.throwsAsync(stat(`${file}.part`), {code: 'ENOENT'});
});

test('a finished download is journalled under its final path with the identity the partial file had', async t => {
	const cloud = await createFakeCloud(t);
	const data = new Uint8Array(randomBytes(100_000));
	serveImage(cloud, data);
	const session = await sessionOn(t, cloud);
	const journal = await temporaryDirectory(t);
	const file = path.join(await temporaryDirectory(t), 'image.raw');
	const plan = planOf(await planImageDownload(session, {imageId, path: file}));
	const events = await collect(runPlan(plan, session, {journal, clock: fastClock()}));
	t.is(last(events)?.type, 'plan-done');
	const final = await stat(file, {bigint: true});
	t.deepEqual(readJournal(journal, plan.id)?.created.map(resource => [resource.id, resource.file]), [[file, identityIn(final)]]);
});

test('a download whose checksum does not match fails and leaves no partial file to resume', async t => {
	const cloud = await createFakeCloud(t);
	const data = new Uint8Array(randomBytes(200_000));
	const damaged = new Uint8Array(data);
	damaged[1000] = 255 - damaged[1000]!;
	serveImage(cloud, data, {served: damaged});
	const session = await sessionOn(t, cloud);
	const file = path.join(await temporaryDirectory(t), 'image.raw');
	const plan = planOf(await planImageDownload(session, {imageId, path: file}));
	const events = await runToEnd(plan, session, {clock: fastClock()});
	const end = last(events);
	t.is(end?.type, 'plan-failed');
	t.regex(end?.type === 'plan-failed' ? end.reason : '', /checksum|sha512|md5/iv);
	await t.throwsAsync(stat(file));
	await t.throwsAsync(stat(`${file}.part`));
});

function serveSecret(cloud: FakeCloud, payload: Uint8Array) {
	cloud.route('GET', `/key-manager/v1/secrets/${secretId}`, {json: fixture('barbican-secret.json')});
	cloud.route('GET', `/key-manager/v1/secrets/${secretId}/payload`, {headers: {'content-type': 'application/octet-stream'}, body: payload});
}

test('a key is exported to a new file with mode 0600, and its LUKS passphrase form next to it', async t => {
	const cloud = await createFakeCloud(t);
	const payload = new Uint8Array(randomBytes(32));
	serveSecret(cloud, payload);
	const session = await sessionOn(t, cloud);
	const file = path.join(await temporaryDirectory(t), 'key.bin');
	const plan = planOf(await planSecretExport(session, {from: {kind: 'secret', id: secretId}, path: file, hex: true}));
	t.true(plan.warnings.some(warning => warning.includes('PLAINTEXT')));
	t.true(plan.warnings.some(warning => warning.includes('symmetric, aes, 256 bit')));
	const events = await collect(runPlan(plan, session, {clock: fastClock()}));
	t.is(last(events)?.type, 'plan-done');
	t.deepEqual(new Uint8Array(await readFile(file)), payload);
	t.is(await permissionsOf(file), 0o600);
	t.is(await readFile(`${file}.hex`, 'utf8'), Buffer.from(payload).toString('hex'));
	t.is(await permissionsOf(`${file}.hex`), 0o600);
	// No event carries the key.
	const hex = Buffer.from(payload).toString('hex');
	const base64 = Buffer.from(payload).toString('base64');
	const text = JSON.stringify(events);
	t.false(text.includes(hex) || text.includes(base64));
});

test('an export never overwrites an existing file', async t => {
	const cloud = await createFakeCloud(t);
	serveSecret(cloud, new Uint8Array(randomBytes(32)));
	const session = await sessionOn(t, cloud);
	const file = path.join(await temporaryDirectory(t), 'key.bin');
	const plan = planOf(await planSecretExport(session, {from: {kind: 'secret', id: secretId}, path: file}));
	await writeFile(file, 'precious');
	const events = await collect(runPlan(plan, session, {clock: fastClock()}));
	t.is(last(events)?.type, 'plan-failed');
	t.is(await readFile(file, 'utf8'), 'precious');
	t.is(cloud.server.calls('GET', `/key-manager/v1/secrets/${secretId}/payload`).length, 0);
});

test('an encrypted image is restored: the key is stored anew and the image points at the new ID', async t => {
	const cloud = await createFakeCloud(t);
	const directory = await temporaryDirectory(t);
	const imageFile = path.join(directory, 'image.raw');
	const keyFile = path.join(directory, 'image.key');
	const data = new Uint8Array(randomBytes(300_000));
	const key = new Uint8Array(randomBytes(32));
	await writeFile(imageFile, data);
	await writeFile(keyFile, key);
	const newSecret = '0f6a2c9e-5d1b-4c3a-9e8f-7a6b5c4d3e2f';
	const newImage = '8d3c2b1a-0f9e-4d8c-b7a6-5e4d3c2b1a09';
	let status = 'queued';
	const secretJson: Record<string, unknown> = fixture('barbican-secret.json');
	cloud.route('GET', `/key-manager/v1/secrets/${newSecret}`, {json: {...secretJson, secret_ref: `http://localhost:9311/v1/secrets/${newSecret}`}});
	cloud.route('POST', '/key-manager/v1/secrets', {status: 201, json: {secret_ref: `http://localhost:9311/v1/secrets/${newSecret}`}});
	cloud.route('POST', '/image/v2/images', request => ({
		status: 201,
		json: {
			...imageBody(new Uint8Array()), ...request.json() as Record<string, unknown>, id: newImage, status: 'queued', size: null, checksum: null, os_hash_value: null,
		},
	}));
	cloud.route('PUT', `/image/v2/images/${newImage}/file`, () => {
		status = 'active';
		return {status: 204};
	});
	cloud.route('GET', `/image/v2/images/${newImage}`, () => ({json: {...imageBody(data), id: newImage, status}}));
	const session = await sessionOn(t, cloud);

	const plan = planOf(await planImageFromFile(session, {path: imageFile, name: 'db-image', keyFile}));
	t.deepEqual(plan.steps.map(step => step.id), ['store-key', 'create-image', 'upload']);
	const events = await collect(runPlan(plan, session, {clock: fastClock()}));
	const end = last(events);
	t.is(end?.type, 'plan-done', JSON.stringify(events));
	t.deepEqual(end?.type === 'plan-done' ? end.results : {}, {image: newImage, secret: newSecret});

	const stored = cloud.server.calls('POST', '/key-manager/v1/secrets')[0]!.json() as Record<string, unknown>;
	t.is(stored['payload'], Buffer.from(key).toString('base64'));
	t.is(stored['bit_length'], 256);
	t.is(stored['secret_type'], 'symmetric');
	const created = cloud.server.calls('POST', '/image/v2/images')[0]!.json() as Record<string, unknown>;
	t.is(created['cinder_encryption_key_id'], newSecret);
	t.is(created['cinder_encryption_key_deletion_policy'], 'on_image_deletion');
	const uploaded = cloud.server.calls('PUT', `/image/v2/images/${newImage}/file`)[0]!;
	t.deepEqual(uploaded.body, data);
	t.is(events.flatMap(event => event.type === 'bytes' ? [event.transferred] : []).at(-1), data.byteLength);
	t.false(JSON.stringify(events).includes(Buffer.from(key).toString('base64')));
});

test('a secret restored from a file says it gets a new ID and what still points at the old one', async t => {
	const cloud = await createFakeCloud(t);
	const session = await sessionOn(t, cloud);
	const keyFile = path.join(await temporaryDirectory(t), 'old.key');
	await writeFile(keyFile, randomBytes(32));
	const inventory = {
		volumes: [{id: 'v-1', name: 'db', encryptionKeyId: 'old-id'}],
		backups: [],
		images: [{id: 'i-1', name: 'db-image', cinderEncryptionKeyId: 'old-id'}],
	} as unknown as Parameters<typeof planSecretFromFile>[1]['inventory'];
	const plan = planOf(await planSecretFromFile(session, {path: keyFile, oldSecretId: 'old-id', inventory}));
	const text = plan.warnings.join('\n');
	t.regex(text, /NEW ID/v);
	t.regex(text, /volume db \(v-1\) \(Cinder keeps the old ID/v);
	t.regex(text, /image db-image \(i-1\) \(can be pointed at the new ID/v);
	t.true(plan.steps[0]!.action.op === 'barbican.storeSecret' && plan.steps[0]!.action.args.bitLength === 256);
});
