/*
Reading a project's user data: every list of every service at once, each failing on its own.

A service the catalog lacks, or one that refuses the user (403), is recorded in `sources` and the reading goes on:
an audit of what could be read, with the gaps said out loud, beats no audit. Only cancellation (the signal) stops it.
*/
import type {
	BarbicanApi,
	CallOptions,
	CinderApi,
	CloudSession,
	ListOptions,
} from '../openstack/api.js';
import type {
	Backup,
	Image,
	Project,
	Secret,
	Server,
	ServiceName,
	Snapshot,
	Volume,
	VolumeType,
} from '../openstack/types.js';
import {withoutRaw} from '../openstack/util.js';
import {
	listServices,
	type Inventory,
	type InventoryList,
	type InventoryProgress,
	type ProjectInventory,
	type SecretLookup,
	type SourceState,
} from './model.js';

export type InventoryOptions = {
	signal?: AbortSignal;
	onProgress?: (event: InventoryProgress) => void;
	/**
	Page size asked of every list; default 1000, the most Cinder, Glance and Nova give by default (the client caps Barbican
	at its 100). Glance's own default is 25, which makes a big image list 40 times as many round trips.
	*/
	pageSize?: number;
	/**
	How many single-resource requests (key lookups) may run at once. Default 8.
	*/
	concurrency?: number;
	/**
	Keep each resource's `raw` body (the TUI's `y` shows it). Default true; the audit, which never shows it, passes false
	and so holds each resource once instead of twice.
	*/
	keepRaw?: boolean;
};

export type AllProjectsOptions = InventoryOptions & {
	/**
	How many projects are read at once. Default 3.
	*/
	projectConcurrency?: number;
	/**
	Like `onProgress`, with the project the event belongs to (projects are read in parallel).
	*/
	onProjectProgress?: (project: Project, event: InventoryProgress) => void;
	/**
	Called as each project's reading starts and ends.
	*/
	onProject?: (event: {project: Project; done: boolean; error?: string}) => void;
};

/**
The HTTP status of a failure, when it carries one (the client's `OpenStackError` does, as `status` or `statusCode`).
*/
export function httpStatusOf(error: unknown): number | undefined {
	if (typeof error !== 'object' || error === null) {
		return undefined;
	}

	const record = error as Record<string, unknown>;
	for (const key of ['status', 'statusCode']) {
		const value = record[key];
		if (typeof value === 'number') {
			return value;
		}
	}

	const {response} = record;
	if (typeof response === 'object' && response !== null) {
		const value = (response as Record<string, unknown>)['status'];
		if (typeof value === 'number') {
			return value;
		}
	}

	return undefined;
}

export function messageOf(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}

/**
Turns a failed list into a source state: 403 (and 401) forbidden, 404 missing (e.g. no cinder-backup), else error.
*/
export function sourceStateOf(error: unknown, what: string): SourceState {
	const status = httpStatusOf(error);
	const reason = `${what}: ${messageOf(error)}`;
	const states: Record<number, 'forbidden' | 'missing'> = {401: 'forbidden', 403: 'forbidden', 404: 'missing'};
	return {state: (status === undefined ? undefined : states[status]) ?? 'error', reason};
}

export function isAbort(error: unknown, signal: AbortSignal | undefined): boolean {
	return signal?.aborted === true || (error instanceof Error && error.name === 'AbortError');
}

/**
Runs `work` over `items`, at most `limit` at a time, keeping the order of results.
*/
export async function mapLimited<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
	const results: R[] = Array.from({length: items.length});
	let next = 0;
	const worker = async () => {
		while (next < items.length) {
			const index = next++;
			// eslint-disable-next-line no-await-in-loop
			results[index] = await work(items[index]!, index);
		}
	};

	const workers = Math.max(1, Math.min(limit, items.length));
	await Promise.all(Array.from({length: workers}, async () => worker()));
	return results;
}

export type ListOutcome<T> = {items: T[]; state: SourceState};

function projectOf(session: CloudSession): Project {
	const token = session.identity.token();
	return {
		id: token.projectId,
		name: token.projectName,
		...(token.projectDomainId !== undefined && {domainId: token.projectDomainId}),
		enabled: true,
	};
}

/**
Combines the states of one service's lists: the first failure wins (forbidden before missing before error).
*/
export function combineStates(states: SourceState[]): SourceState {
	const failed = states.filter((state): state is Exclude<SourceState, {state: 'ok'}> => state.state !== 'ok');
	const order: Array<SourceState['state']> = ['forbidden', 'missing', 'error'];
	failed.sort((a, b) => order.indexOf(a.state) - order.indexOf(b.state));
	const first = failed[0];
	return first === undefined ? {state: 'ok'} : {state: first.state, reason: failed.map(state => state.reason).join('; ')};
}

