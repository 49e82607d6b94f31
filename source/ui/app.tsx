/*
The interactive view. State lives here (which cloud, project, view, row, mode); every decision about what a key does comes
from keymap.ts, every row from views.ts, every cloud-supplied string passed through sanitize() on the way.
*/
import {
	type ReactNode,
	useCallback,
	useEffect,
	useMemo,
	useRef,
	useState,
} from 'react';
import {
	Box,
	Text,
	useApp,
	useInput,
	useWindowSize,
	type Key,
} from 'ink';
import type {Inventory, InventoryProgress} from '../core/model.js';
import type {CloudSession, Project} from '../core/types.js';
import type {AppServices} from './services.js';
import {
	activeBindings,
	findBinding,
	type Binding,
	type InputContext,
} from './keymap.js';
import {makeTheme} from './theme.js';
import {
	arrange,
	layoutColumns,
	viewById,
	views,
	type CloudEntry,
	type Row,
	type ViewContext,
	type ViewId,
} from './views.js';
import {sanitize} from './sanitize.js';
import {age} from './format.js';
import {Table} from './components/table.js';
import {Header} from './components/header.js';
import {Footer} from './components/footer.js';
import {DetailPane, detailLines} from './components/detail.js';
import {ScrollText} from './components/scroll-text.js';
import {Palette, paletteItems, type PaletteItem} from './components/palette.js';
import {helpLines} from './components/help.js';
import {fuzzyFilter} from './fuzzy.js';

