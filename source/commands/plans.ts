/*
`backstack restore …`, `backstack backup …`, `backstack journal …`: plans from the command line, for runbooks and cron.
*/
import path from 'node:path';
import {
	backupRequestFrom,
	executeJournalCommand,
	executePlanCommand,
	exitCodes,
	planBackup,
	planRestore,
	planUsage,
	restoreRequestFrom,
	UsageError,
	type PlanCommandOptions,
} from '../core/plans/commands.js';
import {acquirePlanLock, PlanLockedError} from '../core/plans/lock.js';
import type {PlanResult} from '../core/plans/types.js';
import type {CloudSession} from '../core/types.js';
import {configDirectory} from '../store/cache.js';
import type {CommandContext} from './context.js';
import {openEnvironment} from './environment.js';

function journalDirectory(context: CommandContext): string {
	return path.join(configDirectory(context.env, context.home), 'journal');
}

function planOptions(context: CommandContext): PlanCommandOptions & {journal: string} {
	return {
		stdout: context.stdout,
		stderr: context.stderr,
		signal: context.signal,
		yes: context.flags.yes,
		dryRun: context.flags.dryRun,
		exportCli: context.flags.exportCli,
		confirm: context.flags.confirm,
		journal: journalDirectory(context),
	};
}

export async function withSession(context: CommandContext, work: (session: CloudSession) => Promise<number>): Promise<number> {
	const environment = await openEnvironment(context, {demoWhenUnconfigured: false});
	try {
		if (environment.demoReason !== undefined) {
			context.stderr.write(`(${environment.demoReason})\n`);
		}

		const session = await environment.connector.connect(context.flags.osCloud, {project: context.flags.project, signal: context.signal});
		try {
			return await work(session);
		} finally {
			session.close();
		}
	} finally {
		await environment.close();
	}
}

async function planCommand(context: CommandContext, plan: (session: CloudSession) => Promise<PlanResult>): Promise<number> {
	return withSession(context, async session => executePlanCommand(session, await plan(session), planOptions(context)));
}

function usage(context: CommandContext, error: unknown): number {
	if (error instanceof UsageError) {
		context.stderr.write(`backstack: ${error.message}\n\n${planUsage}\n`);
		return exitCodes.usage;
	}

	throw error;
}

export async function runRestoreCommand(context: CommandContext): Promise<number> {
	try {
		const request = restoreRequestFrom(context.input.slice(1), context.flags);
		return await planCommand(context, async session => planRestore(session, request, {signal: context.signal}));
	} catch (error) {
		return usage(context, error);
	}
}

export async function runBackupCommand(context: CommandContext): Promise<number> {
	try {
		const request = backupRequestFrom(context.input.slice(1), context.flags, context.version);
		return await planCommand(context, async session => planBackup(session, request, {signal: context.signal}));
	} catch (error) {
		return usage(context, error);
	}
}

export async function runJournalCommand(context: CommandContext): Promise<number> {
	const args = context.input.slice(1);
	const options = planOptions(context);
	const [action = 'list', planId] = args;
	if (action === 'list') {
		return executeJournalCommand(undefined, args, options);
	}

	if (planId === undefined || !options.yes || (action !== 'resume' && action !== 'cleanup')) {
		return withSession(context, async session => executeJournalCommand(session, args, options));
	}

	// The plan's lock before anything reaches the network: a second resume refuses at once, naming the first.
	let lock;
	try {
		lock = acquirePlanLock(options.journal, planId);
	} catch (error) {
		context.stderr.write(`backstack: ${error instanceof Error ? error.message : String(error)}\n`);
		return error instanceof PlanLockedError ? exitCodes.refused : exitCodes.failed;
	}

	try {
		return await withSession(context, async session => executeJournalCommand(session, args, {...options, lock}));
	} finally {
		lock.release();
	}
}
