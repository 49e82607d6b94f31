/*
Servers: the protection of each (its boot disk and attached volumes), worst first.
*/
import type {Server} from '../../core/types.js';
import {displayName, sanitize} from '../sanitize.js';
import {
	defineView,
	lastBackupColumn,
	nameCell,
	protectionColumn,
	ref,
	searchText,
	type Summarised,
} from './columns.js';

type ServerItem = Summarised & {server: Server; name: string};

export const serversView = defineView<ServerItem>({
	id: 'servers',
	title: 'Servers',
	columns: [
		protectionColumn(),
		{
			id: 'name', title: 'NAME', width: 14, grow: true, value: ({name}) => nameCell(name),
		},
		{
			id: 'status', title: 'STATUS', width: 8, drop: 2, value: ({server}) => ({text: sanitize(server.status), sort: server.status}),
		},
		{
			id: 'boot',
			title: 'BOOT',
			width: 7,
			value: ({server}) => ({text: server.bootFromVolume ? 'volume' : 'image', sort: server.bootFromVolume ? 1 : 0}),
		},
		{
			id: 'volumes',
			title: 'VOLS',
			width: 4,
			align: 'right',
			drop: 3,
			value: ({server}) => ({text: String(server.attachedVolumeIds.length), sort: server.attachedVolumeIds.length}),
		},
		lastBackupColumn(),
	],
	defaultSort: {column: 'protection', descending: false},
	items: ({inventory, analysis}) => (inventory?.servers ?? []).map(server => ({
		server, summary: analysis?.summaryOf(server.id), name: displayName(server),
	})),
	identify: ({server, summary, name}) => ({
		key: server.id,
		ref: ref('server', server.id, server.name),
		copyId: server.id,
		search: searchText(name, server.id, server.status, summary?.protection),
		raw: server.raw,
	}),
});
