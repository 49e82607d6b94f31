/*
Every key binding as data (lazygit/gemini-cli style): the footer, the `?` help, the command palette and the input handler all
read this one list. A binding that changes the cloud is `mutates`; `--readonly` removes those everywhere.
*/
import type {Key} from 'ink';
import type {ViewId} from './views/index.js';

/**
Where the user is in a guided plan (plan-screen.tsx): choosing from a list, filling the form, on the preview (confirm),
while it runs, offered the cleanup of what a stopped or failed run left, once it is over, waiting for core, or offered
to record a restore drill that failed before it could start (its backup's key or type is gone).
*/
export type PlanContext = 'choose' | 'form' | 'confirm' | 'run' | 'offer' | 'over' | 'wait' | 'record';

/**
Where the user is; a binding applies only in the contexts it lists. `restore` is the plan screen as the App sees it;
`ask` is a plugin's y/n question, `output` the pane of a background plugin's output.
*/
export type InputContext = 'list' | 'detail' | 'filter' | 'palette' | 'help' | 'raw' | 'output' | 'ask' | 'restore' | PlanContext;

export type Binding = {
	/**
	`area.verb`
	*/
	id: string;
	/**
	Key specs: a character (`j`, `G`, `?`), or a named key (`up`, `enter`, `esc`, `pagedown`, `ctrl+d`, `shift+tab`).
	*/
	keys: string[];
	description: string;
	when: InputContext[];
	/**
	Shown in the footer (the rest only in the help).
	*/
	footer?: boolean;
	/**
	Changes something in the cloud: hidden in read-only mode.
	*/
	mutates?: boolean;
	/**
	Destroys or overwrites data: asks for a typed confirmation.
	*/
	dangerous?: boolean;
	/**
	Listed in the `:` palette as an action.
	*/
	palette?: boolean;
	/**
	Why the binding does nothing right now (shown instead of hiding it).
	*/
	disabledReason?: string;
	/**
	The views whose rows it acts on: listed first in those views' footers (and named in the help).
	*/
	views?: ViewId[];
	/**
	The footer's shorter words for it.
	*/
	short?: string;
	/**
	Only writes a local file the user named in the preview (a download, a key export): kept in read-only mode,
	which promises that nothing in the cloud is modified.
	*/
	localOnly?: boolean;
	/**
	More words for the help (a plugin's description).
	*/
	note?: string;
};

const browse: InputContext[] = ['list', 'detail'];

