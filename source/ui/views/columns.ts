/*
The one function that turns columns and items into rows, and what several views' columns share: the protection and key
cells, ages, names, sort ranks.
*/
import type {CloudResourceKind, ResourceRef, Severity} from '../../core/model.js';
import type {ResourceSummary} from '../analysis.js';
import {age} from '../format.js';
import {displayName, sanitize} from '../sanitize.js';
import {keyStateStyle, protectionStyle} from '../theme.js';
import type {
	Cell,
	ColumnDef,
	Row,
	RowIdentity,
	ViewContext,
	ViewDefinition,
	ViewSpec,
} from './types.js';

/**
One row per item: each column's cell gives the row its text, colour and sort value at that column's index.
*/
export function buildRows<Item>(
	columns: ReadonlyArray<ColumnDef<Item>>,
	items: readonly Item[],
	options: {context: ViewContext; identify(item: Item, context: ViewContext): RowIdentity},
): Row[] {
	const {context, identify} = options;
	return items.map(item => {
		const cells: Cell[] = columns.map(column => column.value(item, context));
		return {
			...identify(item, context),
			cells: cells.map(cell => cell.text),
			styles: cells.map(cell => cell.style),
			sort: cells.map(cell => cell.sort ?? cell.text),
		};
	});
}

/**
The `ViewSpec` of a definition: its default sort column found by id, its rows built from its columns.
*/
export function defineView<Item>(definition: ViewDefinition<Item>): ViewSpec {
	const {columns} = definition;
	const sortIndex = columns.findIndex(column => column.id === definition.defaultSort.column);
	if (sortIndex === -1) {
		throw new Error(`view ${definition.id}: no column ${definition.defaultSort.column} to sort on`);
	}

	return {
		id: definition.id,
		title: definition.title,
		columns: [...columns],
		defaultSort: {column: sortIndex, descending: definition.defaultSort.descending},
		build: context => buildRows(columns, definition.items(context), {context, identify: definition.identify}),
	};
}

export const severityRank: Record<Severity, number> = {
	critical: 0, warning: 1, info: 2, ok: 3,
};
const protectionRank: Record<ResourceSummary['protection'], number> = {
	error: 0, unprotected: 1, unknown: 2, 'snapshot-only': 3, stale: 4, protected: 5, verified: 6, 'n/a': 7,
};

/**
The text, or the fallback when the text is empty.
*/
export function orElse(text: string, fallback: string): string {
	return text === '' ? fallback : text;
}

/**
Milliseconds since the epoch, 0 when there is no (valid) time.
*/
export function time(iso: string | undefined): number {
	const value = iso === undefined ? NaN : Date.parse(iso);
	return Number.isNaN(value) ? 0 : value;
}

export function searchText(...parts: Array<string | undefined>): string {
	return parts.filter(Boolean).join(' ').toLowerCase();
}

export function ref(kind: CloudResourceKind, id: string, name?: string): ResourceRef {
	return {kind, id, name: name === undefined ? undefined : sanitize(name)};
}

/**
A name with the mark (protect-now, or a drill) in front; sorted without it, ignoring case.
*/
export function nameCell(name: string, isMarked = false): Cell {
	return {text: isMarked ? `● ${name}` : name, sort: name.toLowerCase()};
}

/**
An item with the summary core made of it (protection, key state, last backup).
*/
export type Summarised = {summary?: ResourceSummary};

export function protectionColumn<Item extends Summarised>(): ColumnDef<Item> {
	return {
		id: 'protection',
		title: 'PROTECTION',
		width: 13,
		value({summary}) {
			if (summary === undefined) {
				return {text: '… reading', style: {}, sort: 9};
			}

			const style = protectionStyle[summary.protection];
			return {text: `${style.symbol} ${style.label}`, style: {color: style.color}, sort: protectionRank[summary.protection]};
		},
	};
}

/**
The key's state: `-` for an item that is not encrypted.
*/
export function keyColumn<Item extends Summarised>(isEncrypted: (item: Item) => boolean): ColumnDef<Item> {
	return {
		id: 'key',
		title: 'KEY',
		width: 10,
		value(item) {
			const {summary} = item;
			if (!isEncrypted(item) && (summary === undefined || summary.keyState === 'none')) {
				return {text: '-', style: {}};
			}

			const state = summary?.keyState ?? 'unknown';
			const style = keyStateStyle[state === 'none' ? 'unknown' : state];
			return {text: `${style.symbol} ${state}`, style: {color: style.color}};
		},
	};
}

/**
How long ago `when` was; the newest first when sorted ascending.
*/
export function ageColumn<Item>(
	when: (item: Item) => string | undefined,
	column?: {id: string; title: string; width: number},
): ColumnDef<Item> {
	return {
		...(column ?? {id: 'age', title: 'AGE', width: 5}),
		align: 'right',
		value(item, {now}) {
			const iso = when(item);
			return {text: age(iso, now), sort: -time(iso)};
		},
	};
}

/**
When the item was last backed up (volumes, servers).
*/
export function lastBackupColumn<Item extends Summarised>(): ColumnDef<Item> {
	return ageColumn(item => item.summary?.lastBackupAt, {id: 'backup', title: 'BACKUP', width: 7});
}

/**
The name of the volume an item was made from, or `gone <id>` when the volume no longer exists.
*/
export function volumeNameOf(context: ViewContext): (volumeId: string) => string {
	const names = new Map((context.inventory?.volumes ?? []).map(volume => [volume.id, displayName(volume)]));
	return volumeId => names.get(volumeId) ?? `gone ${volumeId.slice(0, 8)}`;
}
