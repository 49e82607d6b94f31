/* eslint-disable @typescript-eslint/naming-convention, no-template-curly-in-string -- Terraform's snake_case names and its ${} interpolations, as hcl2json prints them. */
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import test from 'ava';
import {parse} from '@cdktf/hcl2json';
import {
	IacStateError,
	inventoryIds,
	readIacStates,
	unmatchedStateWarnings,
	type IacEntry,
} from '../../source/core/iac/state.js';
import {
	adoptionHcl,
	attachmentsOf,
	hclString,
	importsHcl,
	newVolumePlaceholder,
} from '../../source/core/iac/hcl.js';
import {replacementImports} from '../../source/core/iac/adopt.js';
import type {Plan} from '../../source/core/plans/types.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'iac');
const fixture = (name: string) => path.join(fixtures, name);

function addresses(files: string[]): Record<string, string> {
	const map = readIacStates(files.map(name => fixture(name)));
	return Object.fromEntries(Array.from(map.byId.values(), entry => [entry.id, entry.address]));
}

test('a root-module state: each supported type by its ID, data sources and other types left out', t => {
	t.deepEqual(addresses(['root.tfstate']), {
		'11111111-1111-4111-8111-111111111111': 'openstack_blockstorage_volume_v3.data',
		'22222222-2222-4222-8222-222222222222': 'openstack_compute_instance_v2.app',
		'33333333-3333-4333-8333-333333333333': 'openstack_images_image_v2.golden',
		// The secret's ID is its reference URL; it is found by the URL's last part.
		'44444444-4444-4444-8444-444444444444': 'openstack_keymanager_secret_v1.luks',
	});
	const map = readIacStates([fixture('root.tfstate')]);
	t.deepEqual(map.attachments.map(entry => [entry.address, entry.volumeId]), [
		['openstack_compute_volume_attach_v2.data', '11111111-1111-4111-8111-111111111111'],
	]);
	t.is(map.byId.get('11111111-1111-4111-8111-111111111111')?.stateFile, fixture('root.tfstate'));
});

test('nested modules with count and for_each: addresses as Terraform prints them', t => {
	t.deepEqual(addresses(['modules.tfstate']), {
		'aaaaaaaa-0000-4000-8000-000000000000': 'module.db.openstack_blockstorage_volume_v3.data["0"]',
		'aaaaaaaa-0000-4000-8000-000000000001': 'module.db.openstack_blockstorage_volume_v3.data["1"]',
		'cccccccc-0000-4000-8000-000000000000': 'module.web["blue"].module.disks.openstack_blockstorage_volume_v3.scratch[0]',
		'cccccccc-0000-4000-8000-000000000001': 'module.web["blue"].module.disks.openstack_blockstorage_volume_v3.scratch[1]',
		'dddddddd-0000-4000-8000-000000000000': String.raw`module.web["blue"].openstack_compute_instance_v2.node["eu \"west\""]`,
	});
	const entry = readIacStates([fixture('modules.tfstate')]).byId.get('cccccccc-0000-4000-8000-000000000001')!;
	t.like(entry, {module: 'module.web["blue"].module.disks', name: 'scratch', indexKey: 1});
});

test('terraform show -json: root and child modules, recursively', t => {
	t.deepEqual(addresses(['show.json']), {
		'eeeeeeee-0000-4000-8000-000000000000': 'openstack_blockstorage_volume_v3.logs',
		'ffffffff-0000-4000-8000-000000000000': 'module.db.openstack_blockstorage_volume_v3.data["0"]',
		'99999999-0000-4000-8000-000000000002': 'module.db.module.keys.openstack_keymanager_secret_v1.k[2]',
	});
	const entry = readIacStates([fixture('show.json')]).byId.get('ffffffff-0000-4000-8000-000000000000')!;
	t.like(entry, {module: 'module.db', name: 'data', indexKey: '0'});
});

test('several files merge; the first one that names an ID wins', t => {
	const map = readIacStates([fixture('show.json'), fixture('root.tfstate'), fixture('modules.tfstate')]);
	t.is(map.byId.size, 3 + 4 + 5);
	t.deepEqual(map.files.map(file => [path.basename(file.file), file.ids.length]), [['show.json', 3], ['root.tfstate', 4], ['modules.tfstate', 5]]);
});

const errorCases: Array<[string, RegExp]> = [
	['garbage.tfstate', /garbage\.tfstate is not JSON.*terraform state pull/v],
	['v3.tfstate', /format version 3; backstack reads version 4.*terraform state pull/v],
	['plan.json', /is a plan.*terraform show -json without a plan file/v],
	['missing.tfstate', /missing\.tfstate does not exist\. Check the path/v],
];

