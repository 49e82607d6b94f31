/*
The TUI's `D` (issue 12): a restore drill of the selected backup, driven by keys against the embedded demo cloud (story
seed). The preview, the run, the result in words, its record on the backup's metadata and in the injected drill log, and
the Backups view's RESTORE and DRILLED columns afterwards; a backup whose key was deleted fails with the reason.
*/
import test from 'ava';
import {drillFromMetadata, type DrillRecord} from '../../source/core/drills.js';
import {drillVolumePrefix} from '../../source/core/plans/drill.js';
import type {Backup, CloudSession} from '../../source/core/types.js';
import {App} from '../../source/ui/app.js';
import {analyseWithDrills} from '../../source/ui/core-analysis.js';
import {activeBindings} from '../../source/ui/keymap.js';
import {drive, keys} from './helpers.js';
import {ctrlC, demoForUi, select} from './demo.js';

/* eslint-disable unicorn/prefer-array-from-async -- Array.fromAsync is not in this project's TypeScript lib. */
async function listAll<T>(items: AsyncIterable<T>): Promise<T[]> {
	const all: T[] = [];
	for await (const item of items) {
		all.push(item);
	}

	return all;
}
/* eslint-enable unicorn/prefer-array-from-async */

async function backupNamed(session: CloudSession, name: string): Promise<Backup> {
	const backups = await listAll(session.cinder!.listBackups());
	const backup = backups.find(candidate => candidate.name === name);
	if (backup === undefined) {
		throw new Error(`the story seed has no backup ${name}`);
	}

	return backup;
}

async function drillVolumes(session: CloudSession) {
	const volumes = await listAll(session.cinder!.listVolumes());
	return volumes.filter(volume => volume.name.startsWith(drillVolumePrefix));
}

function lineOf(frame: string, text: string): string {
	return frame.split('\n').find(line => line.includes(text)) ?? '';
}

// Wide enough for the DRILLED column (from 100 columns).
const size = {columns: 120, rows: 30};

/**
The demo cloud's App whose drills are logged into `log` (as drills.jsonl would be), the audit reading that log back.
*/
async function drillApp(t: Parameters<typeof demoForUi>[0], options?: Parameters<typeof demoForUi>[1]) {
	const demo = await demoForUi(t, options);
	const log: DrillRecord[] = [];
	const services = {
		...demo.services,
		analyse: analyseWithDrills(() => log),
		drillLog(record: DrillRecord) {
			log.push(record);
		},
	};
	return {demo, log, services};
}

// An encrypted backup of the story seed whose type and key are there.
const good = 'legal-archive-2026-q3';

test('D on a backup: the preview says what is recorded, the run restores, checks and deletes, and the result shows in words and in the columns', async t => {
	const {demo, log, services} = await drillApp(t);
	const backup = await backupNamed(demo.session, good);
	t.is(drillFromMetadata(backup), undefined, 'never drilled before');
	const app = drive(<App cloud='demo' services={services} initialView='backups'/>, size);
	t.teardown(app.unmount);
	await app.waitFor(good);
	t.regex(lineOf(app.frame(), good), /never/v);
	await select(app, good);
	await app.press('D');
	let frame = await app.waitFor('Enter runs the plan', 20_000);
	t.regex(frame, /Drill: restore backup/v);
	t.regex(frame, /Then: the result is recorded on backup legal-archive-2026-q3/v);
	t.notRegex(frame, /to confirm/v, 'a drill deletes only what it creates: no typed name');
	t.deepEqual(log, [], 'nothing recorded before Enter');

	await app.press(keys.enter);
	frame = await app.waitFor('Recorded on backup', 60_000);
	t.regex(frame, /Running: done/v);
	t.regex(frame, /✔ Drill passed: backup legal-archive-2026-q3 restores\./v);
	t.regex(frame, /Checked on the restored volume \(now deleted\): available, \d+ GiB, type \S+, key present\./v);
	t.regex(frame, /metadata \(backstack_drill_result=ok\) and in the local drill log/v);

	t.is(log.length, 1);
	t.like(log[0], {
		backupId: backup.id, result: 'ok', volumeId: backup.volumeId, cloud: 'demo', verifiedData: false,
	});
	t.regex(log[0]?.reason ?? '', /^available, \d+ GiB, type \S+, key present$/v);
	t.like(drillFromMetadata(await demo.session.cinder!.getBackup(backup.id)), {result: 'ok', at: log[0]?.at});
	t.deepEqual(await drillVolumes(demo.session), [], 'the temporary volume is gone');

	await app.press(keys.enter);
	frame = await app.waitFor(text => text.includes('drill passed (recorded on the backup and in the local drill log)') && lineOf(text, good).includes('✔ verified'), 20_000);
	t.regex(lineOf(frame, good), /✔ verified\s+✔ available/v, 'RESTORE says verified');
	t.regex(lineOf(frame, good), /✔ \d+s/v, 'DRILLED: passed seconds ago');
	t.notRegex(lineOf(frame, good), /never/v);

	// The detail pane says it too.
	await app.press(keys.enter);
	frame = await app.waitFor('last drill');
	t.regex(frame, /last drill passed \d+s ago: available, \d+ GiB/v);
});

