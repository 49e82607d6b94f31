/* eslint-disable unicorn/prefer-iterator-to-array -- the project's TypeScript lib has no iterator helpers. */
/*
The demo cloud's tables (source/demo-cloud/paging.ts): an order sorted once and reused for every page must follow every
change of the table's records (added, replaced, deleted), and pages served from it must equal pages sorted afresh.
*/
import test from 'ava';
import {
	derived,
	markerPage,
	orderedRecords,
	parseSort,
	sortedRecords,
	sortItems,
	Table,
	type Sortable,
} from '../../source/demo-cloud/paging.js';

function record(id: string, createdAt: number, name = id): Sortable {
	return {id, createdAt, name};
}

const byCreation = [{key: 'created_at', direction: 'desc'}, {key: 'id', direction: 'desc'}] as const;

test('a cached order follows records added, replaced and deleted', t => {
	const table = new Table<Sortable>();
	table.set('a', record('a', 1));
	table.set('b', record('b', 3));
	table.set('c', record('c', 2));
	const ids = () => sortedRecords(table, [...byCreation])?.map(item => item.id);
	t.deepEqual(ids(), ['b', 'c', 'a']);
	t.is(sortedRecords(table, [...byCreation]), sortedRecords(table, [...byCreation]), 'the same order object while nothing changed');

	table.set('d', record('d', 4));
	t.deepEqual(ids(), ['d', 'b', 'c', 'a']);

	const replaced = record('a', 5);
	table.set('a', replaced);
	t.deepEqual(ids(), ['a', 'd', 'b', 'c']);
	t.is(sortedRecords(table, [...byCreation])?.[0], replaced, 'the new record, not the one it replaced');

	table.delete('b');
	t.deepEqual(ids(), ['a', 'd', 'c']);
	t.false(table.delete('b'));
	table.clear();
	t.deepEqual(ids(), []);
});

test('an order by a field that can change in place is never cached', t => {
	const table = new Table<Sortable>();
	table.set('a', record('a', 1, 'x'));
	const sortOf = (query: string) => () => parseSort(new URLSearchParams(query));
	t.is(sortedRecords(table, sortOf('sort=name:asc')()), undefined);
	t.false(orderedRecords(table, sortOf('sort=name:asc')).isSorted);
	t.true(orderedRecords(table, sortOf('')).isSorted);
	// A sort the request gets wrong is left for the page to refuse.
	t.false(orderedRecords(table, sortOf('sort=nope')).isSorted);
});

test('derived values are computed once per version of the table', t => {
	const table = new Table<Sortable>();
	table.set('a', record('a', 1));
	let runs = 0;
	const count = () => derived(table, 'count', records => {
		runs++;
		return records.length;
	});
	t.is(count(), 1);
	t.is(count(), 1);
	t.is(runs, 1);
	table.set('b', record('b', 2));
	t.is(count(), 2);
	t.is(runs, 2);
});

test('pages served from the cached order are the pages sorted afresh, filtered or not', t => {
	const table = new Table<Sortable>();
	for (let index = 0; index < 2500; index++) {
		// Many equal creation times: the ID decides.
		const id = `id-${String((index * 7919) % 2500).padStart(4, '0')}`;
		table.set(id, record(id, Math.floor(index / 10)));
	}

	const isKept = (item: Sortable) => !item.id.endsWith('3');
	for (const query of ['limit=1000', 'limit=1000&offset=1000', 'limit=1000&offset=2000', 'limit=300&marker=id-0042', 'sort=created_at:asc&limit=700']) {
		const parameters = new URLSearchParams(query);
		const {records, isSorted} = orderedRecords(table, () => parseSort(parameters));
		t.true(isSorted);
		const cached = markerPage([...records].filter(item => isKept(item)), parameters, 'http://x/items', {maxLimit: 1000, notFound: marker => marker, isSorted});
		const fresh = markerPage(sortItems([...table.values()].filter(item => isKept(item)), parseSort(parameters)), parameters, 'http://x/items', {maxLimit: 1000, notFound: marker => marker, isSorted: true});
		t.deepEqual(cached.page.map(item => item.id), fresh.page.map(item => item.id), `page of ${query}`);
		t.is(cached.next, fresh.next, `next link of ${query}`);
	}
});
