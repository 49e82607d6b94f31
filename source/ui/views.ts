/*
The views as data (k9s renderers): for each, its columns and a pure function from the inventory and its analysis to rows.
Every cloud-supplied string is sanitised here, once, so components only ever see safe text.
*/
import type {
	Finding,
	Inventory,
	ResourceKind,
	ResourceRef,
	Severity,
} from '../core/model.js';
import type {Project} from '../core/types.js';
import type {Analysis, ResourceSummary} from './analysis.js';
import {age, bytes, gib} from './format.js';
import {sanitize} from './sanitize.js';
import {keyStateStyle, protectionStyle, severityStyle} from './theme.js';

export type ViewId = 'audit' | 'volumes' | 'backups' | 'snapshots' | 'servers' | 'images' | 'secrets' | 'projects' | 'clouds';

export type Column = {
	id: string;
	title: string;
	/**
	Cells; the `grow` column also takes whatever width is left.
	*/
	width: number;
	grow?: boolean;
	align?: 'left' | 'right';
	/**
	Columns with a higher number are dropped first when the terminal is narrow. 0 = always shown.
	*/
	drop?: number;
};

export type CellStyle = {color?: string};

export type Row = {
	key: string;
	ref?: ResourceRef;
	/**
	What `c` copies.
	*/
	copyId?: string;
	cells: string[];
	/**
	Per cell: a colour (only when the theme allows colour).
	*/
	styles?: Array<CellStyle | undefined>;
	/**
	Per column, the value sorting uses.
	*/
	sort: Array<string | number>;
	/**
	Lower-case text the `/` filter searches.
	*/
	search: string;
	/**
	The resource as the cloud returned it, for `y`.
	*/
	raw?: unknown;
	/**
	Where Enter goes instead of the detail pane.
	*/
	enter?: {type: 'switch-project'; projectId: string} | {type: 'switch-cloud'; cloud: string};
	/**
	The finding a row of the audit stands for.
	*/
	finding?: Finding;
};

export type CloudEntry = {name: string; source: string};

export type ViewContext = {
	inventory?: Inventory;
	analysis?: Analysis;
	now: Date;
	projects: Project[];
	clouds: CloudEntry[];
	cloud?: string;
	projectId?: string;
	/**
	Volumes marked for protect-now: shown with a ● before the name.
	*/
	marks?: ReadonlySet<string>;
};

export type ViewSpec = {
	id: ViewId;
	title: string;
	columns: Column[];
	/**
	Index of the column sorted on by default, and whether descending.
	*/
	defaultSort: {column: number; descending: boolean};
	build(context: ViewContext): Row[];
};

const severityRank: Record<Severity, number> = {
	critical: 0, warning: 1, info: 2, ok: 3,
};
const protectionRank: Record<ResourceSummary['protection'], number> = {
	error: 0, unprotected: 1, unknown: 2, 'snapshot-only': 3, stale: 4, protected: 5, verified: 6, 'n/a': 7,
};

function protectionCell(summary: ResourceSummary | undefined): {text: string; style: CellStyle; rank: number} {
	if (summary === undefined) {
		return {text: '… reading', style: {}, rank: 9};
	}

	const style = protectionStyle[summary.protection];
	return {text: `${style.symbol} ${style.label}`, style: {color: style.color}, rank: protectionRank[summary.protection]};
}

function keyCell(summary: ResourceSummary | undefined, isEncrypted: boolean): {text: string; style: CellStyle} {
	if (!isEncrypted && (summary === undefined || summary.keyState === 'none')) {
		return {text: '-', style: {}};
	}

	const state = summary?.keyState ?? 'unknown';
	const style = keyStateStyle[state === 'none' ? 'unknown' : state];
	return {text: `${style.symbol} ${state}`, style: {color: style.color}};
}

function backupSymbol(status: string): string {
	if (status.startsWith('error')) {
		return '✖';
	}

	return status === 'available' ? '✔' : '◷';
}

function backupColor(status: string): string {
	if (status.startsWith('error')) {
		return 'red';
	}

	return status === 'available' ? 'green' : 'yellow';
}

/**
The text, or the fallback when the text is empty.
*/
function orElse(text: string, fallback: string): string {
	return text === '' ? fallback : text;
}

