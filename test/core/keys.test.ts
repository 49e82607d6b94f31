import test from 'ava';
import {buildKeyGraph, type LinkNode} from '../../source/core/keys.js';
import {backupMetaSourceTypeId, backupMetaSourceTypeName} from '../../source/core/model.js';
import {
	backup,
	image,
	inventory,
	secret,
	server,
	snapshot,
	volume,
} from './builders.js';

/**
A tree as indented `relation kind:id state` lines: easy to read in a failure.
*/
function draw(node: LinkNode, depth = 0): string[] {
	const line = `${'  '.repeat(depth)}${node.relation ?? 'root'} ${node.ref.kind}:${node.ref.id} ${node.state}`;
	return [line, ...node.children.flatMap(child => draw(child, depth + 1))];
}

function story() {
	return inventory({
		volumes: [volume({
			id: 'v1',
			name: 'db',
			encrypted: true,
			encryptionKeyId: 'k-v1',
			volumeType: 'LUKS',
			volumeTypeId: 'type-luks',
			status: 'in-use',
			attachments: [{serverId: 'srv'}],
		})],
		snapshots: [snapshot({id: 'sn1', volumeId: 'v1'})],
		backups: [
			backup({id: 'b1', volumeId: 'v1', encryptionKeyId: 'k-b1'}),
			backup({id: 'b2', volumeId: 'v1', encryptionKeyId: 'k-b2-gone'}),
			backup({
				id: 'b-orphan',
				volumeId: 'v-gone',
				encryptionKeyId: 'k-b3',
				metadata: {[backupMetaSourceTypeId]: 'type-old', [backupMetaSourceTypeName]: 'OLD'},
			}),
		],
		servers: [server({id: 'srv', imageId: 'img-base', attachedVolumeIds: ['v1']})],
		images: [
			image({id: 'i-upload', cinderEncryptionKeyId: 'k-i1'}),
			image({id: 'i-snap', instanceUuid: 'srv'}),
		],
		secrets: [secret('k-v1'), secret('k-b1'), secret('k-b3'), secret('k-i1'), secret('k-spare')],
	});
}

test('from a volume: its type, key, snapshots, backups with their keys, and its server', t => {
	const graph = buildKeyGraph(story());
	t.deepEqual(draw(graph.linksOf({kind: 'volume', id: 'v1'})), [
		'root volume:v1 present',
		'  type volume-type:type-luks present',
		'  key secret:k-v1 present',
		'  snapshot snapshot:sn1 present',
		'  attached-to server:srv present',
		'    boot-image image:img-base missing',
		'    snapshot-image image:i-snap present',
		'  backup backup:b1 present',
		'    key secret:k-b1 present',
		'  backup backup:b2 present',
		'    key secret:k-b2-gone missing',
	]);
	t.is(graph.linksOf({kind: 'volume', id: 'v1'}).ref.name, 'db');
});

test('depth limits the tree', t => {
	const graph = buildKeyGraph(story());
	const tree = graph.linksOf({kind: 'volume', id: 'v1'}, {depth: 1});
	t.is(tree.children.length, 6);
	t.true(tree.children.every(child => child.children.length === 0));
});

test('from a backup of a deleted volume: the missing volume, the deleted type and its key', t => {
	const graph = buildKeyGraph(story());
	t.deepEqual(draw(graph.linksOf({kind: 'backup', id: 'b-orphan'})), [
		'root backup:b-orphan present',
		'  source-volume volume:v-gone missing',
		'  source-type volume-type:type-old missing',
		'  key secret:k-b3 present',
	]);
	const type = graph.linksOf({kind: 'backup', id: 'b-orphan'}).children.find(child => child.relation === 'source-type');
	t.is(type?.ref.name, 'OLD');
});

