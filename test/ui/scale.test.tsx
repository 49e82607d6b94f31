/*
Scale: 5,000 volumes in an 80×24 terminal. The frame holds only the visible window of rows (consecutive, within 24 lines of
80 columns) and keys move the selection through the whole list. Timing is bench/'s job (bench/tui.ts), not this test's.
*/
import test, {type ExecutionContext} from 'ava';
import stringWidth from 'string-width';
import {App} from '../../source/ui/app.js';
import {
	drive,
	inventory,
	keys,
	projects,
	testServices,
	volume,
} from './helpers.js';

const count = 5000;
const name = (index: number) => `bulk-${String(index).padStart(5, '0')}`;
const size = {columns: 80, rows: 24};

/**
The names of the volume rows in a frame, top to bottom, and the selected one.
*/
function rowsOf(frame: string): {names: string[]; selected: string[]} {
	const lines = frame.split('\n').filter(line => /bulk-\d{5}/v.test(line));
	const nameIn = (line: string) => /bulk-\d{5}/v.exec(line)![0];
	return {names: lines.map(line => nameIn(line)), selected: lines.filter(line => line.startsWith('›')).map(line => nameIn(line))};
}

/**
Asserts the frame fits the terminal and shows a consecutive window of rows starting at `first`, with `selected` selected.
*/
function assertWindow(t: ExecutionContext, frame: string, first: number, selected: number): void {
	const lines = frame.replace(/\n$/v, '').split('\n');
	t.true(lines.length <= size.rows, `${lines.length} lines in a ${size.rows}-row terminal`);
	t.deepEqual(lines.filter(line => stringWidth(line) > size.columns), []);
	const rows = rowsOf(frame);
	t.true(rows.names.length >= 5, `${rows.names.length} rows drawn`);
	t.true(rows.names.length < size.rows, `${rows.names.length} rows drawn`);
	t.deepEqual(rows.names, rows.names.map((_, index) => name(first + index)));
	t.deepEqual(rows.selected, [name(selected)]);
}

test('5,000 volumes in 80×24: only the visible window of rows is drawn, and keys move the selection', async t => {
	const volumes = Array.from({length: count}, (_, index) => volume(`v-${String(index).padStart(5, '0')}`, name(index)));
	const web = projects[0]!;
	const services = testServices({inventories: {[web.id]: inventory(web, {volumes}), [projects[1]!.id]: inventory(projects[1]!)}});
	const app = drive(<App services={services} initialView='volumes'/>, size);
	t.teardown(app.unmount);

	const first = await app.waitFor(name(0), 30_000);
	assertWindow(t, first, 0, 0);

	await app.press(keys.down);
	assertWindow(t, await app.waitFor(frame => rowsOf(frame).selected[0] === name(1)), 0, 1);

	await app.press(keys.end);
	const end = await app.waitFor(frame => rowsOf(frame).selected[0] === name(count - 1));
	const window = rowsOf(end).names.length;
	assertWindow(t, end, count - window, count - 1);

	await app.press(keys.up);
	assertWindow(t, await app.waitFor(frame => rowsOf(frame).selected[0] === name(count - 2)), count - window, count - 2);
});
