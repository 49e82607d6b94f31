/*
Backups: newest first, with the volume each came from and the state of its key.
*/
import type {Backup} from '../../core/types.js';
import type {Restorability} from '../../core/model.js';
import {age, gib} from '../format.js';
import {restorabilityStyle} from '../theme.js';
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

// Sorting by RESTORE puts what would not restore first.
const restorabilityRank: Record<Restorability, number> = {
	'drill-failed': 0, 'key-gone': 1, 'type-gone': 2, 'chain-broken': 3, 'type-unknown': 4, 'not-available': 5, restorable: 6, verified: 7,
};

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
			// First: whether it would restore, the word people read under stress (Cinder's status is beside it).
			id: 'restore',
			title: 'RESTORE',
			width: 14,
			value({backup, summary}) {
				const word = summary?.restorability ?? 'restorable';
				if (word === 'not-available') {
					// Not restorable while Cinder says anything but available: say what it says.
					const {symbol, color} = statusSymbol(backup.status);
					return {text: `${symbol} ${sanitize(backup.status)}`, style: {color}, sort: restorabilityRank[word]};
				}

				const style = restorabilityStyle[word];
				return {text: `${style.symbol} ${style.label}`, style: {color: style.color}, sort: restorabilityRank[word]};
			},
		},
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
			id: 'name', title: 'NAME', width: 20, grow: true, value: ({backup, name}, {marks}) => nameCell(name, marks?.has(backup.id)),
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
		{
			id: 'drilled',
			title: 'DRILLED',
			width: 7,
			drop: 1,
			value({summary}, {now}) {
				const drill = summary?.drill;
				if (drill === undefined) {
					return {text: 'never', style: {color: 'gray'}, sort: Infinity};
				}

				const isOk = drill.result === 'ok';
				return {text: `${isOk ? '✔' : '✖'} ${age(drill.at, now)}`, style: {color: isOk ? 'green' : 'red'}, sort: now.getTime() - Date.parse(drill.at)};
			},
		},
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
