/*
The `?` help: every binding that exists in this mode, from the keymap.
*/
import {bindingKeys, keyLabel, type Binding} from '../keymap.js';
import {fit} from '../sanitize.js';
import type {Line} from './scroll-text.js';

export function helpLines(bindings: readonly Binding[], width: number): Line[] {
	const lines: Line[] = [];
	for (const binding of bindings) {
		const keys = binding.id === 'view.jump' ? bindingKeys(binding) : binding.keys.map(spec => keyLabel(spec)).join(' ');
		const flags = [
			binding.mutates ? 'changes the cloud' : '',
			binding.localOnly ? 'writes a local file only' : '',
			binding.views === undefined ? '' : `[${binding.views.join(', ')}]`,
			binding.disabledReason === undefined ? '' : `(${binding.disabledReason})`,
			binding.note ?? '',
		].filter(part => part !== '').join(' ');
		lines.push({
			text: `${fit(keys, 18)} ${fit(binding.description, 26)} ${flags}`.slice(0, width),
			color: binding.dangerous ? 'red' : undefined,
			dim: Boolean(binding.disabledReason),
		});
	}

	lines.push(
		{text: ''},
		{text: 'Filter: / then type words; every word must match. Sort: s next column, S reverse.', dim: true},
		{text: 'Command palette: : then type (views, clouds, projects, actions, plugins).', dim: true},
		{text: 'Plugins: your commands from the settings file, listed here in the views they apply to.', dim: true},
		{text: 'Plans: preview, then Enter runs; Ctrl+C/Esc stops a run safely, offers cleanup.', dim: true},
		{text: '--readonly: nothing in the cloud is modified. d (download) and K (key export)', dim: true},
		{text: 'stay: they read the cloud and write a local file the preview names.', dim: true},
	);
	return lines;
}