test('D on a backup whose key was deleted: the drill fails before it starts, with the reason; Enter records it', async t => {
	const {demo, log, services} = await drillApp(t);
	const backup = await backupNamed(demo.session, good);
	t.truthy(backup.encryptionKeyId);
	await demo.session.barbican!.deleteSecret(backup.encryptionKeyId!);
	const app = drive(<App cloud='demo' services={services} initialView='backups'/>, size);
	t.teardown(app.unmount);
	await app.waitFor(good);
	await select(app, good);
	await app.press('D');
	let frame = await app.waitFor('Nothing is recorded yet', 20_000);
	t.regex(frame, /not possible as it is/v);
	t.regex(frame, /✖ Drill FAILED: backup legal-archive-2026-q3 would not restore\./v);
	t.regex(frame, /Reason: .*key .+ is gone/v);
	t.regex(frame, /Enter record this failed drill/v);
	t.deepEqual(log, [], 'nothing recorded before Enter');
	t.deepEqual(await drillVolumes(demo.session), [], 'it created nothing');

	await app.press(keys.enter);
	frame = await app.waitFor('Recorded on backup', 20_000);
	t.regex(frame, /backstack_drill_result=failed/v);
	t.is(log.length, 1);
	t.like(log[0], {backupId: backup.id, result: 'failed'});
	t.regex(log[0]?.reason ?? '', /key .+ is gone/v);
	t.notRegex(log[0]?.reason ?? '', /cannot be restored:/v, 'the reason without the refusal\'s preamble');
	const recorded = drillFromMetadata(await demo.session.cinder!.getBackup(backup.id));
	t.like(recorded, {result: 'failed', reason: log[0]?.reason});

	await app.press(keys.enter);
	// RESTORE keeps the cause (the key is gone); DRILLED has the failed drill, seconds ago.
	frame = await app.waitFor(text => /✖ \d+s/v.test(lineOf(text, good)), 20_000);
	t.regex(lineOf(frame, good), /✖ key gone\s+✔ available/v);
	t.regex(frame, /drill FAILED: its Barbican key \S+ is gone/v, 'the status bar says why');
});

test('Esc on a refused drill records nothing; D outside the Backups view says what to select; the palette has it, --readonly not', async t => {
	const {demo, log, services} = await drillApp(t);
	const backup = await backupNamed(demo.session, good);
	await demo.session.barbican!.deleteSecret(backup.encryptionKeyId!);
	const app = drive(<App cloud='demo' services={services} initialView='backups'/>, size);
	t.teardown(app.unmount);
	await app.waitFor(good);
	t.regex(app.frame(), /\bD drill\b/v, 'in the Backups view\'s footer');
	await select(app, good);
	await app.press('D');
	await app.waitFor('Nothing is recorded yet', 20_000);
	await app.press(keys.escape);
	await app.waitFor(good);
	t.deepEqual(log, []);
	t.is(drillFromMetadata(await demo.session.cinder!.getBackup(backup.id)), undefined);

	await app.press('2');
	await app.waitFor('Volumes');
	await app.press('D');
	await app.waitFor('D drills the selected backup');
	await app.press(':', 'drill');
	t.regex(await app.waitFor('action: Drill'), /action: Drill: restore and check \(D\)/v, 'in the palette');
	await app.press(keys.escape);

	const readonly = drive(<App isReadonly cloud='demo' services={services} initialView='backups'/>, size);
	t.teardown(readonly.unmount);
	await readonly.waitFor(good);
	t.notRegex(readonly.frame(), /\bD drill\b/v, 'not in the footer');
	await select(readonly, good);
	// D does nothing here: the next key (the help) is handled on the list, not on a plan screen.
	await readonly.press('D', '?');
	await readonly.waitFor('Keys (Esc closes)');
	t.notRegex(readonly.frame(), /Drill: restore|Planning/v);
	t.false(activeBindings({readonly: true}).some(binding => binding.id === 'drill.start'), 'nor in the help or the palette');
	t.true(activeBindings({readonly: false}).some(binding => binding.id === 'drill.start'));
	t.deepEqual(log, []);
});

