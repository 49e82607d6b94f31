/*
`backstack drill [BACKUP…] [--newest-per-volume] [--max N] [--max-gib G] [--parallel N] [--yes] [--dry-run] [--export-cli] [--json]`
(issue 12): proves that backups restore, one restore drill at a time (core/plans/drill.ts), and records each outcome on
the backup's metadata and in the local drill log. Drills that would not fit the project's volume quota (Cinder's
limits) are refused before they start. For cron: exit 0 when every drill passed, 1 when one failed, 2 when one could not
run (quota, no Cinder, the backup busy), 64 for a usage error, 130 when interrupted.
*/
import path from 'node:path';
import {fitDrillsInQuota, type VolumeQuota} from '../core/drill-quota.js';
import {backupMetaDrillAt, drillFromMetadata, type DrillRecord} from '../core/drills.js';
import {mapLimited} from '../core/inventory.js';
import {createTextRenderer, exitCodes, UsageError} from '../core/plans/commands.js';
import {describePlan, formatPreview} from '../core/plans/describe.js';
import {drillToOpenstackCli, planDrill} from '../core/plans/drill.js';
import {
	drillDataOutcome,
	drillPassedReason,
	drillReasonText as shortReason,
	recordDrill,
} from '../core/plans/drill-record.js';
import {runPlan} from '../core/plans/execute.js';
import {acquirePlanLock} from '../core/plans/lock.js';
import type {Plan, PlanEvent} from '../core/plans/types.js';
import type {Backup, CloudSession} from '../core/types.js';
import type {Project} from '../openstack/types.js';
import {isForbidden, isNotFound, isOpenStackError} from '../openstack/index.js';
import {configDirectory} from '../store/cache.js';
import {appendDrillLog} from '../store/drill-log.js';
import type {CommandContext} from './context.js';
import {withSession} from './plans.js';

export const drillUsage = `Drill:
  backstack drill [BACKUP…] [--newest-per-volume] [--max N] [--max-gib G] [--parallel N] [--json]
    Restores each backup into a temporary volume backstack-drill-…, checks it (available, size, the source's type, a key
    of its own when encrypted), deletes it, and records ok/failed on the backup's metadata and in drills.jsonl.
    --newest-per-volume: the newest available backup of every volume (least recently drilled first).
    --max N (default 10), --max-gib G: what one run may create. --parallel N (default 1): up to N drills at once,
    each its own plan, journal entry and record; the report keeps the order of the backups. A drill that would not fit the project's volume
    quota (Cinder's limits) is refused before it starts, with the numbers.
    --all-projects: every project you can reach (a session scoped to each); --max and --max-gib cap the whole run,
    each drill runs in its backup's own project, within that project's quota, and the report names the project.
    --verify-data: also prove the data: the restored volume and a reference are uploaded to temporary raw images and
    their Glance sha512 compared (the reference: the hash an earlier drill recorded, else the source volume as it is
    now, which may have changed since the backup); the sha512 is recorded on the backup (backstack_drill_sha512).
    An encrypted backup's images are downloaded, each decrypted with its own key (in memory, never written) and the
    sha512 of their plaintext compared (recorded as backstack_drill_plaintext_sha512); a key Barbican refuses to you,
    or a format backstack cannot read (LUKS2), makes the drill NOT RUN (exit 2), not failed.
    Exit 0 all passed, 1 a drill failed, 2 a drill could not run (quota, no Cinder, backup busy), 64 usage,
    130 interrupted.`;

export type DrillOptions = {
	backups: string[];
	newestPerVolume: boolean;
	max: number;
	maxGib?: number;
	/**
	Drills at once (a pool of workers over the chosen backups).
	*/
	parallel: number;
	json: boolean;
	verifyData: boolean;
	/**
	Every project the user can reach, each drill in a session scoped to its backup's project.
	*/
	allProjects: boolean;
};

type Flags = Record<string, unknown>;

function positiveNumber(flags: Flags, name: string, isWhole: boolean): number | undefined {
	const value = flags[name];
	if (value === undefined) {
		return undefined;
	}

	const typed = typeof value === 'number' || typeof value === 'string' ? String(value) : '';
	const number = typed.trim() === '' ? NaN : Number(typed);
	if (!Number.isFinite(number) || number <= 0 || (isWhole && !Number.isSafeInteger(number))) {
		throw new UsageError(`--${name.replaceAll(/[A-Z]/gv, letter => `-${letter.toLowerCase()}`)} takes a ${isWhole ? 'whole ' : ''}number above 0, not "${typed}".`);
	}

	return number;
}

