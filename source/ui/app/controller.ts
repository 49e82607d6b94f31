/*
What each key does in the App (the "controller" in lazygit's words): keymap.ts says which key is which binding in which
mode; here each binding's handler, the filter's and the palette's typing, and the routing of keys to the plan screen while
it is open. The handlers read the screen as drawn: the input queue (sequential-input.ts) hands over one key per render,
so a key typed ahead sees what the key before it did.
*/
import type {Dispatch, SetStateAction} from 'react';
import type {Key} from 'ink';
import type {Inventory} from '../../core/model.js';
import type {AppServices} from '../services.js';
import type {KeyHandler} from '../sequential-input.js';
import {findBinding, type Binding, type InputContext} from '../keymap.js';
import {
	layoutColumns,
	views,
	type Row,
	type ViewId,
	type ViewSpec,
} from '../views/index.js';
import {sanitize} from '../sanitize.js';
import type {CloudState} from '../use-cloud.js';
import type {PaletteItem} from '../components/palette.js';
import type {Flow, FlowResult} from '../flows/index.js';
import {resourceKeys, toggleMark, type Selection} from './resource-keys.js';

export type Sort = {column: number; isDescending: boolean};

type Setter<T> = Dispatch<SetStateAction<T>>;

/**
The App as the keys see it: what is on screen, and what changes it.
*/
export type AppControl = {
	readonly mode: InputContext;
	readonly viewId: ViewId;
	readonly view: ViewSpec;
	readonly rows: readonly Row[];
	/**
	The selected row of the list.
	*/
	readonly current: Row | undefined;
	/**
	The row of the detail pane or raw JSON.
	*/
	readonly detailRow: Row | undefined;
	readonly sort: Sort;
	readonly width: number;
	/**
	Rows of the table (and lines of the text being read) that fit.
	*/
	readonly bodyHeight: number;
	/**
	Lines of the text being read (detail, raw JSON, help).
	*/
	readonly textLength: number;
	readonly matches: readonly PaletteItem[];
	readonly paletteIndex: number;
	readonly marks: ReadonlySet<string>;
	readonly bindings: readonly Binding[];
	readonly inventory: Inventory | undefined;
	readonly services: AppServices;
	readonly cloud: CloudState;
	/**
	Hands a key to the plan screen while it is open.
	*/
	readonly toPlanScreen: KeyHandler;
	exit(): void;
	setMode(mode: InputContext): void;
	setViewId(view: ViewId): void;
	/**
	Selects a row: a number, or a function of the current selection.
	*/
	moveTo(target: number | ((selected: number) => number)): void;
	/**
	Forgets every view's selection (another project or cloud).
	*/
	resetPositions(): void;
	setFilters: Setter<Partial<Record<ViewId, string>>>;
	setSorts: Setter<Partial<Record<ViewId, Sort>>>;
	setScroll: Setter<number>;
	setQuery: Setter<string>;
	setPaletteIndex: Setter<number>;
	setDetailRow(row: Row | undefined): void;
	setMessage(message: string | undefined): void;
	setFlow(flow: Flow | undefined): void;
	setMarks(marks: ReadonlySet<string>): void;
	/**
	Runs the plugin of this binding id on the row the keys act on (asking first when it says so).
	*/
	runPlugin(id: string): void;
	/**
	The answer to a plugin's y/n question.
	*/
	answerPlugin(isYes: boolean): void;
};

type Handler = (context: InputContext, input: string) => void;

const scrolling = new Set<InputContext>(['detail', 'help', 'raw', 'output']);

function isTyping(input: string, key: Key): boolean {
	return !key.ctrl && !key.meta && input !== '' && !key.upArrow && !key.downArrow && !key.return && !key.escape;
}

function withoutLast(value: string): string {
	return [...value].slice(0, -1).join('');
}

