/*
Benchmark: the DR bundle of one image (issue 13), `backstack backup bundle image ID DIR --yes` against the same bytes
fetched with Debian's `openstack` CLI: `image save --file F ID` and `secret get --payload_content_type
application/octet-stream --file K SECRET`, one after the other.

Like the other suites this runs against the demo cloud in its own process (bench/audit.ts's child), served on
loopback with 20 ms added to every request; both programs read the same clouds.yaml, the same endpoints and the same
image: 1 GiB of raw data made from an encrypted volume, so that its key (a 256-bit AES secret in Barbican, named by
`cinder_encryption_key_id`) is part of the bundle. The image is seeded into the child's memory once per bench run (the
demo cloud's HTTP upload stops at 256 MB) and goes away with the child.

backstack is the real program (dist/cli.js through its #! line, Node's start-up included); it downloads the image
streamed to a .part file, checks Glance's md5 and sha512 on the way, writes the key (0600), hashes the files again and
writes manifest.json. The CLI only saves the two files. Both are timed from spawn to exit, their peak RSS is the
kernel's (GNU time's %M, or VmHWM sampled while backstack runs), and each run's files are checked (sizes, the key's
bytes equal between the two; nothing of the key is printed) and deleted before the next run. Throughput is the image's
bytes over the wall time, in MB/s (10^6 bytes a second); the runs alternate between the two programs.
*/
import {Buffer} from 'node:buffer';
import {spawnSync} from 'node:child_process';
import {existsSync} from 'node:fs';
import {
	mkdtemp,
	readdir,
	readFile,
	rm,
	stat,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import type {ScaleSpec} from '../source/demo-cloud/index.js';
import {runProgram, startCloudChild, type CloudChild} from './audit.js';
import {openstackCli} from './peer-cli.js';
import type {BenchFigure, BenchResult} from './types.js';

/**
Issue 13: the download is streamed, so bundling a 1 GiB image stays within 150 MB of resident memory.
*/
export const bundleTargets = {megabytes: 150};

// BACKSTACK_BENCH_BUNDLE_BYTES: another image size (the target is for 1 GiB), e.g. a small one for the program's floor.
const imageBytes = Number(process.env['BACKSTACK_BENCH_BUNDLE_BYTES'] ?? (1024 ** 3));
const runs = 3;
const gnuTime = '/usr/bin/time';
const bundleScale: ScaleSpec = {
	projects: 1, volumes: 0, backupsPerVolume: 0, snapshots: 0, images: 0, secrets: 0, servers: 0,
};

type Measured = {seconds: number; peakMb: number; requests: number; problem?: string};

function median(values: number[]): number {
	return values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
}

async function sizeOf(file: string): Promise<number | undefined> {
	try {
		const stats = await stat(file);
		return stats.size;
	} catch {
		return undefined;
	}
}

/**
One backstack bundle into a fresh directory; its key file's bytes are handed back for the comparison with the CLI's.
*/
async function bundleOnce(cloud: CloudChild, home: string, work: string, imageId: string): Promise<Measured & {key?: Uint8Array}> {
	const directory = path.join(work, 'bundle');
	const before = await cloud.requestCount();
	const program = await runProgram(cloud.cloudsFile, home, {arguments: ['backup', 'bundle', 'image', imageId, directory, '--yes']});
	const requests = await cloud.requestCount() - before;
	const files = existsSync(directory) ? await readdir(directory) : [];
	const dataFile = files.find(name => name.startsWith('image-') && !name.endsWith('.key') && !name.endsWith('.part'));
	const keyFile = files.find(name => name.endsWith('.key'));
	const dataSize = dataFile === undefined ? undefined : await sizeOf(path.join(directory, dataFile));
	let problem: string | undefined;
	if (program.exitCode !== 0) {
		problem = `backstack exited with ${String(program.exitCode)}: ${program.stderr.trim().split('\n').at(-1) ?? ''}`;
	} else if (keyFile === undefined || dataSize !== imageBytes || !files.includes('manifest.json')) {
		problem = `backstack's bundle is incomplete: ${files.join(', ')}; data ${String(dataSize)} bytes`;
	}

	const key = keyFile === undefined ? undefined : await readFile(path.join(directory, keyFile));
	await rm(directory, {recursive: true, force: true});
	return {
		seconds: program.milliseconds / 1000, peakMb: program.peakRssKb / 1024, requests, ...(problem !== undefined && {problem}), ...(key !== undefined && {key}),
	};
}

/**
One `openstack` command under GNU time (when there is one): its wall time, peak RSS and exit status.
*/
function cliRun(cloud: CloudChild, arguments_: string[]): {milliseconds: number; peakKb: number; ok: boolean; error: string} {
	const command = ['/usr/bin/python3', openstackCli, '--os-cloud', 'demo', ...arguments_];
	const hasGnuTime = existsSync(gnuTime);
	const [file, ...rest] = hasGnuTime ? [gnuTime, '-f', '%M', ...command] : command;
	const started = performance.now();
	const run = spawnSync(file!, rest, {
		env: {...process.env, OS_CLIENT_CONFIG_FILE: cloud.cloudsFile}, // eslint-disable-line @typescript-eslint/naming-convention
		encoding: 'utf8',
		stdio: ['ignore', 'ignore', 'pipe'],
	});
	const milliseconds = performance.now() - started;
	const lines = run.stderr.trimEnd().split('\n');
	return {
		milliseconds, peakKb: hasGnuTime ? Number(lines.at(-1)) : 0, ok: run.status === 0, error: (hasGnuTime ? lines.slice(0, -1) : lines).at(-1) ?? '',
	};
}

/**
The CLI's image save and secret get for the same image, into a fresh directory.
*/
async function cliOnce(cloud: CloudChild, work: string, image: {imageId: string; secretId: string}): Promise<Measured & {key?: Uint8Array}> {
	const directory = await mkdtemp(path.join(work, 'cli-'));
	const dataFile = path.join(directory, 'image.raw');
	const keyFile = path.join(directory, 'image.key');
	const before = await cloud.requestCount();
	const save = cliRun(cloud, ['image', 'save', '--file', dataFile, image.imageId]);
	const secret = cliRun(cloud, ['secret', 'get', '--payload_content_type', 'application/octet-stream', '--file', keyFile, image.secretId]);
	const requests = await cloud.requestCount() - before;
	const dataSize = await sizeOf(dataFile);
	let problem: string | undefined;
	if (!save.ok || !secret.ok) {
		problem = `openstack ${save.ok ? 'secret get' : 'image save'} failed: ${save.ok ? secret.error : save.error}`;
	} else if (dataSize !== imageBytes) {
		problem = `openstack image save wrote ${String(dataSize)} bytes`;
	}

	const key = existsSync(keyFile) ? await readFile(keyFile) : undefined;
	await rm(directory, {recursive: true, force: true});
	return {
		seconds: (save.milliseconds + secret.milliseconds) / 1000,
		peakMb: Math.max(save.peakKb, secret.peakKb) / 1024,
		requests,
		...(problem !== undefined && {problem}),
		...(key !== undefined && {key}),
	};
}

function runsNote(measured: Measured[]): string {
	const times = measured.map(run => `${run.seconds.toFixed(2)} s`).join(', ');
	const peaks = measured.map(run => `${run.peakMb.toFixed(1)} MB`).join(', ');
	return `${times}; peak RSS ${peaks}; ${measured[0]?.requests ?? 0} requests`;
}

export async function benchBundle(): Promise<BenchResult> {
	const seeded = performance.now();
	const cloud = await startCloudChild(bundleScale, 20);
	const image = await cloud.addEncryptedImage(imageBytes);
	const setupSeconds = (performance.now() - seeded) / 1000;
	const home = await mkdtemp(path.join(os.tmpdir(), 'backstack-bench-bundle-home-'));
	const work = await mkdtemp(path.join(os.tmpdir(), 'backstack-bench-bundle-'));
	const hasCli = existsSync(openstackCli);
	const ours: Measured[] = [];
	const theirs: Measured[] = [];
	const notes: string[] = [];
	try {
		for (let run = 0; run < runs; run++) {
			const bundle = await bundleOnce(cloud, home, work, image.imageId); // eslint-disable-line no-await-in-loop
			ours.push(bundle);
			if (!hasCli) {
				continue;
			}

			const cli = await cliOnce(cloud, work, image); // eslint-disable-line no-await-in-loop
			theirs.push(cli);
			if (bundle.key !== undefined && cli.key !== undefined && Buffer.compare(bundle.key, cli.key) !== 0) {
				notes.push(`run ${run + 1}: the two key files differ`);
			}
		}
	} finally {
		await cloud.close();
		await rm(home, {recursive: true, force: true});
		await rm(work, {recursive: true, force: true});
	}

	for (const [who, measured] of [['backstack', ours], ['openstack CLI', theirs]] as const) {
		for (const [index, run] of measured.entries()) {
			if (run.problem !== undefined) {
				notes.push(`${who}, run ${index + 1}: ${run.problem}`);
			}
		}
	}

	const megabytes = imageBytes / 1e6;
	const seconds = median(ours.map(run => run.seconds));
	const cliSeconds = median(theirs.map(run => run.seconds));
	const cliName = 'openstack image save + secret get';
	const figures: BenchFigure[] = [
		{
			name: `bundle wall time, median of ${ours.length}`, value: seconds, unit: 's', ...(hasCli && {peer: {name: cliName, value: cliSeconds}}),
		},
		{
			name: 'bundle throughput', value: megabytes / seconds, unit: 'MB/s', higherIsBetter: true, ...(hasCli && {peer: {name: cliName, value: megabytes / cliSeconds}}),
		},
		{
			name: `backstack peak RSS, highest of ${ours.length}`, value: Math.max(...ours.map(run => run.peakMb)), unit: 'MB', target: bundleTargets.megabytes,
		},
		...(hasCli ? [{name: 'openstack CLI peak RSS (its larger command)', value: Math.max(...theirs.map(run => run.peakMb)), unit: 'MB'}] : []),
	];
	const size = `${imageBytes} bytes (${(imageBytes / (1024 ** 2)).toFixed(1)} MiB, raw)`;
	const rss = existsSync(gnuTime) ? '/usr/bin/time -f %M' : 'VmHWM sampled every 20 ms';
	notes.push(
		`image: ${size} of an encrypted volume and its 32-byte key; seeded with the demo cloud in ${setupSeconds.toFixed(1)} s (not measured)`,
		`backstack runs: ${runsNote(ours)}`,
		hasCli ? `${cliName} runs: ${runsNote(theirs)}` : `${openstackCli} is missing: no peer figures`,
		`peak RSS from ${rss}; wall times include Node's and Python's start-ups`,
		'backstack also checks md5, sha512 and SHA-256 and writes the manifest; the CLI saves the two files only',
	);
	return {title: 'DR bundle: backstack backup bundle image vs openstack image save + secret get (demo cloud on loopback, 20 ms per request)', figures, notes};
}