/**
The words after `drill` and meow's flags → what to drill. Throws UsageError with a sentence for the user.
*/
export function drillOptionsFrom(args: string[], flags: Flags): DrillOptions {
	const isNewest = flags['newestPerVolume'] === true;
	if (isNewest && args.length > 0) {
		throw new UsageError('Name backups or give --newest-per-volume, not both.');
	}

	if (!isNewest && args.length === 0) {
		throw new UsageError('Name the backups to drill (name or ID), or give --newest-per-volume.');
	}

	if (flags['allProjects'] === true && flags['project'] !== undefined) {
		throw new UsageError('--all-projects and --project exclude each other; give one of them.');
	}

	if (flags['format'] === 'csv') {
		throw new UsageError('drill writes lines or JSON (--json, or --format json); there is no CSV.');
	}

	return {
		backups: args,
		newestPerVolume: isNewest,
		max: positiveNumber(flags, 'max', true) ?? 10,
		maxGib: positiveNumber(flags, 'maxGib', false),
		parallel: positiveNumber(flags, 'parallel', true) ?? 1,
		json: flags['json'] === true || flags['format'] === 'json',
		verifyData: flags['verifyData'] === true,
		allProjects: flags['allProjects'] === true,
	};
}

export type Selection = {
	chosen: Backup[];
	/**
	Words that name no backup, or several.
	*/
	unknown: Array<{word: string; reason: string}>;
	/**
	Left out by --max or --max-gib.
	*/
	skipped: Array<{backup: Backup; reason: string}>;
};

function lastDrilledAt(backup: Backup): number {
	const drill = drillFromMetadata(backup);
	return drill === undefined ? -Infinity : Date.parse(drill.at);
}

function newestPerVolume(backups: Backup[]): Backup[] {
	const newest = new Map<string, Backup>();
	for (const backup of backups) {
		const current = newest.get(backup.volumeId);
		if (backup.status === 'available' && (current === undefined || Date.parse(backup.createdAt) > Date.parse(current.createdAt))) {
			newest.set(backup.volumeId, backup);
		}
	}

	// Never drilled first, then the longest ago: a weekly cron job with --max works its way round every volume.
	// eslint-disable-next-line unicorn/prefer-iterator-to-array -- the project's TypeScript lib has no iterator helpers.
	return [...newest.values()].toSorted((a, b) => {
		const byDrill = lastDrilledAt(a) - lastDrilledAt(b);
		return byDrill === 0 || Number.isNaN(byDrill) ? a.createdAt.localeCompare(b.createdAt) : byDrill;
	});
}

function named(backups: Backup[], words: string[], scope: string): Pick<Selection, 'chosen' | 'unknown'> {
	const chosen: Backup[] = [];
	const unknown: Selection['unknown'] = [];
	for (const word of words) {
		const byId = backups.find(backup => backup.id === word);
		const matches = byId ? [byId] : backups.filter(backup => backup.name === word);
		if (matches.length === 1) {
			if (!chosen.includes(matches[0]!)) {
				chosen.push(matches[0]!);
			}
		} else {
			unknown.push({
				word,
				reason: matches.length === 0
					? `no backup of ${scope} has this name or ID`
					: `${matches.length} backups have this name; use the ID (${matches.map(backup => backup.id).join(', ')})`,
			});
		}
	}

	return {chosen, unknown};
}

/**
The backups one run drills, in order, within --max and --max-gib.
*/
export function selectBackups(backups: Backup[], options: DrillOptions): Selection {
	const scope = options.allProjects ? 'your projects' : 'this project';
	const {chosen: wanted, unknown} = options.newestPerVolume ? {chosen: newestPerVolume(backups), unknown: []} : named(backups, options.backups, scope);
	const chosen: Backup[] = [];
	const skipped: Selection['skipped'] = [];
	let gib = 0;
	for (const backup of wanted) {
		if (chosen.length >= options.max) {
			skipped.push({backup, reason: `--max ${options.max} reached`});
		} else if (options.maxGib !== undefined && gib + backup.size > options.maxGib) {
			skipped.push({backup, reason: `its ${backup.size} GiB would pass --max-gib ${options.maxGib} (${gib} GiB so far)`});
		} else {
			chosen.push(backup);
			gib += backup.size;
		}
	}

	return {chosen, unknown, skipped};
}

