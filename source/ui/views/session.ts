/*
Where the session points: the projects of this cloud and the clouds of clouds.yaml; Enter switches to the one selected.
*/
import type {Project} from '../../core/types.js';
import {displayName, sanitize} from '../sanitize.js';
import {
	defineView,
	nameCell,
	ref,
	searchText,
} from './columns.js';
import type {CloudEntry, ColumnDef, ViewContext} from './types.js';

/**
The ▶ in front of the current one.
*/
function currentColumn<Item>(isCurrent: (item: Item, context: ViewContext) => boolean): ColumnDef<Item> {
	return {
		id: 'current',
		title: ' ',
		width: 2,
		value(item, context) {
			const isIt = isCurrent(item, context);
			return {text: isIt ? '▶' : ' ', style: {color: 'green'}, sort: isIt ? 0 : 1};
		},
	};
}

type ProjectItem = {project: Project; name: string};

export const projectsView = defineView<ProjectItem>({
	id: 'projects',
	title: 'Projects',
	columns: [
		currentColumn(({project}, {projectId}) => project.id === projectId),
		{
			id: 'name', title: 'NAME', width: 20, grow: true, value: ({name}) => nameCell(name),
		},
		{
			id: 'id', title: 'ID', width: 32, drop: 2, value: ({project}) => ({text: project.id}),
		},
		{
			id: 'enabled', title: 'ENABLED', width: 7, value: ({project}) => ({text: project.enabled ? 'yes' : 'no', sort: project.enabled ? 0 : 1}),
		},
	],
	defaultSort: {column: 'name', descending: false},
	items: ({projects}) => projects.map(project => ({project, name: displayName(project)})),
	identify: ({project, name}) => ({
		key: project.id,
		ref: ref('project', project.id, project.name),
		copyId: project.id,
		search: searchText(name, project.id),
		enter: {type: 'switch-project', projectId: project.id},
	}),
});

type CloudItem = {entry: CloudEntry; name: string};

export const cloudsView = defineView<CloudItem>({
	id: 'clouds',
	title: 'Clouds',
	columns: [
		currentColumn(({entry}, {cloud}) => entry.name === cloud),
		{
			id: 'name', title: 'NAME', width: 20, value: ({name}) => nameCell(name),
		},
		{
			id: 'source', title: 'DEFINED IN', width: 20, grow: true, value: ({entry}) => ({text: sanitize(entry.source), sort: entry.source}),
		},
	],
	defaultSort: {column: 'name', descending: false},
	items: ({clouds}) => clouds.map(entry => ({entry, name: sanitize(entry.name)})),
	identify: ({entry, name}) => ({
		key: entry.name,
		copyId: entry.name,
		search: searchText(name, entry.source),
		enter: {type: 'switch-cloud', cloud: entry.name},
	}),
});
