/*
Writing a DR bundle where it cannot be written (issue 13's bad input), with the built program as a user runs it: a
directory the user may not write to, a file system too small for the image (a 32 KiB tmpfs, which needs root to mount),
and a file size limit reached in the middle of the download (`ulimit -f`: backstack ignores SIGXFSZ, so the write fails
with EFBIG instead of the process being killed). Each is a clear error that says what to do; nothing half-written is left without being named.
*/
import {execFile} from 'node:child_process';
import {
	chown,
	mkdir,
	mkdtemp,
	readdir,
	rm,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import test from 'ava';

const root = path.resolve(import.meta.dirname, '../..');
const cli = path.join(root, 'dist/cli.js');
const image = 'Debian 12 (bookworm)';
const isRoot = process.getuid?.() === 0;

type Result = {code: number; output: string};

async function home(t: {teardown(fn: () => Promise<void>): void}): Promise<string> {
	const directory = await mkdtemp(path.join(os.tmpdir(), 'backstack-bundle-disk-'));
	t.teardown(async () => rm(directory, {recursive: true, force: true}));
	return directory;
}

async function run(command: string, args: string[], options: {home: string; uid?: number}): Promise<Result> {
	const env = Object.fromEntries([['PATH', process.env['PATH'] ?? ''], ['HOME', options.home], ['BACKSTACK_CONFIG_DIR', path.join(options.home, 'config')]]);
	return new Promise(resolve => {
		execFile(command, args, {
			cwd: options.home, env, timeout: 60_000, ...(options.uid !== undefined && {uid: options.uid, gid: options.uid}),
		}, (error, stdout, stderr) => {
			const code = error === null ? 0 : (typeof error.code === 'number' ? error.code : -1);
			resolve({code, output: `${stdout}${stderr}`});
		});
	});
}

async function bundle(directory: string, options: {home: string; uid?: number; prefix?: string}): Promise<Result> {
	if (options.prefix === undefined) {
		return run(process.execPath, [cli, '--demo', 'backup', 'bundle', 'image', image, directory, '--yes'], options);
	}

	const quoted = [process.execPath, cli, '--demo', 'backup', 'bundle', 'image', image, directory, '--yes'].map(word => `'${word}'`).join(' ');
	return run('bash', ['-c', `${options.prefix}; exec ${quoted}`], options);
}

test('a directory the user may not write to is refused before anything is written, saying what to do', async t => {
	const base = await home(t);
	const locked = path.join(base, 'locked');
	await mkdir(locked, {mode: 0o555});
	if (isRoot) {
		await chown(base, 65_534, 65_534);
		await chown(locked, 65_534, 65_534);
	}

	// Root writes anywhere; the check is what a user meets, so the program runs as nobody (65534) when the test is root.
	const result = await bundle(path.join(locked, 'bundle'), isRoot ? {home: base, uid: 65_534} : {home: base});
	t.not(result.code, 0, result.output);
	t.regex(result.output, /is not writable by you: choose a directory you can write to/v);
	t.regex(result.output, /Nothing was changed/v);
	t.deepEqual(await readdir(locked), []);
});

(isRoot ? test : test.skip)('a file system with less room than the image is refused up front, with what is free and what is needed', async t => {
	const base = await home(t);
	const small = path.join(base, 'small');
	await mkdir(small);
	const mounted = await run('mount', ['-t', 'tmpfs', '-o', 'size=32k', 'tmpfs', small], {home: base});
	t.is(mounted.code, 0, `mounting a small tmpfs: ${mounted.output}`);
	t.teardown(async () => {
		await run('umount', [small], {home: base});
	});
	const result = await bundle(path.join(small, 'bundle'), {home: base});
	t.not(result.code, 0, result.output);
	t.regex(result.output, /The file system of .*small has 32\.0 KiB free; image-.*\.qcow2 needs 64\.0 KiB: free some space or choose another directory/v);
	t.deepEqual(await readdir(small), [], 'nothing was written');
});

test('a file size limit reached mid-download stops with what happened, keeps the whole of what was written in the .part and names it', async t => {
	const base = await home(t);
	const directory = path.join(base, 'bundle');
	const limited = await bundle(directory, {home: base, prefix: 'ulimit -f 32'});
	t.not(limited.code, 0, limited.output);
	// All 32 KiB the limit allows are in the .part and counted (a short write is written again, not dropped).
	t.regex(limited.output, /stopped after 32768 of 65536 bytes: the file size limit is reached \(EFBIG\)\./v);
	t.regex(limited.output, /Raise the limit \(ulimit -f\) or choose a file system that allows the size, then run the same command again/v);
	t.regex(limited.output, /Left in place \(remove with: backstack journal cleanup image-bundle-[\w\-]+\): file .*\.qcow2\.part/v);
	const files = await readdir(directory);
	t.is(files.length, 1);
	t.regex(files[0] ?? '', /\.qcow2\.part$/v);

	// The demo cloud lives in the process, so the next run sees a new cloud with another image ID: the .part of the
	// first is not its own, and the directory is refused as not a bundle of this image.
	const again = await bundle(directory, {home: base});
	t.not(again.code, 0);
	t.regex(again.output, /is not empty and is not a bundle of this item/v);
});