type Outcome = {
	backup: Backup;
	result: 'ok' | 'failed' | 'not-run' | 'cancelled' | 'planned';
	/**
	What the drill found (ok), or why it failed or could not run.
	*/
	reason: string;
	seconds?: number;
	record?: DrillRecord;
	/**
	--verify-data: whether the bytes were compared, and their sha512.
	*/
	data?: {verifiedData?: boolean; sha512?: string; plaintextSha512?: string};
	/**
	Why the record is not on the backup's metadata (the log has it regardless).
	*/
	unrecorded?: string;
	/**
	--all-projects: the backup's project.
	*/
	project?: Project;
};

type Run = {
	context: CommandContext;
	session: CloudSession;
	journal: string;
	configDir: string;
	mode: 'run' | 'dry-run' | 'export' | 'preview';
	/**
	--export-cli: one runbook per drill.
	*/
	scripts: string[];
	verifyData: boolean;
};

/**
Several runbooks as one script: each runs in a bash of its own (its `set -e` and exit trap stay its own, so one drill's
failure still removes its volume and the next drill runs); the script fails when one of them did.
*/
export function joinRunbooks(scripts: string[]): string {
	if (scripts.length <= 1) {
		return scripts.join('');
	}

	const parts = scripts.map((script, index) => {
		const end = `BACKSTACK_DRILL_${index + 1}`;
		return `# Drill ${index + 1} of ${scripts.length}\nbash <<'${end}' || failed=1\n${script}${end}\n`;
	});
	return ['#!/usr/bin/env bash', `# ${scripts.length} restore drills exported by backstack, one after the other.`, 'failed=0', '', ...parts, 'exit "$failed"', ''].join('\n');
}

/**
Statuses of a backup that is busy, not broken: a drill of it could not run now, which proves nothing either way.
*/
const busyStatuses = new Set(['creating', 'restoring', 'backing-up', 'deleting']);

type Ended = {kind: 'done'; results: Record<string, string | number>} | {kind: 'failed' | 'not-run'; reason: string} | {kind: 'cancelled'};

/**
Runs the drill plan with progress on stderr; how it ended, and when the restore was done (the check started).
*/
async function runDrillPlan(run: Run, plan: Plan): Promise<{ended: Ended; restoredAt?: number; startedAt: number}> {
	const {context, session, journal} = run;
	const render = createTextRenderer(plan, context.stderr);
	const lock = acquirePlanLock(journal, plan.id);
	let ended: Ended = {kind: 'failed', reason: 'The plan ended without an outcome.'};
	let stepFailure: string | undefined;
	let isInconclusive = false;
	let restoredAt: number | undefined;
	const failedChecks: string[] = [];
	const startedAt = Date.now();
	try {
		for await (const event of runPlan(plan, session, {signal: context.signal, journal})) {
			render(event);
			ended = endOf(event, stepFailure) ?? ended;
			if (event.type === 'step-failed') {
				isInconclusive = stepFailure === undefined ? event.inconclusive === true : isInconclusive;
				stepFailure ??= event.reason;
			} else if (event.type === 'check-failed') {
				failedChecks.push(event.check.kind);
			} else if (event.type === 'step-start' && event.stepId === 'verify') {
				restoredAt = event.at;
			}
		}
	} finally {
		lock.release();
	}

	// Only the backup's status check failed (another restore or a delete is under way), or the first step that failed could
	// not decide (Barbican refused a key): nothing is proved either way.
	const isBusy = failedChecks.length > 0 && failedChecks.every(kind => kind === 'backup-status');
	return {ended: ended.kind === 'failed' && (isBusy || isInconclusive) ? {kind: 'not-run', reason: ended.reason} : ended, restoredAt, startedAt};
}

function endOf(event: PlanEvent, stepFailure: string | undefined): Ended | undefined {
	if (event.type === 'plan-done') {
		return {kind: 'done', results: event.results};
	}

	if (event.type === 'plan-failed') {
		return {kind: 'failed', reason: stepFailure ?? event.reason};
	}

	return event.type === 'plan-cancelled' ? {kind: 'cancelled'} : undefined;
}

function passedReason(results: Record<string, string | number>): string {
	return drillPassedReason(results);
}

