/*
The interactive view. The cloud side of the state lives in useCloud; this file holds what the user is looking at (view,
row, mode) and what each key does. Which key does what comes from keymap.ts, every row from views.ts, and every
cloud-supplied string has passed through sanitize() before it gets here.
*/
import {
	type ReactNode,
	useCallback,
	useMemo,
	useRef,
	useState,
} from 'react';
import {
	Box,
	Text,
	useApp,
	useWindowSize,
	type Key,
} from 'ink';
import type {AppServices} from './services.js';
import {useSequentialInput, type KeyHandler} from './sequential-input.js';
import {
	activeBindings,
	findBinding,
	type Binding,
	type InputContext,
} from './keymap.js';
import {makeTheme, paint} from './theme.js';
import {
	arrange,
	layoutColumns,
	viewById,
	views,
	type Row,
	type ViewContext,
	type ViewId,
} from './views.js';
import {sanitize} from './sanitize.js';
import {useCloud, type CloudState} from './use-cloud.js';
import {Table} from './components/table.js';
import {Header} from './components/header.js';
import {Footer} from './components/footer.js';
import {detailLines} from './components/detail.js';
import {ScrollText, type Line} from './components/scroll-text.js';
import {Palette, paletteItems, type PaletteItem} from './components/palette.js';
import {helpLines} from './components/help.js';
import {fuzzyFilter} from './fuzzy.js';
import {PlanScreen} from './plan-screen.js';
import {
	imageDownload,
	imageFromFile,
	keyExport,
	protectNow,
	restoreOntoFromBackup,
	restoreOntoFromVolume,
	restoreToNewVolume,
	secretFromFile,
	serverImage,
	volumeBackup,
	volumeFromImage,
	volumeToImage,
	type Flow,
	type FlowResult,
} from './flows.js';

export type AppProps = {
	readonly services: AppServices;
	/**
	Hide every action that changes the cloud (`--readonly`).
	*/
	readonly isReadonly?: boolean;
	/**
	Cloud to open (default: the connector's choice).
	*/
	readonly cloud?: string;
	/**
	Project name or ID to open (default: the token's).
	*/
	readonly project?: string;
	/**
	Set when the clouds are simulated: shown as a banner.
	*/
	readonly demoReason?: string;
	/**
	Fixed size (tests, media); default: the terminal's, following resizes.
	*/
	readonly size?: {columns: number; rows: number};
	/**
	First view (default: audit).
	*/
	readonly initialView?: ViewId;
};

type Position = {selected: number; offset: number};

/**
Lines above and below the table: title, capabilities, tabs, table header, status, footer (+ the demo banner).
*/
function chromeLines(hasBanner: boolean): number {
	return 6 + (hasBanner ? 1 : 0);
}

function jsonLines(value: unknown): string[] {
	let text: string;
	try {
		text = JSON.stringify(value, undefined, 2) ?? 'undefined';
	} catch {
		text = '(not serialisable)';
	}

	// JSON.stringify escapes control characters inside strings; sanitise anyway, this is cloud-supplied text.
	return text.split('\n').map(line => sanitize(line));
}

function scrollTitle(mode: InputContext, row: Row | undefined): string {
	if (mode === 'help') {
		return 'Keys (Esc closes)';
	}

	return mode === 'raw' ? `Raw JSON of ${row?.ref?.kind ?? 'row'} ${row?.ref?.name ?? row?.ref?.id ?? ''} (Esc closes)` : 'Detail (Esc back, y raw JSON, c copy ID)';
}

function emptyText(cloud: CloudState, title: string, filter: string): string {
	if (cloud.inventory === undefined && cloud.phase !== 'idle') {
		return 'loading…';
	}

	if (filter !== '') {
		return 'no row matches the filter';
	}

	// Every resource that holds data gives at least one finding (even "protected"): none means nothing to protect.
	return title === 'Audit' ? 'no findings: this project holds no volumes, servers, images or secrets' : `no ${title.toLowerCase()}`;
}