test('from a secret: every resource that uses it (a volume key is shared by its snapshots)', t => {
	const graph = buildKeyGraph(story());
	t.deepEqual(graph.usersOfSecret('k-v1'), [
		{kind: 'volume', id: 'v1', name: 'db'},
		{kind: 'snapshot', id: 'sn1', name: 'sn1'},
	]);
	t.deepEqual(graph.usersOfSecret('k-b2-gone'), [{kind: 'backup', id: 'b2', name: 'b2'}]);
	t.deepEqual(graph.usersOfSecret('k-i1'), [{kind: 'image', id: 'i-upload', name: 'i-upload'}]);
	t.deepEqual(graph.usersOfSecret('k-spare'), []);
	t.deepEqual(graph.usersOfSecret('not-a-secret'), []);
	const tree = graph.linksOf({kind: 'secret', id: 'k-b2-gone'}, {depth: 2});
	t.deepEqual(draw(tree), [
		'root secret:k-b2-gone missing',
		'  used-by backup:b2 present',
		'    source-volume volume:v1 present',
		'    source-type volume-type:type-luks present',
	]);
});

test('keyOf answers for volumes, snapshots (inherited), backups, images and secrets', t => {
	const graph = buildKeyGraph(story());
	t.deepEqual(graph.keyOf({kind: 'volume', id: 'v1'}), {secretId: 'k-v1', state: 'present'});
	t.deepEqual(graph.keyOf({kind: 'snapshot', id: 'sn1'}), {secretId: 'k-v1', state: 'present', inheritedFrom: {kind: 'volume', id: 'v1', name: 'db'}});
	t.deepEqual(graph.keyOf({kind: 'backup', id: 'b2'}), {secretId: 'k-b2-gone', state: 'missing'});
	t.deepEqual(graph.keyOf({kind: 'image', id: 'i-upload'}), {secretId: 'k-i1', state: 'present'});
	t.deepEqual(graph.keyOf({kind: 'image', id: 'i-snap'}), {state: 'none'});
	t.deepEqual(graph.keyOf({kind: 'secret', id: 'k-spare'}), {secretId: 'k-spare', state: 'present'});
	t.is(graph.keyOf({kind: 'server', id: 'srv'}), undefined);
	t.is(graph.keyOf({kind: 'volume', id: 'nope'}), undefined);
});

test('keys are unknown, not missing, when Barbican could not be read', t => {
	const inv = story();
	const graph = buildKeyGraph({...inv, secrets: undefined, sources: {...inv.sources, barbican: {state: 'forbidden', reason: '403'}}});
	t.deepEqual(graph.keyOf({kind: 'backup', id: 'b2'}), {secretId: 'k-b2-gone', state: 'unknown'});
	const keys = graph.linksOf({kind: 'volume', id: 'v1'}).children.filter(child => child.ref.kind === 'secret');
	t.deepEqual(keys.map(child => child.state), ['unknown']);
});

test('secretIds lists listed and referenced secrets once each', t => {
	const graph = buildKeyGraph(story());
	t.deepEqual(graph.secretIds().toSorted(), ['k-b1', 'k-b2-gone', 'k-b3', 'k-i1', 'k-spare', 'k-v1']);
});

test('a boot-from-volume image links to its snapshots and, through them, the volume', t => {
	const inv = inventory({
		volumes: [volume({id: 'root', attachments: [{serverId: 's'}]})],
		snapshots: [snapshot({id: 'snap', volumeId: 'root'})],
		servers: [server({id: 's', bootFromVolume: true, imageId: undefined})],
		images: [image({id: 'bfv', size: 0, blockDeviceMapping: [{snapshot_id: 'snap'}]})], // eslint-disable-line @typescript-eslint/naming-convention
	});
	t.deepEqual(draw(buildKeyGraph(inv).linksOf({kind: 'image', id: 'bfv'})), [
		'root image:bfv present',
		'  image-snapshot snapshot:snap present',
		'    snapshot-of volume:root present',
		'      type volume-type:type-default present',
		'      attached-to server:s present',
	]);
});

test('a volume type\'s many volumes show only from the type itself, not under every volume of it', t => {
	const inv = inventory({
		volumes: Array.from({length: 50}, (_, index) => volume({id: `v${index}`})),
	});
	const graph = buildKeyGraph(inv);
	t.deepEqual(draw(graph.linksOf({kind: 'volume', id: 'v0'})), [
		'root volume:v0 present',
		'  type volume-type:type-default present',
	]);
	const fromType = graph.linksOf({kind: 'volume-type', id: 'type-default'}, {depth: 1});
	t.is(fromType.children.length, 50);
	t.true(fromType.children.every(child => child.relation === 'type-of'));
});
