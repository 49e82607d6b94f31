/*
Snapshots: newest first, with the volume each was taken of.
*/
import type {Snapshot} from '../../core/types.js';
import {gib} from '../format.js';
import {displayName, sanitize} from '../sanitize.js';
import {
	ageColumn,
	defineView,
	nameCell,
	ref,
	searchText,
	volumeNameOf,
} from './columns.js';

type SnapshotItem = {snapshot: Snapshot; name: string; volume: string};

export const snapshotsView = defineView<SnapshotItem>({
	id: 'snapshots',
	title: 'Snapshots',
	columns: [
		{
			id: 'status', title: 'STATUS', width: 11, value: ({snapshot}) => ({text: sanitize(snapshot.status), sort: snapshot.status}),
		},
		{
			id: 'name', title: 'NAME', width: 16, grow: true, value: ({name}) => nameCell(name),
		},
		{
			id: 'volume', title: 'VOLUME', width: 16, drop: 2, value: ({volume}) => ({text: volume, sort: volume.toLowerCase()}),
		},
		{
			id: 'size', title: 'SIZE', width: 6, align: 'right', value: ({snapshot}) => ({text: gib(snapshot.size), sort: snapshot.size}),
		},
		ageColumn(({snapshot}) => snapshot.createdAt),
	],
	defaultSort: {column: 'age', descending: false},
	items(context) {
		const volumeName = volumeNameOf(context);
		return (context.inventory?.snapshots ?? []).map(snapshot => ({
			snapshot, name: displayName(snapshot), volume: volumeName(snapshot.volumeId),
		}));
	},
	identify: ({snapshot, name, volume}) => ({
		key: snapshot.id,
		ref: ref('snapshot', snapshot.id, snapshot.name),
		copyId: snapshot.id,
		search: searchText(name, snapshot.id, volume, snapshot.volumeId, snapshot.status),
		raw: snapshot.raw,
	}),
});
