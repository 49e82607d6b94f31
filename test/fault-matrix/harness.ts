/*
What the fault matrix shares: a story-seeded demo cloud per case, `node dist/cli.js …` run as a user runs it (a child
process with OS_CLIENT_CONFIG_FILE pointing at that cloud), the cloud's resources before and after, and the outcome
words the README's table shows.
*/
import {spawn} from 'node:child_process';
import {mkdir} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import {setTimeout as delay} from 'node:timers/promises';
import type {DemoCloud} from '../../source/demo-cloud/index.js';

const root = path.resolve(import.meta.dirname, '../..');
export const cli = path.join(root, 'dist/cli.js');
export const readmePath = path.join(root, 'README.md');

/**
At most this many children at once: the machine may have two cores, and each child is a Node process.
*/
const parallel = Math.max(4, Math.min(8, os.availableParallelism() * 3));
let running = 0;
const queue: Array<() => void> = [];

export async function limited<T>(work: () => Promise<T>): Promise<T> {
	if (running >= parallel) {
		await new Promise<void>(resolve => {
			queue.push(resolve);
		});
	}

	running++;
	try {
		return await work();
	} finally {
		running--;
		queue.shift()?.();
	}
}

export type CliResult = {code: number; signal?: string; stdout: string; stderr: string; ms: number};

export type Child = {
	/**
	Resolves when the child ended (killed or not).
	*/
	done: Promise<CliResult>;
	kill(): void;
	output(): string;
};

export type CaseHome = {directory: string; cloudsYamlPath: string; journal: string};

/**
Starts `node dist/cli.js …args --os-cloud demo` in the case's own home, with nothing of the caller's environment but PATH.
*/
export function startCli(home: CaseHome, args: string[], hardLimitMs = 60_000): Child {
	const env = Object.fromEntries([
		['PATH', process.env['PATH'] ?? ''],
		['HOME', home.directory],
		['BACKSTACK_CONFIG_DIR', path.join(home.directory, 'config')],
		['OS_CLIENT_CONFIG_FILE', home.cloudsYamlPath],
	]);
	const started = Date.now();
	const child = spawn(process.execPath, [cli, ...args, '--os-cloud', 'demo'], {cwd: home.directory, env, stdio: ['ignore', 'pipe', 'pipe']});
	let stdout = '';
	let stderr = '';
	child.stdout.on('data', (chunk: Uint8Array) => {
		stdout += String(chunk);
	});
	child.stderr.on('data', (chunk: Uint8Array) => {
		stderr += String(chunk);
	});
	// A hang is a defect the matrix reports: the child is killed and the case sees signal SIGKILL.
	const limit = setTimeout(() => {
		child.kill('SIGKILL');
	}, hardLimitMs);
	const done = new Promise<CliResult>(resolve => {
		child.on('close', (code, signal) => {
			clearTimeout(limit);
			resolve({
				code: code ?? -1, ...(signal !== null && {signal}), stdout, stderr, ms: Date.now() - started,
			});
		});
	});
	return {
		done,
		kill() {
			child.kill('SIGKILL');
		},
		output: () => stdout + stderr,
	};
}

export async function runCli(home: CaseHome, args: string[], hardLimitMs?: number): Promise<CliResult> {
	return startCli(home, args, hardLimitMs).done;
}

export async function caseHome(directory: string, cloud: DemoCloud): Promise<CaseHome> {
	const cloudsYamlPath = path.join(directory, 'clouds.yaml');
	await cloud.writeCloudsYaml(cloudsYamlPath);
	const journal = path.join(directory, 'config', 'journal');
	await mkdir(path.dirname(journal), {recursive: true, mode: 0o700});
	return {directory, cloudsYamlPath, journal};
}

export type ResourceKind = 'volume' | 'backup' | 'snapshot' | 'image' | 'secret';

export type Resource = {kind: ResourceKind; id: string; name: string; status: string; keyId?: string};

const gone = new Set(['deleting', 'deleted', 'pending_delete', 'killed']);

