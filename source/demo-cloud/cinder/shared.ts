/* eslint-disable @typescript-eslint/no-restricted-types -- OpenStack's JSON has nulls; records mirror it. */
/* eslint-disable unicorn/no-immediate-mutation -- views add fields that depend on the microversion and the caller. */
/*
What every Cinder resource's routes share: the call, lookups that answer Cinder's 404s, project scoping, list filters
and pages, quota checks, and the volume record that both a create and a restore make.
*/
import type {AuthInfo} from '../auth.js';
import {
	HttpError,
	stringRecord,
	type Reply,
	type RequestContext,
} from '../http.js';
import {
	markerPage,
	orderedRecords,
	parseSort,
	type Listed,
	type Sortable,
	type Table,
} from '../paging.js';
import type {
	BackupRecord,
	DemoState,
	Quotas,
	SnapshotRecord,
	VolumeRecord,
	VolumeTypeRecord,
} from '../state.js';

export type Call = {
	context: RequestContext;
	auth: AuthInfo;
	/**
	Minor microversion: 64 for 3.64.
	*/
	mv: number;
	projectId: string;
	/**
	`${origin}/volume/v3/${projectId}`
	*/
	base: string;
};

function quotaError(resource: keyof Quotas, quota: Quotas, usage: Quotas, requested: number): HttpError {
	const headers = {'Retry-After': '0'};
	if (resource === 'gigabytes' || resource === 'backup_gigabytes') {
		const what = resource === 'gigabytes' ? 'volume or snapshot' : 'backup';
		const name = resource === 'gigabytes' ? 'VolumeSizeExceedsAvailableQuota' : 'VolumeBackupSizeExceedsAvailableQuota';
		return new HttpError(413, `${name}: Requested ${what} exceeds allowed ${resource} quota. Requested `
			+ `${requested}G, quota is ${quota[resource]}G and ${usage[resource]}G has been consumed.`, headers);
	}

	const noun = resource === 'volumes' ? 'volumes' : (resource === 'snapshots' ? 'snapshots' : 'backups');
	return new HttpError(413, `Maximum number of ${noun} allowed (${quota[resource]}) exceeded for quota '${resource}'.`, headers);
}