export const keymap: readonly Binding[] = [
	{
		id: 'nav.down', keys: ['down', 'j'], description: 'Move down', when: ['list', 'detail', 'help', 'raw', 'output', 'palette', 'choose'], footer: true,
	},
	{
		id: 'nav.up', keys: ['up', 'k'], description: 'Move up', when: ['list', 'detail', 'help', 'raw', 'output', 'palette', 'choose'],
	},
	{
		id: 'nav.pageDown', keys: ['pagedown', 'ctrl+f'], description: 'Page down', when: ['list', 'detail', 'help', 'raw', 'output'],
	},
	{
		id: 'nav.pageUp', keys: ['pageup', 'ctrl+b'], description: 'Page up', when: ['list', 'detail', 'help', 'raw', 'output'],
	},
	{
		id: 'nav.top', keys: ['home', 'g'], description: 'First row', when: ['list', 'detail', 'raw', 'output'],
	},
	{
		id: 'nav.bottom', keys: ['end', 'G'], description: 'Last row', when: ['list', 'detail', 'raw', 'output'],
	},
	{
		id: 'nav.enter', keys: ['enter'], description: 'Open / drill in', when: ['list', 'palette'], footer: true,
	},
	{
		id: 'nav.back', keys: ['esc'], description: 'Back / close', when: ['detail', 'filter', 'palette', 'help', 'raw', 'output'], footer: true,
	},
	{
		id: 'view.next', keys: ['tab', 'right', 'l'], description: 'Next view', when: ['list'],
	},
	{
		id: 'view.previous', keys: ['shift+tab', 'left', 'h'], description: 'Previous view', when: ['list'],
	},
	{
		id: 'view.jump', keys: ['1', '2', '3', '4', '5', '6', '7', '8', '9'], description: 'Jump to view 1–9', when: browse,
	},
	{
		id: 'app.palette', keys: [':', 'ctrl+p'], description: 'Command palette', when: browse, footer: true,
	},
	{
		id: 'list.filter', keys: ['/'], description: 'Filter rows', when: ['list'], footer: true,
	},
	{
		id: 'list.sort', keys: ['s'], description: 'Sort by next column', when: ['list'], footer: true, palette: true,
	},
	{
		id: 'list.sortReverse', keys: ['S'], description: 'Reverse sort order', when: ['list'], palette: true,
	},
	{
		id: 'resource.copyId', keys: ['c'], description: 'Copy ID (OSC 52)', when: browse, footer: true, palette: true,
	},
	{
		id: 'resource.raw', keys: ['y'], description: 'Raw JSON', when: browse, footer: true, palette: true,
	},
	{
		id: 'app.refresh', keys: ['r', 'ctrl+r'], description: 'Refresh', when: browse, footer: true, palette: true,
	},
	{
		id: 'backup.create', keys: ['b'], description: 'Back up (volume, server)', when: browse, mutates: true, palette: true, footer: true,
		views: ['volumes', 'servers', 'audit'], short: 'backup',
	},
	{
		id: 'backup.toImage', keys: ['i'], description: 'Copy volume to an image', when: browse, mutates: true, palette: true, footer: true,
		views: ['volumes'], short: '→image',
	},
	{
		id: 'backup.download', keys: ['d'], description: 'Download image to a file', when: browse, localOnly: true, palette: true, footer: true,
		views: ['images'], short: 'download',
	},
	{
		id: 'backup.exportKey', keys: ['K'], description: 'Export a key to a file', when: browse, localOnly: true, palette: true, footer: true,
		views: ['volumes', 'backups', 'images', 'secrets'], short: 'key→file',
	},
	{
		id: 'backup.bundle', keys: ['X'], description: 'DR bundle to a directory', when: browse, mutates: true, palette: true, footer: true,
		views: ['images'], short: 'bundle',
	},
	{
		id: 'backup.mark', keys: ['space'], description: 'Mark volume or backup', when: ['list'], mutates: true, footer: true,
		views: ['volumes', 'audit', 'backups'], short: 'mark',
	},
	{
		id: 'backup.protect', keys: ['P'], description: 'Protect marked volumes now', when: browse, mutates: true, palette: true, footer: true,
		views: ['volumes', 'audit'], short: 'protect',
	},
	{
		id: 'restore.start', keys: ['R'], description: 'Restore as a new resource', when: browse, mutates: true, palette: true, footer: true,
		views: ['backups', 'images', 'secrets'], short: 'restore',
	},
	{
		id: 'restore.onto', keys: ['O'], description: 'Restore onto a volume', when: browse, mutates: true, dangerous: true, palette: true, footer: true,
		views: ['backups', 'volumes'], short: 'onto vol',
	},
	{
		id: 'drill.start', keys: ['D'], description: 'Drill: restore and check', when: browse, mutates: true, palette: true, footer: true,
		views: ['backups'], short: 'drill',
	},
	{
		id: 'drill.verify', keys: ['V'], description: 'Drill and compare bytes', when: browse, mutates: true, palette: true,
		views: ['backups'], short: 'drill+bytes',
	},
	{
		id: 'restore.imageFile', keys: ['I'], description: 'New image from a file', when: browse, mutates: true, palette: true, footer: true,
		views: ['images'], short: 'file→image',
	},
	{
		id: 'restore.bundle', keys: ['U'], description: 'Restore a DR bundle…', when: browse, mutates: true, palette: true, footer: true,
		views: ['images'], short: 'from bundle',
	},
	{
		id: 'plan.nextField', keys: ['down', 'tab'], description: 'Plan form: next field', when: ['form'], footer: true, short: 'next field',
	},
	{
		id: 'plan.previousField', keys: ['up', 'shift+tab'], description: 'Plan form: previous field', when: ['form'],
	},
	{
		id: 'plan.nextChoice', keys: ['right', 'space'], description: 'Plan form: next choice', when: ['form'], footer: true, short: 'choose',
	},
	{
		id: 'plan.previousChoice', keys: ['left'], description: 'Plan form: previous choice', when: ['form'],
	},
	{
		id: 'plan.submit', keys: ['enter'], description: 'Plan: take it / plan it', when: ['choose', 'form'], footer: true, short: 'take it (nothing changes yet)',
	},
	{
		id: 'plan.run', keys: ['enter'], description: 'Plan: run it (preview)', when: ['confirm'], footer: true, short: 'runs the plan',
	},
	{
		id: 'plan.clear', keys: ['ctrl+u'], description: 'Plan: clear what is typed', when: ['form', 'confirm'], footer: true, short: 'clear',
	},
	{
		id: 'plan.back', keys: ['esc', 'ctrl+c'], description: 'Plan: back, nothing done', when: ['choose', 'form', 'confirm', 'wait', 'record'], footer: true, short: 'back (nothing has changed)',
	},
	{
		id: 'plan.record', keys: ['enter'], description: 'Drill: record the failure', when: ['record'], footer: true, mutates: true,
		short: 'record this failed drill on the backup and in the local drill log',
	},
	{
		id: 'plan.stop', keys: ['ctrl+c', 'esc'], description: 'Plan: stop the run safely', when: ['run'], footer: true, short: 'stops it safely (what it created is then offered for cleanup)',
	},
	{
		id: 'plan.cleanup', keys: ['c'], description: 'Plan: clean up leftovers', when: ['offer'], footer: true, short: 'clean up now (delete them)',
	},
	{
		id: 'plan.keep', keys: ['k', 'esc'], description: 'Plan: keep leftovers', when: ['offer'], footer: true, short: 'keep them (backstack journal can resume or clean up later)',
	},
	{
		id: 'plan.close', keys: ['enter', 'esc'], description: 'Plan: back to the lists', when: ['over'], footer: true, short: 'back to the lists',
	},
	{
		id: 'plan.iacForm', keys: ['f'], description: 'Plan: import ⇄ arguments', when: ['over'], short: 'Terraform: the other form (import ⇄ arguments)',
		note: 'the Terraform change (--tfstate)',
	},
	{
		id: 'app.help', keys: ['?'], description: 'Help', when: ['list', 'detail', 'help'], footer: true,
	},
	{
		id: 'app.quit', keys: ['q', 'ctrl+c'], description: 'Quit', when: ['list', 'detail', 'help', 'raw', 'output'], footer: true,
	},
];

