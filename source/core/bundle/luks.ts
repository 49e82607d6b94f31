/*
Does a bundle's key open its data's LUKS header? Asked of Debian's `cryptsetup` (package cryptsetup-bin), the way Cinder's
os-brick opens an encrypted volume: the passphrase is the lower-case hex of the key's bytes (Python's binascii.hexlify,
the SCS user data backup guide's appendix), fed on standard input (`--key-file=-`), so it is never in an argument list
another user could read. `--test-passphrase` only unlocks a key slot in memory: nothing is mapped, no root needed for a
file, and the data file is only read.
*/
import {spawn} from 'node:child_process';
import {constants} from 'node:fs';
import {access} from 'node:fs/promises';
import path from 'node:path';

export type LuksResult =
	| {result: 'opens'}
	| {result: 'wrong-key'}
	| {result: 'not-luks'}
	| {result: 'unchecked'; reason: string};

/**
`cryptsetup` on PATH, else in the sbin directories Debian installs it to (often not on a user's PATH), else undefined.
*/
export async function findCryptsetup(pathVariable: string | undefined): Promise<string | undefined> {
	const directories = [...(pathVariable ?? '').split(path.delimiter).filter(Boolean), '/usr/sbin', '/sbin'];
	for (const directory of directories) {
		const candidate = path.join(directory, 'cryptsetup');
		try {
			// eslint-disable-next-line no-await-in-loop
			await access(candidate, constants.X_OK);
			return candidate;
		} catch {
			// Not here.
		}
	}

	return undefined;
}

type Run = {code: number | undefined; stderr: string; error?: Error};

async function run(command: string, args: string[], input: Uint8Array | undefined, signal?: AbortSignal): Promise<Run> {
	return new Promise(resolve => {
		const child = spawn(command, args, {
			// eslint-disable-next-line @typescript-eslint/naming-convention -- the environment's own names.
			stdio: ['pipe', 'ignore', 'pipe'], signal, env: {PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C'},
		});
		let stderr = '';
		child.stderr.setEncoding('utf8');
		child.stderr.on('data', (chunk: string) => {
			stderr += chunk;
		});
		child.on('error', error => {
			resolve({code: undefined, stderr, error});
		});
		child.on('close', code => {
			resolve({code: code ?? undefined, stderr});
		});
		child.stdin.on('error', () => {
			// An early exit of cryptsetup (not a LUKS file) closes the pipe: its exit code tells, not this error.
		});
		child.stdin.end(input);
	});
}

/**
Whether `passphrase` unlocks a key slot of the LUKS header at the start of `dataFile`.
*/
export async function checkLuksKey(cryptsetup: string, dataFile: string, passphrase: Uint8Array, signal?: AbortSignal): Promise<LuksResult> {
	const header = await run(cryptsetup, ['isLuks', dataFile], undefined, signal);
	if (header.error !== undefined) {
		return {result: 'unchecked', reason: `${cryptsetup} could not be run: ${header.error.message}`};
	}

	if (header.code === 1) {
		return {result: 'not-luks'};
	}

	if (header.code !== 0) {
		return {result: 'unchecked', reason: `cryptsetup isLuks ended with ${header.code ?? 'a signal'}: ${header.stderr.trim()}`};
	}

	const open = await run(cryptsetup, ['luksOpen', '--test-passphrase', '--key-file=-', dataFile], passphrase, signal);
	if (open.code === 0) {
		return {result: 'opens'};
	}

	// 2: "No key available with this passphrase" (cryptsetup's exit code for a wrong passphrase).
	const why = open.stderr.trim() === '' ? open.error?.message ?? '' : open.stderr.trim();
	return open.code === 2 ? {result: 'wrong-key'} : {result: 'unchecked', reason: `cryptsetup luksOpen --test-passphrase ended with ${open.code ?? 'a signal'}: ${why}`};
}
