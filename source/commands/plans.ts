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
	type RestoreRequest,
} from '../core/plans/commands.js';
import {writeFileAtomicSync} from '../core/atomic-file.js';
import {replacementImports, restoreAdoption} from '../core/iac/adopt.js';
import {
	adoptionHcl,
	iacForms,
	importsHcl,
	type IacForm,
} from '../core/iac/hcl.js';
import type {IacMap} from '../core/iac/state.js';
import {acquirePlanLock, PlanLockedError} from '../core/plans/lock.js';
import type {Plan, PlanResult} from '../core/plans/types.js';
import type {CloudSession} from '../core/types.js';
import {configDirectory} from '../store/cache.js';
import type {CommandContext} from './context.js';
import {openEnvironment} from './environment.js';
import {loadIac} from './iac.js';

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

/**
What a restore does for Terraform/OpenTofu (issue 14): the state read, the form of the change, and where to write it.
*/
export type TerraformOptions = {
	map: IacMap;
	form: IacForm;
	/**
	`--export-terraform FILE`, resolved against the current directory.
	*/
	file?: string;
};

/**
The restores that make something Terraform/OpenTofu can adopt: a backup's new volume, a secret restored in place of
one (--old-secret), a bundle's images and volumes.
*/
export const iacRestoreKinds = ['backup', 'secret', 'bundle'] as const;

/**
The restore's Terraform options from its flags; undefined without any state; a number (the exit code) after a message.
*/
export function terraformOptions(context: CommandContext, kind: string): TerraformOptions | number | undefined {
	const {iacForm: form} = context.flags;
	if (form !== undefined && !(iacForms as readonly unknown[]).includes(form)) {
		throw new UsageError(`--iac-form takes ${iacForms.join(' or ')} (got "${typeof form === 'string' ? form : ''}").`);
	}

	const {exportTerraform: exportFile} = context.flags;
	if (exportFile !== undefined && (typeof exportFile !== 'string' || exportFile === '')) {
		throw new UsageError('--export-terraform needs a file name: where the Terraform change is written.');
	}

	if (!(iacRestoreKinds as readonly string[]).includes(kind)) {
		return undefined;
	}

	if (kind !== 'backup' && form === 'arguments') {
		throw new UsageError(`--iac-form arguments is for restore backup (Terraform restoring the backup itself); restore ${kind} writes import blocks.`);
	}

	const iac = loadIac(context);
	if (iac.kind === 'error') {
		context.stderr.write(`backstack: ${iac.message} Nothing was done.\n`);
		return exitCodes.usage;
	}

	if (iac.kind === 'none') {
		if (exportFile !== undefined || form !== undefined) {
			throw new UsageError(`--${exportFile === undefined ? 'iac-form' : 'export-terraform'} needs the Terraform/OpenTofu state that manages the volume: --tfstate FILE or the tfstate setting.`);
		}

		return undefined;
	}

	return {
		map: iac.map,
		form: (form as IacForm | undefined) ?? 'import',
		...(typeof exportFile === 'string' && {file: path.resolve(context.cwd, exportFile)}),
	};
}

function writeHcl(context: CommandContext, file: string, hcl: string, what: string): void {
	writeFileAtomicSync(file, hcl);
	context.stdout.write(`\nTerraform: ${what} written to ${file} (not applied: review it, then terraform plan and apply).\n`);
}

/**
The Terraform change for `plan` (before it ran, or with its results): the text, what it is in words, and the name part of
its default file (backstack-iac-<name>.tf); or why there is none.
*/
type Adopted = {kind: 'hcl'; hcl: string; what: string; name: string} | {kind: 'none'; reason: string};