function time(iso: string | undefined): number {
	const value = iso === undefined ? NaN : Date.parse(iso);
	return Number.isNaN(value) ? 0 : value;
}

function searchText(...parts: Array<string | undefined>): string {
	return parts.filter(Boolean).join(' ').toLowerCase();
}

function ref(kind: ResourceKind, id: string, name?: string): ResourceRef {
	return {kind, id, name: name === undefined ? undefined : sanitize(name)};
}

/**
A name with the protect-now mark in front.
*/
function markedName(name: string, isMarked: boolean): string {
	return isMarked ? `● ${name}` : name;
}

const auditView: ViewSpec = {
	id: 'audit',
	title: 'Audit',
	columns: [
		{id: 'severity', title: 'SEV', width: 6},
		{
			id: 'kind', title: 'KIND', width: 8, drop: 2,
		},
		{id: 'name', title: 'RESOURCE', width: 18},
		{
			id: 'reason', title: 'FINDING', width: 20, grow: true,
		},
	],
	defaultSort: {column: 0, descending: false},
	build({analysis, marks}) {
		return (analysis?.findings ?? []).map((finding, index) => {
			const style = severityStyle[finding.severity];
			const name = sanitize(finding.resource.name ?? finding.resource.id);
			const isMarked = finding.resource.kind === 'volume' && (marks?.has(finding.resource.id) ?? false);
			const reason = sanitize(finding.reason);
			return {
				key: `${finding.code}:${finding.resource.kind}:${finding.resource.id}:${index}`,
				ref: {...finding.resource, name: finding.resource.name === undefined ? undefined : sanitize(finding.resource.name)},
				copyId: finding.resource.id,
				cells: [`${style.symbol} ${style.label}`, finding.resource.kind, markedName(name, isMarked), reason],
				styles: [{color: style.color}],
				sort: [severityRank[finding.severity], finding.resource.kind, name.toLowerCase(), reason],
				search: searchText(finding.severity, finding.code, finding.resource.kind, name, finding.resource.id, reason),
				finding,
			};
		});
	},
};

const volumesView: ViewSpec = {
	id: 'volumes',
	title: 'Volumes',
	columns: [
		{id: 'protection', title: 'PROTECTION', width: 13},
		{
			id: 'name', title: 'NAME', width: 14, grow: true,
		},
		{
			id: 'size', title: 'SIZE', width: 6, align: 'right',
		},
		{
			id: 'type', title: 'TYPE', width: 12, drop: 2,
		},
		{
			id: 'status', title: 'STATUS', width: 10, drop: 3,
		},
		{id: 'key', title: 'KEY', width: 10},
		{
			id: 'backup', title: 'BACKUP', width: 7, align: 'right',
		},
	],
	defaultSort: {column: 0, descending: false},
	build({
		inventory, analysis, now, marks,
	}) {
		return (inventory?.volumes ?? []).map(volume => {
			const summary = analysis?.summaryOf(volume.id);
			const protection = protectionCell(summary);
			const key = keyCell(summary, volume.encrypted);
			const name = orElse(sanitize(volume.name), volume.id);
			const lastBackup = summary?.lastBackupAt;
			return {
				key: volume.id,
				ref: ref('volume', volume.id, volume.name),
				copyId: volume.id,
				cells: [
					protection.text,
					markedName(name, marks?.has(volume.id) ?? false),
					gib(volume.size),
					orElse(sanitize(volume.volumeType), '—'),
					sanitize(volume.status),
					key.text,
					age(lastBackup, now),
				],
				styles: [protection.style, undefined, undefined, undefined, undefined, key.style],
				sort: [protection.rank, name.toLowerCase(), volume.size, volume.volumeType ?? '', volume.status, key.text, -time(lastBackup)],
				search: searchText(name, volume.id, volume.volumeType, volume.status, summary?.protection, volume.encrypted ? 'encrypted' : ''),
				raw: volume.raw,
			};
		});
	},
};

