/*
The `:` command palette (VS Code-style): one fuzzy search over views, clouds, projects, actions and the view's plugins.
*/
import {Box, Text} from 'ink';
import type {Project} from '../../core/types.js';
import {bindingKeys, type Binding} from '../keymap.js';
import {fit, sanitize} from '../sanitize.js';
import {paint, type Theme} from '../theme.js';
import type {CloudEntry, ViewId, ViewSpec} from '../views/index.js';

export type PaletteItem =
	| {type: 'view'; label: string; view: ViewId}
	| {type: 'cloud'; label: string; cloud: string}
	| {type: 'project'; label: string; projectId: string}
	| {type: 'action'; label: string; binding: Binding};

export function paletteItems(options: {
	views: readonly ViewSpec[];
	clouds: readonly CloudEntry[];
	projects: readonly Project[];
	bindings: readonly Binding[];
	currentCloud?: string;
	currentProject?: string;
}): PaletteItem[] {
	return [
		...options.views.map((view): PaletteItem => ({type: 'view', label: `view: ${view.title}`, view: view.id})),
		...options.clouds.map((cloud): PaletteItem => ({
			type: 'cloud', label: `cloud: ${sanitize(cloud.name)}${cloud.name === options.currentCloud ? ' (current)' : ''}`, cloud: cloud.name,
		})),
		...options.projects.map((project): PaletteItem => ({
			type: 'project', label: `project: ${sanitize(project.name)}${project.id === options.currentProject ? ' (current)' : ''}`, projectId: project.id,
		})),
		...options.bindings.filter(binding => binding.palette).map((binding): PaletteItem => ({
			type: 'action', label: `${binding.id.startsWith('plugin.') ? 'plugin' : 'action'}: ${binding.description} (${bindingKeys(binding, 1)})`, binding,
		})),
	];
}

export function Palette(props: {readonly query: string; readonly items: readonly PaletteItem[]; readonly selected: number; readonly height: number; readonly width: number; readonly theme: Theme}) {
	const room = Math.max(1, props.height - 1);
	const selected = Math.min(props.selected, Math.max(0, props.items.length - 1));
	const offset = Math.max(0, selected - room + 1);
	const visible = props.items.slice(offset, offset + room);
	return (
		<Box flexDirection='column' height={props.height}>
			<Text bold color={paint(props.theme, props.theme.accent)} wrap='truncate-end'>{fit(`: ${props.query}█`, props.width)}</Text>
			{visible.length === 0
				? <Text dimColor>{fit('  nothing matches', props.width)}</Text>
				: visible.map((item, index) => {
					const isSelected = offset + index === selected;
					return (
						<Text key={`${item.type}:${item.label}`} inverse={isSelected} wrap='truncate-end'>
							{fit(`${isSelected ? '›' : ' '} ${item.label}`, props.width)}
						</Text>
					);
				})}
		</Box>
	);
}
