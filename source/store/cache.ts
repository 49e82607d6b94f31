/*
The last inventory read for each cloud and project, kept on disk (keyv + keyv-file) so the TUI can show something useful in
its first frame while the fresh reading is under way. It holds inventory data only: resource metadata as the services listed
it. Before anything is written, fields that could carry a credential or a secret's payload are removed (defence in depth:
the client never puts them in an inventory in the first place).
*/
import {createHash} from 'node:crypto';
import {mkdirSync, readFileSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Keyv from 'keyv';
import {KeyvFile} from 'keyv-file';
import type {Inventory} from '../core/model.js';

export type CachedInventory = {
	inventory: Inventory;
	/**
	ISO time the entry was written.
	*/
	savedAt: string;
};

export type InventoryCache = {
	get(cloud: string, projectId: string): Promise<CachedInventory | undefined>;
	set(cloud: string, projectId: string, inventory: Inventory): Promise<void>;
	clear(): Promise<void>;
	close(): Promise<void>;
};

/**
The directory backstack keeps its files in: `$BACKSTACK_CONFIG_DIR`, or `$XDG_CONFIG_HOME/backstack`, or `~/.config/backstack`.
*/
export function configDirectory(env: Record<string, string | undefined>, home = os.homedir()): string {
	const explicit = env['BACKSTACK_CONFIG_DIR'];
	return explicit !== undefined && explicit !== '' ? explicit : path.join(env['XDG_CONFIG_HOME'] ?? path.join(home, '.config'), 'backstack');
}

/**
Keys of any object in a cached inventory that are dropped before writing, whatever their value.
*/
const forbiddenKeys = /^(?:payload|payload_content_type|password|passphrase|token|auth_token|x[\-_]auth[\-_]token|x[\-_]subject[\-_]token|application_credential_secret|secret)$/iv;

/**
A deep copy of `value` without any field named like a credential or a payload.
*/
export function scrub<T>(value: T): T {
	if (Array.isArray(value)) {
		return value.map(item => scrub(item as unknown)) as T;
	}

	if (value !== null && typeof value === 'object') {
		const copy: Record<string, unknown> = {};
		for (const [key, field] of Object.entries(value as Record<string, unknown>)) {
			if (!forbiddenKeys.test(key)) {
				copy[key] = scrub(field);
			}
		}

		return copy as T;
	}

	return value;
}

function entryKey(cloud: string, projectId: string): string {
	return createHash('sha256').update(`${cloud}\u{0}${projectId}`).digest('hex');
}

/**
A cache file that is not JSON (cut short by a crash, edited by hand) is removed: it is only a cache, and keyv-file would
otherwise print its parse error to the terminal, across the TUI's first frame.
*/
function discardDamaged(file: string): void {
	let text: string;
	try {
		text = readFileSync(file, 'utf8');
	} catch {
		return;
	}

	try {
		JSON.parse(text);
	} catch {
		rmSync(file, {force: true});
	}
}

/**
A cache in `directory`/inventory-cache.json; a directory it has to create is readable by the user only (0700).
*/
export function createInventoryCache(options: {directory: string; clock?: () => Date}): InventoryCache {
	mkdirSync(options.directory, {recursive: true, mode: 0o700});
	const filename = path.join(options.directory, 'inventory-cache.json');
	discardDamaged(filename);
	const store = new KeyvFile({
		filename,
		writeDelay: 50,
	});
	const keyv = new Keyv<CachedInventory>({store, namespace: 'inventory'});
	const clock = options.clock ?? (() => new Date());
	return {
		async get(cloud, projectId) {
			try {
				const entry = await keyv.get(entryKey(cloud, projectId));
				return entry && typeof entry === 'object' && 'inventory' in entry ? entry : undefined;
			} catch {
				// A damaged cache file is as good as none.
				return undefined;
			}
		},
		async set(cloud, projectId, inventory) {
			await keyv.set(entryKey(cloud, projectId), {inventory: scrub(inventory), savedAt: clock().toISOString()});
		},
		async clear() {
			await keyv.clear();
		},
		async close() {
			await keyv.disconnect();
		},
	};
}