/**
The first status line when an earlier run left plans unfinished: what they created, and the command that resumes or
removes it.
*/
function unfinishedNotice(plans: NonNullable<AppServices['unfinishedPlans']>): string | undefined {
	if (plans.length === 0) {
		return undefined;
	}

	const created = plans.flatMap(plan => plan.leftovers.map(resource => `${resource.kind} ${sanitize(resource.name ?? resource.id)}`));
	const what = created.length === 0 ? 'nothing created yet' : `created ${created.join(', ')}`;
	const more = plans.length > 1 ? `; ${plans.length - 1} more: backstack journal` : '';
	return `⚠ unfinished plan from an earlier run: backstack journal resume|cleanup ${sanitize(plans[0]?.planId ?? '')} (${what}${more})`;
}

function statusLine(options: {cloud: CloudState; message?: string; filter: string; isFiltering: boolean; shown: number; total: number; marked: number}): string {
	const {cloud} = options;
	let status = options.message ?? '';
	if (cloud.phase === 'connecting' || cloud.phase === 'failed') {
		status = cloud.status ?? '';
	} else if (cloud.phase === 'reading') {
		const counts = Object.entries(cloud.progress).map(([name, count]) => `${name} ${count}`).join(' · ');
		const reading = `${cloud.inventory === undefined ? 'reading' : 'refreshing'}… ${counts}`;
		status = options.message === undefined ? reading : `${options.message}  ${reading}`;
	}

	if (options.isFiltering || options.filter !== '') {
		const cursor = options.isFiltering ? '█' : '';
		status = `/${options.filter}${cursor}  ${options.shown}/${options.total} rows${status === '' ? '' : `  ${status}`}`;
	}

	if (options.marked > 0) {
		const marks = `● ${options.marked} marked · P protects now`;
		status = status === '' ? marks : `${marks}  ${status}`;
	}

	return status === '' ? ' ' : status;
}

