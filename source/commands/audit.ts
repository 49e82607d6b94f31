/*
`backstack audit`: findings for one project or every project of the user's, as a table, JSON or CSV; the exit code
follows --fail-on. Progress goes to stderr, and only when stderr is a terminal.
*/
import {
	auditRows,
	auditToCsv,
	auditJsonPieces,
	exitCodeFor,
	runAudit,
} from '../core/audit.js';
import {writePieces} from '../core/json-stream.js';
import {configDirectory} from '../store/cache.js';
import {readDrillLog} from '../store/drill-log.js';
import {loadSettings} from '../store/settings.js';
import type {CommandContext} from './context.js';
import {openEnvironment} from './environment.js';
import {loadIac} from './iac.js';

export async function runAuditCommand(context: CommandContext): Promise<number> {
	const {flags} = context;
	if (flags.allProjects && flags.project !== undefined) {
		context.stderr.write('backstack: --all-projects and --project exclude each other; give one of them.\n');
		return 64; // EX_USAGE: 2 is the audit's own "incomplete" code
	}

	const {groupBy} = flags;
	if (groupBy !== undefined && groupBy !== 'iac') {
		context.stderr.write(`backstack: --group-by takes iac (got "${typeof groupBy === 'string' ? groupBy : ''}"): the table grouped by Terraform/OpenTofu module.\n`);
		return 64;
	}

	if (groupBy === 'iac' && flags.format !== 'table') {
		context.stderr.write('backstack: --group-by iac groups the table; with --format json each finding\'s resource carries its iac address already.\n');
		return 64;
	}

	// The state files before the cloud: a bad one stops the audit before anything is read.
	const iac = loadIac(context);
	if (iac.kind === 'error') {
		context.stderr.write(`backstack: ${iac.message} Nothing was read.\n`);
		return 64;
	}

	if (groupBy === 'iac' && iac.kind === 'none') {
		context.stderr.write('backstack: --group-by iac needs a Terraform/OpenTofu state: --tfstate FILE or the tfstate setting.\n');
		return 64;
	}

	const {policy} = loadSettings({env: context.env, home: context.home});
	const environment = await openEnvironment(context, {demoWhenUnconfigured: false});
	try {
		if (environment.demoReason !== undefined) {
			context.stderr.write(`(${environment.demoReason})\n`);
		}

		const session = await environment.connector.connect(flags.osCloud, {signal: context.signal});
		const isShowProgress = context.stderr.isTTY === true;
		try {
			const report = await runAudit(session, {
				allProjects: flags.allProjects,
				project: flags.project,
				policy: policy(),
				// What `backstack drill` recorded here, beside what each backup's metadata says.
				drills: readDrillLog(configDirectory(context.env, context.home)),
				...(iac.kind === 'map' && {
					iac: iac.map,
					onIacWarnings(warnings: string[]) {
						for (const warning of warnings) {
							context.stderr.write(`backstack: warning: ${warning} Check --tfstate (or the tfstate setting) and --os-cloud / --project.\n`);
						}
					},
				}),
				signal: context.signal,
				onProgress: isShowProgress
					? event => {
						context.stderr.write(`\r\u{1B}[2Kreading ${event.project}: ${event.service} ${event.resource} ${event.count}${event.done ? ' ✓' : ''}`);
					}
					: undefined,
			});
			if (isShowProgress) {
				context.stderr.write('\r\u{1B}[2K');
			}

			switch (flags.format) {
				case 'json': {
					await writePieces(context.stdout, auditJsonPieces(report));
					break;
				}

				case 'csv': {
					context.stdout.write(auditToCsv(report, {iac: iac.kind === 'map'}));
					break;
				}

				case 'table': {
					// Ink, React and Yoga are loaded only for the table: JSON and CSV runs (cron, CI) stay lean.
					const {renderAuditTable} = await import('../ui/audit-table.js');
					const isColored = context.stdout.isTTY === true && context.env['NO_COLOR'] === undefined;
					context.stdout.write(renderAuditTable(report, auditRows(report), {columns: context.stdout.columns ?? 120, color: isColored, groupByIac: groupBy === 'iac'}));
				}
			}

			return exitCodeFor(report, flags.failOn);
		} finally {
			session.close();
		}
	} finally {
		await environment.close();
	}
}
