/*
Benchmark: `backstack audit` on one big project, side by side with the `openstack` CLI listing the same data.

The demo cloud runs in a child process (this same file, started with BACKSTACK_BENCH_ROLE=cloud): one project with
10,000 volumes, 30,000 backups, 5,000 images, 3,000 secrets and 2,000 servers, 20 ms added to every request.

backstack is measured as the real program: `dist/cli.js audit --format json --fail-on never`, run through its #! line as the installed command is (built by
`npm run bench`) in its own process, pointed at the demo cloud's clouds.yaml. Its wall time is from spawn to exit (Node's
start-up, authentication, every list, the rules and the JSON on stdout), its peak RSS is the kernel's (`/usr/bin/time -f
%M`, or VmHWM from /proc while it runs), its requests are counted by the demo cloud. Then the same audit runs once more
inside this process, only to say when each list completes (no target on it). Then each `openstack … list` command's wall
time and requests against the same cloud. The CLI only lists; the audit lists everything and judges it, so the CLI's sum
is a floor, not a twin.
*/
import {Buffer} from 'node:buffer';
import {spawn, type ChildProcess} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import {existsSync, readFileSync} from 'node:fs';
import {mkdtemp, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import {createInterface} from 'node:readline';
import {fileURLToPath} from 'node:url';
import {buildAuditReport} from '../source/core/audit.js';
import {defaultPolicy} from '../source/core/assessment.js';
import {readInventory} from '../source/core/inventory.js';
import {startDemoCloud, type DemoService, type ScaleSpec} from '../source/demo-cloud/index.js';
import {loadCloudConfig, openSession} from '../source/openstack/index.js';
import {openstackCli, timeCli} from './peer-cli.js';
import type {BenchFigure, BenchResult} from './types.js';

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
const gnuTime = '/usr/bin/time';
// BACKSTACK_BENCH_CLI: another build of the program (e.g. an older commit's) to compare against.
const builtCli = process.env['BACKSTACK_BENCH_CLI'] ?? fileURLToPath(new URL('../dist/cli.js', import.meta.url));

/**
Targets (issue 15): the audit within 1.5 s (the median of its runs) and 250 MB (in every run), and at least 15 times as
fast as the CLI's lists together.
*/
export const auditTargets = {seconds: 1.5, megabytes: 250, timesFasterThanCli: 15};

/**
How many times the program runs: its peak RSS must hold in each run, its time is the median.
*/
const programRuns = 3;

const cliCommands: string[][] = [
	['volume', 'list', '--long'],
	['volume', 'backup', 'list', '--long'],
	['volume', 'snapshot', 'list'],
	['image', 'list', '--long'],
	['server', 'list', '--long'],
	// Barbican caps a page at 100 and the CLI asks for one page only: ask for the most it will give.
	['secret', 'list', '--limit', '100'],
];

export type CloudChild = {
	cloudsFile: string;
	/**
	Requests the demo cloud answered so far, all of them or one service's.
	*/
	requestCount(service?: DemoService): Promise<number>;
	/**
	The requests since a time (ms since the epoch): when, the method and the path.
	*/
	requestLog(since: number): Promise<Array<{at: number; method: string; path: string}>>;
	/**
	Adds to project demo an active raw image of `bytes` bytes made from an encrypted volume (its
	`cinder_encryption_key_id` names a new 256-bit AES key in Barbican, deleted with the image), for bench/bundle.ts.
	*/
	addEncryptedImage(bytes: number): Promise<{imageId: string; secretId: string}>;
	close(): Promise<void>;
};

/**
An image of an encrypted volume, seeded straight into the demo cloud's state: its HTTP upload stops at 256 MB.
*/
function seedEncryptedImage(cloud: Awaited<ReturnType<typeof startDemoCloud>>, bytes: number): {imageId: string; secretId: string} {
	const owner = cloud.projects['demo']!.id;
	const key = cloud.state.addSecret({
		projectId: owner, creatorId: cloud.users['demo']!.id, secretType: 'symmetric', algorithm: 'aes', bitLength: 256, payload: randomBytes(32), contentType: 'application/octet-stream',
	});
	// A random MiB repeated: no run of zeros a file system or a transport could shortcut.
	const data = Buffer.alloc(bytes, randomBytes(1024 * 1024));
	const image = cloud.state.addImage({
		owner,
		name: `bench-bundle-${bytes}`,
		diskFormat: 'raw',
		containerFormat: 'bare',
		properties: {cinder_encryption_key_id: key.id, cinder_encryption_key_deletion_policy: 'on_image_deletion'}, // eslint-disable-line @typescript-eslint/naming-convention
		data,
	});
	return {imageId: image.id, secretId: key.id};
}

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
		} else if (line.startsWith('log ')) {
			const since = Number(line.slice('log '.length));
			send({log: cloud.requestLog().filter(entry => entry.at >= since)});
		} else if (line.startsWith('encrypted-image ')) {
			const bytes = Number(line.slice('encrypted-image '.length));
			send(seedEncryptedImage(cloud, bytes));
		} else if (line.startsWith('count ')) {
			send({count: cloud.requestCount(line.slice('count '.length) as DemoService)});
		} else if (line === 'close') {
			break;
		}
	}

	await cloud.close();
	await rm(directory, {recursive: true, force: true});
}

