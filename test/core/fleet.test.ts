/*
The fleet reading (source/core/fleet.ts) on the demo cloud, through the real client: an admin's `--all-projects` from
one list per kind must judge every project as the per-project path does, list the projects with nothing in them, name
the owners Keystone no longer knows, and leave non-admins on the per-project path.
The real cloud's side (an admin without a role in the projects, Barbican's 403) is in test/contract/suite.ts.
*/
import {mkdtemp, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test, {type ExecutionContext} from 'ava';
import {runAudit, type AuditReport} from '../../source/core/audit.js';
import {canReadFleet, readFleet} from '../../source/core/fleet.js';
import {startDemoCloud, type DemoCloudOptions} from '../../source/demo-cloud/index.js';
import {loadCloudConfig, openSession} from '../../source/openstack/index.js';

const policy = {rpoHours: 24, severities: {}};

async function openCloud(t: ExecutionContext, seed: DemoCloudOptions['seed']) {
	const cloud = await startDemoCloud({seed, timeScale: 0.01});
	const directory = await mkdtemp(path.join(os.tmpdir(), 'backstack-fleet-'));
	const file = path.join(directory, 'clouds.yaml');
	await cloud.writeCloudsYaml(file);
	const sessions: Array<{close(): void}> = [];
	t.teardown(async () => {
		for (const session of sessions) {
			session.close();
		}

		await cloud.close();
		await rm(directory, {recursive: true, force: true});
	});
	const open = async (name: string) => {
		const config = await loadCloudConfig({
			cloud: name, env: {OS_CLIENT_CONFIG_FILE: file}, cwd: directory, home: directory, systemDirs: [], // eslint-disable-line @typescript-eslint/naming-convention
		});
		const session = await openSession(config);
		sessions.push(session);
		return session;
	};

	return {cloud, open};
}

/**
Per project: its sources and its findings, each as JSON, sorted.
*/
function judged(report: AuditReport): Record<string, {sources: string; findings: string[]}> {
	return Object.fromEntries(report.projects.map(entry => [entry.project.name, {
		sources: JSON.stringify(entry.sources),
		findings: entry.findings.map(finding => JSON.stringify(finding)).toSorted(),
	}]));
}

for (const [label, seed] of [
	['the story seed', 'story'],
	['a generated cloud of 6 projects (encrypted volumes, incremental backups, snapshots, images, secrets, servers)', {
		projects: 6, volumes: 15, backupsPerVolume: 2, snapshots: 3, images: 4, secrets: 3, servers: 3, encryptedShare: 0.3,
	}],
] as const) {
	test(`an admin's fleet audit of ${label} judges every project exactly as the per-project path does, in far fewer requests`, async t => {
		const {cloud, open} = await openCloud(t, seed);
		const admin = await open('demo-admin');
		t.true(canReadFleet(admin));
		const now = new Date();
		const before = cloud.requestCount();
		const fleet = await runAudit(admin, {allProjects: true, now, policy});
		const fleetRequests = cloud.requestCount() - before;
		const perProject = await runAudit(admin, {
			allProjects: true, perProject: true, now, policy,
		});
		const perProjectRequests = cloud.requestCount() - before - fleetRequests;
		t.deepEqual(judged(fleet), judged(perProject));
		t.true(fleet.totals.critical + fleet.totals.warning > 0, 'the seed has something to find');
		t.true(fleet.projects.every(entry => entry.sources.barbican.state === 'ok'), 'the demo admin has a role everywhere: Barbican is read in each project');
		t.true(fleetRequests * 2 < perProjectRequests, `fleet ${fleetRequests} requests, per-project ${perProjectRequests}`);
	});
}

test('the fleet lists one page set per kind for the whole cloud, and every project appears, the empty ones too', async t => {
	const {cloud, open} = await openCloud(t, {projects: 4, volumes: 3, backupsPerVolume: 1});
	const admin = await open('demo-admin');
	const before = {cinder: cloud.requestCount('volume'), nova: cloud.requestCount('compute'), glance: cloud.requestCount('image')};
	const fleet = await readFleet(admin);
	t.truthy(fleet);
	// Volumes, backups, snapshots (one page each, counted), volume types; Nova's servers; Glance's visible and hidden.
	t.is(cloud.requestCount('volume') - before.cinder, 4);
	t.is(cloud.requestCount('compute') - before.nova, 1);
	t.is(cloud.requestCount('image') - before.glance, 2);
	const names = (fleet ?? []).map(entry => entry.project.name);
	t.deepEqual(names, ['admin', 'demo', 'scale-02', 'scale-03', 'scale-04']);
	t.is(fleet?.find(entry => entry.project.name === 'admin')?.inventory?.volumes.length, 0, 'the admin project has no volume and is still listed');
	t.is(fleet?.find(entry => entry.project.name === 'scale-03')?.inventory?.volumes.length, 3);
});

test('resources whose project Keystone no longer knows are reported under that project ID', async t => {
	const {cloud, open} = await openCloud(t, {projects: 2, volumes: 2, backupsPerVolume: 0});
	const goneId = cloud.projects['scale-02']?.id ?? '';
	cloud.state.projects.delete(goneId);
	cloud.state.assignments.delete(goneId);
	const admin = await open('demo-admin');
	const report = await runAudit(admin, {allProjects: true, policy});
	const gone = report.projects.find(entry => entry.project.id === goneId);
	t.is(gone?.project.name, `${goneId} (not in Keystone)`);
	t.is(gone?.findings.filter(finding => finding.code === 'volume.unprotected').length, 2);
	t.is(gone?.sources.barbican.state, 'forbidden', 'no session can be scoped to a project that is gone');
});

test('a non-admin\'s --all-projects stays on the per-project path (its own projects, one session each)', async t => {
	const {open} = await openCloud(t, 'story');
	const member = await open('demo');
	t.false(canReadFleet(member));
	const report = await runAudit(member, {allProjects: true, policy});
	t.deepEqual(report.projects.map(entry => entry.project.name), ['analytics', 'ci-runners', 'demo']);
	// Keystone refuses a non-admin the list of every project: the fleet reading declines rather than fails.
	t.is(await readFleet(member), undefined);
});