const backupsView: ViewSpec = {
	id: 'backups',
	title: 'Backups',
	columns: [
		{id: 'status', title: 'STATUS', width: 11},
		{
			id: 'name', title: 'NAME', width: 14, grow: true,
		},
		{
			id: 'volume', title: 'VOLUME', width: 14, drop: 2,
		},
		{
			id: 'size', title: 'SIZE', width: 6, align: 'right',
		},
		{
			id: 'incremental', title: 'INCR', width: 5, drop: 3,
		},
		{id: 'key', title: 'KEY', width: 10},
		{
			id: 'age', title: 'AGE', width: 5, align: 'right',
		},
	],
	defaultSort: {column: 6, descending: false},
	build({inventory, analysis, now}) {
		const volumeNames = new Map((inventory?.volumes ?? []).map(volume => [volume.id, orElse(sanitize(volume.name), volume.id)]));
		return (inventory?.backups ?? []).map(backup => {
			const summary = analysis?.summaryOf(backup.id);
			const name = orElse(sanitize(backup.name), backup.id);
			const volume = volumeNames.get(backup.volumeId) ?? `gone ${backup.volumeId.slice(0, 8)}`;
			const key = keyCell(summary, Boolean(backup.encryptionKeyId));
			const when = backup.dataTimestamp ?? backup.createdAt;
			return {
				key: backup.id,
				ref: ref('backup', backup.id, backup.name),
				copyId: backup.id,
				cells: [`${backupSymbol(backup.status)} ${sanitize(backup.status)}`, name, volume, gib(backup.size), backup.isIncremental ? 'incr' : 'full', key.text, age(when, now)],
				styles: [{color: backupColor(backup.status)}, undefined, undefined, undefined, undefined, key.style],
				sort: [backup.status, name.toLowerCase(), volume.toLowerCase(), backup.size, backup.isIncremental ? 1 : 0, key.text, -time(when)],
				search: searchText(name, backup.id, volume, backup.volumeId, backup.status, backup.isIncremental ? 'incremental' : 'full'),
				raw: backup.raw,
			};
		});
	},
};

const snapshotsView: ViewSpec = {
	id: 'snapshots',
	title: 'Snapshots',
	columns: [
		{id: 'status', title: 'STATUS', width: 11},
		{
			id: 'name', title: 'NAME', width: 16, grow: true,
		},
		{
			id: 'volume', title: 'VOLUME', width: 16, drop: 2,
		},
		{
			id: 'size', title: 'SIZE', width: 6, align: 'right',
		},
		{
			id: 'age', title: 'AGE', width: 5, align: 'right',
		},
	],
	defaultSort: {column: 4, descending: false},
	build({inventory, now}) {
		const volumeNames = new Map((inventory?.volumes ?? []).map(volume => [volume.id, orElse(sanitize(volume.name), volume.id)]));
		return (inventory?.snapshots ?? []).map(snapshot => {
			const name = orElse(sanitize(snapshot.name), snapshot.id);
			const volume = volumeNames.get(snapshot.volumeId) ?? `gone ${snapshot.volumeId.slice(0, 8)}`;
			return {
				key: snapshot.id,
				ref: ref('snapshot', snapshot.id, snapshot.name),
				copyId: snapshot.id,
				cells: [sanitize(snapshot.status), name, volume, gib(snapshot.size), age(snapshot.createdAt, now)],
				sort: [snapshot.status, name.toLowerCase(), volume.toLowerCase(), snapshot.size, -time(snapshot.createdAt)],
				search: searchText(name, snapshot.id, volume, snapshot.volumeId, snapshot.status),
				raw: snapshot.raw,
			};
		});
	},
};

const serversView: ViewSpec = {
	id: 'servers',
	title: 'Servers',
	columns: [
		{id: 'protection', title: 'PROTECTION', width: 13},
		{
			id: 'name', title: 'NAME', width: 14, grow: true,
		},
		{
			id: 'status', title: 'STATUS', width: 8, drop: 2,
		},
		{id: 'boot', title: 'BOOT', width: 7},
		{
			id: 'volumes', title: 'VOLS', width: 4, align: 'right', drop: 3,
		},
		{
			id: 'backup', title: 'BACKUP', width: 7, align: 'right',
		},
	],
	defaultSort: {column: 0, descending: false},
	build({inventory, analysis, now}) {
		return (inventory?.servers ?? []).map(server => {
			const summary = analysis?.summaryOf(server.id);
			const protection = protectionCell(summary);
			const name = orElse(sanitize(server.name), server.id);
			return {
				key: server.id,
				ref: ref('server', server.id, server.name),
				copyId: server.id,
				cells: [protection.text, name, sanitize(server.status), server.bootFromVolume ? 'volume' : 'image', String(server.attachedVolumeIds.length), age(summary?.lastBackupAt, now)],
				styles: [protection.style],
				sort: [protection.rank, name.toLowerCase(), server.status, server.bootFromVolume ? 1 : 0, server.attachedVolumeIds.length, -time(summary?.lastBackupAt)],
				search: searchText(name, server.id, server.status, summary?.protection),
				raw: server.raw,
			};
		});
	},
};

