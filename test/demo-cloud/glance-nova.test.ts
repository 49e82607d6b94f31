/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-assignment, unicorn/no-await-expression-member -- OpenStack JSON bodies are asserted field by field. */
/* eslint-disable @typescript-eslint/naming-convention -- OpenStack's wire format is snake_case. */
import {Buffer} from 'node:buffer';
import {createHash, randomBytes} from 'node:crypto';
import test from 'ava';
import {startDemoCloud, type DemoCloud} from '../../source/demo-cloud/index.js';
import {
	call,
	cinder,
	hasSecret,
	login,
	volumeStatus,
	waitFor,
	type Json,
	type Session,
} from './helpers/client.js';

let cloud: DemoCloud;
let demo: Session;

test.before(async () => {
	cloud = await startDemoCloud({seed: 'story', timeScale: 0.01, delays: {serverImage: 40_000}});
	demo = await login(cloud, 'demo', 'demo');
});

test.after.always(async () => {
	await cloud.close();
});

const glance = (path: string): string => `${demo.endpoints['image']}${path}`;
const nova = (path: string): string => `${demo.endpoints['compute']}${path}`;

async function uploadImage(name: string, data: Uint8Array<ArrayBuffer>, extra: Record<string, unknown> = {}): Promise<Json> {
	const created = await call(demo, 'POST', glance('/v2/images'), {
		body: {
			name, disk_format: 'raw', container_format: 'bare', ...extra,
		},
	});
	if (created.status !== 201) {
		throw new Error(`image create ${created.status} ${created.text}`);
	}

	const put = await call(demo, 'PUT', glance(`/v2/images/${created.json['id']}/file`), {raw: data});
	if (put.status !== 204) {
		throw new Error(`image upload ${put.status} ${put.text}`);
	}

	return (await call(demo, 'GET', glance(`/v2/images/${created.json['id']}`))).json;
}

test('Glance: 201 + Location, queued without data, upload makes it active with sha512 and md5 of the bytes', async t => {
	const data = new Uint8Array(randomBytes(10_000));
	const created = await call(demo, 'POST', glance('/v2/images'), {
		body: {
			name: 'upload-check', disk_format: 'raw', container_format: 'bare', purpose: 'test',
		},
	});
	t.is(created.status, 201);
	t.is(created.headers.get('location'), glance(`/v2/images/${created.json['id']}`));
	t.like(created.json, {
		status: 'queued', size: null, checksum: null, visibility: 'shared', os_hidden: false, purpose: 'test', owner: demo.projectId,
	});
	t.regex(created.json['created_at'], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/v);
	t.is((await call(demo, 'GET', glance(`/v2/images/${created.json['id']}/file`))).status, 204);

	t.is((await call(demo, 'PUT', glance(`/v2/images/${created.json['id']}/file`), {raw: data})).status, 204);
	const image = (await call(demo, 'GET', glance(`/v2/images/${created.json['id']}`))).json;
	t.is(image['status'], 'active');
	t.is(image['size'], 10_000);
	t.is(image['os_hash_algo'], 'sha512');
	t.is(image['os_hash_value'], createHash('sha512').update(data).digest('hex'));
	t.is(image['checksum'], createHash('md5').update(data).digest('hex'));
	const again = await call(demo, 'PUT', glance(`/v2/images/${created.json['id']}/file`), {raw: data});
	t.is(again.status, 409);
});

test('Glance download: 200 whole, 206 + Content-Range for Range, suffix ranges, 416 beyond the end', async t => {
	const data = new Uint8Array(randomBytes(4096));
	const image = await uploadImage('range-check', data);
	const whole = await call(demo, 'GET', glance(`/v2/images/${image['id']}/file`));
	t.is(whole.status, 200);
	t.deepEqual(Buffer.from(whole.bytes), Buffer.from(data));
	t.is(whole.headers.get('content-md5'), image['checksum']);

	const part = await call(demo, 'GET', glance(`/v2/images/${image['id']}/file`), {headers: {Range: 'bytes=1000-'}});
	t.is(part.status, 206);
	t.is(part.headers.get('content-range'), 'bytes 1000-4095/4096');
	t.deepEqual(Buffer.from(part.bytes), Buffer.from(data.subarray(1000)));

	const middle = await call(demo, 'GET', glance(`/v2/images/${image['id']}/file`), {headers: {Range: 'bytes=10-19'}});
	t.is(middle.bytes.length, 10);
	const suffix = await call(demo, 'GET', glance(`/v2/images/${image['id']}/file`), {headers: {Range: 'bytes=-100'}});
	t.is(suffix.headers.get('content-range'), 'bytes 3996-4095/4096');
	const beyond = await call(demo, 'GET', glance(`/v2/images/${image['id']}/file`), {headers: {Range: 'bytes=5000-'}});
	t.is(beyond.status, 416);
});