/**
The App's key handler for the screen as it is drawn now (a key sees the render before it: one key per render).
*/
export function appKeys(app: AppControl): KeyHandler {
	const page = Math.max(1, app.bodyHeight - 1);
	// The row a resource key acts on: the one in the detail pane, else the selected one.
	const target = () => (app.mode === 'detail' ? app.detailRow : app.current);
	const selection = (): Selection => ({
		row: target(), viewId: app.viewId, inventory: app.inventory, marks: app.marks, version: app.services.version,
	});

	const scrollBy = (delta: number) => {
		app.setScroll(value => Math.max(0, Math.min(Math.max(0, app.textLength - app.bodyHeight), value + delta)));
	};

	/**
	Moves the list selection, or scrolls the text being read.
	*/
	const move = (delta: number, absolute?: 'top' | 'bottom') => {
		if (scrolling.has(app.mode)) {
			if (absolute === 'top') {
				app.setScroll(0);
			} else {
				scrollBy(absolute === 'bottom' ? app.textLength : delta);
			}
		} else if (absolute === undefined) {
			app.moveTo(previous => previous + delta);
		} else {
			app.moveTo(absolute === 'top' ? 0 : app.rows.length - 1);
		}
	};

	const switchView = (id: ViewId) => {
		app.setViewId(id);
		app.setMode('list');
		app.setScroll(0);
	};

	const switchProject = (projectId: string) => {
		app.resetPositions();
		app.setMarks(new Set());
		void app.cloud.switchProject(projectId).then(app.setMessage);
	};

	const switchCloud = (name: string) => {
		app.resetPositions();
		app.setMarks(new Set());
		app.setMessage(`cloud ${sanitize(name)}`);
		app.cloud.switchCloud(name);
	};

	const openRow = (row: Row | undefined) => {
		if (row?.enter?.type === 'switch-project') {
			switchProject(row.enter.projectId);
		} else if (row?.enter?.type === 'switch-cloud') {
			switchCloud(row.enter.cloud);
		} else if (row !== undefined) {
			app.setDetailRow(row);
			app.setScroll(0);
			app.setMode('detail');
		}
	};

	const startFlow = (result: FlowResult) => {
		if (app.cloud.session === undefined || app.inventory === undefined) {
			app.setMessage('not connected yet');
		} else if (typeof result === 'string') {
			app.setMessage(result);
		} else {
			app.setFlow(result);
			app.setMode('restore');
		}
	};

	const handlers: Record<string, Handler> = {
		'nav.down'(context) {
			if (context === 'palette') {
				app.setPaletteIndex(index => Math.min(app.matches.length - 1, index + 1));
			} else {
				move(1);
			}
		},
		'nav.up'(context) {
			if (context === 'palette') {
				app.setPaletteIndex(index => Math.max(0, index - 1));
			} else {
				move(-1);
			}
		},
		'nav.pageDown'() {
			move(page);
		},
		'nav.pageUp'() {
			move(-page);
		},
		'nav.top'() {
			move(0, 'top');
		},
		'nav.bottom'() {
			move(0, 'bottom');
		},
		'nav.enter'(context) {
			if (context !== 'palette') {
				openRow(app.current);
				return;
			}

			const item = app.matches[Math.min(app.paletteIndex, app.matches.length - 1)];
			if (item !== undefined) {
				runPaletteItem(item);
			}
		},
		'nav.back'() {
			app.setQuery('');
			app.setMode('list');
			app.setScroll(0);
		},
		'view.next'() {
			const index = views.findIndex(candidate => candidate.id === app.viewId);
			switchView(views[(index + 1) % views.length]?.id ?? 'audit');
		},
		'view.previous'() {
			const index = views.findIndex(candidate => candidate.id === app.viewId);
			switchView(views[(index + views.length - 1) % views.length]?.id ?? 'audit');
		},
		'view.jump'(_context, input) {
			const jump = views[Number(input) - 1];
			if (jump !== undefined) {
				switchView(jump.id);
			}
		},
		'app.palette'() {
			app.setQuery('');
			app.setPaletteIndex(0);
			app.setMode('palette');
		},
		'list.filter'() {
			app.setMode('filter');
		},
		'list.sort'() {
			const {view, sort} = app;
			const shown = layoutColumns(view.columns, app.width - 1).map(entry => entry.index);
			const next = shown[(shown.indexOf(sort.column) + 1) % shown.length] ?? 0;
			app.setSorts(previous => ({...previous, [app.viewId]: {column: next, isDescending: false}}));
			app.setMessage(`sorted by ${view.columns[next]?.title.trim() ?? ''}`);
		},
		'list.sortReverse'() {
			app.setSorts(previous => ({...previous, [app.viewId]: {column: app.sort.column, isDescending: !app.sort.isDescending}}));
		},
		'resource.copyId'() {
			const id = target()?.copyId;
			if (id === undefined) {
				return;
			}

			app.services.copy(id);
			app.setMessage(`copied ${sanitize(id)}`);
		},
		'resource.raw'() {
			const row = target();
			if (row === undefined) {
				return;
			}

			app.setDetailRow(row);
			app.setScroll(0);
			app.setMode('raw');
		},
		'app.refresh'() {
			app.cloud.refresh();
		},
		'app.help'(context) {
			app.setScroll(0);
			app.setMode(context === 'help' ? 'list' : 'help');
		},
		'app.quit'() {
			app.exit();
		},
		'backup.mark'() {
			const marks = toggleMark({...selection(), row: app.current});
			if (typeof marks === 'string') {
				app.setMessage(marks);
				return;
			}

			app.setMarks(marks);
			move(1);
		},
	};

	function runBinding(binding: Binding, context: InputContext, input: string): void {
		const handler = handlers[binding.id];
		const resourceKey = resourceKeys[binding.id];
		if (handler) {
			handler(context, input);
		} else if (binding.id.startsWith('plugin.')) {
			app.runPlugin(binding.id);
		} else if (resourceKey) {
			const outcome = resourceKey(selection());
			if (outcome.type === 'hint') {
				app.setMessage(outcome.text);
			} else {
				startFlow(outcome.flow);
			}
		} else if (binding.disabledReason !== undefined) {
			app.setMessage(`${binding.description}: ${binding.disabledReason}`);
		}
	}

	function runPaletteItem(item: PaletteItem): void {
		app.setMode('list');
		app.setQuery('');
		switch (item.type) {
			case 'view': {
				switchView(item.view);
				break;
			}

			case 'cloud': {
				switchCloud(item.cloud);
				break;
			}

			case 'project': {
				switchProject(item.projectId);
				break;
			}

			case 'action': {
				runBinding(item.binding, 'list', '');
				break;
			}
		}
	}

	const onFilterKey = (input: string, key: Key) => {
		const filtered = app.viewId;
		if (key.return) {
			app.setMode('list');
		} else if (key.escape) {
			app.setFilters(previous => ({...previous, [filtered]: ''}));
			app.setMode('list');
		} else if (key.backspace || key.delete) {
			app.setFilters(previous => ({...previous, [filtered]: withoutLast(previous[filtered] ?? '')}));
		} else if (isTyping(input, key)) {
			app.setFilters(previous => ({...previous, [filtered]: (previous[filtered] ?? '') + sanitize(input)}));
			app.moveTo(0);
		}
	};

	const onPaletteKey = (input: string, key: Key) => {
		if (key.backspace || key.delete) {
			app.setQuery(value => withoutLast(value));
			app.setPaletteIndex(0);
		} else if (isTyping(input, key)) {
			app.setQuery(value => value + sanitize(input));
			app.setPaletteIndex(0);
		} else {
			const binding = findBinding(app.bindings, 'palette', input, key);
			if (binding !== undefined) {
				runBinding(binding, 'palette', input);
			}
		}
	};

	return (input: string, key: Key) => {
		const {mode} = app;
		if (mode === 'restore') {
			app.toPlanScreen(input, key);
			return;
		}

		if (mode === 'filter') {
			onFilterKey(input, key);
			return;
		}

		if (mode === 'palette') {
			onPaletteKey(input, key);
			return;
		}

		if (mode === 'ask') {
			// Only y runs it; n and Esc say no, anything else waits for an answer.
			if (key.escape || ['y', 'n'].includes(input)) {
				app.answerPlugin(input === 'y');
			}

			return;
		}

		const binding = findBinding(app.bindings, mode, input, key);
		if (binding === undefined) {
			return;
		}

		app.setMessage(undefined);
		runBinding(binding, mode, input);
	};
}