/**
Writes the outcome on the backup and in the local log (core's recordDrill); the outcome with why the backup does not carry it.
*/
async function record(run: Run, outcome: Outcome, extra: Pick<DrillRecord, 'planId' | 'durationMs'>): Promise<Outcome> {
	const {record: drillRecord, unrecorded} = await recordDrill(run.session, outcome.backup, {
		result: outcome.result === 'ok' ? 'ok' : 'failed', reason: outcome.reason, verifiedData: false, ...outcome.data, ...extra,
	}, {
		appendLog(line) {
			appendDrillLog(run.configDir, line);
		},
	});
	return {...outcome, record: drillRecord, unrecorded};
}

async function drillOne(run: Run, backup: Backup): Promise<Outcome> {
	const {context, session, mode} = run;
	const result = await planDrill(session, {backupId: backup.id, verifyData: run.verifyData}, context.signal);
	if (result.kind !== 'plan') {
		const reason = result.kind === 'refusal' ? shortReason(result.reason) : result.question;
		if (busyStatuses.has(backup.status)) {
			return {backup, result: 'not-run', reason};
		}

		const outcome: Outcome = {backup, result: 'failed', reason};
		return mode === 'run' ? record(run, outcome, {}) : outcome;
	}

	const {plan} = result;
	if (mode === 'export') {
		run.scripts.push(drillToOpenstackCli(plan, backup.id));
		return {backup, result: 'planned', reason: 'exported'};
	}

	if (mode !== 'run') {
		(mode === 'dry-run' ? context.stdout : context.stderr).write(`${formatPreview(describePlan(plan))}\n\nThen: the result is recorded on backup ${backup.id} `
			+ `(${backupMetaDrillAt}, …) and in ${path.join(run.configDir, 'drills.jsonl')}, also when the drill fails.\n\n`);
		return {backup, result: 'planned', reason: 'previewed'};
	}

	const {ended, restoredAt, startedAt} = await runDrillPlan(run, plan);
	if (ended.kind === 'cancelled') {
		return {backup, result: 'cancelled', reason: 'interrupted; the temporary volume was removed (or is named by backstack journal)'};
	}

	if (ended.kind === 'not-run') {
		return {backup, result: 'not-run', reason: shortReason(ended.reason)};
	}

	const outcome: Outcome = ended.kind === 'done'
		? {
			backup, result: 'ok', reason: passedReason(ended.results), seconds: Math.round(((restoredAt ?? Date.now()) - startedAt) / 1000), data: drillDataOutcome(ended.results),
		}
		: {backup, result: 'failed', reason: shortReason(ended.reason)};
	return record(run, outcome, {planId: plan.id, durationMs: Date.now() - startedAt});
}

function backupText(backup: Backup): string {
	return backup.name === '' ? backup.id : `${backup.name} (${backup.id})`;
}

function outcomeLine(outcome: Outcome, mode: Run['mode']): string {
	const what = `backup ${backupText(outcome.backup)}${outcome.project === undefined ? '' : ` in project ${outcome.project.name}`}`;
	if (mode !== 'run' && outcome.result === 'failed') {
		return `would FAIL ${what}: ${outcome.reason}`;
	}

	const unrecorded = outcome.unrecorded === undefined ? '' : ` [not recorded on the backup: ${outcome.unrecorded}; in the local log only]`;
	switch (outcome.result) {
		case 'ok': {
			return `ok      ${what} restored in ${outcome.seconds ?? '?'} s: ${outcome.reason}${unrecorded}`;
		}

		case 'failed': {
			return `FAILED  ${what}: ${outcome.reason}${unrecorded}`;
		}

		case 'not-run': {
			return `NOT RUN ${what}: ${outcome.reason}`;
		}

		case 'cancelled': {
			return `CANCELLED ${what}: ${outcome.reason}`;
		}

		case 'planned': {
			return `would drill ${what}`;
		}
	}
}

function outcomeJson(outcome: Outcome): Record<string, unknown> {
	return {
		backupId: outcome.backup.id,
		backupName: outcome.backup.name,
		volumeId: outcome.backup.volumeId,
		...(outcome.project !== undefined && {project: {id: outcome.project.id, name: outcome.project.name}}),
		result: outcome.result,
		reason: outcome.reason,
		...(outcome.seconds !== undefined && {restoreSeconds: outcome.seconds}),
		...(outcome.record !== undefined && {at: outcome.record.at, planId: outcome.record.planId, durationMs: outcome.record.durationMs}),
		...(outcome.record?.verifiedData !== undefined && {verifiedData: outcome.record.verifiedData}),
		...(outcome.record?.sha512 !== undefined && {sha512: outcome.record.sha512}),
		...(outcome.record?.plaintextSha512 !== undefined && {plaintextSha512: outcome.record.plaintextSha512}),
		recordedOnBackup: outcome.record !== undefined && outcome.unrecorded === undefined,
		...(outcome.unrecorded !== undefined && {notRecordedBecause: outcome.unrecorded}),
	};
}

