/*
`backstack verify bundle DIR`: is this bundle sound, with no cloud at all? The manifest against its schema (and a newer
schema version named as such); every file it names there, a regular file of the size it says; each data file's SHA-256,
and Glance's own checksums (md5, os_hash_value) from the same read, so that a manifest edited to match damaged data is
caught too; each key file readable by its owner only and of the key's size; and, with cryptsetup, that the key really
opens the data's LUKS header. Without cryptsetup the key is reported as not checked, and why.
*/
import {lstatSync, readdirSync} from 'node:fs';
import {lstat, readdir, readFile} from 'node:fs/promises';
import path from 'node:path';
import {hexBytes} from '../plans/files.js';
import {hashFile} from './files.js';
import {checkLuksKey} from './luks.js';
import {
	filesOf,
	hasData,
	manifestFileName,
	parseManifest,
	type BundleDataItem,
	type BundleItem,
} from './manifest.js';

export type VerifyOptions = {
	/**
	The cryptsetup binary, or undefined when there is none (the key is then not checked).
	*/
	cryptsetup: string | undefined;
	signal?: AbortSignal;
};

export type VerifyReport = {
	/**
	One sentence each; empty when the bundle is sound.
	*/
	defects: string[];
	/**
	What was checked, and what could not be (no cryptsetup).
	*/
	notes: string[];
};

async function kindOf(file: string): Promise<'missing' | 'file' | 'other'> {
	try {
		const stats = await lstat(file);
		return stats.isFile() ? 'file' : 'other';
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
			return 'missing';
		}

		throw error;
	}
}

function itemName(item: BundleItem): string {
	return `${item.kind} ${item.name === '' ? item.id : `${item.name} (${item.id})`}`;
}

async function isDataSoundIn(directory: string, item: BundleDataItem, report: VerifyReport, signal?: AbortSignal): Promise<boolean> {
	const file = path.join(directory, item.data.file);
	const kind = await kindOf(file);
	if (kind !== 'file') {
		report.defects.push(`${item.data.file} (${itemName(item)}) ${kind === 'missing' ? 'is missing' : 'is not a regular file'}.`);
		return false;
	}

	const {glance} = item;
	const hashes = await hashFile(file, ['md5', ...(glance.hashAlgo === undefined ? [] : [glance.hashAlgo])], signal);
	if (hashes.size !== item.data.size) {
		report.defects.push(`${item.data.file} has ${hashes.size} bytes; the manifest says ${item.data.size}.`);
		return false;
	}

	const before = report.defects.length;
	if (hashes.sha256 !== item.data.sha256) {
		report.defects.push(`${item.data.file} does not match its SHA-256 in the manifest: the data is damaged.`);
	}

	if (glance.checksum !== undefined && hashes['md5'] !== glance.checksum) {
		report.defects.push(`${item.data.file} does not match Glance's md5 checksum recorded in the manifest.`);
	}

	const algorithm = glance.hashAlgo?.toLowerCase();
	const own = algorithm === undefined ? undefined : hashes[algorithm];
	if (own !== undefined && glance.hashValue !== undefined && own !== glance.hashValue) {
		report.defects.push(`${item.data.file} does not match Glance's ${glance.hashAlgo!} hash recorded in the manifest.`);
	}

	const checked = ['SHA-256', ...(glance.checksum === undefined ? [] : ['md5']), ...(own === undefined || glance.hashValue === undefined ? [] : [glance.hashAlgo!])];
	if (report.defects.length === before) {
		report.notes.push(`${item.data.file}: ${hashes.size} bytes, ${checked.join(', ')} match.`);
	}

	return report.defects.length === before;
}