test('Glance lists hide os_hidden images by default; os_hidden=true returns only hidden ones', async t => {
	const visible = await call(demo, 'GET', glance('/v2/images'));
	const hidden = await call(demo, 'GET', glance('/v2/images?os_hidden=true'));
	const visibleNames = new Set((visible.json['images'] as Json[]).map(image => image['name'] as string));
	const hiddenNames = (hidden.json['images'] as Json[]).map(image => image['name'] as string);
	t.true(visibleNames.has('shop-web-01-nightly'));
	t.false(visibleNames.has('shop-web-01-rescue'));
	t.deepEqual(hiddenNames, ['shop-web-01-rescue']);
	t.is(visible.json['schema'], '/v2/schemas/images');
	t.is(visible.json['first'], '/v2/images');
});

test('Glance paging: default 25, relative next link that keeps filters, max 1000', async t => {
	const owner = await startDemoCloud({seed: {volumes: 0, images: 30}, timeScale: 0.01});
	try {
		const session = await login(owner, 'demo', 'demo');
		// eslint-disable-next-line unicorn/prefer-iterator-to-array -- the project's TypeScript lib has no iterator helpers.
		const listed = [...owner.state.images.values()].filter(image => !image.hidden);
		t.true(listed.length > 25);
		const first = await call(session, 'GET', `${session.endpoints['image']}/v2/images?disk_format=qcow2`);
		t.is(first.json['images'].length, 25);
		t.true(String(first.json['next']).startsWith('/v2/images?'));
		t.true(String(first.json['next']).includes('disk_format=qcow2'));
		const second = await call(session, 'GET', `${session.endpoints['image']}${first.json['next'] as string}`);
		const ids = new Set([...first.json['images'], ...second.json['images']].map((image: Json) => image['id'] as string));
		t.is(ids.size, listed.filter(image => image.diskFormat === 'qcow2').length);
		t.is(second.json['next'], undefined);
		const big = await call(session, 'GET', `${session.endpoints['image']}/v2/images?limit=5000`);
		t.is(big.json['images'].length, listed.length);
	} finally {
		await owner.close();
	}
});

test('Glance JSON-patch: add, replace, remove; wrong media type 415', async t => {
	const image = await uploadImage('patch-me', new Uint8Array([1, 2, 3]));
	const patch = async (body: unknown, contentType = 'application/openstack-images-v2.1-json-patch') => call(
		demo,
		'PATCH',
		glance(`/v2/images/${image['id']}`),
		{body, headers: {'Content-Type': contentType}},
	);
	const added = await patch([{op: 'add', path: '/backup_of', value: 'shop-db'}, {op: 'replace', path: '/name', value: 'patched'}]);
	t.is(added.status, 200);
	t.like(added.json, {backup_of: 'shop-db', name: 'patched'});
	const removed = await patch([{op: 'remove', path: '/backup_of'}]);
	t.false('backup_of' in removed.json);
	t.is((await patch([{op: 'replace', path: '/missing', value: 'x'}])).status, 409);
	t.is((await patch([{op: 'add', path: '/a', value: 'b'}], 'application/json')).status, 415);
	t.is((await patch([{op: 'replace', path: '/status', value: 'active'}])).status, 403);
});

test('Glance errors follow Accept: JSON, HTML for */*, text without Accept', async t => {
	const missing = glance('/v2/images/00000000-0000-0000-0000-000000000000');
	const asJson = await call(demo, 'GET', missing);
	t.is(asJson.status, 404);
	t.is(asJson.json['code'], '404 Not Found');
	t.is(asJson.json['title'], 'Not Found');
	const asHtml = await call(demo, 'GET', missing, {headers: {Accept: '*/*'}});
	t.regex(asHtml.headers.get('content-type') ?? '', /text\/html/v);
	t.true(asHtml.text.includes('<h1>404 Not Found</h1>'));
	const plain = await fetch(missing, {headers: {'X-Auth-Token': demo.token, Accept: ''}});
	t.regex(plain.headers.get('content-type') ?? '', /text\/plain/v);
});

