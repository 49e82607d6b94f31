/*
Benchmark: `backstack audit` on one big project, side by side with the `openstack` CLI listing the same data.

The demo cloud runs in a child process (this same file, started with BACKSTACK_BENCH_ROLE=cloud), so that the memory
measured here is the audit's own: one project with 10,000 volumes, 30,000 backups, 5,000 images, 3,000 secrets and 2,000
servers, 20 ms added to every request. Figures: the audit's wall time, the requests it made (counted by the demo cloud),
its peak RSS (sampled every 20 ms while it runs); then each `openstack … list` command's wall time and requests against
the same cloud. The CLI only lists; the audit lists everything and judges it, so the CLI's sum is a floor, not a twin.
*/
import {spawn, spawnSync, type ChildProcess} from 'node:child_process';
import {existsSync} from 'node:fs';
import {mkdtemp, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import {createInterface} from 'node:readline';
import {fileURLToPath} from 'node:url';
import {buildAuditReport} from '../source/core/audit.js';
import {defaultPolicy} from '../source/core/assessment.js';
import {readInventory} from '../source/core/inventory.js';
import {startDemoCloud, type ScaleSpec} from '../source/demo-cloud/index.js';
import {loadCloudConfig, openSession} from '../source/openstack/index.js';
import type {BenchFigure, BenchResult} from './run.js';

export type BenchAuditOptions = {
	scale?: ScaleSpec;
	latencyMs?: number;
	/**
	Time the `openstack` CLI too (when /usr/bin/openstack exists). Default true.
	*/
	withCli?: boolean;
};

export const benchScale: ScaleSpec = {
	projects: 1, volumes: 10_000, backupsPerVolume: 3, snapshots: 500, images: 5000, secrets: 3000, servers: 2000,
};

const roleVariable = 'BACKSTACK_BENCH_ROLE';
const scaleVariable = 'BACKSTACK_BENCH_SCALE';
const latencyVariable = 'BACKSTACK_BENCH_LATENCY';
const openstackCli = '/usr/bin/openstack';

const cliCommands: string[][] = [
	['volume', 'list', '--long'],
	['volume', 'backup', 'list', '--long'],
	['volume', 'snapshot', 'list'],
	['image', 'list', '--long'],
	['server', 'list', '--long'],
	// Barbican caps a page at 100 and the CLI asks for one page only: ask for the most it will give.
	['secret', 'list', '--limit', '100'],
];

type CloudChild = {
	cloudsFile: string;
	requestCount(): Promise<number>;
	close(): Promise<void>;
};

/**
The child's side: serve the demo cloud, answer `count` and `close` on stdin, one JSON line each on stdout.
*/
async function serveCloud(): Promise<void> {
	const scale = JSON.parse(process.env[scaleVariable] ?? '{}') as ScaleSpec;
	const latencyMs = Number(process.env[latencyVariable] ?? '20');
	const directory = await mkdtemp(path.join(os.tmpdir(), 'backstack-bench-'));
	const cloud = await startDemoCloud({seed: scale, latencyMs});
	const cloudsFile = path.join(directory, 'clouds.yaml');
	await cloud.writeCloudsYaml(cloudsFile);
	const send = (value: unknown) => {
		process.stdout.write(`${JSON.stringify(value)}\n`);
	};

	send({ready: true, cloudsFile});
	for await (const line of createInterface({input: process.stdin})) {
		if (line === 'count') {
			send({count: cloud.requestCount()});
		} else if (line === 'close') {
			break;
		}
	}

	await cloud.close();
	await rm(directory, {recursive: true, force: true});
}

async function startCloudChild(scale: ScaleSpec, latencyMs: number): Promise<CloudChild> {
	const child: ChildProcess = spawn(process.execPath, [...process.execArgv.filter(argument => !argument.startsWith('--expose-gc')), fileURLToPath(import.meta.url)], {
		env: {
			...process.env, [roleVariable]: 'cloud', [scaleVariable]: JSON.stringify(scale), [latencyVariable]: String(latencyMs),
		},
		stdio: ['pipe', 'pipe', 'inherit'],
	});
	if (!child.stdout || !child.stdin) {
		throw new Error('the demo cloud process has no stdio');
	}

	const lines = createInterface({input: child.stdout})[Symbol.asyncIterator]();
	const next = async (): Promise<Record<string, unknown>> => {
		const {value, done} = await lines.next();
		if (done === true) {
			throw new Error('the demo cloud process ended early');
		}

		return JSON.parse(value) as Record<string, unknown>;
	};

	const ready = await next();
	const {stdin} = child;
	return {
		cloudsFile: String(ready['cloudsFile']),
		async requestCount() {
			stdin.write('count\n');
			const answer = await next();
			return Number(answer['count']);
		},
		async close() {
			const exited = new Promise(resolve => {
				child.once('exit', resolve);
			});
			stdin.write('close\n');
			stdin.end();
			await exited;
		},
	};
}

function megabytes(bytes: number): number {
	return bytes / 1024 / 1024;
}

/**
Runs `work` while sampling this process's RSS; returns its result, its wall time and the highest RSS seen.
*/
async function measured<T>(work: () => Promise<T>): Promise<{result: T; milliseconds: number; peakRss: number; startRss: number}> {
	const collect = (globalThis as {gc?: () => void}).gc;
	collect?.();
	const startRss = process.memoryUsage.rss();
	let peakRss = startRss;
	const timer = setInterval(() => {
		peakRss = Math.max(peakRss, process.memoryUsage.rss());
	}, 20);
	const started = performance.now();
	try {
		const result = await work();
		peakRss = Math.max(peakRss, process.memoryUsage.rss());
		return {
			result, milliseconds: performance.now() - started, peakRss, startRss,
		};
	} finally {
		clearInterval(timer);
	}
}

type CliTiming = {command: string; milliseconds: number; requests: number; rows: number; ok: boolean};

async function timeCli(cloud: CloudChild): Promise<CliTiming[]> {
	const timings: CliTiming[] = [];
	for (const command of cliCommands) {
		// eslint-disable-next-line no-await-in-loop -- one command at a time, as a user would run them; requests are counted between them.
		const before = await cloud.requestCount();
		const started = performance.now();
		const run = spawnSync('/usr/bin/python3', [openstackCli, '--os-cloud', 'demo', ...command, '-f', 'value'], {
			env: {...process.env, OS_CLIENT_CONFIG_FILE: cloud.cloudsFile}, // eslint-disable-line @typescript-eslint/naming-convention
			encoding: 'utf8',
			maxBuffer: 512 * 1024 * 1024,
		});
		const milliseconds = performance.now() - started;
		// eslint-disable-next-line no-await-in-loop
		const after = await cloud.requestCount();
		timings.push({
			command: `openstack ${command.join(' ')}`,
			milliseconds,
			requests: after - before,
			rows: run.stdout.split('\n').filter(line => line !== '').length,
			ok: run.status === 0,
		});
	}

	return timings;
}

export async function benchAudit(options: BenchAuditOptions = {}): Promise<BenchResult> {
	const scale = options.scale ?? benchScale;
	const latencyMs = options.latencyMs ?? 20;
	const setupStarted = performance.now();
	const cloud = await startCloudChild(scale, latencyMs);
	const setupMs = performance.now() - setupStarted;
	try {
		const config = await loadCloudConfig({
			cloud: 'demo', env: {OS_CLIENT_CONFIG_FILE: cloud.cloudsFile}, cwd: os.tmpdir(), home: os.tmpdir(), systemDirs: [], // eslint-disable-line @typescript-eslint/naming-convention
		});
		const session = await openSession(config);
		const before = await cloud.requestCount();
		// What runAudit does, in its two halves, to see where the time goes.
		const listDone: string[] = [];
		let readMs = 0;
		const audit = await measured(async () => {
			const started = performance.now();
			const inventory = await readInventory(session, {
				onProgress(event) {
					if (event.done) {
						listDone.push(`${event.resource} ${((performance.now() - started) / 1000).toFixed(1)} s`);
					}
				},
			});
			readMs = performance.now() - started;
			return buildAuditReport(session, [{project: inventory.project, inventory}], defaultPolicy, new Date());
		});
		const requests = await cloud.requestCount() - before;
		session.close();
		const [project] = audit.result.projects;
		const seen = project ? `${project.findings.length} findings (${audit.result.totals.critical} critical, ${audit.result.totals.warning} warning)` : 'no project';

		const hasCli = (options.withCli ?? true) && existsSync(openstackCli);
		const cli = hasCli ? await timeCli(cloud) : [];
		const cliMs = cli.reduce((sum, timing) => sum + timing.milliseconds, 0);
		const cliRequests = cli.reduce((sum, timing) => sum + timing.requests, 0);
		const figures: BenchFigure[] = [
			{
				name: 'audit wall time', value: audit.milliseconds / 1000, unit: 's', ...(hasCli && {peer: {name: 'openstack CLI, 6 lists', value: cliMs / 1000}}),
			},
			{
				name: 'audit requests', value: requests, unit: 'req', ...(hasCli && {peer: {name: 'openstack CLI, 6 lists', value: cliRequests}}),
			},
			{name: 'audit: reading (lists, key lookups)', value: readMs / 1000, unit: 's'},
			{name: 'audit: rules and report', value: (audit.milliseconds - readMs) / 1000, unit: 's'},
			{name: 'audit peak RSS (whole process)', value: megabytes(audit.peakRss), unit: 'MB'},
			{name: 'audit RSS growth', value: megabytes(audit.peakRss - audit.startRss), unit: 'MB'},
			...cli.map(timing => ({name: timing.command, value: timing.milliseconds / 1000, unit: 's'})),
		];
		const volumes = scale.volumes ?? 0;
		const backups = volumes * (scale.backupsPerVolume ?? 0);
		const what = `${volumes} volumes, ${backups} backups, ${scale.images ?? 0} images, ${scale.secrets ?? 0} secrets, ${scale.servers ?? 0} servers`;
		return {
			title: `audit: 1 project, ${what}, ${latencyMs} ms per request`,
			figures,
			notes: [
				`demo cloud generated in ${(setupMs / 1000).toFixed(1)} s (own process, not measured)`,
				`audit saw ${seen}`,
				`lists complete at: ${listDone.join(', ')}`,
				...cli.map(timing => `${timing.command}: ${timing.rows} rows, ${timing.requests} requests${timing.ok ? '' : ', FAILED'}`),
				hasCli ? 'the CLI lists only; Barbican returns at most 100 secrets per request and `secret list` asks once' : 'openstack CLI not installed: no side-by-side figures',
			],
		};
	} finally {
		await cloud.close();
	}
}

if (process.env[roleVariable] === 'cloud') {
	await serveCloud();
}
