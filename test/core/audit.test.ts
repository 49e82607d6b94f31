import test from 'ava';
import {Ajv2020} from 'ajv/dist/2020.js';
import {
	auditCsvColumns,
	auditCsvIacColumns,
	auditJsonPieces,
	auditJsonSchema,
	auditRows,
	auditToCsv,
	auditToJson,
	buildAuditReport,
	csvField,
	exitCodeFor,
	runAudit,
	type AuditProgress,
	type AuditReport,
} from '../../source/core/audit.js';
import {defaultPolicy} from '../../source/core/assessment.js';
import {
	backup,
	daysAgo,
	drilledMetadata,
	image,
	inventory,
	now,
	secret,
	volume,
} from './builders.js';
import {open, serve, volumeBody} from './cloud.js';

const session = {cloudName: 'mini-demo', region: 'RegionOne'};

function sampleReport(): AuditReport {
	return buildAuditReport(session, [
		{
			project: {id: 'p-1', name: 'demo', enabled: true},
			inventory: inventory({
				volumes: [
					volume({id: 'v-ok', name: 'fine'}),
					volume({id: 'v-bad', name: 'db, "primary"\nline2'}),
				],
				backups: [backup({id: 'b1', volumeId: 'v-ok'})],
				images: [image({id: 'i1', name: 'escape\u{1B}[31mred', cinderEncryptionKeyId: 'k-gone'})],
				secrets: [secret('k-spare')],
			}),
		},
		{project: {id: 'p-2', name: 'locked', enabled: true}, error: 'not allowed to read this project: 403'},
	], defaultPolicy, now);
}

/**
RFC 3339 date-time (JSON Schema's `date-time`): a calendar date, a time and an offset, each in range.
*/
function isDateTime(text: string): boolean {
	const match = /^(?<year>\d{4})-(?<month>\d{2})-(?<day>\d{2})t(?<hour>\d{2}):(?<minute>\d{2}):(?<second>\d{2})(?:\.\d+)?(?:z|[+\-](?<offsetHour>\d{2}):(?<offsetMinute>\d{2}))$/iv.exec(text);
	if (!match?.groups) {
		return false;
	}

	const {year, month, day, hour, minute, second, offsetHour = '00', offsetMinute = '00'} = match.groups;
	const daysInMonth = new Date(Date.UTC(Number(year), Number(month), 0)).getUTCDate();
	return Number(month) >= 1 && Number(month) <= 12 && Number(day) >= 1 && Number(day) <= daysInMonth
		&& Number(hour) <= 23 && Number(minute) <= 59 && Number(second) <= 60 && Number(offsetHour) <= 23 && Number(offsetMinute) <= 59;
}

const ajv = new Ajv2020({strict: true, allErrors: true});
ajv.addFormat('date-time', {type: 'string', validate: isDateTime});
const validateReport = ajv.compile(auditJsonSchema);

/**
The schema's complaints about a value, as "instancePath keyword" (empty when the value is valid).
*/
function schemaErrors(value: unknown): string[] {
	return validateReport(value) ? [] : (validateReport.errors ?? []).map(error => `${error.instancePath} ${error.keyword}`);
}

test('the report has schema version 1, the cloud, the policy, projects with counts, and totals', t => {
	const report = sampleReport();
	t.is(report.schemaVersion, 1);
	t.is(report.cloud, 'mini-demo');
	t.is(report.region, 'RegionOne');
	t.is(report.generatedAt, now.toISOString());
	t.deepEqual(report.policy, defaultPolicy);
	t.deepEqual(report.projects.map(project => project.project.name), ['demo', 'locked']);
	const [demo, locked] = report.projects;
	t.deepEqual(demo?.counts, {
		critical: 3, warning: 0, info: 2, ok: 1,
	});
	t.deepEqual(demo?.findings.map(finding => finding.code), [
		'volume.protected', 'volume.unprotected', 'backup.never-drilled', 'image.key-missing', 'secret.referenced-missing', 'secret.orphan',
	]);
	t.is(locked?.error, 'not allowed to read this project: 403');
	t.deepEqual(locked?.findings, []);
	t.is(locked?.sources.cinder.state, 'error');
	const protection = {
		verified: 0, protected: 1, stale: 0, unprotected: 1, 'snapshot-only': 0, error: 0, unknown: 0, 'n/a': 0,
	};
	t.deepEqual(demo?.protection, protection);
	t.deepEqual(demo?.backups, [{
		id: 'b1', name: 'b1', volumeId: 'v-ok', status: 'available', restorability: 'restorable',
	}]);
	t.deepEqual(locked?.backups, []);
	t.deepEqual(report.totals, {
		critical: 3, warning: 0, info: 2, ok: 1, projects: 2, unreadableProjects: 1, protection,
	});
});