const imagesView: ViewSpec = {
	id: 'images',
	title: 'Images',
	columns: [
		{id: 'status', title: 'STATUS', width: 9},
		{
			id: 'name', title: 'NAME', width: 16, grow: true,
		},
		{
			id: 'type', title: 'MADE BY', width: 9, drop: 2,
		},
		{
			id: 'size', title: 'SIZE', width: 6, align: 'right',
		},
		{id: 'key', title: 'KEY', width: 10},
		{
			id: 'visibility', title: 'VISIBILITY', width: 10, drop: 3,
		},
		{
			id: 'age', title: 'AGE', width: 5, align: 'right',
		},
	],
	defaultSort: {column: 6, descending: false},
	build({inventory, analysis, now}) {
		return (inventory?.images ?? []).map(image => {
			const summary = analysis?.summaryOf(image.id);
			const name = orElse(sanitize(image.name), image.id);
			const key = keyCell(summary, Boolean(image.cinderEncryptionKeyId));
			let madeBy = image.cinderEncryptionKeyId === undefined ? '—' : 'cinder';
			if (image.imageType !== undefined) {
				madeBy = `nova ${sanitize(image.imageType)}`;
			}

			return {
				key: image.id,
				ref: ref('image', image.id, image.name),
				copyId: image.id,
				cells: [sanitize(image.status), name, madeBy, bytes(image.size), key.text, sanitize(image.visibility) + (image.hidden ? ' (h)' : ''), age(image.createdAt, now)],
				styles: [undefined, undefined, undefined, undefined, key.style],
				sort: [image.status, name.toLowerCase(), madeBy, image.size ?? -1, key.text, image.visibility, -time(image.createdAt)],
				search: searchText(name, image.id, image.status, madeBy, image.visibility),
				raw: image.raw,
			};
		});
	},
};

const secretsView: ViewSpec = {
	id: 'secrets',
	title: 'Secrets',
	columns: [
		{id: 'status', title: 'STATUS', width: 9},
		{
			id: 'name', title: 'NAME', width: 16, grow: true,
		},
		{
			id: 'type', title: 'TYPE', width: 10, drop: 3,
		},
		{
			id: 'algorithm', title: 'ALGORITHM', width: 12, drop: 2,
		},
		{id: 'severity', title: 'USE', width: 8},
		{
			id: 'age', title: 'AGE', width: 5, align: 'right',
		},
	],
	defaultSort: {column: 5, descending: false},
	build({inventory, analysis, now}) {
		return (inventory?.secrets ?? []).map(secret => {
			const summary = analysis?.summaryOf(secret.id);
			const name = orElse(sanitize(secret.name), '(unnamed)');
			const algorithm = [secret.algorithm, secret.bitLength, secret.mode].filter(Boolean).map(part => sanitize(part)).join('-');
			const severity = summary?.severity ?? 'ok';
			const use = severity === 'ok' ? 'in use' : (severity === 'info' ? 'orphan?' : severityStyle[severity].label);
			return {
				key: secret.id,
				ref: ref('secret', secret.id, secret.name),
				copyId: secret.id,
				cells: [sanitize(secret.status), name, sanitize(secret.secretType), orElse(algorithm, '—'), use, age(secret.createdAt, now)],
				styles: [undefined, undefined, undefined, undefined, {color: severityStyle[severity].color}],
				sort: [secret.status, name.toLowerCase(), secret.secretType, algorithm, severityRank[severity], -time(secret.createdAt)],
				search: searchText(name, secret.id, secret.secretType, algorithm, use),
				raw: secret.raw,
			};
		});
	},
};

