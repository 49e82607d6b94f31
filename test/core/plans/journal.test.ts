import {spawn} from 'node:child_process';
import {readFileSync, writeFileSync} from 'node:fs';
import {stat, writeFile} from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import test from 'ava';
import {executeJournalCommand, exitCodes} from '../../../source/core/plans/commands.js';
import {planRestoreBackupToNewVolume} from '../../../source/core/plans/restore.js';
import {readJournal, listUnfinished, journalPath} from '../../../source/core/plans/journal.js';
import {lockPath, PlanLockedError, processStartTime} from '../../../source/core/plans/lock.js';
import {cleanupPlan, resumePlan, runPlanLocked} from '../../../source/core/plans/recover.js';
import type {Plan} from '../../../source/core/plans/types.js';
import {demoPassword} from '../../../source/demo-cloud/index.js';
import {
	collect,
	demoCloud,
	fastClock,
	last,
	temporaryDirectory,
	until,
	volumeNames,
	volumesOf,
	type CloudForTest,
} from './helpers.js';

const luks = {
	provider: 'luks', cipher: 'aes-xts-plain64', keySize: 256, controlLocation: 'front-end',
};

/**
An encrypted backup and a two-step restore plan for it (empty volume of the type, then restore onto it).
*/
async function arrange(context: CloudForTest): Promise<Plan> {
	const {cloud, session} = context;
	cloud.state.addVolumeType({name: 'LUKS', encryption: luks});
	const volume = await session.cinder!.createVolume({size: 1, name: 'db', volumeType: 'LUKS'});
	await until(async () => session.cinder!.getVolume(volume.id), found => found.status === 'available');
	const {id} = await session.cinder!.createBackup({volumeId: volume.id, name: 'db-backup'});
	await until(async () => session.cinder!.getBackup(id), found => found.status === 'available');
	const result = await planRestoreBackupToNewVolume(session, {
		backupId: id, volumeType: 'LUKS', name: 'db-restored', method: 'create-then-restore',
	});
	if (result.kind !== 'plan') {
		throw new Error(JSON.stringify(result));
	}

	return result.plan;
}

/**
Starts the plan in a child process and kills it (SIGKILL) once the journal records the first created volume.
*/
async function crashMidPlan(context: CloudForTest, plan: Plan, journal: string): Promise<void> {
	const planFile = path.join(context.directory, 'plan.json');
	await writeFile(planFile, JSON.stringify(plan));
	const child = spawn(process.execPath, ['--import=tsx', new URL('child/run-plan.ts', import.meta.url).pathname, context.directory, 'demo', planFile, journal], {stdio: ['ignore', 'pipe', 'pipe']});
	let output = '';
	child.stdout.on('data', (chunk: Uint8Array) => {
		output += String(chunk);
	});
	child.stderr.on('data', (chunk: Uint8Array) => {
		output += String(chunk);
	});
	const exited = new Promise(resolve => {
		child.on('exit', resolve);
	});
	try {
		// The child compiles the sources with tsx before its first request: on a loaded machine 30 s was not always enough.
		await until(async () => readJournal(journal, plan.id), record => (record?.created.length ?? 0) > 0, 120_000);
	} catch (error) {
		child.kill('SIGKILL');
		throw new Error(`The child never created the volume: ${output}`, {cause: error});
	}

	child.kill('SIGKILL');
	await exited;
	if (output.includes('plan-done')) {
		throw new Error('The child finished before it was killed; the test proves nothing.');
	}
}

// Volume creation takes 2 s here, so the child is killed while it waits for the new volume.
const slowCreate = {timeScale: 0.01, delays: {volumeCreate: 200_000}};

test('a plan killed mid-run is listed as unfinished and resumes without repeating its calls', async t => {
	const context = await demoCloud(t, slowCreate);
	const plan = await arrange(context);
	const journal = await temporaryDirectory(t);
	await crashMidPlan(context, plan, journal);

	const [entry, ...others] = listUnfinished(journal);
	t.is(others.length, 0);
	t.is(entry?.planId, plan.id);
	t.is(entry?.state, 'running');
	t.false(entry?.running);
	t.deepEqual(entry?.leftovers.map(resource => [resource.kind, resource.name]), [['volume', 'db-restored']]);
	const text = JSON.stringify(readJournal(journal, plan.id));
	t.false(text.includes(demoPassword));
	t.notRegex(text, /token/iv);

	const events = await collect(resumePlan(journal, plan.id, context.session, {clock: fastClock()}));
	t.is(last(events)?.type, 'plan-done', JSON.stringify(events));
	// The create call was accepted before the crash: the resume only waits for it, then restores.
	t.deepEqual(events.filter(event => event.type === 'request').map(event => event.type === 'request' ? event.stepId : ''), ['restore']);
	const volumes = await volumesOf(context.session);
	const restored = volumes.filter(volume => volume.name === 'db-restored');
	t.is(restored.length, 1);
	t.is(restored[0]?.status, 'available');
	t.true(restored[0]?.metadata['src_backup_id'] !== undefined);
	t.is(readJournal(journal, plan.id)?.state, 'done');
	t.deepEqual(listUnfinished(journal), []);
});