test('the JSON output parses back to the report and matches the published schema', t => {
	const report = sampleReport();
	const text = auditToJson(report);
	t.true(text.endsWith('}\n'));
	t.deepEqual(JSON.parse(text), report);
	t.deepEqual(schemaErrors(JSON.parse(text)), []);
	// A control character in a name stays escaped in JSON (no raw ESC reaches a terminal).
	t.false(text.includes('\u{1B}'));
	t.true(text.includes(String.raw`\u001b[31m`));
});

test('the JSON written in pieces is the same text as auditToJson', t => {
	const report = sampleReport();
	t.is([...auditJsonPieces(report)].join(''), auditToJson(report));
});

test('the schema (ajv, strict) rejects a wrong version, a negative count, a zero RPO, a bad date-time and an extra field', t => {
	const report = JSON.parse(auditToJson(sampleReport())) as AuditReport;
	t.deepEqual(schemaErrors({...report, schemaVersion: 2}), ['/schemaVersion const']);
	t.deepEqual(schemaErrors({...report, totals: {...report.totals, critical: -1}}), ['/totals/critical minimum']);
	const [demo, locked] = report.projects;
	t.deepEqual(schemaErrors({...report, projects: [{...demo, counts: {...demo!.counts, ok: 1.5}}, locked]}), ['/projects/0/counts/ok type']);
	t.deepEqual(schemaErrors({...report, policy: {...report.policy, rpoHours: 0}}), ['/policy/rpoHours exclusiveMinimum']);
	for (const generatedAt of ['2026-13-01T00:00:00Z', '2026-02-30T00:00:00Z', '2026-01-01 00:00:00', 'yesterday', '2026-01-01T24:00:00Z']) {
		t.deepEqual(schemaErrors({...report, generatedAt}), ['/generatedAt format'], `generatedAt ${generatedAt}`);
	}

	t.deepEqual(schemaErrors({...report, generatedAt: '2026-01-01T10:00:00.5+02:00'}), []);
	t.deepEqual(schemaErrors({...report, totals: {...report.totals, extra: 1}}), ['/totals additionalProperties']);
	t.deepEqual(schemaErrors({...report, projects: [{...demo, counts: {...demo!.counts, extra: 1}}, locked]}), ['/projects/0/counts additionalProperties']);
	t.deepEqual(schemaErrors({...report, policy: {...report.policy, severities: {'volume.protected': 'fatal'}}}), ['/policy/severities/volume.protected enum']);
});

function drilledReport(): AuditReport {
	const passed = drilledMetadata(3, 'ok');
	const failed = drilledMetadata(1, 'failed', 'restored volume ended error_restoring');
	const backups = [
		backup({id: 'b-proven', volumeId: 'v-proven', metadata: passed}),
		backup({id: 'b-failed', volumeId: 'v-failed', metadata: failed}),
		backup({id: 'b-logged', volumeId: 'v-logged'}),
	];
	return buildAuditReport(session, [{
		project: {id: 'p-1', name: 'demo', enabled: true},
		inventory: inventory({
			volumes: [volume({id: 'v-proven'}), volume({id: 'v-failed'}), volume({id: 'v-logged'})],
			backups,
		}),
		// The local drill log's record of b-logged: a passed drill, not on the metadata.
		drills: [{backupId: 'b-logged', at: daysAgo(2), result: 'ok'}],
	}], defaultPolicy, now);
}

