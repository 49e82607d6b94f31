/*
End to end: the real program in tmux against the embedded demo cloud (`--demo`, story seed), driven by keys, read back from
the pane. Skipped only when tmux is missing, and under CI then a failure (test/helpers/need.ts).
*/
import {
	mkdirSync,
	mkdtempSync,
	rmSync,
	writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import test from 'ava';
import {needOrSkip} from '../helpers/need.js';
import {filterRows, hasTmux, startPane} from './tmux.js';

const tmux = needOrSkip(hasTmux(), 'tmux', 'apt-get install tmux', test.serial);

tmux('start, navigate, filter, open a detail, use the palette, switch project, quit', async t => {
	const pane = await startPane({
		name: `backstack-e2e-${process.pid}`, args: ['--demo'], columns: 120, rows: 36,
	});
	t.teardown(pane.close);

	// The first frame, then the audit of project demo with its findings, worst first.
	let screen = await pane.waitFor('CRIT', 60_000);
	t.regex(screen, /demo cloud/v);
	t.regex(screen, /project demo/v);
	t.regex(screen, /\[1Audit\]/v);

	// Volumes view; move down twice: the selection marker moves.
	await pane.press('2');
	screen = await pane.waitFor('PROTECTION');
	const selected = (text: string) => text.split('\n').find(line => line.startsWith('›')) ?? '';
	const first = selected(screen);
	await pane.press('j', 'Down');
	screen = await pane.waitFor(text => selected(text) !== first && selected(text) !== '');
	t.not(selected(screen), first);

	// Filter to one volume.
	screen = await filterRows(pane, 'shop-db-data');
	t.regex(screen, /shop-db-data/v);
	t.notRegex(screen, /shop-redis-aof/v);

	// Its detail: linkage and findings with reasons.
	await pane.press('Enter');
	screen = await pane.waitFor('Findings (');
	t.regex(screen, /volume shop-db-data/v);
	t.regex(screen, /Linkage/v);
	t.regex(screen, /backup/v);
	await pane.press('Escape');
	await pane.waitFor('PROTECTION');

	// The palette switches project, without a restart.
	await pane.press(':');
	await pane.type('project analytics');
	screen = await pane.waitFor('› project: analytics');
	await pane.press('Enter');
	screen = await pane.waitFor('project analytics', 30_000);
	t.regex(screen, /project analytics/v);

	// Quit.
	await pane.press('q');
	screen = await pane.waitFor('EXITED rc=');
	t.regex(screen, /EXITED rc=0/v);
});

tmux('a guided restore of an encrypted backup of a non-default type ends with an available volume', async t => {
	const pane = await startPane({
		name: `backstack-e2e-restore-${process.pid}`, args: ['--demo'], columns: 120, rows: 40,
	});
	t.teardown(pane.close);
	await pane.waitFor('CRIT', 60_000);

	// The weekly full backup of the LUKS volume shop-db-data.
	await pane.press('3');
	await pane.waitFor('STATUS');
	await filterRows(pane, 'shop-db-data-weekly');

	// R plans the restore and previews it; nothing has changed yet.
	await pane.press('R');
	let screen = await pane.waitFor(/Enter runs the plan|Type .* to confirm|cannot be restored|↑\/↓ choose/v);
	t.regex(screen, /Plan: Restore/v);
	t.regex(screen, /LUKS/v);

	// Enter runs it; every step ends done and the new volume is the result.
	await pane.press('Enter');
	screen = await pane.waitFor(/Running: (?:done|failed)/v, 120_000);
	t.regex(screen, /Running: done/v);
	t.notRegex(screen, /✖/v);

	// Back to the lists, which re-read the inventory: the restored volume is there, and available.
	// Each key once the screen it is meant for is up: on a busy machine Escape and 2 could reach the closing plan screen.
	await pane.press('Enter');
	await pane.waitFor(/RESTORE\s+STATUS/v, 30_000);
	await pane.press('Escape', '2');
	await pane.waitFor('PROTECTION', 30_000);
	await filterRows(pane, 'restore-');
	screen = await pane.waitFor(/restore-shop-db-data-weekly\S*\s+\d+G\s+LUKS\s+available/v, 60_000);
	t.regex(screen, /LUKS/v);
	await pane.press('q');
	t.regex(await pane.waitFor('EXITED rc='), /EXITED rc=0/v);
});

tmux('a plugin that takes the terminal (less) gets it, and after q the TUI is back and takes keys', async t => {
	// The settings under XDG_CONFIG_HOME, as a user keeps them (BACKSTACK_CONFIG_DIR emptied so it does not win).
	const home = mkdtempSync(path.join(os.tmpdir(), 'backstack-e2e-plugin-'));
	t.teardown(() => {
		rmSync(home, {recursive: true, force: true});
	});
	const notes = path.join(home, 'notes.txt');
	writeFileSync(notes, Array.from({length: 200}, (_, index) => `volume runbook line ${index + 1}`).join('\n'));
	mkdirSync(path.join(home, 'backstack'), {mode: 0o700});
	writeFileSync(path.join(home, 'backstack', 'config.json'), JSON.stringify({
		plugins: [{
			key: 'v', name: 'Runbook', description: 'the runbook in less', scopes: ['volumes'], command: ['less', '-Prunbook of $NAME', notes],
		}],
	}));
	const pane = await startPane({
		name: `backstack-e2e-plugin-${process.pid}`, args: ['--demo'], columns: 120, rows: 36, env: {BACKSTACK_CONFIG_DIR: '', XDG_CONFIG_HOME: home}, // eslint-disable-line @typescript-eslint/naming-convention
	});
	t.teardown(pane.close);
	await pane.waitFor('CRIT', 60_000);
	await pane.press('2');
	let screen = await pane.waitFor(/v Runbook/v);
	// The selected row: `›`, the protection's mark and word, then the name.
	const selected = /^›\S+ \S+ +(?<name>\S+)/mv.exec(screen)?.groups?.['name'] ?? '';
	t.not(selected, '');

	// The pager has the whole screen: its text and its prompt (with the volume's name put in), none of the TUI.
	await pane.press('v');
	screen = await pane.waitFor(`runbook of ${selected}`);
	t.regex(screen, /^volume runbook line 1$/mv);
	t.notRegex(screen, /PROTECTION|backstack/v);
	// Keys reach less: the space bar pages down.
	await pane.press('Space');
	screen = await pane.waitFor(/^volume runbook line 40$/mv);
	t.notRegex(screen, /^volume runbook line 1$/mv);

	// Its q quits it; the TUI is redrawn as it was, says how the command ended, and takes keys again.
	await pane.press('q');
	screen = await pane.waitFor('plugin Runbook done (exit code 0)');
	t.regex(screen, /PROTECTION/v);
	t.regex(screen, /\[2Volumes\]/v);
	t.notRegex(screen, /volume runbook line/v);
	await pane.press('3');
	screen = await pane.waitFor(/\[3Backups\]/v);
	t.notRegex(screen, /v Runbook/v);
	await pane.press('q');
	t.regex(await pane.waitFor('EXITED rc='), /EXITED rc=0/v);
});
