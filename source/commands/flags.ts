/*
Which flags each command accepts, and the sentence for one it does not (issue 16: a mistyped `--dryrun` next to `--yes`
must stop the command, not be ignored). Pure: cli.tsx hands in the words of the command line and prints the result.
*/
import {planUsage} from '../core/plans/commands.js';

export type FlagType = 'boolean' | 'string';

/**
Every flag of any command (kebab-case, as typed), with its type. Booleans are declared to meow so that
`--hex file` does not take `file` as the flag's value.
*/
export const flagTypes: Record<string, FlagType> = {
	'os-cloud': 'string',
	project: 'string',
	demo: 'boolean',
	readonly: 'boolean',
	debug: 'boolean',
	'debug-file': 'string',
	help: 'boolean',
	version: 'boolean',
	'all-projects': 'boolean',
	format: 'string',
	'fail-on': 'string',
	yes: 'boolean',
	confirm: 'string',
	'dry-run': 'boolean',
	'export-cli': 'boolean',
	port: 'string',
	scale: 'string',
	latency: 'string',
	name: 'string',
	'volume-type': 'string',
	method: 'string',
	size: 'string',
	'disk-format': 'string',
	'container-format': 'string',
	'key-file': 'string',
	'key-algorithm': 'string',
	'key-bit-length': 'string',
	'key-mode': 'string',
	'keep-key': 'boolean',
	algorithm: 'string',
	'bit-length': 'string',
	mode: 'string',
	'secret-type': 'string',
	'old-secret': 'string',
	incremental: 'boolean',
	full: 'boolean',
	force: 'boolean',
	'via-snapshot': 'boolean',
	hex: 'boolean',
	concurrency: 'string',
	timeout: 'string',
	'newest-per-volume': 'boolean',
	'verify-data': 'boolean',
	max: 'string',
	'max-gib': 'string',
	parallel: 'string',
	json: 'boolean',
	tfstate: 'string',
	'group-by': 'string',
	'iac-form': 'string',
	'export-terraform': 'string',
};

const session = ['os-cloud', 'project', 'demo', 'debug', 'debug-file', 'help', 'version', 'timeout'];
// --readonly only where nothing changes: on a backup or restore it would promise a safety it does not give.
const readOnly = [...session, 'readonly'];
// Terraform/OpenTofu state files (issue 14): where the interactive view and the audit show who manages a resource.
const iac = ['tfstate'];
const plan = [...session, 'yes', 'confirm', 'dry-run', 'export-cli'];

const restoreKinds: Record<string, string[]> = {
	backup: ['name', 'volume-type', 'method', ...iac, 'iac-form', 'export-terraform'],
	onto: [],
	'volume-from-image': ['name', 'size', 'volume-type'],
	image: ['name', 'disk-format', 'container-format', 'key-file', 'key-algorithm', 'key-bit-length', 'key-mode', 'keep-key'],
	secret: ['name', 'algorithm', 'bit-length', 'mode', 'secret-type', 'old-secret', ...iac, 'iac-form', 'export-terraform'],
	bundle: ['volume-type', ...iac, 'iac-form', 'export-terraform'],
};

const backupKinds: Record<string, string[]> = {
	volume: ['name', 'incremental', 'full', 'force'],
	'volume-image': ['name', 'disk-format', 'container-format', 'via-snapshot'],
	server: ['name'],
	'image-download': [],
	secret: ['hex'],
	protect: ['concurrency', 'incremental', 'full'],
	bundle: [],
};

/**
The command as the user names it (`backup volume`, `audit`, or '' for the interactive view) and the flags it accepts.
*/
export function acceptedFlags(input: string[]): {command: string; flags: Set<string>} {
	const [name, kind] = input;
	const byKind = (kinds: Record<string, string[]>) => {
		const own = kind === undefined ? undefined : kinds[kind];
		// An unknown kind gets its own error later; its flags are then those of any kind.
		const extra = own ?? Object.values(kinds).flat();
		return {command: own === undefined ? name! : `${name!} ${kind!}`, flags: new Set([...plan, ...extra])};
	};

	switch (name) {
		case undefined: {
			return {command: '', flags: new Set([...readOnly, ...iac])};
		}

		case 'audit': {
			return {command: name, flags: new Set([...readOnly, 'all-projects', 'format', 'fail-on', ...iac, 'group-by'])};
		}

		case 'restore': {
			return byKind(restoreKinds);
		}

		case 'backup': {
			return byKind(backupKinds);
		}

		case 'drill': {
			return {command: name, flags: new Set([...plan.filter(flag => flag !== 'confirm'), 'newest-per-volume', 'max', 'max-gib', 'parallel', 'verify-data', 'all-projects', 'json', 'format'])};
		}

		case 'journal': {
			return {command: name, flags: new Set([...session, 'yes', 'confirm'])};
		}

		case 'demo-cloud': {
			return {command: name, flags: new Set(['help', 'version', 'port', 'scale', 'latency'])};
		}

		case 'verify': {
			return {command: name, flags: new Set(['help', 'version'])};
		}

		default: {
			// `check`, and an unknown command (refused by name later).
			return {command: name, flags: new Set(readOnly)};
		}
	}
}

