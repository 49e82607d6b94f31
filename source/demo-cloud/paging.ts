/* eslint-disable unicorn/prefer-iterator-to-array -- the project's TypeScript lib has no iterator helpers. */
/* eslint-disable @typescript-eslint/no-restricted-types -- OpenStack's JSON has nulls; records mirror it. */

/*
Marker/limit paging and sorting as Cinder and Nova do it (`*_links` with rel=next when a full page came back).
*/
import {HttpError} from './http.js';

export type Sortable = {id: string; createdAt: number; updatedAt?: number | null; name?: string | null; status?: string; size?: number | null};

export type SortKey = {key: string; direction: 'asc' | 'desc'};

const sortableKeys = new Set(['created_at', 'updated_at', 'name', 'id', 'status', 'size']);

export function parseSort(query: URLSearchParams): SortKey[] {
	const sort = query.get('sort');
	const sortKey = query.get('sort_key');
	const sortDirection = query.get('sort_dir');
	if (sort !== null && (sortKey !== null || sortDirection !== null)) {
		throw new HttpError(400, 'The \'sort_key\' and \'sort_dir\' parameters are deprecated and cannot be used with the \'sort\' parameter.');
	}

	const keys: SortKey[] = [];
	if (sort === null) {
		if (sortKey !== null) {
			keys.push({key: sortKey, direction: sortDirection === 'asc' ? 'asc' : 'desc'});
		}
	} else {
		for (const part of sort.split(',')) {
			const [key = '', direction = 'desc'] = part.trim().split(':', 2);
			if (direction !== 'asc' && direction !== 'desc') {
				throw new HttpError(400, 'Unknown sort direction, must be \'desc\' or \'asc\'');
			}

			keys.push({key, direction});
		}
	}

	for (const {key} of keys) {
		if (!sortableKeys.has(key)) {
			throw new HttpError(400, `Invalid input received: Invalid sort key ${key}`);
		}
	}

	if (keys.length === 0) {
		keys.push({key: 'created_at', direction: 'desc'});
	}

	if (keys.every(key => key.key !== 'id')) {
		keys.push({key: 'id', direction: keys[0]?.direction ?? 'desc'});
	}

	return keys;
}

function value(item: Sortable, key: string): string | number {
	switch (key) {
		case 'created_at': {
			return item.createdAt;
		}

		case 'updated_at': {
			return item.updatedAt ?? 0;
		}

		case 'name': {
			return item.name ?? '';
		}

		case 'status': {
			return item.status ?? '';
		}

		case 'size': {
			return item.size ?? 0;
		}

		default: {
			return item.id;
		}
	}
}

/**
A table of resources (ID → record) that counts its changes. What is derived from the set of records it holds (an order
by fields that never change, the set of parents) is computed once per version and reused for every page of a list, as a
real service answers a big list page by page from its database's indexes instead of sorting the whole table for each
page. A record changed in place does not change the version: only what depends on fields that never change (its
`created_at`, its `id`, a backup's parent) may be derived.
*/
export class Table<V> extends Map<string, V> {
	#version = 0;

	get version(): number {
		return this.#version;
	}

	override set(key: string, record: V): this {
		this.#version++;
		return super.set(key, record);
	}

	override delete(key: string): boolean {
		const isDeleted = super.delete(key);
		if (isDeleted) {
			this.#version++;
		}

		return isDeleted;
	}

	override clear(): void {
		this.#version++;
		super.clear();
	}
}

const derivations = new WeakMap<Table<unknown>, {version: number; results: Map<string, unknown>}>();

/**
`compute(records)` for the table as it is now, computed once per table version and `key`. Callers must not change what
it returns.
*/
export function derived<V, R>(table: Table<V>, key: string, compute: (records: V[]) => R): R {
	let entry = derivations.get(table);
	if (entry?.version !== table.version) {
		entry = {version: table.version, results: new Map()};
		derivations.set(table, entry);
	}

	if (!entry.results.has(key)) {
		entry.results.set(key, compute([...table.values()]));
	}

	return entry.results.get(key) as R;
}

