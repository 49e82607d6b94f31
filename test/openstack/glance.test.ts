/* eslint-disable @typescript-eslint/naming-convention -- fixtures and request bodies are OpenStack's snake_case JSON. */
import {Buffer} from 'node:buffer';
import {createHash, randomBytes} from 'node:crypto';
import test from 'ava';
import {ChecksumMismatchError} from '../../source/openstack/glance.js';
import {openSession} from '../../source/openstack/session.js';
import {collect} from '../helpers/collect.js';
import {createFakeCloud, fixture} from '../helpers/fake-cloud.js';

const imageFixture = fixture('glance-image.json');

async function open(t: Parameters<typeof createFakeCloud>[0]) {
	const cloud = await createFakeCloud(t);
	const session = await openSession(cloud.config);
	return {cloud, glance: session.glance!};
}

async function * from(...chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
	for (const chunk of chunks) {
		yield chunk;
	}
}

function concat(chunks: Uint8Array[]): Uint8Array {
	return new Uint8Array(Buffer.concat(chunks));
}

test('list = visible + hidden images, each query paged through relative `next` links on the endpoint\'s path prefix', async t => {
	const {cloud, glance} = await open(t);
	const image = (id: string, isHidden = false) => ({
		...imageFixture, id, name: id, os_hidden: isHidden,
	});
	// Pages per query, as Glance sends them: `next` is a path that keeps the query's filters.
	const pages: Record<string, Record<string, unknown>> = {
		'visible:': {images: [image('a'), image('b')], first: '/v2/images?limit=2', next: '/v2/images?limit=2&marker=b'},
		'visible:b': {images: [image('c')], first: '/v2/images?limit=2'},
		'hidden:': {images: [image('h1', true)], first: '/v2/images?os_hidden=true', next: '/v2/images?os_hidden=true&marker=h1'},
		'hidden:h1': {images: [image('h2', true)], first: '/v2/images?os_hidden=true'},
	};
	cloud.route('GET', '/image/v2/images', request => {
		const kind = request.query.get('os_hidden') === 'true' ? 'hidden' : 'visible';
		const page = pages[`${kind}:${request.query.get('marker') ?? ''}`];
		return page === undefined ? {status: 400, json: {message: 'unexpected page'}} : {json: {...page, schema: '/v2/schemas/images'}};
	});
	const images = await collect(glance.listImages({pageSize: 2}));
	t.deepEqual(images.map(item => [item.id, item.hidden]), [['a', false], ['b', false], ['c', false], ['h1', true], ['h2', true]]);
	const calls = cloud.server.calls('GET', '/image/v2/images').map(call => call.query.toString());
	t.deepEqual(calls, ['limit=2', 'limit=2&marker=b', 'limit=2&os_hidden=true', 'os_hidden=true&marker=h1']);
	t.deepEqual(cloud.server.problems, []);
});

test('image mapping: hash, checksum, extra properties, Cinder key, Nova BFV block_device_mapping', async t => {
	const {cloud, glance} = await open(t);
	cloud.route('GET', '/image/v2/images/bfv', {
		json: {
			...imageFixture,
			id: 'bfv',
			size: 0,
			block_device_mapping: '[{"source_type": "snapshot", "destination_type": "volume", "snapshot_id": "snap-1", "boot_index": 0}]',
			bdm_v2: 'True',
		},
	});
	const image = await glance.getImage('bfv');
	t.is(image.hashAlgo, 'sha512');
	t.is(image.checksum, '0e2d74d1062677e7c5b25ee0b3f8f5de');
	t.is(image.cinderEncryptionKeyId, '5b51e46f-79ee-49a1-8378-e4a0f3815109');
	t.is(image.cinderEncryptionKeyDeletionPolicy, 'on_image_deletion');
	t.is(image.createdAt, '2026-11-23T11:50:44.000Z');
	t.deepEqual(image.blockDeviceMapping, [{
		source_type: 'snapshot', destination_type: 'volume', snapshot_id: 'snap-1', boot_index: 0,
	}]);
	t.is(image.properties['bdm_v2'], 'True');
	t.false('os_hash_value' in image.properties);
	t.is(image.size, 0);
});

