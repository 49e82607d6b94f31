/*
Local files a plan creates (a key export, an image download): created new, never over another file, recorded by absolute
path with the device and inode they had at creation, and removed only while the path still names that same file.
*/
import type {BigIntStats} from 'node:fs';
import {lstat, open, unlink} from 'node:fs/promises';
import path from 'node:path';
import {PlanError} from './errors.js';
import type {CreatedResource, FileIdentity} from './types.js';

export function identityOf(stats: BigIntStats): FileIdentity {
	const identity: FileIdentity = {dev: String(stats.dev), ino: String(stats.ino)};
	return stats.birthtimeNs > 0n ? {...identity, birth: String(stats.birthtimeNs)} : identity;
}

export function isSameFile(a: FileIdentity, b: FileIdentity): boolean {
	return a.dev === b.dev && a.ino === b.ino && (a.birth === undefined || b.birth === undefined || a.birth === b.birth);
}

/**
The identity of what `file` names now (the link itself for a symbolic link), or undefined when nothing does.
*/
export async function identityAt(file: string): Promise<FileIdentity | undefined> {
	try {
		return identityOf(await lstat(file, {bigint: true}));
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
			return undefined;
		}

		throw error;
	}
}

/**
Creates `file` (mode 0600; it must not exist, not even as a dangling link), reports it as created the moment it exists,
then writes `data`. When the write fails the half-written file is removed again.
*/
export async function writeNewFile(file: string, data: Uint8Array, onCreated: (identity: FileIdentity) => void): Promise<void> {
	let handle;
	try {
		handle = await open(file, 'wx', 0o600);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
			throw new PlanError(`${file} already exists (it appeared after the checks); it was not overwritten.`);
		}

		throw error;
	}

	let identity: FileIdentity | undefined;
	try {
		identity = identityOf(await handle.stat({bigint: true}));
		onCreated(identity);
		// FileHandle.writeFile writes until every byte is on disk (a plain write may take only part of them).
		await handle.writeFile(data);
	} catch (error) {
		await handle.close();
		if (identity !== undefined && isSameFile(identity, await identityAt(file) ?? {dev: '', ino: ''})) {
			await unlink(file);
		}

		throw error;
	}

	await handle.close();
}

const hexDigits = new TextEncoder().encode('0123456789abcdef');

/**
The lower-case hex form of `bytes` in an array the caller can zero (a string could not be wiped).
*/
export function hexBytes(bytes: Uint8Array): Uint8Array {
	const hex = new Uint8Array(bytes.byteLength * 2);
	for (const [index, byte] of bytes.entries()) {
		hex[index * 2] = hexDigits[Math.floor(byte / 16)]!;
		hex[(index * 2) + 1] = hexDigits[byte % 16]!;
	}

	return hex;
}

/**
Removes a file the plan created. Refuses when the path names another file now (the user replaced it) or when no identity
was recorded (a journal of an older backstack, possibly with a relative path); 'gone' when nothing is there any more.
*/
export async function removeCreatedFile(resource: CreatedResource): Promise<'removed' | 'gone'> {
	const file = resource.id;
	if (!path.isAbsolute(file) || resource.file === undefined) {
		const how = path.isAbsolute(file) ? '' : ', relative to a directory it did not record';
		throw new PlanError(`${file} was recorded without its identity (by an older backstack${how}); it was left in place: check it and delete it yourself.`);
	}

	const now = await identityAt(file);
	if (now === undefined) {
		return 'gone';
	}

	if (!isSameFile(now, resource.file)) {
		throw new PlanError(`${file} is no longer the file backstack created (it was replaced since); it was left in place.`);
	}

	try {
		await unlink(file);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
			return 'gone';
		}

		throw error;
	}

	return 'removed';
}
