/*
The executor: runs a plan against a CloudSession and reports what happens as events.

Order of business: validate the plan, refuse a destructive plan without its confirmation text, run every step's
checks (nothing has changed yet), then the steps (one after the other, or a bounded number at a time), waiting for
each resource to reach a done status and stopping at once on a failure status. Whatever happens, temporary resources
are removed at the end; resources a failed or cancelled plan leaves behind are offered for cleanup.
*/
import {randomUUID} from 'node:crypto';
import {createReadStream} from 'node:fs';
import {
	access,
	constants,
	link,
	lstat,
	open,
	rename,
	stat,
	unlink,
} from 'node:fs/promises';
import process from 'node:process';
import type {CloudSession} from '../../openstack/api.js';
import {ChecksumMismatchError} from '../../openstack/index.js';
import {backoff, isMicroversionAtLeast, systemClock} from './clock.js';
import {isEncryptedBackup} from './encryption.js';
import {httpStatusOf, PlanError} from './errors.js';
import {describeAction, describeCheck, isConfirmed} from './describe.js';
import {
	hexBytes,
	identityOf,
	removeCreatedFile,
	writeNewFile,
} from './files.js';
import {
	intentKey,
	intentOf,
	isOutcomeUnknown,
	markedName,
} from './intents.js';
import {JournalWriter, type JournalRecord} from './journal.js';
import {
	collectRefs,
	isRef,
	resolveAll,
	resolveRef,
	validatePlan,
	type Outputs,
} from './refs.js';
import type {
	Action,
	Check,
	Clock,
	CreatedResource,
	FileIdentity,
	Plan,
	PlanEvent,
	Step,
	StepState,
	Value,
	Wait,
	WaitResource,
} from './types.js';

export {httpStatusOf, PlanError} from './errors.js';

export type RunOptions = {
	signal?: AbortSignal;
	clock?: Clock;
	/**
	Directory of the journal; without it nothing is written to disk.
	*/
	journal?: string;
	/**
	What the user typed for a destructive plan (see `confirmationFor`).
	*/
	confirmation?: string;
	/**
	Continue a journalled run (see `resumePlan`).
	*/
	resume?: JournalRecord;
	/**
	How long cleanup may wait for a temporary resource to settle.
	*/
	cleanupTimeoutMs?: number;
};

class CancelledError extends Error {
	constructor() {
		super('Cancelled.');
		this.name = 'CancelledError';
	}
}

/**
A queue the executor pushes to and the consumer iterates.
*/
class EventQueue<T> {
	readonly #items: T[] = [];
	#wake: (() => void) | undefined;
	#closed = false;

	push(item: T): void {
		this.#items.push(item);
		this.#wake?.();
	}

	close(): void {
		this.#closed = true;
		this.#wake?.();
	}

	async * drain(): AsyncGenerator<T> {
		for (;;) {
			const item = this.#items.shift();
			if (item !== undefined) {
				yield item;
				continue;
			}

			if (this.#closed) {
				return;
			}

			// eslint-disable-next-line no-await-in-loop
			await new Promise<void>(resolve => {
				this.#wake = resolve;
			});
			this.#wake = undefined;
		}
	}
}

function shown(resource: {id: string; name?: string}): string {
	return resource.name === undefined || resource.name === '' ? resource.id : resource.name;
}

function messageOf(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}

function need<T>(service: T | undefined, name: string): T {
	if (service === undefined) {
		throw new PlanError(`This cloud has no ${name} endpoint in its catalog.`);
	}

	return service;
}

/**
Current status of a resource, or undefined once it is gone.
*/
async function readStatus(session: CloudSession, resource: WaitResource | 'backup', id: string, signal?: AbortSignal): Promise<string | undefined> {
	switch (resource) {
		case 'volume': {
			const volume = await need(session.cinder, 'Cinder').findVolume(id, {signal});
			return volume?.status;
		}

		case 'backup': {
			const backup = await need(session.cinder, 'Cinder').findBackup(id, {signal});
			return backup?.status;
		}

		case 'snapshot': {
			try {
				const snapshot = await need(session.cinder, 'Cinder').getSnapshot(id, {signal});
				return snapshot.status;
			} catch (error) {
				if (httpStatusOf(error) === 404) {
					return undefined;
				}

				throw error;
			}
		}

		case 'image': {
			const image = await need(session.glance, 'Glance').findImage(id, {signal});
			return image?.status;
		}
	}
}

