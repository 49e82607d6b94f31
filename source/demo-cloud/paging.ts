/* eslint-disable @typescript-eslint/no-restricted-types -- OpenStack's JSON has nulls; records mirror it. */

/*
Marker/limit paging and sorting as Cinder and Nova do it (`*_links` with rel=next when a full page came back).
*/
import {createHash} from 'node:crypto';
import {HttpError} from './http.js';

export type Sortable = {id: string; createdAt: number; updatedAt?: number | null; name?: string | null; status?: string; size?: number | null};

type SortKey = {key: string; direction: 'asc' | 'desc'};

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
Sort orders already computed, by sort keys and the identity of the item set. Only orders by fields that never change
(created_at, id) are kept, so a cached order stays right for as long as the same items are listed: a big list read page by
page is sorted once, not once per page (the real services answer from an index).
*/
const sortedOrders = new Map<string, {sorted: Sortable[]; members: Set<Sortable>}>();
const immutableSortKeys = new Set(['created_at', 'id']);

function fingerprint(items: readonly Sortable[]): string {
	const hash = createHash('sha1');
	for (const item of items) {
		hash.update(item.id);
	}

	return `${items.length}:${hash.digest('hex')}`;
}

export function sortItems<T extends Sortable>(items: T[], keys: SortKey[]): T[] {
	if (items.length < 1000 || keys.some(key => !immutableSortKeys.has(key.key))) {
		return sortUncached(items, keys);
	}

	const cacheKey = `${keys.map(key => `${key.key}:${key.direction}`).join(',')}|${fingerprint(items)}`;
	const cached = sortedOrders.get(cacheKey);
	// The same records (not only the same IDs): the cached order is handed out as it is, without re-mapping the set.
	if (cached !== undefined && items.every(item => cached.members.has(item))) {
		return cached.sorted as T[];
	}

	const sorted = sortUncached(items, keys);
	if (sortedOrders.size >= 16) {
		sortedOrders.delete(sortedOrders.keys().next().value!);
	}

	sortedOrders.set(cacheKey, {sorted, members: new Set(sorted)});
	return sorted;
}

function sortUncached<T extends Sortable>(items: T[], keys: SortKey[]): T[] {
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
 Sorts, applies marker/offset/limit and builds the next link (absolute URL of `collectionUrl` with the request's
 query, limit and new marker) when the page is full.
 */
export function markerPage<T extends Sortable>(
	items: T[],
	query: URLSearchParams,
	collectionUrl: string,
	options: {maxLimit: number; notFound: (marker: string) => string},
): {page: T[]; next?: string} {
	const sorted = sortItems(items, parseSort(query));
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