/**
Encrypted volumes whose key ID Cinder did not show (microversion < 3.64): `/volumes/{id}/encryption` tells a reader.
A volume whose lookup fails keeps an unknown key; the assessment says so.
*/
export async function fillVolumeKeys(cinder: CinderApi, volumes: Volume[], concurrency: number, signal: AbortSignal | undefined): Promise<void> {
	const unknownKeys = volumes.filter(volume => volume.encrypted && volume.encryptionKeyId === undefined);
	await mapLimited(unknownKeys, concurrency, async volume => {
		try {
			const spec = await cinder.getVolumeEncryption(volume.id, signal === undefined ? {} : {signal});
			if (spec.encryptionKeyId !== undefined) {
				volume.encryptionKeyId = spec.encryptionKeyId;
			}
		} catch (error) {
			if (isAbort(error, signal)) {
				throw error;
			}
		}
	});
}

/**
Secrets referenced by a volume, backup or image but absent from the list (a list limited by ACLs, or really gone): asks
for each by ID, adds those found to `secrets`, and says what each lookup answered.
*/
export async function lookUpUnlistedSecrets(
	barbican: BarbicanApi,
	secrets: Secret[],
	users: ReadonlyArray<{encryptionKeyId?: string; cinderEncryptionKeyId?: string}>,
	{concurrency, signal}: {concurrency: number; signal: AbortSignal | undefined},
): Promise<Record<string, SecretLookup>> {
	const listed = new Set(secrets.map(secret => secret.id));
	const referenced = new Set<string>();
	for (const user of users) {
		for (const id of [user.encryptionKeyId, user.cinderEncryptionKeyId]) {
			if (id !== undefined && !listed.has(id)) {
				referenced.add(id);
			}
		}
	}

	const lookups: Record<string, SecretLookup> = {};
	await mapLimited([...referenced].toSorted(), concurrency, async id => {
		try {
			const found = await barbican.findSecret(id, signal === undefined ? {} : {signal});
			lookups[id] = found ? 'found' : 'not-found';
			if (found) {
				secrets.push(found);
			}
		} catch (error) {
			if (isAbort(error, signal)) {
				throw error;
			}

			const status = httpStatusOf(error);
			lookups[id] = status === 403 || status === 401 ? 'forbidden' : 'error';
		}
	});
	return lookups;
}

export type ListReader = {
	signal: AbortSignal | undefined;
	keepRaw: boolean;
	onProgress: InventoryOptions['onProgress'];
	absent: (service: ServiceName) => SourceState;
};

/**
Reads one list to its end; a failure other than cancellation becomes the list's state.
*/
export async function collect<T>(reader: ListReader, list: InventoryList, read: (() => AsyncIterable<T>) | undefined): Promise<ListOutcome<T>> {
	const service = listServices[list];
	const report = (count: number, isDone: boolean) => {
		reader.onProgress?.({
			service, resource: list, count, done: isDone,
		});
	};

	if (read === undefined) {
		report(0, true);
		return {items: [], state: reader.absent(service)};
	}

	const items: T[] = [];
	// The list has started: a reader that stays silent from here on is waiting for the service.
	report(0, false);
	try {
		for await (const item of read()) {
			items.push(reader.keepRaw ? item : withoutRaw(item));
			report(items.length, false);
		}
	} catch (error) {
		if (isAbort(error, reader.signal)) {
			throw error;
		}

		report(items.length, true);
		return {items: [], state: sourceStateOf(error, list)};
	}

	report(items.length, true);
	return {items, state: {state: 'ok'}};
}

export async function * yieldAll<T>(items: Promise<T[]>): AsyncIterable<T> {
	yield * await items;
}

/**
Every list, all at once.
*/
async function readLists(session: CloudSession, reader: ListReader, listOptions: ListOptions, callOptions: CallOptions) {
	const {cinder, glance, nova, barbican} = session;
	const [volumes, backups, snapshots, volumeTypes, images, servers, secrets] = await Promise.all([
		collect<Volume>(reader, 'volumes', cinder && (() => cinder.listVolumes(listOptions))),
		collect<Backup>(reader, 'backups', cinder && (() => cinder.listBackups(listOptions))),
		collect<Snapshot>(reader, 'snapshots', cinder && (() => cinder.listSnapshots(listOptions))),
		collect<VolumeType>(reader, 'volume-types', cinder && (() => yieldAll(cinder.listVolumeTypes(callOptions)))),
		collect<Image>(reader, 'images', glance && (() => glance.listImages(listOptions))),
		collect<Server>(reader, 'servers', nova && (() => nova.listServers(listOptions))),
		collect<Secret>(reader, 'secrets', barbican && (() => barbican.listSecrets(listOptions))),
	]);
	return {
		volumes, backups, snapshots, volumeTypes, images, servers, secrets,
	};
}

