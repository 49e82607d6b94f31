/*
Plugins in the App: seen where they apply (footer, help, palette), gone under --readonly when dangerous, asked about
when they say so, and run for real (commands/plugin-runner.ts): a failure's exit code on the status line, a background
command's output in a pane.
*/
// eslint-disable-next-line import-x/no-unassigned-import, import-x/order -- must run before Ink loads chalk
import './force-color.js';
import {existsSync, mkdtempSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import {App} from '../../source/ui/app.js';
import type {PluginSpec} from '../../source/core/plugins.js';
import {checkPlugins} from '../../source/ui/plugins.js';
import {pluginRunner} from '../../source/commands/plugin-runner.js';
import {drive, keys, testServices} from './helpers.js';

function withPlugins(specs: PluginSpec[]) {
	return {...testServices(), plugins: {list: checkPlugins(specs, '/test/config.json'), run: pluginRunner()}};
}

const tail: PluginSpec = {
	key: 'v', name: 'Tail log', description: 'the volume\'s log in less', scopes: ['volumes'], command: ['less', '/var/log/$ID.log'],
};
const wipe: PluginSpec = {
	key: 'W', name: 'Wipe it', scopes: ['volumes'], command: ['/bin/sh', '-c', 'exit 0'], dangerous: true,
};

const size = {columns: 220, rows: 60};

test('a plugin is in the footer and the help of its views only, and in the palette there', async t => {
	const app = drive(<App services={withPlugins([tail])} initialView='volumes'/>, size);
	t.teardown(app.unmount);
	let frame = await app.waitFor('db-data');
	t.regex(frame.trimEnd().split('\n').at(-1) ?? '', /O onto vol {2}v Tail log {2}\? help/v);

	await app.press('?');
	frame = await app.waitFor('Keys (Esc closes)');
	t.regex(frame, /^v +Tail log +\[volumes\] plugin: the volume's log in less/mv);
	await app.press(keys.escape);

	await app.press(':');
	await app.press('tail');
	frame = await app.waitFor('› plugin: Tail log (v)');
	t.regex(frame, /› plugin: Tail log \(v\)/v);
	await app.press(keys.escape);

	// Another view: not in its footer, help or palette.
	await app.press('3');
	frame = await app.waitFor('b-db');
	t.notRegex(frame, /Tail log/v);
	await app.press('?');
	frame = await app.waitFor('Keys (Esc closes)');
	t.notRegex(frame, /Tail log/v);
	await app.press(keys.escape, ':', 'tail');
	frame = await app.waitFor(': tail█');
	t.notRegex(frame, /plugin: Tail log/v);
});

test('under --readonly a dangerous plugin is in neither footer, help nor palette, and its key does nothing; a harmless one stays', async t => {
	const app = drive(<App isReadonly services={withPlugins([tail, wipe])} initialView='volumes'/>, size);
	t.teardown(app.unmount);
	let frame = await app.waitFor('db-data');
	t.regex(frame, /v Tail log/v);
	t.notRegex(frame, /Wipe it/v);
	await app.press('W');
	frame = app.frame();
	t.notRegex(frame, /Wipe it|\(y\/n\)/v);
	await app.press('?');
	frame = await app.waitFor('Keys (Esc closes)');
	t.regex(frame, /Tail log/v);
	t.notRegex(frame, /Wipe it/v);
	await app.press(keys.escape, ':', 'wipe');
	frame = await app.waitFor(': wipe█');
	t.regex(frame, /nothing matches/v);

	// Without --readonly it is there, marked as changing the cloud, in red.
	const writable = drive(<App services={withPlugins([tail, wipe])} initialView='volumes'/>, size);
	t.teardown(writable.unmount);
	frame = await writable.waitFor('db-data');
	t.regex(frame, /W Wipe it/v);
	await writable.press('?');
	frame = await writable.waitFor('Keys (Esc closes)');
	t.regex(frame, /^W +Wipe it +changes the cloud \[volumes\] plugin$/mv);
});

test('a failing command\'s exit code is on the status line', async t => {
	const app = drive(<App services={withPlugins([{...tail, command: ['/bin/sh', '-c', 'exit 3']}])} initialView='volumes'/>, size);
	t.teardown(app.unmount);
	await app.waitFor('db-data');
	await app.press('v');
	const frame = await app.waitFor('exit code 3');
	t.regex(frame, /plugin Tail log failed: exit code 3/v);
	// Back to the list, which still takes keys.
	await app.press('j');
	t.regex(app.frame(), /db-data/v);
});

test('confirm asks first: n does not run the command, y does', async t => {
	const directory = mkdtempSync(path.join(os.tmpdir(), 'backstack-plugin-'));
	t.teardown(() => {
		rmSync(directory, {recursive: true, force: true});
	});
	const marker = path.join(directory, 'ran');
	const touch: PluginSpec = {
		...tail, confirm: true, command: ['/bin/sh', '-c', 'printf %s "$1" > "$2"', 'sh', '$NAME', marker],
	};
	const app = drive(<App services={withPlugins([touch])} initialView='volumes'/>, size);
	t.teardown(app.unmount);
	await app.waitFor('db-data');
	await app.press('v');
	let frame = await app.waitFor('(y/n)');
	t.regex(frame, /run Tail log\? \/bin\/sh -c 'printf %s "\$1" > "\$2"' sh scratch \/tmp\/backstack-plugin-\w+\/ran {2}\(y\/n\)/v);
	t.regex(frame, /y run it {2}n\/Esc do not run it/v);
	// Another key is not an answer.
	await app.press('j');
	t.regex(app.frame(), /\(y\/n\)/v);
	await app.press('n');
	frame = await app.waitFor('not run');
	t.false(existsSync(marker));

	await app.press('v');
	await app.waitFor('(y/n)');
	await app.press('y');
	await app.waitFor('done (exit code 0)');
	t.true(existsSync(marker));
});

test('a dangerous plugin is asked about even without confirm', async t => {
	const app = drive(<App services={withPlugins([wipe])} initialView='volumes'/>, size);
	t.teardown(app.unmount);
	await app.waitFor('db-data');
	await app.press('W');
	const frame = await app.waitFor('(y/n)');
	t.regex(frame, /dangerous: run Wipe it\?/v);
	await app.press(keys.escape);
	t.regex(await app.waitFor('plugin Wipe it not run'), /PROTECTION/v);
});

test('a background plugin\'s output, with the variables put in, is in a pane Esc closes; marks are $SELECTED_IDS', async t => {
	const report: PluginSpec = {
		key: 'o', name: 'Report', scopes: ['volumes'], background: true, command: ['printf', String.raw`%s\n`, 'kind=$KIND', 'id=$ID', 'project=$PROJECT', 'cloud=$CLOUD', '$SELECTED_IDS'],
	};
	const app = drive(<App services={withPlugins([report])} initialView='volumes'/>, size);
	t.teardown(app.unmount);
	await app.waitFor('db-data');
	await app.press('o');
	let frame = await app.waitFor('done (exit code 0)');
	t.regex(frame, /Report: printf .* · plugin Report done \(exit code 0\) \(Esc closes\)/v);
	const selected = /id=(?<id>v-\w+)/v.exec(frame)?.groups?.['id'] ?? '';
	t.regex(frame, /kind=volume/v);
	t.regex(frame, /project=web-shop/v);
	t.regex(frame, /cloud=testcloud/v);
	t.regex(frame, new RegExp(`^${selected}$`, 'mv'));
	await app.press(keys.escape);
	frame = await app.waitFor(text => !text.includes('(Esc closes)'));
	t.regex(frame, /PROTECTION/v);

	// Two volumes marked: both IDs, each its own argument (one line each).
	await app.press(' ', ' ');
	await app.waitFor('2 marked');
	await app.press('o');
	frame = await app.waitFor('done (exit code 0)');
	const ids = frame.split('\n').filter(line => /^v-\w+ *$/v.test(line));
	t.is(ids.length, 2);
});
