/*
Issue 14 in the interactive view: the IaC index reaches the detail pane through the App's services (a state read by
core/iac/state.ts), and the status line says when the state could not be read or names nothing of the project.
*/
// eslint-disable-next-line import-x/no-unassigned-import, import-x/order -- must run before Ink loads chalk
import './force-color.js';
import {writeFileSync} from 'node:fs';
import {readFile, writeFile} from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import {parse} from '@cdktf/hcl2json';
import {readIacStates} from '../../source/core/iac/state.js';
import {App} from '../../source/ui/app.js';
import {listAll, temporaryDirectory} from '../core/plans/helpers.js';
import {clearField, demoForUi, select} from './demo.js';
import {
	drive,
	inventory,
	keys,
	projects,
	testServices,
	volume,
} from './helpers.js';

const web = projects[0]!;

function services(iac: ReturnType<typeof testServices>['iac']) {
	return {
		...testServices({
			inventories: {
				[web.id]: inventory(web, {volumes: [volume('v-db', 'db-data'), volume('v-logs', 'logs')]}),
			},
		}),
		iac,
	};
}

async function stateFile(t: {teardown(fn: () => unknown): void}, id: string): Promise<string> {
	const file = path.join(await temporaryDirectory(t), 'prod.tfstate');
	await writeFile(file, JSON.stringify({
		version: 4,
		resources: [{
			module: 'module.db', mode: 'managed', type: 'openstack_blockstorage_volume_v3', name: 'data', instances: [{index_key: '0', attributes: {id}}], // eslint-disable-line @typescript-eslint/naming-convention
		}],
	}));
	return file;
}

test('the detail pane of a volume the state names says which address manages it; another volume says nothing of it', async t => {
	const map = readIacStates([await stateFile(t, 'v-db')]);
	const app = drive(<App services={services({map})} initialView='volumes'/>, {columns: 100, rows: 30});
	t.teardown(app.unmount);
	const frame = await app.waitFor('db-data');
	const rows = frame.split('\n');
	const isDbFirst = rows.findIndex(row => row.includes('db-data')) < rows.findIndex(row => row.includes('logs'));
	await app.press(...(isDbFirst ? [] : [keys.down]), keys.enter);
	const detail = await app.waitFor('managed by terraform');
	t.regex(detail, /managed by terraform: module\.db\.openstack_blockstorage_volume_v3\.data\["0"\]/v);
	await app.press(keys.escape, isDbFirst ? keys.down : keys.up, keys.enter);
	const other = await app.waitFor('id v-logs');
	t.notRegex(other, /managed by terraform/v);
});

