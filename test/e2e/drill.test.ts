/*
End to end, issue 12: the real program in tmux against the embedded demo cloud (`--demo`, story seed), `D` on a backup in
the Backups view: the preview, the run's progress, the result in words, then the RESTORE and DRILLED columns, and the
record in drills.jsonl of the config directory. Skipped only when tmux is missing, and under CI then a failure.
*/
import {mkdtemp, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import test from 'ava';
import {readDrillLog} from '../../source/store/drill-log.js';
import {needOrSkip} from '../helpers/need.js';
import {filterRows, hasTmux, startPane} from './tmux.js';

const tmux = needOrSkip(hasTmux(), 'tmux', 'apt-get install tmux', test.serial);

// An encrypted backup of the story seed whose type and key are there.
const backup = 'legal-archive-2026-q3';

function lineOf(screen: string, text: string): string {
	return screen.split('\n').find(line => line.includes(text)) ?? '';
}

tmux('D on a backup: preview, progress, the result in words and in the Backups view, and a line in drills.jsonl', async t => {
	const configDirectory = await mkdtemp(path.join(os.tmpdir(), 'backstack-e2e-drill-'));
	t.teardown(async () => rm(configDirectory, {recursive: true, force: true}));
	const pane = await startPane({
		name: `backstack-e2e-drill-${process.pid}`, args: ['--demo'], columns: 120, rows: 40, env: Object.fromEntries([['BACKSTACK_CONFIG_DIR', configDirectory]]),
	});
	t.teardown(pane.close);
	await pane.waitFor('CRIT', 60_000);

	// The Backups view, wide enough for DRILLED: never drilled.
	await pane.press('3');
	await pane.waitFor('DRILLED');
	let screen = await filterRows(pane, backup);
	t.regex(lineOf(screen, backup), /✔ restorable.*never/v);
	t.regex(screen, /D drill/v, 'the footer offers D');

	// D plans the drill and previews it: no typed name (it deletes only what it creates), the record announced.
	await pane.press('D');
	screen = await pane.waitFor(/Enter runs the plan|not possible/v, 60_000);
	t.regex(screen, /Plan: Drill: restore backup legal-archive-2026-q3 \(\S+\) into temporary volume backstac/v);
	t.regex(screen, /Then: the result is recorded on backup legal-archive-2026-q3/v);
	t.notRegex(screen, /to confirm/v);
	t.deepEqual(readDrillLog(configDirectory), [], 'nothing recorded before Enter');

	// Enter runs it: a step under way, then the result in words.
	await pane.press('Enter');
	screen = await pane.waitFor(/◷ Create volume "backstack-drill-/v, 60_000);
	t.regex(screen, /Running: (?:checking|running)/v);
	screen = await pane.waitFor(/Recorded on backup|Not recorded|NOT recorded/v, 120_000);
	t.regex(screen, /Running: done/v);
	t.regex(screen, /✔ Drill passed: backup legal-archive-2026-q3 restores\./v);
	t.regex(screen, /✔ removed temporary volume backstack-drill-/v);
	t.regex(screen, /Recorded on backup legal-archive-2026-q3's metadata \(backstack_drill_result=ok\) and in the local drill log/v);

	// Back to the lists, re-read: RESTORE says verified, DRILLED passed seconds ago.
	await pane.press('Enter');
	screen = await pane.waitFor(text => lineOf(text, backup).includes('✔ verified'), 60_000);
	t.regex(lineOf(screen, backup), /✔ verified\s+✔ available.*✔ \d+s/v);
	t.regex(screen, /drill passed \(recorded on the backup and in the local drill log\)/v);

	const log = readDrillLog(configDirectory);
	t.is(log.length, 1);
	t.like(log[0], {result: 'ok', cloud: 'demo'});
	t.regex(log[0]?.reason ?? '', /^available, \d+ GiB, type \S+, key present$/v);

	await pane.press('q');
	t.regex(await pane.waitFor('EXITED rc='), /EXITED rc=0/v);
});

tmux('Space marks two backups, D drills them one after the other at 80×24: Enter goes on to the next, Esc at its preview stops with the rest still marked', async t => {
	const configDirectory = await mkdtemp(path.join(os.tmpdir(), 'backstack-e2e-drills-'));
	t.teardown(async () => rm(configDirectory, {recursive: true, force: true}));
	const pane = await startPane({
		name: `backstack-e2e-drills-${process.pid}`, args: ['--demo'], columns: 80, rows: 24, env: Object.fromEntries([['BACKSTACK_CONFIG_DIR', configDirectory]]),
	});
	t.teardown(pane.close);
	await pane.waitFor('CRIT', 60_000);
	await pane.press('3');
	await pane.waitFor('RESTORE');

	// Two restorable backups, found by filter and marked with Space (a mark moves the cursor on, as in the Volumes view).
	const first = 'legal-archive-2026-q3';
	const second = 'shop-db-data-weekly';
	for (const name of [first, second]) {
		// eslint-disable-next-line no-await-in-loop
		await filterRows(pane, name);
		// eslint-disable-next-line no-await-in-loop
		await pane.press('Space');
		// eslint-disable-next-line no-await-in-loop
		await pane.waitFor(text => lineOf(text, name).includes('●'));
		// `/` then Esc drops the filter; the marks stay.
		// eslint-disable-next-line no-await-in-loop
		await pane.press('/', 'Escape');
		// eslint-disable-next-line no-await-in-loop
		await pane.waitFor(text => !/ \d+\/\d+ rows/v.test(text));
	}

	let screen = await pane.waitFor('2 backups marked');

	// D: the first marked backup in the list's order (by age: the weekly full is the newer one) is previewed first.
	await pane.press('D');
	screen = await pane.waitFor(/Enter runs the plan/v, 60_000);
	t.regex(screen, /Then: the result is recorded on backup shop-db-data-weekly-full/v);
	await pane.press('Enter');
	screen = await pane.waitFor(/Enter next: Restore drill 2 of 2: backup legal-archive-2026-q3/v, 120_000);
	t.regex(screen, /✔ Drill passed: backup shop-db-data-weekly-full restores\./v);
	t.regex(screen, /Esc\s+stop\s+the\s+drills\s+here/v);

	// Enter: the second drill's preview; Esc there stops the queue, nothing run for it, and it stays marked.
	await pane.press('Enter');
	screen = await pane.waitFor(/recorded on backup legal-archive-2026-q3[\s\S]*Enter runs the plan/v, 60_000);
	await pane.press('Escape');
	screen = await pane.waitFor('RESTORE', 60_000);
	screen = await pane.waitFor(text => lineOf(text, first).includes('●') && lineOf(text, second).includes('✔ verified'), 60_000);
	t.regex(screen, /1 backup marked/v);
	const log = readDrillLog(configDirectory);
	t.is(log.length, 1, 'only the drill that ran is recorded');
	t.like(log[0], {result: 'ok', cloud: 'demo'});

	await pane.press('q');
	t.regex(await pane.waitFor('EXITED rc='), /EXITED rc=0/v);
});
