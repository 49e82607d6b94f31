/*
The interactive view, as composition: the cloud side of the state lives in useCloud, what the user is looking at (view,
row, mode) in the hooks here, what each key does in app/controller.ts (resource keys in app/resource-keys.ts), and the
layout at the end. Which key does what comes from keymap.ts, every row from views/, and every cloud-supplied string has
passed through sanitize() before it gets here.
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
import {activeBindings, type InputContext} from './keymap.js';
import {makeTheme, paint} from './theme.js';
import {
	arrange,
	viewById,
	views,
	type Row,
	type ViewContext,
	type ViewId,
} from './views/index.js';
import {useCloud} from './use-cloud.js';
import {Table} from './components/table.js';
import {Header} from './components/header.js';
import {Footer} from './components/footer.js';
import {detailLines} from './components/detail.js';
import {ScrollText, type Line} from './components/scroll-text.js';
import {Palette, paletteItems} from './components/palette.js';
import {helpLines} from './components/help.js';
import {fuzzyFilter} from './fuzzy.js';
import {PlanScreen} from './plan-screen.js';
import type {Flow} from './flows/index.js';
import {appKeys, type AppControl, type Sort} from './app/controller.js';
import {
	argvText,
	exitText,
	pluginCommand,
	pluginsFor,
	type Plugin,
	type PluginExit,
} from './plugins.js';
import {
	chromeLines,
	emptyText,
	jsonLines,
	markCounts,
	scrollTitle,
	statusLine,
	iacProblemNotice,
	iacWarningNotice,
	unfinishedNotice,
} from './app/text.js';
import {sanitize} from './sanitize.js';

function outputTitle(output: PluginOutput | undefined): string {
	if (output === undefined) {
		return 'Plugin output (Esc closes)';
	}

	const state = output.exit === undefined ? 'running…' : exitText(output.name, output.exit);
	return `${sanitize(output.name)}: ${argvText(output.argv)} · ${state} (Esc closes)`;
}

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
What a background plugin printed, kept for its pane (the newest part, when it prints a lot).
*/
type PluginOutput = {run: number; name: string; argv: string[]; text: string; exit?: PluginExit};

const outputLimit = 200_000;

// The modes that show the table (a plugin's question is asked in the status line, over the list).
const tableModes = new Set<InputContext>(['list', 'filter', 'ask']);