test('upload of an encrypted volume: image carries its own key clone; deleting the image deletes that secret', async t => {
	const volumes = await cinder(demo, 'GET', '/volumes/detail?name=shop-uploads');
	t.is(volumes.json['volumes'].length, 1);
	const created = await cinder(demo, 'POST', '/volumes', {volume: {size: 1, volume_type: 'LUKS', name: 'to-upload'}});
	const volume = await volumeStatus(demo, created.json['volume'].id, ['available']);
	const upload = await cinder(demo, 'POST', `/volumes/${volume['id']}/action`, {
		'os-volume_upload_image': {
			image_name: 'enc-upload', disk_format: 'raw', container_format: 'bare', force: false,
		},
	});
	t.is(upload.status, 202);
	t.like(upload.json['os-volume_upload_image'], {status: 'uploading', image_name: 'enc-upload', disk_format: 'raw'});
	const imageId = upload.json['os-volume_upload_image'].image_id as string;
	const image = (await waitFor('image active', async () => call(demo, 'GET', glance(`/v2/images/${imageId}`)), result => result.json['status'] === 'active')).json;
	t.is(image['cinder_encryption_key_deletion_policy'], 'on_image_deletion');
	const key = image['cinder_encryption_key_id'] as string;
	t.not(key, volume['encryption_key_id']);
	t.true(await hasSecret(demo, key));
	t.true(image['size'] > 0);
	t.is((await call(demo, 'DELETE', glance(`/v2/images/${imageId}`))).status, 204);
	t.false(await hasSecret(demo, key));
	t.is((await volumeStatus(demo, volume['id'], ['available']))['status'], 'available');
});

test('Nova: servers detail; boot-from-volume has image "" and its volumes attached', async t => {
	const list = await call(demo, 'GET', nova('/servers/detail'), {headers: {'OpenStack-API-Version': 'compute 2.79'}});
	t.is(list.status, 200);
	t.is(list.headers.get('openstack-api-version'), 'compute 2.79');
	const servers = list.json['servers'] as Json[];
	const bfv = servers.find(server => server['name'] === 'shop-db-01');
	const web = servers.find(server => server['name'] === 'shop-web-01');
	t.is(bfv?.['image'], '');
	t.is(bfv?.['os-extended-volumes:volumes_attached'].length, 2);
	t.is(typeof bfv?.['os-extended-volumes:volumes_attached'][0].delete_on_termination, 'boolean');
	t.is(typeof web?.['image'].id, 'string');
	t.regex(web?.['created'], /Z$/v);
	t.is((await call(demo, 'GET', nova('/servers'), {headers: {'OpenStack-API-Version': 'compute 2.97'}})).status, 406);
	const paged = await call(demo, 'GET', nova('/servers/detail?limit=1'));
	t.is(paged.json['servers'].length, 1);
	t.regex(paged.json['servers_links'][0].href, /marker=/v);
});

test('Nova createImage of an image-backed server: body image_id at 2.45, snapshot image with real data', async t => {
	const servers = (await call(demo, 'GET', nova('/servers/detail'))).json['servers'] as Json[];
	const web = servers.find(server => server['name'] === 'shop-web-01');
	const action = await call(demo, 'POST', nova(`/servers/${web?.['id']}/action`), {
		body: {createImage: {name: 'web-snap', metadata: {reason: 'test'}}},
		headers: {'OpenStack-API-Version': 'compute 2.45'},
	});
	t.is(action.status, 202);
	const imageId = action.json['image_id'] as string;
	const busy = await call(demo, 'POST', nova(`/servers/${web?.['id']}/action`), {body: {createImage: {name: 'too-soon'}}});
	t.is(busy.status, 409);
	const image = (await waitFor('snapshot active', async () => call(demo, 'GET', glance(`/v2/images/${imageId}`)), result => result.json['status'] === 'active')).json;
	t.like(image, {
		image_type: 'snapshot', instance_uuid: web?.['id'], reason: 'test', disk_format: 'qcow2',
	});
	t.true(image['size'] > 0);
	const data = await call(demo, 'GET', glance(`/v2/images/${imageId}/file`));
	t.is(createHash('sha512').update(data.bytes).digest('hex'), image['os_hash_value']);
	await waitFor('task state cleared', async () => call(demo, 'GET', nova(`/servers/${web?.['id']}`)), result => result.json['server']['OS-EXT-STS:task_state'] === null);
});

