/*
What a view is: columns that each know how to show one item (a cell's text, colour and sort key), and the items. A view
module declares a `ViewDefinition`; `defineView` (columns.ts) turns it into the `ViewSpec` the screens read.
*/
import type {Finding, Inventory, ResourceRef} from '../../core/model.js';
import type {Project} from '../../core/types.js';
import type {Analysis} from '../analysis.js';

export type ViewId = 'audit' | 'volumes' | 'backups' | 'snapshots' | 'servers' | 'images' | 'secrets' | 'projects' | 'clouds';

/**
A column's place on the screen: what the table lays out.
*/
export type Column = {
	id: string;
	title: string;
	/**
	Cells; the `grow` column also takes whatever width is left.
	*/
	width: number;
	grow?: boolean;
	align?: 'left' | 'right';
	/**
	Columns with a higher number are dropped first when the terminal is narrow. 0 = always shown.
	*/
	drop?: number;
};

export type CellStyle = {color?: string};

export type Row = {
	key: string;
	ref?: ResourceRef;
	/**
	What `c` copies.
	*/
	copyId?: string;
	cells: string[];
	/**
	Per cell: a colour (only when the theme allows colour).
	*/
	styles?: Array<CellStyle | undefined>;
	/**
	Per column, the value sorting uses.
	*/
	sort: Array<string | number>;
	/**
	Lower-case text the `/` filter searches.
	*/
	search: string;
	/**
	The resource as the cloud returned it, for `y`.
	*/
	raw?: unknown;
	/**
	Where Enter goes instead of the detail pane.
	*/
	enter?: {type: 'switch-project'; projectId: string} | {type: 'switch-cloud'; cloud: string};
	/**
	The finding a row of the audit stands for.
	*/
	finding?: Finding;
};

export type CloudEntry = {name: string; source: string};

export type ViewContext = {
	inventory?: Inventory;
	analysis?: Analysis;
	now: Date;
	projects: Project[];
	clouds: CloudEntry[];
	cloud?: string;
	projectId?: string;
	/**
	Volumes marked for protect-now and backups marked for a drill: shown with a ● before the name.
	*/
	marks?: ReadonlySet<string>;
};

/**
A view as the screens read it: columns to lay out, rows to draw.
*/
export type ViewSpec = {
	id: ViewId;
	title: string;
	columns: Column[];
	/**
	Index of the column sorted on by default, and whether descending.
	*/
	defaultSort: {column: number; descending: boolean};
	build(context: ViewContext): Row[];
};

/**
One cell of one row: its (sanitised) text, its colour, and the value sorting uses (the text when absent).
*/
export type Cell = {text: string; style?: CellStyle; sort?: string | number};

/**
A column and how it shows an item. Adding a column to a view is adding one of these to its list.
*/
export type ColumnDef<Item> = Column & {
	value(item: Item, context: ViewContext): Cell;
};

/**
What a row is apart from its cells: its identity, what `/` searches, what `y` shows, where Enter goes.
*/
export type RowIdentity = Omit<Row, 'cells' | 'styles' | 'sort'>;

export type ViewDefinition<Item> = {
	id: ViewId;
	title: string;
	columns: ReadonlyArray<ColumnDef<Item>>;
	/**
	The column (by id) sorted on by default.
	*/
	defaultSort: {column: string; descending: boolean};
	/**
	The items, one per row, from the context (each usually the resource plus what its cells share: name, summary).
	*/
	items(context: ViewContext): Item[];
	identify(item: Item, context: ViewContext): RowIdentity;
};
