/*
The keys that apply now, from the keymap (the same data the help shows): the current view's actions first, in their
short words, then the general keys.
*/
import {Text} from 'ink';
import {bindingKeys, type Binding, type InputContext} from '../keymap.js';
import {truncate} from '../sanitize.js';
import type {ViewId} from '../views/index.js';

const modeHints: Partial<Record<InputContext, string>> = {
	filter: 'type to filter  Enter keep  Esc clear',
	palette: 'type to search  ↑/↓ choose  Enter run  Esc close',
	restore: 'nothing changes before Enter on the preview · Esc or Ctrl+C: back, or stop a run',
	ask: 'y run it  n/Esc do not run it',
};

export function footerText(bindings: readonly Binding[], mode: InputContext, view?: ViewId): string {
	const hint = modeHints[mode];
	if (hint !== undefined) {
		return hint;
	}

	const shown = bindings.filter(binding => binding.footer && binding.when.includes(mode));
	const actions = shown.filter(binding => view !== undefined && binding.views?.includes(view));
	const general = shown.filter(binding => binding.views === undefined);
	return [
		...actions.map(binding => `${bindingKeys(binding, 1)} ${binding.short ?? binding.description.toLowerCase()}`),
		...general.filter(binding => binding.id === 'app.help'),
		...general.filter(binding => binding.id !== 'app.help').map(binding => `${bindingKeys(binding)} ${binding.short ?? binding.description.toLowerCase()}`),
	].map(entry => typeof entry === 'string' ? entry : `${bindingKeys(entry)} ${entry.description.toLowerCase()}`).join('  ');
}

export function Footer(props: {readonly bindings: readonly Binding[]; readonly mode: InputContext; readonly width: number; readonly view?: ViewId}) {
	return <Text dimColor wrap='truncate-end'>{truncate(footerText(props.bindings, props.mode, props.view), props.width)}</Text>;
}