test('Nova createImage of a boot-from-volume server: 0-byte active image, BDM of Cinder snapshots; Location before 2.45', async t => {
	const servers = (await call(demo, 'GET', nova('/servers/detail'))).json['servers'] as Json[];
	const bfv = servers.find(server => server['name'] === 'shop-db-01');
	const action = await call(demo, 'POST', nova(`/servers/${bfv?.['id']}/action`), {body: {createImage: {name: 'db-snap'}}, headers: {'OpenStack-API-Version': 'compute 2.44'}});
	t.is(action.status, 202);
	const location = action.headers.get('location') ?? '';
	t.regex(location, /\/images\/[\d\-a-f]{36}$/v);
	const imageId = location.split('/').at(-1) ?? '';
	const image = (await call(demo, 'GET', glance(`/v2/images/${imageId}`))).json;
	t.like(image, {
		status: 'active', size: 0, disk_format: 'raw', container_format: 'bare', bdm_v2: 'True',
	});
	t.false('instance_uuid' in image);
	t.false('image_type' in image);
	const mappings = JSON.parse(image['block_device_mapping'] as string) as Json[];
	t.is(mappings.length, 2);
	t.is(mappings[0]?.['boot_index'], 0);
	for (const mapping of mappings) {
		t.is(mapping['source_type'], 'snapshot');
		// eslint-disable-next-line no-await-in-loop -- two snapshots.
		const snapshot = await cinder(demo, 'GET', `/snapshots/${mapping['snapshot_id']}`);
		t.is(snapshot.json['snapshot'].name, 'snapshot for db-snap');
	}

	const download = await call(demo, 'GET', glance(`/v2/images/${imageId}/file`));
	t.is(download.status, 200);
	t.is(download.bytes.length, 0);
});

// Cinder Zed's signature_verified trap, as test/contract/suite.ts proves it on the real cloud.
test('volume from image: image properties + signature_verified; its upload carries them; a volume of that image ends error until unset', async t => {
	const first = await uploadImage('sigver-first', new Uint8Array(randomBytes(4096)), {hw_disk_bus: 'scsi'});
	const volumeCreated = await cinder(demo, 'POST', '/volumes', {volume: {size: 1, name: 'sigver-vol', imageRef: first['id']}});
	t.is(volumeCreated.status, 202);
	const volume = await volumeStatus(demo, volumeCreated.json['volume'].id, ['available', 'error']);
	t.is(volume['status'], 'available');
	t.like(volume['volume_image_metadata'], {
		signature_verified: 'False', hw_disk_bus: 'scsi', image_id: first['id'], image_name: 'sigver-first', min_disk: '0', min_ram: '0',
	});

	const upload = await cinder(demo, 'POST', `/volumes/${volume['id']}/action`, {'os-volume_upload_image': {image_name: 'sigver-second', disk_format: 'raw', container_format: 'bare'}});
	t.is(upload.status, 202);
	const secondId = String(upload.json['os-volume_upload_image'].image_id);
	const second = await waitFor('image active', async () => (await call(demo, 'GET', glance(`/v2/images/${secondId}`))).json, image => image['status'] === 'active');
	t.is(second['signature_verified'], 'False', 'Cinder copied signature_verified into the uploaded image');
	t.is(second['hw_disk_bus'], 'scsi', 'and the first image\'s own properties');
	t.is(second['image_id'], undefined, 'but not the core fields');
	t.is(second['min_disk'], 0, 'min_disk stays Glance\'s own number');
	t.not(second['name'], 'sigver-first');
	await volumeStatus(demo, volume['id'], ['available']);

	const trapped = await cinder(demo, 'POST', '/volumes', {volume: {size: 1, name: 'sigver-trap', imageRef: secondId}});
	t.is(trapped.status, 202, 'the API accepts it; cinder-volume fails it');
	const failed = await volumeStatus(demo, trapped.json['volume'].id, ['available', 'error']);
	t.is(failed['status'], 'error');

	const unset = await call(demo, 'PATCH', glance(`/v2/images/${secondId}`), {
		body: [{op: 'remove', path: '/signature_verified'}], headers: {'Content-Type': 'application/openstack-images-v2.1-json-patch'},
	});
	t.is(unset.status, 200);
	const working = await cinder(demo, 'POST', '/volumes', {volume: {size: 1, name: 'sigver-ok', imageRef: secondId}});
	const ok = await volumeStatus(demo, working.json['volume'].id, ['available', 'error']);
	t.is(ok['status'], 'available', 'without the property it works');
	t.is(ok['volume_image_metadata'].signature_verified, 'False', 'and Cinder records its own again');
});
