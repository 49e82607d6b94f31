/*
Keys typed ahead arrive in one read (over a slow SSH link, from tmux send-keys, a paste): each must act on what the key
before it did, in the lists and on the plan screen.
*/
import test from 'ava';
import {App} from '../../source/ui/app.js';
import {demoForUi} from './demo.js';
import {drive, keys} from './helpers.js';

const size = {columns: 80, rows: 24};

test('j j R in one read restores the image two rows down, not the one selected before the keys', async t => {
	const demo = await demoForUi(t);
	const app = drive(<App cloud='demo' services={demo.services} initialView='images'/>, size);
	t.teardown(app.unmount);
	const list = await app.waitFor('shop-db-data-export');
	const rows = list.split('\n').filter(line => /^[ ›](?:active|queued)/v.test(line));
	const third = rows[2]?.slice(1).trim().split(/\s+/v, 2)[1];
	t.truthy(third, 'the images view lists at least three images');
	await app.press('jjR');
	const frame = await app.waitFor(text => /Restore image|volume type/v.test(text));
	t.true(frame.includes(third!), `the plan is for ${third!}`);
	const first = rows[0]?.slice(1).trim().split(/\s+/v, 2)[1];
	t.false(frame.includes(`image ${first!} `), 'the plan is not for the row selected before the keys');
});

test('a path typed with Ctrl+U and Enter in one read replaces the default and plans the download with it', async t => {
	const demo = await demoForUi(t);
	const app = drive(<App cloud='demo' services={demo.services} initialView='images'/>, size);
	t.teardown(app.unmount);
	await app.waitFor('shop-db-data-export');
	await app.press('d');
	await app.waitFor('Download image');
	await app.press(`\u{15}/tmp/typed-ahead.raw${keys.enter}`);
	const frame = await app.waitFor('Plan: Download image');
	t.regex(frame, /to\s+\/tmp\/typed-ahead\.raw/v);
});
