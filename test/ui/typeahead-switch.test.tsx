/*
Keys typed ahead across a change of mode: the keys after the one that opens the filter or the plan screen reach it, in
order (the App keeps no second copy of its mode for this: the input queue hands each key the state the key before left).
*/
import test from 'ava';
import {App} from '../../source/ui/app.js';
import {demoForUi} from './demo.js';
import {drive} from './helpers.js';

const size = {columns: 80, rows: 24};

test('d, Ctrl+U, a path and Enter in one read: the keys after d fill the form d opened and plan the download', async t => {
	const demo = await demoForUi(t);
	const app = drive(<App cloud='demo' services={demo.services} initialView='images'/>, size);
	t.teardown(app.unmount);
	await app.waitFor('shop-db-data-export');
	await app.press('d\u{15}/tmp/one-read.raw\r');
	const frame = await app.waitFor('Plan: Download image');
	t.regex(frame, /to\s+\/tmp\/one-read\.raw/v);
});

test('a filter typed, closed with Enter and followed by R in one read restores the one image left', async t => {
	const demo = await demoForUi(t);
	const app = drive(<App cloud='demo' services={demo.services} initialView='images'/>, size);
	t.teardown(app.unmount);
	await app.waitFor('shop-db-data-export');
	await app.press('/shop-db-data-export\rR');
	const frame = await app.waitFor(text => /Restore image|volume type|New volume from image/v.test(text));
	t.regex(frame, /shop-db-data-export/v);
	t.notRegex(frame, /\/shop-db-data-export█/v, 'the filter was closed before R');
});