/**
Every volume, backup, snapshot, image and secret the cloud holds now (any project), but those on their way out.
*/
export function resourcesOf(cloud: DemoCloud): Resource[] {
	const {state} = cloud;
	const all: Resource[] = [
		...Array.from(state.volumes.values(), volume => ({
			kind: 'volume' as const, id: volume.id, name: volume.name ?? '', status: volume.status, keyId: volume.encryptionKeyId,
		})),
		...Array.from(state.backups.values(), backup => ({
			kind: 'backup' as const, id: backup.id, name: backup.name ?? '', status: backup.status, keyId: backup.encryptionKeyId,
		})),
		...Array.from(state.snapshots.values(), snapshot => ({
			kind: 'snapshot' as const, id: snapshot.id, name: snapshot.name ?? '', status: snapshot.status,
		})),
		...Array.from(state.images.values(), image => ({
			kind: 'image' as const, id: image.id, name: image.name ?? '', status: image.status, keyId: image.properties['cinder_encryption_key_id'],
		})),
		...Array.from(state.secrets.values(), secret => ({
			kind: 'secret' as const, id: secret.id, name: secret.name ?? '', status: 'ACTIVE',
		})),
	];
	return all.filter(resource => !gone.has(resource.status));
}

/**
What the cloud gained between two readings.
*/
export function gained(before: Resource[], after: Resource[]): Resource[] {
	const known = new Set(before.map(resource => resource.id));
	return after.filter(resource => !known.has(resource.id));
}

export type Accounting = {
	/**
	Gained and named in the output by ID.
	*/
	named: Resource[];
	/**
	Gained, not named, but what a successful run was meant to make (or the key Cinder made for it).
	*/
	intended: Resource[];
	/**
	Gained and neither: the defect this suite exists to find.
	*/
	unreported: Resource[];
};

export function account(gain: Resource[], output: string, options: {isSuccess: boolean; makes: ResourceKind[]; now: Resource[]}): Accounting {
	const named = gain.filter(resource => output.includes(resource.id));
	const intended = gain.filter(resource => !named.includes(resource) && options.isSuccess && options.makes.includes(resource.kind));
	const accounted = new Set([...named, ...intended]);
	// A secret Cinder made as the key of a resource that is accounted for (gained, or named: a restore gives the volume
	// a clone of the backup's key) belongs to it.
	const owners = [...accounted, ...options.now.filter(resource => output.includes(resource.id))];
	const keys = new Set(owners.map(resource => resource.keyId).filter(Boolean));
	const unreported = gain.filter(resource => !accounted.has(resource) && !(resource.kind === 'secret' && keys.has(resource.id)));
	return {named, intended, unreported};
}

/**
Lines that look like a JavaScript stack frame.
*/
export function stackLines(text: string): string[] {
	return text.split('\n').filter(line => /^\s+at /v.test(line));
}

/**
Polls `isDone` until it holds.
*/
export async function until(isDone: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	// eslint-disable-next-line no-await-in-loop -- polling.
	while (!(await isDone())) {
		if (Date.now() > deadline) {
			throw new Error(`Timed out waiting for ${what}`);
		}

		// eslint-disable-next-line no-await-in-loop -- polling.
		await delay(15);
	}
}

export type Observation = {
	row: string;
	column: string;
	code: number | string;
	word: string;
};

/**
The README table: one row per command (or kill point), one column per fault; a cell is `exit code · outcome`.
*/
export function formatTable(corner: string, columns: string[], observations: Observation[]): string {
	const rows = [...new Set(observations.map(observation => observation.row))];
	const cell = (row: string, column: string) => {
		const found = observations.find(observation => observation.row === row && observation.column === column);
		return found === undefined ? '—' : `${found.code} ${found.word}`;
	};

	return [
		`| ${corner} | ${columns.join(' | ')} |`,
		`| --- | ${columns.map(() => '---').join(' | ')} |`,
		...rows.map(row => `| ${row} | ${columns.map(column => cell(row, column)).join(' | ')} |`),
	].join('\n');
}

export const tableStart = '<!-- fault-matrix:start (generated: BACKSTACK_WRITE_FAULT_TABLE=1 npx ava test/fault-matrix/) -->';
export const tableEnd = '<!-- fault-matrix:end -->';

export function tableIn(readme: string): string | undefined {
	const start = readme.indexOf(tableStart);
	const end = readme.indexOf(tableEnd);
	return start === -1 || end < start ? undefined : readme.slice(start + tableStart.length, end).trim();
}

export function withTable(readme: string, table: string): string {
	const start = readme.indexOf(tableStart);
	const end = readme.indexOf(tableEnd);
	if (start === -1 || end < start) {
		throw new Error(`README has no ${tableStart} … ${tableEnd} markers`);
	}

	return `${readme.slice(0, start + tableStart.length)}\n${table}\n${readme.slice(end)}`;
}
