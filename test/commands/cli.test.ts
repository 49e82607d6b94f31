/*
The built program as a user runs it: `node dist/cli.js …` in an empty home, with no OpenStack variables, so the only cloud is
the demo cloud it is asked for. `npm test` builds dist/ before ava runs.
*/
import {execFile, spawn} from 'node:child_process';
import {
	mkdir,
	mkdtemp,
	readFile,
	rm,
	stat,
	writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import test from 'ava';
import {demoCloud} from '../core/plans/helpers.js';

const root = path.resolve(import.meta.dirname, '../..');
const cli = path.join(root, 'dist/cli.js');

type Result = {code: number; stdout: string; stderr: string};

async function backstack(t: {teardown(fn: () => Promise<void>): void}, ...args: string[]): Promise<Result> {
	const home = await mkdtemp(path.join(os.tmpdir(), 'backstack-cli-'));
	t.teardown(async () => {
		await rm(home, {recursive: true, force: true});
	});
	// Nothing of the caller's environment but PATH: no OS_* variable, no clouds.yaml, no settings.
	const env = Object.fromEntries([
		['PATH', process.env['PATH'] ?? ''],
		['HOME', home],
		['BACKSTACK_CONFIG_DIR', path.join(home, 'config')],
	]);
	return new Promise(resolve => {
		execFile(process.execPath, [cli, ...args], {cwd: home, env, timeout: 60_000}, (error, stdout, stderr) => {
			const code = error === null ? 0 : (typeof error.code === 'number' ? error.code : -1);
			resolve({code, stdout, stderr});
		});
	});
}

test('the README\'s usage section is the real --help text', async t => {
	const [{stdout}, readme] = await Promise.all([backstack(t, '--help'), readFile(path.join(root, 'README.md'), 'utf8')]);
	const help = stdout.split('\n').map(line => line.replace(/^ {2}/v, '').trimEnd()).join('\n').trim();
	const usage = /## Usage\n\n```text\n(?<text>[\s\S]*?)\n```/v.exec(readme)?.groups?.['text'];
	t.is(usage, help);
});

test('check against the demo cloud names each capability and exits 0', async t => {
	const result = await backstack(t, 'check', '--demo');
	t.is(result.code, 0, result.stderr);
	for (const topic of ['identity', 'backup service', 'key manager', 'key payloads', 'Cinder API']) {
		t.regex(result.stdout, new RegExp(`^. ${topic}: `, 'mv'), `no line about ${topic}`);
	}
});

test('audit --format json follows schema 1 and --fail-on decides the exit code', async t => {
	const never = await backstack(t, 'audit', '--demo', '--all-projects', '--format', 'json', '--fail-on', 'never');
	t.is(never.code, 0, never.stderr);
	const report = JSON.parse(never.stdout) as {schemaVersion: number; projects: Array<{project: {name: string}}>; totals: {critical: number}};
	t.is(report.schemaVersion, 1);
	t.deepEqual(report.projects.map(entry => entry.project.name).toSorted(), ['analytics', 'ci-runners', 'demo']);
	t.true(report.totals.critical > 0);
	const critical = await backstack(t, 'audit', '--demo', '--format', 'csv');
	t.is(critical.code, 1);
	t.true(critical.stdout.startsWith('cloud,project_id,project_name,severity,code,'));
});

test('contradictory audit options and unknown commands are usage errors that say what to do', async t => {
	const both = await backstack(t, 'audit', '--demo', '--all-projects', '--project', 'x');
	t.is(both.code, 64);
	t.regex(both.stderr, /--all-projects and --project exclude each other/v);
	const unknown = await backstack(t, 'restorez');
	t.is(unknown.code, 2);
	t.regex(unknown.stderr, /unknown command "restorez".*backstack --help/v);
});

test('a flag value that is not one of its choices is a usage error with the usage line, never a stack trace', async t => {
	for (const args of [['--format', 'xml'], ['--fail-on', 'sometimes']]) {
		// eslint-disable-next-line no-await-in-loop
		const result = await backstack(t, 'audit', '--demo', ...args);
		t.is(result.code, 64, args.join(' '));
		t.regex(result.stderr, new RegExp(String.raw`^backstack: ${args[0]} takes .+ \(got "${args[1]}"\)\.\nUsage: backstack audit `, 'v'));
		t.false(result.stderr.split('\n').some(line => line.trimStart().startsWith('at ')), 'no stack trace');
	}
});

test('--help after a command prints that command\'s help and exits 0', async t => {
	const restore = await backstack(t, 'restore', '--help');
	t.is(restore.code, 0, restore.stderr);
	t.regex(restore.stdout, /^Restore:\n {2}backstack restore backup /v);
	t.notRegex(restore.stdout, /backstack backup volume/v);
	const backup = await backstack(t, 'backup', 'volume', '--help');
	t.is(backup.code, 0, backup.stderr);
	t.regex(backup.stdout, /^Backup:\n {2}backstack backup volume /v);
	const audit = await backstack(t, 'audit', '--help');
	t.is(audit.code, 0);
	t.regex(audit.stdout, /^Usage: backstack audit /v);
});

test('--timeout must be a number of seconds above 0', async t => {
	for (const value of ['abc', '0', '-5']) {
		// eslint-disable-next-line no-await-in-loop
		const result = await backstack(t, 'audit', '--demo', '--timeout', value);
		t.is(result.code, 64, `--timeout ${value}`);
		t.regex(result.stderr, /--timeout takes a number of seconds greater than 0/v);
	}

	const fine = await backstack(t, 'check', '--demo', '--timeout', '30');
	t.is(fine.code, 0, fine.stderr);
});

test('without any cloud configured, check says so in one line instead of a stack trace', async t => {
	const result = await backstack(t, 'check');
	t.is(result.code, 1);
	t.false(result.stderr.split('\n').some(line => line.trimStart().startsWith('at ')), 'no stack trace');
	t.regex(result.stderr, /clouds\.yaml|OS_AUTH_URL|OS_CLOUD/v);
});

test('a dry run of the encrypted restore plans a volume of the source type from the backup and changes nothing', async t => {
	const result = await backstack(t, 'restore', 'backup', 'shop-db-data-weekly-full', '--demo', '--dry-run');
	t.is(result.code, 0, result.stderr);
	t.regex(result.stdout, /LUKS/v);
	t.notRegex(result.stdout, /error_restoring.*will/v);
});

test('demo-cloud writes its clouds.yaml into backstack\'s own config directory and prints how to use it', async t => {
	const home = await mkdtemp(path.join(os.tmpdir(), 'backstack-cli-'));
	t.teardown(async () => {
		await rm(home, {recursive: true, force: true});
	});
	const config = path.join(home, 'config');
	const env = Object.fromEntries([['PATH', process.env['PATH'] ?? ''], ['HOME', home], ['BACKSTACK_CONFIG_DIR', config]]);
	const child = spawn(process.execPath, [cli, 'demo-cloud', '--scale', 'small'], {cwd: home, env});
	t.teardown(() => {
		child.kill('SIGKILL');
	});
	let output = '';
	await new Promise<void>((resolve, reject) => {
		child.stdout.on('data', (chunk: Uint8Array) => {
			output += String(chunk);
			if (output.includes('OS_CLOUD=demo')) {
				resolve();
			}
		});
		child.on('exit', code => {
			reject(new Error(`demo-cloud exited early (${code ?? 'signal'}): ${output}`));
		});
	});
	const file = path.join(config, 'demo-cloud', 'clouds.yaml');
	t.true(output.includes(`export OS_CLIENT_CONFIG_FILE=${file}`), output);
	const {mode} = await stat(file);
	t.is((mode % 0o1000).toString(8), '600', 'readable by the user only');
	t.regex(await readFile(file, 'utf8'), /auth_url: http:\/\/127\.0\.0\.1:\d+\/identity/v);
});

async function againstStandaloneCloud(t: Parameters<typeof demoCloud>[0], ...args: string[]): Promise<Result & {requests: number; cwd: string}> {
	// The story seed has shop-db-data and its key: with the flag ignored, these commands would really run.
	const context = await demoCloud(t, {seed: 'story'});
	const {id: secretId} = await context.session.barbican!.storeSecret({name: 'db-key', payload: new Uint8Array(32), secretType: 'symmetric'});
	args = args.map(argument => argument === 'SECRET_ID' ? secretId : argument);
	const env = Object.fromEntries([
		['PATH', process.env['PATH'] ?? ''],
		['HOME', context.directory],
		['BACKSTACK_CONFIG_DIR', path.join(context.directory, 'config')],
		['OS_CLIENT_CONFIG_FILE', context.cloudsYamlPath],
	]);
	const before = context.cloud.requestCount();
	const result = await new Promise<Result>(resolve => {
		execFile(process.execPath, [cli, ...args, '--os-cloud', 'demo'], {cwd: context.directory, env, timeout: 60_000}, (error, stdout, stderr) => {
			resolve({code: error === null ? 0 : (typeof error.code === 'number' ? error.code : -1), stdout, stderr});
		});
	});
	return {...result, requests: context.cloud.requestCount() - before, cwd: context.directory};
}

test('a mistyped flag on backup volume --yes is a usage error with a suggestion, and nothing reaches the cloud', async t => {
	const result = await againstStandaloneCloud(t, 'backup', 'volume', 'shop-db-data', '--dryrun', '--yes');
	t.is(result.code, 64, `${result.stdout}${result.stderr}`);
	t.regex(result.stderr, /unknown flag --dryrun for 'backup volume'\. Did you mean --dry-run\?/v);
	t.regex(result.stderr, /backstack --help/v);
	t.notRegex(result.stdout, /created/iv);
	t.is(result.requests, 0, 'no request to the cloud');
	const inDemo = await backstack(t, 'backup', 'volume', 'shop-db-data', '--demo', '--dryrun', '--yes');
	t.is(inDemo.code, 64, `${inDemo.stdout}${inDemo.stderr}`);
	t.notRegex(inDemo.stdout, /created/iv);
});

test('a mistyped or foreign flag on backup secret --yes writes no key file and sends nothing', async t => {
	const typo = await againstStandaloneCloud(t, 'backup', 'secret', 'secret', 'SECRET_ID', 'db.key', '--hxe', '--yes');
	t.is(typo.code, 64, `${typo.stdout}${typo.stderr}`);
	t.regex(typo.stderr, /unknown flag --hxe for 'backup secret'\. Did you mean --hex\?/v);
	t.is(typo.requests, 0);
	await t.throwsAsync(stat(path.join(typo.cwd, 'db.key')), {code: 'ENOENT'});
	const foreign = await againstStandaloneCloud(t, 'backup', 'volume', 'shop-db-data', '--hex', '--yes');
	t.is(foreign.code, 64);
	t.regex(foreign.stderr, /--hex is not a flag of 'backup volume'/v);
	t.is(foreign.requests, 0);
});

test('valid flags of each command still pass the flag check', async t => {
	const dryRun = await backstack(t, 'backup', 'volume', 'shop-db-data', '--demo', '--dry-run', '--name', 'x', '--incremental');
	t.not(dryRun.code, 64, dryRun.stderr);
	const demo = await backstack(t, 'audit', '--demo', '--no-readonly', '--format=json', '--fail-on', 'never');
	t.is(demo.code, 0, demo.stderr);
});

test('a plugin in the settings that cannot be offered stops the TUI before it starts, naming the file, the index and the field', async t => {
	const home = await mkdtemp(path.join(os.tmpdir(), 'backstack-cli-plugins-'));
	t.teardown(async () => {
		await rm(home, {recursive: true, force: true});
	});
	const file = path.join(home, 'config', 'config.json');
	await mkdir(path.dirname(file), {recursive: true, mode: 0o700});
	const run = async (plugins: unknown[]) => {
		await writeFile(file, JSON.stringify({plugins}));
		const env = Object.fromEntries([['PATH', process.env['PATH'] ?? ''], ['HOME', home], ['BACKSTACK_CONFIG_DIR', path.dirname(file)]]);
		return new Promise<Result>(resolve => {
			execFile(process.execPath, [cli, '--demo'], {cwd: home, env, timeout: 60_000}, (error, stdout, stderr) => {
				resolve({code: error === null ? 0 : (typeof error.code === 'number' ? error.code : -1), stdout, stderr});
			});
		});
	};

	const taken = await run([{
		key: 'R', name: 'Mine', scopes: ['backups'], command: ['true'],
	}]);
	t.is(taken.code, 78);
	const expected = `backstack: The settings file ${file}: plugins[0].key "R" is backstack's own key in view backups (Restore as a new resource); `;
	t.true(taken.stderr.startsWith(`${expected}choose a free one, e.g. one of: a e f `), taken.stderr);
	// The keys it offers are free: none of backstack's own.
	const offered = /one of: (?<keys>.*)\.\n$/v.exec(taken.stderr)?.groups?.['keys']?.split(' ') ?? [];
	t.true(offered.length > 10);
	t.false(offered.some(key => ['R', 'b', 'q', 'j', 'K', 'P'].includes(key)));

	const shapeless = await run([{
		key: 'v', name: 'Mine', scopes: ['backups'], command: ['true'],
	}, {key: 'w', name: 'No command', scopes: ['backups']}]);
	t.is(shapeless.code, 78);
	t.regex(shapeless.stderr, /^backstack: The settings file .*config\.json is not valid \(Config schema violation: `plugins\[1\]` must have required property 'command'\)/v);
	t.notRegex(shapeless.stderr, /not expected|at .*\.js:\d+/v);
});
