/* eslint-disable @typescript-eslint/naming-convention -- fixtures and request bodies are OpenStack's snake_case JSON. */
import test from 'ava';
import {openSession} from '../../source/openstack/session.js';
import {collect} from '../helpers/collect.js';
import {createFakeCloud} from '../helpers/fake-cloud.js';

const server = {
	id: 's1',
	name: 'web-1',
	status: 'ACTIVE',
	'OS-EXT-STS:task_state': null,
	'OS-EXT-STS:vm_state': 'active',
	image: {id: 'img-1', links: []},
	flavor: {
		original_name: 'm1.small', vcpus: 1, ram: 2048, disk: 20,
	},
	'os-extended-volumes:volumes_attached': [{id: 'vol-a', delete_on_termination: false}],
	'OS-EXT-AZ:availability_zone': 'nova',
	tenant_id: 'p',
	user_id: 'u',
	created: '2026-11-20T10:00:00Z',
	updated: '2026-11-21T10:00:00Z',
	metadata: {role: 'web'},
};

test('servers: two pages via servers_links (rebuilt on the catalog endpoint), BFV servers detected', async t => {
	const cloud = await createFakeCloud(t);
	const firstPage = {servers: [server, {...server, id: 's2'}], servers_links: [{rel: 'next', href: 'http://nova-internal:8774/v2.1/servers/detail?limit=2&marker=s2'}]};
	const lastPage = {
		servers: [{
			...server, id: 's3', image: '', 'OS-EXT-STS:task_state': 'image_uploading',
		}],
	};
	cloud.route('GET', '/compute/v2.1/servers/detail', request => ({json: request.query.get('marker') === 's2' ? lastPage : firstPage}));
	const session = await openSession(cloud.config);
	const servers = await collect(session.nova!.listServers({pageSize: 2}));

	t.deepEqual(servers.map(item => [item.id, item.bootFromVolume]), [['s1', false], ['s2', false], ['s3', true]]);
	t.is(servers[0]?.imageId, 'img-1');
	t.is(servers[0]?.flavorId, 'm1.small');
	t.deepEqual(servers[0]?.attachedVolumeIds, ['vol-a']);
	t.is(servers[0]?.createdAt, '2026-11-20T10:00:00.000Z');
	t.is(servers[2]?.imageId, undefined);
	t.is(servers[2]?.taskState, 'image_uploading');
	t.deepEqual(cloud.server.calls('GET', '/compute/v2.1/servers/detail').map(call => call.query.toString()), ['limit=2', 'limit=2&marker=s2']);
	t.deepEqual(cloud.server.problems, []);
});

test('createImage: image_id from the body (>= 2.45), else only the ID from Location (never its host)', async t => {
	const cloud = await createFakeCloud(t);
	cloud.route('POST', '/compute/v2.1/servers/new/action', {status: 202, json: {image_id: 'img-new'}});
	cloud.route('POST', '/compute/v2.1/servers/old/action', {status: 202, headers: {location: 'https://glance.internal:9292/v2/images/img-old'}});
	const session = await openSession(cloud.config);
	t.deepEqual(await session.nova!.createServerImage('new', {name: 'snap', metadata: {k: 'v'}}), {imageId: 'img-new'});
	t.deepEqual(cloud.server.calls('POST', '/compute/v2.1/servers/new/action')[0]?.json(), {createImage: {name: 'snap', metadata: {k: 'v'}}});
	t.deepEqual(await session.nova!.createServerImage('old', {name: 'snap'}), {imageId: 'img-old'});
	t.is(cloud.server.requests.filter(request => request.path.includes('img-old')).length, 0);
});

test('a 409 from createImage is reported with Nova\'s message and not retried', async t => {
	const cloud = await createFakeCloud(t);
	cloud.route('POST', '/compute/v2.1/servers/busy/action', {
		status: 409,
		headers: {'x-compute-request-id': 'req-nova-1'},
		json: {conflictingRequest: {code: 409, message: 'Cannot \'createImage\' instance busy while it is in task_state image_uploading'}},
	});
	const session = await openSession(cloud.config);
	const error = await t.throwsAsync(session.nova!.createServerImage('busy', {name: 'x'}));
	t.is(error.message, 'nova POST /compute/v2.1/servers/busy/action → 409 Conflict: Cannot \'createImage\' instance busy while it is in task_state image_uploading (request req-nova-1)');
	t.is(cloud.server.calls('POST', '/compute/v2.1/servers/busy/action').length, 1);
});

