/*
Where the clouds come from: the user's clouds.yaml / OS_* (as the openstack CLI reads them), or the embedded demo cloud when
--demo is given or, for the interactive view only, when no cloud is configured at all.
*/
import {mkdtemp, rm} from 'node:fs/promises';
import {createWriteStream} from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import {createConnector, type Connector} from '../core/connection.js';
import type {DebugSink} from '../openstack/index.js';
import {loadSettings} from '../store/settings.js';
import type {CommandContext} from './context.js';

export type Environment = {
	connector: Connector;
	/**
	Why the demo cloud is in use, for the screen; undefined for a real cloud.
	*/
	demoReason?: string;
	cloudName?: string;
	close(): Promise<void>;
};

const nothing = () => undefined;

function debugSinkFor(context: CommandContext): {sink?: DebugSink; close(): void} {
	if (context.flags.debugFile !== undefined && context.flags.debugFile !== '') {
		const stream = createWriteStream(context.flags.debugFile, {flags: 'a', mode: 0o600});
		return {
			sink(line) {
				stream.write(`${line}\n`);
			},
			close() {
				stream.end();
			},
		};
	}

	if (!context.flags.debug) {
		return {close: nothing};
	}

	return {
		sink(line) {
			context.stderr.write(`${line}\n`);
		},
		close: nothing,
	};
}

/**
Without OS_* auth variables and without any clouds.yaml, there is nothing to connect to.
*/
async function isNothingConfigured(connector: Connector, env: Record<string, string | undefined>): Promise<boolean> {
	const isSet = (name: string) => (env[name] ?? '') !== '';
	if (isSet('OS_AUTH_URL') || isSet('OS_CLOUD')) {
		return false;
	}

	const clouds = await connector.listClouds().catch(() => []);
	return clouds.length === 0;
}

/**
What one API request may take in all: `--timeout` seconds, else the `requestTimeoutSeconds` setting.
*/
function requestBudgetMs(context: CommandContext): number {
	const {timeout} = context.flags;
	// Checked by runCommand: a number of seconds above 0.
	const seconds = timeout ?? loadSettings({env: context.env, home: context.home}).settings.requestTimeoutSeconds;
	return seconds * 1000;
}

export async function openEnvironment(context: CommandContext, options: {demoWhenUnconfigured: boolean}): Promise<Environment> {
	const debug = debugSinkFor(context);
	const totalTimeoutMs = requestBudgetMs(context);
	const real = createConnector({
		env: context.env, cwd: context.cwd, home: context.home, debug: debug.sink, totalTimeoutMs,
	});
	let demoReason: string | undefined;
	if (context.flags.demo) {
		demoReason = 'demo cloud (--demo): simulated data, nothing here is a real cloud';
	} else if (options.demoWhenUnconfigured && await isNothingConfigured(real, context.env)) {
		demoReason = 'demo cloud: no clouds.yaml or OS_* variables found, so this is simulated data';
	}

	if (demoReason === undefined) {
		return {
			connector: real, cloudName: context.flags.osCloud, async close() {
				debug.close();
			},
		};
	}

	const {startDemoCloud} = await import('../demo-cloud/index.js');
	const demo = await startDemoCloud({seed: 'story'});
	const directory = await mkdtemp(path.join(os.tmpdir(), 'backstack-demo-'));
	const file = path.join(directory, 'clouds.yaml');
	await demo.writeCloudsYaml(file);
	const env: Record<string, string | undefined> = {};
	for (const [key, value] of Object.entries(context.env)) {
		if (!key.startsWith('OS_')) {
			env[key] = value;
		}
	}

	env['OS_CLIENT_CONFIG_FILE'] = file;
	env['OS_CLOUD'] = context.flags.osCloud ?? 'demo';
	const connector = createConnector({
		env, cwd: directory, home: directory, debug: debug.sink, demo: true, totalTimeoutMs,
	});
	return {
		connector,
		demoReason,
		cloudName: context.flags.osCloud ?? 'demo',
		async close() {
			debug.close();
			await demo.close();
			await rm(directory, {recursive: true, force: true});
		},
	};
}