test('Ctrl+C during a drill stops it safely: the temporary volume is removed and nothing is recorded (80×24)', async t => {
	// A restore of 2 s (100 s at the demo's 1/50), so that Ctrl+C surely lands while it runs, also on a busy machine.
	const {demo, log, services} = await drillApp(t, {delays: {restore: 100_000}});
	const backup = await backupNamed(demo.session, good);
	const app = drive(<App cloud='demo' services={services} initialView='backups'/>, {columns: 80, rows: 24});
	t.teardown(app.unmount);
	await app.waitFor(good);
	await select(app, good);
	await app.press('D');
	await app.waitFor('Enter runs the plan', 20_000);
	await app.press(keys.enter);
	await app.waitFor(text => /◷ .*(?:Restore|restore)/v.test(text) || text.includes('status restoring'), 20_000);
	await app.press(ctrlC);
	const frame = await app.waitFor(text => text.includes('Drill stopped'), 60_000);
	t.regex(frame, /Running: cancelled/v);
	t.regex(frame, /Not recorded: the drill was stopped before its checks ended/v);
	for (const line of frame.split('\n')) {
		t.true([...line].length <= 80, `wider than 80: ${line}`);
	}

	t.deepEqual(log, []);
	t.is(drillFromMetadata(await demo.session.cinder!.getBackup(backup.id)), undefined);
	t.deepEqual(await drillVolumes(demo.session), [], 'the temporary volume was removed');
});

test('D where the cloud refuses backup metadata: the drill passes, the screen says it is in the local drill log only, and the list reads it from there', async t => {
	const {demo, log, services} = await drillApp(t);
	const backup = await backupNamed(demo.session, good);
	// A policy without backup:update_backup_metadata.
	demo.cloud.setFaults([{
		kind: 'error', service: 'volume', method: 'PUT', path: /\/backups\/[^\/]+$/v, status: 403, message: 'Policy doesn\'t allow backup:update_backup_metadata to be performed.',
	}]);
	const app = drive(<App cloud='demo' services={services} initialView='backups'/>, size);
	t.teardown(app.unmount);
	await app.waitFor(good);
	await select(app, good);
	await app.press('D');
	await app.waitFor('Enter runs the plan', 20_000);
	await app.press(keys.enter);
	let frame = await app.waitFor(text => text.includes('NOT recorded') || text.includes('Recorded on'), 60_000);
	t.regex(frame, /✔ Drill passed/v);
	t.regex(frame, /NOT recorded on the backup \([\s\S]*update_backup_metadata[\s\S]*\): only in the local drill log/v);
	t.regex(frame, /only in the local drill log \(drills\.jsonl\)\./v);
	t.like(log, [{backupId: backup.id, result: 'ok'}]);
	t.is(drillFromMetadata(await demo.session.cinder!.getBackup(backup.id)), undefined, 'the cloud refused the record');

	await app.press(keys.enter);
	frame = await app.waitFor(text => lineOf(text, good).includes('✔ verified'), 20_000);
	t.regex(frame, /drill passed \(recorded in the local drill log only\)/v);
});

test('V drills and compares the bytes: on an intact plain backup they match and the sha512 is recorded; a backup whose stored bytes were altered fails, saying so', async t => {
	const {demo, log, services} = await drillApp(t);
	const plain = 'shop-web-static-2d';
	const backup = await backupNamed(demo.session, plain);
	const app = drive(<App cloud='demo' services={services} initialView='backups'/>, size);
	t.teardown(app.unmount);
	await app.waitFor(plain);
	await select(app, plain);
	await app.press('V');
	let frame = await app.waitFor('Enter runs the plan', 20_000);
	t.regex(frame, /Upload the restored volume to a temporary image/v, 'the preview shows the upload for the hash');
	await app.press(keys.enter);
	frame = await app.waitFor('Recorded on backup', 60_000);
	t.regex(frame, /✔ Drill passed: backup shop-web-static-2d restores\./v);
	t.regex(frame.replaceAll(/\s+/gv, ' '), /bytes match the source volume/v);
	t.is(log.length, 1);
	t.like(log[0], {backupId: backup.id, result: 'ok', verifiedData: true});
	t.regex(log[0]?.sha512 ?? '', /^[\da-f]{128}$/v);
	const recorded = await demo.session.cinder!.getBackup(backup.id);
	t.is(recorded.metadata['backstack_drill_sha512'], log[0]?.sha512, 'the sha512 is on the backup for the next drills');
	t.deepEqual(await drillVolumes(demo.session), [], 'the temporary volume is gone');
	await app.press(keys.enter);

	// The same backup damaged in the store: the next V compares with the recorded sha512 and fails.
	demo.cloud.state.alterBackupData(backup.id);
	// The filter is kept: the row is still the one selected.
	await app.waitFor(text => lineOf(text, plain).includes('✔ verified') && /\b1\/\d+ rows/v.test(text), 20_000);
	await app.press('V');
	await app.waitFor('Enter runs the plan', 20_000);
	await app.press(keys.enter);
	frame = await app.waitFor('Recorded on backup', 60_000);
	t.regex(frame.replaceAll(/\s+/gv, ' '), /The restored bytes differ from the sha512 an earlier drill recorded/v);
	t.like(log[1], {backupId: backup.id, result: 'failed', verifiedData: false});
});