/**
Reads every user-data resource of the session's project: volumes, backups, snapshots and volume types (Cinder), images
including hidden ones (Glance), servers (Nova) and secret metadata (Barbican), all lists at the same time.
*/
export async function readInventory(session: CloudSession, options: InventoryOptions = {}): Promise<Inventory> {
	const {signal} = options;
	const pageSize = options.pageSize ?? 1000;
	const concurrency = options.concurrency ?? 8;
	signal?.throwIfAborted();
	const serviceStates = session.services();
	const callOptions = signal === undefined ? {} : {signal};
	const isRawKept = options.keepRaw ?? true;
	const listOptions = {...callOptions, pageSize, keepRaw: isRawKept};
	const reader: ListReader = {
		signal,
		keepRaw: isRawKept,
		onProgress: options.onProgress,
		absent(service) {
			const status = serviceStates[service];
			return status.state === 'ok' ? {state: 'missing', reason: `${service} is not available in this session`} : {state: status.state, reason: status.reason};
		},
	};

	const {cinder, barbican} = session;
	const {
		volumes, backups, snapshots, volumeTypes, images, servers, secrets,
	} = await readLists(session, reader, listOptions, callOptions);

	if (cinder && volumes.state.state === 'ok') {
		await fillVolumeKeys(cinder, volumes.items, concurrency, signal);
	}

	const isBarbicanRead = barbican !== undefined && secrets.state.state === 'ok';
	const secretLookups = isBarbicanRead
		? await lookUpUnlistedSecrets(barbican, secrets.items, [...volumes.items, ...backups.items, ...images.items], {concurrency, signal})
		: {};

	return {
		cloud: session.cloudName,
		...(session.region !== undefined && {region: session.region}),
		project: projectOf(session),
		readAt: new Date().toISOString(),
		sources: {
			identity: {state: 'ok'},
			cinder: cinder ? combineStates([volumes.state, backups.state, snapshots.state, volumeTypes.state]) : volumes.state,
			glance: images.state,
			nova: servers.state,
			barbican: secrets.state,
		},
		lists: {
			volumes: volumes.state,
			backups: backups.state,
			snapshots: snapshots.state,
			'volume-types': volumeTypes.state,
			images: images.state,
			servers: servers.state,
			secrets: secrets.state,
		},
		volumes: volumes.items,
		backups: backups.items,
		snapshots: snapshots.items,
		servers: servers.items,
		images: images.items,
		...(isBarbicanRead && {secrets: secrets.items}),
		volumeTypes: volumeTypes.items,
		...((Object.keys(secretLookups).length > 0) && {secretLookups}),
	};
}

/**
Reads the inventory of every project the user has (`GET /v3/auth/projects`), a few at a time. A project that cannot be
scoped or read is returned with its `error`; only cancellation rejects.
*/
export async function readAllProjects(session: CloudSession, options: AllProjectsOptions = {}): Promise<ProjectInventory[]> {
	const {signal} = options;
	const projects = await session.identity.listProjects(signal === undefined ? {} : {signal});
	const ordered = projects.toSorted((a, b) => (a.name === b.name ? a.id.localeCompare(b.id) : a.name.localeCompare(b.name)));
	const current = session.identity.token().projectId;
	return mapLimited(ordered, options.projectConcurrency ?? 3, async project => {
		options.onProject?.({project, done: false});
		if (!project.enabled) {
			const error = 'the project is disabled';
			options.onProject?.({project, done: true, error});
			return {project, error};
		}

		let scoped: CloudSession | undefined;
		try {
			scoped = project.id === current ? session : await session.switchProject(project.id, signal === undefined ? {} : {signal});
			const inventory = await readInventory(scoped, {
				...options,
				onProgress(event) {
					options.onProgress?.(event);
					options.onProjectProgress?.(project, event);
				},
			});
			options.onProject?.({project, done: true});
			return {project, inventory};
		} catch (error) {
			if (isAbort(error, signal)) {
				throw error;
			}

			const message = `${httpStatusOf(error) === 403 || httpStatusOf(error) === 401 ? 'not allowed to read this project' : 'could not read this project'}: ${messageOf(error)}`;
			options.onProject?.({project, done: true, error: message});
			return {project, error: message};
		} finally {
			if (scoped && scoped !== session) {
				scoped.close();
			}
		}
	});
}
