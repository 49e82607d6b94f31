/*
Files a plan created, as the journal records them and cleanup removes them (issue 16.2): the key export and its hex
form against the demo cloud's Barbican.
*/
import {randomBytes} from 'node:crypto';
import type {BigIntStats} from 'node:fs';
import {
	readFile,
	rm,
	stat,
	writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import {planSecretExport} from '../../../source/core/plans/backup.js';
import {runPlan} from '../../../source/core/plans/execute.js';
import {readJournal} from '../../../source/core/plans/journal.js';
import {cleanupPlan} from '../../../source/core/plans/recover.js';
import type {Plan, PlanEvent} from '../../../source/core/plans/types.js';
import {
	collect,
	demoCloud,
	fastClock,
	last,
	temporaryDirectory,
	type CloudForTest,
} from './helpers.js';

/**
What the journal should record of a file: device, inode and (where the file system keeps it) birth time.
*/
function identityIn(stats: BigIntStats) {
	return {dev: String(stats.dev), ino: String(stats.ino), ...(stats.birthtimeNs > 0n && {birth: String(stats.birthtimeNs)})};
}

type Exported = {
	plan: Plan;
	journal: string;
	key: string;
	hex: string;
	events: PlanEvent[];
};

/**
A key export with --hex that is followed by a step that fails (an image that does not exist): the plan fails after both
files were written, so they are what it leaves behind.
*/
async function exportThenFail(t: Parameters<typeof demoCloud>[0], context: CloudForTest): Promise<Exported> {
	const {id: secretId} = await context.session.barbican!.storeSecret({
		name: 'db-key', payload: new Uint8Array(randomBytes(32)), algorithm: 'aes', bitLength: 256, secretType: 'symmetric',
	});
	const directory = await temporaryDirectory(t);
	const journal = await temporaryDirectory(t);
	const key = path.join(directory, 'db.key');
	const result = await planSecretExport(context.session, {from: {kind: 'secret', id: secretId}, path: key, hex: true});
	if (result.kind !== 'plan') {
		throw new Error(JSON.stringify(result));
	}

	const plan: Plan = {
		...result.plan,
		steps: [...result.plan.steps, {
			id: 'fails',
			title: 'Touch an image that does not exist',
			danger: 'mutate',
			checks: [],
			action: {op: 'glance.removeImageProperties', args: {imageId: '00000000-0000-4000-8000-000000000000', keys: ['x']}},
		}],
	};
	const events = await collect(runPlan(plan, context.session, {journal, clock: fastClock()}));
	return {
		plan, journal, key, hex: `${key}.hex`, events,
	};
}

test('the hex file is journalled as its own file, with device and inode, and cleanup removes both files', async t => {
	const context = await demoCloud(t);
	const {
		plan, journal, key, hex, events,
	} = await exportThenFail(t, context);
	t.is(last(events)?.type, 'plan-failed', JSON.stringify(last(events)));
	const created = readJournal(journal, plan.id)?.created ?? [];
	t.deepEqual(created.map(resource => [resource.kind, resource.id]), [['file', key], ['file', hex]]);
	for (const [resource, file] of [[created[0], key], [created[1], hex]] as const) {
		// eslint-disable-next-line no-await-in-loop
		const stats = await stat(file, {bigint: true});
		t.deepEqual(resource?.file, identityIn(stats));
	}

	const cleanup = await collect(cleanupPlan(journal, plan.id, context.session, {clock: fastClock()}));
	t.deepEqual(cleanup.map(event => event.type), ['cleanup-start', 'cleanup-done', 'cleanup-start', 'cleanup-done']);
	await t.throwsAsync(stat(key), {code: 'ENOENT'});
	await t.throwsAsync(stat(hex), {code: 'ENOENT'});
	t.is(readJournal(journal, plan.id)?.state, 'cleaned');
});

test('cleanup leaves a file the user replaced, naming it, and reports a deleted one as already gone', async t => {
	const context = await demoCloud(t);
	const {
		plan, journal, key, hex,
	} = await exportThenFail(t, context);
	// The user deleted the key and put another file under its name (on ext4 it often gets the same inode number); the
	// hex file they deleted.
	await rm(key);
	await writeFile(key, 'the user\'s own file');
	await rm(hex);

	const cleanup = await collect(cleanupPlan(journal, plan.id, context.session, {clock: fastClock()}));
	const hexDone = cleanup.find(event => event.type === 'cleanup-done');
	t.deepEqual(hexDone?.type === 'cleanup-done' ? [hexDone.resource.id, hexDone.alreadyGone] : [], [hex, true]);
	const refused = cleanup.find(event => event.type === 'cleanup-failed');
	t.is(refused?.type === 'cleanup-failed' ? refused.resource.id : undefined, key);
	t.true((refused?.type === 'cleanup-failed' ? refused.reason : '').startsWith(`${key} is no longer the file backstack created`));
	t.is(await readFile(key, 'utf8'), 'the user\'s own file');
	t.not(readJournal(journal, plan.id)?.state, 'cleaned');
});

test('a relative path is made absolute when the plan is made', async t => {
	const context = await demoCloud(t);
	const {id: secretId} = await context.session.barbican!.storeSecret({name: 'k', payload: new Uint8Array(randomBytes(32)), secretType: 'symmetric'});
	const result = await planSecretExport(context.session, {from: {kind: 'secret', id: secretId}, path: 'db.key', hex: true});
	t.is(result.kind, 'plan');
	const action = result.kind === 'plan' ? result.plan.steps[0]?.action : undefined;
	t.deepEqual(action?.op === 'barbican.exportSecret' ? [action.args.path, action.args.hexPath] : [], [path.resolve('db.key'), path.resolve('db.key.hex')]);
});
