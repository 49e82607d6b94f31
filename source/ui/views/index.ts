/*
The views as data (k9s renderers): each module under views/ declares its columns (how each shows an item) and its items;
this list is the order of the tabs and of the 1-9 keys. Every cloud-supplied string is sanitised in the view modules,
once, so components only ever see safe text.
*/
import {auditView} from './audit.js';
import {backupsView} from './backups.js';
import {imagesView} from './images.js';
import {secretsView} from './secrets.js';
import {serversView} from './servers.js';
import {cloudsView, projectsView} from './session.js';
import {snapshotsView} from './snapshots.js';
import type {ViewId, ViewSpec} from './types.js';
import {volumesView} from './volumes.js';

export type {
	Cell,
	CellStyle,
	CloudEntry,
	Column,
	ColumnDef,
	Row,
	RowIdentity,
	ViewContext,
	ViewDefinition,
	ViewId,
	ViewSpec,
} from './types.js';
export {buildRows, defineView} from './columns.js';
export {arrange, layoutColumns} from './layout.js';

export const views: readonly ViewSpec[] = [
	auditView, volumesView, backupsView, snapshotsView, serversView, imagesView, secretsView, projectsView, cloudsView,
];

export function viewById(id: ViewId): ViewSpec {
	return views.find(view => view.id === id) ?? auditView;
}