test('create, streamed upload with size header and progress, property patch, delete', async t => {
	const {cloud, glance} = await open(t);
	cloud.route('POST', '/image/v2/images', request => ({
		status: 201, json: {
			...imageFixture, ...(request.json() as Record<string, unknown>), id: 'img-1', status: 'queued',
		},
	}));
	cloud.route('PUT', '/image/v2/images/img-1/file', {status: 204});
	cloud.route('GET', '/image/v2/images/img-1', {json: {...imageFixture, id: 'img-1', cinder_encryption_key_id: 'old-key'}});
	cloud.route('PATCH', '/image/v2/images/img-1', {
		json: {
			...imageFixture, id: 'img-1', cinder_encryption_key_id: 'new-key', backstack_note: 'x',
		},
	});
	cloud.route('DELETE', '/image/v2/images/img-1', {status: 204});

	const created = await glance.createImage({
		name: 'copy', diskFormat: 'raw', containerFormat: 'bare', visibility: 'private', properties: {backstack_source: 'vol-1'},
	});
	t.is(created.id, 'img-1');
	t.deepEqual(cloud.server.calls('POST', '/image/v2/images')[0]?.json(), {
		backstack_source: 'vol-1', name: 'copy', disk_format: 'raw', container_format: 'bare', visibility: 'private',
	});

	const parts = [randomBytes(70_000), randomBytes(50_000), randomBytes(3)];
	const progress: number[] = [];
	await glance.uploadImageData('img-1', from(...parts), {
		size: 120_003,
		onProgress(step) {
			progress.push(step.transferred);
		},
	});
	const [put] = cloud.server.calls('PUT', '/image/v2/images/img-1/file');
	t.deepEqual(Buffer.from(put!.body), Buffer.concat(parts));
	t.is(put?.header('content-type'), 'application/octet-stream');
	t.is(put?.header('x-openstack-image-size'), '120003');
	t.deepEqual(progress, [70_000, 120_000, 120_003]);

	const patched = await glance.setImageProperties('img-1', {cinder_encryption_key_id: 'new-key', backstack_note: 'x'});
	t.is(patched.cinderEncryptionKeyId, 'new-key');
	const [patch] = cloud.server.calls('PATCH', '/image/v2/images/img-1');
	t.is(patch?.header('content-type'), 'application/openstack-images-v2.1-json-patch');
	t.deepEqual(patch?.json(), [
		{op: 'replace', path: '/cinder_encryption_key_id', value: 'new-key'},
		{op: 'add', path: '/backstack_note', value: 'x'},
	]);

	await glance.deleteImage('img-1');
	t.is(cloud.server.calls('DELETE', '/image/v2/images/img-1').length, 1);
});

test('removing properties: JSON-patch remove of the ones the image has; absent ones are skipped, so a repeat sends nothing', async t => {
	const {cloud, glance} = await open(t);
	// Glance's own rule, kept by this fake: `remove` of an absent property is 409.
	let properties: Record<string, string> = {signature_verified: 'False', 'a/b~c': 'x', kept: 'yes'};
	cloud.route('GET', '/image/v2/images/img-2', () => ({json: {...imageFixture, ...properties, id: 'img-2'}}));
	cloud.route('PATCH', '/image/v2/images/img-2', request => {
		const operations = request.json() as Array<{op: string; path: string}>;
		const next = new Map(Object.entries(properties));
		for (const operation of operations) {
			const key = operation.path.slice(1).replaceAll('~1', '/').replaceAll('~0', '~');
			if (operation.op !== 'remove' || !next.has(key)) {
				return {status: 409, json: {message: `Property ${key} does not exist.`}};
			}

			next.delete(key);
		}

		properties = Object.fromEntries(next);
		return {json: {...imageFixture, ...properties, id: 'img-2'}};
	});

	const image = await glance.removeImageProperties('img-2', ['signature_verified', 'a/b~c', 'never_there']);
	t.is(image.properties['signature_verified'], undefined);
	t.is(image.properties['kept'], 'yes');
	const [patch] = cloud.server.calls('PATCH', '/image/v2/images/img-2');
	t.is(patch?.header('content-type'), 'application/openstack-images-v2.1-json-patch');
	t.deepEqual(patch?.json(), [
		{op: 'remove', path: '/signature_verified'},
		{op: 'remove', path: '/a~1b~0c'},
	]);
	t.deepEqual(properties, {kept: 'yes'});

	const again = await glance.removeImageProperties('img-2', ['signature_verified']);
	t.is(again.properties['signature_verified'], undefined);
	t.is(cloud.server.calls('PATCH', '/image/v2/images/img-2').length, 1, 'nothing left to remove: no second PATCH');
	t.deepEqual(cloud.server.problems, []);
});

test('removing properties: a 409 because one went meanwhile removes what is left; other errors are thrown', async t => {
	const {cloud, glance} = await open(t);
	let reads = 0;
	cloud.route('GET', '/image/v2/images/img-3', () => {
		reads++;
		// The first read still sees both; by the second, someone else removed signature_verified.
		return {
			json: {
				...imageFixture, id: 'img-3', ...(reads === 1 && {signature_verified: 'False'}), other: 'x',
			},
		};
	});
	const patches: unknown[] = [];
	cloud.route('PATCH', '/image/v2/images/img-3', request => {
		patches.push(request.json());
		return patches.length === 1
			? {status: 409, json: {message: 'Property signature_verified does not exist.'}}
			: {json: {...imageFixture, id: 'img-3'}};
	});
	const image = await glance.removeImageProperties('img-3', ['signature_verified', 'other']);
	t.is(image.properties['other'], undefined);
	t.deepEqual(patches, [
		[{op: 'remove', path: '/signature_verified'}, {op: 'remove', path: '/other'}],
		[{op: 'remove', path: '/other'}],
	]);

	cloud.route('GET', '/image/v2/images/img-4', {json: {...imageFixture, id: 'img-4', signature_verified: 'False'}});
	cloud.route('PATCH', '/image/v2/images/img-4', {status: 403, json: {message: 'You are not permitted to modify this image.'}});
	const error = await t.throwsAsync(glance.removeImageProperties('img-4', ['signature_verified']));
	t.regex(error?.message ?? '', /403/v);
});

