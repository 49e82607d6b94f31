/*
What the plan tests share: the demo cloud with a session on it, a clock that runs waits faster, collecting events.
*/
import {execFile} from 'node:child_process';
import {mkdtemp, rm, stat} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {setTimeout as delay} from 'node:timers/promises';
import {startDemoCloud, type DemoCloud, type DemoCloudOptions} from '../../../source/demo-cloud/index.js';
import {loadCloudConfig, openSession} from '../../../source/openstack/index.js';
import type {CloudSession} from '../../../source/openstack/api.js';
import {runPlan, type RunOptions} from '../../../source/core/plans/execute.js';
import type {
	Clock,
	Plan,
	PlanEvent,
	PlanResult,
} from '../../../source/core/plans/types.js';
import type {Volume} from '../../../source/openstack/types.js';

type Teardown = {teardown(fn: () => unknown): void};

export async function temporaryDirectory(t: Teardown): Promise<string> {
	const directory = await mkdtemp(path.join(tmpdir(), 'backstack-plans-'));
	t.teardown(async () => rm(directory, {recursive: true, force: true}));
	return directory;
}

/**
Real time for `now`, but sleeps `factor` times shorter: a 1 s poll interval takes 1000/factor ms.
*/
export function fastClock(factor = 50): Clock {
	return {
		now: () => Date.now(),
		async sleep(ms, signal) {
			await delay(Math.max(1, Math.round(ms / factor)), undefined, {signal});
		},
	};
}

export type CloudForTest = {
	cloud: DemoCloud;
	session: CloudSession;
	admin: CloudSession;
	directory: string;
	cloudsYamlPath: string;
};

/**
A demo cloud (empty seed, statuses 100× faster) with sessions as `demo` and as `demo-admin`.
*/
export async function demoCloud(t: Teardown, options: DemoCloudOptions = {}): Promise<CloudForTest> {
	const cloud = await startDemoCloud({seed: 'empty', timeScale: 0.01, ...options});
	const directory = await temporaryDirectory(t);
	const cloudsYamlPath = path.join(directory, 'clouds.yaml');
	await cloud.writeCloudsYaml(cloudsYamlPath);
	const open = async (name: string) => openSession(await loadCloudConfig({
		cloud: name, cwd: directory, home: directory, env: {}, systemDirs: [],
	}));
	const session = await open('demo');
	const admin = await open('demo-admin');
	t.teardown(async () => {
		session.close();
		admin.close();
		await cloud.close();
	});
	return {
		cloud, session, admin, directory, cloudsYamlPath,
	};
}

export async function collect(events: AsyncIterable<PlanEvent>): Promise<PlanEvent[]> {
	return listAll(events);
}

export function last(events: PlanEvent[]): PlanEvent | undefined {
	return events.at(-1);
}

/**
Polls `read` until `done` says so (for arranging the cloud).
*/
export async function until<T>(read: () => Promise<T>, isDone: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		// eslint-disable-next-line no-await-in-loop
		const value = await read();
		if (isDone(value)) {
			return value;
		}

		if (Date.now() > deadline) {
			throw new Error(`Timed out; last value: ${JSON.stringify(value)}`);
		}

		// eslint-disable-next-line no-await-in-loop
		await delay(20);
	}
}

/* eslint-disable unicorn/prefer-array-from-async -- Array.fromAsync is not in this project's TypeScript lib. */
export async function listAll<T>(items: AsyncIterable<T>): Promise<T[]> {
	const all: T[] = [];
	for await (const item of items) {
		all.push(item);
	}

	return all;
}
/* eslint-enable unicorn/prefer-array-from-async */

export async function volumesOf(session: CloudSession): Promise<Volume[]> {
	return listAll(session.cinder!.listVolumes());
}

export async function volumeNames(session: CloudSession): Promise<string[]> {
	const volumes = await volumesOf(session);
	return volumes.map(volume => volume.name);
}

/**
The permission bits of a file (e.g. 0o600).
*/
export async function permissionsOf(file: string): Promise<number> {
	const {mode} = await stat(file);
	// eslint-disable-next-line no-bitwise -- masking the permission bits.
	return mode & 0o777;
}

export async function sizeOf(file: string): Promise<number> {
	const {size} = await stat(file);
	return size;
}

export async function runToEnd(plan: Plan, session: CloudSession, options: RunOptions = {}): Promise<PlanEvent[]> {
	return collect(runPlan(plan, session, options));
}

/**
Runs a tool (qemu-img, cryptsetup…) to its end; a failure rejects with its command line and stderr.
*/
export async function runTool(file: string, args: string[]): Promise<void> {
	await new Promise<void>((resolve, reject) => {
		execFile(file, args, (error, _stdout, stderr) => {
			if (error === null) {
				resolve();
				return;
			}

			reject(new Error(`${file} ${args.join(' ')}: ${error.message} ${stderr}`));
		});
	});
}

/**
The plan of a planning result; anything else (a refusal, a question) fails the test with what it was.
*/
export function planOf(result: PlanResult): Plan {
	if (result.kind !== 'plan') {
		throw new Error(`Expected a plan, got ${JSON.stringify(result)}`);
	}

	return result.plan;
}