test('the status line: a state naming nothing of the project is named as another workspace\'s; an unreadable one says why', async t => {
	const map = readIacStates([await stateFile(t, 'elsewhere')]);
	const app = drive(<App services={services({map})} initialView='volumes'/>, {columns: 160, rows: 30});
	t.teardown(app.unmount);
	const frame = await app.waitFor('another workspace?');
	t.regex(frame, /⚠ terraform: another workspace\? nothing of prod\.tfstate is in project web-shop of cloud \S+\. Check --tfstate or the tfstate setting \(\/tmp\//v);

	const broken = drive(<App services={services({problem: 'x.tfstate is not JSON, so not a Terraform/OpenTofu state.'})} initialView='volumes'/>, {columns: 160, rows: 30});
	t.teardown(broken.unmount);
	t.regex(await broken.waitFor('terraform state not read'), /terraform state not read, addresses not shown: x\.tfstate is not JSON/v);
});

test('after a restore of a backup whose volume the state names, the over-phase shows the import block and the file it wrote; f switches to the arguments form and back, at 80×24', async t => {
	const demo = await demoForUi(t);
	const backups = await listAll(demo.session.cinder!.listBackups());
	const backup = backups.find(candidate => candidate.name === 'shop-web-static-2d')!;
	const map = readIacStates([await stateFile(t, backup.volumeId)]);
	const written: string[] = [];
	const withIac = {
		...demo.services,
		iac: {
			map,
			write(newVolumeId: string, hcl: string) {
				const file = path.join(demo.directory, `backstack-iac-${newVolumeId}.tf`);
				written.push(file);
				// Synchronously, as commands/tui.tsx does.
				writeFileSync(file, hcl);
				return file;
			},
		},
	};
	const app = drive(<App cloud='demo' services={withIac} initialView='backups'/>, {columns: 80, rows: 24});
	t.teardown(app.unmount);
	await app.waitFor('shop-web-static-2d');
	await select(app, 'shop-web-static-2d');
	await app.press('R');
	await app.waitFor('Enter runs the plan');
	await app.press(keys.enter);
	const frame = await app.waitFor('to adopt the new one', 60_000);
	t.regex(frame, /✔ Create volume "restore-shop-web-static-2d"/v);
	t.regex(frame, /Terraform: the source volume is\s+module\.db\.openstack_blockstorage_volume_v3\.data\["0"\]/v);
	t.regex(frame, /to = module\.db\.openstack_blockstorage_volume_v3\.data\["0"\]/v);
	// The keys line offers the other form, and says how to go back.
	t.regex(frame, /Enter\/Esc back to the lists · f Terraform: the other form \(import ⇄ arguments\)/v);
	t.is(written.length, 1);
	const file = written[0]!;
	const id = /backstack-iac-(?<id>[\d\-a-f]+)\.tf/v.exec(file)?.groups?.['id'];
	t.regex(frame, new RegExp(`id = "${id!}"`, 'v'));
	t.not(id, backup.volumeId);
	const restored = await demo.session.cinder!.getVolume(id!);
	t.is(restored.status, 'available');
	const hcl = await parse('adopt.tf', await readFile(file, 'utf8')) as {import?: Array<{id: string}>};
	t.is(hcl.import?.[0]?.id, id);

	type Arguments = {resource?: {openstack_blockstorage_volume_v3?: {data?: Array<Record<string, unknown>>}}};
	await app.press('f');
	const byArguments = await app.waitFor('backup_id');
	t.regex(byArguments, /let Terraform restore\s+the backup itself/v);
	t.regex(byArguments, new RegExp(String.raw`DELETES volume ${backup.volumeId} and makes a\s+new one from the backup`, 'v'));
	t.regex(byArguments, /resource "openstack_blockstorage_volume_v3" "data" \{/v);
	t.notRegex(byArguments, /import \{/v);
	t.regex(byArguments, /f Terraform: the other form/v);
	// The same file, written again in the arguments form, as terraform would read it.
	await app.waitFor(() => written.length === 2);
	t.deepEqual(written, [file, file]);
	const parsed = await parse('volume.tf', await readFile(file, 'utf8')) as Arguments;
	t.is(parsed.resource?.openstack_blockstorage_volume_v3?.data?.[0]?.['backup_id'], `\${each.key == "0" ? "${backup.id}" : null}`);
	await app.press('f');
	await app.waitFor(frameText => frameText.includes('to adopt the new one') && frameText.includes('import {') && written.length === 3);
	t.is((await parse('adopt.tf', await readFile(file, 'utf8')) as {import?: Array<{id: string}>}).import?.[0]?.id, id);
	// Enter leaves as before.
	await app.press(keys.enter);
	await app.waitFor(frameText => !frameText.includes('Terraform:') && frameText.includes('shop-web-static-2d'));
});

test('after R on a secret the state manages (restored from its key file), the over-phase shows the import block by the new secret\'s ID and writes it, at 80×24', async t => {
	const demo = await demoForUi(t);
	const barbican = demo.session.barbican!;
	const key = new Uint8Array(32).fill(9);
	const old = await barbican.storeSecret({
		name: 'db-luks', payload: key, algorithm: 'aes', bitLength: 256, secretType: 'symmetric',
	});
	const keyFile = path.join(demo.directory, 'db-luks.key');
	await writeFile(keyFile, key, {mode: 0o600});
	const state = path.join(demo.directory, 'keys.tfstate');
	await writeFile(state, JSON.stringify({
		version: 4,
		resources: [{
			mode: 'managed', type: 'openstack_keymanager_secret_v1', name: 'luks', instances: [{attributes: {id: old.id}}],
		}],
	}));
	const written: Array<{name: string; file: string}> = [];
	const withIac = {
		...demo.services,
		iac: {
			map: readIacStates([state]),
			write(name: string, hcl: string) {
				const file = path.join(demo.directory, `backstack-iac-${name}.tf`);
				written.push({name, file});
				writeFileSync(file, hcl);
				return file;
			},
		},
	};
	const app = drive(<App cloud='demo' services={withIac} initialView='secrets'/>, {columns: 80, rows: 24});
	t.teardown(app.unmount);
	await app.waitFor('db-luks');
	await select(app, 'db-luks');
	await app.press('R');
	await app.waitFor('Store secret db-luks again from a key file');
	await app.press(clearField, keyFile, keys.enter);
	await app.waitFor('Enter runs the plan');
	await app.press(keys.enter);
	const frame = await app.waitFor('stands in for', 60_000);
	t.regex(frame, /Terraform: what it made stands in for\s+openstack_keymanager_secret_v1\.luks; to\s+adopt it there/v);
	t.regex(frame, /terraform state rm openstack_keymanager_secret_v1\.luks/v);
	t.regex(frame, /to = openstack_keymanager_secret_v1\.luks/v);
	// No other form for a secret: the keys line offers only the way back.
	t.notRegex(frame, /f Terraform/v);
	t.is(written.length, 1);
	const hcl = await parse('keys.tf', await readFile(written[0]!.file, 'utf8')) as {import?: Array<{id: string}>};
	const newId = hcl.import?.[0]?.id ?? '';
	t.not(newId, old.id);
	t.regex(frame, new RegExp(`id = "${newId}"`, 'v'));
	t.deepEqual(await barbican.getSecretPayload(newId), key);
	t.regex(written[0]!.name, /^secret-from-file-/v);
});