test('a plan killed mid-run can be cleaned up instead: what it created is deleted, by name', async t => {
	const context = await demoCloud(t, slowCreate);
	const plan = await arrange(context);
	const journal = await temporaryDirectory(t);
	await crashMidPlan(context, plan, journal);

	const events = await collect(cleanupPlan(journal, plan.id, context.session, {clock: fastClock()}));
	t.deepEqual(events.map(event => event.type), ['cleanup-start', 'cleanup-done']);
	t.is(events[1]?.type === 'cleanup-done' ? events[1].resource.name : undefined, 'db-restored');
	t.deepEqual(await volumeNames(context.session), ['db']);
	t.is(readJournal(journal, plan.id)?.state, 'cleaned');
	t.deepEqual(listUnfinished(journal), []);
});

test('backstack journal lists a crashed plan, and cleans it up only with --yes', async t => {
	const context = await demoCloud(t, slowCreate);
	const plan = await arrange(context);
	const journal = await temporaryDirectory(t);
	await crashMidPlan(context, plan, journal);
	const output = () => {
		let text = '';
		return {
			write(chunk: string) {
				text += chunk;
			},
			get text() {
				return text;
			},
		};
	};

	const list = output();
	t.is(await executeJournalCommand(context.session, [], {stdout: list, stderr: output(), journal}), exitCodes.ok);
	t.regex(list.text, new RegExp(`${plan.id}  running  0/2 steps`, 'v'));
	t.regex(list.text, /created: volume \S+ \(db-restored\)/v);

	const unasked = output();
	t.is(await executeJournalCommand(context.session, ['cleanup', plan.id], {stdout: output(), stderr: unasked, journal}), exitCodes.notConfirmed);
	const names = await volumeNames(context.session);
	t.deepEqual(names.toSorted(), ['db', 'db-restored']);

	const cleaned = output();
	t.is(await executeJournalCommand(context.session, ['cleanup', plan.id], {
		stdout: cleaned, stderr: output(), journal, yes: true, clock: fastClock(),
	}), exitCodes.ok);
	t.regex(cleaned.text, /cleanup: removed volume \S+ \(db-restored\)/v);
	t.deepEqual(await volumeNames(context.session), ['db']);
	const after = output();
	await executeJournalCommand(context.session, ['list'], {stdout: after, stderr: output(), journal});
	t.is(after.text, 'No unfinished plans.\n');
});

/**
Starts `journal resume` of the plan in a child process; resolves once the child reported plan-start (before its checks).
*/
async function resumeInChild(context: CloudForTest, journal: string, planId: string) {
	const child = spawn(process.execPath, ['--import=tsx', new URL('child/resume-plan.ts', import.meta.url).pathname, context.directory, 'demo', journal, planId], {stdio: ['ignore', 'pipe', 'pipe']});
	let output = '';
	const exited = new Promise<void>(resolve => {
		child.on('exit', () => {
			resolve();
		});
	});
	await new Promise<void>((resolve, reject) => {
		child.stdout.on('data', (chunk: Uint8Array) => {
			output += String(chunk);
			if (output.includes('"plan-start"') || output.includes('"refused"')) {
				resolve();
			}
		});
		child.stderr.on('data', (chunk: Uint8Array) => {
			output += String(chunk);
		});
		void exited.then(() => {
			reject(new Error(`The child ended before it started: ${output}`));
		});
	});
	return {
		pid: child.pid!,
		async done() {
			await exited;
			return output.trim().split('\n').map(line => JSON.parse(line) as {type: string});
		},
	};
}

