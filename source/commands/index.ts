/*
The composition root: picks the command, builds the connector (a real cloud or the embedded demo cloud) and runs it.
*/
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
	async 'demo-cloud'(context) {
		const {runDemoCloudCommand} = await import('./demo-cloud.js');
		return runDemoCloudCommand(context);
	},
};

export async function runCommand(context: CommandContext): Promise<number> {
	// Before anything else, so that a mistyped flag next to --yes changes nothing (EX_USAGE).
	const flagError = unknownFlagError(context.input, context.rawArgv);
	if (flagError !== undefined) {
		context.stderr.write(flagError);
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