async function doesFileExist(path: string): Promise<boolean> {
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

type Checker<K extends Check['kind']> = (check: Extract<Check, {kind: K}>, session: CloudSession, signal?: AbortSignal) => Promise<string | undefined>;

function statusProblem(what: string, resource: {id: string; name?: string; status: string} | undefined, id: string, allowed: string[]): string | undefined {
	if (!resource) {
		return `${what} ${id} does not exist.`;
	}

	return allowed.includes(resource.status) ? undefined : `${what} ${shown(resource)} is ${resource.status}, not ${allowed.join(' or ')}.`;
}

async function volumeOrProblem(session: CloudSession, volumeId: string, signal?: AbortSignal) {
	const volume = await need(session.cinder, 'Cinder').findVolume(volumeId, {signal});
	return volume ?? `Volume ${volumeId} does not exist.`;
}

const checkers: {[K in Check['kind']]: Checker<K>} = {
	async 'volume-status'(check, session, signal) {
		const volume = await need(session.cinder, 'Cinder').findVolume(check.volumeId, {signal});
		return statusProblem('Volume', volume, check.volumeId, check.in);
	},
	async 'volume-min-size'(check, session, signal) {
		const volume = await volumeOrProblem(session, check.volumeId, signal);
		if (typeof volume === 'string') {
			return volume;
		}

		return volume.size >= check.size ? undefined : `Volume ${shown(volume)} has ${volume.size} GiB; the backup needs ${check.size} GiB.`;
	},
	async 'volume-type-is'(check, session, signal) {
		const volume = await volumeOrProblem(session, check.volumeId, signal);
		if (typeof volume === 'string') {
			return volume;
		}

		const isMatch = volume.volumeType === check.volumeType || volume.volumeTypeId === check.volumeType;
		return isMatch ? undefined : `Volume ${shown(volume)} has type ${volume.volumeType ?? 'unknown'}; it must be ${check.volumeType}.`;
	},
	async 'backup-status'(check, session, signal) {
		const backup = await need(session.cinder, 'Cinder').findBackup(check.backupId, {signal});
		return statusProblem('Backup', backup, check.backupId, check.in);
	},
	async 'snapshot-status'(check, session, signal) {
		const status = await readStatus(session, 'snapshot', check.snapshotId, signal);
		return statusProblem('Snapshot', status === undefined ? undefined : {id: check.snapshotId, status}, check.snapshotId, check.in);
	},
	async 'volume-type-exists'(check, session, signal) {
		const types = await need(session.cinder, 'Cinder').listVolumeTypes({signal});
		return types.some(type => type.id === check.volumeType || type.name === check.volumeType)
			? undefined
			: `Volume type ${check.volumeType} does not exist (or is not visible to this project).`;
	},
	async 'secret-exists'(check, session, signal) {
		const secret = await need(session.barbican, 'Barbican').findSecret(check.secretId, {signal});
		return secret ? undefined : `Barbican secret ${check.secretId} does not exist: the encrypted data cannot be decrypted.`;
	},
	async 'image-status'(check, session, signal) {
		const image = await need(session.glance, 'Glance').findImage(check.imageId, {signal});
		return statusProblem('Image', image, check.imageId, check.in);
	},
	async 'server-status'(check, session, signal) {
		const server = await need(session.nova, 'Nova').getServer(check.serverId, {signal});
		return statusProblem('Server', server, check.serverId, check.in);
	},
	async 'available-full-backup'(check, session, signal) {
		for await (const backup of need(session.cinder, 'Cinder').listBackups({signal})) {
			if (backup.volumeId === check.volumeId && backup.status === 'available' && !backup.isIncremental) {
				return undefined;
			}
		}

		return `Volume ${check.volumeId} has no available full backup to build an incremental on.`;
	},
	async microversion(check, session) {
		const api = check.service === 'cinder' ? need(session.cinder, 'Cinder') : need(session.nova, 'Nova');
		return isMicroversionAtLeast(api.microversion.max, check.atLeast)
			? undefined
			: `${check.service} supports microversions up to ${api.microversion.max}; ${check.atLeast} is needed.`;
	},
	async 'file-readable'(check) {
		try {
			await access(check.path, constants.R_OK);
			return undefined;
		} catch {
			return `${check.path} cannot be read.`;
		}
	},
	async 'file-absent'(check) {
		return await doesFileExist(check.path) ? `${check.path} already exists; it will not be overwritten.` : undefined;
	},
};

/**
Undefined when the check passes, else why not.
*/
export async function evaluateCheck(check: Check, session: CloudSession, signal?: AbortSignal): Promise<string | undefined> {
	const checker = checkers[check.kind] as Checker<Check['kind']>;
	return checker(check, session, signal);
}

type StepContext = {
	step: Step;
	session: CloudSession;
	outputs: Outputs;
	signal: AbortSignal;
	clock: Clock;
	emit: (event: PlanEvent) => void;
	/**
	Called as soon as the call was accepted (before any wait).
	*/
	accepted: (outputs: Record<string, string | number>) => void;
	/**
	Called the moment a local file was created (absolute path), or moved (`movedFrom`: the path it was recorded under).
	*/
	createdFile: (file: string, identity: FileIdentity, movedFrom?: string) => void;
	/**
	The step's mark (intents.ts), journalled before the call: the call stamps it on what it creates.
	*/
	intent?: string;
};

/**
`metadata` with the step's mark added (unchanged without one).
*/
function marked(metadata: Record<string, string> | undefined, intent: string | undefined): Record<string, string> | undefined {
	return intent === undefined ? metadata : {...metadata, [intentKey]: intent};
}

/**
`name` with the step's mark in it (unchanged without one), for the calls that take no metadata (intents.ts).
*/
function withMark(name: string, intent: string | undefined): string;
function withMark(name: string | undefined, intent: string | undefined): string | undefined;
function withMark(name: string | undefined, intent: string | undefined): string | undefined {
	return intent === undefined ? name : markedName(name, intent);
}

function throwIfAborted(signal: AbortSignal): void {
	if (signal.aborted) {
		throw new CancelledError();
	}
}

/**
Reports bytes at most four times a second, with a rate over the last interval.
*/
function byteReporter(context: StepContext, total: number | undefined) {
	let lastAt = context.clock.now();
	let lastBytes = 0;
	let rate: number | undefined;
	return (transferred: number, isFinal = false) => {
		const now = context.clock.now();
		if (!isFinal && now - lastAt < 250) {
			return;
		}

		if (now > lastAt) {
			rate = Math.round((transferred - lastBytes) * 1000 / (now - lastAt));
		}

		lastAt = now;
		lastBytes = transferred;
		context.emit({
			type: 'bytes', stepId: context.step.id, transferred, total, rate, at: now,
		});
	};
}

async function perform(action: Action, context: StepContext): Promise<Record<string, string | number>> {
	const {session, outputs, signal} = context;
	// Calls that change the cloud are not aborted half-way: their result must be recorded (the executor checks
	// the signal right after). Reads, waits and byte transfers are.
	const options = {};
	switch (action.op) {
		case 'cinder.createVolume': {
			return createVolumeFor(action.args, context);
		}

		case 'cinder.restoreBackup': {
			const args = resolveAll(action.args, outputs);
			const cinder = need(session.cinder, 'Cinder');
			if (args.volumeId === undefined) {
				const backup = await cinder.getBackup(args.backupId, {signal});
				if (isEncryptedBackup(backup)) {
					throw new PlanError(`Backup ${args.backupId} is encrypted: restoring it without a target volume makes a volume of the default type that ends error_restoring.`);
				}
			}

			// A new volume carries the step's mark in its name until `settle` gives it the plan's (intents.ts).
			const name = withMark(args.name, context.intent);
			const result = await cinder.restoreBackup(args.backupId, args.volumeId === undefined ? {name} : {volumeId: String(args.volumeId)}, options);
			return {volumeId: result.volumeId};
		}

		case 'cinder.createBackup': {
			const args = resolveAll(action.args, outputs);
			const {id} = await need(session.cinder, 'Cinder').createBackup({...args, volumeId: String(args.volumeId), metadata: marked(args.metadata, context.intent)}, options);
			return {backupId: id};
		}

		case 'cinder.createSnapshot': {
			const args = resolveAll(action.args, outputs);
			const snapshot = await need(session.cinder, 'Cinder').createSnapshot({...args, volumeId: String(args.volumeId), metadata: marked(undefined, context.intent)}, options);
			return {snapshotId: snapshot.id};
		}

		case 'cinder.uploadVolumeToImage': {
			const {volumeId, ...request} = resolveAll(action.args, outputs);
			// The image carries the step's mark in its name until `settle` moves it to a property (intents.ts).
			const imageName = withMark(request.imageName, context.intent);
			const {imageId} = await need(session.cinder, 'Cinder').uploadVolumeToImage(String(volumeId), {...request, imageName}, options);
			return {imageId};
		}

		case 'cinder.deleteVolume': {
			await need(session.cinder, 'Cinder').deleteVolume(String(resolveRefOr(action.args.volumeId, outputs)), options);
			return {};
		}

		case 'cinder.deleteSnapshot': {
			await need(session.cinder, 'Cinder').deleteSnapshot(String(resolveRefOr(action.args.snapshotId, outputs)), options);
			return {};
		}

		case 'glance.createImage': {
			const args = resolveAll(action.args, outputs);
			const properties = marked(Object.fromEntries(Object.entries(args.properties ?? {}).map(([key, value]) => [key, String(value)])), context.intent);
			const image = await need(session.glance, 'Glance').createImage({
				name: args.name, diskFormat: args.diskFormat, containerFormat: args.containerFormat, properties,
			}, options);
			return {imageId: image.id};
		}

		case 'glance.uploadImageData': {
			const imageId = String(resolveRefOr(action.args.imageId, outputs));
			const {size} = await stat(action.args.path);
			const report = byteReporter(context, size);
			report(0, true);
			await need(session.glance, 'Glance').uploadImageData(imageId, createReadStream(action.args.path), {
				signal,
				size,
				onProgress(progress) {
					report(progress.transferred);
				},
			});
			report(size, true);
			return {imageId};
		}

		case 'glance.downloadImage': {
			return downloadImage(action.args.imageId, action.args.path, context);
		}

		case 'glance.setImageProperties': {
			const imageId = String(resolveRefOr(action.args.imageId, outputs));
			const properties = Object.fromEntries(Object.entries(resolveAll(action.args.properties, outputs)).map(([key, value]) => [key, String(value)]));
			await need(session.glance, 'Glance').setImageProperties(imageId, properties, options);
			return {imageId};
		}

		case 'glance.removeImageProperties': {
			const imageId = String(resolveRefOr(action.args.imageId, outputs));
			await need(session.glance, 'Glance').removeImageProperties(imageId, action.args.keys, options);
			return {imageId};
		}

		case 'nova.createServerImage': {
			const {imageId} = await need(session.nova, 'Nova').createServerImage(action.args.serverId, {name: action.args.name, metadata: marked(action.args.metadata, context.intent)}, options);
			return {imageId};
		}

		case 'barbican.storeSecret': {
			return storeSecretFromFile(action.args, session, context.intent);
		}

		case 'barbican.exportSecret': {
			return exportSecret(action.args, context);
		}
	}
}

/**
Sends the step's call, made safe against a lost answer where the call can be marked (intents.ts): the mark is journalled
(`journalIntent`) before the call; a mark from an earlier run first looks for what that run created (a resume after a
crash); a lost answer looks again. What is found is adopted: its outputs are the call's.
*/
async function sendMarked(step: Step, context: StepContext, earlier: string | undefined, journalIntent: (intent: string) => void): Promise<Record<string, string | number>> {
	const {session, signal} = context;
	const intent = intentOf(step.action, session);
	if (intent !== undefined && earlier !== undefined) {
		const found = await intent.find(session, earlier, step.action, signal);
		if (found !== undefined) {
			return found;
		}
	}

	const mark = intent === undefined ? undefined : (earlier ?? randomUUID());
	if (mark !== undefined) {
		journalIntent(mark);
	}

	context.emit({
		type: 'request', stepId: step.id, op: step.action.op, summary: describeAction(step.action, value => showResolved(value, context.outputs)), at: context.clock.now(),
	});
	try {
		return await perform(step.action, {...context, intent: mark});
	} catch (error) {
		if (intent === undefined || mark === undefined || signal.aborted || !isOutcomeUnknown(error)) {
			throw error;
		}

		const found = await intent.find(session, mark, step.action, signal);
		if (found !== undefined) {
			return found;
		}

		throw new PlanError(`${messageOf(error)} Nothing this call created was found (yet): \`backstack journal cleanup\` looks for it `
			+ 'again and deletes it if it appeared; `backstack journal resume` adopts it or sends the call again.');
	}
}

/**
After the journal knows what a marked call created: a resource that carries the mark in its name gets the plan's name
back (intents.ts). Run again on a resume (a crash before it did so); it only writes what differs.
*/
async function settle(step: Step, context: StepContext, mark: string | undefined): Promise<void> {
	const {session, outputs, signal} = context;
	const {action} = step;
	if (mark === undefined) {
		return;
	}

	if (action.op === 'cinder.restoreBackup' && action.args.volumeId === undefined && action.args.name !== undefined) {
		const volumeId = outputs[step.id]?.['volumeId'];
		if (volumeId === undefined) {
			return;
		}

		const cinder = need(session.cinder, 'Cinder');
		const volume = await cinder.getVolume(String(volumeId), {signal});
		if (volume.name !== action.args.name) {
			await cinder.renameVolume(String(volumeId), action.args.name);
		}
	} else if (action.op === 'cinder.uploadVolumeToImage') {
		const imageId = outputs[step.id]?.['imageId'];
		if (imageId === undefined) {
			return;
		}

		const glance = need(session.glance, 'Glance');
		const image = await glance.getImage(String(imageId), {signal});
		if (image.name !== action.args.imageName || image.properties[intentKey] !== mark) {
			// One JSON patch: the name and the property change together, the mark is on one or the other at every moment.
			await glance.setImageProperties(String(imageId), {name: action.args.imageName, [intentKey]: mark});
		}
	}
}

function showResolved(value: Value<string | number> | undefined, outputs: Outputs): string {
	if (value === undefined) {
		return '?';
	}

	const resolved = isRef(value) ? outputs[value.$ref]?.[value.output] ?? `<${value.output} of ${value.$ref}>` : value;
	return String(resolved);
}

function resolveRefOr<T>(value: T | {$ref: string; output: string}, outputs: Outputs): T | string | number {
	return collectRefs(value).length > 0 ? resolveRef(value as {$ref: string; output: string}, outputs) : value as T;
}

/**
Writes to `<path>.part` (mode 0600), resumes it with a Range request, moves it to `path` once the checksum matched
(never over a file that appeared there meanwhile). The partial file is journalled the moment it exists.
*/
async function downloadImage(imageId: string, path: string, context: StepContext): Promise<Record<string, string | number>> {
	const glance = need(context.session.glance, 'Glance');
	const image = await glance.getImage(imageId, {signal: context.signal});
	const partial = `${path}.part`;
	let offset = 0;
	if (await doesFileExist(partial)) {
		const partialFile = await lstat(partial);
		offset = partialFile.size;
		if (!partialFile.isFile() || (image.size !== undefined && offset > image.size)) {
			await unlink(partial);
			offset = 0;
		}
	}

	const report = byteReporter(context, image.size);
	report(offset, true);
	// O_NOFOLLOW: a link put at <path>.part does not make the download append to the file it points at.
	// eslint-disable-next-line no-bitwise
	const handle = await open(partial, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
	let identity: FileIdentity;
	try {
		identity = identityOf(await handle.stat({bigint: true}));
	} catch (error) {
		await handle.close();
		throw error;
	}

	context.createdFile(partial, identity);
	let transferred = offset;
	try {
		const stream = glance.downloadImage(imageId, {
			signal: context.signal,
			offset: offset > 0 ? offset : undefined,
			prefix: offset > 0 ? createReadStream(partial, {end: offset - 1}) : undefined,
		});
		for await (const chunk of stream) {
			await handle.write(chunk);
			transferred += chunk.byteLength;
			report(transferred);
		}
	} catch (error) {
		await handle.close();
		if (error instanceof ChecksumMismatchError) {
			// A partial file that does not match must not be resumed.
			await unlink(partial);
		}

		throw error;
	}

	await handle.close();
	report(transferred, true);
	await moveWithoutReplacing(partial, path);
	context.createdFile(path, identity, partial);
	return {path, bytes: transferred};
}

async function moveWithoutReplacing(from: string, to: string): Promise<void> {
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

/**
Not aborted half-way (see perform).
*/
async function createVolumeFor(raw: Extract<Action, {op: 'cinder.createVolume'}>['args'], context: StepContext): Promise<Record<string, string | number>> {
	const {session, outputs} = context;
	const options = {};
	const args = resolveAll(raw, outputs);
	const volume = await need(session.cinder, 'Cinder').createVolume({
		size: args.size === undefined ? 0 : Number(args.size),
		name: args.name,
		description: args.description,
		volumeType: args.volumeType,
		backupId: args.backupId,
		imageRef: args.imageRef === undefined ? undefined : String(args.imageRef),
		snapshotId: args.snapshotId === undefined ? undefined : String(args.snapshotId),
		metadata: marked(args.metadata, context.intent),
	}, options);
	return {volumeId: volume.id};
}

/**
With a mark the secret's name carries it for good: a secret cannot be renamed (intents.ts).
*/
async function storeSecretFromFile(args: Extract<Action, {op: 'barbican.storeSecret'}>['args'], session: CloudSession, intent: string | undefined): Promise<Record<string, string | number>> {
	const {path, ...rest} = args;
	const attributes = {...rest, name: withMark(rest.name, intent)};
	const handle = await open(path, 'r');
	let payload: Uint8Array;
	try {
		payload = await handle.readFile();
	} finally {
		await handle.close();
	}

	try {
		const {id} = await need(session.barbican, 'Barbican').storeSecret({...attributes, payload});
		return {secretId: id};
	} finally {
		payload.fill(0);
	}
}

/**
Each file is created new ('wx', 0600: never with wider permissions, never over another file) and journalled, with its
identity, the moment it exists: the hex file is a resource of its own.
*/
async function exportSecret(args: {secretId: string; path: string; hexPath?: string}, context: StepContext): Promise<Record<string, string | number>> {
	const payload = await need(context.session.barbican, 'Barbican').getSecretPayload(args.secretId, {signal: context.signal});
	try {
		await writeNewFile(args.path, payload, identity => {
			context.createdFile(args.path, identity);
		});
		const {hexPath} = args;
		if (hexPath !== undefined) {
			const hex = hexBytes(payload);
			try {
				await writeNewFile(hexPath, hex, identity => {
					context.createdFile(hexPath, identity);
				});
			} finally {
				hex.fill(0);
			}
		}
	} finally {
		payload.fill(0);
	}

	return args.hexPath === undefined ? {path: args.path} : {path: args.path, hexPath: args.hexPath};
}

async function failureReason(session: CloudSession, step: Step, ended: {resource: WaitResource; id: string; status: string}): Promise<string> {
	const {resource, id, status} = ended;
	let reason = `${resource} ${id} ended ${status}.`;
	const {cinder} = session;
	if (cinder && resource !== 'image') {
		// Cinder files a restore failure under the backup's ID, not the volume's.
		const ids = step.action.op === 'cinder.restoreBackup' ? [id, step.action.args.backupId] : [id];

		for (const uuid of ids) {
			try {
				// eslint-disable-next-line no-await-in-loop
				const messages = await cinder.listMessages({resourceUuid: uuid});
				const latest = messages.toSorted((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
				if (latest) {
					reason += ` Cinder says: ${latest.userMessage}`;
					break;
				}
			} catch {
				// Messages are a courtesy; the status already says it failed.
			}
		}
	}

	return reason;
}

async function waitFor(wait: Wait, context: StepContext): Promise<void> {
	const id = String(resolveRefOr(wait.id, context.outputs));
	const deadline = context.clock.now() + wait.timeoutMs;
	const intervals = backoff();
	let last: string | undefined;
	for (;;) {
		throwIfAborted(context.signal);
		// eslint-disable-next-line no-await-in-loop
		const status = await readStatus(context.session, wait.resource, id, context.signal);
		if (status === undefined) {
			throw new PlanError(`${wait.resource} ${id} disappeared while waiting for ${wait.until.join(' or ')}.`);
		}

		if (status !== last) {
			last = status;
			context.emit({
				type: 'status', stepId: context.step.id, resource: wait.resource, id, status, at: context.clock.now(),
			});
		}

		if (wait.until.includes(status)) {
			return;
		}

		if (wait.failOn.includes(status)) {
			// eslint-disable-next-line no-await-in-loop
			throw new PlanError(await failureReason(context.session, context.step, {resource: wait.resource, id, status}));
		}

		if (context.clock.now() >= deadline) {
			throw new PlanError(`${wait.resource} ${id} is still ${status} after ${Math.round(wait.timeoutMs / 1000)} s.`);
		}

		try {
			// eslint-disable-next-line no-await-in-loop
			await context.clock.sleep(intervals.next().value, context.signal);
		} catch {
			throw new CancelledError();
		}
	}
}

const settledVolume = new Set(['available', 'error', 'error_restoring', 'error_extending', 'error_backing-up', 'error_deleting']);
const settledSnapshotOrBackup = new Set(['available', 'error', 'error_deleting']);

/**
Deletes one created resource and waits until it is gone (volumes and snapshots) so that what depends on it can go next.
*/
export async function removeResource(session: CloudSession, resource: CreatedResource, clock: Clock, timeoutMs: number): Promise<'gone' | undefined> {
	const deadline = clock.now() + timeoutMs;
	const canDelete = async (kind: 'volume' | 'snapshot' | 'backup', settled: Set<string>): Promise<boolean> => {
		const intervals = backoff();
		for (;;) {
			// eslint-disable-next-line no-await-in-loop
			const status = await readStatus(session, kind, resource.id);
			if (status === undefined) {
				return false;
			}

			if ((status === 'deleting') || settled.has(status)) {
				return true;
			}

			if (status === 'in-use') {
				throw new PlanError(`${kind} ${resource.id} is attached to a server; detach it first.`);
			}

			if (clock.now() >= deadline) {
				throw new PlanError(`${kind} ${resource.id} is still ${status}; it cannot be deleted yet.`);
			}

			// eslint-disable-next-line no-await-in-loop
			await clock.sleep(intervals.next().value);
		}
	};

	const gone = async (kind: 'volume' | 'snapshot' | 'backup'): Promise<void> => {
		const intervals = backoff();
		for (;;) {
			// eslint-disable-next-line no-await-in-loop
			const status = await readStatus(session, kind, resource.id);
			if (status === undefined) {
				return;
			}

			if (status === 'error_deleting') {
				throw new PlanError(`${kind} ${resource.id} ended error_deleting.`);
			}

			if (clock.now() >= deadline) {
				throw new PlanError(`${kind} ${resource.id} is still ${status}.`);
			}

			// eslint-disable-next-line no-await-in-loop
			await clock.sleep(intervals.next().value);
		}
	};

	const ignoreMissing = async (call: () => Promise<void>) => {
		try {
			await call();
		} catch (error) {
			if (httpStatusOf(error) !== 404) {
				throw error;
			}
		}
	};

	switch (resource.kind) {
		case 'volume': {
			const cinder = need(session.cinder, 'Cinder');
			if (await canDelete('volume', settledVolume)) {
				await ignoreMissing(async () => cinder.deleteVolume(resource.id));
				await gone('volume');
			}

			return;
		}

		case 'snapshot': {
			const cinder = need(session.cinder, 'Cinder');
			if (await canDelete('snapshot', settledSnapshotOrBackup)) {
				await ignoreMissing(async () => cinder.deleteSnapshot(resource.id));
				await gone('snapshot');
			}

			return;
		}

		case 'backup': {
			const cinder = need(session.cinder, 'Cinder');
			if (await canDelete('backup', settledSnapshotOrBackup)) {
				await ignoreMissing(async () => cinder.deleteBackup(resource.id));
				await gone('backup');
			}

			return;
		}

		case 'image': {
			await ignoreMissing(async () => need(session.glance, 'Glance').deleteImage(resource.id));
			return;
		}

		case 'secret': {
			await ignoreMissing(async () => need(session.barbican, 'Barbican').deleteSecret(resource.id));
			return;
		}

		case 'file': {
			return await removeCreatedFile(resource) === 'gone' ? 'gone' : undefined;
		}

		case 'server':
		case 'volume-type': {
			throw new PlanError(`backstack does not delete ${resource.kind}s.`);
		}
	}
}

/**
Removes resources in reverse order of creation, reporting each; returns those that could not be removed.
@yields cleanup-start, then cleanup-done or cleanup-failed, for each resource.
*/
export async function * removeAll(
	session: CloudSession,
	resources: CreatedResource[],
	options: {clock: Clock; timeoutMs: number; onRemoved?: (resource: CreatedResource) => void},
): AsyncGenerator<PlanEvent, CreatedResource[]> {
	const failed: CreatedResource[] = [];
	for (const resource of resources.toReversed()) {
		yield {type: 'cleanup-start', resource, at: options.clock.now()};
		try {
			// eslint-disable-next-line no-await-in-loop
			const outcome = await removeResource(session, resource, options.clock, options.timeoutMs);
			resource.removed = true;
			options.onRemoved?.(resource);
			yield {
				type: 'cleanup-done', resource, ...(outcome === 'gone' && {alreadyGone: true}), at: options.clock.now(),
			};
		} catch (error) {
			failed.push(resource);
			yield {
				type: 'cleanup-failed', resource, reason: messageOf(error), at: options.clock.now(),
			};
		}
	}

	return failed;
}

/**
A journalled run, ready to continue. When cleanup already removed temporaries (a cancelled or failed run), the
steps from the first one that created a removed resource onwards run again from scratch.
*/
function normaliseResume(record: JournalRecord): JournalRecord {
	const copy = structuredClone(record);
	const removedBy = new Set(copy.created.filter(resource => resource.removed).map(resource => resource.stepId));
	const restartAt = copy.plan.steps.findIndex(step => removedBy.has(step.id));
	if (restartAt !== -1) {
		for (const step of copy.plan.steps.slice(restartAt)) {
			copy.steps[step.id] = {state: 'pending'};
		}
	}

	copy.created = copy.created.filter(resource => !resource.removed);
	return copy;
}

function dependenciesOf(plan: Plan, step: Step, index: number): string[] {
	if (plan.concurrency === undefined) {
		const previous = plan.steps[index - 1];
		return previous ? [previous.id] : [];
	}

	const fromRefs = collectRefs(step.action.args).map(reference => reference.$ref);
	return [...new Set([...(step.after ?? []), ...fromRefs])].filter(id => id !== step.id);
}

/**
Runs a plan. The iterable ends with exactly one of plan-done, plan-failed or plan-cancelled.
@yields The run's progress events, in order.
*/
export async function * runPlan(plan: Plan, session: CloudSession, options: RunOptions = {}): AsyncGenerator<PlanEvent> {
	const clock = options.clock ?? systemClock;
	const queue = new EventQueue<PlanEvent>();
	const internal = new AbortController();
	const onAbort = () => {
		internal.abort();
	};

	options.signal?.addEventListener('abort', onAbort, {once: true});
	if (options.signal?.aborted) {
		internal.abort();
	}

	const driving = drive({
		plan,
		session,
		options,
		clock,
		signal: internal.signal,
		emit(event) {
			queue.push(event);
		},
	}).catch((error: unknown) => {
		queue.push({type: 'plan-failed', reason: `Internal error: ${messageOf(error)}`, at: clock.now()});
	}).finally(() => {
		queue.close();
	});
	try {
		yield * queue.drain();
	} finally {
		options.signal?.removeEventListener('abort', onAbort);
		// A consumer that stops listening stops the plan (safely: cleanup still runs).
		internal.abort();
		await driving;
	}
}

type Run = {
	plan: Plan;
	session: CloudSession;
	options: RunOptions;
	clock: Clock;
	signal: AbortSignal;
	emit: (event: PlanEvent) => void;
};

/**
Validation, confirmation and every check, before anything changes; false when the plan must not run.
*/
async function canRun(run: Run, resumed: JournalRecord | undefined): Promise<boolean> {
	const {
		plan, session, options, clock, signal, emit,
	} = run;
	const problems = validatePlan(plan);
	if (problems.length > 0) {
		emit({type: 'plan-failed', reason: `The plan is invalid: ${problems.join(' ')}`, at: clock.now()});
		return false;
	}

	if (!isConfirmed(plan, options.confirmation)) {
		const expected = plan.confirmation ? `type "${plan.confirmation.text}" to confirm` : 'it has no confirmation text';
		emit({type: 'plan-failed', reason: `Refused: this plan destroys data and was not confirmed (${expected}). Nothing was changed.`, at: clock.now()});
		return false;
	}

	// Checks: before anything changes. On resume, steps that already started are past their checks.
	const failures: string[] = [];
	const toCheck = plan.steps
		.filter(step => !resumed || resumed.steps[step.id]?.state === 'pending')
		.flatMap(step => step.checks.map(check => ({step, check})));
	for (const {step, check} of toCheck) {
		if (signal.aborted) {
			emit({type: 'plan-cancelled', at: clock.now()});
			return false;
		}

		let reason: string | undefined;
		try {
			// eslint-disable-next-line no-await-in-loop
			reason = await evaluateCheck(check, session, signal);
		} catch (error) {
			reason = `Could not check that ${describeCheck(check)}: ${messageOf(error)}`;
		}

		if (reason === undefined) {
			continue;
		}

		failures.push(reason);
		emit({
			type: 'check-failed', stepId: step.id, check, reason, at: clock.now(),
		});
	}

	if (failures.length > 0) {
		emit({type: 'plan-failed', reason: `Nothing was changed: ${failures.join(' ')}`, at: clock.now()});
		return false;
	}

	return true;
}

async function drive(run: Run): Promise<void> {
	const {
		plan, session, options, clock, signal, emit,
	} = run;
	const resumed = options.resume ? normaliseResume(options.resume) : undefined;
	emit({
		type: 'plan-start', planId: plan.id, at: clock.now(), resumed: resumed !== undefined,
	});
	if (!await canRun(run, resumed)) {
		return;
	}

	const states = new Map<string, StepState>(plan.steps.map(step => [step.id, resumed?.steps[step.id]?.state === 'done' ? 'done' : 'pending']));
	const outputs: Outputs = {};
	const created: CreatedResource[] = resumed ? resumed.created.map(resource => ({...resource})) : [];
	for (const [id, step] of Object.entries(resumed?.steps ?? {})) {
		if (step.outputs) {
			outputs[id] = {...step.outputs};
		}
	}

	emit({type: 'checks-passed', at: clock.now()});

	const journal = options.journal === undefined
		? undefined
		: (resumed ? new JournalWriter(options.journal, {...resumed, state: 'running', pid: process.pid}) : JournalWriter.start(options.journal, plan));

	const record = (stepId: string, change: Partial<{state: StepState; requested: boolean; outputs: Record<string, string | number>; error: string; intent: string}>) => {
		journal?.update(entry => {
			entry.steps[stepId] = {...entry.steps[stepId], state: entry.steps[stepId]?.state ?? 'pending', ...change};
		});
	};

	let failure: {reason: string; stepId?: string} | undefined;

	const runStep = async (step: Step): Promise<void> => {
		states.set(step.id, 'running');
		record(step.id, {state: 'running'});
		emit({type: 'step-start', stepId: step.id, at: clock.now()});
		const previous = resumed?.steps[step.id];
		const context: StepContext = {
			step,
			session,
			outputs,
			signal,
			clock,
			emit,
			accepted(values) {
				outputs[step.id] = {...outputs[step.id], ...values};
				record(step.id, {requested: true, outputs: outputs[step.id]});
				const {creates} = step;
				if (!creates) {
					return;
				}

				const id = values[creates.output];
				if (id === undefined || created.some(resource => resource.id === String(id) && resource.kind === creates.kind)) {
					return;
				}

				const resource: CreatedResource = {
					kind: creates.kind, id: String(id), name: creates.name, stepId: step.id, temporary: creates.temporary,
				};
				created.push(resource);
				journal?.update(entry => {
					entry.created.push(resource);
				});
				emit({
					type: 'created', stepId: step.id, resource, at: clock.now(),
				});
			},
			createdFile(file, identity, movedFrom) {
				const isKnown = (resource: CreatedResource) => resource.kind === 'file' && resource.id === (movedFrom ?? file) && !resource.removed;
				const update = (resource: CreatedResource) => {
					Object.assign(resource, {id: file, name: file, file: identity});
				};

				const known = created.find(resource => isKnown(resource));
				if (known) {
					update(known);
					journal?.update(entry => {
						const match = entry.created.find(resource => isKnown(resource));
						if (match) {
							update(match);
						}
					});
					return;
				}

				const resource: CreatedResource = {
					kind: 'file', id: file, name: file, stepId: step.id, temporary: false, file: identity,
				};
				created.push(resource);
				journal?.update(entry => {
					entry.created.push({...resource});
				});
				emit({
					type: 'created', stepId: step.id, resource, at: clock.now(),
				});
			},
		};
		try {
			throwIfAborted(signal);
			let mark = previous?.intent;
			if (!previous?.requested) {
				context.accepted(await sendMarked(step, context, previous?.intent, intent => {
					mark = intent;
					record(step.id, {intent});
				}));
				throwIfAborted(signal);
			}

			await settle(step, context, mark);

			if (step.wait) {
				await waitFor(step.wait, context);
			}

			states.set(step.id, 'done');
			record(step.id, {state: 'done'});
			emit({
				type: 'step-done', stepId: step.id, outputs: outputs[step.id] ?? {}, at: clock.now(),
			});
		} catch (error) {
			const isCancelled = signal.aborted;
			states.set(step.id, isCancelled ? 'cancelled' : 'failed');
			record(step.id, {state: isCancelled ? 'cancelled' : 'failed', error: isCancelled ? 'cancelled' : messageOf(error)});
			if (!isCancelled) {
				failure ??= {reason: `Step "${step.title}" failed: ${messageOf(error)}`, stepId: step.id};
				emit({
					type: 'step-failed', stepId: step.id, reason: messageOf(error), at: clock.now(),
				});
			}
		}
	};

	const limit = plan.concurrency ?? 1;
	const running = new Map<string, Promise<void>>();
	const startReady = () => {
		for (const [index, step] of plan.steps.entries()) {
			if (running.size >= limit) {
				return;
			}

			if (states.get(step.id) !== 'pending') {
				continue;
			}

			const dependencies = dependenciesOf(plan, step, index);
			if (dependencies.some(id => states.get(id) === 'failed' || states.get(id) === 'skipped')) {
				states.set(step.id, 'skipped');
				record(step.id, {state: 'skipped'});
			} else if (dependencies.every(id => states.get(id) === 'done')) {
				running.set(step.id, runStep(step).finally(() => {
					running.delete(step.id);
				}));
			}
		}
	};

	for (;;) {
		// One after the other, a failure stops the plan; side by side (protect-now), it only stops what depends on it.
		const isStopped = signal.aborted || (failure !== undefined && plan.concurrency === undefined);
		if (!isStopped) {
			startReady();
		}

		if (running.size === 0) {
			break;
		}

		// eslint-disable-next-line no-await-in-loop
		await Promise.race(running.values());
	}

	await finish(run, {
		states, created, outputs, journal, failure,
	});
}

type Outcome = {
	states: Map<string, StepState>;
	created: CreatedResource[];
	outputs: Outputs;
	journal: JournalWriter | undefined;
	failure: {reason: string; stepId?: string} | undefined;
};

/**
Removes temporaries, offers what is left and reports how the plan ended.
*/
async function finish(run: Run, outcome: Outcome): Promise<void> {
	const {
		plan, session, options, clock, signal, emit,
	} = run;
	const {
		states, created, outputs, journal, failure,
	} = outcome;
	// Cleanup of temporaries happens whatever the outcome, with its own time budget (not the cancelled signal).
	const temporaries = created.filter(resource => resource.temporary && !resource.removed);
	const cleanup = removeAll(session, temporaries, {
		clock,
		timeoutMs: options.cleanupTimeoutMs ?? (15 * 60_000),
		onRemoved(resource) {
			journal?.update(entry => {
				const match = entry.created.find(item => item.id === resource.id && item.kind === resource.kind);
				if (match) {
					match.removed = true;
				}
			});
		},
	});
	let step = await cleanup.next();
	while (!step.done) {
		emit(step.value);
		// eslint-disable-next-line no-await-in-loop
		step = await cleanup.next();
	}

	const cleanupFailed = step.value;
	const isIncomplete = plan.steps.some(candidate => states.get(candidate.id) !== 'done');
	if (isIncomplete && signal.aborted) {
		const leftovers = created.filter(resource => !resource.removed);
		if (leftovers.length > 0) {
			emit({type: 'cleanup-offered', resources: leftovers, at: clock.now()});
		}

		journal?.update(entry => {
			entry.state = 'cancelled';
		});
		emit({type: 'plan-cancelled', at: clock.now()});
		return;
	}

	if (failure !== undefined || isIncomplete) {
		const leftovers = created.filter(resource => !resource.removed);
		if (leftovers.length > 0) {
			emit({type: 'cleanup-offered', resources: leftovers, at: clock.now()});
		}

		const reason = failure?.reason ?? 'The plan stopped before all steps ran.';
		journal?.update(entry => {
			entry.state = 'failed';
			entry.error = reason;
		});
		emit({
			type: 'plan-failed', reason, stepId: failure?.stepId, at: clock.now(),
		});
		return;
	}

	const results: Record<string, string | number> = {};
	for (const [label, reference] of Object.entries(plan.results ?? {})) {
		const value = outputs[reference.$ref]?.[reference.output];
		if (value !== undefined) {
			results[label] = value;
		}
	}

	journal?.update(entry => {
		entry.state = cleanupFailed.length > 0 ? 'failed' : 'done';
		if (cleanupFailed.length > 0) {
			entry.error = `Temporary resources could not be removed: ${cleanupFailed.map(resource => `${resource.kind} ${resource.id}`).join(', ')}`;
		}
	});
	if (cleanupFailed.length > 0) {
		emit({type: 'cleanup-offered', resources: cleanupFailed, at: clock.now()});
	}

	emit({type: 'plan-done', results, at: clock.now()});
}
