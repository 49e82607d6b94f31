/*
The user's plugins in the TUI: each checked against the keymap when the TUI starts and turned into a binding of its own, so
the footer, the `?` help, the `:` palette and the key handler show and find it as they do backstack's keys.

Checked here, not by the settings schema, because these need the TUI's own data: a plugin's key must be free (backstack's
keys act in every view, so a plugin cannot take one in any), two plugins sharing a view need different keys, its scopes
must be views that exist, and its command may name only the variables core/plugins.ts defines.
*/
import {
	hasVariable,
	pluginVariableNames,
	substitute,
	unknownVariables,
	type PluginSpec,
	type PluginVariables,
} from '../core/plugins.js';
import type {Inventory} from '../core/model.js';
import type {CloudSession} from '../core/types.js';
import {keymap, type Binding, type InputContext} from './keymap.js';
import {views, type Row, type ViewId} from './views/index.js';
import {sanitize} from './sanitize.js';

/**
A plugin as the TUI runs it: its settings and the binding that stands for it.
*/
export type Plugin = {
	spec: PluginSpec;
	binding: Binding;
};

/**
Where plugins act: on the list and on the detail pane of a row.
*/
const pluginContexts: InputContext[] = ['list', 'detail'];

const viewIds = new Set<string>(views.map(view => view.id));

const variableList = pluginVariableNames.map(name => `$${name}`).join(' ');

/**
A key a plugin may use: one visible character, or Ctrl and a letter.
*/
function isPluginKey(key: string): boolean {
	return /^(?:\S|ctrl\+[a-z])$/v.test(key);
}

function freeKeys(taken: ReadonlySet<string>): string {
	const candidates = [...'aefmnoptuvwxzABCDEFHJLMNQTUVWXYZ'];
	return candidates.filter(key => !taken.has(key)).join(' ');
}

/**
The plugins of the settings file `file` as bindings; throws, naming the file, the plugin's index and its field, on the first
plugin that cannot be offered.
*/
export function checkPlugins(specs: readonly PluginSpec[], file: string): Plugin[] {
	const builtIn = new Map<string, Binding>();
	for (const binding of keymap) {
		if (binding.when.some(context => pluginContexts.includes(context))) {
			for (const key of binding.keys) {
				builtIn.set(key, binding);
			}
		}
	}

	const fail = (index: number, field: string, problem: string): never => {
		throw new Error(`The settings file ${file}: plugins[${index}].${field} ${problem}`);
	};

	const plugins: Plugin[] = [];
	for (const [index, spec] of specs.entries()) {
		if (!isPluginKey(spec.key)) {
			fail(index, 'key', `"${spec.key}" is not a key a plugin can use: give one character (like "v") or Ctrl and a letter (like "ctrl+e").`);
		}

		for (const [scopeIndex, scope] of spec.scopes.entries()) {
			if (!viewIds.has(scope)) {
				fail(index, `scopes[${scopeIndex}]`, `"${scope}" is not a view; the views are: ${[...viewIds].join(', ')}.`);
			}
		}

		const taken = builtIn.get(spec.key);
		if (taken !== undefined) {
			const usedKeys = new Set([...builtIn.keys(), ...plugins.map(plugin => plugin.spec.key)]);
			fail(index, 'key', `"${spec.key}" is backstack's own key in view ${spec.scopes[0] ?? ''} (${taken.description}); choose a free one, e.g. one of: ${freeKeys(usedKeys)}.`);
		}

		const clash = plugins.find(plugin => plugin.spec.key === spec.key && plugin.spec.scopes.some(scope => spec.scopes.includes(scope)));
		if (clash !== undefined) {
			const shared = clash.spec.scopes.find(scope => spec.scopes.includes(scope)) ?? '';
			fail(index, 'key', `"${spec.key}" is also the key of plugins[${plugins.indexOf(clash)}] (${clash.spec.name}) in view ${shared}; give one of them another key.`);
		}

		const typo = spec.command.findIndex(element => unknownVariables(element).length > 0);
		if (typo !== -1) {
			const names = unknownVariables(spec.command[typo] ?? '').map(name => `$${name}`).join(', ');
			fail(index, `command[${typo}]`, `names ${names}, which is not a variable; the variables are ${variableList} ($$ is a literal $).`);
		}

		plugins.push({
			spec,
			binding: {
				id: `plugin.${index}`,
				keys: [spec.key],
				description: spec.name,
				when: pluginContexts,
				footer: true,
				palette: true,
				views: spec.scopes as ViewId[],
				short: spec.name,
				// `--readonly` drops the bindings that change the cloud: a dangerous plugin is one.
				mutates: spec.dangerous,
				dangerous: spec.dangerous,
				note: `plugin${spec.background ? ' (background)' : ''}${spec.description === undefined ? '' : `: ${spec.description}`}`,
			},
		});
	}

	return plugins;
}

