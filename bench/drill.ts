/*
Benchmark: one restore drill (issue 12), `backstack drill BACKUP --yes --json` against the same work done by hand with
the `openstack` CLI, for a plain backup and for an encrypted backup of a non-default type.

The demo cloud (bench/audit.ts's child process) holds one project with a few volumes, one backup each, a share of them
encrypted, 20 ms added to every request, and its operations take about as long as the real Zed cloud's (a volume 3 s,
a restore 2 s, a delete 1.5 s). backstack is the real program (dist/cli.js, Node's start-up included); its requests are
counted by the demo cloud, and its polling rate is read from the demo cloud's request log: the GETs of the temporary
volume over the time between the first and the last (a drill runs one operation at a time; target ≤ 1 poll a second).

The peer is what a careful person types for the same proof with Debian's openstack CLI 6.0.0 (no `volume create
--backup` there): `volume create --size --type`, `volume show` until available, `volume backup restore --force`,
`volume show` until available again, `volume delete`, `volume show` until it is gone. Each command is a Python start-up
(1–3 s here), which is most of its time; it checks nothing of what the drill checks (type, size, key).
*/
import {spawnSync} from 'node:child_process';
import {existsSync} from 'node:fs';
import {mkdtemp, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import type {ScaleSpec} from '../source/demo-cloud/index.js';
import {loadCloudConfig, openSession} from '../source/openstack/index.js';
import type {Backup, Volume} from '../source/openstack/types.js';
import {runProgram, startCloudChild, type CloudChild} from './audit.js';
import {openstackCli} from './peer-cli.js';
import type {BenchFigure, BenchResult} from './types.js';

/**
While a drill waits for its temporary volume (created from the backup, then deleted), at most one poll a second.
*/
export const drillTargets = {pollsPerSecond: 1};

const drillScale: ScaleSpec = {
	projects: 1, volumes: 12, backupsPerVolume: 1, snapshots: 0, images: 0, secrets: 0, servers: 0, encryptedShare: 0.5,
};

type Subject = {label: string; backup: Backup; volume: Volume};

async function subjects(cloud: CloudChild): Promise<Subject[]> {
	const config = await loadCloudConfig({
		cloud: 'demo', env: {OS_CLIENT_CONFIG_FILE: cloud.cloudsFile}, cwd: os.tmpdir(), home: os.tmpdir(), systemDirs: [], // eslint-disable-line @typescript-eslint/naming-convention
	});
	const session = await openSession(config);
	try {
		const volumes = new Map<string, Volume>();
		for await (const volume of session.cinder!.listVolumes()) {
			volumes.set(volume.id, volume);
		}

		const found: Subject[] = [];
		for await (const backup of session.cinder!.listBackups()) {
			const volume = volumes.get(backup.volumeId);
			const label = backup.encryptionKeyId === undefined ? 'plain backup' : 'encrypted backup, non-default type';
			if (volume !== undefined && backup.status === 'available' && found.every(subject => subject.label !== label)) {
				found.push({label, backup, volume});
			}
		}

		return found.toSorted((a, b) => a.label.localeCompare(b.label)).toReversed();
	} finally {
		session.close();
	}
}

/**
How often the drill asked for its temporary volume while it waited: the GETs of the volume polled most, over the time
between its first and last poll.
*/
function pollsPerSecond(log: Array<{at: number; method: string; path: string}>): {polls: number; perSecond: number} {
	const byVolume = new Map<string, number[]>();
	for (const entry of log) {
		const id = /\/volumes\/(?<id>[\d\-a-f]{36})$/v.exec(entry.path)?.groups?.['id'];
		if (id !== undefined && entry.method === 'GET') {
			byVolume.set(id, [...byVolume.get(id) ?? [], entry.at]);
		}
	}

	// eslint-disable-next-line unicorn/prefer-iterator-to-array -- the project's TypeScript lib has no iterator helpers.
	const times = [...byVolume.values()].toSorted((a, b) => b.length - a.length)[0] ?? [];
	const span = (times.at(-1)! - times[0]!) / 1000;
	return {polls: times.length, perSecond: times.length > 1 && span > 0 ? (times.length - 1) / span : 0};
}

type Peer = {milliseconds: number; commands: number; ok: boolean; failure?: string};

/**
The openstack CLI doing the drill's work by hand (see the top of this file), polling as fast as the CLI starts.
*/
function peerDrill(cloud: CloudChild, subject: Subject): Peer {
	let commands = 0;
	const run = (...arguments_: string[]) => {
		commands++;
		return spawnSync('/usr/bin/python3', [openstackCli, '--os-cloud', 'demo', ...arguments_], {
			env: {...process.env, OS_CLIENT_CONFIG_FILE: cloud.cloudsFile}, // eslint-disable-line @typescript-eslint/naming-convention
			encoding: 'utf8',
		});
	};

	const waitFor = (id: string, until: string): string | undefined => {
		for (let poll = 0; poll < 120; poll++) {
			const shown = run('volume', 'show', id, '-f', 'value', '-c', 'status');
			const status = shown.stdout.trim();
			if (until === 'gone' ? shown.status !== 0 : status === until) {
				return undefined;
			}

			if (status.startsWith('error')) {
				return `volume ${id} is ${status}`;
			}
		}

		return `volume ${id} is not ${until} after 120 polls`;
	};

	const started = performance.now();
	const created = run('volume', 'create', '--size', String(subject.backup.size), '--type', subject.volume.volumeTypeId ?? '', `bench-peer-drill-${Date.now()}`, '-f', 'value', '-c', 'id');
	const id = created.stdout.trim();
	if (id === '' || created.status !== 0) {
		return {
			milliseconds: performance.now() - started, commands, ok: false, failure: `volume create: ${created.stderr.trim()}`,
		};
	}

	const failure = waitFor(id, 'available') ?? (() => {
		const restored = run('volume', 'backup', 'restore', '--force', subject.backup.id, id);
		// Python-openstackclient 6.0.0 fails printing an accepted restore; the status then tells.
		const isRefused = restored.status !== 0 && !restored.stderr.includes('cannot unpack non-iterable VolumeBackupsRestore object');
		return isRefused ? `volume backup restore: ${restored.stderr.trim()}` : waitFor(id, 'available');
	})();
	run('volume', 'delete', id);
	const gone = waitFor(id, 'gone');
	return {
		milliseconds: performance.now() - started, commands, ok: failure === undefined && gone === undefined, failure: failure ?? gone,
	};
}

export async function benchDrill(): Promise<BenchResult> {
	const cloud = await startCloudChild(drillScale, 20);
	const home = await mkdtemp(path.join(os.tmpdir(), 'backstack-bench-drill-'));
	const figures: BenchFigure[] = [];
	const notes: string[] = [];
	try {
		for (const subject of await subjects(cloud)) {
			const before = await cloud.requestCount(); // eslint-disable-line no-await-in-loop
			const startedAt = Date.now();
			const program = await runProgram(cloud.cloudsFile, home, {arguments: ['drill', subject.backup.id, '--yes', '--json']}); // eslint-disable-line no-await-in-loop
			const requests = await cloud.requestCount() - before; // eslint-disable-line no-await-in-loop
			const polling = pollsPerSecond(await cloud.requestLog(startedAt)); // eslint-disable-line no-await-in-loop
			const result = program.exitCode === 0 ? (JSON.parse(program.stdout) as {drills: Array<{result: string}>}).drills[0]?.result : undefined;
			if (result !== 'ok') {
				notes.push(`${subject.label}: the drill did not pass (exit ${String(program.exitCode)}): ${program.stderr.trim().split('\n').at(-1) ?? ''}`);
			}

			const seconds = program.milliseconds / 1000;
			const peer = existsSync(openstackCli) ? peerDrill(cloud, subject) : undefined;
			if (peer !== undefined && !peer.ok) {
				notes.push(`${subject.label}: the openstack CLI's drill failed: ${peer.failure ?? '?'}`);
			}

			figures.push(
				{
					name: `${subject.label}: drill wall time`,
					value: seconds,
					unit: 's',
					...(peer !== undefined && {peer: {name: `openstack CLI (${peer.commands} commands)`, value: peer.milliseconds / 1000}}),
				},
				{name: `${subject.label}: requests (all services)`, value: requests, unit: 'requests'},
				{
					name: `${subject.label}: polls of its volume per second (${polling.polls} polls)`, value: polling.perSecond, unit: 'req/s', target: drillTargets.pollsPerSecond,
				},
				{name: `${subject.label}: peak RSS`, value: program.peakRssKb / 1024, unit: 'MB'},
			);
		}

		if (figures.length === 0) {
			notes.push('the demo cloud had no available backup to drill');
		}

		if (!existsSync(openstackCli)) {
			notes.push(`${openstackCli} is missing: no peer figures`);
		}
	} finally {
		await cloud.close();
		await rm(home, {recursive: true, force: true});
	}

	return {title: 'Restore drill: backstack drill vs the same steps with the openstack CLI (demo cloud, 20 ms per request)', figures, notes};
}
