/*
End to end, issue 13 in the TUI: a DR bundle written by the CLI (`backup bundle image` on one embedded demo cloud) is
restored through `U` in the real program in tmux at 80×24, on another demo cloud (a new process: other IDs, as after a
disaster): the form with a directory that is no bundle, the preview, the run's progress, the result, and the new image
in the Images view. Skipped only when tmux is missing, and under CI then a failure.
*/
import {execFile} from 'node:child_process';
import {mkdtemp, readFile, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import test from 'ava';
import {needOrSkip} from '../helpers/need.js';
import {
	backstackCommand,
	filterRows,
	hasTmux,
	startPane,
} from './tmux.js';

const tmux = needOrSkip(hasTmux(), 'tmux', 'apt-get install tmux', test.serial);

const image = 'Debian 12 (bookworm)';

async function backstack(args: string[], env: Record<string, string>): Promise<{code: number; output: string}> {
	const [program, ...first] = backstackCommand();
	return new Promise(resolve => {
		execFile(program!, [...first, ...args], {env: {...process.env, ...env}, timeout: 120_000}, (error, stdout, stderr) => {
			resolve({code: error === null ? 0 : (typeof error.code === 'number' ? error.code : -1), output: `${stdout}${stderr}`});
		});
	});
}

tmux('U in the Images view restores a bundle the CLI wrote: a wrong directory is said in the form, then preview, progress, result and the new image, at 80×24', async t => {
	const scratch = await mkdtemp(path.join(os.tmpdir(), 'backstack-e2e-bundle-'));
	t.teardown(async () => rm(scratch, {recursive: true, force: true}));
	const directory = path.join(scratch, 'debian-12');
	const written = await backstack(['--demo', 'backup', 'bundle', 'image', image, directory, '--yes'], Object.fromEntries([['BACKSTACK_CONFIG_DIR', path.join(scratch, 'config-cli')]]));
	t.is(written.code, 0, written.output);
	const manifest = JSON.parse(await readFile(path.join(directory, 'manifest.json'), 'utf8')) as {items: Array<{id: string}>};
	const oldId = manifest.items[0]!.id;

	const pane = await startPane({
		name: `backstack-e2e-bundle-${process.pid}`, args: ['--demo'], columns: 80, rows: 24,
	});
	t.teardown(pane.close);
	await pane.waitFor('CRIT', 60_000);
	await pane.press('6');
	let screen = await pane.waitFor(image);
	t.regex(screen, /U from bundle/v, 'the footer offers U');
	t.false(screen.includes(oldId), 'another cloud: the bundled image\'s ID is not here');

	await pane.press('U');
	screen = await pane.waitFor('Restore a DR bundle into this project');
	t.regex(screen, /› Bundle directory/v);
	await pane.type(scratch);
	await pane.waitFor(`${scratch}█`);
	await pane.press('Enter');
	screen = await pane.waitFor('has no manifest.json: not a bundle.');
	t.regex(screen, /› Bundle directory/v, 'still the form, to correct');

	await pane.press('C-u');
	await pane.type(directory);
	await pane.waitFor(`${directory}█`);
	await pane.press('Enter');
	screen = await pane.waitFor(/Enter runs the plan|not possible/v, 60_000);
	t.regex(screen, /\[create\] Upload /v);
	t.regex(screen, /\[read\] Check Glance's size and checksums/v);
	t.regex(screen, /every resource gets\s+a NEW ID/v);

	await pane.press('Enter');
	screen = await pane.waitFor(/Running: (?:done|failed|cancelled)/v, 120_000);
	t.regex(screen, /Running: done/v);
	t.regex(screen, /✔ Upload .*\n\s+status active · [\d.]+[GKM]? of [\d.]+[GKM]?/v, 'the upload\'s bytes');
	t.regex(screen, /✔ Check Glance's size and checksums/v);
	const result = new RegExp(String.raw`Result: image:${oldId}\s+(?<id>[\da-f\-]{36})`, 'v').exec(screen);
	t.truthy(result, screen);
	const newId = result?.groups?.['id'] ?? '';
	t.not(newId, oldId);
	for (const line of screen.split('\n')) {
		t.true([...line].length <= 80, line);
	}

	// Back to the lists, re-read: the restored image is there, next to the demo's own of the same name.
	await pane.press('Enter');
	screen = await filterRows(pane, 'Debian 12');
	t.regex(screen, / 2\/\d+ rows/v);
	await pane.press('Escape', 'q');
	t.regex(await pane.waitFor('EXITED rc='), /EXITED rc=0/v);
});
