/*
Preconditions: one object per kind of check, what it says in a preview and how it is evaluated against the cloud
(before anything changes). Typed from `Check`: a kind without both does not compile.
*/
import {
	access,
	constants,
	lstat,
	statfs,
} from 'node:fs/promises';
import path from 'node:path';
import type {CloudSession} from '../../openstack/api.js';
import {displayName, formatBytes} from '../text.js';
import {isMicroversionAtLeast} from './clock.js';
import {doesFileExist} from './operations/files.js';
import {need, readStatus} from './status.js';
import type {Check} from './types.js';

type CheckKind<K extends Check['kind']> = {
	describe(check: Extract<Check, {kind: K}>): string;
	/**
	Undefined when the check passes, else why not.
	*/
	evaluate(check: Extract<Check, {kind: K}>, session: CloudSession, signal?: AbortSignal): Promise<string | undefined>;
};

function statusProblem(what: string, resource: {id: string; name?: string; status: string} | undefined, id: string, allowed: string[]): string | undefined {
	if (!resource) {
		return `${what} ${id} does not exist.`;
	}

	return allowed.includes(resource.status) ? undefined : `${what} ${displayName(resource)} is ${resource.status}, not ${allowed.join(' or ')}.`;
}

async function volumeOrProblem(session: CloudSession, volumeId: string, signal?: AbortSignal) {
	const volume = await need(session.cinder, 'Cinder').findVolume(volumeId, {signal});
	return volume ?? `Volume ${volumeId} does not exist.`;
}

const checkKinds: {[K in Check['kind']]: CheckKind<K>} = {
	'volume-status': {
		describe: check => `volume ${check.volumeId} is ${check.in.join(' or ')}`,
		async evaluate(check, session, signal) {
			const volume = await need(session.cinder, 'Cinder').findVolume(check.volumeId, {signal});
			return statusProblem('Volume', volume, check.volumeId, check.in);
		},
	},
	'volume-min-size': {
		describe: check => `volume ${check.volumeId} is at least ${check.size} GiB`,
		async evaluate(check, session, signal) {
			const volume = await volumeOrProblem(session, check.volumeId, signal);
			if (typeof volume === 'string') {
				return volume;
			}

			return volume.size >= check.size ? undefined : `Volume ${displayName(volume)} has ${volume.size} GiB; the backup needs ${check.size} GiB.`;
		},
	},
	'volume-type-is': {
		describe: check => `volume ${check.volumeId} has type ${check.volumeType}`,
		async evaluate(check, session, signal) {
			const volume = await volumeOrProblem(session, check.volumeId, signal);
			if (typeof volume === 'string') {
				return volume;
			}

			const isMatch = volume.volumeType === check.volumeType || volume.volumeTypeId === check.volumeType;
			return isMatch ? undefined : `Volume ${displayName(volume)} has type ${volume.volumeType ?? 'unknown'}; it must be ${check.volumeType}.`;
		},
	},
	'backup-status': {
		describe: check => `backup ${check.backupId} is ${check.in.join(' or ')}`,
		async evaluate(check, session, signal) {
			const backup = await need(session.cinder, 'Cinder').findBackup(check.backupId, {signal});
			return statusProblem('Backup', backup, check.backupId, check.in);
		},
	},
	'snapshot-status': {
		describe: check => `snapshot ${check.snapshotId} is ${check.in.join(' or ')}`,
		async evaluate(check, session, signal) {
			const status = await readStatus(session, 'snapshot', check.snapshotId, signal);
			return statusProblem('Snapshot', status === undefined ? undefined : {id: check.snapshotId, status}, check.snapshotId, check.in);
		},
	},
	'volume-type-exists': {
		describe: check => `volume type ${check.volumeType} exists`,
		async evaluate(check, session, signal) {
			const types = await need(session.cinder, 'Cinder').listVolumeTypes({signal});
			return types.some(type => type.id === check.volumeType || type.name === check.volumeType)
				? undefined
				: `Volume type ${check.volumeType} does not exist (or is not visible to this project).`;
		},
	},
	'secret-exists': {
		describe: check => `Barbican secret ${check.secretId} exists`,
		async evaluate(check, session, signal) {
			const secret = await need(session.barbican, 'Barbican').findSecret(check.secretId, {signal});
			return secret ? undefined : `Barbican secret ${check.secretId} does not exist: the encrypted data cannot be decrypted.`;
		},
	},
	'image-status': {
		describe: check => `image ${check.imageId} is ${check.in.join(' or ')}`,
		async evaluate(check, session, signal) {
			const image = await need(session.glance, 'Glance').findImage(check.imageId, {signal});
			return statusProblem('Image', image, check.imageId, check.in);
		},
	},
	'server-status': {
		describe: check => `server ${check.serverId} is ${check.in.join(' or ')}`,
		async evaluate(check, session, signal) {
			const server = await need(session.nova, 'Nova').getServer(check.serverId, {signal});
			return statusProblem('Server', server, check.serverId, check.in);
		},
	},
	'available-full-backup': {
		describe: check => `volume ${check.volumeId} has an available full backup`,
		async evaluate(check, session, signal) {
			for await (const backup of need(session.cinder, 'Cinder').listBackups({signal})) {
				if (backup.volumeId === check.volumeId && backup.status === 'available' && !backup.isIncremental) {
					return undefined;
				}
			}

			return `Volume ${check.volumeId} has no available full backup to build an incremental on.`;
		},
	},
	microversion: {
		describe: check => `${check.service} supports microversion ${check.atLeast}`,
		async evaluate(check, session) {
			const api = check.service === 'cinder' ? need(session.cinder, 'Cinder') : need(session.nova, 'Nova');
			return isMicroversionAtLeast(api.microversion.max, check.atLeast)
				? undefined
				: `${check.service} supports microversions up to ${api.microversion.max}; ${check.atLeast} is needed.`;
		},
	},
	'file-readable': {
		describe: check => `${check.path} is readable`,
		async evaluate(check) {
			try {
				await access(check.path, constants.R_OK);
				return undefined;
			} catch {
				return `${check.path} cannot be read.`;
			}
		},
	},
	'file-absent': {
		describe: check => `${check.path} does not exist yet`,
		async evaluate(check) {
			return await doesFileExist(check.path) ? `${check.path} already exists; it will not be overwritten.` : undefined;
		},
	},
	'room-for-file': {
		describe: check => `${path.dirname(check.path)} is writable and has room for ${formatBytes(check.bytes)}`,
		evaluate: async check => roomProblem(check.path, check.bytes),
	},
};