export type AppProps = {
	readonly services: AppServices;
	/**
	Hide every action that changes the cloud.
	*/
	readonly readonly?: boolean;
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

type Mode = InputContext;

type Position = {selected: number; offset: number};

type Loading = {phase: 'connecting' | 'reading' | 'idle' | 'failed'; message?: string; progress?: Record<string, number>};

/**
Statuses of work under way: while any resource is in one, the inventory refreshes on its own.
*/
const busy = /^(?:creating|attaching|detaching|deleting|backing-up|restoring|restoring-backup|downloading|uploading|saving|queued|importing|retyping|extending|build|resize|reserved)$/i;

function somethingInProgress(inventory: Inventory | undefined): boolean {
	if (!inventory) {
		return false;
	}

	const lists: Array<Array<{status: string}>> = [inventory.volumes, inventory.backups, inventory.snapshots, inventory.images];
	return lists.some(list => list.some(item => busy.test(item.status)));
}

function errorText(error: unknown): string {
	return sanitize(error instanceof Error ? error.message : String(error));
}

export function App(props: AppProps) {
	const {services} = props;
	const {exit} = useApp();
	const terminal = useWindowSize();
	const size = props.size ?? terminal;
	const width = Math.max(40, size.columns);
	const height = Math.max(12, size.rows);
	const theme = useMemo(() => makeTheme({env: services.env, theme: services.theme}), [services.env, services.theme]);
	const bindings = useMemo(() => activeBindings({readonly: props.readonly ?? false}), [props.readonly]);

	const [cloud, setCloud] = useState<string | undefined>(props.cloud);
	const [wantedProject, setWantedProject] = useState<string | undefined>(props.project);
	const [session, setSession] = useState<CloudSession | undefined>();
	const [clouds, setClouds] = useState<CloudEntry[]>([]);
	const [projects, setProjects] = useState<Project[]>([]);
	const [capabilities, setCapabilities] = useState<string[]>([]);
	const [inventory, setInventory] = useState<Inventory | undefined>();
	const [cachedAt, setCachedAt] = useState<string | undefined>();
	const [loading, setLoading] = useState<Loading>({phase: 'connecting'});
	const [refreshTick, setRefreshTick] = useState(0);
	const [message, setMessage] = useState<string | undefined>();

	const [viewId, setViewId] = useState<ViewId>(props.initialView ?? 'audit');
	const [mode, setMode] = useState<Mode>('list');
	const [positions, setPositions] = useState<Partial<Record<ViewId, Position>>>({});
	const [filters, setFilters] = useState<Partial<Record<ViewId, string>>>({});
	const [sorts, setSorts] = useState<Partial<Record<ViewId, {column: number; descending: boolean}>>>({});
	const [scroll, setScroll] = useState(0);
	const [query, setQuery] = useState('');
	const [paletteIndex, setPaletteIndex] = useState(0);
	const [detailRow, setDetailRow] = useState<Row | undefined>();
	const sessionRef = useRef<CloudSession | undefined>(undefined);

	// Clouds for the Clouds view and the palette.
	useEffect(() => {
		let isLive = true;
		services.connector.listClouds().then(list => {
			if (isLive) {
				setClouds(list);
			}
		}, () => {
			// No clouds.yaml: the list stays empty; connecting reports the real problem.
		});
		return () => {
			isLive = false;
		};
	}, [services.connector]);

	// Connect whenever the cloud (or the project asked for at start) changes.
	useEffect(() => {
		const controller = new AbortController();
		setLoading({phase: 'connecting', message: cloud ? `connecting to ${sanitize(cloud)}…` : 'connecting…'});
		setInventory(undefined);
		setCachedAt(undefined);
		services.connector.connect(cloud, {project: wantedProject, signal: controller.signal}).then(opened => {
			if (controller.signal.aborted) {
				opened.close();
				return;
			}

			sessionRef.current?.close();
			sessionRef.current = opened;
			setSession(opened);
			setCloud(current => current ?? opened.cloudName);
		}, (error: unknown) => {
			if (!controller.signal.aborted) {
				setLoading({phase: 'failed', message: `cannot connect: ${errorText(error)}`});
			}
		});
		return () => {
			controller.abort();
		};
		// WantedProject is only read when the cloud changes; switching project inside a cloud goes through switchProject.
		// eslint-disable-next-line react-hooks/exhaustive-deps
	}, [cloud, services.connector]);

	useEffect(() => () => {
		sessionRef.current?.close();
	}, []);

	// Per session: projects and capabilities.
	useEffect(() => {
		if (!session) {
			return;
		}

		const controller = new AbortController();
		session.identity.listProjects({signal: controller.signal}).then(list => {
			setProjects(list);
		}, () => {
			setProjects([]);
		});
		if (services.checkCloud) {
			services.checkCloud(session, {signal: controller.signal}).then(lines => {
				setCapabilities(lines.map(line => sanitize(line)));
			}, () => {
				setCapabilities([]);
			});
		}

		return () => {
			controller.abort();
		};
	}, [session, services]);

	// Read the inventory: the cached one first (marked with its age), then the live one.
	useEffect(() => {
		if (!session) {
			return;
		}

		const controller = new AbortController();
		const token = session.identity.token();
		const cacheKey = [session.cloudName, token.projectId] as const;
		const progress: Record<string, number> = {};
		setLoading({phase: 'reading', message: 'reading inventory…', progress});
		if (services.cache && refreshTick === 0) {
			services.cache.get(...cacheKey).then(entry => {
				if (!entry || controller.signal.aborted) {
					return;
				}

				setInventory(current => current ?? entry.inventory);
				setCachedAt(current => current ?? entry.savedAt);
			}, () => undefined);
		}

		const onProgress = (event: InventoryProgress) => {
			progress[event.resource] = event.count;
		};

		services.readInventory(session, {signal: controller.signal, onProgress}).then(fresh => {
			if (controller.signal.aborted) {
				return;
			}

			setInventory(fresh);
			setCachedAt(undefined);
			setLoading({phase: 'idle'});
			void services.cache?.set(...cacheKey, fresh).catch(() => undefined);
		}, (error: unknown) => {
			if (!controller.signal.aborted) {
				setLoading({phase: 'failed', message: `reading failed: ${errorText(error)}`});
			}
		});
		return () => {
			controller.abort();
		};
	}, [session, refreshTick, services]);

	// Progress counters tick while reading.
	const [, setTick] = useState(0);
	useEffect(() => {
		if (loading.phase !== 'reading') {
			return;
		}

		const timer = setInterval(() => {
			setTick(tick => tick + 1);
		}, 250);
		return () => {
			clearInterval(timer);
		};
	}, [loading.phase]);

	// Auto-refresh while something is in progress.
	const isInProgress = somethingInProgress(inventory);
	useEffect(() => {
		if (!isInProgress || loading.phase !== 'idle') {
			return;
		}

		const timer = setTimeout(() => {
			setRefreshTick(tick => tick + 1);
		}, Math.max(1, services.refreshSeconds) * 1000);
		return () => {
			clearTimeout(timer);
		};
	}, [isInProgress, loading.phase, services.refreshSeconds]);

	const now = services.now();
	const analysis = useMemo(
		() => (inventory ? services.analyse(inventory, services.now(), services.policy) : undefined),
		[inventory, services],
	);
	const token = session?.identity.token();
	const context: ViewContext = {
		inventory, analysis, now, projects, clouds, cloud: session?.cloudName ?? cloud, projectId: token?.projectId,
	};
	const view = viewById(viewId);
	const sort = sorts[viewId] ?? view.defaultSort;
	const filter = filters[viewId] ?? '';
	// eslint-disable-next-line react-hooks/exhaustive-deps
	const built = useMemo(() => view.build(context), [view, inventory, analysis, projects, clouds, session, cloud]);
	const rows = useMemo(() => arrange(built, {filter, sortColumn: sort.column, descending: sort.descending}), [built, filter, sort.column, sort.descending]);

	// Layout: header (2-3 lines), tabs, table header, rows, status, footer.
	const bannerLines = props.demoReason ? 1 : 0;
	const headerLines = 2 + bannerLines;
	const bodyHeight = Math.max(3, height - headerLines - 1 - 1 - 1 - 1 - 1);
	const position = positions[viewId] ?? {selected: 0, offset: 0};
	const selected = Math.min(position.selected, Math.max(0, rows.length - 1));
	const offset = Math.min(position.offset, Math.max(0, rows.length - bodyHeight));
	const current: Row | undefined = rows[selected];

	const moveTo = useCallback((target: number) => {
		setPositions(previous => {
			const last = Math.max(0, rows.length - 1);
			const next = Math.max(0, Math.min(last, target));
			const old = previous[viewId] ?? {selected: 0, offset: 0};
			let nextOffset = Math.min(old.offset, Math.max(0, rows.length - bodyHeight));
			if (next < nextOffset) {
				nextOffset = next;
			} else if (next >= nextOffset + bodyHeight) {
				nextOffset = next - bodyHeight + 1;
			}

			return {...previous, [viewId]: {selected: next, offset: nextOffset}};
		});
	}, [rows.length, viewId, bodyHeight]);

	const switchView = useCallback((id: ViewId) => {
		setViewId(id);
		setMode('list');
		setScroll(0);
	}, []);

	const switchProject = useCallback((projectId: string) => {
		const active = sessionRef.current;
		if (!active || active.identity.token().projectId === projectId) {
			return;
		}

		setLoading({phase: 'connecting', message: 'switching project…'});
		active.switchProject(projectId).then(next => {
			sessionRef.current = next;
			active.close();
			setInventory(undefined);
			setCachedAt(undefined);
			setRefreshTick(0);
			setPositions({});
			setSession(next);
			setMessage(`project ${sanitize(next.identity.token().projectName)}`);
		}, (error: unknown) => {
			setLoading({phase: 'idle'});
			setMessage(`cannot switch project: ${errorText(error)}`);
		});
	}, []);

	const switchCloud = useCallback((name: string) => {
		setWantedProject(undefined);
		setPositions({});
		setCloud(name);
		setMessage(`cloud ${sanitize(name)}`);
	}, []);

	const copy = useCallback((text: string) => {
		services.copy(text);
		setMessage(`copied ${sanitize(text)}`);
	}, [services]);

	const lines = useMemo(() => {
		if (mode === 'help') {
			return helpLines(bindings, width);
		}

		if (mode === 'raw') {
			const raw = detailRow?.raw ?? detailRow?.finding ?? {};
			return sanitizeJson(raw);
		}

		return mode === 'detail' && detailRow
			? detailLines({
				row: detailRow, inventory, analysis, now, width,
			})
			: [];
		// eslint-disable-next-line react-hooks/exhaustive-deps
	}, [mode, detailRow, bindings, inventory, analysis, width]);

	const items = useMemo(() => paletteItems({
		views, clouds, projects, bindings, currentCloud: session?.cloudName, currentProject: token?.projectId,
	}), [clouds, projects, bindings, session, token?.projectId]);
	const matches = useMemo(() => fuzzyFilter(items, query, item => item.label), [items, query]);

	const runPaletteItem = (item: PaletteItem) => {
		setMode('list');
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
				runAction(item.binding, 'list');
				break;
			}
		}
	};

	const openDetail = (row: Row | undefined) => {
		if (!row) {
			return;
		}

		if (row.enter?.type === 'switch-project') {
			switchProject(row.enter.projectId);
			return;
		}

		if (row.enter?.type === 'switch-cloud') {
			switchCloud(row.enter.cloud);
			return;
		}

		setDetailRow(row);
		setScroll(0);
		setMode('detail');
	};

	function runAction(binding: Binding, context: Mode, input = ''): void {
		const page = Math.max(1, bodyHeight - 1);
		const isScrolling = context === 'detail' || context === 'help' || context === 'raw';
		const scrollBy = (delta: number) => {
			setScroll(value => Math.max(0, Math.min(Math.max(0, lines.length - bodyHeight), value + delta)));
		};

		switch (binding.id) {
			case 'nav.down': {
				if (context === 'palette') {
					setPaletteIndex(index => Math.min(matches.length - 1, index + 1));
				} else if (isScrolling) {
					scrollBy(1);
				} else {
					moveTo(selected + 1);
				}

				break;
			}

			case 'nav.up': {
				if (context === 'palette') {
					setPaletteIndex(index => Math.max(0, index - 1));
				} else if (isScrolling) {
					scrollBy(-1);
				} else {
					moveTo(selected - 1);
				}

				break;
			}

			case 'nav.pageDown': {
				if (isScrolling) {
					scrollBy(page);
				} else {
					moveTo(selected + page);
				}

				break;
			}

			case 'nav.pageUp': {
				if (isScrolling) {
					scrollBy(-page);
				} else {
					moveTo(selected - page);
				}

				break;
			}

			case 'nav.top': {
				if (isScrolling) {
					setScroll(0);
				} else {
					moveTo(0);
				}

				break;
			}

			case 'nav.bottom': {
				if (isScrolling) {
					scrollBy(lines.length);
				} else {
					moveTo(rows.length - 1);
				}

				break;
			}

			case 'nav.enter': {
				if (context === 'palette') {
					const item = matches[Math.min(paletteIndex, matches.length - 1)];
					if (item) {
						runPaletteItem(item);
					}
				} else {
					openDetail(current);
				}

				break;
			}

			case 'nav.back': {
				if (context === 'palette') {
					setQuery('');
				}

				setMode('list');
				setScroll(0);
				break;
			}

			case 'view.next':
			case 'view.previous': {
				const index = views.findIndex(candidate => candidate.id === viewId);
				const step = binding.id === 'view.next' ? 1 : views.length - 1;
				switchView(views[(index + step) % views.length]?.id ?? 'audit');
				break;
			}

			case 'view.jump': {
				const target = views[Number(input) - 1];
				if (target) {
					switchView(target.id);
				}

				break;
			}

			case 'app.palette': {
				setQuery('');
				setPaletteIndex(0);
				setMode('palette');
				break;
			}

			case 'list.filter': {
				setMode('filter');
				break;
			}

			case 'list.sort': {
				const shown = layoutColumns(view.columns, width - 1).map(entry => entry.index);
				const at = shown.indexOf(sort.column);
				const next = shown[(at + 1) % shown.length] ?? 0;
				setSorts(previous => ({...previous, [viewId]: {column: next, descending: false}}));
				setMessage(`sorted by ${view.columns[next]?.title.trim() ?? ''}`);
				break;
			}

			case 'list.sortReverse': {
				setSorts(previous => ({...previous, [viewId]: {column: sort.column, descending: !sort.descending}}));
				break;
			}

			case 'resource.copyId': {
				const target = context === 'detail' ? detailRow : current;
				if (target?.copyId) {
					copy(target.copyId);
				}

				break;
			}

			case 'resource.raw': {
				const target = context === 'detail' ? detailRow : current;
				if (target) {
					setDetailRow(target);
					setScroll(0);
					setMode('raw');
				}

				break;
			}

			case 'app.refresh': {
				setRefreshTick(tick => tick + 1);
				setMessage('refreshing…');
				break;
			}

			case 'app.help': {
				setScroll(0);
				setMode(context === 'help' ? 'list' : 'help');
				break;
			}

			case 'app.quit': {
				exit();
				break;
			}

			default: {
				if (binding.disabledReason) {
					setMessage(`${binding.description}: ${binding.disabledReason}`);
				}
			}
		}
	}

	useInput((input: string, key: Key) => {
		if (mode === 'filter') {
			if (key.return) {
				setMode('list');
			} else if (key.escape) {
				setFilters(previous => ({...previous, [viewId]: ''}));
				setMode('list');
			} else if (key.backspace || key.delete) {
				setFilters(previous => ({...previous, [viewId]: [...(previous[viewId] ?? '')].slice(0, -1).join('')}));
			} else if (!key.ctrl && !key.meta && input && !key.upArrow && !key.downArrow) {
				setFilters(previous => ({...previous, [viewId]: (previous[viewId] ?? '') + sanitize(input)}));
				moveTo(0);
			}

			return;
		}

		if (mode === 'palette') {
			const binding = findBinding(bindings, 'palette', input, key);
			if (binding && (key.upArrow || key.downArrow || key.return || key.escape)) {
				runAction(binding, 'palette', input);
			} else if (key.backspace || key.delete) {
				setQuery(value => [...value].slice(0, -1).join(''));
				setPaletteIndex(0);
			} else if (!key.ctrl && !key.meta && input) {
				setQuery(value => value + sanitize(input));
				setPaletteIndex(0);
			}

			return;
		}

		const binding = findBinding(bindings, mode, input, key);
		if (!binding) {
			return;
		}

		setMessage(undefined);
		runAction(binding, mode, input);
	});

	const tabs = views.map((candidate, index) => ({label: `${index + 1}${candidate.title}`, active: candidate.id === viewId}));
	let status = message ?? '';
	if (loading.phase === 'connecting' || loading.phase === 'failed') {
		status = loading.message ?? '';
	} else if (loading.phase === 'reading') {
		const counts = Object.entries(loading.progress ?? {}).map(([name, count]) => `${name} ${count}`).join(' · ');
		status = `${inventory ? 'refreshing' : 'reading'}… ${counts}`;
	}

	if (mode === 'filter' || filter) {
		status = `/${filter}${mode === 'filter' ? '█' : ''}  ${rows.length}/${built.length} rows${status ? `  ${status}` : ''}`;
	}

	let body: ReactNode;
	if (mode === 'palette') {
		body = <Palette query={query} items={matches} selected={paletteIndex} height={bodyHeight + 1} width={width} theme={theme}/>;
	} else if (mode === 'detail' && detailRow) {
		body = <DetailPane lines={lines} offset={scroll} height={bodyHeight + 1} width={width} theme={theme}/>;
	} else if (mode === 'help' || mode === 'raw') {
		body = <ScrollText title={mode === 'help' ? 'Keys (Esc closes)' : `Raw JSON of ${detailRow?.ref?.kind ?? 'row'} ${detailRow?.ref?.name ?? detailRow?.ref?.id ?? ''} (Esc closes)`} lines={lines} offset={scroll} height={bodyHeight + 1} width={width}/>;
	} else {
		const empty = loading.phase === 'idle' || inventory ? (filter ? 'no row matches the filter' : `no ${view.title.toLowerCase()}`) : 'loading…';
		body = (
			<Table
				columns={view.columns}
				rows={rows}
				selected={selected}
				offset={offset}
				height={bodyHeight}
				width={width}
				sortColumn={sort.column}
				descending={sort.descending}
				theme={theme}
				empty={empty}
			/>
		);
	}

	return (
		<Box flexDirection='column' width={width} height={height - 1}>
			<Header
				width={width}
				theme={theme}
				cloud={sanitize(session?.cloudName ?? cloud ?? '…')}
				region={sanitize(session?.region ?? inventory?.region ?? '')}
				project={sanitize(token?.projectName ?? '…')}
				user={sanitize(token?.userName ?? '…')}
				session={session}
				inventory={inventory}
				capabilities={capabilities}
				cached={cachedAt ? age(cachedAt, now) : undefined}
				demoReason={props.demoReason}
				readonly={props.readonly ?? false}
				tabs={tabs}
			/>
			{body}
			<Text wrap='truncate-end' color={loading.phase === 'failed' && theme.color ? 'red' : undefined}>{status || ' '}</Text>
			<Footer bindings={bindings} mode={mode} width={width}/>
		</Box>
	);
}

function sanitizeJson(value: unknown): string[] {
	let text: string;
	try {
		text = JSON.stringify(value, undefined, 2) ?? 'undefined';
	} catch {
		text = String(value);
	}

	// JSON.stringify escapes control characters in strings, but sanitise anyway: this is cloud-supplied text.
	return text.split('\n').map(line => sanitize(line));
}