/**
The plugins offered in one view and mode: those scoped to the view, without the dangerous ones under `--readonly`.
*/
export function pluginsFor(plugins: readonly Plugin[], options: {view: ViewId; readonly: boolean}): Plugin[] {
	return plugins.filter(plugin => plugin.spec.scopes.includes(options.view) && !(options.readonly && plugin.spec.dangerous));
}

/**
What a plugin acts on: the row (selected or in the detail pane), the marks, the session.
*/
export type PluginTarget = {
	row: Row | undefined;
	marks: ReadonlySet<string>;
	inventory: Inventory | undefined;
	session: CloudSession | undefined;
	cloud: string | undefined;
};

/**
The argv to run, or why it cannot run now (a sentence for the status line).
*/
export function pluginCommand(plugin: Plugin, target: PluginTarget): {argv: string[]} | {problem: string} {
	const {command} = plugin.spec;
	const ref = target.row?.ref;
	const marked = (target.inventory?.volumes ?? []).filter(volume => target.marks.has(volume.id)).map(volume => volume.id);
	const needsRow = ['ID', 'NAME', 'KIND'] as const;
	const selected = ref === undefined ? [] : [ref.id];
	return ref === undefined && needsRow.some(name => hasVariable(command, name))
		? {problem: `${sanitize(plugin.spec.name)} acts on a resource: select a row first`}
		: {argv: substitute(command, {...resourceVariables(ref), ...sessionVariables(target), selectedIds: marked.length > 0 ? marked : selected})};
}

function resourceVariables(ref: Row['ref']): Pick<PluginVariables, 'id' | 'name' | 'kind'> {
	return {id: ref?.id ?? '', name: ref?.name ?? '', kind: ref?.kind ?? ''};
}

/**
The session's names: never its token (nor anything else that would let the command act as the user).
*/
function sessionVariables(target: PluginTarget): Pick<PluginVariables, 'project' | 'projectId' | 'cloud' | 'region'> {
	const token = target.session?.identity.token();
	return {
		project: token?.projectName ?? '',
		projectId: token?.projectId ?? '',
		cloud: target.session?.cloudName ?? target.cloud ?? '',
		region: target.session?.region ?? '',
	};
}

/**
An argv as a person reads it, each cloud-supplied part made safe to draw (quoted when it has spaces).
*/
export function argvText(argv: readonly string[]): string {
	return argv.map(part => {
		const safe = sanitize(part);
		return /^[\w%+,\-.\/:=@]+$/v.test(safe) ? safe : `'${safe.replaceAll('\'', String.raw`'\''`)}'`;
	}).join(' ');
}

/**
How a plugin's run ended, as the runner (commands/plugin-runner.ts) reports it.
*/
export type PluginExit = {code: number | undefined; signal?: string; error?: string};

/**
The status line after a run: a failure says its exit code (or signal, or why it did not start).
*/
export function exitText(name: string, exit: PluginExit): string {
	const shown = sanitize(name);
	if (exit.error !== undefined) {
		return `plugin ${shown} did not run: ${sanitize(exit.error)}`;
	}

	if (exit.signal !== undefined) {
		return `plugin ${shown} was stopped by ${exit.signal}`;
	}

	return exit.code === 0 ? `plugin ${shown} done (exit code 0)` : `plugin ${shown} failed: exit code ${exit.code ?? '?'}`;
}
