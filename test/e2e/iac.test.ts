/*
End to end, issue 14's bad input in the interactive view: the real program in tmux at 80×24 on the embedded demo cloud,
started with a state file that is not JSON, one of another format version, and one of another workspace (none of its
IDs is in the demo cloud). The view runs on, the status line says why no address is shown, and the detail pane of a
volume says it in full. Skipped only when tmux is missing, and under CI then a failure.
*/
import path from 'node:path';
import process from 'node:process';
import test from 'ava';
import {needOrSkip} from '../helpers/need.js';
import {hasTmux, startPane} from './tmux.js';

const tmux = needOrSkip(hasTmux(), 'tmux', 'apt-get install tmux', test.serial);

const fixtures = path.resolve(import.meta.dirname, '../fixtures/iac');

const notRead = /⚠ terraform state not read, addresses not shown: /v;

const cases: Array<{what: string; file: string; status: RegExp; detail: RegExp}> = [
	{
		what: 'not JSON', file: 'garbage.tfstate', status: notRead, detail: /terraform: not known, the state was not read:\s.*garbage\.tfstate\s+is\s+not\s+JSON/sv,
	},
	{
		what: 'format version 3',
		file: 'v3.tfstate',
		status: notRead,
		detail: /terraform: not known, the state was not read:\s.*v3\.tfstate\s+is\s+a\s+state\s+of\s+format\s+version\s+3/sv,
	},
];

for (const {what, file, status, detail} of cases) {
	tmux(`a state file that is ${what}: the view runs, the status line and the detail pane say the state was not read`, async t => {
		const pane = await startPane({
			name: `backstack-e2e-iac-${file.replaceAll('.', '-')}-${process.pid}`, args: ['--demo', '--tfstate', path.join(fixtures, file)], columns: 80, rows: 24,
		});
		t.teardown(pane.close);
		const screen = await pane.waitFor('CRIT', 60_000);
		t.regex(screen, status);
		await pane.press('2');
		await pane.waitFor('shop-redis-aof');
		await pane.press('Enter');
		t.regex(await pane.waitFor('terraform: not known'), detail);
		await pane.press('Escape', 'q');
		t.regex(await pane.waitFor('EXITED rc='), /EXITED rc=0/v);
	});
}

tmux('a state of another workspace (no ID in this cloud): the status line says so, no detail pane names a manager', async t => {
	const pane = await startPane({
		name: `backstack-e2e-iac-other-${process.pid}`, args: ['--demo', '--tfstate', path.join(fixtures, 'root.tfstate')], columns: 80, rows: 24,
	});
	t.teardown(pane.close);
	const screen = await pane.waitFor('CRIT', 60_000);
	t.regex(screen, /⚠ terraform: another workspace\? nothing of root\.tfstate is in project demo/v);
	await pane.press('2');
	await pane.waitFor('shop-redis-aof');
	await pane.press('Enter');
	const detail = await pane.waitFor(/id [\d\-a-f]{36}/v);
	t.notRegex(detail, /managed by terraform|terraform: not known/v);
	await pane.press('Escape', 'q');
	t.regex(await pane.waitFor('EXITED rc='), /EXITED rc=0/v);
});