async function existingDirectory(directory: string): Promise<string> {
	let current = directory;
	for (;;) {
		try {
			// eslint-disable-next-line no-await-in-loop
			const stats = await lstat(current);
			return stats.isDirectory() ? current : path.dirname(current);
		} catch (error) {
			const parent = path.dirname(current);
			if (parent === current || (error as NodeJS.ErrnoException).code !== 'ENOENT') {
				return current;
			}

			current = parent;
		}
	}
}

async function roomProblem(file: string, bytes: number): Promise<string | undefined> {
	const directory = path.dirname(path.resolve(file));
	const existing = await existingDirectory(directory);
	try {
		await access(existing, constants.W_OK);
	} catch {
		return `${existing} is not writable by you: choose a directory you can write to (or fix its permissions).`;
	}

	let started = 0;
	try {
		const partial = await lstat(`${file}.part`);
		started = partial.size;
	} catch {}

	const needed = Math.max(0, bytes - started);
	const space = await statfs(existing, {bigint: true});
	const free = space.bavail * space.bsize;
	if (free >= BigInt(needed)) {
		return undefined;
	}

	return `The file system of ${existing} has ${formatBytes(Number(free))} free; ${path.basename(file)} needs ${formatBytes(needed)}`
		+ `${started > 0 ? ` more (an earlier run wrote ${formatBytes(started)})` : ''}: free some space or choose another directory.`;
}

/**
Undefined when the check passes, else why not.
*/
export async function evaluateCheck(check: Check, session: CloudSession, signal?: AbortSignal): Promise<string | undefined> {
	const kind = checkKinds[check.kind] as CheckKind<Check['kind']>;
	return kind.evaluate(check, session, signal);
}

/**
The check in words, for previews and exported scripts ("volume v1 is available").
*/
export function describeCheck(check: Check): string {
	const kind = checkKinds[check.kind] as CheckKind<Check['kind']>;
	return kind.describe(check);
}