test('a server create sends Nova\'s wire names: volumes by block_device_mapping_v2 (root at boot index 0), networks none, no delete on termination', async t => {
	const cloud = await createFakeCloud(t);
	cloud.route('POST', '/compute/v2.1/servers', {status: 202, json: {server: {id: 's-new', links: []}}});
	const session = await openSession(cloud.config);
	const created = await session.nova!.createServer({
		name: 'db-1',
		flavorRef: '2',
		volumes: [{volumeId: 'vol-root', boot: true}, {volumeId: 'vol-data', device: '/dev/vdb'}],
		networks: 'none',
		metadata: {role: 'db'},
		keyName: 'ops',
		userData: 'I2Nsb3VkLWNvbmZpZw==',
	});
	t.deepEqual(created, {id: 's-new'});
	t.deepEqual(cloud.server.calls('POST', '/compute/v2.1/servers')[0]?.json(), {
		server: {
			name: 'db-1',
			flavorRef: '2',
			networks: 'none',
			metadata: {role: 'db'},
			key_name: 'ops',
			user_data: 'I2Nsb3VkLWNvbmZpZw==',
			block_device_mapping_v2: [
				{
					uuid: 'vol-root', source_type: 'volume', destination_type: 'volume', boot_index: 0, delete_on_termination: false,
				},
				{
					uuid: 'vol-data', source_type: 'volume', destination_type: 'volume', boot_index: -1, device_name: '/dev/vdb', delete_on_termination: false,
				},
			],
		},
	});

	// From an image with volumes: the image goes first, as boot index 0, as Nova wants it.
	await session.nova!.createServer({
		name: 'web-1', flavorRef: '2', imageRef: 'img-1', volumes: [{volumeId: 'vol-data'}], networks: 'none',
	});
	const body = cloud.server.calls('POST', '/compute/v2.1/servers')[1]?.json() as {server: {imageRef: string; block_device_mapping_v2: unknown[]}};
	t.is(body.server.imageRef, 'img-1');
	t.deepEqual(body.server.block_device_mapping_v2, [
		{
			uuid: 'img-1', source_type: 'image', destination_type: 'local', boot_index: 0, delete_on_termination: true,
		},
		{
			uuid: 'vol-data', source_type: 'volume', destination_type: 'volume', boot_index: -1, delete_on_termination: false,
		},
	]);
});

test('flavors, key pairs and a server that is gone: the flavor a server shows from 2.47, undefined on 404', async t => {
	const cloud = await createFakeCloud(t);
	cloud.route('GET', '/compute/v2.1/flavors/detail', {
		json: {
			flavors: [{
				id: '2', name: 'm1.small', vcpus: 1, ram: 2048, disk: 20,
			}],
		},
	});
	cloud.route('GET', '/compute/v2.1/os-keypairs/ops', {json: {keypair: {name: 'ops', public_key: 'ssh-ed25519 AAAA'}}});
	cloud.route('GET', '/compute/v2.1/os-keypairs/gone', {status: 404, json: {itemNotFound: {code: 404, message: 'Keypair gone not found for user u'}}});
	cloud.route('GET', '/compute/v2.1/servers/s1', {json: {server: {...server, key_name: 'ops'}}});
	cloud.route('GET', '/compute/v2.1/servers/s9', {status: 404, json: {itemNotFound: {code: 404, message: 'Instance s9 could not be found.'}}});
	cloud.route('DELETE', '/compute/v2.1/servers/s1', {status: 204});
	const session = await openSession(cloud.config);
	const nova = session.nova!;
	const flavors = await nova.listFlavors();
	t.deepEqual(flavors.map(flavor => [flavor.id, flavor.name, flavor.vcpus, flavor.ramMiB, flavor.diskGiB]), [['2', 'm1.small', 1, 2048, 20]]);
	t.deepEqual(await nova.findKeyPair('ops'), {name: 'ops'});
	t.is(await nova.findKeyPair('gone'), undefined);
	const found = await nova.findServer('s1');
	t.deepEqual(found?.flavor, {
		name: 'm1.small', vcpus: 1, ramMiB: 2048, diskGiB: 20,
	});
	t.is(found?.keyName, 'ops');
	t.is(await nova.findServer('s9'), undefined);
	await nova.deleteServer('s1');
	t.is(cloud.server.calls('DELETE', '/compute/v2.1/servers/s1').length, 1);
});
