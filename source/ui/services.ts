/*
Everything the App needs from the outside world, injected so tests (and the benchmark) can drive it: the connector to the
clouds, core's reading and analysis, the cache, the clock and the clipboard.
*/
import type {Inventory, InventoryProgress, Policy} from '../core/model.js';
import type {CloudSession} from '../core/types.js';
import type {Clock} from '../core/plans/types.js';
import type {DrillLogWriter} from '../core/plans/drill-record.js';
import type {IacMap} from '../core/iac/state.js';
import type {InventoryCache} from '../store/cache.js';
import type {IacWriter} from './plan/iac-lines.js';
import type {Analyse} from './analysis.js';
import type {CloudEntry} from './views/index.js';
import type {Plugin, PluginExit} from './plugins.js';

/**
Runs a plugin's argv without a shell (commands/plugin-runner.ts). In the foreground the command has the terminal (the App
has suspended Ink around the call); in the background its stdout and stderr come to `onOutput` as they arrive.
*/
export type PluginRunner = (argv: readonly string[], options: {background: boolean; onOutput?: (text: string) => void}) => Promise<PluginExit>;

/**
One line of core's capability check (the fields the header reads).
*/
export type CapabilityCheck = {
	state: 'ok' | 'warn' | 'fail' | 'info';
	topic: string;
	text: string;
};

export type AppConnector = {
	/**
	True when the clouds are those of the embedded demo cloud.
	*/
	demo: boolean;
	listClouds(): Promise<CloudEntry[]>;
	connect(cloud?: string, options?: {project?: string; signal?: AbortSignal}): Promise<CloudSession>;
};

export type AppServices = {
	connector: AppConnector;
	/**
	Core/inventory.ts `readInventory`.
	*/
	readInventory(session: CloudSession, options: {signal?: AbortSignal; onProgress?: (event: InventoryProgress) => void}): Promise<Inventory>;
	/**
	Core's assess + summarise + buildKeyGraph, as one object.
	*/
	analyse: Analyse;
	/**
	Core/check.ts `checkCloud`: the header summarises its lines (backup service, key manager…); optional.
	*/
	checkCloud?(session: CloudSession, options?: {signal?: AbortSignal}): Promise<Array<string | CapabilityCheck>>;
	policy: Policy;
	/**
	Directory of the plan journal (core/plans/journal.ts); restores started here are recorded in it.
	*/
	journal?: string;
	/**
	Appends the record of a restore drill started here (`D`) to the local drill log (store/drill-log.ts in the real
	program); without it a drill is recorded on its backup's metadata only, and says so.
	*/
	drillLog?: DrillLogWriter;
	/**
	How plans started here wait and poll (default: real time); tests run the demo cloud's waits faster.
	*/
	planClock?: Clock;
	/**
	Backstack's version, written into the metadata of the backups it makes.
	*/
	version?: string;
	/**
	Plans an earlier run left unfinished, for a notice at start: `backstack journal` resumes or cleans them up.
	*/
	unfinishedPlans?: Array<{planId: string; title: string; leftovers: Array<{kind: string; id: string; name?: string}>}>;
	/**
	Seconds between automatic refreshes while something is in progress (creating, backing-up, restoring…).
	*/
	refreshSeconds: number;
	cache?: InventoryCache;
	now(): Date;
	/**
	Puts text on the clipboard (OSC 52 on stdout in the real program).
	*/
	copy(text: string): void;
	/**
	For NO_COLOR.
	*/
	env: Record<string, string | undefined>;
	theme?: 'auto' | 'dark' | 'light' | 'none';
	/**
	The user's plugins, checked against the keymap (plugins.ts `checkPlugins`), and what runs them.
	*/
	plugins?: {list: readonly Plugin[]; run: PluginRunner};
	/**
	Terraform/OpenTofu state read at start (`--tfstate`, the `tfstate` setting; core/iac/state.ts): the detail pane names
	the address that manages a resource. `problem`: why no state could be read, for the status line. `write`: where the
	HCL adopting a restored volume goes (the plan screen shows it either way).
	*/
	iac?: {map?: IacMap; problem?: string; write?: IacWriter};
};
