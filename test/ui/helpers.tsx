/*
Drives the App like a terminal would: a fake stdout of a chosen size, key presses on stdin, frames out (ANSI stripped).
The cloud behind it is a hand-built inventory served by a small in-memory session; core's real readInventory/assess run on
the demo cloud in the end-to-end test.
*/
import {EventEmitter} from 'node:events';
import {stripVTControlCharacters} from 'node:util';
import type {ReactElement} from 'react';
import {render} from 'ink';
import type {Inventory, Policy} from '../../source/core/model.js';
import type {
	CloudSession,
	Project,
	Volume,
	Backup,
	Secret,
	ServiceStatus,
} from '../../source/core/types.js';
import type {AppServices} from '../../source/ui/services.js';
import type {Analysis} from '../../source/ui/analysis.js';
import {analyseWithCore} from '../../source/ui/core-analysis.js';

// Ink reads Node stream APIs (on/off/emit, isTTY, columns), so these fakes are EventEmitters, not EventTargets.
// eslint-disable-next-line unicorn/prefer-event-target
class FakeStdout extends EventEmitter {
	frames: string[] = [];
	// eslint-disable-next-line @typescript-eslint/naming-convention -- Node's name
	isTTY = true;
	columns: number;
	rows: number;
	// The callback, as a real stream calls it once the data is out: Ink waits on it (its render flush, its resume after
	// handing the terminal to a plugin).
	write = (frame: string, callback?: (error?: Error) => void) => {
		this.frames.push(frame);
		callback?.();
		return true;
	};

	constructor(columns: number, rows: number) {
		super();
		this.columns = columns;
		this.rows = rows;
	}
}

// eslint-disable-next-line unicorn/prefer-event-target
class FakeStdin extends EventEmitter {
	private data: string | undefined = undefined;
	// eslint-disable-next-line @typescript-eslint/naming-convention -- Node's name
	isTTY = true;
	write(data: string) {
		this.data = data;
		this.emit('readable');
		this.emit('data', data);
	}

	read() {
		const {data} = this;
		this.data = undefined;
		return data ?? null;
	}

	setEncoding() {
		// Strings already.
	}

	setRawMode() {
		// No terminal to switch.
	}

	resume() {
		// Always flowing.
	}

	pause() {
		// Always flowing.
	}

	ref() {
		// Keeps nothing alive.
	}

	unref() {
		// Keeps nothing alive.
	}
}

export const keys = {
	down: '\u{1B}[B',
	up: '\u{1B}[A',
	right: '\u{1B}[C',
	left: '\u{1B}[D',
	enter: '\r',
	escape: '\u{1B}',
	pageDown: '\u{1B}[6~',
	end: '\u{1B}[F',
	tab: '\t',
};

export type Driven = {
	frame(): string;
	/**
	Raw frames, with colours.
	*/
	rawFrame(): string;
	press(...inputs: string[]): Promise<void>;
	waitFor(predicate: string | ((frame: string) => boolean), timeoutMs?: number): Promise<string>;
	resize(columns: number, rows: number): Promise<void>;
	unmount(): void;
	stdout: FakeStdout;
};

// Ink holds a lone ESC for 20 ms to see whether a sequence follows.
const sleep = async (milliseconds: number) => new Promise(resolve => {
	setTimeout(resolve, milliseconds);
});

const tick = async () => new Promise(resolve => {
	setImmediate(resolve);
});

export function drive(tree: ReactElement, size?: {columns: number; rows: number}): Driven {
	const initial = size ?? {columns: 100, rows: 30};
	const stdout = new FakeStdout(initial.columns, initial.rows);
	const stdin = new FakeStdin();
	const stderr = new FakeStdout(initial.columns, initial.rows);
	const instance = render(tree, {
		stdout: stdout as unknown as NodeJS.WriteStream,
		stdin: stdin as unknown as NodeJS.ReadStream,
		stderr: stderr as unknown as NodeJS.WriteStream,
		debug: true,
		exitOnCtrlC: false,
		patchConsole: false,
	});
	const rawFrame = () => stdout.frames.at(-1) ?? '';
	const frame = () => stripVTControlCharacters(rawFrame());
	return {
		frame,
		rawFrame,
		stdout,
		async press(...inputs) {
			for (const input of inputs) {
				// Keys go one at a time, each after the previous one's frame, as a person types.
				// eslint-disable-next-line no-await-in-loop
				await tick();
				stdin.write(input);
				// eslint-disable-next-line no-await-in-loop
				await (input === keys.escape ? sleep(40) : tick());
				// Several characters in one write are handled one per render (source/ui/sequential-input.ts): give each its turn.
				for (let turn = 1; turn < [...input].length; turn++) {
					// eslint-disable-next-line no-await-in-loop
					await tick();
				}
			}

			await tick();
		},
		async waitFor(predicate, timeoutMs = 30_000) { // Generous: on a loaded 2-CPU machine a flow took over 10 s
			const test = typeof predicate === 'string' ? (text: string) => text.includes(predicate) : predicate;
			const started = Date.now();
			while (!test(frame())) {
				if (Date.now() - started > timeoutMs) {
					throw new Error(`timed out waiting; last frame:\n${frame()}`);
				}

				// eslint-disable-next-line no-await-in-loop
				await new Promise(resolve => {
					setTimeout(resolve, 5);
				});
			}

			return frame();
		},
		async resize(columns, rows) {
			stdout.columns = columns;
			stdout.rows = rows;
			stdout.emit('resize');
			await tick();
		},
		unmount() {
			instance.unmount();
			instance.cleanup();
		},
	};
}

