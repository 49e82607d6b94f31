/*
The last inventory read for each cloud and project, kept on disk (keyv + an own one-file store, json-file-store.ts: 0600,
written atomically) so the TUI can show something useful in its first frame while the fresh reading is under way. It holds inventory data only: resource metadata as the services listed
it. Before anything is written, fields that could carry a credential or a secret's payload are removed (defence in depth:
the client never puts them in an inventory in the first place).
*/
import {createHash} from 'node:crypto';
import {chmodSync, mkdirSync, statSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import Keyv from 'keyv';
import type {Inventory} from '../core/model.js';
import {JsonFileStore} from './json-file-store.js';

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
Makes `directory` readable by the user only: created 0700 (with any parents it needs) when missing; when it exists with
group or other bits (as `conf` used to create it: 0755) and belongs to this user, tightened to 0700 without a word (the
wide mode was backstack's own doing, and a message would cross the TUI's first frame and scripted output). A directory
of another user or a shared one (sticky bit, like /tmp) is left alone: the files in it are 0600 regardless.
*/
export function ensurePrivateDirectory(directory: string, options?: {create: boolean}): void {
	if (options?.create ?? true) {
		mkdirSync(directory, {recursive: true, mode: 0o700});
	}

	const stats = statSync(directory, {throwIfNoEntry: false});
	const ownUser = process.getuid?.();
	/* eslint-disable no-bitwise -- mode bits */
	if (stats?.isDirectory() && (stats.mode & 0o077) !== 0 && (stats.mode & 0o1000) === 0 && (ownUser === undefined || stats.uid === ownUser)) {
		chmodSync(directory, stats.mode & 0o700);
	}
	/* eslint-enable no-bitwise */
}

/**
Words that make a field a credential or a payload, wherever they stand in its name: `password`, `db_password`, `adminPass`,
`X-Auth-Token`, `application_credential_secret`. Names are split at separators and camelCase humps and compared word by
word, so `secretRef` or `passthrough` are not words of this list.
*/
const credentialWords = new Set(['password', 'passwd', 'pwd', 'pass', 'passphrase', 'secret', 'token', 'payload', 'credential', 'credentials', 'apikey', 'privatekey']);

/**
A last word that makes the field a reference to, or a property of, a credential rather than the credential itself:
`secret_ref`, `secretType`, `token_expires_at`, `payload_content_type`.
*/
const describingWords = new Set(['ref', 'refs', 'href', 'id', 'ids', 'type', 'types', 'at', 'expires', 'lookups', 'count', 'algorithm', 'mode']);

function wordsOf(key: string): string[] {
	return key
		.replaceAll(/(?<=[\d\p{Lowercase_Letter}])(?=\p{Uppercase_Letter})/gv, ' ')
		.toLowerCase()
		.split(/[^\d\p{Letter}]+/v)
		.filter(word => word !== '');
}

/**
Whether a field of that name is dropped from a cached inventory, whatever its value: credentials and payloads, and Nova's
`user_data` (`OS-EXT-SRV-ATTR:user_data`, shown to admins), which carries cloud-init's passwords and keys.
*/
export function isForbiddenKey(key: string): boolean {
	const words = wordsOf(key);
	const isUserData = words.some((word, index) => word === 'userdata' || (word === 'user' && words[index + 1] === 'data'));
	const last = words.at(-1) ?? '';
	const isDescription = words.length > 1 && describingWords.has(last);
	return isUserData || (!isDescription && words.some(word => credentialWords.has(word)));
}

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
			if (!isForbiddenKey(key)) {
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
A cache in `directory`/inventory-cache.json (0600); the directory is made private first (see ensurePrivateDirectory).
*/
export function createInventoryCache(options: {directory: string; clock?: () => Date}): InventoryCache {
	ensurePrivateDirectory(options.directory);
	const store = new JsonFileStore(path.join(options.directory, 'inventory-cache.json'));
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
