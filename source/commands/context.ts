/*
What a command gets from cli.tsx: the parsed command line and the process's streams, never `process` itself.
*/
import type {Readable, Writable} from 'node:stream';

export type CliFlags = {
	osCloud?: string;
	project?: string;
	demo: boolean;
	readonly: boolean;
	debug: boolean;
	debugFile?: string;
	allProjects: boolean;
	format: 'table' | 'json' | 'csv';
	failOn: 'critical' | 'warning' | 'never';
	yes: boolean;
	confirm?: string;
	dryRun: boolean;
	exportCli: boolean;
	port?: number;
	scale?: string;
	latency?: number;
	/**
	Seconds one API request may take in all, retries included.
	*/
	timeout?: number;
	[key: string]: unknown;
};

export type CommandContext = {
	input: string[];
	flags: CliFlags;
	rawArgv: string[];
	env: Record<string, string | undefined>;
	cwd: string;
	home: string;
	stdout: Writable & {isTTY?: boolean; columns?: number};
	stderr: Writable & {isTTY?: boolean};
	stdin: Readable & {isTTY?: boolean};
	signal: AbortSignal;
	version: string;
	help: string;
};
