/*
`backstack audit`: read one project (or every project), run the rules, and report in a stable, versioned shape.

JSON report, schema version 1 (`auditJsonSchema` below is the machine-readable form):

{
  "schemaVersion": 1,
  "cloud": "mini-demo", "region": "RegionOne",          // region only when the session has one
  "generatedAt": "2026-11-23T12:00:00.000Z",            // the `now` the rules measured ages against
  "policy": {"rpoHours": 24, "severities": {}, "drillMaxAgeDays": 30},
  "projects": [{
    "project": {"id": "…", "name": "demo", "domainId": "default"},
    "sources": {"identity": {"state": "ok"}, "cinder": {"state": "ok"}, "barbican": {"state": "forbidden", "reason": "…"}, …},
    "error": "…",                                       // only when the project could not be read at all
    "findings": [{"code": "volume.unprotected", "severity": "critical",
                  "resource": {"kind": "volume", "id": "…", "name": "db",
                               "iac": {"address": "module.db.openstack_blockstorage_volume_v3.data[\"0\"]",
                                       "module": "module.db", "stateFile": "/srv/tf/prod.tfstate"}},  // iac: only with --tfstate, for a resource a state names
                  "reason": "No backup", "action": "Create a Cinder backup of the volume",
                  "related": [{"kind": "backup", "id": "…"}]}],          // related is optional
    "counts": {"critical": 1, "warning": 0, "info": 0, "ok": 3},
    "protection": {"verified": 1, "protected": 1, "stale": 0, "unprotected": 1, …},   // volumes by protection state
    "backups": [{"id": "…", "name": "db-daily", "volumeId": "…", "status": "available",
                 "restorability": "drill-failed",                    // verified, restorable, key-gone, type-gone, …
                 "why": "its restore drill failed at …: …",          // only when it would not restore
                 "drill": {"at": "2026-11-20T03:00:00Z", "result": "failed", "reason": "…"}}]   // its newest drill
  }],
  "totals": {"critical": 1, "warning": 0, "info": 0, "ok": 3, "projects": 1, "unreadableProjects": 0,
             "protection": {"verified": 1, …}}
}

Additions that do not break readers (new optional fields, new finding codes) keep version 1; anything else bumps it.

Exit codes (`exitCodeFor`): 0 nothing at or above the threshold and every project read; 1 a finding at or above the
threshold; 2 nothing at or above the threshold but the audit is incomplete: a project could not be read, or a service
refused or failed (a service the cloud does not have at all, such as no Barbican, is not a gap).
With `failOn: 'never'` always 0.
*/
import type {CloudSession} from '../openstack/api.js';
import type {Project, ServiceName} from '../openstack/types.js';
import {sanitize} from './text.js';
import {prettyJsonPieces} from './json-stream.js';
import {
	assessIndexed,
	compareSeverity,
	defaultDrillMaxAgeDays,
	defaultPolicy,
	indexInventory,
	restorabilityOf,
	volumeProtections,
	whyBackupUnusable,
	type AssessmentIndex,
} from './assessment.js';
import type {DrillRecord, DrillResult} from './drills.js';
import {canReadFleet, readFleet} from './fleet.js';
import {inventoryIds, unmatchedStateWarnings, type IacMap} from './iac/state.js';
import {readAllProjects, readInventory} from './inventory.js';
import type {
	Finding,
	Inventory,
	ResourceRef,
	InventoryProgress,
	Policy,
	ProjectInventory,
	Protection,
	Restorability,
	Severity,
	SourceState,
} from './model.js';

export const auditSchemaVersion = 1;

export type SeverityCounts = Record<Severity, number>;

/**
Volumes by protection state.
*/
export type ProtectionCounts = Record<Protection, number>;

/**
One backup and whether it would restore.
*/
export type AuditBackup = {
	id: string;
	name?: string;
	volumeId: string;
	/**
	Cinder's status.
	*/
	status: string;
	restorability: Restorability;
	/**
	Why it would not restore; absent when it would.
	*/
	why?: string;
	/**
	Its newest restore drill (from its metadata or the local drill log).
	*/
	drill?: {at: string; result: DrillResult; reason?: string};
};

/**
Where Terraform/OpenTofu manages a resource (issue 14): its address, the module part of it ('' for the root module) and
the state file that names it.
*/
export type AuditIac = {address: string; module: string; stateFile: string};

