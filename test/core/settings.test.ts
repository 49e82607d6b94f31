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
		rpoHours: 24, drillMaxAgeDays: 30, severities: {}, refreshSeconds: 30, theme: 'auto', requestTimeoutSeconds: 45,
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
