/*
Screenshots for the README: backstack against the embedded demo cloud in tmux at 100×30, captured with colours and turned
into SVG by ansi-svg.ts (no network, no browser). Run: node --import tsx test/e2e/make-media.ts [output directory]
*/
import {mkdir, writeFile} from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import {ansiToSvg} from './ansi-svg.js';
import {hasTmux, startPane} from './tmux.js';

if (!hasTmux()) {
	throw new Error('make-media needs tmux (apt-get install tmux)');
}

const columns = 100;
const rows = 30;
const output = path.resolve(process.argv[2] ?? path.join(import.meta.dirname, '../../media'));

await mkdir(output, {recursive: true});
const pane = await startPane({
	name: `backstack-media-${process.pid}`, args: ['--demo'], columns, rows, env: Object.fromEntries([['TERM', 'xterm-256color']]),
});
try {
	const save = async (name: string, title: string) => {
		const screen = await pane.captureAnsi();
		const file = path.join(output, name);
		await writeFile(file, ansiToSvg(screen, {columns, rows, title}));
		console.log(`wrote ${path.relative(process.cwd(), file)}`);
	};

	// The audit of the demo project, worst first.
	await pane.waitFor('CRIT', 60_000);
	await save('screenshot.svg', 'backstack: the audit of a project, worst findings first');

	// The volumes with their protection, then one encrypted volume's linkage: backups and the keys they need.
	await pane.press('2');
	await pane.waitFor('PROTECTION');
	await save('volumes.svg', 'backstack: volumes with protection, key state and age of the last backup');
	await pane.press('/');
	await pane.type('legal-archive');
	await pane.press('Enter', 'Enter');
	await pane.waitFor('Findings (');
	await save('detail.svg', 'backstack: a volume\'s backups and the Barbican keys they depend on');

	// A guided restore of an encrypted backup of a non-default type: the preview, before anything changes.
	await pane.press('Escape', '3');
	await pane.waitFor('STATUS');
	await pane.press('/');
	await pane.type('shop-db-data-weekly');
	await pane.press('Enter', 'R');
	await pane.waitFor('Enter runs the plan');
	await save('restore.svg', 'backstack: the preview of a guided restore of an encrypted backup');
	await pane.press('Escape', 'q');
	await pane.waitFor('EXITED rc=');
} finally {
	await pane.close();
}