test('drills in the report: verified volumes counted, backup.drill-failed, each backup with its restorability and newest drill', t => {
	const report = drilledReport();
	const [project] = report.projects;
	const of = (id: string) => project?.findings.filter(finding => finding.resource.id === id).map(finding => `${finding.severity} ${finding.code}`);
	t.deepEqual(of('v-proven'), ['ok volume.verified']);
	t.deepEqual(of('v-logged'), ['ok volume.verified']);
	t.deepEqual(of('v-failed'), ['critical volume.unprotected']);
	t.deepEqual(of('b-failed'), ['critical backup.drill-failed']);
	t.like(project?.protection, {verified: 2, protected: 0, unprotected: 1});
	t.like(report.totals.protection, {verified: 2, unprotected: 1});
	t.deepEqual(project?.backups, [
		{
			id: 'b-proven', name: 'b-proven', volumeId: 'v-proven', status: 'available', restorability: 'verified', drill: {at: daysAgo(3), result: 'ok'},
		},
		{
			id: 'b-failed',
			name: 'b-failed',
			volumeId: 'v-failed',
			status: 'available',
			restorability: 'drill-failed',
			why: `its restore drill failed at ${daysAgo(1)}: restored volume ended error_restoring`,
			drill: {at: daysAgo(1), result: 'failed', reason: 'restored volume ended error_restoring'},
		},
		{
			id: 'b-logged', name: 'b-logged', volumeId: 'v-logged', status: 'available', restorability: 'verified', drill: {at: daysAgo(2), result: 'ok'},
		},
	]);
	t.is(exitCodeFor(report, 'critical'), 1, 'a failed drill fails a cron audit');
	const parsed: unknown = JSON.parse(auditToJson(report));
	t.deepEqual(schemaErrors(parsed), []);
});

test('the policy in the report names its drill window, and the schema checks the drill fields', t => {
	const report = JSON.parse(auditToJson(drilledReport())) as AuditReport;
	t.is(report.policy.drillMaxAgeDays, 30);
	const narrow = buildAuditReport(session, [], {rpoHours: 24, severities: {}}, now);
	t.is(narrow.policy.drillMaxAgeDays, 30, 'a policy without a window gets the default, and says so');
	t.deepEqual(schemaErrors({...report, policy: {...report.policy, drillMaxAgeDays: 0}}), ['/policy/drillMaxAgeDays exclusiveMinimum']);
	const [project] = report.projects;
	const withBackup = (entry: Record<string, unknown>) => ({...report, projects: [{...project, backups: [entry]}]});
	const first = project!.backups[0]!;
	t.deepEqual(schemaErrors(withBackup({...first, restorability: 'probably'})), ['/projects/0/backups/0/restorability enum']);
	t.deepEqual(schemaErrors(withBackup({...first, extra: true})), ['/projects/0/backups/0 additionalProperties']);
	t.deepEqual(schemaErrors(withBackup({...first, drill: {at: 'last week', result: 'ok'}})), ['/projects/0/backups/0/drill/at format']);
	const yesterday = daysAgo(1);
	t.deepEqual(schemaErrors(withBackup({...first, drill: {at: yesterday, result: 'passed'}})), ['/projects/0/backups/0/drill/result enum']);
	const extraState = {...project!.protection, fine: 1};
	t.deepEqual(schemaErrors({...report, projects: [{...project, protection: extraState}]}), ['/projects/0/protection additionalProperties']);
	const negative = {...report.totals.protection, verified: -1};
	t.deepEqual(schemaErrors({...report, totals: {...report.totals, protection: negative}}), ['/totals/protection/verified minimum']);
});

test('CSV follows RFC 4180: header, CRLF, quotes doubled, fields with comma/quote/newline quoted', t => {
	const csv = auditToCsv(sampleReport());
	const lines = csv.split('\r\n');
	t.is(lines[0], auditCsvColumns.join(','));
	t.is(lines.at(-1), '');
	t.true(csv.includes('"db, ""primary""\nline2"'));
	t.true(csv.includes(',project.unreadable,project,p-2,locked,not allowed to read this project: 403,'));
	t.false(csv.includes('\u{1B}'));
	t.true(csv.includes('escape\u{FFFD}[31mred'));
	// Every record has as many fields as the header (parsing the quoted newline correctly).
	const records = parseCsv(csv);
	t.true(records.length > 3);
	for (const record of records) {
		t.is(record.length, auditCsvColumns.length);
	}

	const unprotected = records.find(record => record[4] === 'volume.unprotected');
	t.deepEqual(unprotected?.slice(0, 8), ['mini-demo', 'p-1', 'demo', 'critical', 'volume.unprotected', 'volume', 'v-bad', 'db, "primary"\nline2']);
	const keyMissing = records.find(record => record[4] === 'image.key-missing');
	t.is(keyMissing?.[10], 'secret:k-gone');
});