function modeOf(context: CommandContext): Run['mode'] {
	if (context.flags.exportCli) {
		return 'export';
	}

	if (context.flags.dryRun) {
		return 'dry-run';
	}

	return context.flags.yes ? 'run' : 'preview';
}

async function listBackups(session: CloudSession, signal: AbortSignal): Promise<Backup[]> {
	/* eslint-disable unicorn/prefer-array-from-async -- the project's TypeScript lib has no Array.fromAsync. */
	const backups: Backup[] = [];
	for await (const backup of session.cinder!.listBackups({signal})) {
		backups.push(backup);
	}
	/* eslint-enable unicorn/prefer-array-from-async */

	return backups;
}

type Report = {outcomes: Outcome[]; selection: Selection};

function exitCodeOf(report: Report, mode: Run['mode']): number {
	const {outcomes, selection} = report;
	if (outcomes.some(outcome => outcome.result === 'cancelled')) {
		return exitCodes.cancelled;
	}

	if (selection.unknown.length > 0 || outcomes.some(outcome => outcome.result === 'failed')) {
		return exitCodes.failed;
	}

	if (outcomes.some(outcome => outcome.result === 'not-run')) {
		return exitCodes.couldNotRun;
	}

	return mode === 'preview' && outcomes.length > 0 ? exitCodes.notConfirmed : exitCodes.ok;
}

function writeReport(context: CommandContext, report: Report, options: DrillOptions & {mode: Run['mode']}): void {
	const {outcomes, selection} = report;
	// --export-cli: stdout is the script.
	const out = options.mode === 'export' ? context.stderr : context.stdout;
	if (options.json) {
		out.write(JSON.stringify({
			version: 1,
			drills: outcomes.map(outcome => outcomeJson(outcome)),
			unknown: selection.unknown,
			skipped: selection.skipped.map(({backup, reason}) => ({backupId: backup.id, backupName: backup.name, reason})),
		}, undefined, 2) + '\n');
		return;
	}

	const lines = [
		...selection.unknown.map(({word, reason}) => `FAILED  backup ${word}: ${reason}`),
		...outcomes.map(outcome => outcomeLine(outcome, options.mode)),
		...selection.skipped.map(({backup, reason}) => `skipped backup ${backupText(backup)}: ${reason}`),
	];
	if (lines.length === 0) {
		lines.push('No backup to drill.');
	}

	out.write(`${lines.join('\n')}\n`);
	if (options.mode === 'preview' && outcomes.some(outcome => outcome.result === 'planned')) {
		context.stderr.write('Nothing was done. Run again with --yes to carry out these drills.\n');
	}
}

/**
The project's volume quota, or undefined (said on stderr) when the cloud does not let us read it: then drills go on.
*/
async function readQuota(context: CommandContext, session: CloudSession): Promise<VolumeQuota | undefined> {
	try {
		return await session.cinder!.getLimits({signal: context.signal});
	} catch (error) {
		if (isForbidden(error) || isNotFound(error)) {
			const status = isOpenStackError(error) ? ` (HTTP ${error.status})` : '';
			context.stderr.write(`backstack: the project's volume quota could not be read${status}; the drills go on without a quota check.\n`);
			return undefined;
		}

		throw error;
	}
}

/**
Where drills run: the session's project, or (--all-projects) each project the user can reach, in a session scoped there.
*/
type Scope = {project?: Project; session: CloudSession};

async function openScopes(context: CommandContext, session: CloudSession, isAllProjects: boolean): Promise<Scope[]> {
	if (!isAllProjects) {
		return [{session}];
	}

	const {signal} = context;
	const projects = await session.identity.listProjects({signal});
	const current = session.identity.token().projectId;
	const scopes: Scope[] = [];
	for (const project of projects.toSorted((a, b) => (a.name === b.name ? a.id.localeCompare(b.id) : a.name.localeCompare(b.name)))) {
		if (!project.enabled) {
			continue;
		}

		try {
			// eslint-disable-next-line no-await-in-loop -- one project at a time keeps Keystone's load small.
			scopes.push({project, session: project.id === current ? session : await session.switchProject(project.id, {signal})});
		} catch (error) {
			if (signal.aborted) {
				throw error;
			}

			context.stderr.write(`backstack: project ${project.name} (${project.id}) left out: no session could be scoped there (${error instanceof Error ? error.message : String(error)}).\n`);
		}
	}

	return scopes;
}

