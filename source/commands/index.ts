/*
The composition root: picks the command, builds the connector (a real cloud or the embedded demo cloud) and runs it.
*/
import {planUsage} from '../core/plans/commands.js';
import type {CommandContext} from './context.js';
import {unknownFlagError} from './flags.js';

export type {CliFlags, CommandContext} from './context.js';

const commands: Record<string, (context: CommandContext) => Promise<number>> = {
	async check(context) {
		const {runCheck} = await import('./check.js');
		return runCheck(context);
	},
	async audit(context) {
		const {runAuditCommand} = await import('./audit.js');
		return runAuditCommand(context);
	},
	async restore(context) {
		const {runRestoreCommand} = await import('./plans.js');
		return runRestoreCommand(context);
	},
	async backup(context) {
		const {runBackupCommand} = await import('./plans.js');
		return runBackupCommand(context);
	},
	async journal(context) {
		const {runJournalCommand} = await import('./plans.js');
		return runJournalCommand(context);
	},
	async drill(context) {
		const {runDrillCommand} = await import('./drill.js');
		return runDrillCommand(context);
	},
	async verify(context) {
		const {runVerifyCommand} = await import('./verify.js');
		return runVerifyCommand(context);
	},
	async 'demo-cloud'(context) {
		const {runDemoCloudCommand} = await import('./demo-cloud.js');
		return runDemoCloudCommand(context);
	},
};

const choices: Record<'format' | 'failOn', {flag: string; values: readonly string[]}> = {
	format: {flag: '--format', values: ['table', 'json', 'csv']},
	failOn: {flag: '--fail-on', values: ['critical', 'warning', 'never']},
};

const auditUsage = 'Usage: backstack audit [--all-projects | --project P] [--format table|json|csv] [--fail-on critical|warning|never] [--tfstate FILE]… [--group-by iac]';

/**
A flag whose value is not one of its choices: the message and the usage line, or undefined.
*/
function flagValueError(context: CommandContext): string | undefined {
	for (const [key, {flag, values}] of Object.entries(choices)) {
		const value = context.flags[key];
		if (typeof value === 'string' && !values.includes(value)) {
			return `backstack: ${flag} takes ${values.join(', ')} (got "${value}").\n${auditUsage}\n`;
		}
	}

	return undefined;
}

/**
`backstack <command> --help`: the help of that command (restore, backup and journal share theirs), else the whole help.
*/
const planSections: Partial<Record<string, string>> = {
	restore: 'Restore:', backup: 'Backup:', journal: 'Journal:', verify: 'Verify:',
};

function helpFor(command: string | undefined, help: string): string {
	const section = command === undefined ? undefined : planSections[command];
	if (section !== undefined) {
		const lines = planUsage.split('\n');
		const start = lines.indexOf(section);
		const end = lines.findIndex((line, index) => index > start && (/^[A-Z]\w*:$/v.test(line) || line.startsWith('Every plan:')));
		const common = lines.filter(line => line.startsWith('Every plan:'));
		return [...lines.slice(start, end), ...common].join('\n');
	}

	return command === 'audit' ? `${auditUsage}\n${help}` : help;
}

export async function runCommand(context: CommandContext): Promise<number> {
	// Before anything else, so that a mistyped flag next to --yes changes nothing (EX_USAGE).
	const flagError = unknownFlagError(context.input, context.rawArgv);
	if (flagError !== undefined) {
		context.stderr.write(flagError);
		return 64;
	}

	const usageError = flagValueError(context);
	if (usageError !== undefined) {
		context.stderr.write(usageError);
		return 64;
	}

	if (context.rawArgv.includes('--help') || context.rawArgv.includes('-h')) {
		const drill = context.input[0] === 'drill' ? await import('./drill.js') : undefined;
		const help = drill === undefined ? helpFor(context.input[0], context.help) : drill.drillUsage;
		context.stdout.write(`${help}\n`);
		return 0;
	}

	const {timeout} = context.flags;
	if (timeout !== undefined && !(Number.isFinite(timeout) && timeout > 0)) {
		context.stderr.write('backstack: --timeout takes a number of seconds greater than 0, e.g. --timeout 90.\n');
		return 64;
	}

	const [name] = context.input;
	if (name === undefined) {
		const {runTui} = await import('./tui.js');
		return runTui(context);
	}

	const command = commands[name];
	if (!command) {
		context.stderr.write(`backstack: unknown command "${name}". Commands: ${Object.keys(commands).join(', ')}; run backstack --help.\n`);
		return 2;
	}

	return command(context);
}

