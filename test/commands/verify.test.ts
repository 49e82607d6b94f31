/*
`backstack backup bundle` and `backstack verify bundle` as a user runs them: the built program (`npm run build` first),
an empty home, the demo cloud for the bundle and no cloud at all for the verify.
*/
import {execFile} from 'node:child_process';
import {
	mkdtemp,
	readdir,
	readFile,
	rm,
	writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import test, {type ExecutionContext} from 'ava';

const root = path.resolve(import.meta.dirname, '../..');
const cli = path.join(root, 'dist/cli.js');

type Result = {code: number; stdout: string; stderr: string};

async function home(t: ExecutionContext): Promise<string> {
	const directory = await mkdtemp(path.join(os.tmpdir(), 'backstack-verify-'));
	t.teardown(async () => {
		await rm(directory, {recursive: true, force: true});
	});
	return directory;
}

async function backstack(cwd: string, ...args: string[]): Promise<Result> {
	// Nothing of the caller's environment but PATH: no OS_* variable, no clouds.yaml, no settings.
	const env = Object.fromEntries([['PATH', process.env['PATH'] ?? ''], ['HOME', cwd], ['BACKSTACK_CONFIG_DIR', path.join(cwd, 'config')]]);
	return new Promise(resolve => {
		execFile(process.execPath, [cli, ...args], {cwd, env, timeout: 60_000}, (error, stdout, stderr) => {
			const code = error === null ? 0 : (typeof error.code === 'number' ? error.code : -1);
			resolve({code, stdout, stderr});
		});
	});
}

test('a demo image bundled by the CLI verifies sound (exit 0); a flipped byte is one DEFECT line and exit 1', async t => {
	const cwd = await home(t);
	const bundled = await backstack(cwd, '--demo', 'backup', 'bundle', 'image', 'Debian 12 (bookworm)', 'dr', '--yes');
	t.is(bundled.code, 0, `${bundled.stderr}${bundled.stdout}`);
	t.regex(bundled.stdout, /Done\. manifest .*dr\/manifest\.json/v);

	const sound = await backstack(cwd, 'verify', 'bundle', 'dr');
	t.is(sound.code, 0, sound.stdout);
	t.regex(sound.stdout, /^Sound: .*\/dr$/mv);

	const names = await readdir(path.join(cwd, 'dr'));
	const dataFile = names.find(name => name.startsWith('image-'));
	const file = path.join(cwd, 'dr', dataFile!);
	const bytes = await readFile(file);
	bytes[0] = (bytes[0]! + 1) % 256;
	await writeFile(file, bytes);
	const damaged = await backstack(cwd, 'verify', 'bundle', 'dr');
	t.is(damaged.code, 1);
	const defects = damaged.stdout.split('\n').filter(line => line.startsWith('DEFECT: '));
	t.true(defects.length > 0 && defects.every(line => line.includes(dataFile!)), damaged.stdout);
	t.regex(damaged.stdout, /NOT sound/v);
});

test('verify without a directory, with two, or of something else is a usage error (64); a directory that is no bundle is a defect', async t => {
	const cwd = await home(t);
	for (const args of [['verify'], ['verify', 'bundle'], ['verify', 'bundle', 'a', 'b'], ['verify', 'image', 'x']]) {
		// eslint-disable-next-line no-await-in-loop
		const result = await backstack(cwd, ...args);
		t.is(result.code, 64, `${args.join(' ')}: ${result.stderr}`);
		t.regex(result.stderr, /Usage: backstack verify bundle <directory>/v);
	}

	const empty = await backstack(cwd, 'verify', 'bundle', '.');
	t.is(empty.code, 1);
	t.regex(empty.stdout, /^DEFECT: .* has no manifest\.json: not a bundle\.$/mv);
	const typo = await backstack(cwd, 'verify', 'bundle', '.', '--yes');
	t.is(typo.code, 64, 'verify takes no plan flags');
});

test('backup bundle image, volume and server refuse a non-empty directory that is not a bundle; another kind is refused', async t => {
	const cwd = await home(t);
	await writeFile(path.join(cwd, 'notes.txt'), 'mine');
	const foreign = await backstack(cwd, '--demo', 'backup', 'bundle', 'image', 'Debian 12 (bookworm)', '.', '--yes');
	t.is(foreign.code, 3, foreign.stderr);
	t.regex(foreign.stderr, /is not empty and is not a bundle of this item \(it holds .*notes\.txt/v);
	t.is(await readFile(path.join(cwd, 'notes.txt'), 'utf8'), 'mine');

	const other = await backstack(cwd, '--demo', 'backup', 'bundle', 'disk', 'x', 'dr');
	t.is(other.code, 2, other.stderr);
	t.regex(other.stderr, /An image, a volume or a server can be bundled \(not "disk"\)/v);

	const server = await backstack(cwd, '--demo', 'backup', 'bundle', 'server', 'shop-web-01', '.', '--yes');
	t.is(server.code, 3, server.stderr);
	t.regex(server.stderr, /is not empty and is not a bundle of this item \(it holds .*notes\.txt/v);

	const volume = await backstack(cwd, '--demo', 'backup', 'bundle', 'volume', 'shop-redis-aof', '.', '--yes');
	t.is(volume.code, 3, volume.stderr);
	t.regex(volume.stderr, /is not empty and is not a bundle of this item \(it holds .*notes\.txt/v);
});
