/*
Runs a plugin's command for the TUI (ui/services.ts `PluginRunner`): the argv as it is, never through a shell.

In the foreground the child inherits the terminal; the App has suspended Ink around the call (raw mode off, the alternate
screen left), so `less` or `vim` draw and read keys as if started from the shell. Ctrl+C then reaches the child and, being
in the same process group, backstack too: while the child runs, backstack ignores SIGINT so that only the child stops.
In the background the child gets no terminal input (stdin is /dev/null) and its stdout and stderr are handed on as text.

The foreground child's stdin, stdout and stderr are the terminal opened afresh (/dev/tty), not backstack's own descriptors:
those share their open file with backstack, where libuv keeps the terminal non-blocking, and a child that makes its stdin
blocking (less does) would change it under backstack too, whose next read of a key would then block the whole process.
Without a controlling terminal (tests), the child inherits backstack's descriptors.
*/
import {spawn, type StdioOptions} from 'node:child_process';
import {closeSync, openSync} from 'node:fs';
import process from 'node:process';
import type {PluginRunner} from '../ui/services.js';
import type {PluginExit} from '../ui/plugins.js';

function ignoreInterrupt(): void {
	// The child has the terminal: its Ctrl+C is for it, not for backstack.
}

/**
A descriptor of the controlling terminal of its own, or undefined when there is none.
*/
function openTerminal(): number | undefined {
	try {
		return openSync('/dev/tty', 'r+');
	} catch {
		return undefined;
	}
}

function startError(program: string, error: NodeJS.ErrnoException): string {
	if (error.code === 'ENOENT') {
		return `${program} was not found (is it installed, and on PATH?)`;
	}

	return error.code === 'EACCES' ? `${program} is not executable` : `${program}: ${error.message}`;
}

/**
The runner the TUI is given. `env` is the environment the command runs with (backstack's own, by default).
*/
export function pluginRunner(options: {env?: Record<string, string | undefined>} = {}): PluginRunner {
	return async (argv, run) => new Promise<PluginExit>(resolve => {
		const [program = '', ...parameters] = argv;
		const terminal = run.background ? undefined : openTerminal();
		const foreground: StdioOptions = terminal === undefined ? 'inherit' : [terminal, terminal, terminal];
		const stdio: StdioOptions = run.background ? ['ignore', 'pipe', 'pipe'] : foreground;
		const child = spawn(program, parameters, {stdio, env: options.env ?? process.env, shell: false});
		// The child has its own copy now.
		if (terminal !== undefined) {
			closeSync(terminal);
		}

		if (!run.background) {
			process.on('SIGINT', ignoreInterrupt);
		}

		let isSettled = false;
		const settle = (exit: PluginExit) => {
			if (isSettled) {
				return;
			}

			isSettled = true;
			if (!run.background) {
				process.off('SIGINT', ignoreInterrupt);
			}

			resolve(exit);
		};

		for (const stream of [child.stdout, child.stderr]) {
			stream?.setEncoding('utf8');
			stream?.on('data', (text: string) => {
				run.onOutput?.(text);
			});
		}

		child.on('error', error => {
			settle({code: undefined, error: startError(program, error)});
		});
		child.on('close', (code, signal) => {
			settle(signal === null ? {code: code ?? undefined} : {code: undefined, signal});
		});
	});
}
