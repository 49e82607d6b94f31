/*
The plan lock (issue 16.4) on its own: exclusive, naming its holder, released on SIGTERM.
*/
import {spawn} from 'node:child_process';
import {readFileSync} from 'node:fs';
import {stat} from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import test from 'ava';
import {
	acquirePlanLock,
	isAlive,
	lockHolder,
	PlanLockedError,
	processStartTime,
} from '../../../source/core/plans/lock.js';
import {temporaryDirectory} from './helpers.js';

const lockModule = path.resolve(import.meta.dirname, '../../../source/core/plans/lock.ts');

test('a process\'s start time is field 22 of /proc/PID/stat, and tells a reused PID from the original', t => {
	const start = processStartTime(process.pid);
	t.regex(start ?? '', /^\d+$/v);
	const fields = readFileSync('/proc/self/stat', 'utf8').split(') ', 2)[1]!.split(' ');
	t.is(start, fields[19]);
	t.true(isAlive({pid: process.pid, start}));
	t.false(isAlive({pid: process.pid, start: `${start ?? ''}1`}));
	t.false(isAlive({pid: 2 ** 30, start}));
});

test('the lock is exclusive within one process too, and free again once released', async t => {
	const journal = await temporaryDirectory(t);
	const lock = acquirePlanLock(journal, 'p1');
	const error = t.throws(() => acquirePlanLock(journal, 'p1'), {instanceOf: PlanLockedError});
	t.regex(error?.message ?? '', /Plan p1 is being run by this backstack itself/v);
	t.is(lockHolder(journal, 'p1')?.pid, process.pid);
	lock.release();
	t.is(lockHolder(journal, 'p1'), undefined);
	acquirePlanLock(journal, 'p1').release();
	await t.throwsAsync(stat(lock.file), {code: 'ENOENT'});
});

test('a process that exits while it holds a lock (Ctrl+C twice: process.exit) releases it', async t => {
	const journal = await temporaryDirectory(t);
	const holder = spawn(process.execPath, ['--import=tsx', '--input-type=module', '--eval', [
		`const {acquirePlanLock} = await import(${JSON.stringify(lockModule)});`,
		`acquirePlanLock(${JSON.stringify(journal)}, 'p3');`,
		'process.exit(130);',
	].join('\n')], {stdio: ['ignore', 'inherit', 'inherit']});
	const code = await new Promise(resolve => {
		holder.on('exit', resolve);
	});
	t.is(code, 130);
	await t.throwsAsync(stat(path.join(journal, 'p3.lock')), {code: 'ENOENT'});
});

test('a process that holds a lock and gets SIGTERM releases it and still ends by SIGTERM', async t => {
	const journal = await temporaryDirectory(t);
	const holder = spawn(process.execPath, ['--import=tsx', '--input-type=module', '--eval', [
		`const {acquirePlanLock} = await import(${JSON.stringify(lockModule)});`,
		`acquirePlanLock(${JSON.stringify(journal)}, 'p2');`,
		String.raw`process.stdout.write('locked\n');`,
		'setInterval(() => {}, 1000);',
	].join('\n')], {stdio: ['ignore', 'pipe', 'inherit']});
	const exited = new Promise<string | undefined>(resolve => {
		holder.on('exit', (_code, signal) => {
			resolve(signal ?? undefined);
		});
	});
	await new Promise<void>((resolve, reject) => {
		holder.stdout.on('data', () => {
			resolve();
		});
		void exited.then(() => {
			reject(new Error('The holder ended before it took the lock.'));
		});
	});
	t.is(lockHolder(journal, 'p2')?.pid, holder.pid);
	holder.kill('SIGTERM');
	t.is(await exited, 'SIGTERM');
	await t.throwsAsync(stat(path.join(journal, 'p2.lock')), {code: 'ENOENT'});
});
