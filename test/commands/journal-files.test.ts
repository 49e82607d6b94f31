/*
`backstack backup secret` and `backstack journal` as a user runs them (dist/cli.js, built by `npm test`), against a demo
cloud this test starts: where the files a plan created are, and who may work on a journalled plan (issue 16).
*/
import {execFile, spawn} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import {
	mkdir,
	readFile,
	stat,
	writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import test from 'ava';
import {demoCloud, temporaryDirectory, type CloudForTest} from '../core/plans/helpers.js';

const root = path.resolve(import.meta.dirname, '../..');
const cli = path.join(root, 'dist/cli.js');

type Result = {code: number; stdout: string; stderr: string};

function environment(context: CloudForTest, config: string): Record<string, string> {
	return Object.fromEntries([
		['PATH', process.env['PATH'] ?? ''],
		['HOME', context.directory],
		['BACKSTACK_CONFIG_DIR', config],
		['OS_CLIENT_CONFIG_FILE', context.cloudsYamlPath],
	]);
}

async function backstack(env: Record<string, string>, cwd: string, ...args: string[]): Promise<Result> {
	return new Promise(resolve => {
		execFile(process.execPath, [cli, ...args, '--os-cloud', 'demo'], {cwd, env, timeout: 60_000}, (error, stdout, stderr) => {
			resolve({code: error === null ? 0 : (typeof error.code === 'number' ? error.code : -1), stdout, stderr});
		});
	});
}

test('journal cleanup from another directory deletes the key the plan wrote, not a file of the same name there', async t => {
	const context = await demoCloud(t);
	const {id: secretId} = await context.session.barbican!.storeSecret({name: 'db-key', payload: new Uint8Array(randomBytes(32)), secretType: 'symmetric'});
	const work = await temporaryDirectory(t);
	const a = path.join(work, 'a');
	const b = path.join(work, 'b');
	await mkdir(a);
	await mkdir(b);
	const env = environment(context, path.join(work, 'config'));
	// The payload comes slowly, so the user's own db.key.hex appears in A after the checks and before the export
	// writes: the plan fails after writing db.key and leaves it behind, to be cleaned up.
	context.cloud.setFaults([{kind: 'latency', ms: 1500, path: '/payload'}]);
	const child = spawn(process.execPath, [cli, 'backup', 'secret', 'secret', secretId, 'db.key', '--hex', '--yes', '--os-cloud', 'demo'], {cwd: a, env});
	let stdout = '';
	let stderr = '';
	child.stderr.on('data', (chunk: Uint8Array) => {
		stderr += String(chunk);
	});
	const exited = new Promise<number | undefined>(resolve => {
		child.on('exit', code => {
			resolve(code ?? undefined);
		});
	});
	await new Promise<void>((resolve, reject) => {
		child.stdout.on('data', (chunk: Uint8Array) => {
			stdout += String(chunk);
			if (stdout.includes('All checks passed.')) {
				resolve();
			}
		});
		void exited.then(() => {
			reject(new Error(`The export ended before its checks passed: ${stdout}${stderr}`));
		});
	});
	await writeFile(path.join(a, 'db.key.hex'), 'the user\'s own hex file');
	t.is(await exited, 1, `${stdout}${stderr}`);
	const planId = /remove with: backstack journal cleanup (?<id>\S+)\)/v.exec(stdout)?.groups?.['id'];
	t.truthy(planId, `no cleanup offered: ${stdout}`);
	t.true(stdout.includes(`file ${path.join(a, 'db.key')}`), `the absolute path is not named: ${stdout}`);
	t.true(stdout.includes(`${path.join(a, 'db.key.hex')} already exists (it appeared after the checks); it was not overwritten.`), stdout);

	await writeFile(path.join(b, 'db.key'), 'an unrelated key');
	const cleanup = await backstack(env, b, 'journal', 'cleanup', planId ?? '', '--yes');
	t.is(cleanup.code, 0, `${cleanup.stdout}${cleanup.stderr}`);
	t.true(cleanup.stdout.includes(`cleanup: removed file ${path.join(a, 'db.key')}`), `not removed: ${cleanup.stdout}`);
	t.is(await readFile(path.join(b, 'db.key'), 'utf8'), 'an unrelated key');
	await t.throwsAsync(stat(path.join(a, 'db.key')), {code: 'ENOENT'});
	t.is(await readFile(path.join(a, 'db.key.hex'), 'utf8'), 'the user\'s own hex file');
});

test('journal resume of a plan another process holds refuses before connecting, naming that process', async t => {
	const context = await demoCloud(t);
	const work = await temporaryDirectory(t);
	const config = path.join(work, 'config');
	const env = environment(context, config);
	const journal = path.join(config, 'journal');
	const holder = spawn(process.execPath, ['--import=tsx', '--input-type=module', '--eval', [
		`const {acquirePlanLock} = await import(${JSON.stringify(path.join(root, 'source/core/plans/lock.ts'))});`,
		`acquirePlanLock(${JSON.stringify(journal)}, 'held-plan');`,
		String.raw`process.stdout.write('locked\n');`,
		'process.stdin.resume();',
		'process.stdin.on(\'end\', () => process.exit(0));',
	].join('\n')], {cwd: root, stdio: ['pipe', 'pipe', 'inherit']});
	t.teardown(() => {
		holder.kill('SIGKILL');
	});
	await new Promise<void>((resolve, reject) => {
		holder.stdout.on('data', () => {
			resolve();
		});
		holder.on('exit', () => {
			reject(new Error('The process that should hold the lock ended.'));
		});
	});
	const requestsBefore = context.cloud.requestCount();
	const result = await backstack(env, work, 'journal', 'resume', 'held-plan', '--yes');
	t.is(result.code, 3, result.stderr);
	t.regex(result.stderr, new RegExp(`Plan held-plan is being run by process ${holder.pid} `, 'v'));
	t.is(context.cloud.requestCount(), requestsBefore, 'nothing reached the cloud');

	holder.stdin.end();
	await new Promise(resolve => {
		holder.on('exit', resolve);
	});
	await t.throwsAsync(stat(path.join(journal, 'held-plan.lock')), {code: 'ENOENT'}, 'released on exit');
});