export function App(props: AppProps) {
	const {services} = props;
	const {exit, suspendTerminal} = useApp();
	const terminal = useWindowSize();
	const size = props.size ?? terminal;
	const width = Math.max(40, size.columns);
	const height = Math.max(12, size.rows);
	const theme = useMemo(() => makeTheme({env: services.env, theme: services.theme}), [services.env, services.theme]);
	const cloud = useCloud(services, {cloud: props.cloud, project: props.project});

	const [viewId, setViewId] = useState<ViewId>(props.initialView ?? 'audit');
	// The plugins of this view (without the dangerous ones under --readonly) are bindings like backstack's own.
	const plugins = useMemo(
		() => pluginsFor(services.plugins?.list ?? [], {view: viewId, readonly: props.isReadonly ?? false}),
		[services.plugins, viewId, props.isReadonly],
	);
	const bindings = useMemo(
		() => [...activeBindings({readonly: props.isReadonly ?? false}), ...plugins.map(plugin => plugin.binding)],
		[props.isReadonly, plugins],
	);
	const [mode, setMode] = useState<InputContext>('list');
	// The plan screen's key handler while it is open: the App's one input queue feeds it.
	const planKeys = useRef<KeyHandler | undefined>(undefined);
	const routePlanKeys = useCallback((handler: KeyHandler | undefined) => {
		planKeys.current = handler;
	}, []);
	const toPlanScreen = useCallback((input: string, key: Key) => {
		planKeys.current?.(input, key);
	}, []);
	const [positions, setPositions] = useState<Partial<Record<ViewId, Position>>>({});
	const [filters, setFilters] = useState<Partial<Record<ViewId, string>>>({});
	const [sorts, setSorts] = useState<Partial<Record<ViewId, Sort>>>({});
	const [scroll, setScroll] = useState(0);
	const [query, setQuery] = useState('');
	const [paletteIndex, setPaletteIndex] = useState(0);
	const [detailRow, setDetailRow] = useState<Row | undefined>();
	const [message, setMessage] = useState<string | undefined>(() => unfinishedNotice(services.unfinishedPlans ?? []) ?? iacProblemNotice(services.iac?.problem));
	const [flow, setFlow] = useState<Flow | undefined>();
	// Volumes marked for protect-now (Space), by ID.
	const [marks, setMarks] = useState<ReadonlySet<string>>(() => new Set());
	// A plugin waiting for its y/n, and the output of the latest background one.
	const [asking, setAsking] = useState<{plugin: Plugin; argv: string[]; from: InputContext} | undefined>();
	const [output, setOutput] = useState<PluginOutput | undefined>();
	const runs = useRef(0);
	const suspended = useRef(false);

	const now = services.now();
	const {inventory, session} = cloud;
	const analysis = useMemo(
		() => (inventory === undefined ? undefined : services.analyse(inventory, services.now(), services.policy)),
		[inventory, services],
	);
	// A state file none of whose resources is in the project read is most likely another workspace's: the status line
	// says so whenever it has nothing else to say.
	const iacMap = services.iac?.map;
	const iacNotice = useMemo(
		() => (iacMap === undefined || inventory === undefined ? undefined : iacWarningNotice(iacMap, inventory)),
		[iacMap, inventory],
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

		if (mode === 'output') {
			return (output?.text ?? '').split('\n').map(line => sanitize(line));
		}

		if (mode === 'detail' && detailRow !== undefined) {
			return detailLines({
				row: detailRow, inventory, analysis, iac: iacMap, iacProblem: services.iac?.problem, now: services.now(), width,
			});
		}

		return [];
	}, [mode, detailRow, bindings, inventory, analysis, iacMap, width, services, output]);

	const items = useMemo(() => paletteItems({
		views, clouds: cloud.clouds, projects: cloud.projects, bindings, currentCloud: session?.cloudName, currentProject: session?.identity.token().projectId,
	}), [cloud.clouds, cloud.projects, bindings, session]);
	const matches = useMemo(() => fuzzyFilter(items, query, item => item.label), [items, query]);

	/**
	Runs a plugin: in the foreground with the terminal handed over (Ink suspended, then redrawn), or in the background
	with its output in a pane. The status line says how it ended; a failure, its exit code.
	*/
	const execute = (plugin: Plugin, argv: string[]) => {
		const runner = services.plugins?.run;
		if (runner === undefined) {
			return;
		}

		const {name} = plugin.spec;
		const finish = (ended: PluginExit) => {
			setMessage(exitText(name, ended));
			if (plugin.spec.dangerous) {
				cloud.refresh();
			}
		};

		if (plugin.spec.background) {
			runs.current++;
			const run = runs.current;
			const update = (change: (previous: PluginOutput) => PluginOutput) => {
				setOutput(previous => (previous?.run === run ? change(previous) : previous));
			};

			setOutput({
				run, name, argv, text: '',
			});
			setScroll(0);
			setMode('output');
			setMessage(`plugin ${sanitize(name)} running in the background`);
			void runner(argv, {
				background: true,
				onOutput(text) {
					update(previous => ({...previous, text: (previous.text + text).slice(-outputLimit)}));
				},
			}).then(ended => {
				update(previous => ({...previous, exit: ended}));
				finish(ended);
			});
			return;
		}

		// One command has the terminal at a time (a second key press while Ink is suspended does not reach here anyway).
		if (suspended.current) {
			return;
		}

		suspended.current = true;
		let ended: PluginExit = {code: undefined, error: 'it did not start'};
		void suspendTerminal(async () => {
			ended = await runner(argv, {background: false});
		}).then(() => {
			finish(ended);
		}).catch((error: unknown) => {
			setMessage(`plugin ${sanitize(name)} did not run: ${sanitize(error instanceof Error ? error.message : String(error))}`);
		}).finally(() => {
			suspended.current = false;
		});
	};

	const runPlugin = (id: string) => {
		const plugin = plugins.find(candidate => candidate.binding.id === id);
		if (plugin === undefined) {
			return;
		}

		const command = pluginCommand(plugin, {
			row: mode === 'detail' ? detailRow : current, marks, inventory, session, cloud: cloud.cloud,
		});
		if ('problem' in command) {
			setMessage(command.problem);
			return;
		}

		// A dangerous plugin is always asked about, whatever its `confirm` says.
		if (plugin.spec.confirm === true || plugin.spec.dangerous === true) {
			setAsking({plugin, argv: command.argv, from: mode === 'detail' ? 'detail' : 'list'});
			setMode('ask');
			setMessage(`${plugin.spec.dangerous ? 'dangerous: ' : ''}run ${sanitize(plugin.spec.name)}? ${argvText(command.argv)}  (y/n)`);
			return;
		}

		execute(plugin, command.argv);
	};

	const answerPlugin = (isYes: boolean) => {
		setMode(asking?.from ?? 'list');
		setAsking(undefined);
		if (asking === undefined || !isYes) {
			setMessage(asking === undefined ? undefined : `plugin ${sanitize(asking.plugin.spec.name)} not run`);
			return;
		}

		execute(asking.plugin, asking.argv);
	};

	const control: AppControl = {
		mode,
		viewId,
		view,
		rows,
		current,
		detailRow,
		sort,
		width,
		bodyHeight,
		textLength: lines.length,
		matches,
		paletteIndex,
		marks,
		bindings,
		inventory,
		services,
		cloud,
		toPlanScreen,
		exit,
		setMode,
		setViewId,
		moveTo,
		resetPositions() {
			setPositions({});
		},
		setFilters,
		setSorts,
		setScroll,
		setQuery,
		setPaletteIndex,
		setDetailRow,
		setMessage,
		setFlow,
		setMarks,
		runPlugin,
		answerPlugin,
	};
	// Keys that arrive in one read (a paste, a fast typist, tmux send-keys) are handled one by one, each after the one before
	// has rendered: the handler of each render sees that render's state.
	useSequentialInput((input, key) => {
		appKeys(control)(input, key);
	});

	let body: ReactNode;
	if (mode === 'restore' && flow !== undefined && session !== undefined) {
		body = (
			<PlanScreen
				key={flow.drill?.id ?? flow.title}
				session={session}
				flow={flow}
				width={width}
				height={bodyHeight + 1}
				theme={theme}
				journal={services.journal}
				clock={services.planClock}
				drillLog={services.drillLog}
				iac={services.iac}
				onKeys={routePlanKeys}
				onClose={(hasChanged, closingNote, shouldGoOn) => {
					let note = closingNote;
					if (flow.drill !== undefined) {
						// A drill that ran (or was recorded) is no longer marked. Enter opens the next marked one; Esc (or leaving
						// before the run) stops the queue, and the backups not drilled stay marked.
						const drilled = flow.drill.id;
						if (hasChanged) {
							setMarks(marked => new Set([...marked].filter(id => id !== drilled)));
						}

						if (shouldGoOn === true && flow.next !== undefined) {
							setFlow(flow.next);
							setMessage(note);
							if (hasChanged) {
								cloud.refresh();
							}

							return;
						}

						if (flow.next !== undefined) {
							note = `drills stopped: the backups still marked were not drilled${note === undefined ? '' : `; ${note}`}`;
						}
					}

					setMode('list');
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
	} else if (tableModes.has(mode)) {
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
		const title = mode === 'output' ? outputTitle(output) : scrollTitle(mode, detailRow);
		body = <ScrollText title={title} lines={lines} offset={scroll} height={bodyHeight + 1} width={width} hasColor={theme.color}/>;
	}

	const markCount = markCounts(inventory, marks);
	const status = statusLine({
		cloud, message: message ?? iacNotice, filter, isFiltering: mode === 'filter', shown: rows.length, total: built.length, marked: mode === 'restore' ? {volumes: 0, backups: 0} : markCount,
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
