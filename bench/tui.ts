/*
The TUI's speed against the embedded demo cloud, in process, rendered the way the real program renders (no debug mode):
- time to the first frame (the loading state) and to the first frame with data (the demo cloud's story seed);
- keystroke-to-frame latency, p50 and p95, scrolling a list of 10,000 volumes.
Targets from the issue: first frame < 300 ms, keystroke p95 < 50 ms.
*/
import {EventEmitter} from 'node:events';
import {mkdtemp, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {performance} from 'node:perf_hooks';
import {stripVTControlCharacters} from 'node:util';
import process from 'node:process';
import type {DemoCloudOptions} from '../source/demo-cloud/index.js';
import type {AppServices} from '../source/ui/services.js';
import type {ViewId} from '../source/ui/views/index.js';
import type {BenchResult} from './types.js';

// A terminal of fixed size that records when each frame was written. Ink reads Node stream APIs, hence EventEmitter.
// eslint-disable-next-line unicorn/prefer-event-target
class Terminal extends EventEmitter {
	// eslint-disable-next-line @typescript-eslint/naming-convention -- Node's name
	isTTY = true;
	columns = 100;
	rows = 30;
	frames: Array<{at: number; text: string}> = [];
	write = (chunk: string) => {
		this.frames.push({at: performance.now(), text: chunk});
		return true;
	};
}

// eslint-disable-next-line unicorn/prefer-event-target
class Keyboard extends EventEmitter {
	private pending: string | undefined;
	// eslint-disable-next-line @typescript-eslint/naming-convention -- Node's name
	isTTY = true;
	press(data: string) {
		this.pending = data;
		this.emit('readable');
	}

	read() {
		const data = this.pending;
		this.pending = undefined;
		return data ?? null;
	}

	setEncoding() {
		// Strings already.
	}

	setRawMode() {
		// No terminal to switch.
	}

	ref() {
		// Keeps nothing alive.
	}

	unref() {
		// Keeps nothing alive.
	}
}

type Session = {
	terminal: Terminal;
	keyboard: Keyboard;
	startedAt: number;
	close(): Promise<void>;
};

/**
React's production build, as users run it; loaded only after NODE_ENV is set.
*/
async function load() {
	process.env['NODE_ENV'] ??= 'production';
	const [react, ink, demoCloud, connection, inventory, assessment, app, analysis] = await Promise.all([
		import('react'),
		import('ink'),
		import('../source/demo-cloud/index.js'),
		import('../source/core/connection.js'),
		import('../source/core/inventory.js'),
		import('../source/core/assessment.js'),
		import('../source/ui/app.js'),
		import('../source/ui/core-analysis.js'),
	]);
	return {
		createElement: react.createElement,
		render: ink.render,
		startDemoCloud: demoCloud.startDemoCloud,
		createConnector: connection.createConnector,
		readInventory: inventory.readInventory,
		defaultPolicy: assessment.defaultPolicy,
		app: app.App,
		analyseWithCore: analysis.analyseWithCore,
	};
}

async function openTui(seed: DemoCloudOptions['seed'], initialView: ViewId): Promise<Session> {
	const {
		createElement, render, startDemoCloud, createConnector, readInventory, defaultPolicy, app, analyseWithCore,
	} = await load();
	const demo = await startDemoCloud({seed});
	const directory = await mkdtemp(path.join(os.tmpdir(), 'backstack-bench-'));
	const file = path.join(directory, 'clouds.yaml');
	await demo.writeCloudsYaml(file);
	const env: Record<string, string | undefined> = Object.fromEntries([['OS_CLIENT_CONFIG_FILE', file]]);
	const connector = createConnector({
		env, cwd: directory, home: directory, demo: true,
	});
	const services: AppServices = {
		connector,
		readInventory,
		analyse: analyseWithCore,
		policy: defaultPolicy,
		refreshSeconds: 30,
		now: () => new Date(),
		copy() {
			// No clipboard in a benchmark.
		},
		env: {},
	};
	const terminal = new Terminal();
	const keyboard = new Keyboard();
	const startedAt = performance.now();
	const instance = render(createElement(app, {
		services, initialView, cloud: 'demo', demoReason: 'benchmark',
	}), {
		stdout: terminal as unknown as NodeJS.WriteStream,
		stdin: keyboard as unknown as NodeJS.ReadStream,
		stderr: new Terminal() as unknown as NodeJS.WriteStream,
		exitOnCtrlC: false,
		patchConsole: false,
	});
	return {
		terminal,
		keyboard,
		startedAt,
		async close() {
			instance.unmount();
			instance.cleanup();
			await demo.close();
			await rm(directory, {recursive: true, force: true});
		},
	};
}

async function until(isDone: () => boolean, timeoutMs: number): Promise<void> {
	const started = performance.now();
	while (!isDone()) {
		if (performance.now() - started > timeoutMs) {
			throw new Error(`timed out after ${timeoutMs} ms`);
		}

		// eslint-disable-next-line no-await-in-loop
		await new Promise(resolve => {
			setTimeout(resolve, 1);
		});
	}
}

function percentile(values: readonly number[], fraction: number): number {
	const sorted = values.toSorted((a, b) => a - b);
	return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? NaN;
}

function hasFrameWith(session: Session, text: string): boolean {
	return session.terminal.frames.some(frame => stripVTControlCharacters(frame.text).includes(text));
}

/**
First frame and first data frame on the story seed.
*/
async function startup(): Promise<{firstFrame: number; firstData: number}> {
	const session = await openTui('story', 'volumes');
	try {
		await until(() => session.terminal.frames.length > 0, 5000);
		const firstFrame = (session.terminal.frames[0]?.at ?? NaN) - session.startedAt;
		// Data has arrived when the protection column shows a verdict.
		await until(() => hasFrameWith(session, 'protected') || hasFrameWith(session, 'unprotected'), 30_000);
		const data = session.terminal.frames.find(frame => /protected|unprotected/v.test(stripVTControlCharacters(frame.text)));
		return {firstFrame, firstData: (data?.at ?? NaN) - session.startedAt};
	} finally {
		await session.close();
	}
}

/**
Down-arrow presses on 10,000 volumes: time from the key to the next frame written.
*/
async function keystrokes(presses: number): Promise<{latencies: number[]; loadMs: number}> {
	const session = await openTui({volumes: 10_000, backupsPerVolume: 1}, 'volumes');
	try {
		await until(() => session.terminal.frames.some(frame => /protected|unprotected|stale/v.test(stripVTControlCharacters(frame.text))), 120_000);
		const loadMs = performance.now() - session.startedAt;
		const latencies: number[] = [];
		for (let index = 0; index < presses; index++) {
			const before = session.terminal.frames.length;
			const pressedAt = performance.now();
			session.keyboard.press(index % 10 === 9 ? '\u{1B}[6~' : '\u{1B}[B');
			// eslint-disable-next-line no-await-in-loop
			await until(() => session.terminal.frames.length > before, 5000);
			latencies.push((session.terminal.frames[before]?.at ?? NaN) - pressedAt);
			// Give Ink's frame throttle (30 fps) room, as a person's typing does.
			// eslint-disable-next-line no-await-in-loop
			await new Promise(resolve => {
				setTimeout(resolve, 40);
			});
		}

		return {latencies, loadMs};
	} finally {
		await session.close();
	}
}

export async function benchTui(): Promise<BenchResult> {
	const {firstFrame, firstData} = await startup();
	const {latencies, loadMs} = await keystrokes(200);
	return {
		title: 'TUI (in process, demo cloud, 100×30)',
		figures: [
			{
				name: 'first frame (loading state)', value: firstFrame, unit: 'ms', target: 300,
			},
			{name: 'first frame with data (story seed)', value: firstData, unit: 'ms'},
			{name: 'first frame with 10,000 volumes assessed', value: loadMs, unit: 'ms'},
			{
				name: 'keystroke → frame p50 (10,000 volumes)', value: percentile(latencies, 0.5), unit: 'ms',
			},
			{
				name: 'keystroke → frame p95 (10,000 volumes)', value: percentile(latencies, 0.95), unit: 'ms', target: 50,
			},
		],
		notes: [
			`${latencies.length} key presses (down arrow, every tenth a page down), 40 ms apart; only the visible rows are rendered`,
			'first frame is measured from render(), not from process start (add ~290 ms for node dist/cli.js to load)',
			`React ${process.env['NODE_ENV'] === 'production' ? 'production' : 'development'} build`,
		],
	};
}
