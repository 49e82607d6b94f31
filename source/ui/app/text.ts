/*
The App's words around the table: the status line, what an empty table says, the title of the text being read, the raw
JSON, and the notice of plans an earlier run left unfinished. Every cloud-supplied string passes through sanitize().
*/
import path from 'node:path';
import type {AppServices} from '../services.js';
import type {InputContext} from '../keymap.js';
import type {Row} from '../views/index.js';
import {displayName, sanitize} from '../sanitize.js';
import type {CloudState, ListProgress} from '../use-cloud.js';
import {listServices, type Inventory, type InventoryList} from '../../core/model.js';
import {inventoryIds, unmatchedStateFiles, type IacMap} from '../../core/iac/state.js';

/**
Lines above and below the table: title, capabilities, tabs, table header, status, footer (+ the demo banner).
*/
export function chromeLines(hasBanner: boolean): number {
	return 6 + (hasBanner ? 1 : 0);
}

export function jsonLines(value: unknown): string[] {
	let text: string;
	try {
		text = JSON.stringify(value, undefined, 2) ?? 'undefined';
	} catch {
		text = '(not serialisable)';
	}

	// JSON.stringify escapes control characters inside strings; sanitise anyway, this is cloud-supplied text.
	return text.split('\n').map(line => sanitize(line));
}

export function scrollTitle(mode: InputContext, row: Row | undefined): string {
	if (mode === 'help') {
		return 'Keys (Esc closes)';
	}

	return mode === 'raw' ? `Raw JSON of ${row?.ref?.kind ?? 'row'} ${row?.ref === undefined ? '' : displayName(row.ref)} (Esc closes)` : 'Detail (Esc back, y raw JSON, c copy ID)';
}

export function emptyText(cloud: CloudState, title: string, filter: string): string {
	if (cloud.inventory === undefined && cloud.phase !== 'idle') {
		return 'loading…';
	}

	if (filter !== '') {
		return 'no row matches the filter';
	}

	// Every resource that holds data gives at least one finding (even "protected"): none means nothing to protect.
	return title === 'Audit' ? 'no findings: this project holds no volumes, servers, images or secrets' : `no ${title.toLowerCase()}`;
}

/**
The first status line when an earlier run left plans unfinished: what they created, and the command that resumes or
removes it.
*/
/**
The status line's word on a state file that could not be read (the TUI runs on without the Terraform addresses).
*/
export function iacProblemNotice(problem: string | undefined): string | undefined {
	return problem === undefined ? undefined : `⚠ terraform state not read, addresses not shown: ${sanitize(problem)}`;
}

/**
The status line's word on state files none of whose resources is in the project read, or undefined.
*/
export function iacWarningNotice(map: IacMap, inventory: Inventory): string | undefined {
	const [file, ...others] = unmatchedStateFiles(map, inventoryIds(inventory));
	if (file === undefined) {
		return undefined;
	}

	// What it means first, then the file's name, then its path: the line is cut at the terminal's width.
	const name = sanitize(path.basename(file.file));
	const more = others.length > 0 ? ` (+${others.length} more)` : '';
	const said = file.ids.length === 0
		? `terraform: ${name} holds no OpenStack volume, server, image or secret${more}`
		: `terraform: another workspace? nothing of ${name} is in project ${sanitize(inventory.project.name)} of cloud ${sanitize(inventory.cloud)}${more}`;
	return `⚠ ${said}. Check --tfstate or the tfstate setting (${sanitize(file.file)}).`;
}

export function unfinishedNotice(plans: NonNullable<AppServices['unfinishedPlans']>): string | undefined {
	if (plans.length === 0) {
		return undefined;
	}

	const created = plans.flatMap(plan => plan.leftovers.map(resource => `${resource.kind} ${displayName(resource)}`));
	const what = created.length === 0 ? 'nothing created yet' : `created ${created.join(', ')}`;
	const more = plans.length > 1 ? `; ${plans.length - 1} more: backstack journal` : '';
	return `⚠ unfinished plan from an earlier run: backstack journal resume|cleanup ${sanitize(plans[0]?.planId ?? '')} (${what}${more})`;
}

/**
How long a list may stay silent before the status line names it as waited for.
*/
export const quietNoticeMs = 2000;

const serviceTitles: Record<(typeof listServices)[InventoryList], string> = {
	identity: 'Keystone', cinder: 'Cinder', glance: 'Glance', nova: 'Nova', barbican: 'Barbican',
};

/**
The reading's progress: the lists that went silent first ("waiting for Cinder (volumes) 12 s"), then the counts so far.
*/
export function readingText(progress: CloudState['progress'], isFirst: boolean): string {
	const entries = Object.entries(progress) as Array<[InventoryList, ListProgress]>;
	const waiting = entries
		.filter(([, list]) => !list.done && list.quietMs >= quietNoticeMs)
		.toSorted(([, a], [, b]) => b.quietMs - a.quietMs)
		.map(([name, list]) => `${serviceTitles[listServices[name]]} (${name}) ${Math.floor(list.quietMs / 1000)} s`);
	const counts = entries.filter(([, list]) => list.count > 0).map(([name, list]) => `${name} ${list.count}`).join(' · ');
	const verb = isFirst ? 'reading' : 'refreshing';
	return waiting.length > 0 ? `waiting for ${waiting.join(', ')}…  ${verb}: ${counts}` : `${verb}… ${counts}`;
}

/**
How many volumes (protect-now) and backups (drill) of the inventory are marked.
*/
export function markCounts(inventory: Inventory | undefined, marks: ReadonlySet<string>): {volumes: number; backups: number} {
	return {
		volumes: inventory?.volumes.filter(volume => marks.has(volume.id)).length ?? 0,
		backups: inventory?.backups.filter(backup => marks.has(backup.id)).length ?? 0,
	};
}

export function statusLine(options: {cloud: CloudState; message?: string; filter: string; isFiltering: boolean; shown: number; total: number; marked: {volumes: number; backups: number}}): string {
	const {cloud} = options;
	let status = options.message ?? '';
	if (cloud.phase === 'connecting' || cloud.phase === 'failed') {
		status = cloud.status ?? '';
	} else if (cloud.phase === 'reading') {
		const reading = readingText(cloud.progress, cloud.inventory === undefined);
		status = options.message === undefined ? reading : `${options.message}  ${reading}`;
	}

	if (options.isFiltering || options.filter !== '') {
		const cursor = options.isFiltering ? '█' : '';
		status = `/${options.filter}${cursor}  ${options.shown}/${options.total} rows${status === '' ? '' : `  ${status}`}`;
	}

	const {volumes, backups} = options.marked;
	if (volumes + backups > 0) {
		const parts = [volumes > 0 ? `${volumes} marked · P protects now` : '', backups > 0 ? `${backups} backup${backups === 1 ? '' : 's'} marked · D drills` : ''];
		const marks = `● ${parts.filter(part => part !== '').join(' · ')}`;
		status = status === '' ? marks : `${marks}  ${status}`;
	}

	return status === '' ? ' ' : status;
}
