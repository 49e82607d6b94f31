/*
The plugins as the TUI checks them at start (ui/plugins.ts) and the argv it builds for the selected row; the runner
(commands/plugin-runner.ts) on real processes.
*/
import {
	mkdtempSync,
	readFileSync,
	rmSync,
	writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import type {PluginSpec} from '../../source/core/plugins.js';
import {checkPlugins, exitText, pluginCommand} from '../../source/ui/plugins.js';
import {pluginRunner} from '../../source/commands/plugin-runner.js';
import {loadSettings} from '../../source/store/settings.js';
import {fixedSession, storyInventories} from './helpers.js';

const file = '/home/alice/.config/backstack/config.json';

const show: PluginSpec = {
	key: 'v', name: 'Show', scopes: ['volumes'], command: ['echo', '$ID'],
};

function refusal(t: {throws: (fn: () => unknown) => Error | undefined}, specs: PluginSpec[]): string {
	const error = t.throws(() => checkPlugins(specs, file));
	return error?.message ?? '';
}

test('a plugin becomes a binding of its views, a dangerous one a binding that changes the cloud', t => {
	const wipe = {
		...show, key: 'ctrl+e', name: 'Wipe', dangerous: true, description: 'wipes it',
	};
	const [plain, dangerous] = checkPlugins([show, wipe], file);
	t.like(plain?.binding, {
		id: 'plugin.0', keys: ['v'], description: 'Show', views: ['volumes'], footer: true, palette: true, mutates: undefined,
	});
	t.like(dangerous?.binding, {
		id: 'plugin.1', keys: ['ctrl+e'], mutates: true, dangerous: true, note: 'plugin: wipes it',
	});
});

test('a key of backstack\'s own is refused, naming the file, the index, the field and the built-in it belongs to', t => {
	const message = refusal(t, [show, {...show, key: 'b', scopes: ['images']}]);
	t.true(message.startsWith(`The settings file ${file}: plugins[1].key "b" is backstack's own key in view images (Back up (volume, server))`), message);
	t.regex(message, /choose a free one, e\.g\. one of: a e f /v);
	t.regex(refusal(t, [{...show, key: 'q'}]), /plugins\[0\]\.key "q" is backstack's own key .*\(Quit\)/v);
	t.regex(refusal(t, [{...show, key: 'ctrl+r'}]), /plugins\[0\]\.key "ctrl\+r" is backstack's own key .*\(Refresh\)/v);
});

test('two plugins with one key are refused when they share a view, allowed when they do not', t => {
	t.regex(refusal(t, [show, {...show, name: 'Other', scopes: ['audit', 'volumes']}]), /plugins\[1\]\.key "v" is also the key of plugins\[0\] \(Show\) in view volumes/v);
	t.is(checkPlugins([show, {...show, scopes: ['images']}], file).length, 2);
});

test('a key that is not one character or Ctrl+letter, a view that does not exist, a variable that does not exist: refused', t => {
	t.regex(refusal(t, [{...show, key: 'enter'}]), /plugins\[0\]\.key "enter" is not a key a plugin can use/v);
	t.regex(refusal(t, [{...show, key: 'vv'}]), /plugins\[0\]\.key "vv"/v);
	t.regex(refusal(t, [{...show, scopes: ['volumes', 'volume']}]), /plugins\[0\]\.scopes\[1\] "volume" is not a view; the views are: audit, volumes, /v);
	const typo = {...show, key: 'Z', command: ['less', '/tmp/$VOLUME_ID.log', '$TOKEN']};
	t.regex(refusal(t, [show, typo]), /plugins\[1\]\.command\[1\] names \$VOLUME_ID, which is not a variable; the variables are \$ID /v);
});

const inventories = storyInventories();
const webShop = inventories['p-web']!;
const dbRow = {
	key: 'v-db', ref: {kind: 'volume' as const, id: 'v-db', name: 'db-data'}, cells: [], sort: [], search: '',
};

test('the argv holds the row, the session and the marks; the marks win over the row for $SELECTED_IDS', t => {
	const [plugin] = checkPlugins([{...show, command: ['tool', '$KIND/$ID', '$NAME', '$PROJECT', '$PROJECT_ID', '$CLOUD', '$REGION', '$SELECTED_IDS']}], file);
	const session = fixedSession(inventories, 'p-web');
	const target = {
		row: dbRow, marks: new Set<string>(), inventory: webShop, session, cloud: 'testcloud',
	};
	t.deepEqual(pluginCommand(plugin!, target), {argv: ['tool', 'volume/v-db', 'db-data', 'web-shop', 'p-web', 'testcloud', 'RegionOne', 'v-db']});
	const marked = {...target, marks: new Set(['v-logs', 'v-scratch', 'not-a-volume'])};
	t.deepEqual(pluginCommand(plugin!, marked), {argv: ['tool', 'volume/v-db', 'db-data', 'web-shop', 'p-web', 'testcloud', 'RegionOne', 'v-logs', 'v-scratch']});
});

test('a command about the row is not run without one; one that is not about a row is', t => {
	const [aboutRow, general] = checkPlugins([show, {...show, key: 'Z', command: ['echo', '$PROJECT']}], file);
	const target = {
		row: undefined, marks: new Set<string>(), inventory: webShop, session: fixedSession(inventories, 'p-web'), cloud: 'testcloud',
	};
	t.deepEqual(pluginCommand(aboutRow!, target), {problem: 'Show acts on a resource: select a row first'});
	t.deepEqual(pluginCommand(general!, target), {argv: ['echo', 'web-shop']});
});

test('the runner runs the argv without a shell and reports the exit code, the output and a program that is not there', async t => {
	const run = pluginRunner();
	let output = '';
	const exit = await run(['/bin/sh', '-c', 'printf "%s|" "$1"; printf oops >&2; exit 3', 'sh', 'a b; $(touch /tmp/never)'], {
		background: true,
		onOutput(text) {
			output += text;
		},
	});
	t.deepEqual(exit, {code: 3});
	t.true(output.includes('a b; $(touch /tmp/never)|'), output);
	t.true(output.includes('oops'), output);
	t.is(exitText('Show', exit), 'plugin Show failed: exit code 3');

	const missing = await run(['backstack-no-such-program-here'], {background: true});
	t.is(missing.code, undefined);
	t.is(exitText('Show', missing), 'plugin Show did not run: backstack-no-such-program-here was not found (is it installed, and on PATH?)');
	t.is(exitText('Show', await run(['true'], {background: false})), 'plugin Show done (exit code 0)');
});

test('the README\'s example plugins file is valid: the schema reads it and the TUI offers every plugin in it', t => {
	const readme = readFileSync(path.join(import.meta.dirname, '../../README.md'), 'utf8');
	const section = readme.slice(readme.indexOf('## Plugins'));
	const example = /```json\n(?<json>[\s\S]*?)```/v.exec(section)?.groups?.['json'] ?? '';
	const directory = mkdtempSync(path.join(os.tmpdir(), 'backstack-readme-plugins-'));
	t.teardown(() => {
		rmSync(directory, {recursive: true, force: true});
	});
	writeFileSync(path.join(directory, 'config.json'), example);
	const loaded = loadSettings({directory});
	const plugins = checkPlugins(loaded.settings.plugins, loaded.path);
	t.deepEqual(plugins.map(plugin => plugin.binding.keys[0]), ['v', 'o', 'ctrl+x']);
	t.true(plugins[2]?.binding.mutates);
});