/**
The flags the user typed, as kebab-case names with their dashes (`--dry-run`, `-x`), up to a lone `--`.
`--no-demo` names `--demo`; `--dryRun` is `--dry-run` (meow reads both so).
*/
export function typedFlags(argv: string[]): string[] {
	const names: string[] = [];
	for (const word of argv) {
		if (word === '--') {
			break;
		}

		if (word.startsWith('--')) {
			let name = word.slice(2).split('=', 1)[0]!.replaceAll(/\p{Uppercase_Letter}/gv, letter => `-${letter.toLowerCase()}`);
			if (name.startsWith('no-') && flagTypes[name.slice(3)] === 'boolean') {
				name = name.slice(3);
			}

			names.push(`--${name}`);
		} else if (word.startsWith('-') && word.length > 1 && Number.isNaN(Number(word))) {
			names.push(word);
		}
	}

	return names;
}

/**
Edit distance with adjacent transpositions counted as one edit (`--hxe` is one away from `--hex`).
*/
export function editDistance(a: string, b: string): number {
	const rows = Array.from({length: a.length + 1}, (_row, i) => Array.from({length: b.length + 1}, (_column, j) => (i === 0 ? j : (j === 0 ? i : 0))));
	for (let i = 1; i <= a.length; i++) {
		for (let j = 1; j <= b.length; j++) {
			const cost = a[i - 1] === b[j - 1] ? 0 : 1;
			let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
			if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
				best = Math.min(best, rows[i - 2]![j - 2]! + 1);
			}

			rows[i]![j] = best;
		}
	}

	return rows[a.length]![b.length]!;
}

function closest(name: string, accepted: Set<string>): string | undefined {
	let best: {flag: string; distance: number} | undefined;
	for (const flag of accepted) {
		const distance = editDistance(name, flag);
		if (best === undefined || distance < best.distance) {
			best = {flag, distance};
		}
	}

	// Close means at most two edits, and fewer than half the word (so `-x` suggests nothing).
	return best !== undefined && best.distance <= Math.min(2, Math.floor(name.length / 2)) ? best.flag : undefined;
}

/**
The usage error for the first flag `input`'s command does not accept, or undefined when all are accepted.
*/
export function unknownFlagError(input: string[], argv: string[]): string | undefined {
	const {command, flags} = acceptedFlags(input);
	const label = command === '' ? 'backstack' : `'${command}'`;
	const accepted = new Set([...flags].map(flag => `--${flag}`));
	for (const typed of typedFlags(argv)) {
		if (accepted.has(typed)) {
			continue;
		}

		const isOtherCommands = typed.startsWith('--') && flagTypes[typed.slice(2)] !== undefined;
		const suggestion = isOtherCommands ? undefined : closest(typed.replace(/^-+/v, ''), flags);
		const first = isOtherCommands
			? `${typed} is not a flag of ${label}.`
			: `unknown flag ${typed} for ${label}.${suggestion === undefined ? '' : ` Did you mean --${suggestion}?`}`;
		const usage = planUsage.split('\n').filter(line => command.includes(' ') && line.trimStart().startsWith(`backstack ${command} `));
		const pointer = usage.length > 0
			? `Usage:\n${usage.join('\n')}\n(and any plan's --dry-run, --export-cli, --yes, --confirm; the rest: backstack --help)`
			: `Its flags: backstack ${command === '' ? '' : `${command.split(' ', 1)[0]!} `}--help`;
		return `backstack: ${first} Nothing was done.\n${pointer}\n`;
	}

	return undefined;
}