async function drillAll(context: CommandContext, session: CloudSession, options: DrillOptions): Promise<number> {
	const opened = await openScopes(context, session, options.allProjects);
	try {
		return await drillInScopes(context, opened, options);
	} finally {
		for (const scope of opened) {
			if (scope.session !== session) {
				scope.session.close();
			}
		}
	}
}

async function drillInScopes(context: CommandContext, opened: Scope[], options: DrillOptions): Promise<number> {
	const scopes = opened.filter(scope => scope.session.cinder !== undefined);
	if (scopes.length === 0) {
		context.stderr.write('backstack: this cloud has no Cinder (block-storage) endpoint; there is nothing to drill.\n');
		return exitCodes.couldNotRun;
	}

	for (const scope of opened) {
		if (scope.session.cinder === undefined) {
			context.stderr.write(`backstack: project ${scope.project?.name ?? '?'} has no Cinder endpoint; left out.\n`);
		}
	}

	const configDir = configDirectory(context.env, context.home);
	const run: Run = {
		context, session: scopes[0]!.session, journal: path.join(configDir, 'journal'), configDir, mode: modeOf(context), scripts: [], verifyData: options.verifyData,
	};
	// Each backup's project: its drill runs there, and its temporary volume counts against that project's quota.
	const scopeOf = new Map<Backup, Scope>();
	for (const scope of scopes) {
		// eslint-disable-next-line no-await-in-loop -- project by project.
		for (const backup of await listBackups(scope.session, context.signal)) {
			scopeOf.set(backup, scope);
		}
	}

	// eslint-disable-next-line unicorn/prefer-iterator-to-array -- the project's TypeScript lib has no iterator helpers.
	const selection = selectBackups([...scopeOf.keys()], options);
	// Previews and exports write as they go: one at a time, in order.
	const parallel = run.mode === 'run' ? options.parallel : 1;
	const refused = new Map<Backup, string>();
	if (run.mode !== 'export') {
		// Quota is per project: each project's drills are fitted into its own.
		for (const scope of scopes) {
			const chosen = selection.chosen.filter(backup => scopeOf.get(backup) === scope);
			// eslint-disable-next-line no-await-in-loop -- project by project.
			const quota = chosen.length === 0 ? undefined : await readQuota(context, scope.session);
			for (const {item, reason} of quota === undefined ? [] : fitDrillsInQuota(quota, chosen, parallel).refused) {
				refused.set(item, reason);
			}
		}
	}

	// `parallel` at a time over the chosen backups (core's mapLimited): each drill makes one volume and removes it; the
	// report keeps the selection's order. After a cancel no other drill starts.
	let isCancelled = false;
	const results = await mapLimited(selection.chosen, parallel, async (backup): Promise<Outcome | undefined> => {
		if (isCancelled) {
			return undefined;
		}

		const scope = scopeOf.get(backup)!;
		const reason = refused.get(backup);
		const outcome: Outcome = reason === undefined ? await drillOne({...run, session: scope.session}, backup) : {backup, result: 'not-run', reason};
		const placed: Outcome = scope.project === undefined ? outcome : {...outcome, project: scope.project};
		if (!options.json && run.mode === 'run') {
			context.stderr.write(`${outcomeLine(placed, run.mode)}\n`);
		}

		isCancelled ||= outcome.result === 'cancelled';
		return placed;
	});
	const outcomes = results.filter(outcome => outcome !== undefined);
	context.stdout.write(joinRunbooks(run.scripts));
	const report = {outcomes, selection};
	writeReport(context, report, {...options, mode: run.mode});
	return exitCodeOf(report, run.mode);
}

export async function runDrillCommand(context: CommandContext): Promise<number> {
	let options: DrillOptions;
	try {
		options = drillOptionsFrom(context.input.slice(1), context.flags);
	} catch (error) {
		if (error instanceof UsageError) {
			context.stderr.write(`backstack: ${error.message}\n\n${drillUsage}\n`);
			return 64;
		}

		throw error;
	}

	return withSession(context, async session => drillAll(context, session, options));
}