test('two resumes of one plan at once: the second refuses, naming the process that holds the plan', async t => {
	const context = await demoCloud(t, slowCreate);
	const plan = await arrange(context);
	const journal = await temporaryDirectory(t);
	await crashMidPlan(context, plan, journal);
	// Slow Cinder: the first resume is still at its checks while the second one starts.
	context.cloud.setFaults([{kind: 'latency', ms: 400, service: 'volume'}]);
	const first = await resumeInChild(context, journal, plan.id);
	t.true(listUnfinished(journal)[0]?.running, 'the running resume is listed as running');

	const second = resumePlan(journal, plan.id, context.session, {clock: fastClock()});
	const error = await t.throwsAsync(collect(second), {instanceOf: PlanLockedError});
	t.regex(error?.message ?? '', new RegExp(`Plan ${plan.id} is being run by process ${first.pid} `, 'v'));
	const cleaning = cleanupPlan(journal, plan.id, context.session, {clock: fastClock()});
	const cleanup = await t.throwsAsync(collect(cleaning), {instanceOf: PlanLockedError});
	t.regex(cleanup?.message ?? '', new RegExp(`process ${first.pid} `, 'v'));

	context.cloud.setFaults([]);
	const events = await first.done();
	t.is(events.at(-1)?.type, 'plan-done', JSON.stringify(events.at(-1)));
	t.deepEqual(await volumeNames(context.session).then(names => names.toSorted()), ['db', 'db-restored']);
	await t.throwsAsync(stat(lockPath(journal, plan.id)), {code: 'ENOENT'}, 'the lock is released at the end');
});

/**
Resumes the plan to its end; returns what its lock file held when the run started, and the events.
*/
async function resumeAndReadLock(context: CloudForTest, journal: string, planId: string) {
	let lockText: string | undefined;
	const events = [];
	for await (const event of resumePlan(journal, planId, context.session, {clock: fastClock()})) {
		if (event.type === 'plan-start') {
			lockText = readFileSync(lockPath(journal, planId), 'utf8');
		}

		events.push(event);
	}

	return {lock: lockText === undefined ? undefined : JSON.parse(lockText) as {pid: number; start?: string}, events};
}

test('a lock left by a dead process is taken over', async t => {
	const context = await demoCloud(t, slowCreate);
	const plan = await arrange(context);
	const journal = await temporaryDirectory(t);
	await crashMidPlan(context, plan, journal);
	const dead = readJournal(journal, plan.id)!.pid;
	writeFileSync(lockPath(journal, plan.id), JSON.stringify({pid: dead, start: '1', since: '2026-01-01T00:00:00.000Z'}));

	const {lock, events} = await resumeAndReadLock(context, journal, plan.id);
	t.deepEqual(lock && {pid: lock.pid, start: lock.start}, {pid: process.pid, start: processStartTime(process.pid)});
	t.is(last(events)?.type, 'plan-done');
	await t.throwsAsync(stat(lockPath(journal, plan.id)), {code: 'ENOENT'});
});

test('a reused PID (the same PID, another start time) in the lock and the journal does not make a dead plan look alive', async t => {
	const context = await demoCloud(t, slowCreate);
	const plan = await arrange(context);
	const journal = await temporaryDirectory(t);
	await crashMidPlan(context, plan, journal);
	// The crashed run's PID now belongs to a live process (this one) that started at another time.
	const record = readJournal(journal, plan.id)!;
	writeFileSync(journalPath(journal, plan.id), JSON.stringify({...record, pid: process.pid, pidStart: '1'}));
	writeFileSync(lockPath(journal, plan.id), JSON.stringify({pid: process.pid, start: '1', since: record.startedAt}));
	t.false(listUnfinished(journal)[0]?.running);

	const {lock, events} = await resumeAndReadLock(context, journal, plan.id);
	t.deepEqual(lock && {pid: lock.pid, start: lock.start}, {pid: process.pid, start: processStartTime(process.pid)});
	t.is(last(events)?.type, 'plan-done', JSON.stringify(events.filter(event => event.type === 'plan-failed')));
});

test('a new journalled run holds the plan\'s lock from its first event: a resume meanwhile refuses', async t => {
	const context = await demoCloud(t);
	const plan = await arrange(context);
	const journal = await temporaryDirectory(t);
	let refusal: unknown;
	const events = [];
	for await (const event of runPlanLocked(plan, context.session, {journal, clock: fastClock()})) {
		if (event.type === 'plan-start') {
			try {
				await collect(resumePlan(journal, plan.id, context.session, {clock: fastClock()}));
			} catch (error) {
				refusal = error;
			}
		}

		events.push(event);
	}

	t.true(refusal instanceof PlanLockedError, String(refusal));
	t.is(last(events)?.type, 'plan-done');
	await t.throwsAsync(stat(lockPath(journal, plan.id)), {code: 'ENOENT'});
});
