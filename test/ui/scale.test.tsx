import test from 'ava';
import {App} from '../../source/ui/app.js';
import {
	drive,
	inventory,
	keys,
	projects,
	testServices,
	volume,
} from './helpers.js';

test('a list of 10,000 volumes renders only the visible rows and scrolls to the end', async t => {
	const volumes = Array.from({length: 10_000}, (_, index) => volume(`v-${String(index).padStart(5, '0')}`, `bulk-${String(index).padStart(5, '0')}`));
	const web = projects[0]!;
	const services = testServices({inventories: {[web.id]: inventory(web, {volumes}), [projects[1]!.id]: inventory(projects[1]!)}});
	const app = drive(<App services={services} initialView='volumes'/>, {columns: 100, rows: 30});
	t.teardown(app.unmount);
	const frame = await app.waitFor('bulk-00000', 10_000);
	const rowLines = frame.split('\n').filter(line => line.includes('bulk-'));
	t.true(rowLines.length > 10);
	t.true(rowLines.length < 30, `${rowLines.length} rows drawn`);

	await app.press(keys.end);
	const last = await app.waitFor('bulk-09999');
	t.regex(last, /^›.*bulk-09999/mv);
	t.notRegex(last, /bulk-00000/v);

	const started = performance.now();
	await app.press(keys.up);
	const elapsed = performance.now() - started;
	t.regex(app.frame(), /^›.*bulk-09998/mv);
	t.log(`one keystroke with 10,000 rows: ${elapsed.toFixed(1)} ms`);
});
