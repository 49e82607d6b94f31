/*
Local files the operations write (downloads, exported keys) and their removal: a file is deleted only while its path
still names the file backstack created (device, inode, birth time; see ../files.ts).
*/
import {
	link,
	rename,
	stat,
	unlink,
} from 'node:fs/promises';
import {PlanError} from '../errors.js';
import {removeCreatedFile} from '../files.js';
import type {Remover} from './types.js';

export async function doesFileExist(path: string): Promise<boolean> {
	try {
		await stat(path);
		return true;
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
			return false;
		}

		throw error;
	}
}

/**
Moves `from` to `to`, never over a file that appeared at `to` meanwhile.
*/
export async function moveWithoutReplacing(from: string, to: string): Promise<void> {
	try {
		// A hard link fails with EEXIST where rename would replace.
		await link(from, to);
	} catch (error) {
		const {code} = error as NodeJS.ErrnoException;
		if (code === 'EEXIST') {
			throw new PlanError(`${to} appeared during the download; it was not overwritten (the download stays in ${from}).`);
		}

		if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') {
			throw error;
		}

		// A file system without hard links: rename, after checking once more.
		if (await doesFileExist(to)) {
			throw new PlanError(`${to} appeared during the download; it was not overwritten (the download stays in ${from}).`);
		}

		await rename(from, to);
		return;
	}

	await unlink(from);
}

export const fileRemovers: {file: Remover} = {
	file: async (_session, resource) => await removeCreatedFile(resource) === 'gone' ? 'gone' : undefined,
};
