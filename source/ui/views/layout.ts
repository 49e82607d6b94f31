/*
What the table does with any view's rows: filter and sort them, and fit its columns to the terminal's width.
*/
import type {Column, Row} from './types.js';

/**
Filters (every space-separated word must occur) and sorts the rows; stable.
*/
export function arrange(rows: readonly Row[], options: {filter: string; sortColumn: number; descending: boolean}): Row[] {
	const words = options.filter.toLowerCase().split(/\s+/v).filter(Boolean);
	const kept = words.length === 0 ? [...rows] : rows.filter(row => words.every(word => row.search.includes(word)));
	const direction = options.descending ? -1 : 1;
	return kept
		.map((row, index) => ({row, index}))
		.toSorted((left, right) => {
			const a = left.row.sort[options.sortColumn];
			const b = right.row.sort[options.sortColumn];
			let order = 0;
			if (typeof a === 'number' && typeof b === 'number') {
				order = a - b;
			} else if (a !== undefined && b !== undefined) {
				order = String(a).localeCompare(String(b));
			}

			return order === 0 ? left.index - right.index : order * direction;
		})
		.map(entry => entry.row);
}

/**
Column widths for the available width: drop the least important columns until the fixed ones fit, then grow.
*/
export function layoutColumns(columns: readonly Column[], width: number): Array<{column: Column; index: number; width: number}> {
	let shown = columns.map((column, index) => ({column, index}));
	const needed = (list: typeof shown) => list.reduce((sum, entry) => sum + entry.column.width + 1, 0);
	while (needed(shown) > width) {
		const worst = Math.max(...shown.map(entry => entry.column.drop ?? 0));
		if (worst === 0) {
			break;
		}

		const position = shown.findLastIndex(entry => (entry.column.drop ?? 0) === worst);
		shown = shown.filter((_, index) => index !== position);
	}

	const spare = Math.max(0, width - needed(shown));
	return shown.map(entry => ({
		...entry,
		width: entry.column.width + (entry.column.grow ? spare : 0),
	}));
}
