/*
A keyv store that keeps every entry in one JSON file, rewritten whole and atomically (temporary file 0600 + fsync +
rename, see core/atomic-file.ts) on each change: a crash leaves the previous file, never half of one, and the file is
readable by its owner only. Small by design: the inventory cache holds one entry per cloud and project.
*/
import {
	chmodSync,
	readFileSync,
	rmSync,
	statSync,
} from 'node:fs';
import {writeFileAtomicSync} from '../core/atomic-file.js';

type FileContent = {
	version: 1;
	entries: Record<string, unknown>;
};

function isFileContent(value: unknown): value is FileContent {
	if (value === null || typeof value !== 'object') {
		return false;
	}

	const {version, entries} = value as Partial<FileContent>;
	return version === 1 && entries !== null && typeof entries === 'object' && !Array.isArray(entries);
}

/**
The entries in `file`; a file that is not one this store wrote (cut short, edited by hand, an older format) is removed:
it is only a cache, and an older one may have been left readable by others.
*/
function load(file: string): Map<string, unknown> {
	let text: string;
	try {
		text = readFileSync(file, 'utf8');
	} catch {
		return new Map();
	}

	let content: unknown;
	try {
		content = JSON.parse(text);
	} catch {}

	if (!isFileContent(content)) {
		rmSync(file, {force: true});
		return new Map();
	}

	// eslint-disable-next-line no-bitwise
	if ((statSync(file).mode & 0o077) !== 0) {
		chmodSync(file, 0o600);
	}

	return new Map(Object.entries(content.entries));
}

export class JsonFileStore {
	readonly #file: string;
	readonly #entries: Map<string, unknown>;

	constructor(file: string) {
		this.#file = file;
		this.#entries = load(file);
	}

	#save(): void {
		const content: FileContent = {version: 1, entries: Object.fromEntries(this.#entries)};
		writeFileAtomicSync(this.#file, JSON.stringify(content) + '\n');
	}

	async get(key: string): Promise<unknown> {
		return this.#entries.get(key);
	}

	async set(key: string, value: unknown): Promise<boolean> {
		this.#entries.set(key, value);
		this.#save();
		return true;
	}

	async delete(key: string): Promise<boolean> {
		const wasThere = this.#entries.delete(key);
		if (wasThere) {
			this.#save();
		}

		return wasThere;
	}

	async clear(): Promise<void> {
		this.#entries.clear();
		this.#save();
	}
}
