/*
The bundle's directory on disk: what is in it (so that a re-run continues its own bundle and never writes into someone
else's directory), and the hashes of its files, streamed (an image of many GiB is never held in memory).
*/
import {createHash, getHashes} from 'node:crypto';
import {createReadStream} from 'node:fs';
import {lstat, readdir, readFile} from 'node:fs/promises';
import path from 'node:path';
import {
	manifestFileName,
	parseManifest,
	type BundleItemDraft,
	type BundleManifest,
	type BundlePendingItem,
} from './manifest.js';

export type DirectoryState =
	| {state: 'absent'}
	/**
	Holds only files this bundle writes (or nothing): a re-run continues it.
	*/
	| {state: 'ours'; entries: string[]}
	/**
	Holds a finished bundle (its manifest) of the same item.
	*/
	| {state: 'complete'; manifest: BundleManifest}
	| {state: 'foreign'; reason: string};

/**
Atomic writes leave `.manifest.json.<pid>.<random>.tmp` behind only when the process died between create and rename.
*/
const atomicLeftover = /^\.manifest\.json\.\d+\.[\da-f]+\.tmp$/v;

/**
What `directory` holds, judged against the names a bundle of this item writes (`ours`) and its item ID.
*/
export async function directoryState(directory: string, ours: readonly string[], itemId: string): Promise<DirectoryState> {
	let stats;
	try {
		stats = await lstat(directory);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
			return {state: 'absent'};
		}

		throw error;
	}

	if (stats.isSymbolicLink() || !stats.isDirectory()) {
		return {state: 'foreign', reason: `${directory} exists and is not a directory${stats.isSymbolicLink() ? ' (a symbolic link)' : ''}.`};
	}

	const entries = await readdir(directory);
	const strangers = entries.filter(entry => !ours.includes(entry) && entry !== manifestFileName && !atomicLeftover.test(entry));
	if (strangers.length > 0) {
		const shown = strangers.slice(0, 3).join(', ') + (strangers.length > 3 ? ` and ${strangers.length - 3} more` : '');
		return {state: 'foreign', reason: `${directory} is not empty and is not a bundle of this item (it holds ${shown}); name a new or empty directory.`};
	}

	if (!entries.includes(manifestFileName)) {
		return {state: 'ours', entries};
	}

	const checked = await parseManifest(await readFile(path.join(directory, manifestFileName), 'utf8'));
	if ('defects' in checked) {
		return {state: 'foreign', reason: `${directory} holds a manifest.json that is not a sound bundle manifest (${checked.defects[0]!}); name a new or empty directory.`};
	}

	const {manifest} = checked;
	return manifest.items.some(item => item.id === itemId)
		? {state: 'complete', manifest}
		: {state: 'foreign', reason: `${directory} holds a bundle of another item (${manifest.items.map(item => `${item.kind} ${item.id}`).join(', ')}); name a new or empty directory.`};
}

export type FileHashes = {size: number; sha256: string; [algorithm: string]: string | number};

/**
The size and the hashes of a file in one pass; `also` are further algorithms (md5, Glance's os_hash_algo) Node knows.
Refuses what is not a regular file (a link planted in the bundle is never followed).
*/
export async function hashFile(file: string, also: readonly string[] = [], signal?: AbortSignal): Promise<FileHashes> {
	const stats = await lstat(file);
	if (!stats.isFile()) {
		throw new Error(`${file} is not a regular file.`);
	}

	const known = new Set(getHashes());
	const algorithms = ['sha256', ...new Set(also.map(name => name.toLowerCase()).filter(name => name !== 'sha256' && known.has(name)))];
	const hashes = algorithms.map(algorithm => createHash(algorithm));
	let size = 0;
	for await (const chunk of createReadStream(file, {signal}) as AsyncIterable<Uint8Array>) {
		size += chunk.byteLength;
		for (const hash of hashes) {
			hash.update(chunk);
		}
	}

	const result: FileHashes = {size, sha256: ''};
	for (const [index, algorithm] of algorithms.entries()) {
		result[algorithm] = hashes[index]!.digest('hex');
	}

	return result;
}

/**
What an earlier bundle.recordImage wrote of an item: its draft as the manifest needs it, or undefined when the file is
missing or is not that item's record (then the item is bundled again).
*/
export async function readRecord(directory: string, item: BundlePendingItem): Promise<BundleItemDraft | undefined> {
	let text;
	try {
		text = await readFile(path.join(directory, item.record.file), 'utf8');
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
			return undefined;
		}

		throw error;
	}

	let draft: unknown;
	try {
		draft = JSON.parse(text);
	} catch {
		return undefined;
	}

	const value = draft as Partial<BundleItemDraft> | undefined;
	return value?.kind === item.kind && value.id === item.id && value.data?.file === item.data.file && value.glance !== undefined ? value as BundleItemDraft : undefined;
}