const projectsView: ViewSpec = {
	id: 'projects',
	title: 'Projects',
	columns: [
		{id: 'current', title: ' ', width: 2},
		{
			id: 'name', title: 'NAME', width: 20, grow: true,
		},
		{
			id: 'id', title: 'ID', width: 32, drop: 2,
		},
		{id: 'enabled', title: 'ENABLED', width: 7},
	],
	defaultSort: {column: 1, descending: false},
	build({projects, projectId}) {
		return projects.map(project => {
			const name = orElse(sanitize(project.name), project.id);
			const isCurrent = project.id === projectId;
			return {
				key: project.id,
				ref: ref('project', project.id, project.name),
				copyId: project.id,
				cells: [isCurrent ? '▶' : ' ', name, project.id, project.enabled ? 'yes' : 'no'],
				styles: [{color: 'green'}],
				sort: [isCurrent ? 0 : 1, name.toLowerCase(), project.id, project.enabled ? 0 : 1],
				search: searchText(name, project.id),
				enter: {type: 'switch-project', projectId: project.id},
			};
		});
	},
};

const cloudsView: ViewSpec = {
	id: 'clouds',
	title: 'Clouds',
	columns: [
		{id: 'current', title: ' ', width: 2},
		{id: 'name', title: 'NAME', width: 20},
		{
			id: 'source', title: 'DEFINED IN', width: 20, grow: true,
		},
	],
	defaultSort: {column: 1, descending: false},
	build({clouds, cloud}) {
		return clouds.map(entry => {
			const name = sanitize(entry.name);
			return {
				key: entry.name,
				copyId: entry.name,
				cells: [entry.name === cloud ? '▶' : ' ', name, sanitize(entry.source)],
				styles: [{color: 'green'}],
				sort: [entry.name === cloud ? 0 : 1, name.toLowerCase(), entry.source],
				search: searchText(name, entry.source),
				enter: {type: 'switch-cloud', cloud: entry.name},
			};
		});
	},
};

export const views: readonly ViewSpec[] = [
	auditView, volumesView, backupsView, snapshotsView, serversView, imagesView, secretsView, projectsView, cloudsView,
];

export function viewById(id: ViewId): ViewSpec {
	return views.find(view => view.id === id) ?? auditView;
}

/**
Filters (every space-separated word must occur) and sorts the rows; stable.
*/
export function arrange(rows: readonly Row[], options: {filter: string; sortColumn: number; descending: boolean}): Row[] {
	const words = options.filter.toLowerCase().split(/\s+/v).filter(Boolean);
	const kept = words.length === 0 ? [...rows] : rows.filter(row => words.every(word => row.search.includes(word)));
	const direction = options.descending ? -1 : 1;
	return kept
		.map((row, index) => ({row, index}))
		.toSorted((left, right) => {
			const a = left.row.sort[options.sortColumn];
			const b = right.row.sort[options.sortColumn];
			let order = 0;
			if (typeof a === 'number' && typeof b === 'number') {
				order = a - b;
			} else if (a !== undefined && b !== undefined) {
				order = String(a).localeCompare(String(b));
			}

			return order === 0 ? left.index - right.index : order * direction;
		})
		.map(entry => entry.row);
}

/**
Column widths for the available width: drop the least important columns until the fixed ones fit, then grow.
*/
export function layoutColumns(columns: readonly Column[], width: number): Array<{column: Column; index: number; width: number}> {
	let shown = columns.map((column, index) => ({column, index}));
	const needed = (list: typeof shown) => list.reduce((sum, entry) => sum + entry.column.width + 1, 0);
	while (needed(shown) > width) {
		const worst = Math.max(...shown.map(entry => entry.column.drop ?? 0));
		if (worst === 0) {
			break;
		}

		const position = shown.findLastIndex(entry => (entry.column.drop ?? 0) === worst);
		shown = shown.filter((_, index) => index !== position);
	}

	const spare = Math.max(0, width - needed(shown));
	return shown.map(entry => ({
		...entry,
		width: entry.column.width + (entry.column.grow ? spare : 0),
	}));
}