for (const [name, message] of errorCases) {
	test(`a bad input names the file and what to do: ${name}`, t => {
		const error = t.throws(() => readIacStates([fixture(name)]), {instanceOf: IacStateError});
		t.regex(error.message, message);
	});
}

test('a state of another project or cloud: a warning that says so', t => {
	const map = readIacStates([fixture('root.tfstate'), fixture('modules.tfstate')]);
	const known = inventoryIds({
		volumes: [{id: '11111111-1111-4111-8111-111111111111'}], servers: [], images: [], secrets: [],
	});
	t.deepEqual(unmatchedStateWarnings(map, known, {project: 'bs-alpha', cloud: 'real-member'}), [
		`no resource of ${fixture('modules.tfstate')} is in project bs-alpha of cloud real-member: another workspace?`,
	]);
	t.deepEqual(unmatchedStateWarnings(map, inventoryIds({
		volumes: [{id: 'aaaaaaaa-0000-4000-8000-000000000000'}, {id: '11111111-1111-4111-8111-111111111111'}], servers: [], images: [],
	}), {project: 'p', cloud: 'c'}), []);
});

function volumeAt(file: string, id: string): IacEntry {
	return readIacStates([fixture(file)]).byId.get(id)!;
}

test('import form: an import block at the old address with the new ID, parsed back by a real HCL parser', async t => {
	const map = readIacStates([fixture('modules.tfstate')]);
	const volume = map.byId.get('aaaaaaaa-0000-4000-8000-000000000000')!;
	const text = adoptionHcl({
		volume, backupId: 'b-1', newVolumeId: 'new-0', size: 20, attachments: attachmentsOf(map.attachments, volume.id),
	});
	t.deepEqual(await parse('adopt.tf', text), {import: [{to: '${module.db.openstack_blockstorage_volume_v3.data["0"]}', id: 'new-0'}]});
	t.regex(text, /terraform state rm 'module\.db\.openstack_blockstorage_volume_v3\.data\["0"\]'/v);
	// An address with an instance key cannot be a removed block's `from`: no removed block offered.
	t.notRegex(text, /removed \{/v);
	t.regex(text, /#\s+module\.db\.openstack_blockstorage_volume_attach_v3\.data\["0"\]/v);
});

test('import form of a single-instance address: the removed block in the note parses as Terraform documents it', async t => {
	const volume = volumeAt('root.tfstate', '11111111-1111-4111-8111-111111111111');
	const text = adoptionHcl({
		volume, backupId: 'b-1', newVolumeId: 'new-1', size: 10, attachments: [],
	}, 'import');
	t.deepEqual(await parse('adopt.tf', text), {import: [{to: '${openstack_blockstorage_volume_v3.data}', id: 'new-1'}]});
	const lines = text.split('\n');
	const start = lines.indexOf('#      removed {');
	t.true(start > 0);
	const note = lines.slice(start, lines.indexOf('#      }', start) + 1).map(line => line.slice(7)).join('\n');
	t.deepEqual(await parse('removed.tf', note), {removed: [{from: '${openstack_blockstorage_volume_v3.data}', lifecycle: [{destroy: false}]}]});
});

test('import form before the restore ran: a placeholder ID, said so', async t => {
	const volume = volumeAt('show.json', 'eeeeeeee-0000-4000-8000-000000000000');
	const text = adoptionHcl({
		volume, backupId: 'b-2', size: 1, attachments: [],
	});
	t.deepEqual(await parse('adopt.tf', text), {import: [{to: '${openstack_blockstorage_volume_v3.logs}', id: newVolumePlaceholder}]});
	t.regex(text, /has not run: replace NEW_VOLUME_ID/v);
});

test('arguments form: backup_id, volume_type and size for the resource block', async t => {
	const volume = volumeAt('root.tfstate', '11111111-1111-4111-8111-111111111111');
	const map = readIacStates([fixture('root.tfstate')]);
	const text = adoptionHcl({
		volume, backupId: 'b-3', volumeType: 'ceph "ssd"', size: 10, attachments: attachmentsOf(map.attachments, volume.id),
	}, 'arguments');
	t.deepEqual(await parse('volume.tf', text), {
		resource: {openstack_blockstorage_volume_v3: {data: [{backup_id: 'b-3', volume_type: 'ceph "ssd"', size: 10}]}},
	});
	t.regex(text, /in the root module/v);
	t.regex(text, /#\s+openstack_compute_volume_attach_v2\.data/v);
});

test('arguments form for one instance of a for_each or count block: only that instance gets them', async t => {
	const byKey = volumeAt('modules.tfstate', 'aaaaaaaa-0000-4000-8000-000000000001');
	const parsedKey = await parse('volume.tf', adoptionHcl({
		volume: byKey, backupId: 'b-4', volumeType: 'fast', size: 20, attachments: [],
	}, 'arguments'));
	t.deepEqual(parsedKey, {
		resource: {
			openstack_blockstorage_volume_v3: {
				data: [{backup_id: '${each.key == "1" ? "b-4" : null}', volume_type: '${each.key == "1" ? "fast" : null}'}],
			},
		},
	});
	const byIndex = volumeAt('modules.tfstate', 'cccccccc-0000-4000-8000-000000000001');
	const text = adoptionHcl({
		volume: byIndex, backupId: 'b-5', size: 5, attachments: [],
	}, 'arguments');
	t.deepEqual(await parse('volume.tf', text), {
		resource: {openstack_blockstorage_volume_v3: {scratch: [{backup_id: '${count.index == 1 ? "b-5" : null}'}]}},
	});
	t.regex(text, /the module module\.web\["blue"\]\.module\.disks/v);
});

test('HCL strings: quotes, backslashes and template sequences stay literal', async t => {
	const value = 'a"b\\c\td\n';
	t.deepEqual(await parse('s.tf', `v = ${hclString(value)}\n`), {v: value});
	// A raw `%{if}` is a template directive, which does not parse without its endif; escaped, it is text.
	await t.throwsAsync(parse('s.tf', 'v = "x %{if}"\n'));
	await t.notThrowsAsync(parse('s.tf', `v = ${hclString('x %{if}')}\n`));
	t.is(hclString('${var.x} %{if}'), '"$${var.x} %%{if}"');
});

test('the replacements of a plan: one import block each at the old address, by kind; a label of another kind is left out', async t => {
	const map = readIacStates([fixture('root.tfstate'), fixture('modules.tfstate')]);
	const plan: Plan = {
		id: 'bundle-restore-1',
		kind: 'bundle-restore',
		title: 'Restore bundle',
		createdAt: '2026-12-07T00:00:00.000Z',
		steps: [],
		warnings: [],
		replaces: {
			'image:33333333-3333-4333-8333-333333333333': '33333333-3333-4333-8333-333333333333',
			'volume:aaaaaaaa-0000-4000-8000-000000000001': 'aaaaaaaa-0000-4000-8000-000000000001',
			// A server's disk image stands for no image resource: its ID is the server's.
			'image:22222222-2222-4222-8222-222222222222': '22222222-2222-4222-8222-222222222222',
			'volume:not-in-any-state': 'not-in-any-state',
		},
	};
	const before = replacementImports(plan, map);
	t.deepEqual(before.map(item => [item.entry.address, item.newId]), [
		['openstack_images_image_v2.golden', undefined],
		['module.db.openstack_blockstorage_volume_v3.data["1"]', undefined],
	]);
	t.deepEqual(await parse('planned.tf', importsHcl(before, 'restore plan bundle-restore-1')), {
		import: [
			{to: '${openstack_images_image_v2.golden}', id: 'NEW_IMAGE_ID'},
			{to: '${module.db.openstack_blockstorage_volume_v3.data["1"]}', id: newVolumePlaceholder},
		],
	});
	const after = replacementImports(plan, map, {'image:33333333-3333-4333-8333-333333333333': 'img-new', 'volume:aaaaaaaa-0000-4000-8000-000000000001': 'vol-new'});
	const text = importsHcl(after, 'restore plan bundle-restore-1');
	t.deepEqual(await parse('adopt.tf', text), {
		import: [
			{to: '${openstack_images_image_v2.golden}', id: 'img-new'},
			{to: '${module.db.openstack_blockstorage_volume_v3.data["1"]}', id: 'vol-new'},
		],
	});
	t.regex(text, /terraform state rm openstack_images_image_v2\.golden 'module\.db\.openstack_blockstorage_volume_v3\.data\["1"\]'/v);
	t.notRegex(text, /has not run/v);
	// A secret restored in place of one: the state names it by its reference URL, the import takes the new ID as it is.
	const secret = replacementImports({...plan, replaces: {secret: '44444444-4444-4444-8444-444444444444'}}, map, {secret: '55555555-5555-4555-8555-555555555555'});
	t.deepEqual(await parse('secret.tf', importsHcl(secret, 'restore plan p')), {
		import: [{to: '${openstack_keymanager_secret_v1.luks}', id: '55555555-5555-4555-8555-555555555555'}],
	});
});
