/*
Drives the real program in a detached tmux session: keys in, the pane's text out. Uses the build (dist/cli.js) when it is up to
date, else runs the source through tsx. Used by the end-to-end tests and by the media script.
*/
import {execFile as execFileCallback, execFileSync} from 'node:child_process';
import {existsSync, readdirSync, statSync} from 'node:fs';
import {mkdtemp, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';

async function execFile(file: string, args: string[]): Promise<{stdout: string}> {
	return new Promise((resolve, reject) => {
		execFileCallback(file, args, {encoding: 'utf8'}, (error, stdout) => {
			if (error) {
				reject(new Error(`${file} ${args[0] ?? ''} failed: ${error.message}`, {cause: error}));
			} else {
				resolve({stdout});
			}
		});
	});
}

const root = path.resolve(import.meta.dirname, '../..');

export function hasTmux(): boolean {
	try {
		const version = execFileSync('tmux', ['-V'], {encoding: 'utf8'});
		return version.startsWith('tmux');
	} catch {
		return false;
	}
}

function newestSource(directory: string): number {
	let newest = 0;
	for (const entry of readdirSync(directory, {withFileTypes: true})) {
		const full = path.join(directory, entry.name);
		newest = Math.max(newest, entry.isDirectory() ? newestSource(full) : statSync(full).mtimeMs);
	}

	return newest;
}

/**
The command line that starts backstack: the build when it is newer than every source file, else the source through tsx.
*/
export function backstackCommand(): string[] {
	const built = path.join(root, 'dist/cli.js');
	const isFresh = existsSync(built) && statSync(built).mtimeMs >= newestSource(path.join(root, 'source'));
	return isFresh
		? [process.execPath, built]
		: [process.execPath, '--import', 'tsx', path.join(root, 'source/cli.tsx')];
}

function shellQuote(value: string): string {
	return `'${value.replaceAll('\'', String.raw`'\''`)}'`;
}

export type Pane = {
	press(...keys: string[]): Promise<void>;
	/**
	Types text literally.
	*/
	type(text: string): Promise<void>;
	capture(): Promise<string>;
	/**
	The pane with its colours and attributes, as SGR escape sequences (`capture-pane -e`).
	*/
	captureAnsi(): Promise<string>;
	waitFor(predicate: string | RegExp | ((screen: string) => boolean), timeoutMs?: number): Promise<string>;
	close(): Promise<void>;
};

/**
Starts backstack in a detached tmux session of the given size; `env -u CI` because Ink draws nothing under CI.
*/
export async function startPane(options: {name: string; args: string[]; columns: number; rows: number; env?: Record<string, string>}): Promise<Pane> {
	const configDirectory = await mkdtemp(path.join(os.tmpdir(), 'backstack-e2e-'));
	const environment = Object.entries({...Object.fromEntries([['BACKSTACK_CONFIG_DIR', configDirectory]]), ...options.env}).map(([key, value]) => `${key}=${shellQuote(value)}`);
	const command = [...backstackCommand(), ...options.args].map(part => shellQuote(part)).join(' ');
	const shell = `cd ${shellQuote(root)} && env -u CI ${environment.join(' ')} ${command}; echo "EXITED rc=$?"; sleep 600`;
	await execFile('tmux', ['kill-session', '-t', options.name]).catch(() => undefined);
	await execFile('tmux', ['new-session', '-d', '-s', options.name, '-x', String(options.columns), '-y', String(options.rows), shell]);
	const capture = async () => {
		const {stdout} = await execFile('tmux', ['capture-pane', '-p', '-t', options.name]);
		return stdout;
	};

	const captureAnsi = async () => {
		const {stdout} = await execFile('tmux', ['capture-pane', '-p', '-e', '-t', options.name]);
		return stdout;
	};

	const pane: Pane = {
		captureAnsi,
		async press(...keys) {
			for (const key of keys) {
				// One key at a time, as a person types (and Ink holds a lone Escape 20 ms to see whether a sequence follows).
				// eslint-disable-next-line no-await-in-loop
				await execFile('tmux', ['send-keys', '-t', options.name, key]);
				// eslint-disable-next-line no-await-in-loop
				await new Promise(resolve => {
					setTimeout(resolve, key === 'Escape' ? 80 : 30);
				});
			}
		},
		async type(text) {
			await execFile('tmux', ['send-keys', '-t', options.name, '-l', text]);
			await new Promise(resolve => {
				setTimeout(resolve, 50);
			});
		},
		capture,
		async waitFor(predicate, timeoutMs = 30_000) {
			let isMatch: (screen: string) => boolean;
			if (typeof predicate === 'string') {
				isMatch = screen => screen.includes(predicate);
			} else if (predicate instanceof RegExp) {
				isMatch = screen => predicate.test(screen);
			} else {
				isMatch = predicate;
			}

			const started = Date.now();
			let screen = await capture();
			while (!isMatch(screen)) {
				if (Date.now() - started > timeoutMs) {
					throw new Error(`timed out waiting for ${String(predicate)}; screen:\n${screen}`);
				}

				// eslint-disable-next-line no-await-in-loop
				await new Promise(resolve => {
					setTimeout(resolve, 50);
				});
				// eslint-disable-next-line no-await-in-loop
				screen = await capture();
			}

			return screen;
		},
		async close() {
			await execFile('tmux', ['kill-session', '-t', options.name]).catch(() => undefined);
			await rm(configDirectory, {recursive: true, force: true});
		},
	};
	return pane;
}

/**
The `/` filter, kept: types the text, waits until the screen shows it (so that Enter arrives as a key of its own, not in the
same read as the text), then Enter, and waits for the filter to be kept.
*/
export async function filterRows(pane: Pane, text: string): Promise<string> {
	await pane.press('/');
	await pane.type(text);
	await pane.waitFor(`/${text}█`);
	await pane.press('Enter');
	return pane.waitFor(screen => / \d+\/\d+ rows/v.test(screen) && !screen.includes(`/${text}█`));
}
