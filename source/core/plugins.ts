/*
User plugins (k9s-style): commands from the settings that the TUI offers next to its own keys. This module is the pure
part: what a plugin is, which variables its command may name, and how they are put into the argv.

The command is an argv array, run without a shell, so a variable's value is never parsed again: a volume named
`x; rm -rf ~` is one argument, as it is. Substitution:
- `$NAME` or `${NAME}` inside an element is replaced by the value; `$$` is a literal `$`. A `$` not followed by a capital
  letter or `{` (`$1`, `$(`, a lone `$`) is kept as it is, so awk and sed scripts pass through.
- `$SELECTED_IDS` (the marked volumes, else the selected resource) is a list: an element that is exactly `$SELECTED_IDS`
  becomes one argv element per ID (none when there is nothing), as `"$@"` does in a shell; inside a longer element the IDs
  are joined by single spaces.
- A name that is not a variable is refused when the settings are read (`unknownVariables`), not left in the argv.

No variable carries a secret: the token, the password and a key's payload are not among them (a secret's `$ID` is the
last part of its reference, which is only a name for it).
*/

/**
One plugin as the settings file declares it.
*/
export type PluginSpec = {
	/**
	The key that runs it: one character, or `ctrl+` and a letter.
	*/
	key: string;
	name: string;
	description?: string;
	/**
	The views it applies to (their ids: `volumes`, `backups`…).
	*/
	scopes: string[];
	/**
	Argv: the program and its arguments, variables substituted.
	*/
	command: string[];
	/**
	Ask (y/n) before running it.
	*/
	confirm?: boolean;
	/**
	Changes or destroys something: hidden under `--readonly`, and always asked first.
	*/
	dangerous?: boolean;
	/**
	Run with its output captured into a pane instead of handing it the terminal.
	*/
	background?: boolean;
};

export const pluginVariableNames = ['ID', 'NAME', 'KIND', 'PROJECT', 'PROJECT_ID', 'CLOUD', 'REGION', 'SELECTED_IDS'] as const;

export type PluginVariableName = typeof pluginVariableNames[number];

/**
The values a command is given. A value that does not apply (no region in the catalog, a resource without a name) is ''.
*/
export type PluginVariables = {
	id: string;
	name: string;
	kind: string;
	project: string;
	projectId: string;
	cloud: string;
	region: string;
	selectedIds: readonly string[];
};

const fields = new Map<PluginVariableName, keyof PluginVariables>([
	['ID', 'id'],
	['NAME', 'name'],
	['KIND', 'kind'],
	['PROJECT', 'project'],
	['PROJECT_ID', 'projectId'],
	['CLOUD', 'cloud'],
	['REGION', 'region'],
	['SELECTED_IDS', 'selectedIds'],
]);

// `$$`, `${NAME}` or `$NAME` (a capital, then capitals, digits and underscores).
const reference = /\$(?:(?<dollar>\$)|\{(?<braced>[^\}]*)\}|(?<bare>[A-Z][\dA-Z_]*))/gv;

// An element that is the list variable and nothing else.
const wholeList = /^\$(?:SELECTED_IDS|\{SELECTED_IDS\})$/v;

function isVariableName(name: string): name is PluginVariableName {
	return (pluginVariableNames as readonly string[]).includes(name);
}

function referencedNames(element: string): string[] {
	const names: string[] = [];
	for (const match of element.matchAll(reference)) {
		const {braced, bare} = match.groups ?? {};
		const name = braced ?? bare;
		if (name !== undefined) {
			names.push(name);
		}
	}

	return names;
}

/**
The names an argv element refers to that are not variables (typos like `$VOLUME_ID`), in order, each once.
*/
export function unknownVariables(element: string): string[] {
	return [...new Set(referencedNames(element).filter(name => !isVariableName(name)))];
}

/**
Whether the command names a variable (a plugin that needs a selected resource is not run when there is none).
*/
export function hasVariable(command: readonly string[], name: PluginVariableName): boolean {
	return command.some(element => referencedNames(element).includes(name));
}

function valueOf(name: string, variables: PluginVariables): string {
	if (!isVariableName(name)) {
		// Unknown names are refused when the settings are read; should one get here, it is kept as written, not guessed.
		return `$${name}`;
	}

	const value = variables[fields.get(name) ?? 'id'];
	return typeof value === 'string' ? value : value.join(' ');
}

/**
The argv with the variables put in (see the top of this file for the rules).
*/
export function substitute(command: readonly string[], variables: PluginVariables): string[] {
	return command.flatMap(element => (wholeList.test(element)
		? [...variables.selectedIds]
		: [element.replaceAll(reference, (...parameters: unknown[]) => {
			const groups = parameters.at(-1) as {dollar?: string; braced?: string; bare?: string};
			return groups.dollar === undefined ? valueOf(groups.braced ?? groups.bare ?? '', variables) : '$';
		})]));
}