/**
A finding as the report gives it: its resource carries `iac` when a state file read names it.
*/
export type AuditFinding = Omit<Finding, 'resource'> & {resource: ResourceRef & {iac?: AuditIac}};

export type AuditProject = {
	project: {id: string; name: string; domainId?: string};
	sources: Record<ServiceName, SourceState>;
	error?: string;
	findings: AuditFinding[];
	counts: SeverityCounts;
	protection: ProtectionCounts;
	backups: AuditBackup[];
};

export type AuditReport = {
	schemaVersion: typeof auditSchemaVersion;
	cloud: string;
	region?: string;
	generatedAt: string;
	policy: Policy;
	projects: AuditProject[];
	totals: SeverityCounts & {projects: number; unreadableProjects: number; protection: ProtectionCounts};
};

export type AuditProgress = InventoryProgress & {project: string};

export type AuditOptions = {
	/**
	Every project. With an admin token: every project of the cloud, from one list per kind (`core/fleet.ts`); otherwise
	every project of `GET /v3/auth/projects`, each in its own session.
	*/
	allProjects?: boolean;
	/**
	With `allProjects`: read project by project even with an admin token (the path a non-admin takes).
	*/
	perProject?: boolean;
	/**
	One project by ID or name (default: the session's).
	*/
	project?: string;
	policy?: Policy;
	/**
	Restore drill records the caller read (the local drill log), beside what each backup's metadata records.
	*/
	drills?: readonly DrillRecord[];
	/**
	Terraform/OpenTofu state read (core/iac/state.ts): findings about a resource it names carry its address.
	*/
	iac?: IacMap;
	/**
	With `iac`: called once with the warnings about state files none of whose resources was read (another workspace?).
	*/
	onIacWarnings?: (warnings: string[]) => void;
	/**
	The moment ages are measured against; default: now.
	*/
	now?: Date;
	signal?: AbortSignal;
	onProgress?: (event: AuditProgress) => void;
};

export type FailOn = 'critical' | 'warning' | 'never';

const severities: Severity[] = ['critical', 'warning', 'info', 'ok'];
const protections: Protection[] = ['verified', 'protected', 'stale', 'unprotected', 'snapshot-only', 'error', 'unknown', 'n/a'];
const restorabilities: Restorability[] = ['verified', 'restorable', 'not-available', 'chain-broken', 'key-gone', 'type-unknown', 'type-gone', 'drill-failed'];
const serviceNames: ServiceName[] = ['identity', 'cinder', 'glance', 'nova', 'barbican'];

function emptyCounts(): SeverityCounts {
	return {
		critical: 0, warning: 0, info: 0, ok: 0,
	};
}

function emptyProtection(): ProtectionCounts {
	return Object.fromEntries(protections.map(protection => [protection, 0])) as ProtectionCounts;
}

function countFindings(findings: readonly Finding[]): SeverityCounts {
	const counts = emptyCounts();
	for (const finding of findings) {
		counts[finding.severity]++;
	}

	return counts;
}

function notRead(reason: string): Record<ServiceName, SourceState> {
	return Object.fromEntries(serviceNames.map(name => [name, {state: 'error', reason}])) as Record<ServiceName, SourceState>;
}

function projectRef(project: Project): AuditProject['project'] {
	return {id: project.id, name: project.name, ...(project.domainId !== undefined && {domainId: project.domainId})};
}

/**
What one project's report is made of: its inventory (or why none) and the drill records known for it.
*/
export type AuditInput = ProjectInventory & {drills?: readonly DrillRecord[]; iac?: IacMap};

type Judged = {inventory: Inventory; index: AssessmentIndex; findings: readonly Finding[]};

function auditBackups({inventory, index}: Judged, policy: Policy, now: Date): AuditBackup[] {
	return inventory.backups.map(backup => {
		const why = whyBackupUnusable(inventory, index, backup);
		const drill = index.drills.get(backup.id);
		return {
			id: backup.id,
			...(backup.name !== undefined && backup.name !== '' && {name: backup.name}),
			volumeId: backup.volumeId,
			status: backup.status,
			restorability: restorabilityOf(inventory, index, backup, {now, policy}),
			...(why !== undefined && {why: why.text}),
			...(drill !== undefined && {drill: {at: drill.at, result: drill.result, ...(drill.reason !== undefined && {reason: drill.reason})}}),
		};
	});
}

