/*
`backstack demo-cloud`: run the demo cloud until the signal aborts, with a clouds.yaml any OpenStack client can use.
The clouds.yaml goes into a directory of its own; a file there that the demo cloud did not write is never replaced.
*/
import {mkdir, readFile, writeFile} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {parseScaleSpec} from './scale.js';
import type {DemoCloud, ScaleSpec} from './types.js';

export type StandaloneOptions = {
	port?: number;
	/**
	A ScaleSpec, or its text form (`large`, `volumes=1000,images=200`); without it the story seed.
	*/
	scale?: string | ScaleSpec;
	seed?: 'story' | 'empty';
	latencyMs?: number;
	timeScale?: number;
	/**
	Where clouds.yaml goes; default `<home>/.config/backstack/demo-cloud`.
	*/
	directory?: string;
	home?: string;
	env?: Record<string, string | undefined>;
	/**
	Serve until this aborts, then close; without it the cloud stays up and the caller closes it.
	*/
	signal?: AbortSignal;
	write?: (text: string) => void;
};

export type StandaloneResult = {
	cloud: DemoCloud;
	cloudsYamlPath: string;
	/**
	`OS_CLIENT_CONFIG_FILE=…` and `OS_CLOUD=demo`, ready for `export`.
	*/
	envLines: string[];
};

const marker = '# Written by backstack\'s demo cloud';

/**
Writes the file unless a file not written by the demo cloud is already there.
*/
export async function writeOwnCloudsYaml(file: string, text: string): Promise<void> {
	let existing: string | undefined;
	try {
		existing = await readFile(file, 'utf8');
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
			throw error;
		}
	}

	if (existing !== undefined && !existing.startsWith(marker)) {
		throw new Error(`${file} exists and was not written by the demo cloud; not replacing it. Pick another directory.`);
	}

	await writeFile(file, text, {mode: 0o600});
}

export async function serveStandalone(
	options: StandaloneOptions,
	start: (options: {port?: number; seed?: 'story' | 'empty' | ScaleSpec; latencyMs?: number; timeScale?: number}) => Promise<DemoCloud>,
): Promise<StandaloneResult> {
	const scale = typeof options.scale === 'string' ? parseScaleSpec(options.scale) : options.scale;
	const home = options.home ?? options.env?.['HOME'] ?? os.homedir();
	const directory = options.directory ?? path.join(home, '.config', 'backstack', 'demo-cloud');
	await mkdir(directory, {recursive: true, mode: 0o700});
	const cloud = await start({
		port: options.port, seed: scale ?? options.seed ?? 'story', latencyMs: options.latencyMs, timeScale: options.timeScale,
	});
	const cloudsYamlPath = path.join(directory, 'clouds.yaml');
	try {
		await writeOwnCloudsYaml(cloudsYamlPath, cloud.cloudsYaml());
	} catch (error) {
		await cloud.close();
		throw error;
	}

	const envLines = [`OS_CLIENT_CONFIG_FILE=${cloudsYamlPath}`, 'OS_CLOUD=demo'];
	const write = options.write ?? (() => undefined);
	write(`Demo cloud listening on ${cloud.url} (Keystone: ${cloud.authUrl}).\n`);
	write(`Clouds: demo, demo-admin, demo-member, demo-reader, demo-appcred (password: see ${cloudsYamlPath}).\n`);
	write('Point any OpenStack client at it:\n');
	for (const line of envLines) {
		write(`  export ${line}\n`);
	}

	const {signal} = options;
	if (signal) {
		await new Promise<void>(resolve => {
			if (signal.aborted) {
				resolve();
				return;
			}

			signal.addEventListener('abort', () => {
				resolve();
			}, {once: true});
		});
		await cloud.close();
		write('Demo cloud stopped.\n');
	}

	return {cloud, cloudsYamlPath, envLines};
}