async function checkKey(directory: string, item: BundleDataItem & {isDataSound: boolean}, report: VerifyReport, options: VerifyOptions): Promise<void> {
	const {encryption} = item;
	if (encryption === undefined) {
		return;
	}

	const keyFile = path.join(directory, encryption.keyFile);
	const kind = await kindOf(keyFile);
	if (kind !== 'file') {
		report.defects.push(`${encryption.keyFile} (the key of ${itemName(item)}) ${kind === 'missing' ? 'is missing: the data cannot be decrypted' : 'is not a regular file'}.`);
		return;
	}

	const stats = await lstat(keyFile);
	// Permission bits as a number below 0o1000: group and others are the last two octal digits.
	const permissions = stats.mode % 0o1000;
	if (permissions % 0o100 !== 0) {
		report.defects.push(`${encryption.keyFile} holds a plaintext key and is open to others (mode ${permissions.toString(8)}); make it 0600: chmod 600 ${keyFile}`);
	}

	if (stats.size !== encryption.keySize) {
		report.defects.push(`${encryption.keyFile} has ${stats.size} bytes; the manifest says the key has ${encryption.keySize}.`);
		return;
	}

	const {bitLength} = encryption.secret;
	if (bitLength !== undefined && bitLength !== encryption.keySize * 8) {
		report.defects.push(`${encryption.keyFile} has ${encryption.keySize * 8} bits; the secret was ${bitLength} bits.`);
		return;
	}

	if (options.cryptsetup === undefined) {
		report.notes.push(`${encryption.keyFile}: NOT checked against the data: cryptsetup is not installed (Debian: apt install cryptsetup-bin); only its size was checked.`);
		return;
	}

	if (!item.isDataSound) {
		report.notes.push(`${encryption.keyFile}: not tried, the data file is already damaged or missing.`);
		return;
	}

	const key = await readFile(keyFile);
	const passphrase = hexBytes(key);
	key.fill(0);
	let result;
	try {
		result = await checkLuksKey(options.cryptsetup, path.join(directory, item.data.file), passphrase, options.signal);
	} finally {
		passphrase.fill(0);
	}

	switch (result.result) {
		case 'opens': {
			report.notes.push(`${encryption.keyFile}: opens a key slot of ${item.data.file}'s LUKS header (cryptsetup luksOpen --test-passphrase, hexlified key as Cinder uses it).`);
			break;
		}

		case 'wrong-key': {
			report.defects.push(`${encryption.keyFile} does not open the LUKS header of ${item.data.file}: it is not this data's key.`);
			break;
		}

		case 'not-luks': {
			report.defects.push(`${item.data.file} has no LUKS header, although the manifest says it holds an encrypted volume.`);
			break;
		}

		case 'unchecked': {
			report.notes.push(`${encryption.keyFile}: NOT checked against the data: ${result.reason}`);
			break;
		}
	}
}

/**
Why `directory` is not a bundle at all, in a sentence (missing, not a directory, unreadable, no manifest: an unfinished
bundle is named as such), or undefined when it has a manifest to check. Synchronous and cheap: the TUI asks it while
the directory is being typed in.
*/
export function bundleDirectoryProblem(directory: string): string | undefined {
	try {
		if (!lstatSync(directory).isDirectory()) {
			return `${directory} is not a directory.`;
		}

		const entries = readdirSync(directory);
		if (entries.includes(manifestFileName)) {
			return undefined;
		}

		const isPartial = entries.some(entry => entry.endsWith('.part'));
		return `${directory} has no ${manifestFileName}: ${isPartial ? 'an unfinished bundle (run the same backup bundle command again to finish it)' : 'not a bundle'}.`;
	} catch (error) {
		const {code} = error as NodeJS.ErrnoException;
		return code === 'ENOENT' ? `${directory} does not exist.` : `${directory} cannot be read (${code ?? String(error)}).`;
	}
}

/**
Checks the bundle in `directory`; the report's defects are empty exactly when it is sound.
*/
export async function verifyBundle(directory: string, options: VerifyOptions): Promise<VerifyReport> {
	const report: VerifyReport = {defects: [], notes: []};
	const problem = bundleDirectoryProblem(directory);
	if (problem !== undefined) {
		return {defects: [problem], notes: []};
	}

	const text = await readFile(path.join(directory, manifestFileName), 'utf8');
	const checked = await parseManifest(text);
	if ('defects' in checked) {
		return {defects: checked.defects, notes: []};
	}

	const {manifest} = checked;
	for (const item of manifest.items) {
		if (!hasData(item)) {
			report.notes.push(`${itemName(item)}: no data file (it boots from a volume; its disk is that volume's item).`);
			continue;
		}

		// eslint-disable-next-line no-await-in-loop
		const isDataSound = await isDataSoundIn(directory, item, report, options.signal);
		// eslint-disable-next-line no-await-in-loop
		await checkKey(directory, {...item, isDataSound}, report, options);
	}

	const named = new Set([manifestFileName, ...manifest.items.flatMap(item => filesOf(item))]);
	const entries = await readdir(directory);
	const extra = entries.filter(entry => !named.has(entry));
	if (extra.length > 0) {
		report.notes.push(`Not part of the bundle (left alone): ${extra.join(', ')}.`);
	}

	return report;
}