function countProtection({inventory, findings}: Judged): ProtectionCounts {
	const counts = emptyProtection();
	for (const protection of volumeProtections(inventory, findings).values()) {
		counts[protection]++;
	}

	return counts;
}

function withIac(findings: readonly Finding[], iac: IacMap | undefined): AuditFinding[] {
	if (iac === undefined) {
		return [...findings];
	}

	return findings.map(finding => {
		const entry = iac.byId.get(finding.resource.id);
		return entry === undefined
			? finding
			: {...finding, resource: {...finding.resource, iac: {address: entry.address, module: entry.module, stateFile: entry.stateFile}}};
	});
}

function auditProject(result: AuditInput, policy: Policy, now: Date): AuditProject {
	if (result.inventory === undefined) {
		const error = result.error ?? 'not read';
		return {
			project: projectRef(result.project), sources: notRead(error), error, findings: [], counts: emptyCounts(), protection: emptyProtection(), backups: [],
		};
	}

	// One index of the inventory for the rules, the protection counts and the backups' restorability.
	const index = indexInventory(result.inventory, result.drills);
	const findings = assessIndexed(result.inventory, index, now, policy);
	const judged: Judged = {inventory: result.inventory, index, findings};
	return {
		project: projectRef(result.inventory.project),
		sources: result.inventory.sources,
		findings: withIac(findings, result.iac),
		counts: countFindings(findings),
		protection: countProtection(judged),
		backups: auditBackups(judged, policy, now),
	};
}

/**
Builds the report from inventories already read (what `runAudit` does after reading). The report's policy names the
drill window it used, the default one included.
*/
export function buildAuditReport(
	session: Pick<CloudSession, 'cloudName' | 'region'>,
	results: readonly AuditInput[],
	policy: Policy,
	now: Date,
): AuditReport {
	const effective: Policy = {...policy, drillMaxAgeDays: policy.drillMaxAgeDays ?? defaultDrillMaxAgeDays};
	const projects = results.map(result => auditProject(result, effective, now));
	const totals = {
		...emptyCounts(), projects: projects.length, unreadableProjects: 0, protection: emptyProtection(),
	};
	for (const project of projects) {
		for (const severity of severities) {
			totals[severity] += project.counts[severity];
		}

		for (const protection of protections) {
			totals.protection[protection] += project.protection[protection];
		}

		if (project.error !== undefined) {
			totals.unreadableProjects++;
		}
	}

	return {
		schemaVersion: auditSchemaVersion,
		cloud: session.cloudName,
		...(session.region !== undefined && {region: session.region}),
		generatedAt: now.toISOString(),
		policy: effective,
		projects,
		totals,
	};
}

async function readRequested(session: CloudSession, options: AuditOptions): Promise<ProjectInventory[]> {
	const {signal} = options;
	if (options.allProjects === true) {
		const allOptions = {
			keepRaw: false,
			...(signal !== undefined && {signal}),
			...(options.onProgress !== undefined && {
				onProjectProgress(project: Project, event: InventoryProgress) {
					options.onProgress?.({...event, project: project.name});
				},
			}),
		};
		const fleet = options.perProject !== true && canReadFleet(session) ? await readFleet(session, allOptions) : undefined;
		return fleet ?? readAllProjects(session, allOptions);
	}

	const token = session.identity.token();
	let scoped = session;
	if (options.project !== undefined && options.project !== token.projectId && options.project !== token.projectName) {
		const projects = await session.identity.listProjects(signal === undefined ? {} : {signal});
		const match = projects.find(project => project.id === options.project) ?? projects.find(project => project.name === options.project);
		if (match === undefined) {
			const known = projects.length === 0 ? 'none' : projects.map(project => project.name).join(', ');
			throw new Error(`Project "${options.project}" is not one of yours on cloud "${session.cloudName}". Your projects: ${known}.`);
		}

		scoped = await session.switchProject(match.id, signal === undefined ? {} : {signal});
	}

	const project = scoped.identity.token().projectName;
	try {
		const inventory = await readInventory(scoped, {
			keepRaw: false,
			...(signal !== undefined && {signal}),
			...(options.onProgress !== undefined && {
				onProgress(event: InventoryProgress) {
					options.onProgress?.({...event, project});
				},
			}),
		});
		return [{project: inventory.project, inventory}];
	} finally {
		if (scoped !== session) {
			scoped.close();
		}
	}
}