test('CSV with a Terraform state read: iac_address, iac_module and iac_state_file at the end, empty where no state names the resource', t => {
	const entry = {
		id: 'v-bad',
		address: 'module.db.openstack_blockstorage_volume_v3.data["0"]',
		type: 'openstack_blockstorage_volume_v3',
		name: 'data',
		module: 'module.db',
		indexKey: '0',
		stateFile: '/srv/tf/prod, "a".tfstate',
	} as const;
	const iac = {byId: new Map([[entry.id, entry]]), attachments: [], files: [{file: entry.stateFile, ids: [entry.id]}]};
	const report = buildAuditReport(session, [{
		project: {id: 'p-1', name: 'demo', enabled: true},
		inventory: inventory({volumes: [volume({id: 'v-ok', name: 'fine'}), volume({id: 'v-bad', name: 'bad'})], backups: [backup({id: 'b1', volumeId: 'v-ok'})]}),
		iac,
	}, {project: {id: 'p-2', name: 'locked', enabled: true}, error: 'forbidden'}], defaultPolicy, now);
	const records = parseCsv(auditToCsv(report, {iac: true}));
	const header = [...auditCsvColumns, ...auditCsvIacColumns];
	t.deepEqual(records[0], header);
	for (const record of records) {
		t.is(record.length, header.length);
	}

	const managed = records.filter(record => record[6] === 'v-bad');
	t.true(managed.length > 0);
	for (const record of managed) {
		t.deepEqual(record.slice(-3), [entry.address, 'module.db', entry.stateFile]);
	}

	const others = records.slice(1).filter(record => record[6] !== 'v-bad');
	t.true(others.length > 0);
	t.true(others.every(record => record.slice(-3).every(field => field === '')));
	// Without a state the columns are not there at all: the header stays what it was.
	t.is(auditToCsv(report).split('\r\n', 1)[0], auditCsvColumns.join(','));
});

/**
An RFC 4180 reader, to check the writer against.
*/
function parseCsv(text: string): string[][] {
	const records: string[][] = [];
	let field = '';
	let record: string[] = [];
	let isQuoted = false;
	for (let index = 0; index < text.length; index++) {
		const char = text[index]!;
		if (isQuoted) {
			if (char === '"' && text[index + 1] === '"') {
				field += '"';
				index++;
			} else if (char === '"') {
				isQuoted = false;
			} else {
				field += char;
			}
		} else if (char === '"') {
			isQuoted = true;
		} else if (char === ',') {
			record.push(field);
			field = '';
		} else if (char === '\r' && text[index + 1] === '\n') {
			record.push(field);
			records.push(record);
			record = [];
			field = '';
			index++;
		} else {
			field += char;
		}
	}

	return records;
}

test('csvField quotes only when needed', t => {
	t.is(csvField('plain'), 'plain');
	t.is(csvField('a,b'), '"a,b"');
	t.is(csvField('say "hi"'), '"say ""hi"""');
	t.is(csvField('two\r\nlines'), '"two\r\nlines"');
	t.is(csvField(''), '');
});

test('table rows: worst first, no ok rows unless asked, one line each, unreadable projects included', t => {
	const rows = auditRows(sampleReport());
	t.deepEqual(rows.map(row => `${row.severity} ${row.code} ${row.id}`), [
		'critical image.key-missing i1',
		'critical secret.referenced-missing k-gone',
		'critical volume.unprotected v-bad',
		'warning project.unreadable p-2',
		'info backup.never-drilled b1',
		'info secret.orphan k-spare',
	]);
	t.is(rows[2]?.resource, 'db, "primary" line2');
	t.is(rows[0]?.resource, 'escapered'); // The whole escape sequence is gone, not just its ESC
	t.is(auditRows(sampleReport(), {includeOk: true}).length, 7);
});

