/*
The keys that apply now, from the keymap (the same data the help shows).
*/
import {Text} from 'ink';
import {bindingKeys, type Binding, type InputContext} from '../keymap.js';
import {truncate} from '../sanitize.js';

const modeHints: Partial<Record<InputContext, string>> = {
	filter: 'type to filter  Enter keep  Esc clear',
	palette: 'type to search  ↑/↓ choose  Enter run  Esc close',
	restore: 'guided restore: nothing changes before Enter on the preview  Esc cancels',
};

export function footerText(bindings: readonly Binding[], mode: InputContext): string {
	const hint = modeHints[mode];
	if (hint !== undefined) {
		return hint;
	}

	return bindings
		.filter(binding => binding.footer && binding.when.includes(mode))
		.map(binding => `${bindingKeys(binding)} ${binding.description.toLowerCase()}`)
		.join('  ');
}

export function Footer(props: {readonly bindings: readonly Binding[]; readonly mode: InputContext; readonly width: number}) {
	return <Text dimColor wrap='truncate-end'>{truncate(footerText(props.bindings, props.mode), props.width)}</Text>;
}