/**
Reads, assesses and reports. Rejects only when cancelled or when `project` names no project of the user.
*/
export async function runAudit(session: CloudSession, options: AuditOptions = {}): Promise<AuditReport> {
	const results = await readRequested(session, options);
	const {drills, iac} = options;
	if (iac !== undefined) {
		options.onIacWarnings?.(auditIacWarnings(results, iac, session.cloudName));
	}

	const inputs: AuditInput[] = results.map(result => ({...result, ...(drills !== undefined && {drills}), ...(iac !== undefined && {iac})}));
	return buildAuditReport(session, inputs, options.policy ?? defaultPolicy, options.now ?? new Date());
}

/**
Warnings about state files none of whose resources is in the projects read: the state of another workspace or cloud.
*/
export function auditIacWarnings(results: readonly ProjectInventory[], iac: IacMap, cloud: string): string[] {
	const read = results.flatMap(result => (result.inventory === undefined ? [] : [result.inventory]));
	const known = new Set<string>();
	for (const inventory of read) {
		for (const id of inventoryIds(inventory)) {
			known.add(id);
		}
	}

	const project = read.length === 1 ? read[0]!.project.name : `any of the ${read.length} projects read`;
	return unmatchedStateWarnings(iac, known, {project, cloud});
}

/**
The report as pretty JSON (two-space indent, trailing newline).
*/
export function auditToJson(report: AuditReport): string {
	return `${JSON.stringify(report, undefined, 2)}\n`;
}

/**
The same text as {@link auditToJson}, in pieces (a big project's report is megabytes: write it without joining it).

@yields Consecutive pieces of the JSON text, the last one the trailing newline.
*/
export function * auditJsonPieces(report: AuditReport): Generator<string> {
	yield * prettyJsonPieces(report);
	yield '\n';
}

/**
Control characters other than tab, CR and LF (a terminal escape in a volume name) become U+FFFD.
*/
function withoutControls(value: string): string {
	const kept = new Set(['\t', '\r', '\n']);
	return value.replaceAll(/\p{Control}/gv, char => (kept.has(char) ? char : '\u{FFFD}'));
}

