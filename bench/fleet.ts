/*
Benchmark: an admin's `backstack audit --all-projects` of a whole cloud, the fleet path (core/fleet.ts: one all_tenants
list per kind, Barbican per project) against the per-project path (a scoped session per project reading every list,
what a non-admin runs and what an admin ran before) and against the `openstack` CLI's three `--all-projects` lists.

The demo cloud (bench/audit.ts's child process) holds 500 projects × 20 volumes × 3 backups (10,000 volumes, 30,000
backups; a tenth of the volumes encrypted, each with its Barbican key), 20 ms added to every request; the admin has a
role in every project, so Barbican is read in a session scoped to each (the costlier of the fleet's two Barbican paths).

- fleet: the real program, `dist/cli.js audit --all-projects --format json` as demo-admin, measured from outside
  (wall time from spawn to exit, Node's start-up included; peak RSS; requests counted by the demo cloud).
- per-project: `runAudit({allProjects: true, perProject: true})` in this process (the CLI has no switch for it).
  At 500 projects it takes long: `BACKSTACK_BENCH_FLEET_PER_PROJECT=N` measures it on the first N projects' worth
  (a cloud of N projects) and prints the linear extrapolation to 500 as such; default: all of them.
- openstack CLI: `volume list --all-projects`, `volume backup list --all-projects`, `volume snapshot list
  --all-projects` (Debian's /usr/bin/openstack under /usr/bin/python3), one after another. It lists only.

Opt-in (it takes minutes): `npm run bench -- fleet`.
*/
import {existsSync} from 'node:fs';
import {mkdtemp, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import {runAudit} from '../source/core/audit.js';
import type {ScaleSpec} from '../source/demo-cloud/index.js';
import {loadCloudConfig, openSession} from '../source/openstack/index.js';
import {runProgram, startCloudChild, type CloudChild} from './audit.js';
import {openstackCli, timeCli, type CliTiming} from './peer-cli.js';
import type {BenchFigure, BenchResult} from './types.js';

export const fleetTargets = {seconds: 10, timesFasterThanPerProject: 10};

const cliCommands: string[][] = [
	['volume', 'list', '--all-projects'],
	['volume', 'backup', 'list', '--all-projects'],
	['volume', 'snapshot', 'list', '--all-projects'],
];

export type BenchFleetOptions = {
	projects?: number;
	volumesPerProject?: number;
	backupsPerVolume?: number;
	latencyMs?: number;
	/**
	Projects of the cloud the per-project path is timed on (default: `projects`).
	*/
	perProjectProjects?: number;
};

function scaleOf(projects: number, options: BenchFleetOptions): ScaleSpec {
	return {
		projects, volumes: options.volumesPerProject ?? 20, backupsPerVolume: options.backupsPerVolume ?? 3, snapshots: 0, images: 0, secrets: 0, servers: 0,
	};
}

type InProcess = {milliseconds: number; requests: number; projects: number; findings: number};

async function inProcessAudit(cloud: CloudChild, isPerProject: boolean): Promise<InProcess> {
	const config = await loadCloudConfig({
		cloud: 'demo-admin', env: {OS_CLIENT_CONFIG_FILE: cloud.cloudsFile}, cwd: os.tmpdir(), home: os.tmpdir(), systemDirs: [], // eslint-disable-line @typescript-eslint/naming-convention
	});
	const before = await cloud.requestCount();
	const started = performance.now();
	const session = await openSession(config);
	try {
		const report = await runAudit(session, {allProjects: true, perProject: isPerProject});
		const milliseconds = performance.now() - started;
		return {
			milliseconds,
			requests: await cloud.requestCount() - before,
			projects: report.projects.length,
			findings: report.projects.reduce((sum, project) => sum + project.findings.length, 0),
		};
	} finally {
		session.close();
	}
}

function projectsIn(json: string): number {
	try {
		return (JSON.parse(json) as {projects?: unknown[]}).projects?.length ?? 0;
	} catch {
		return 0;
	}
}

type FleetRuns = {
	program: {milliseconds: number; peakRssKb: number; requests: number; projects: number};
	fleet: InProcess;
	perProject: InProcess;
	cli: CliTiming[];
	setupMs: number;
};

async function measure(options: BenchFleetOptions, projects: number, perProjectProjects: number, latencyMs: number): Promise<FleetRuns> {
	const home = await mkdtemp(path.join(os.tmpdir(), 'backstack-bench-fleet-'));
	const setupStarted = performance.now();
	const cloud = await startCloudChild(scaleOf(projects, options), latencyMs);
	const setupMs = performance.now() - setupStarted;
	try {
		const before = await cloud.requestCount();
		const run = await runProgram(cloud.cloudsFile, home, {cloud: 'demo-admin', arguments: ['audit', '--all-projects', '--format', 'json', '--fail-on', 'never']});
		if (run.exitCode !== 0) {
			throw new Error(`backstack audit --all-projects exited with ${run.exitCode}: ${run.stderr.slice(-2000)}`);
		}

		const program = {
			milliseconds: run.milliseconds, peakRssKb: run.peakRssKb, requests: await cloud.requestCount() - before, projects: projectsIn(run.stdout),
		};
		const fleet = await inProcessAudit(cloud, false);
		const cli = existsSync(openstackCli) ? await timeCli(cloud, 'demo-admin', cliCommands) : [];
		let perProject: InProcess;
		if (perProjectProjects === projects) {
			perProject = await inProcessAudit(cloud, true);
		} else {
			await cloud.close();
			const smaller = await startCloudChild(scaleOf(perProjectProjects, options), latencyMs);
			try {
				perProject = await inProcessAudit(smaller, true);
			} finally {
				await smaller.close();
			}
		}

		return {
			program, fleet, perProject, cli, setupMs,
		};
	} finally {
		await cloud.close().catch(() => undefined);
		await rm(home, {recursive: true, force: true});
	}
}

export async function benchFleet(options: BenchFleetOptions = {}): Promise<BenchResult> {
	const projects = options.projects ?? 500;
	const latencyMs = options.latencyMs ?? 20;
	const perProjectProjects = Math.min(projects, options.perProjectProjects ?? Number(process.env['BACKSTACK_BENCH_FLEET_PER_PROJECT'] ?? projects));
	const {
		program, fleet, perProject, cli, setupMs,
	} = await measure(options, projects, perProjectProjects, latencyMs);
	const isExtrapolated = perProjectProjects !== projects;
	// The per-project path grows with the number of projects (a session and seven lists each): scaled linearly.
	const perProjectMs = perProject.milliseconds * ((projects + 1) / (perProjectProjects + 1));
	const perProjectName = isExtrapolated ? `per-project path, extrapolated from ${perProjectProjects} projects` : 'per-project path (in-process)';
	const cliMs = cli.reduce((sum, timing) => sum + timing.milliseconds, 0);
	const volumes = projects * (options.volumesPerProject ?? 20);
	const backups = volumes * (options.backupsPerVolume ?? 3);
	const figures: BenchFigure[] = [
		{
			name: 'fleet audit wall time (dist/cli.js)',
			value: program.milliseconds / 1000,
			unit: 's',
			target: fleetTargets.seconds,
			peer: {name: perProjectName, value: perProjectMs / 1000},
		},
		{
			// Run.ts checks value ≤ target: "at least 10× faster" is "at most a tenth of the per-project path's time".
			name: `fleet / per-project time (≥${fleetTargets.timesFasterThanPerProject}× faster)`,
			value: 100 * program.milliseconds / perProjectMs,
			unit: '%',
			target: 100 / fleetTargets.timesFasterThanPerProject,
		},
		...cli.slice(0, 1).map(() => ({
			name: 'fleet audit vs the CLI\'s 3 --all-projects lists', value: program.milliseconds / 1000, unit: 's', peer: {name: `openstack CLI, ${cli.length} lists`, value: cliMs / 1000},
		})),
		{name: 'fleet audit requests', value: program.requests, unit: 'req'},
		{name: 'fleet audit peak RSS (its process)', value: program.peakRssKb / 1024, unit: 'MB'},
		{name: 'in-process: fleet path', value: fleet.milliseconds / 1000, unit: 's'},
		{name: `in-process: per-project path, ${perProjectProjects} projects`, value: perProject.milliseconds / 1000, unit: 's'},
		{name: `in-process: per-project requests, ${perProjectProjects} projects`, value: perProject.requests, unit: 'req'},
		...cli.map(timing => ({name: timing.command, value: timing.milliseconds / 1000, unit: 's'})),
	];
	return {
		title: `fleet audit: ${projects} projects, ${volumes} volumes, ${backups} backups, ${latencyMs} ms per request`,
		figures,
		notes: [
			`demo cloud generated in ${(setupMs / 1000).toFixed(1)} s (own process, not measured)`,
			`the program reported ${program.projects} projects; in-process fleet: ${fleet.projects} projects, ${fleet.findings} findings, ${fleet.requests} requests`,
			`per-project path on ${perProjectProjects} projects: ${perProject.projects} projects, ${perProject.findings} findings`
			+ (isExtrapolated ? `; the figure for ${projects} is that time × ${projects + 1}/${perProjectProjects + 1} (projects + the admin's own), an extrapolation, not a measurement` : ''),
			'the fleet wall time includes Node\'s start-up; the per-project time is in-process (no start-up), which favours it',
			...cli.map(timing => `${timing.command}: ${timing.rows} rows, ${timing.requests} requests${timing.ok ? '' : ', FAILED'}`),
			cli.length > 0 ? 'the CLI lists only (no images, servers, keys, no judgement)' : 'openstack CLI not installed: no side-by-side figures',
		],
	};
}