function imageWithData(data: Uint8Array, overrides: Record<string, unknown> = {}) {
	return {
		...imageFixture,
		size: data.byteLength,
		os_hash_algo: 'sha512',
		os_hash_value: createHash('sha512').update(data).digest('hex'),
		checksum: createHash('md5').update(data).digest('hex'),
		...overrides,
	};
}

test('download streams and verifies os_hash_value', async t => {
	const {cloud, glance} = await open(t);
	const data = new Uint8Array(randomBytes(200_000));
	cloud.route('GET', '/image/v2/images/i1', {json: imageWithData(data, {id: 'i1'})});
	cloud.route('GET', '/image/v2/images/i1/file', {headers: {'content-type': 'application/octet-stream'}, chunks: [data.subarray(0, 100_000), data.subarray(100_000)]});
	const progress: Array<number | undefined> = [];
	const chunks = await collect(glance.downloadImage('i1', {
		onProgress(step) {
			progress.push(step.total);
		},
	}));
	t.deepEqual(Buffer.from(concat(chunks)), Buffer.from(data));
	t.true(progress.every(total => total === 200_000));
	t.is(cloud.server.calls('GET', '/image/v2/images/i1/file')[0]?.header('accept'), 'application/octet-stream');
});

test('download fails loudly when the bytes do not match the hash, or the stream ends short', async t => {
	const {cloud, glance} = await open(t);
	const data = new Uint8Array(randomBytes(1000));
	const corrupted = new Uint8Array(data);
	corrupted[500] = corrupted[500] === 0 ? 1 : 0;
	cloud.route('GET', '/image/v2/images/bad', {json: imageWithData(data, {id: 'bad'})});
	cloud.route('GET', '/image/v2/images/bad/file', {body: corrupted});
	await t.throwsAsync(collect(glance.downloadImage('bad')), {instanceOf: ChecksumMismatchError, message: /image bad: downloaded data does not match its sha512/v});

	cloud.route('GET', '/image/v2/images/short', {json: imageWithData(data, {id: 'short'})});
	cloud.route('GET', '/image/v2/images/short/file', {body: data.subarray(0, 600)});
	await t.throwsAsync(collect(glance.downloadImage('short')), {message: /download ended after 600 of 1000 bytes; resume with offset 600/v});
});

test('download resumes with Range from an offset, hashing the bytes already held; MD5 when there is no os_hash', async t => {
	const {cloud, glance} = await open(t);
	const data = new Uint8Array(randomBytes(5000));
	cloud.route('GET', '/image/v2/images/r1', {json: imageWithData(data, {id: 'r1', os_hash_algo: null, os_hash_value: null})});
	cloud.route('GET', '/image/v2/images/r1/file', request => {
		const range = /^bytes=(?<start>\d+)-$/v.exec(request.header('range') ?? '');
		const start = Number(range?.groups?.['start'] ?? 0);
		return {status: 206, headers: {'content-range': `bytes ${start}-${data.byteLength - 1}/${data.byteLength}`}, body: data.subarray(start)};
	});
	const held = data.subarray(0, 3000);
	const rest = await collect(glance.downloadImage('r1', {offset: 3000, prefix: from(held)}));
	t.deepEqual(concat(rest), data.subarray(3000));
	t.is(cloud.server.calls('GET', '/image/v2/images/r1/file')[0]?.header('range'), 'bytes=3000-');
	await t.throwsAsync(collect(glance.downloadImage('r1', {offset: 3000})), {message: /needs the bytes already held \(prefix\) to verify its md5 checksum/v});
});

test('a server that ignores Range sends everything: the held part is skipped', async t => {
	const {cloud, glance} = await open(t);
	const data = new Uint8Array(randomBytes(4096));
	cloud.route('GET', '/image/v2/images/r2', {json: imageWithData(data, {id: 'r2'})});
	cloud.route('GET', '/image/v2/images/r2/file', {status: 200, chunks: [data.subarray(0, 1000), data.subarray(1000)]});
	const held = data.subarray(0, 1500);
	const rest = await collect(glance.downloadImage('r2', {offset: 1500, prefix: from(held)}));
	t.deepEqual(concat(rest), data.subarray(1500));
});

test('an image without data answers 204 and downloads as nothing', async t => {
	const {cloud, glance} = await open(t);
	const empty = new Uint8Array();
	cloud.route('GET', '/image/v2/images/e', {json: imageWithData(empty, {id: 'e'})});
	cloud.route('GET', '/image/v2/images/e/file', {status: 204});
	t.deepEqual(await collect(glance.downloadImage('e')), []);
});
