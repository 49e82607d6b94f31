/*
Backstack's settings: a small JSON file (`config.json`) kept by `conf`, checked against a schema when read and written.

Where: `$BACKSTACK_CONFIG_DIR`, else `$XDG_CONFIG_HOME/backstack`, else `~/.config/backstack` (the same directory as the
inventory cache). Tests point BACKSTACK_CONFIG_DIR at a temporary directory.

Settings and their defaults (the README lists these):
- `defaultCloud` (no default): the clouds.yaml cloud to open when neither --os-cloud nor OS_CLOUD names one.
- `rpoHours` (24): recovery point objective in hours; a newest usable backup older than this is stale.
- `drillMaxAgeDays` (30): a passed restore drill older than this no longer verifies its backup (`backup.drill-stale`).
- `severities` ({}): per finding code, a severity replacing the default one, e.g. {"volume.snapshot-only": "critical"}.
- `refreshSeconds` (30): how often the TUI re-reads the cloud; 0 turns automatic refresh off.
- `theme` ('auto'): 'auto' (follow the terminal), 'dark', 'light', or 'none' (no colours, as with NO_COLOR).
- `plugins` ([]): the user's own commands in the TUI (core/plugins.ts says what one is; the schema here checks each entry's
  shape, the TUI then checks its key and views against its own keymap).
- `tfstate` ([]): Terraform/OpenTofu state files (or `terraform show -json` output) read at start to show which resource
  address manages a volume, server, image or secret (issue 14); `--tfstate` given on the command line replaces them.

A file that breaks the schema is not silently replaced by defaults: `loadSettings` throws, naming the file and the field
(a plugin's by its index: `plugins[2].command`).
*/
import process from 'node:process';
import Conf, {type Schema} from 'conf';
import {defaultDrillMaxAgeDays, defaultPolicy, defaultSeverities} from '../core/assessment.js';
import type {Policy, Severity} from '../core/model.js';
import type {PluginSpec} from '../core/plugins.js';
import {configDirectory, ensurePrivateDirectory} from './cache.js';

export type Theme = 'auto' | 'dark' | 'light' | 'none';

export type Settings = {
	defaultCloud?: string;
	rpoHours: number;
	drillMaxAgeDays: number;
	severities: Partial<Record<string, Severity>>;
	refreshSeconds: number;
	theme: Theme;
	/**
	What one API request may take in all, retries included, before it fails with a message (`--timeout` overrides).
	*/
	requestTimeoutSeconds: number;
	plugins: PluginSpec[];
	/**
	Paths of Terraform/OpenTofu state files; a relative one is taken from the current directory.
	*/
	tfstate: string[];
};

export const defaultSettings: Readonly<Settings> = {
	rpoHours: defaultPolicy.rpoHours,
	drillMaxAgeDays: defaultDrillMaxAgeDays,
	severities: {},
	refreshSeconds: 30,
	theme: 'auto',
	requestTimeoutSeconds: 45,
	plugins: [],
	tfstate: [],
};

const severityValues: Severity[] = ['critical', 'warning', 'info', 'ok'];

const schema: Schema<Settings> = {
	defaultCloud: {type: 'string', minLength: 1},
	rpoHours: {type: 'number', exclusiveMinimum: 0, default: defaultSettings.rpoHours},
	drillMaxAgeDays: {type: 'number', exclusiveMinimum: 0, default: defaultSettings.drillMaxAgeDays},
	severities: {
		type: 'object',
		additionalProperties: {enum: severityValues},
		default: {},
	},
	refreshSeconds: {type: 'integer', minimum: 0, default: defaultSettings.refreshSeconds},
	theme: {enum: ['auto', 'dark', 'light', 'none'], default: defaultSettings.theme},
	requestTimeoutSeconds: {type: 'number', exclusiveMinimum: 0, default: defaultSettings.requestTimeoutSeconds},
	plugins: {
		type: 'array',
		default: [],
		items: {
			type: 'object',
			// A misspelt field (`comand`, `readonly`) is an error, not a plugin that silently lacks it.
			additionalProperties: false,
			required: ['key', 'name', 'scopes', 'command'],
			properties: {
				key: {type: 'string', minLength: 1},
				name: {type: 'string', minLength: 1},
				description: {type: 'string'},
				scopes: {type: 'array', minItems: 1, items: {type: 'string', minLength: 1}},
				command: {type: 'array', minItems: 1, items: {type: 'string', minLength: 1}},
				confirm: {type: 'boolean'},
				dangerous: {type: 'boolean'},
				background: {type: 'boolean'},
			},
		},
	},
	tfstate: {type: 'array', default: [], items: {type: 'string', minLength: 1}},
};

