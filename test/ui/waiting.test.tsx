/*
Issue 15 item 1: a list that stalls is named in the status line with how long it has been waited for, and the rest of
the screen stays usable while it waits.
*/
// eslint-disable-next-line import-x/no-unassigned-import, import-x/order -- must run before Ink loads chalk
import './force-color.js';
import test from 'ava';
import {App} from '../../source/ui/app.js';
import {readingText} from '../../source/ui/app/text.js';
import {drive, testServices} from './helpers.js';

test('the reading text names silent lists first, longest wait first, and keeps the counts', t => {
	const text = readingText({
		volumes: {count: 0, done: false, quietMs: 12_400},
		secrets: {count: 3, done: false, quietMs: 2500},
		images: {count: 7, done: true, quietMs: 30_000},
		backups: {count: 1, done: false, quietMs: 300},
	}, true);
	t.is(text, 'waiting for Cinder (volumes) 12 s, Barbican (secrets) 2 s…  reading: secrets 3 · images 7 · backups 1');
	t.is(readingText({volumes: {count: 4, done: false, quietMs: 100}}, false), 'refreshing… volumes 4');
});

test('a stalled Cinder list shows "waiting for Cinder (volumes) N s" and the keys still work', async t => {
	const services = testServices();
	services.readInventory = async (_session, options) => {
		// Glance and Nova answer at once; Cinder's volume list starts and never answers, as a stalled service does.
		const report = options.onProgress ?? (() => undefined);
		report({
			service: 'glance', resource: 'images', count: 2, done: true,
		});
		report({
			service: 'nova', resource: 'servers', count: 1, done: true,
		});
		report({
			service: 'cinder', resource: 'volumes', count: 0, done: false,
		});
		return new Promise((_resolve, reject) => {
			options.signal?.addEventListener('abort', () => {
				reject(new Error('aborted'));
			});
		});
	};

	const app = drive(<App services={services}/>, {columns: 80, rows: 24});
	t.teardown(app.unmount);
	const frame = await app.waitFor(text => /waiting for Cinder \(volumes\) [2-9] s…/v.test(text), 15_000);
	t.regex(frame, /images 2 · servers 1/v);
	await app.press('?');
	t.notRegex(frame, /Keys \(Esc closes\)/v);
	const help = await app.waitFor('Keys (Esc closes)');
	t.regex(help, /waiting for Cinder \(volumes\)/v, 'the status line keeps counting under the help');
});