/**
The bindings that exist in this mode: read-only mode drops everything that changes the cloud.
*/
export function activeBindings(options: {readonly: boolean}): Binding[] {
	return keymap.filter(binding => !(options.readonly && binding.mutates));
}

const named: Record<string, (key: Key, input: string) => boolean> = {
	space: (key, input) => input === ' ' && !key.ctrl && !key.meta,
	up: key => key.upArrow,
	down: key => key.downArrow,
	left: key => key.leftArrow && !key.shift,
	right: key => key.rightArrow && !key.shift,
	pageup: key => key.pageUp,
	pagedown: key => key.pageDown,
	home: key => key.home,
	end: key => key.end,
	enter: key => key.return,
	esc: key => key.escape,
	tab: key => key.tab && !key.shift,
	'shift+tab': key => key.tab && key.shift,
	backspace: key => key.backspace || key.delete,
};

/**
Whether one key spec matches what Ink reported.
*/
export function isKeyMatch(spec: string, input: string, key: Key): boolean {
	const test = named[spec];
	if (test) {
		return test(key, input);
	}

	return spec.startsWith('ctrl+') ? key.ctrl && input === spec.slice('ctrl+'.length) : !key.ctrl && !key.meta && input === spec;
}

/**
The first binding that applies in `context` and matches the key press.
*/
export function findBinding(bindings: readonly Binding[], context: InputContext, input: string, key: Key): Binding | undefined {
	return bindings.find(binding => binding.when.includes(context) && binding.keys.some(spec => isKeyMatch(spec, input, key)));
}

/**
How a key spec is shown to people: `↓`, `Enter`, `Ctrl+D`.
*/
export function keyLabel(spec: string): string {
	const labels: Record<string, string> = {
		up: '↑', down: '↓', left: '←', right: '→', pageup: 'PgUp', pagedown: 'PgDn', home: 'Home', end: 'End',
		enter: 'Enter', esc: 'Esc', tab: 'Tab', 'shift+tab': 'Shift+Tab', backspace: 'Bksp', space: 'Space',
	};
	const label = labels[spec];
	if (label !== undefined) {
		return label;
	}

	return spec.startsWith('ctrl+') ? `Ctrl+${spec.slice(5).toUpperCase()}` : spec;
}

/**
The footer's text for one binding: its first two keys.
*/
export function bindingKeys(binding: Binding, count = 2): string {
	return binding.id === 'view.jump' ? '1-9' : binding.keys.slice(0, count).map(spec => keyLabel(spec)).join('/');
}
