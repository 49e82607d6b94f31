/*
The App on the embedded demo cloud (story seed, statuses sped up): the real connector, core's inventory and analysis, a
journal in a temporary directory, and a plan clock whose waits are short. The tests read the result back through a
session of their own.
*/
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {setTimeout as delay} from 'node:timers/promises';
import {startDemoCloud, type DemoCloud, type DemoCloudOptions} from '../../source/demo-cloud/index.js';
import {createConnector} from '../../source/core/connection.js';
import {readInventory} from '../../source/core/inventory.js';
import type {CloudSession} from '../../source/core/types.js';
import type {Clock} from '../../source/core/plans/types.js';
import type {AppServices} from '../../source/ui/services.js';
import {analyseWithCore} from '../../source/ui/core-analysis.js';
import {keys, type Driven} from './helpers.js';

type Teardown = {teardown(fn: () => unknown): void};

export type DemoForUi = {
	cloud: DemoCloud;
	services: AppServices;
	/**
	A session of the test's own, to arrange and to read back.
	*/
	session: CloudSession;
	directory: string;
	journal: string;
};

/**
Real time for `now`; sleeps 20 times shorter (a 1 s poll takes 50 ms).
*/
const quickClock: Clock = {
	now: () => Date.now(),
	async sleep(ms, signal) {
		await delay(Math.max(1, Math.round(ms / 20)), undefined, {signal});
	},
};

export async function demoForUi(t: Teardown, options: DemoCloudOptions = {}): Promise<DemoForUi> {
	const cloud = await startDemoCloud({seed: 'story', timeScale: 0.02, ...options});
	const directory = await mkdtemp(path.join(tmpdir(), 'backstack-ui-'));
	const file = path.join(directory, 'clouds.yaml');
	await cloud.writeCloudsYaml(file);
	const connector = createConnector({
		env: Object.fromEntries([['OS_CLIENT_CONFIG_FILE', file], ['OS_CLOUD', 'demo']]), cwd: directory, home: directory, demo: true,
	});
	const session = await connector.connect('demo');
	const journal = path.join(directory, 'journal');
	const services: AppServices = {
		connector,
		readInventory,
		analyse: analyseWithCore,
		policy: {rpoHours: 24, severities: {}},
		refreshSeconds: 30,
		now: () => new Date(),
		copy() {
			// No clipboard here.
		},
		env: Object.fromEntries([['NO_COLOR', '1']]),
		journal,
		planClock: quickClock,
		version: '9.9.9-test',
	};
	t.teardown(async () => {
		session.close();
		await cloud.close();
		await rm(directory, {
			recursive: true, force: true, maxRetries: 10, retryDelay: 50,
		});
	});
	return {
		cloud, services, session, directory, journal,
	};
}

/**
Selects the one row whose text matches `name` in the current view (the `/` filter, kept).
*/
export async function select(app: Driven, name: string): Promise<void> {
	await app.press('/', name, keys.enter);
	await app.waitFor(frame => /\b1\/\d+ rows/v.test(frame));
}

/**
Ctrl+U: clears the form field being edited.
*/
export const clearField = '\u{15}';
export const ctrlC = '\u{3}';