const immutableSortKeys = new Set(['created_at', 'id']);

/**
The table's records sorted by `keys`, when every key is one that never changes (created_at, id): computed once per
table version. Otherwise undefined (sort what is listed with {@link sortItems}). Read-only.
*/
export function sortedRecords<T extends Sortable>(table: Table<T>, keys: SortKey[]): readonly T[] | undefined {
	return keys.some(key => !immutableSortKeys.has(key.key))
		? undefined
		: derived(table, `sort:${keys.map(key => `${key.key}:${key.direction}`).join(',')}`, records => sortItems(records, keys));
}

/**
What a list handler selected: the records, and whether they are already in the order asked for.
*/
export type Listed<T> = {items: T[]; isSorted: boolean};

/**
The table's records in the order the request's sort asks, when that order is cached ({@link sortedRecords}); else in
table order, for the page to sort. A sort the request gets wrong is left for the page to refuse, after the filters.
*/
export function orderedRecords<T extends Sortable>(table: Table<T>, parse: () => SortKey[]): {records: Iterable<T>; isSorted: boolean} {
	let keys: SortKey[];
	try {
		keys = parse();
	} catch {
		return {records: table.values(), isSorted: false};
	}

	const sorted = sortedRecords(table, keys);
	return sorted === undefined ? {records: table.values(), isSorted: false} : {records: sorted, isSorted: true};
}

/**
The items sorted by `keys` (a new array).
*/
export function sortItems<T extends Sortable>(items: readonly T[], keys: SortKey[]): T[] {
	return items.toSorted((a, b) => {
		for (const {key, direction} of keys) {
			const left = value(a, key);
			const right = value(b, key);
			if (left !== right) {
				const order = left < right ? -1 : 1;
				return direction === 'asc' ? order : -order;
			}
		}

		return 0;
	});
}

/**
 Sorts (unless `isSorted`: the items are in the order the query asks already), applies marker/offset/limit and
 builds the next link (absolute URL of `collectionUrl` with the request's query, limit and new marker) when the page
 is full.
 */
export function markerPage<T extends Sortable>(
	items: T[],
	query: URLSearchParams,
	collectionUrl: string,
	options: {maxLimit: number; notFound: (marker: string) => string; isSorted?: boolean},
): {page: T[]; next?: string} {
	const keys = parseSort(query);
	const sorted = options.isSorted === true ? items : sortItems(items, keys);
	let start = 0;
	const marker = query.get('marker');
	if (marker !== null && marker !== '') {
		const index = sorted.findIndex(item => item.id === marker);
		if (index === -1) {
			throw new HttpError(404, options.notFound(marker));
		}

		start = index + 1;
	}

	const offsetRaw = query.get('offset');
	if (offsetRaw !== null) {
		const offset = Number(offsetRaw);
		if (!Number.isSafeInteger(offset) || offset < 0) {
			throw new HttpError(400, `Invalid value '${offsetRaw}' for offset`);
		}

		start += offset;
	}

	const limitRaw = query.get('limit');
	let limit = options.maxLimit;
	if (limitRaw !== null) {
		const parsed = Number(limitRaw);
		if (!Number.isSafeInteger(parsed) || parsed < 0) {
			throw new HttpError(400, `Invalid value '${limitRaw}' for limit`);
		}

		limit = Math.min(parsed, options.maxLimit);
	}

	const page = sorted.slice(start, start + limit);
	const last = page.at(-1);
	if (!last || page.length < limit) {
		return {page};
	}

	const parameters = new URLSearchParams(query);
	parameters.delete('offset');
	parameters.set('limit', String(limit));
	parameters.set('marker', last.id);
	return {page, next: `${collectionUrl}?${parameters.toString()}`};
}
