/*
End to end, the guided plans of the TUI: the real program in tmux on the embedded demo cloud (`--demo`, story seed, the
demo's real-cloud timings), keys in, the pane read back. A volume backup from the Volumes view, a restore onto an existing
volume that needs its typed name, and Ctrl+C during a restore followed by the cleanup of the volume it created.
*/
import process from 'node:process';
import test from 'ava';
import {needOrSkip} from '../helpers/need.js';
import {
	filterRows,
	hasTmux,
	startPane,
	type Pane,
} from './tmux.js';

const tmux = needOrSkip(hasTmux(), 'tmux', 'apt-get install tmux', test.serial);

async function filterTo(pane: Pane, text: string): Promise<string> {
	const screen = await filterRows(pane, text);
	if (!/ 1\/\d+ rows/v.test(screen)) {
		throw new Error(`the filter ${text} keeps more or less than one row:\n${screen}`);
	}

	return screen;
}

const selectedLine = (screen: string) => screen.split('\n').find(line => line.startsWith('›')) ?? '';

tmux('a volume backup from the Volumes view: b, the form, the preview, Enter, and the backup is listed as available', async t => {
	const pane = await startPane({
		name: `backstack-e2e-backup-${process.pid}`, args: ['--demo'], columns: 100, rows: 32,
	});
	t.teardown(pane.close);
	await pane.waitFor('CRIT', 60_000);
	await pane.press('2');
	await pane.waitFor('shop-redis-aof');
	await filterTo(pane, 'shop-redis-aof');
	await pane.press('b');
	let screen = await pane.waitFor('Back up volume shop-redis-aof');
	t.regex(screen, /automatic \(incremental where a full backup exists\)/v);
	await pane.press('Enter');
	screen = await pane.waitFor('Enter runs the plan', 30_000);
	t.regex(screen, /Full backup of volume shop-redis-aof/v);
	await pane.press('Enter');
	screen = await pane.waitFor(/Running: (?:done|failed|cancelled)/v, 60_000);
	t.regex(screen, /Running: done/v);
	t.regex(screen, /Result: backup /v);
	await pane.press('Enter', '3');
	await filterRows(pane, 'shop-redis-aof-full');
	screen = await pane.waitFor(/✔ available\s+shop-redis-aof-full/v, 30_000);
	t.regex(screen, / 1\/\d+ rows/v);
	await pane.press('q');
	t.regex(await pane.waitFor('EXITED rc='), /EXITED rc=0/v);
});

tmux('a restore onto an existing volume runs only once the volume\'s exact name is typed', async t => {
	const pane = await startPane({
		name: `backstack-e2e-onto-${process.pid}`, args: ['--demo'], columns: 100, rows: 32,
	});
	t.teardown(pane.close);
	await pane.waitFor('CRIT', 60_000);
	await pane.press('3');
	await pane.waitFor('shop-web-static-2d');
	await filterTo(pane, 'shop-web-static-2d');
	await pane.press('O');
	let screen = await pane.waitFor('Which volume gets the data');
	for (let tries = 0; tries < 20 && !selectedLine(screen).includes('shop-search-index'); tries++) {
		// eslint-disable-next-line no-await-in-loop
		await pane.press('j');
		// eslint-disable-next-line no-await-in-loop
		screen = await pane.capture();
	}

	t.regex(selectedLine(screen), /shop-search-index/v);
	await pane.press('Enter');
	screen = await pane.waitFor('Type shop-search-index to confirm', 30_000);
	t.regex(screen, /\[destroy\]/v);
	// Enter alone, then a name one letter short: the preview stays, nothing runs.
	await pane.press('Enter');
	await pane.type('shop-search-inde');
	await pane.waitFor('> shop-search-inde█');
	await pane.press('Enter');
	await new Promise(resolve => {
		setTimeout(resolve, 500);
	});
	screen = await pane.capture();
	t.regex(screen, /> shop-search-inde█/v);
	t.notRegex(screen, /Running:/v);
	await pane.type('x');
	await pane.waitFor('> shop-search-index█');
	await pane.press('Enter');
	screen = await pane.waitFor(/Running: (?:done|failed|cancelled)/v, 60_000);
	t.regex(screen, /Running: done/v);
	t.notRegex(screen, /✖/v);
	await pane.press('Enter', 'q');
	t.regex(await pane.waitFor('EXITED rc='), /EXITED rc=0/v);
});

tmux('Ctrl+C during a restore stops it without leaving the app, and c deletes the volume it had created', async t => {
	const pane = await startPane({
		name: `backstack-e2e-stop-${process.pid}`, args: ['--demo'], columns: 100, rows: 32,
	});
	t.teardown(pane.close);
	await pane.waitFor('CRIT', 60_000);
	await pane.press('3');
	await pane.waitFor('shop-web-static-2d');
	await filterTo(pane, 'shop-web-static-2d');
	await pane.press('R');
	await pane.waitFor('Enter runs the plan', 30_000);
	await pane.press('Enter');
	await pane.waitFor('+ created volume', 30_000);
	await pane.press('C-c');
	let screen = await pane.waitFor('clean up now', 60_000);
	t.regex(screen, /Running: cancelled/v);
	t.regex(screen, /• volume restore-shop-web-static-2d/v);
	await pane.press('c');
	screen = await pane.waitFor(/Cleaning up plan \S+: finished/v, 60_000);
	t.regex(screen, /✔ deleted volume restore-shop-web-static-2d/v);
	// Still in the app: back to the lists, where the volume is gone.
	await pane.press('Enter', '2');
	await filterRows(pane, 'restore-shop-web-static');
	screen = await pane.waitFor(/ 0\/\d+ rows/v, 30_000);
	t.regex(screen, /no row matches the filter/v);
	await pane.press('q');
	t.regex(await pane.waitFor('EXITED rc='), /EXITED rc=0/v);
});