async function adoptedFor(session: CloudSession, plan: Plan, terraform: TerraformOptions, options: {results?: Record<string, unknown>; signal: AbortSignal}): Promise<Adopted> {
	if (plan.kind === 'restore-backup') {
		const volume = options.results?.['volume'];
		const found = await restoreAdoption(session, plan, terraform.map, {...(typeof volume === 'string' && {newVolumeId: volume}), signal: options.signal});
		if (found.kind === 'none') {
			return found;
		}

		const {adoption} = found;
		return {
			kind: 'hcl',
			hcl: adoptionHcl(adoption, terraform.form),
			what: adoption.newVolumeId === undefined
				? `the ${terraform.form} change (the new volume's ID to fill in once the restore ran) is`
				: `the ${terraform.form} change that adopts volume ${adoption.newVolumeId} at ${adoption.volume.address} is`,
			name: adoption.newVolumeId ?? 'volume',
		};
	}

	const imports = replacementImports(plan, terraform.map, options.results);
	if (imports.length === 0) {
		const replaced = Object.values(plan.replaces ?? {});
		const files = terraform.map.files.map(file => file.file).join(', ');
		return {
			kind: 'none',
			reason: replaced.length === 0
				? (plan.kind === 'secret-from-file'
					? 'name the secret this one replaces (--old-secret ID) for Terraform to adopt it at that secret\'s address.'
					: 'this restore replaces nothing a state can name.')
				: `none of ${replaced.join(', ')} is a resource of ${files}: nothing for Terraform to adopt.`,
		};
	}

	const isRun = imports.every(item => item.newId !== undefined);
	return {
		kind: 'hcl',
		hcl: importsHcl(imports, `restore plan ${plan.id}`),
		what: `the import blocks that adopt ${imports.length} resource(s) at ${imports.map(item => item.entry.address).join(', ')}${isRun ? '' : ' (the new IDs to fill in once the restore ran)'} are`,
		name: plan.id,
	};
}

/**
Plans the restore in `session` and prints, exports or runs it; with a state, also the change that makes Terraform adopt
what it made: after a run written to a file (--export-terraform's, else backstack-iac-<volume or plan id>.tf here), with
--dry-run printed, with --export-terraform and no --yes written (with placeholders for the IDs) instead of running.
*/
export async function restoreInSession(context: CommandContext, session: CloudSession, request: RestoreRequest, terraform?: TerraformOptions): Promise<number> {
	const {signal} = context;
	const result = await planRestore(session, request, {signal});
	if (terraform === undefined || result.kind !== 'plan') {
		return executePlanCommand(session, result, planOptions(context));
	}

	const {plan} = result;
	const isRun = context.flags.yes && !context.flags.dryRun && !context.flags.exportCli;
	if (!isRun) {
		return previewWithTerraform(context, session, {plan, terraform, adopted: await adoptedFor(session, plan, terraform, {signal})});
	}

	return executePlanCommand(session, result, {
		...planOptions(context),
		async onDone(results) {
			const adopted = await adoptedFor(session, plan, terraform, {results, signal});
			if (adopted.kind === 'none') {
				context.stderr.write(`Terraform: ${adopted.reason}\n`);
				return;
			}

			const file = terraform.file ?? path.resolve(context.cwd, `backstack-iac-${adopted.name}.tf`);
			writeHcl(context, file, adopted.hcl, adopted.what);
			context.stdout.write(adopted.hcl);
		},
	});
}

async function previewWithTerraform(
	context: CommandContext,
	session: CloudSession,
	{plan, terraform, adopted}: {plan: Plan; terraform: TerraformOptions; adopted: Adopted},
): Promise<number> {
	const isExport = terraform.file !== undefined;
	if (adopted.kind === 'none') {
		context.stderr.write(`Terraform: ${adopted.reason}${isExport ? ` Nothing was written to ${terraform.file!}.` : ''}\n`);
		if (isExport && !context.flags.dryRun && !context.flags.exportCli) {
			return exitCodes.refused;
		}
	} else if (isExport) {
		writeHcl(context, terraform.file!, adopted.hcl, adopted.what);
	}

	// --export-terraform alone: like --export-cli, nothing runs.
	if (isExport && !context.flags.dryRun && !context.flags.exportCli) {
		return exitCodes.ok;
	}

	const code = await executePlanCommand(session, {kind: 'plan', plan}, planOptions(context));
	if (!isExport && context.flags.dryRun && adopted.kind === 'hcl') {
		context.stdout.write(`\nTerraform (after the restore, not applied by backstack; --export-terraform FILE writes it):\n${adopted.hcl}`);
	}

	return code;
}

export async function runRestoreCommand(context: CommandContext): Promise<number> {
	try {
		const request = restoreRequestFrom(context.input.slice(1), context.flags);
		const terraform = terraformOptions(context, request.kind);
		// A number: the state could not be read, and the message is out.
		return typeof terraform === 'number' ? terraform : await withSession(context, async session => restoreInSession(context, session, request, terraform));
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
