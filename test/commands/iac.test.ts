/*
The Terraform/OpenTofu bridge wired into the commands (issue 14): flags and the setting, the detail pane's line, the audit
JSON's `iac` field and its grouping, the adopting HCL of a restore (in-process against a demo cloud, whose IDs are only
known once it runs), and each bad input, through the built CLI where no cloud ID is needed.
*/
/* eslint-disable @typescript-eslint/naming-convention -- Terraform's snake_case names and environment variables. */
import {execFile} from 'node:child_process';
import {
	mkdtemp,
	readFile,
	rm,
	writeFile,
} from 'node:fs/promises';
import {existsSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import {PassThrough, Readable, Writable} from 'node:stream';
import test from 'ava';
import {Ajv2020} from 'ajv/dist/2020.js';
import {parse} from '@cdktf/hcl2json';
import {
	auditJsonSchema,
	auditRows,
	iacGroups,
	runAudit,
} from '../../source/core/audit.js';
import {readIacStates} from '../../source/core/iac/state.js';
import {newVolumePlaceholder} from '../../source/core/iac/hcl.js';
import {restoreRequestFrom} from '../../source/core/plans/commands.js';
import {planImageBundle} from '../../source/core/plans/bundle.js';
import {acceptedFlags, unknownFlagError} from '../../source/commands/flags.js';
import {iacFiles, loadIac} from '../../source/commands/iac.js';
import {restoreInSession, terraformOptions} from '../../source/commands/plans.js';
import type {CliFlags, CommandContext} from '../../source/commands/context.js';
import {loadSettings} from '../../source/store/settings.js';
import {detailLines} from '../../source/ui/components/detail.js';
import {iacProblemNotice, iacWarningNotice} from '../../source/ui/app/text.js';
import {renderAuditTable} from '../../source/ui/audit-table.js';
import {inventory, volume} from '../core/builders.js';
import {
	demoCloud,
	fastClock,
	last,
	runToEnd,
	temporaryDirectory,
	until,
	volumesOf,
} from '../core/plans/helpers.js';

const root = path.resolve(import.meta.dirname, '../..');
const cli = path.join(root, 'dist/cli.js');
const fixtures = path.join(root, 'test/fixtures/iac');

type Teardown = {teardown(fn: () => unknown): void};

function stateOf(resources: Array<{module?: string; type: string; name: string; key?: string | number; attributes: Record<string, unknown>}>): string {
	return JSON.stringify({
		version: 4,
		terraform_version: '1.8.5',
		serial: 1,
		lineage: 'test',
		outputs: {},
		resources: resources.map(resource => ({
			...(resource.module !== undefined && {module: resource.module}),
			mode: 'managed',
			type: resource.type,
			name: resource.name,
			provider: 'provider["registry.opentofu.org/terraform-provider-openstack/openstack"]',
			instances: [{...(resource.key !== undefined && {index_key: resource.key}), schema_version: 0, attributes: resource.attributes}],
		})),
	}, undefined, 2);
}

type Captured = {context: CommandContext; out(): string; err(): string};

function contextFor(directory: string, input: string[], flags: Partial<CliFlags>): Captured {
	let out = '';
	let error = '';
	const stream = (append: (text: string) => void) => new Writable({
		write(chunk: Uint8Array | string, _encoding, done) {
			append(String(chunk));
			done();
		},
	});
	return {
		context: {
			input,
			flags: {
				demo: false, readonly: false, debug: false, allProjects: false, format: 'table', failOn: 'critical', yes: false, dryRun: false, exportCli: false, ...flags,
			},
			rawArgv: [],
			env: {BACKSTACK_CONFIG_DIR: path.join(directory, 'config')},
			cwd: directory,
			home: directory,
			stdout: stream(text => {
				out += text;
			}),
			stderr: stream(text => {
				error += text;
			}),
			stdin: new PassThrough(),
			signal: new AbortController().signal,
			version: '0.0.0-test',
			help: '',
		},
		out: () => out,
		err: () => error,
	};
}

type Result = {code: number; stdout: string; stderr: string};

async function backstack(t: Teardown, files: Record<string, string>, ...args: string[]): Promise<Result> {
	const home = await mkdtemp(path.join(os.tmpdir(), 'backstack-iac-'));
	t.teardown(async () => rm(home, {recursive: true, force: true}));
	for (const [name, text] of Object.entries(files)) {
		// eslint-disable-next-line no-await-in-loop
		await writeFile(path.join(home, name), text);
	}

	const env = {PATH: process.env['PATH'] ?? '', HOME: home, BACKSTACK_CONFIG_DIR: path.join(home, 'config')};
	return new Promise(resolve => {
		execFile(process.execPath, [cli, ...args], {cwd: home, env, timeout: 60_000}, (error, stdout, stderr) => {
			resolve({code: error === null ? 0 : (typeof error.code === 'number' ? error.code : -1), stdout, stderr});
		});
	});
}

test('flags: --tfstate where state is read, --group-by on the audit, --export-terraform and --iac-form on restore backup only', t => {
	t.true(acceptedFlags([]).flags.has('tfstate'));
	t.true(acceptedFlags(['audit']).flags.has('tfstate'));
	t.true(acceptedFlags(['audit']).flags.has('group-by'));
	for (const flag of ['tfstate', 'export-terraform', 'iac-form']) {
		t.true(acceptedFlags(['restore', 'backup']).flags.has(flag), `restore backup takes --${flag}`);
	}

	t.regex(unknownFlagError(['restore', 'onto', 'b', 'v'], ['restore', 'onto', 'b', 'v', '--export-terraform', 'x.tf']) ?? '', /--export-terraform is not a flag of 'restore onto'/v);
	t.regex(unknownFlagError(['audit'], ['audit', '--group-bi', 'iac']) ?? '', /Did you mean --group-by\?/v);
});

test('the tfstate setting is read; --tfstate (repeated) replaces it; relative paths are from the current directory', async t => {
	const directory = await temporaryDirectory(t);
	const settings = loadSettings({directory: path.join(directory, 'config')});
	t.deepEqual(settings.settings.tfstate, []);
	settings.update({tfstate: ['states/prod.tfstate', '/srv/tf/dr.json']});
	const base = {env: {BACKSTACK_CONFIG_DIR: path.join(directory, 'config')}, home: directory, cwd: directory};
	t.deepEqual(iacFiles({...base, flags: contextFor(directory, [], {}).context.flags}), [path.join(directory, 'states/prod.tfstate'), '/srv/tf/dr.json']);
	t.deepEqual(iacFiles({...base, flags: contextFor(directory, [], {tfstate: ['a.json', 'b.json']}).context.flags}), [path.join(directory, 'a.json'), path.join(directory, 'b.json')]);
	// A setting of the wrong shape is the settings file's error, named.
	t.throws(() => settings.update({tfstate: [''] as string[]}));
	await writeFile(path.join(directory, 'config', 'config.json'), JSON.stringify({tfstate: 'prod.tfstate'}));
	const broken = loadIac({...base, flags: contextFor(directory, [], {}).context.flags});
	t.like(broken, {kind: 'error'});
	t.regex(broken.kind === 'error' ? broken.message : '', /config\.json is not valid.*tfstate/v);
});

test('the detail pane names the address that manages the resource, and nothing for one no state names', t => {
	const map = readIacStates([path.join(fixtures, 'modules.tfstate')]);
	const row = (id: string) => ({
		key: id, cells: ['data'], sort: ['data'], search: 'data', ref: {kind: 'volume' as const, id, name: 'data'},
	});
	const text = (id: string) => detailLines({
		row: row(id), iac: map, now: new Date(), width: 100,
	}).map(line => line.text);
	t.true(text('aaaaaaaa-0000-4000-8000-000000000000').includes('managed by terraform: module.db.openstack_blockstorage_volume_v3.data["0"]'));
	t.false(text('not-in-state').some(line => line.includes('managed by terraform')));
	t.false(detailLines({row: row('aaaaaaaa-0000-4000-8000-000000000000'), now: new Date(), width: 100}).some(line => line.text.includes('terraform')));
	// A state that could not be read: said on what a state could name, in full (the status line may show other news by then).
	const problem = (kind: 'volume' | 'backup') => detailLines({
		row: {...row('v-1'), ref: {kind, id: 'v-1', name: 'data'}}, iacProblem: 'x.tfstate is not JSON', now: new Date(), width: 100,
	}).map(line => line.text);
	t.true(problem('volume').includes('terraform: not known, the state was not read: x.tfstate is not JSON'));
	t.false(problem('backup').some(line => line.includes('terraform')));
});

test('the TUI status line: an unreadable state says why, a state of another workspace says so, a matching one says nothing', t => {
	t.regex(iacProblemNotice('x.tfstate is not JSON') ?? '', /terraform state not read.*x\.tfstate is not JSON/v);
	t.is(iacProblemNotice(undefined), undefined);
	const map = readIacStates([path.join(fixtures, 'modules.tfstate')]);
	const other = inventory({volumes: [volume({id: 'other'})]});
	const matching = inventory({volumes: [volume({id: 'aaaaaaaa-0000-4000-8000-000000000000'})]});
	const notice = iacWarningNotice(map, other) ?? '';
	t.regex(notice, /^⚠ terraform: another workspace\? nothing of modules\.tfstate is in project \S+ of cloud \S+\./v);
	t.regex(notice, /Check --tfstate or the tfstate setting \(\S+\/fixtures\/iac\/modules\.tfstate\)\.$/v);
	const two = readIacStates([path.join(fixtures, 'modules.tfstate'), path.join(fixtures, 'show.json')]);
	t.regex(iacWarningNotice(two, other) ?? '', /\(\+1 more\)/v);
	t.is(iacWarningNotice(map, matching), undefined);
});

const ajv = new Ajv2020({strict: true, allErrors: true});
ajv.addFormat('date-time', {type: 'string', validate: text => !Number.isNaN(Date.parse(text))});
const validateReport = ajv.compile(auditJsonSchema);

test('audit against a demo cloud: the finding of a volume in the state carries iac {address, module, stateFile}, valid in schema 1; --group-by iac groups the table', async t => {
	const {session, directory} = await demoCloud(t);
	const managed = await session.cinder!.createVolume({size: 1, name: 'db-data'});
	await session.cinder!.createVolume({size: 1, name: 'scratch'});
	const file = path.join(directory, 'prod.tfstate');
	await writeFile(file, stateOf([{
		module: 'module.db', type: 'openstack_blockstorage_volume_v3', name: 'data', key: '0', attributes: {id: managed.id},
	}]));
	const map = readIacStates([file]);
	const warnings: string[][] = [];
	const report = await runAudit(session, {
		iac: map,
		onIacWarnings(found) {
			warnings.push(found);
		},
	});
	t.deepEqual(warnings, [[]]);
	const findings = report.projects[0]!.findings.filter(finding => finding.resource.id === managed.id);
	t.true(findings.length > 0);
	for (const finding of findings) {
		t.deepEqual(finding.resource.iac, {address: 'module.db.openstack_blockstorage_volume_v3.data["0"]', module: 'module.db', stateFile: file});
	}

	t.false(report.projects[0]!.findings.some(finding => finding.resource.id !== managed.id && finding.resource.iac !== undefined));
	// As written: through JSON text.
	const parsed: unknown = JSON.parse(JSON.stringify(report)); // eslint-disable-line unicorn/prefer-structured-clone
	t.true(validateReport(parsed), JSON.stringify(validateReport.errors));
	// The schema checks the field: an iac without its stateFile is refused.
	const broken = structuredClone(report);
	const withIac = broken.projects[0]!.findings.find(finding => finding.resource.iac !== undefined)!;
	delete (withIac.resource.iac as {stateFile?: string}).stateFile;
	t.false(validateReport(broken));

	const rows = auditRows(report, {includeOk: true});
	const groups = iacGroups(rows);
	t.deepEqual(groups.map(group => group.group), ['module.db', 'not managed']);
	t.true(groups[0]!.rows.every(row => row.id === managed.id));
	const table = renderAuditTable(report, rows, {columns: 120, color: false, groupByIac: true});
	t.regex(table, /^module\.db \(\d+ findings?\)$/mv);
	t.regex(table, /^not managed \(\d+ findings?\)$/mv);
	t.true(table.indexOf('module.db (') < table.indexOf('not managed ('));
});

async function arrangeBackup(t: Teardown) {
	const context = await demoCloud(t);
	const {session, directory} = context;
	const source = await session.cinder!.createVolume({size: 1, name: 'db-data'});
	await until(async () => session.cinder!.getVolume(source.id), found => found.status === 'available');
	const {id: backupId} = await session.cinder!.createBackup({volumeId: source.id, name: 'nightly-db'});
	await until(async () => session.cinder!.getBackup(backupId), found => found.status === 'available');
	const state = path.join(directory, 'prod.tfstate');
	await writeFile(state, stateOf([
		{
			module: 'module.db', type: 'openstack_blockstorage_volume_v3', name: 'data', key: '0', attributes: {id: source.id, size: 1},
		},
		{
			type: 'openstack_compute_volume_attach_v2', name: 'data', attributes: {id: 'srv/att', volume_id: source.id, instance_id: 'srv'},
		},
	]));
	return {
		...context, source, backupId, state,
	};
}

async function restore(arranged: Awaited<ReturnType<typeof arrangeBackup>>, flags: Partial<CliFlags>) {
	const captured = contextFor(arranged.directory, ['restore', 'backup', arranged.backupId], {tfstate: [arranged.state], ...flags});
	const request = restoreRequestFrom(['backup', arranged.backupId], captured.context.flags);
	const terraform = terraformOptions(captured.context, request.kind);
	if (typeof terraform === 'number') {
		throw new TypeError(`no terraform options: ${captured.err()}`);
	}

	const code = await restoreInSession(captured.context, arranged.session, request, terraform);
	return {code, ...captured};
}

type Hcl = {import?: Array<{to: string; id: string}>; resource?: Record<string, Record<string, Array<Record<string, unknown>>>>};

test('restore backup --yes --export-terraform: the file parses as HCL and imports the new volume at the old address', async t => {
	const arranged = await arrangeBackup(t);
	const result = await restore(arranged, {yes: true, exportTerraform: 'adopt.tf'});
	t.is(result.code, 0, result.err());
	const file = path.join(arranged.directory, 'adopt.tf');
	const text = await readFile(file, 'utf8');
	const hcl = await parse('adopt.tf', text) as Hcl;
	const [block] = hcl.import ?? [];
	t.is(block?.to, '${module.db.openstack_blockstorage_volume_v3.data["0"]}'); // eslint-disable-line no-template-curly-in-string
	t.not(block?.id, arranged.source.id);
	t.not(block?.id, newVolumePlaceholder);
	// The ID is the volume the restore made, in the cloud now.
	const restored = await arranged.session.cinder!.getVolume(block!.id);
	t.is(restored.status, 'available');
	t.true(text.includes('terraform state rm \'module.db.openstack_blockstorage_volume_v3.data["0"]\''));
	t.true(text.includes('#   openstack_compute_volume_attach_v2.data'));
	t.true(result.out().includes(`written to ${file}`));
});

test('restore backup --export-terraform without --yes: nothing runs, the file holds the placeholder; --iac-form arguments writes backup_id', async t => {
	const arranged = await arrangeBackup(t);
	const ids = async () => {
		const volumes = await volumesOf(arranged.session);
		return volumes.map(item => item.id).toSorted();
	};

	const volumesBefore = await ids();
	const exported = await restore(arranged, {exportTerraform: 'import.tf'});
	t.is(exported.code, 0, exported.err());
	const hcl = await parse('import.tf', await readFile(path.join(arranged.directory, 'import.tf'), 'utf8')) as Hcl;
	t.is(hcl.import?.[0]?.id, newVolumePlaceholder);
	t.deepEqual(await ids(), volumesBefore);

	const byArguments = await restore(arranged, {exportTerraform: 'arguments.tf', iacForm: 'arguments'});
	t.is(byArguments.code, 0, byArguments.err());
	const {resource} = await parse('arguments.tf', await readFile(path.join(arranged.directory, 'arguments.tf'), 'utf8')) as Hcl;
	t.is(resource?.['openstack_blockstorage_volume_v3']?.['data']?.[0]?.['backup_id'], `\${each.key == "0" ? "${arranged.backupId}" : null}`);

	const dryRun = await restore(arranged, {dryRun: true});
	t.is(dryRun.code, 0, dryRun.err());
	t.regex(dryRun.out(), /Terraform \(after the restore, not applied by backstack.*\n[\s\S]*import \{\n {2}to = module\.db\.openstack_blockstorage_volume_v3\.data\["0"\]\n {2}id = "NEW_VOLUME_ID"/v);
	t.false(existsSync(path.join(arranged.directory, `backstack-iac-${newVolumePlaceholder}.tf`)));
});

test('restore backup of a volume no state names: said so, nothing written, exit 3', async t => {
	const arranged = await arrangeBackup(t);
	await writeFile(arranged.state, stateOf([{type: 'openstack_blockstorage_volume_v3', name: 'other', attributes: {id: 'not-this-one'}}]));
	const result = await restore(arranged, {exportTerraform: 'adopt.tf'});
	t.is(result.code, 3);
	t.regex(result.err(), /source volume .* is not an openstack_blockstorage_volume_v3 of .*prod\.tfstate: nothing for Terraform to adopt\. Nothing was written/v);
	t.false(existsSync(path.join(arranged.directory, 'adopt.tf')));
});

type Imports = {import?: Array<{to: string; id: string}>};

async function runRestore(directory: string, input: string[], flags: Partial<CliFlags>, session: Awaited<ReturnType<typeof demoCloud>>['session']) {
	const captured = contextFor(directory, ['restore', ...input], flags);
	const request = restoreRequestFrom(input, captured.context.flags);
	const terraform = terraformOptions(captured.context, request.kind);
	if (typeof terraform === 'number') {
		throw new TypeError(`no terraform options: ${captured.err()}`);
	}

	const code = await restoreInSession(captured.context, session, request, terraform);
	return {code, ...captured};
}

test('restore secret --old-secret of a secret the state manages: an import block at its address, by the new secret\'s ID (the last part of its reference)', async t => {
	const {session, directory} = await demoCloud(t);
	const barbican = session.barbican!;
	const key = new Uint8Array(32).fill(7);
	const old = await barbican.storeSecret({
		name: 'luks-key', payload: key, algorithm: 'aes', bitLength: 256, secretType: 'symmetric',
	});
	const state = path.join(directory, 'keys.tfstate');
	// As some states hold it: the reference URL; the provider imports by its last part.
	await writeFile(state, stateOf([{
		module: 'module.keys', type: 'openstack_keymanager_secret_v1', name: 'luks', key: 0, attributes: {id: `https://barbican.example:9311/v1/secrets/${old.id}`},
	}]));
	const keyFile = path.join(directory, 'luks.key');
	await writeFile(keyFile, key, {mode: 0o600});
	const flags = {tfstate: [state], oldSecret: old.id};

	const dryRun = await runRestore(directory, ['secret', keyFile], {...flags, dryRun: true}, session);
	t.is(dryRun.code, 0, dryRun.err());
	const planned = await parse('planned.tf', dryRun.out().slice(dryRun.out().indexOf('# backstack: adopt'))) as Imports;
	t.deepEqual(planned.import, [{to: '${module.keys.openstack_keymanager_secret_v1.luks[0]}', id: 'NEW_SECRET_ID'}]); // eslint-disable-line no-template-curly-in-string

	const run = await runRestore(directory, ['secret', keyFile], {...flags, yes: true, exportTerraform: 'keys.tf'}, session);
	t.is(run.code, 0, run.err());
	const text = await readFile(path.join(directory, 'keys.tf'), 'utf8');
	const [block] = (await parse('keys.tf', text) as Imports).import ?? [];
	t.is(block?.to, '${module.keys.openstack_keymanager_secret_v1.luks[0]}'); // eslint-disable-line no-template-curly-in-string
	t.regex(block?.id ?? '', /^[\da-f]{8}-[\da-f]{4}-[\da-f]{4}-[\da-f]{4}-[\da-f]{12}$/v, 'an ID, not a reference URL');
	t.not(block?.id, old.id);
	t.deepEqual(await barbican.getSecretPayload(block!.id), key, 'the new secret, with the key\'s bytes');
	t.true(text.includes('terraform state rm \'module.keys.openstack_keymanager_secret_v1.luks[0]\''));
	t.true(text.includes(`# was ${old.id}`));

	// Without --old-secret nothing says which secret it stands in for: said so.
	const unnamed = await runRestore(directory, ['secret', keyFile], {tfstate: [state], dryRun: true}, session);
	t.is(unnamed.code, 0, unnamed.err());
	t.regex(unnamed.err(), /Terraform: name the secret this one replaces \(--old-secret ID\)/v);
	// The arguments form is a volume's only.
	const byArguments = contextFor(directory, ['restore', 'secret', keyFile], {...flags, iacForm: 'arguments'});
	t.throws(() => terraformOptions(byArguments.context, 'secret'), {message: /--iac-form arguments is for restore backup.*restore secret writes import blocks/v});
});

test('restore bundle of an image the state manages: the import block names the image it made', async t => {
	const {session, directory} = await demoCloud(t);
	const glance = session.glance!;
	const image = await glance.createImage({name: 'golden', diskFormat: 'raw', containerFormat: 'bare'});
	await glance.uploadImageData(image.id, Readable.from([new Uint8Array(4096).fill(3)]), {size: 4096});
	const bundle = path.join(directory, 'golden-bundle');
	const planned = await planImageBundle(session, {imageId: image.id, directory: bundle, version: 'test'});
	if (planned.kind !== 'plan') {
		throw new TypeError(JSON.stringify(planned));
	}

	const events = await runToEnd(planned.plan, session, {clock: fastClock()});
	t.is(last(events)?.type, 'plan-done');
	const state = path.join(directory, 'images.tfstate');
	await writeFile(state, stateOf([{type: 'openstack_images_image_v2', name: 'golden', attributes: {id: image.id}}]));

	const run = await runRestore(directory, ['bundle', bundle], {tfstate: [state], yes: true}, session);
	t.is(run.code, 0, run.err());
	const newId = new RegExp(String.raw`image:${image.id} (?<id>\S+)`, 'v').exec(run.out())?.groups?.['id'];
	t.truthy(newId, run.out());
	const written = /Terraform: the import blocks .* are written to (?<file>\S+) /v.exec(run.out())?.groups?.['file'];
	t.is(path.dirname(written ?? ''), directory);
	t.regex(path.basename(written ?? ''), /^backstack-iac-bundle-restore-.+\.tf$/v);
	const hcl = await parse('adopt.tf', await readFile(written!, 'utf8')) as Imports;
	t.deepEqual(hcl.import, [{to: '${openstack_images_image_v2.golden}', id: newId}]); // eslint-disable-line no-template-curly-in-string
	const restored = await glance.getImage(newId!);
	t.is(restored.status, 'active');
});

const badStates: Array<[string, string, RegExp]> = [
	['not JSON', 'garbage.tfstate', /garbage\.tfstate is not JSON, so not a Terraform\/OpenTofu state\. Give the state file/v],
	['format version 3', 'v3.tfstate', /format version 3; backstack reads version 4/v],
	['a plan, not a state', 'plan.json', /is a plan .*not a state/v],
];

for (const [what, name, message] of badStates) {
	test(`a bad state file (${what}) stops the audit and the restore with what to do, no stack trace`, async t => {
		const text = await readFile(path.join(fixtures, name), 'utf8');
		const audit = await backstack(t, {[name]: text}, 'audit', '--demo', '--tfstate', name);
		t.is(audit.code, 64, audit.stderr);
		t.regex(audit.stderr, message);
		t.regex(audit.stderr, /Nothing was read\./v);
		t.notRegex(audit.stderr, /at .*\.js:\d+/v);
		const restoreRun = await backstack(t, {[name]: text}, 'restore', 'backup', 'nightly-db', '--demo', '--tfstate', name, '--dry-run');
		t.is(restoreRun.code, 2, restoreRun.stderr);
		t.regex(restoreRun.stderr, message);
		t.regex(restoreRun.stderr, /Nothing was done\./v);
	});
}

test('a missing state file names the path and how to write one', async t => {
	const result = await backstack(t, {}, 'audit', '--demo', '--tfstate', 'nowhere.tfstate');
	t.is(result.code, 64);
	t.regex(result.stderr, /nowhere\.tfstate does not exist\. Check the path \(--tfstate or the tfstate setting\)/v);
});

test('a state of another workspace (no ID matches the demo cloud): the audit warns and still reports', async t => {
	const other = await readFile(path.join(fixtures, 'root.tfstate'), 'utf8');
	const result = await backstack(t, {'other.tfstate': other}, 'audit', '--demo', '--tfstate', 'other.tfstate', '--format', 'json', '--fail-on', 'never');
	t.is(result.code, 0, result.stderr);
	t.regex(result.stderr, /warning: no resource of .*other\.tfstate is in project demo of cloud demo: another workspace\?/v);
	const report = JSON.parse(result.stdout) as {projects: Array<{findings: Array<{resource: {iac?: unknown}}>}>};
	t.false(report.projects.some(project => project.findings.some(finding => finding.resource.iac !== undefined)));
	// The CSV has the IaC columns, empty in every row.
	const csv = await backstack(t, {'other.tfstate': other}, 'audit', '--demo', '--tfstate', 'other.tfstate', '--format', 'csv', '--fail-on', 'never');
	t.is(csv.code, 0, csv.stderr);
	const [header, ...rows] = csv.stdout.trimEnd().split('\r\n');
	t.true(header!.endsWith(',related,iac_address,iac_module,iac_state_file'), header);
	t.true(rows.length > 0);
	t.true(rows.every(line => line.endsWith(',,,')), 'no row names an address');
});

test('usage: --group-by needs iac, the table and a state; --export-terraform needs a state', async t => {
	const groupByOther = await backstack(t, {}, 'audit', '--demo', '--group-by', 'module');
	t.is(groupByOther.code, 64);
	t.regex(groupByOther.stderr, /--group-by takes iac/v);
	const noState = await backstack(t, {}, 'audit', '--demo', '--group-by', 'iac');
	t.is(noState.code, 64);
	t.regex(noState.stderr, /--group-by iac needs a Terraform\/OpenTofu state: --tfstate FILE or the tfstate setting/v);
	const restoreNoState = await backstack(t, {}, 'restore', 'backup', 'nightly-db', '--demo', '--export-terraform', 'x.tf');
	t.is(restoreNoState.code, 2);
	t.regex(restoreNoState.stderr, /--export-terraform needs the Terraform\/OpenTofu state that manages the volume/v);
	const badForm = await backstack(t, {}, 'restore', 'backup', 'nightly-db', '--demo', '--iac-form', 'apply');
	t.is(badForm.code, 2);
	t.regex(badForm.stderr, /--iac-form takes import or arguments \(got "apply"\)/v);
});
