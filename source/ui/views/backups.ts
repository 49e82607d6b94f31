/*
Backups: newest first, with the volume each came from and the state of its key.
*/
import type {Backup} from '../../core/types.js';
import {gib} from '../format.js';
import {displayName, sanitize} from '../sanitize.js';
import {
	ageColumn,
	defineView,
	keyColumn,
	nameCell,
	ref,
	searchText,
	volumeNameOf,
	type Summarised,
} from './columns.js';

type BackupItem = Summarised & {backup: Backup; name: string; volume: string};

function statusSymbol(status: string): {symbol: string; color: string} {
	if (status.startsWith('error')) {
		return {symbol: '✖', color: 'red'};
	}

	return status === 'available' ? {symbol: '✔', color: 'green'} : {symbol: '◷', color: 'yellow'};
}

export const backupsView = defineView<BackupItem>({
	id: 'backups',
	title: 'Backups',
	columns: [
		{
			id: 'status',
			title: 'STATUS',
			width: 11,
			value({backup}) {
				const {symbol, color} = statusSymbol(backup.status);
				return {text: `${symbol} ${sanitize(backup.status)}`, style: {color}, sort: backup.status};
			},
		},
		{
			id: 'name', title: 'NAME', width: 14, grow: true, value: ({name}) => nameCell(name),
		},
		{
			id: 'volume', title: 'VOLUME', width: 14, drop: 2, value: ({volume}) => ({text: volume, sort: volume.toLowerCase()}),
		},
		{
			id: 'size', title: 'SIZE', width: 6, align: 'right', value: ({backup}) => ({text: gib(backup.size), sort: backup.size}),
		},
		{
			id: 'incremental',
			title: 'INCR',
			width: 5,
			drop: 3,
			value: ({backup}) => ({text: backup.isIncremental ? 'incr' : 'full', sort: backup.isIncremental ? 1 : 0}),
		},
		keyColumn(({backup}) => Boolean(backup.encryptionKeyId)),
		ageColumn(({backup}) => backup.dataTimestamp ?? backup.createdAt),
	],
	defaultSort: {column: 'age', descending: false},
	items(context) {
		const volumeName = volumeNameOf(context);
		return (context.inventory?.backups ?? []).map(backup => ({
			backup, summary: context.analysis?.summaryOf(backup.id), name: displayName(backup), volume: volumeName(backup.volumeId),
		}));
	},
	identify: ({backup, name, volume}) => ({
		key: backup.id,
		ref: ref('backup', backup.id, backup.name),
		copyId: backup.id,
		search: searchText(name, backup.id, volume, backup.volumeId, backup.status, backup.isIncremental ? 'incremental' : 'full'),
		raw: backup.raw,
	}),
});