/**
One CSV field, quoted per RFC 4180 when it holds a comma, a quote, CR or LF.
*/
export function csvField(value: string): string {
	const clean = withoutControls(value);
	return /[\n\r",]/v.test(clean) ? `"${clean.replaceAll('"', '""')}"` : clean;
}

export const auditCsvColumns = [
	'cloud', 'project_id', 'project_name', 'severity', 'code', 'resource_kind', 'resource_id', 'resource_name', 'reason', 'action', 'related',
] as const;

/**
The columns added at the end when a Terraform/OpenTofu state was read: the JSON's `iac` (address, module, stateFile),
empty for a resource no state names.
*/
export const auditCsvIacColumns = ['iac_address', 'iac_module', 'iac_state_file'] as const;

/**
The report as CSV (RFC 4180: CRLF line ends, a header row). One row per finding, `ok` ones included, plus one row with
code `project.unreadable` per project that could not be read. `related` is a space-separated list of `kind:id`. With
`iac` (a state was read) the {@link auditCsvIacColumns} follow.
*/
export function auditToCsv(report: AuditReport, options: {iac?: boolean} = {}): string {
	const isIac = options.iac === true;
	const lines = [[...auditCsvColumns, ...(isIac ? auditCsvIacColumns : [])].join(',')];
	const iacFields = (iac: AuditIac | undefined) => (isIac ? [iac?.address ?? '', iac?.module ?? '', iac?.stateFile ?? ''] : []);
	for (const entry of report.projects) {
		const base = [report.cloud, entry.project.id, entry.project.name];
		if (entry.error !== undefined) {
			const fields = [...base, 'warning', 'project.unreadable', 'project', entry.project.id, entry.project.name, entry.error, 'Check your role in this project', '', ...iacFields(undefined)];
			lines.push(fields.map(value => csvField(value)).join(','));
		}

		for (const finding of entry.findings) {
			lines.push([
				...base,
				finding.severity,
				finding.code,
				finding.resource.kind,
				finding.resource.id,
				finding.resource.name ?? '',
				finding.reason,
				finding.action,
				(finding.related ?? []).map(ref => `${ref.kind}:${ref.id}`).join(' '),
				...iacFields(finding.resource.iac),
			].map(value => csvField(value)).join(','));
		}
	}

	return `${lines.join('\r\n')}\r\n`;
}

export type AuditRow = {
	project: string;
	severity: Severity;
	code: string;
	kind: string;
	/**
	The resource's name, else its ID.
	*/
	resource: string;
	id: string;
	reason: string;
	action: string;
	/**
	Where Terraform/OpenTofu manages the resource, when a state file read names it.
	*/
	iac?: AuditIac;
};

/**
Rows for a table: worst first, then by project, kind and resource. Without `includeOk` the `ok` findings are left out
(they are the long list of what is fine). Projects that could not be read come as `project.unreadable` rows.
Text is one line each, without control characters.
*/
export function auditRows(report: AuditReport, options: {includeOk?: boolean} = {}): AuditRow[] {
	const line = (value: string) => sanitize(value);
	const rows: AuditRow[] = [];
	for (const entry of report.projects) {
		if (entry.error !== undefined) {
			rows.push({
				project: line(entry.project.name),
				severity: 'warning',
				code: 'project.unreadable',
				kind: 'project',
				resource: line(entry.project.name),
				id: entry.project.id,
				reason: line(entry.error),
				action: 'Check your role in this project',
			});
		}

		const shown = options.includeOk === true ? entry.findings : entry.findings.filter(finding => finding.severity !== 'ok');
		for (const finding of shown) {
			rows.push({
				project: line(entry.project.name),
				severity: finding.severity,
				code: finding.code,
				kind: finding.resource.kind,
				resource: line(finding.resource.name ?? finding.resource.id),
				id: finding.resource.id,
				reason: line(finding.reason),
				action: line(finding.action),
				...(finding.resource.iac !== undefined && {iac: finding.resource.iac}),
			});
		}
	}

	return rows.toSorted((a, b) => {
		const bySeverity = compareSeverity(a.severity, b.severity);
		if (bySeverity !== 0) {
			return bySeverity;
		}

		for (const key of ['project', 'kind', 'resource', 'code'] as const) {
			const order = a[key].localeCompare(b[key]);
			if (order !== 0) {
				return order;
			}
		}

		return 0;
	});
}

export const notManagedGroup = 'not managed';

/**
`--group-by iac`: the rows by the module part of their Terraform/OpenTofu address ("root module" for the root one),
modules in name order, then the rows of resources no state names under "not managed". Rows keep their order.
*/
export function iacGroups(rows: readonly AuditRow[]): Array<{group: string; rows: AuditRow[]}> {
	const groups = new Map<string, AuditRow[]>();
	for (const row of rows) {
		const group = row.iac === undefined ? notManagedGroup : (row.iac.module === '' ? 'root module' : row.iac.module);
		groups.set(group, [...(groups.get(group) ?? []), row]);
	}

	const names: string[] = [];
	for (const name of groups.keys()) {
		if (name !== notManagedGroup) {
			names.push(name);
		}
	}

	names.sort((a, b) => a.localeCompare(b));
	return [...names, ...(groups.has(notManagedGroup) ? [notManagedGroup] : [])].map(group => ({group, rows: groups.get(group)!}));
}

/**
See the exit codes at the top of this file.
*/
export function exitCodeFor(report: AuditReport, failOn: FailOn): number {
	if (failOn === 'never') {
		return 0;
	}

	const failing = failOn === 'critical' ? report.totals.critical : report.totals.critical + report.totals.warning;
	if (failing > 0) {
		return 1;
	}

	const isIncomplete = report.totals.unreadableProjects > 0 || report.projects.some(entry => Object.values(entry.sources).some(source => source.state === 'forbidden' || source.state === 'error'));
	return isIncomplete ? 2 : 0;
}

const sourceStateSchema = {
	type: 'object',
	required: ['state'],
	properties: {
		state: {enum: ['ok', 'missing', 'forbidden', 'error']},
		reason: {type: 'string'},
	},
};

const refProperties = {
	kind: {enum: ['volume', 'backup', 'snapshot', 'server', 'image', 'secret', 'volume-type', 'project']},
	id: {type: 'string'},
	name: {type: 'string'},
};

const refSchema = {
	type: 'object',
	required: ['kind', 'id'],
	properties: refProperties,
};

// A finding's own resource: the optional `iac` (added in version 1, an optional field, so version 1 still).
const findingResourceSchema = {
	type: 'object',
	required: ['kind', 'id'],
	properties: {
		...refProperties,
		iac: {
			type: 'object',
			required: ['address', 'module', 'stateFile'],
			properties: {address: {type: 'string', minLength: 1}, module: {type: 'string'}, stateFile: {type: 'string', minLength: 1}},
			additionalProperties: false,
		},
	},
};

const protectionSchema = {
	type: 'object',
	required: protections,
	properties: Object.fromEntries(protections.map(protection => [protection, {type: 'integer', minimum: 0}])),
	additionalProperties: false,
};

const backupSchema = {
	type: 'object',
	required: ['id', 'volumeId', 'status', 'restorability'],
	properties: {
		id: {type: 'string'},
		name: {type: 'string'},
		volumeId: {type: 'string'},
		status: {type: 'string'},
		restorability: {enum: restorabilities},
		why: {type: 'string'},
		drill: {
			type: 'object',
			required: ['at', 'result'],
			properties: {at: {type: 'string', format: 'date-time'}, result: {enum: ['ok', 'failed']}, reason: {type: 'string'}},
			additionalProperties: false,
		},
	},
	additionalProperties: false,
};

const countsProperties = {
	critical: {type: 'integer', minimum: 0},
	warning: {type: 'integer', minimum: 0},
	info: {type: 'integer', minimum: 0},
	ok: {type: 'integer', minimum: 0},
};

/**
JSON Schema (draft 2020-12) of the report, schema version 1.
*/
export const auditJsonSchema = {
	$schema: 'https://json-schema.org/draft/2020-12/schema',
	$id: 'https://github.com/backstack/backstack/audit-report-1.json',
	title: 'backstack audit report',
	type: 'object',
	required: ['schemaVersion', 'cloud', 'generatedAt', 'policy', 'projects', 'totals'],
	properties: {
		schemaVersion: {const: 1},
		cloud: {type: 'string'},
		region: {type: 'string'},
		generatedAt: {type: 'string', format: 'date-time'},
		policy: {
			type: 'object',
			required: ['rpoHours', 'severities'],
			properties: {
				rpoHours: {type: 'number', exclusiveMinimum: 0},
				severities: {type: 'object', additionalProperties: {enum: severities}},
				drillMaxAgeDays: {type: 'number', exclusiveMinimum: 0},
			},
		},
		projects: {
			type: 'array',
			items: {
				type: 'object',
				required: ['project', 'sources', 'findings', 'counts'],
				properties: {
					project: {
						type: 'object',
						required: ['id', 'name'],
						properties: {id: {type: 'string'}, name: {type: 'string'}, domainId: {type: 'string'}},
					},
					sources: {
						type: 'object',
						required: serviceNames,
						properties: Object.fromEntries(serviceNames.map(name => [name, sourceStateSchema])),
					},
					error: {type: 'string'},
					findings: {
						type: 'array',
						items: {
							type: 'object',
							required: ['code', 'severity', 'resource', 'reason', 'action'],
							properties: {
								code: {type: 'string'},
								severity: {enum: severities},
								resource: findingResourceSchema,
								reason: {type: 'string'},
								action: {type: 'string'},
								related: {type: 'array', items: refSchema},
							},
						},
					},
					counts: {
						type: 'object', required: severities, properties: countsProperties, additionalProperties: false,
					},
					protection: protectionSchema,
					backups: {type: 'array', items: backupSchema},
				},
			},
		},
		totals: {
			type: 'object',
			required: [...severities, 'projects', 'unreadableProjects'],
			properties: {
				...countsProperties,
				projects: {type: 'integer', minimum: 0},
				unreadableProjects: {type: 'integer', minimum: 0},
				protection: protectionSchema,
			},
			additionalProperties: false,
		},
	},
} as const;