/**
Where the schema broke, in conf's words (`plugins/2/command`), as a reader of the file looks for it: `plugins[2].command`.
*/
function readablePaths(message: string): string {
	const readable = (pointer: string) => {
		const [first = '', ...rest] = pointer.split('/');
		return first + rest.map(part => (/^\d+$/v.test(part) ? `[${part}]` : `.${part}`)).join('');
	};

	return message.replaceAll(/`(?<pointer>[^`]*)`/gv, (_whole, pointer: string) => `\`${readable(pointer)}\``);
}

export type SettingsOptions = {
	/**
	Environment to read BACKSTACK_CONFIG_DIR / XDG_CONFIG_HOME from; default `process.env`.
	*/
	env?: Record<string, string | undefined>;
	home?: string;
	/**
	The directory itself, overriding the environment.
	*/
	directory?: string;
};

export type LoadedSettings = {
	settings: Settings;
	/**
	The assessment policy the settings describe.
	*/
	policy(): Policy;
	/**
	The settings file.
	*/
	path: string;
	/**
	Finding codes in `severities` that no rule emits (likely typos).
	*/
	unknownCodes: string[];
	/**
	Changes and saves settings (validated against the schema; throws on a bad value).
	*/
	update(changes: Partial<Settings>): Settings;
};

function read(store: Conf<Settings>): Settings {
	const defaultCloud = store.get('defaultCloud');
	return {
		...(defaultCloud !== undefined && {defaultCloud}),
		rpoHours: store.get('rpoHours'),
		drillMaxAgeDays: store.get('drillMaxAgeDays'),
		severities: {...store.get('severities')},
		refreshSeconds: store.get('refreshSeconds'),
		theme: store.get('theme'),
		requestTimeoutSeconds: store.get('requestTimeoutSeconds'),
		plugins: store.get('plugins').map(plugin => ({...plugin, scopes: [...plugin.scopes], command: [...plugin.command]})),
		tfstate: [...store.get('tfstate')],
	};
}

/**
Reads the settings file (creating nothing until something is saved). The directory, when it exists, is made private
(0700); before a save it is created 0700 when missing (conf would create it 0755); the file is written 0600.
*/
export function loadSettings(options: SettingsOptions = {}): LoadedSettings {
	const directory = options.directory ?? configDirectory(options.env ?? process.env, options.home);
	ensurePrivateDirectory(directory, {create: false});
	let store: Conf<Settings>;
	try {
		store = new Conf<Settings>({
			projectName: 'backstack',
			cwd: directory,
			configName: 'config',
			schema,
			accessPropertiesByDotNotation: false,
			clearInvalidConfig: false,
			configFileMode: 0o600,
		});
	} catch (error) {
		const message = error instanceof Error ? error.message : String(error);
		throw new Error(`The settings file ${directory}/config.json is not valid (${readablePaths(message)}). Fix it or delete it to get the defaults.`, {cause: error});
	}

	let settings = read(store);
	const loaded: LoadedSettings = {
		get settings() {
			return settings;
		},
		policy: () => ({rpoHours: settings.rpoHours, severities: {...settings.severities}, drillMaxAgeDays: settings.drillMaxAgeDays}),
		path: store.path,
		unknownCodes: Object.keys(settings.severities).filter(code => defaultSeverities[code] === undefined).toSorted(),
		update(changes) {
			ensurePrivateDirectory(directory);
			for (const [key, value] of Object.entries(changes) as Array<[keyof Settings, Settings[keyof Settings] | undefined]>) {
				if (value === undefined) {
					store.delete(key);
				} else {
					store.set(key, value);
				}
			}

			settings = read(store);
			return settings;
		},
	};
	return loaded;
}