export const now = new Date('2026-11-20T12:00:00Z');
const hoursAgo = (hours: number) => new Date(now.getTime() - (hours * 3_600_000)).toISOString();

export function volume(id: string, name: string, extra: Partial<Volume> = {}): Volume {
	return {
		id, name, status: 'available', size: 10, volumeType: '__DEFAULT__', encrypted: false, bootable: false,
		attachments: [], metadata: {}, createdAt: hoursAgo(24 * 30), raw: {id, name, status: 'available'}, ...extra,
	};
}

export function backup(id: string, volumeId: string, hours: number, extra: Partial<Backup> = {}): Backup {
	return {
		id, name: `backup-${id}`, status: 'available', size: 10, volumeId, isIncremental: false, hasDependentBackups: false,
		metadata: {}, createdAt: hoursAgo(hours), raw: {id}, ...extra,
	};
}

export function secret(id: string): Secret {
	return {
		id, status: 'ACTIVE', secretType: 'symmetric', algorithm: 'aes', bitLength: 256, createdAt: hoursAgo(24 * 40), raw: {id},
	};
}

export const projects: Project[] = [
	{id: 'p-web', name: 'web-shop', enabled: true},
	{id: 'p-data', name: 'data-lake', enabled: true},
];

export function inventory(project: Project, parts: Partial<Inventory> = {}): Inventory {
	return {
		cloud: 'testcloud',
		region: 'RegionOne',
		project,
		readAt: now.toISOString(),
		sources: {
			identity: {state: 'ok'}, cinder: {state: 'ok'}, glance: {state: 'ok'}, nova: {state: 'ok'}, barbican: {state: 'ok'},
		},
		volumes: [],
		backups: [],
		snapshots: [],
		servers: [],
		images: [],
		secrets: [],
		volumeTypes: [],
		...parts,
	};
}

/**
The story most tests use: one protected, one stale, one unprotected volume, and a hostile name.
*/
export function storyInventories(): Record<string, Inventory> {
	const web = projects[0]!;
	const data = projects[1]!;
	return {
		[web.id]: inventory(web, {
			volumes: [
				volume('v-db', 'db-data'),
				volume('v-logs', 'logs'),
				volume('v-scratch', 'scratch'),
				volume('v-evil', 'evil\u{1B}]52;c;aGFja2Vk\u{7}\u{1B}[2Jname\nsecond-line'),
			],
			backups: [
				backup('b-db', 'v-db', 2),
				backup('b-logs', 'v-logs', 24 * 10),
			],
		}),
		[data.id]: inventory(data, {
			volumes: [volume('v-lake', 'lake-volume')],
		}),
	};
}

const ok: ServiceStatus = {state: 'ok', endpoint: 'http://127.0.0.1/volume/v3', microversion: {min: '3.0', max: '3.70'}};

/**
A session over fixed inventories, one per project; records what it was asked.
*/
export function fixedSession(inventories: Record<string, Inventory>, projectId: string, calls: string[] = []): CloudSession {
	const project = projects.find(candidate => candidate.id === projectId)!;
	return {
		cloudName: 'testcloud',
		region: 'RegionOne',
		identity: {
			token: () => ({
				userId: 'u-1', userName: 'alice', projectId: project.id, projectName: project.name, roles: ['member'],
				expiresAt: hoursAgo(-1), issuedAt: hoursAgo(0),
			}),
			catalog: () => [],
			async listProjects() {
				calls.push('listProjects');
				return projects;
			},
		},
		services: () => ({
			identity: ok, cinder: ok, glance: ok, nova: {...ok, microversion: {min: '2.1', max: '2.96'}}, barbican: ok,
		}),
		async switchProject(id) {
			calls.push(`switchProject ${id}`);
			return fixedSession(inventories, id, calls);
		},
		close() {
			calls.push(`close ${project.id}`);
		},
	};
}

export type TestServices = AppServices & {calls: string[]; copied: string[]};

export const testPolicy: Policy = {rpoHours: 24, severities: {}};

export function testServices(options: {inventories?: Record<string, Inventory>; env?: Record<string, string | undefined>; analyse?: (inventory: Inventory) => Analysis} = {}): TestServices {
	const inventories = options.inventories ?? storyInventories();
	const calls: string[] = [];
	const copied: string[] = [];
	return {
		calls,
		copied,
		connector: {
			demo: false,
			async listClouds() {
				return [{name: 'testcloud', source: '/home/alice/.config/openstack/clouds.yaml'}, {name: 'othercloud', source: '/home/alice/.config/openstack/clouds.yaml'}];
			},
			async connect(cloud) {
				calls.push(`connect ${cloud ?? '(default)'}`);
				return fixedSession(inventories, projects[0]!.id, calls);
			},
		},
		async readInventory(session) {
			const id = session.identity.token().projectId;
			calls.push(`readInventory ${id}`);
			return inventories[id]!;
		},
		analyse: options.analyse ? (read => options.analyse!(read)) : analyseWithCore,
		policy: testPolicy,
		refreshSeconds: 30,
		now: () => now,
		copy(text) {
			copied.push(text);
		},
		env: options.env ?? {},
	};
}