export async function startCloudChild(scale: ScaleSpec, latencyMs: number): Promise<CloudChild> {
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
		async requestCount(service?: DemoService) {
			stdin.write(service === undefined ? 'count\n' : `count ${service}\n`);
			const answer = await next();
			return Number(answer['count']);
		},
		async requestLog(since: number) {
			stdin.write(`log ${since}\n`);
			const answer = await next();
			return answer['log'] as Array<{at: number; method: string; path: string}>;
		},
		async addEncryptedImage(bytes: number) {
			stdin.write(`encrypted-image ${bytes}\n`);
			const answer = await next();
			return {imageId: String(answer['imageId']), secretId: String(answer['secretId'])};
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

export type ProgramRun = {
	milliseconds: number;
	peakRssKb: number;
	exitCode: number | undefined;
	stdout: string;
	stderr: string;
};

/**
The highest RSS the kernel saw for a process (VmHWM), read while it runs; 0 once it is gone.
*/
function highWaterKb(pid: number): number {
	try {
		const match = /^VmHWM:\s+(?<kb>\d+)\s+kB$/mv.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
		return Number(match?.groups?.['kb'] ?? '0');
	} catch {
		return 0;
	}
}

/**
Runs the built program as a user would (its own process, its own Node start-up) and measures it from outside.
*/
export async function runProgram(cloudsFile: string, home: string, run: {cloud?: string; arguments?: string[]} = {}): Promise<ProgramRun> {
	// As installed: the `backstack` command is dist/cli.js run through its #! line (with its V8 options), not `node dist/cli.js`.
	const command = [builtCli, ...(run.arguments ?? ['audit', '--format', 'json', '--fail-on', 'never'])];
	const hasGnuTime = existsSync(gnuTime);
	// GNU time writes the peak RSS (KiB) as the last line of stderr, after the program's own stderr.
	const [file, ...arguments_] = hasGnuTime ? [gnuTime, '-f', '%M', ...command] : command;
	const started = performance.now();
	const child = spawn(file!, arguments_, {
		env: {
			...process.env, OS_CLIENT_CONFIG_FILE: cloudsFile, OS_CLOUD: run.cloud ?? 'demo', HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), XDG_CACHE_HOME: path.join(home, '.cache'), // eslint-disable-line @typescript-eslint/naming-convention
		},
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	let sampledKb = 0;
	const sampler = hasGnuTime
		? undefined
		: setInterval(() => {
			sampledKb = Math.max(sampledKb, highWaterKb(child.pid ?? 0));
		}, 20);
	const stdout: Uint8Array[] = [];
	const stderr: Uint8Array[] = [];
	child.stdout.on('data', (chunk: Uint8Array) => {
		stdout.push(chunk);
	});
	child.stderr.on('data', (chunk: Uint8Array) => {
		stderr.push(chunk);
	});
	const exitCode = await new Promise<number | undefined>((resolve, reject) => {
		child.once('error', reject);
		child.once('close', resolve);
	});
	const milliseconds = performance.now() - started;
	clearInterval(sampler);
	const errorText = Buffer.concat(stderr).toString('utf8');
	const lines = errorText.trimEnd().split('\n');
	const peakRssKb = hasGnuTime ? Number(lines.at(-1)) : sampledKb;
	return {
		milliseconds, peakRssKb, exitCode, stdout: Buffer.concat(stdout).toString('utf8'), stderr: hasGnuTime ? lines.slice(0, -1).join('\n') : errorText,
	};
}

/**
What the program's JSON report says, in one line.
*/
function summary(json: string): string {
	try {
		const report = JSON.parse(json) as {totals?: Record<string, number>; projects?: Array<{findings?: unknown[]}>};
		const findings = report.projects?.reduce((sum, project) => sum + (project.findings?.length ?? 0), 0) ?? 0;
		return `${findings} findings (${report.totals?.['critical'] ?? 0} critical, ${report.totals?.['warning'] ?? 0} warning), ${(json.length / 1024 / 1024).toFixed(1)} MB of JSON`;
	} catch {
		return `no JSON report (${json.length} bytes on stdout)`;
	}
}

/**
The same audit in this process, only to see when each list completes and where the reading's time goes.
*/
async function measureInProcess(cloud: CloudChild) {
	// The same audit in this process, only to see when each list completes.
	const config = await loadCloudConfig({
		cloud: 'demo', env: {OS_CLIENT_CONFIG_FILE: cloud.cloudsFile}, cwd: os.tmpdir(), home: os.tmpdir(), systemDirs: [], // eslint-disable-line @typescript-eslint/naming-convention
	});
	const session = await openSession(config);
	const listDone: string[] = [];
	const cpuBefore = process.cpuUsage();
	const started = performance.now();
	const inventory = await readInventory(session, {
		keepRaw: false, // As the audit command reads.
		onProgress(event) {
			if (event.done) {
				listDone.push(`${event.resource} ${((performance.now() - started) / 1000).toFixed(1)} s`);
			}
		},
	});
	const readMs = performance.now() - started;
	const cpu = process.cpuUsage(cpuBefore);
	// JavaScript runs on one thread: while reading, the time this process did not spend on the CPU (parsing, mapping) it
	// waited for answers. (cpuUsage counts V8's helper threads too, so this underestimates the wait a little.)
	const readCpuMs = (cpu.user + cpu.system) / 1000;
	const ruled = performance.now();
	buildAuditReport(session, [{project: inventory.project, inventory}], defaultPolicy, new Date());
	const rulesMs = performance.now() - ruled;
	session.close();
	return {
		listDone, readMs, readCpuMs, rulesMs,
	};
}

/**
The real program, measured from outside, {@link programRuns} times one after another.
*/
async function measureProgram(cloud: CloudChild, home: string) {
	// The real program, measured from outside, several times.
	const runs: ProgramRun[] = [];
	let requests = 0;
	for (let run = 0; run < programRuns; run++) {
		// eslint-disable-next-line no-await-in-loop -- one run at a time, or they would share the machine
		const beforeProgram = await cloud.requestCount();
		// eslint-disable-next-line no-await-in-loop
		const program = await runProgram(cloud.cloudsFile, home);
		if (program.exitCode !== 0) {
			throw new Error(`backstack audit exited with ${program.exitCode}: ${program.stderr.slice(-2000)}`);
		}

		// eslint-disable-next-line no-await-in-loop
		requests = await cloud.requestCount() - beforeProgram;
		runs.push(program);
	}

	const seen = summary(runs[0]?.stdout ?? '');
	const seconds = runs.map(program => program.milliseconds / 1000);
	const medianSeconds = seconds.toSorted((a, b) => a - b)[Math.floor(seconds.length / 2)] ?? 0;
	const megabytes = runs.map(program => program.peakRssKb / 1024);
	return {
		runs, requests, seen, seconds, medianSeconds, megabytes,
	};
}

export async function benchAudit(options: BenchAuditOptions = {}): Promise<BenchResult> {
	if (!existsSync(builtCli)) {
		throw new Error(`${builtCli} is missing: run the bench with \`npm run bench\`, which builds it`);
	}

	const scale = options.scale ?? benchScale;
	const latencyMs = options.latencyMs ?? 20;

	const setupStarted = performance.now();
	const cloud = await startCloudChild(scale, latencyMs);
	const setupMs = performance.now() - setupStarted;
	const home = await mkdtemp(path.join(os.tmpdir(), 'backstack-bench-home-'));
	try {
		const {runs, requests, seen, seconds, medianSeconds, megabytes} = await measureProgram(cloud, home);

		const {listDone, readMs, readCpuMs, rulesMs} = await measureInProcess(cloud);

		const hasCli = (options.withCli ?? true) && existsSync(openstackCli);
		const cli = hasCli ? await timeCli(cloud, 'demo', cliCommands) : [];
		const cliMs = cli.reduce((sum, timing) => sum + timing.milliseconds, 0);
		const cliRequests = cli.reduce((sum, timing) => sum + timing.requests, 0);
		const cliName = `openstack CLI, ${cli.length} lists`;
		const figures: BenchFigure[] = [
			{
				name: `backstack audit wall time, median of ${runs.length}`,
				value: medianSeconds,
				unit: 's',
				target: auditTargets.seconds,
				...(hasCli && {peer: {name: cliName, value: cliMs / 1000}}),
			},
			...(hasCli
				? [{
					// Run.ts checks value ≤ target: "at least 10× faster" is "at most a tenth of the CLI's time".
					name: `audit time / CLI time (≥${auditTargets.timesFasterThanCli}× faster)`,
					value: 100 * medianSeconds * 1000 / cliMs,
					unit: '%',
					target: 100 / auditTargets.timesFasterThanCli,
				}]
				: []),
			{
				name: 'backstack audit requests', value: requests, unit: 'req', ...(hasCli && {peer: {name: cliName, value: cliRequests}}),
			},
			{
				name: `backstack audit peak RSS, highest of ${runs.length}`, value: Math.max(...megabytes), unit: 'MB', target: auditTargets.megabytes,
			},
			{name: 'in-process: reading (lists, key lookups)', value: readMs / 1000, unit: 's'},
			{name: '  of which CPU (parse JSON, map)', value: readCpuMs / 1000, unit: 's'},
			{name: '  of which waiting for the network', value: Math.max(0, readMs - readCpuMs) / 1000, unit: 's'},
			{name: 'in-process: rules and report', value: rulesMs / 1000, unit: 's'},
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
				`backstack audit printed ${seen}`,
				`backstack audit runs: ${seconds.map(value => `${value.toFixed(2)} s`).join(', ')}; peak RSS ${megabytes.map(value => `${value.toFixed(1)} MB`).join(', ')}`,
				`peak RSS from ${existsSync(gnuTime) ? '/usr/bin/time -f %M' : 'VmHWM sampled every 20 ms'}; the wall time includes Node's start-up`,
				`in-process run: lists complete at: ${listDone.join(', ')}`,
				...cli.map(timing => `${timing.command}: ${timing.rows} rows, ${timing.requests} requests${timing.ok ? '' : ', FAILED'}`),
				hasCli ? 'the CLI lists only; Barbican returns at most 100 secrets per request and `secret list` asks once' : 'openstack CLI not installed: no side-by-side figures',
			],
		};
	} finally {
		await cloud.close();
		await rm(home, {recursive: true, force: true});
	}
}

if (process.env[roleVariable] === 'cloud') {
	await serveCloud();
}
