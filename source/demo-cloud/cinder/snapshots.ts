/* eslint-disable @typescript-eslint/no-restricted-types -- OpenStack's JSON has nulls; records mirror it. */
/* eslint-disable @typescript-eslint/naming-convention -- OpenStack's wire format is snake_case. */
/* eslint-disable unicorn/no-immediate-mutation -- views add fields that depend on the microversion and the caller. */
/*
Cinder snapshots: list, create, show, delete; createSnapshotRecord is also how Nova snapshots a boot-from-volume server.
*/
import {requireMember, requireReader} from '../auth.js';
import {
	HttpError,
	isRecord,
	jsonBody,
	naiveMicro,
	optionalString,
	stringRecord,
	uuid,
	type Router,
} from '../http.js';
import type {Listed} from '../paging.js';
import type {DemoState, SnapshotRecord, VolumeRecord} from '../state.js';
import {isTrue, type Call, type Cinder} from './shared.js';

export function addSnapshotRoutes(router: Router<Call>, cinder: Cinder): void {
	const {
		state, getVolume, getSnapshot, scope, ordered, applyFilters, listReply, touch, checkQuota,
	} = cinder;

	const snapshotView = (call: Call, snapshot: SnapshotRecord): Record<string, unknown> => {
		const view: Record<string, unknown> = {
			created_at: naiveMicro(snapshot.createdAt),
			description: snapshot.description,
			id: snapshot.id,
			metadata: snapshot.metadata,
			name: snapshot.name,
			'os-extended-snapshot-attributes:progress': snapshot.status === 'creating' ? '0%' : '100%',
			'os-extended-snapshot-attributes:project_id': snapshot.projectId,
			size: snapshot.size,
			status: snapshot.status,
			updated_at: snapshot.updatedAt === null ? null : naiveMicro(snapshot.updatedAt),
			volume_id: snapshot.volumeId,
		};
		if (call.mv >= 14) {
			view['group_snapshot_id'] = null;
		}

		if (call.mv >= 41) {
			view['user_id'] = snapshot.userId;
		}

		if (call.mv >= 65) {
			view['consumes_quota'] = true;
		}

		return view;
	};

	// Routes: snapshots

	const snapshotList = (call: Call): Listed<SnapshotRecord> => {
		requireReader(call.auth, 'volume:get_all_snapshots');
		const {records, isSorted} = ordered(call, state.snapshots);
		return {
			isSorted,
			items: applyFilters(call, scope(call, records), ['name', 'status', 'volume_id', 'metadata', 'availability_zone'], {
				volume_id: (snapshot, value) => snapshot.volumeId === value,
			}),
		};
	};

	router.add('GET', 'snapshots', call => listReply(call, 'snapshots', snapshotList(call), snapshot => snapshotView(call, snapshot)));
	router.add('GET', 'snapshots/detail', call => listReply(call, 'snapshots', snapshotList(call), snapshot => snapshotView(call, snapshot)));

	router.add('POST', 'snapshots', call => {
		requireMember(call.auth, 'volume:create_snapshot');
		const spec = jsonBody(call.context)['snapshot'];
		if (!isRecord(spec)) {
			throw new HttpError(400, 'Missing required element \'snapshot\' in request body.');
		}

		const volume = getVolume(call, optionalString(spec['volume_id'], 'volume_id') ?? '');
		const isForce = isTrue(spec['force']);
		if (volume.status !== 'available' && !(volume.status === 'in-use' && (isForce || call.mv >= 66))) {
			throw new HttpError(400, `Invalid volume: Volume ${volume.id} status must be available, but current status is: ${volume.status}.`);
		}

		checkQuota(call.projectId, {snapshots: 1, gigabytes: volume.size});
		const snapshot = createSnapshotRecord(state, volume, call.auth.user.id, {
			name: optionalString(spec['name'] ?? spec['display_name'], 'name') ?? null,
			description: optionalString(spec['description'] ?? spec['display_description'], 'description') ?? null,
			metadata: stringRecord(spec['metadata'], 'metadata'),
		});
		return {status: 202, json: {snapshot: snapshotView(call, snapshot)}};
	});

	router.add('GET', 'snapshots/:id', (call, {id = ''}) => {
		requireReader(call.auth, 'volume:get_snapshot');
		return {status: 200, json: {snapshot: snapshotView(call, getSnapshot(call, id))}};
	});

	router.add('DELETE', 'snapshots/:id', (call, {id = ''}) => {
		requireMember(call.auth, 'volume:delete_snapshot');
		const snapshot = getSnapshot(call, id);
		if (!['available', 'error'].includes(snapshot.status)) {
			throw new HttpError(400, `Invalid snapshot: Volume Snapshot status must be available or error, but current status is: ${snapshot.status}.`);
		}

		snapshot.status = 'deleting';
		touch(snapshot);
		state.later('snapshotDelete', () => {
			state.snapshots.delete(id);
		});
		return {status: 202};
	});
}

/**
A snapshot that becomes available after the configured delay; it reuses the volume's key (no clone).
*/
export function createSnapshotRecord(
	state: DemoState,
	volume: VolumeRecord,
	userId: string,
	fields: {name: string | null; description: string | null; metadata?: Record<string, string>},
): SnapshotRecord {
	const snapshot: SnapshotRecord = {
		id: uuid(),
		projectId: volume.projectId,
		userId,
		name: fields.name,
		description: fields.description,
		status: 'creating',
		size: volume.size,
		volumeId: volume.id,
		metadata: fields.metadata ?? {},
		createdAt: state.now(),
		updatedAt: null,
	};
	state.snapshots.set(snapshot.id, snapshot);
	state.later('snapshotCreate', () => {
		if (state.snapshots.get(snapshot.id)?.status !== 'creating') {
			return;
		}

		snapshot.status = 'available';
		snapshot.updatedAt = state.now();
	});
	return snapshot;
}
