import {
	mkdtempSync,
	readFileSync,
	rmSync,
	writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import {defaultSettings, loadSettings} from '../../source/store/settings.js';

function temporaryDirectory(t: {teardown(fn: () => void): void}): string {
	const directory = mkdtempSync(path.join(os.tmpdir(), 'backstack-settings-'));
	t.teardown(() => {
		rmSync(directory, {recursive: true, force: true});
	});
	return directory;
}

test('without a file: the documented defaults and the default policy', t => {
	const directory = temporaryDirectory(t);
	const loaded = loadSettings({env: {BACKSTACK_CONFIG_DIR: directory}}); // eslint-disable-line @typescript-eslint/naming-convention
	t.deepEqual(loaded.settings, {
		rpoHours: 24, drillMaxAgeDays: 30, severities: {}, refreshSeconds: 30, theme: 'auto', requestTimeoutSeconds: 45, plugins: [], tfstate: [],
	});
	t.deepEqual(loaded.settings, {...defaultSettings});
	t.deepEqual(loaded.policy(), {rpoHours: 24, severities: {}, drillMaxAgeDays: 30});
	t.is(loaded.path, path.join(directory, 'config.json'));
	t.deepEqual(loaded.unknownCodes, []);
});

test('BACKSTACK_CONFIG_DIR wins over XDG_CONFIG_HOME; XDG_CONFIG_HOME over the home directory', t => {
	const explicit = temporaryDirectory(t);
	const xdg = temporaryDirectory(t);
	const home = temporaryDirectory(t);
	t.is(loadSettings({env: {BACKSTACK_CONFIG_DIR: explicit, XDG_CONFIG_HOME: xdg}, home}).path, path.join(explicit, 'config.json')); // eslint-disable-line @typescript-eslint/naming-convention
	t.is(loadSettings({env: {XDG_CONFIG_HOME: xdg}, home}).path, path.join(xdg, 'backstack', 'config.json')); // eslint-disable-line @typescript-eslint/naming-convention
	t.is(loadSettings({env: {}, home}).path, path.join(home, '.config', 'backstack', 'config.json'));
});

test('a file written by the user is read, and the policy follows it', t => {
	const directory = temporaryDirectory(t);
	writeFileSync(path.join(directory, 'config.json'), JSON.stringify({
		defaultCloud: 'mini-demo',
		rpoHours: 6,
		drillMaxAgeDays: 7,
		severities: {'volume.snapshot-only': 'critical', 'volume.snapshotonly': 'info'},
		refreshSeconds: 0,
		theme: 'none',
		requestTimeoutSeconds: 90,
	}));
	const loaded = loadSettings({directory});
	t.deepEqual(loaded.settings, {
		defaultCloud: 'mini-demo',
		rpoHours: 6,
		drillMaxAgeDays: 7,
		severities: {'volume.snapshot-only': 'critical', 'volume.snapshotonly': 'info'},
		refreshSeconds: 0,
		theme: 'none',
		requestTimeoutSeconds: 90,
		plugins: [],
		tfstate: [],
	});
	t.deepEqual(loaded.policy(), {rpoHours: 6, severities: {'volume.snapshot-only': 'critical', 'volume.snapshotonly': 'info'}, drillMaxAgeDays: 7});
	t.deepEqual(loaded.unknownCodes, ['volume.snapshotonly']);
});

test('a partial file keeps the defaults for what it leaves out', t => {
	const directory = temporaryDirectory(t);
	writeFileSync(path.join(directory, 'config.json'), JSON.stringify({theme: 'dark'}));
	t.deepEqual(loadSettings({directory}).settings, {...defaultSettings, theme: 'dark'});
});

test('an invalid file is an error naming the file, not silently replaced', t => {
	const directory = temporaryDirectory(t);
	const file = path.join(directory, 'config.json');
	writeFileSync(file, JSON.stringify({rpoHours: -1, theme: 'neon'}));
	const error = t.throws(() => loadSettings({directory}));
	t.true(error?.message.includes(file));
	t.regex(error?.message ?? '', /not valid/v);
	t.deepEqual(JSON.parse(readFileSync(file, 'utf8')), {rpoHours: -1, theme: 'neon'});
	writeFileSync(file, JSON.stringify({severities: {'volume.unprotected': 'fatal'}}));
	t.throws(() => loadSettings({directory}));
});

test('update validates, saves, and is read back by the next load', t => {
	const directory = temporaryDirectory(t);
	const loaded = loadSettings({directory});
	loaded.update({rpoHours: 12, defaultCloud: 'mini-admin'});
	t.is(loaded.settings.rpoHours, 12);
	t.is(loaded.policy().rpoHours, 12);
	t.throws(() => loaded.update({refreshSeconds: -5}));
	t.throws(() => loaded.update({theme: 'neon' as never}));
	const again = loadSettings({directory});
	t.deepEqual(again.settings, {...defaultSettings, rpoHours: 12, defaultCloud: 'mini-admin'});
	again.update({defaultCloud: undefined});
	t.is(loadSettings({directory}).settings.defaultCloud, undefined);
});

const lessPlugin = {
	key: 'v', name: 'Show in less', scopes: ['volumes'], command: ['less', '/tmp/$ID.txt'],
};

test('plugins are read as written, the optional flags left out when absent', t => {
	const directory = temporaryDirectory(t);
	const plugins = [
		lessPlugin,
		{
			key: 'ctrl+x', name: 'Delete', description: 'openstack volume delete', scopes: ['volumes', 'audit'],
			command: ['openstack', 'volume', 'delete', '$SELECTED_IDS'], confirm: true, dangerous: true, background: true,
		},
	];
	writeFileSync(path.join(directory, 'config.json'), JSON.stringify({plugins}));
	t.deepEqual(loadSettings({directory}).settings.plugins, plugins);
});

for (const [title, plugin, field] of [
	['a missing command', {key: 'v', name: 'x', scopes: ['volumes']}, /`plugins\[1\]` must have required property 'command'/v],
	['an empty command', {...lessPlugin, command: []}, /`plugins\[1\]\.command` must NOT have fewer than 1 items/v],
	['an empty program', {...lessPlugin, command: ['', 'x']}, /`plugins\[1\]\.command\[0\]` must NOT have fewer than 1 characters/v],
	['a command given as one string', {...lessPlugin, command: 'less /tmp/x'}, /`plugins\[1\]\.command` must be array/v],
	['no scope', {...lessPlugin, scopes: []}, /`plugins\[1\]\.scopes` must NOT have fewer than 1 items/v],
	['a flag that is not a boolean', {...lessPlugin, background: 'yes'}, /`plugins\[1\]\.background` must be boolean/v],
	['a misspelt field', {...lessPlugin, comand: ['x']}, /`plugins\[1\]\.comand` must NOT have additional properties/v],
] as const) {
	test(`a plugin with ${title} is an error naming the file, the index and the field`, t => {
		const directory = temporaryDirectory(t);
		const file = path.join(directory, 'config.json');
		writeFileSync(file, JSON.stringify({plugins: [lessPlugin, plugin]}));
		const error = t.throws(() => loadSettings({directory}));
		t.true(error?.message.includes(file), error?.message);
		t.regex(error?.message ?? '', field);
	});
}