export function App(props: AppProps) {
	const {services} = props;
	const {exit} = useApp();
	const terminal = useWindowSize();
	const size = props.size ?? terminal;
	const width = Math.max(40, size.columns);
	const height = Math.max(12, size.rows);
	const theme = useMemo(() => makeTheme({env: services.env, theme: services.theme}), [services.env, services.theme]);
	const bindings = useMemo(() => activeBindings({readonly: props.isReadonly ?? false}), [props.isReadonly]);
	const cloud = useCloud(services, {cloud: props.cloud, project: props.project});

	const [viewId, setViewId] = useState<ViewId>(props.initialView ?? 'audit');
	const [mode, setMode] = useState<InputContext>('list');
	// Keys can arrive several in one read (a paste, tmux send-keys, a fast typist): each must see what the one before did,
	// before React has re-rendered. These refs are updated at once; the state follows for drawing.
	const latest = useRef({mode, viewId});
	// The plan screen's key handler while it is open: the App's one input queue feeds it.
	const planKeys = useRef<KeyHandler | undefined>(undefined);
	const routePlanKeys = useCallback((handler: KeyHandler | undefined) => {
		planKeys.current = handler;
	}, []);
	const enterMode = useCallback((next: InputContext) => {
		latest.current.mode = next;
		setMode(next);
	}, []);
	const goToView = useCallback((next: ViewId) => {
		latest.current.viewId = next;
		setViewId(next);
	}, []);
	const [positions, setPositions] = useState<Partial<Record<ViewId, Position>>>({});
	const [filters, setFilters] = useState<Partial<Record<ViewId, string>>>({});
	const [sorts, setSorts] = useState<Partial<Record<ViewId, {column: number; isDescending: boolean}>>>({});
	const [scroll, setScroll] = useState(0);
	const [query, setQuery] = useState('');
	const [paletteIndex, setPaletteIndex] = useState(0);
	const [detailRow, setDetailRow] = useState<Row | undefined>();
	const [message, setMessage] = useState<string | undefined>(() => unfinishedNotice(services.unfinishedPlans ?? []));
	const [flow, setFlow] = useState<Flow | undefined>();
	// Volumes marked for protect-now (Space), by ID.
	const [marks, setMarks] = useState<ReadonlySet<string>>(() => new Set());

	const now = services.now();
	const {inventory, session} = cloud;
	const analysis = useMemo(
		() => (inventory === undefined ? undefined : services.analyse(inventory, services.now(), services.policy)),
		[inventory, services],
	);
	const view = viewById(viewId);
	const sort = sorts[viewId] ?? {column: view.defaultSort.column, isDescending: view.defaultSort.descending};
	const filter = filters[viewId] ?? '';
	const built = useMemo(() => {
		const context: ViewContext = {
			inventory, analysis, now: services.now(), projects: cloud.projects, clouds: cloud.clouds, cloud: session?.cloudName ?? cloud.cloud, projectId: session?.identity.token().projectId, marks,
		};
		return view.build(context);
	}, [view, inventory, analysis, cloud.projects, cloud.clouds, session, cloud.cloud, services, marks]);
	const rows = useMemo(
		() => arrange(built, {filter, sortColumn: sort.column, descending: sort.isDescending}),
		[built, filter, sort.column, sort.isDescending],
	);

	const bodyHeight = Math.max(3, height - 1 - chromeLines(props.demoReason !== undefined));
	const position = positions[viewId] ?? {selected: 0, offset: 0};
	const selected = Math.min(position.selected, Math.max(0, rows.length - 1));
	const offset = Math.min(position.offset, Math.max(0, rows.length - bodyHeight));
	const current: Row | undefined = rows[selected];

	/**
	Selects a row: a number, or a function of the current selection (so that keys in one read add up).
	*/
	const moveTo = useCallback((target: number | ((selected: number) => number)) => {
		setPositions(previous => {
			const old = previous[viewId] ?? {selected: 0, offset: 0};
			const base = Math.max(0, Math.min(rows.length - 1, old.selected));
			const next = Math.max(0, Math.min(rows.length - 1, typeof target === 'number' ? target : target(base)));
			let nextOffset = Math.min(old.offset, Math.max(0, rows.length - bodyHeight));
			if (next < nextOffset) {
				nextOffset = next;
			} else if (next >= nextOffset + bodyHeight) {
				nextOffset = next - bodyHeight + 1;
			}

			return {...previous, [viewId]: {selected: next, offset: nextOffset}};
		});
	}, [rows.length, viewId, bodyHeight]);

	const lines = useMemo((): Array<string | Line> => {
		if (mode === 'help') {
			return helpLines(bindings, width);
		}

		if (mode === 'raw') {
			return jsonLines(detailRow?.raw ?? detailRow?.finding ?? {});
		}

		if (mode === 'detail' && detailRow !== undefined) {
			return detailLines({
				row: detailRow, inventory, analysis, now: services.now(), width,
			});
		}

		return [];
	}, [mode, detailRow, bindings, inventory, analysis, width, services]);

	const items = useMemo(() => paletteItems({
		views, clouds: cloud.clouds, projects: cloud.projects, bindings, currentCloud: session?.cloudName, currentProject: session?.identity.token().projectId,
	}), [cloud.clouds, cloud.projects, bindings, session]);
	const matches = useMemo(() => fuzzyFilter(items, query, item => item.label), [items, query]);

	const switchView = (id: ViewId) => {
		goToView(id);
		enterMode('list');
		setScroll(0);
	};

	const switchProject = (projectId: string) => {
		setPositions({});
		setMarks(new Set());
		void cloud.switchProject(projectId).then(setMessage);
	};

	const switchCloud = (name: string) => {
		setPositions({});
		setMarks(new Set());
		setMessage(`cloud ${sanitize(name)}`);
		cloud.switchCloud(name);
	};

	const openRow = (row: Row | undefined) => {
		if (row?.enter?.type === 'switch-project') {
			switchProject(row.enter.projectId);
		} else if (row?.enter?.type === 'switch-cloud') {
			switchCloud(row.enter.cloud);
		} else if (row !== undefined) {
			setDetailRow(row);
			setScroll(0);
			enterMode('detail');
		}
	};

	const runPaletteItem = (item: PaletteItem) => {
		enterMode('list');
		setQuery('');
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
	};

	const isScrolling = (['detail', 'help', 'raw'] as InputContext[]).includes(mode);
	const scrollBy = (delta: number) => {
		setScroll(value => Math.max(0, Math.min(Math.max(0, lines.length - bodyHeight), value + delta)));
	};

	/**
	Moves the list selection, or scrolls the text being read.
	*/
	const move = (delta: number, absolute?: 'top' | 'bottom') => {
		if (isScrolling) {
			if (absolute === 'top') {
				setScroll(0);
			} else {
				scrollBy(absolute === 'bottom' ? lines.length : delta);
			}
		} else if (absolute === undefined) {
			moveTo(previous => previous + delta);
		} else {
			moveTo(absolute === 'top' ? 0 : rows.length - 1);
		}
	};

	const target = () => (mode === 'detail' ? detailRow : current);
	const page = Math.max(1, bodyHeight - 1);

	const handlers: Record<string, (context: InputContext, input: string) => void> = {
		'nav.down'(context) {
			if (context === 'palette') {
				setPaletteIndex(index => Math.min(matches.length - 1, index + 1));
			} else {
				move(1);
			}
		},
		'nav.up'(context) {
			if (context === 'palette') {
				setPaletteIndex(index => Math.max(0, index - 1));
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
				openRow(current);
				return;
			}

			const item = matches[Math.min(paletteIndex, matches.length - 1)];
			if (item !== undefined) {
				runPaletteItem(item);
			}
		},
		'nav.back'() {
			setQuery('');
			enterMode('list');
			setScroll(0);
		},
		'view.next'() {
			const index = views.findIndex(candidate => candidate.id === viewId);
			switchView(views[(index + 1) % views.length]?.id ?? 'audit');
		},
		'view.previous'() {
			const index = views.findIndex(candidate => candidate.id === viewId);
			switchView(views[(index + views.length - 1) % views.length]?.id ?? 'audit');
		},
		'view.jump'(_context, input) {
			const jump = views[Number(input) - 1];
			if (jump !== undefined) {
				switchView(jump.id);
			}
		},
		'app.palette'() {
			setQuery('');
			setPaletteIndex(0);
			enterMode('palette');
		},
		'list.filter'() {
			enterMode('filter');
		},
		'list.sort'() {
			const shown = layoutColumns(view.columns, width - 1).map(entry => entry.index);
			const next = shown[(shown.indexOf(sort.column) + 1) % shown.length] ?? 0;
			setSorts(previous => ({...previous, [viewId]: {column: next, isDescending: false}}));
			setMessage(`sorted by ${view.columns[next]?.title.trim() ?? ''}`);
		},
		'list.sortReverse'() {
			setSorts(previous => ({...previous, [viewId]: {column: sort.column, isDescending: !sort.isDescending}}));
		},
		'resource.copyId'() {
			const id = target()?.copyId;
			if (id === undefined) {
				return;
			}

			services.copy(id);
			setMessage(`copied ${sanitize(id)}`);
		},
		'resource.raw'() {
			const row = target();
			if (row === undefined) {
				return;
			}

			setDetailRow(row);
			setScroll(0);
			enterMode('raw');
		},
		'app.refresh'() {
			cloud.refresh();
		},
		'app.help'(context) {
			setScroll(0);
			enterMode(context === 'help' ? 'list' : 'help');
		},
		'app.quit'() {
			exit();
		},
		'restore.start'() {
			const row = target();
			const kind = row?.ref?.kind;
			if (kind === 'backup') {
				startFlow(withResource('backup', row, backup => restoreToNewVolume(backup)));
			} else if (kind === 'image') {
				startFlow(withResource('image', row, image => volumeFromImage(image)));
			} else if (kind === 'secret' || latest.current.viewId === 'secrets') {
				const secret = kind === 'secret' ? inventory?.secrets?.find(candidate => candidate.id === row?.ref?.id) : undefined;
				startFlow(secretFromFile(inventory, secret));
			} else {
				setMessage('R restores the selected backup (view 3) or image (view 6), or a secret from a file (view 7)');
			}
		},
		'restore.onto'() {
			const row = target();
			if (row?.ref?.kind === 'backup') {
				startFlow(withResource('backup', row, backup => restoreOntoFromBackup(inventory!, backup)));
			} else if (row?.ref?.kind === 'volume') {
				startFlow(withResource('volume', row, volume => restoreOntoFromVolume(inventory!, volume)));
			} else {
				setMessage('O restores onto an existing volume: select a backup (view 3) or the target volume (view 2)');
			}
		},
		'restore.imageFile'() {
			startFlow(imageFromFile());
		},
		'backup.create'() {
			const row = target();
			if (row?.ref?.kind === 'volume') {
				startFlow(withResource('volume', row, volume => volumeBackup(volume, services.version)));
			} else if (row?.ref?.kind === 'server') {
				startFlow(withResource('server', row, server => serverImage(server)));
			} else {
				setMessage('b backs up the selected volume (view 2) or makes an image of the selected server (view 5)');
			}
		},
		'backup.toImage'() {
			const row = target();
			if (row?.ref?.kind === 'volume') {
				startFlow(withResource('volume', row, volume => volumeToImage(volume)));
			} else {
				setMessage('i copies the selected volume into an image: select a volume (view 2)');
			}
		},
		'backup.download'() {
			const row = target();
			if (row?.ref?.kind === 'image') {
				startFlow(withResource('image', row, image => imageDownload(image)));
			} else {
				setMessage('d downloads the selected image: select an image (view 6)');
			}
		},
		'backup.exportKey'() {
			const row = target();
			switch (row?.ref?.kind) {
				case 'volume': {
					startFlow(withResource('volume', row, resource => keyExport({kind: 'volume', resource})));
					break;
				}

				case 'backup': {
					startFlow(withResource('backup', row, resource => keyExport({kind: 'backup', resource})));
					break;
				}

				case 'image': {
					startFlow(withResource('image', row, resource => keyExport({kind: 'image', resource})));
					break;
				}

				case 'secret': {
					startFlow(withResource('secret', row, resource => keyExport({kind: 'secret', resource})));
					break;
				}

				case 'project':
				case 'server':
				case 'snapshot':
				case 'volume-type':
				case undefined: {
					setMessage('K exports a key: select an encrypted volume, backup or image, or a secret');
				}
			}
		},
		'backup.mark'() {
			const row = current;
			const id = row?.ref?.kind === 'volume' ? row.ref.id : undefined;
			if (id === undefined || !inventory?.volumes.some(volume => volume.id === id)) {
				setMessage('only volumes can be marked for protect-now');
				return;
			}

			setMarks(previous => {
				const next = new Set(previous);
				if (next.has(id)) {
					next.delete(id);
				} else {
					next.add(id);
				}

				return next;
			});
			move(1);
		},
		'backup.protect'() {
			const marked = (inventory?.volumes ?? []).filter(volume => marks.has(volume.id));
			startFlow(protectNow(marked, services.version));
		},
	};

	type Found = {
		volume: NonNullable<typeof inventory>['volumes'][number];
		backup: NonNullable<typeof inventory>['backups'][number];
		image: NonNullable<typeof inventory>['images'][number];
		server: NonNullable<typeof inventory>['servers'][number];
		secret: NonNullable<NonNullable<typeof inventory>['secrets']>[number];
	};

	/**
	The selected resource as the inventory holds it, handed to a flow builder.
	*/
	function withResource<K extends keyof Found>(kind: K, row: Row | undefined, build: (resource: Found[K]) => FlowResult): FlowResult {
		const id = row?.ref?.id;
		const lists: {[P in keyof Found]: ReadonlyArray<Found[P]> | undefined} = {
			volume: inventory?.volumes, backup: inventory?.backups, image: inventory?.images, server: inventory?.servers, secret: inventory?.secrets,
		};
		const list = lists[kind] as ReadonlyArray<{id: string}> | undefined;
		const resource = list?.find(candidate => candidate.id === id) as Found[K] | undefined;
		return resource === undefined ? `${kind} ${sanitize(row?.ref?.name ?? id ?? '')} is not in the inventory (yet): r refreshes` : build(resource);
	}

	function startFlow(result: FlowResult): void {
		if (session === undefined || inventory === undefined) {
			setMessage('not connected yet');
			return;
		}

		if (typeof result === 'string') {
			setMessage(result);
			return;
		}

		setFlow(result);
		enterMode('restore');
	}

	function runBinding(binding: Binding, context: InputContext, input: string): void {
		const handler = handlers[binding.id];
		if (handler) {
			handler(context, input);
		} else if (binding.disabledReason !== undefined) {
			setMessage(`${binding.description}: ${binding.disabledReason}`);
		}
	}

	const isTyping = (input: string, key: Key) => !key.ctrl && !key.meta && input !== '' && !key.upArrow && !key.downArrow && !key.return && !key.escape;

	const onFilterKey = (input: string, key: Key) => {
		const filtered = latest.current.viewId;
		if (key.return) {
			enterMode('list');
		} else if (key.escape) {
			setFilters(previous => ({...previous, [filtered]: ''}));
			enterMode('list');
		} else if (key.backspace || key.delete) {
			setFilters(previous => ({...previous, [filtered]: [...(previous[filtered] ?? '')].slice(0, -1).join('')}));
		} else if (isTyping(input, key)) {
			setFilters(previous => ({...previous, [filtered]: (previous[filtered] ?? '') + sanitize(input)}));
			moveTo(0);
		}
	};

	const onPaletteKey = (input: string, key: Key) => {
		if (key.backspace || key.delete) {
			setQuery(value => [...value].slice(0, -1).join(''));
			setPaletteIndex(0);
		} else if (isTyping(input, key)) {
			setQuery(value => value + sanitize(input));
			setPaletteIndex(0);
		} else {
			const binding = findBinding(bindings, 'palette', input, key);
			if (binding !== undefined) {
				runBinding(binding, 'palette', input);
			}
		}
	};

	const onKey = (input: string, key: Key) => {
		const active = latest.current.mode;
		if (active === 'restore') {
			planKeys.current?.(input, key);
			return;
		}

		if (active === 'filter') {
			onFilterKey(input, key);
			return;
		}

		if (active === 'palette') {
			onPaletteKey(input, key);
			return;
		}

		const binding = findBinding(bindings, active, input, key);
		if (binding === undefined) {
			return;
		}

		setMessage(undefined);
		runBinding(binding, active, input);
	};

	// Keys that arrive in one read (a paste, a fast typist, tmux send-keys) are handled one by one, each after the one before.
	useSequentialInput(onKey);

	let body: ReactNode;
	if (mode === 'restore' && flow !== undefined && session !== undefined) {
		body = (
			<PlanScreen
				session={session}
				flow={flow}
				width={width}
				height={bodyHeight + 1}
				theme={theme}
				journal={services.journal}
				clock={services.planClock}
				onKeys={routePlanKeys}
				onClose={(hasChanged, note) => {
					enterMode('list');
					setFlow(undefined);
					setMessage(note);
					if (!hasChanged) {
						return;
					}

					if (flow.title.startsWith('Protect now')) {
						setMarks(new Set());
					}

					cloud.refresh();
				}}
			/>
		);
	} else if (mode === 'palette') {
		body = <Palette query={query} items={matches} selected={paletteIndex} height={bodyHeight + 1} width={width} theme={theme}/>;
	} else if (mode === 'list' || mode === 'filter') {
		body = (
			<Table
				columns={view.columns}
				rows={rows}
				selected={selected}
				offset={offset}
				height={bodyHeight}
				width={width}
				sortColumn={sort.column}
				isDescending={sort.isDescending}
				theme={theme}
				empty={emptyText(cloud, view.title, filter)}
			/>
		);
	} else {
		body = <ScrollText title={scrollTitle(mode, detailRow)} lines={lines} offset={scroll} height={bodyHeight + 1} width={width} hasColor={theme.color}/>;
	}

	const markCount = inventory === undefined ? 0 : inventory.volumes.filter(volume => marks.has(volume.id)).length;
	const status = statusLine({
		cloud, message, filter, isFiltering: mode === 'filter', shown: rows.length, total: built.length, marked: mode === 'restore' ? 0 : markCount,
	});
	return (
		<Box flexDirection='column' width={width} height={height - 1}>
			<Header
				width={width}
				theme={theme}
				cloud={cloud}
				now={now}
				demoReason={props.demoReason}
				isReadonly={props.isReadonly ?? false}
				tabs={views.map((candidate, index) => ({label: `${index + 1}${candidate.title}`, isActive: candidate.id === viewId}))}
			/>
			{body}
			<Text wrap='truncate-end' color={cloud.phase === 'failed' ? paint(theme, 'red') : undefined}>{status}</Text>
			<Footer bindings={bindings} mode={mode} width={width} view={viewId}/>
		</Box>
	);
}