/**
The helpers every resource module gets; their closures hold the cloud's state.
*/
export function createCinderShared(state: DemoState) {
	const checkQuota = (projectId: string, wanted: Partial<Quotas>): void => {
		const quota = state.quotaOf(projectId);
		const usage = state.usageOf(projectId);
		for (const [key, amount] of Object.entries(wanted) as Array<[keyof Quotas, number]>) {
			if (quota[key] >= 0 && usage[key] + amount > quota[key]) {
				throw quotaError(key, quota, usage, amount);
			}
		}
	};

	const isVisible = <T extends {projectId: string}>(call: Call, item: T | undefined): item is T => item !== undefined && (item.projectId === call.projectId || call.auth.isAdmin);

	const getVolume = (call: Call, id: string): VolumeRecord => {
		const volume = state.volumes.get(id);
		if (!isVisible(call, volume)) {
			throw new HttpError(404, `Volume ${id} could not be found.`);
		}

		return volume;
	};

	const getBackup = (call: Call, id: string): BackupRecord => {
		const backup = state.backups.get(id);
		if (!isVisible(call, backup)) {
			throw new HttpError(404, `Backup ${id} could not be found.`);
		}

		return backup;
	};

	const getSnapshot = (call: Call, id: string): SnapshotRecord => {
		const snapshot = state.snapshots.get(id);
		if (!isVisible(call, snapshot)) {
			throw new HttpError(404, `Snapshot ${id} could not be found.`);
		}

		return snapshot;
	};

	const getType = (nameOrId: string): VolumeTypeRecord => {
		const type = state.findVolumeType(nameOrId);
		if (!type) {
			throw new HttpError(404, `Volume type with name ${nameOrId} could not be found.`);
		}

		return type;
	};

	const links = (call: Call, kind: string, id: string, projectId: string): unknown[] => [
		{href: `${call.context.origin}/volume/v3/${projectId}/${kind}/${id}`, rel: 'self'},
		{href: `${call.context.origin}/volume/${projectId}/${kind}/${id}`, rel: 'bookmark'},
	];

	/**
	Items of the caller's project, or every project's for an admin asking `all_tenants`.
	*/
	const scope = <T extends {projectId: string}>(call: Call, items: Iterable<T>): T[] => {
		const isAll = call.auth.isAdmin && ['1', 'true', 'True'].includes(call.context.query.get('all_tenants') ?? '');
		const projectFilter = call.auth.isAdmin ? call.context.query.get('project_id') : null;
		const result: T[] = [];
		for (const item of items) {
			if (projectFilter === null ? (isAll || item.projectId === call.projectId) : item.projectId === projectFilter) {
				result.push(item);
			}
		}

		return result;
	};

	const filterParameters = new Set(['limit', 'marker', 'offset', 'sort', 'sort_key', 'sort_dir', 'with_count', 'all_tenants', 'project_id']);

	const applyFilters = <T extends {name: string | null; status: string; metadata?: Record<string, string>}>(
		call: Call,
		items: T[],
		allowed: string[],
		extra: Record<string, (item: T, value: string) => boolean> = {},
	): T[] => {
		const {query} = call.context;
		let result = items;
		for (const [key, value] of query) {
			if (filterParameters.has(key)) {
				continue;
			}

			const isLike = key.endsWith('~');
			const field = isLike ? key.slice(0, -1) : key;
			if (!allowed.includes(field) && !call.auth.isAdmin) {
				if (call.mv >= 31) {
					throw new HttpError(400, `Invalid filters ${key} are found in query options.`);
				}

				continue;
			}

			result = filterItems(result, {field, value, isLike}, extra);
		}

		return result;
	};

	/**
	The table's records in the order the request asks when that order is cached, for `scope` and the filters (which keep
	the order); `isSorted` says so to `listReply`.
	*/
	const ordered = <T extends Sortable>(call: Call, table: Table<T>): {records: Iterable<T>; isSorted: boolean} => orderedRecords(table, () => parseSort(call.context.query));

	const listReply = <T extends Sortable>(call: Call, kind: ListKind, {items, isSorted}: Listed<T>, view: (item: T) => unknown): Reply => {
		const path = call.context.segments.at(-1) === 'detail' ? `${kind}/detail` : kind;
		const notFound = (marker: string): string => `${listedResource[kind]} ${marker} could not be found.`;
		const {page, next} = markerPage(items, call.context.query, `${call.base}/${path}`, {maxLimit: 1000, notFound, isSorted});
		const json: Record<string, unknown> = {[kind]: page.map(item => view(item))};
		if (next !== undefined) {
			json[`${kind}_links`] = [{href: next, rel: 'next'}];
		}

		if (call.mv >= 45 && ['true', '1', 'True'].includes(call.context.query.get('with_count') ?? '')) {
			json['count'] = items.length;
		}

		return {status: 200, json};
	};

	const touch = (item: {updatedAt: number | null}): void => {
		item.updatedAt = state.now();
	};

	const createVolumeRecord = (call: Call, fields: Partial<VolumeRecord> & {size: number; typeId: string; status: string}): VolumeRecord => {
		const type = state.volumeTypes.get(fields.typeId);
		if (type?.encryption && fields.encryptionKeyId === undefined && !call.auth.isAdmin && !call.auth.roles.has('creator')) {
			// Cinder asks Barbican with the user's token; the legacy Barbican policy refuses a plain member.
			throw new HttpError(400, 'Key manager error');
		}

		const volume = state.addVolume({projectId: call.projectId, userId: call.auth.user.id, ...fields});
		volume.updatedAt = null;
		return volume;
	};

	return {
		state, checkQuota, isVisible, getVolume, getBackup, getSnapshot, getType, links, scope, ordered, applyFilters, listReply, touch, createVolumeRecord,
	};
}

export type Cinder = ReturnType<typeof createCinderShared>;

/**
The lists that page with a marker, and the resource named in Cinder's answer to an unknown marker.
*/
const listedResource = {backups: 'Backup', snapshots: 'Snapshot', volumes: 'Volume'} as const;

type ListKind = keyof typeof listedResource;

export function isTrue(value: unknown): boolean {
	return value === true || (typeof value === 'string' && ['true', 'True', '1'].includes(value));
}

export function rejectUnknownKeys(record: Record<string, unknown>, allowed: Iterable<string>, field: string): void {
	const known = new Set(allowed);
	const unexpected = Object.keys(record).find(key => !known.has(key));
	if (unexpected !== undefined) {
		throw new HttpError(400, `Invalid input for field/attribute ${field}. Value: ${JSON.stringify(record)}. Additional properties are not allowed ('${unexpected}' was unexpected)`);
	}
}

type Filterable = {name: string | null; status: string; metadata?: Record<string, string>};

function filterItems<T extends Filterable>(
	items: T[],
	{field, value, isLike}: {field: string; value: string; isLike: boolean},
	extra: Record<string, (item: T, value: string) => boolean>,
): T[] {
	switch (field) {
		case 'name': {
			return items.filter(item => (isLike ? (item.name ?? '').includes(value) : item.name === value));
		}

		case 'status': {
			return items.filter(item => item.status === value);
		}

		case 'metadata': {
			let wanted: Record<string, string>;
			try {
				wanted = stringRecord(JSON.parse(value.replaceAll('\'', '"')), 'metadata');
			} catch {
				throw new HttpError(400, `Invalid metadata filter: ${value}`);
			}

			return items.filter(item => Object.entries(wanted).every(([key, wantedValue]) => item.metadata?.[key] === wantedValue));
		}

		default: {
			const predicate = extra[field];
			return predicate ? items.filter(item => predicate(item, value)) : items;
		}
	}
}