test('exit codes: findings at or above the threshold, incomplete audits, never', t => {
	const report = sampleReport();
	t.is(exitCodeFor(report, 'critical'), 1);
	t.is(exitCodeFor(report, 'warning'), 1);
	t.is(exitCodeFor(report, 'never'), 0);
	const clean = buildAuditReport(session, [{
		project: {id: 'p-1', name: 'demo', enabled: true},
		inventory: inventory({volumes: [volume({id: 'v'})], backups: [backup({id: 'b', volumeId: 'v'})]}),
	}], defaultPolicy, now);
	t.is(exitCodeFor(clean, 'warning'), 0);
	const warningOnly = buildAuditReport(session, [{
		project: {id: 'p-1', name: 'demo', enabled: true},
		inventory: inventory({volumes: [volume({id: 'v'})], backups: [backup({id: 'b', volumeId: 'v', createdAt: '2026-11-01T00:00:00Z'})]}),
	}], defaultPolicy, now);
	t.is(exitCodeFor(warningOnly, 'critical'), 0);
	t.is(exitCodeFor(warningOnly, 'warning'), 1);
	const incomplete = buildAuditReport(session, [
		{project: {id: 'p-1', name: 'demo', enabled: true}, inventory: inventory()},
		{project: {id: 'p-2', name: 'x', enabled: true}, error: 'boom'},
	], defaultPolicy, now);
	t.is(exitCodeFor(incomplete, 'critical'), 2);
	t.is(exitCodeFor(incomplete, 'never'), 0);
	const {sources} = inventory();
	const refused = buildAuditReport(session, [{
		project: {id: 'p-1', name: 'demo', enabled: true},
		inventory: inventory({secrets: undefined, sources: {...sources, barbican: {state: 'forbidden', reason: '403'}}}),
	}], defaultPolicy, now);
	t.is(exitCodeFor(refused, 'critical'), 2, 'keys unchecked: not a clean audit');
	t.is(exitCodeFor(refused, 'warning'), 1, 'the source.unavailable warning');
	const noNova = buildAuditReport(session, [{
		project: {id: 'p-1', name: 'demo', enabled: true},
		inventory: inventory({sources: {...sources, nova: {state: 'missing', reason: 'no compute in the catalog'}}}),
	}], defaultPolicy, now);
	t.is(exitCodeFor(noNova, 'critical'), 0, 'a cloud without Nova is not an incomplete audit');
});

test('runAudit reads the session\'s project over HTTP and reports it, with progress tagged by project', async t => {
	const {cloud, session: live} = await open(t);
	serve(cloud);
	cloud.route('GET', '/key-manager/v1/secrets/:id', {status: 404, json: {code: 404, title: 'Not Found', description: ''}});
	const events: AuditProgress[] = [];
	const report = await runAudit(live, {
		now,
		policy: {rpoHours: 24, severities: {}},
		onProgress(event) {
			events.push(event);
		},
	});
	t.is(report.projects.length, 1);
	t.is(report.projects[0]?.project.id, cloud.projectId);
	t.true(events.length > 0);
	t.true(events.every(event => event.project === 'demo'));
	// The fixture backup's key is not in Barbican (404 on lookup): restore impossible.
	const codes = report.projects[0]?.findings.map(finding => `${finding.code} ${finding.resource.kind}`) ?? [];
	t.true(codes.includes('key.missing backup'), codes.join('; '));
	t.true(codes.includes('secret.referenced-missing secret'));
	t.true(report.projects[0]?.findings.some(finding => finding.resource.id === volumeBody['id']));
});

test('runAudit with a project name switches to it; an unknown project is an error that names the choices', async t => {
	const {cloud, session: live} = await open(t, {projects: [{id: 'p2', name: 'demo2'}]});
	for (const list of ['volumes', 'backups', 'snapshots']) {
		cloud.route('GET', `/volume/v3/p2/${list}/detail`, {json: {[list]: []}});
	}

	cloud.route('GET', '/volume/v3/p2/types', {json: {volume_types: []}}); // eslint-disable-line @typescript-eslint/naming-convention
	serve(cloud);
	const report = await runAudit(live, {project: 'demo2', now});
	t.is(report.projects[0]?.project.id, 'p2');
	t.is(report.projects[0]?.project.name, 'demo2');
	const error = await t.throwsAsync(runAudit(live, {project: 'nope', now}));
	t.regex(error?.message ?? '', /"nope" is not one of yours.*demo, demo2/v);
});

test('runAudit over all projects reports each', async t => {
	const {cloud, session: live} = await open(t, {projects: [{id: 'p2', name: 'demo2'}]});
	serve(cloud);
	// Project p2 has no Cinder routes: its lists fail, which is recorded, not fatal.
	const report = await runAudit(live, {allProjects: true, now});
	t.deepEqual(report.projects.map(project => project.project.name), ['demo', 'demo2']);
	t.not(report.projects[1]?.sources.cinder.state, 'ok');
	t.true(report.projects[1]?.findings.some(finding => finding.code === 'source.unavailable'));
	t.is(report.totals.projects, 2);
});
