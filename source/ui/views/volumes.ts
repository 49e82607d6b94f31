/*
Volumes: the protection of each, worst first.
*/
import type {Volume} from '../../core/types.js';
import {gib} from '../format.js';
import {displayName, sanitize} from '../sanitize.js';
import {
	defineView,
	keyColumn,
	lastBackupColumn,
	nameCell,
	orElse,
	protectionColumn,
	ref,
	searchText,
	type Summarised,
} from './columns.js';

type VolumeItem = Summarised & {volume: Volume; name: string};

export const volumesView = defineView<VolumeItem>({
	id: 'volumes',
	title: 'Volumes',
	columns: [
		protectionColumn(),
		{
			id: 'name', title: 'NAME', width: 14, grow: true, value: ({volume, name}, {marks}) => nameCell(name, marks?.has(volume.id)),
		},
		{
			id: 'size', title: 'SIZE', width: 6, align: 'right', value: ({volume}) => ({text: gib(volume.size), sort: volume.size}),
		},
		{
			id: 'type',
			title: 'TYPE',
			width: 12,
			drop: 2,
			value: ({volume}) => ({text: orElse(sanitize(volume.volumeType), '—'), sort: volume.volumeType ?? ''}),
		},
		{
			id: 'status', title: 'STATUS', width: 10, drop: 3, value: ({volume}) => ({text: sanitize(volume.status), sort: volume.status}),
		},
		keyColumn(({volume}) => volume.encrypted),
		lastBackupColumn(),
	],
	defaultSort: {column: 'protection', descending: false},
	items: ({inventory, analysis}) => (inventory?.volumes ?? []).map(volume => ({
		volume, summary: analysis?.summaryOf(volume.id), name: displayName(volume),
	})),
	identify: ({volume, summary, name}) => ({
		key: volume.id,
		ref: ref('volume', volume.id, volume.name),
		copyId: volume.id,
		search: searchText(name, volume.id, volume.volumeType, volume.status, summary?.protection, volume.encrypted ? 'encrypted' : ''),
		raw: volume.raw,
	}),
});
