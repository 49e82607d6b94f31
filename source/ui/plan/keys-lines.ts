/*
The keys of one part of the plan screen as lines, from the keymap (the same words as the help and the footer).
*/
import type {Line} from '../components/scroll-text.js';
import {bindingKeys, keymap, type PlanContext} from '../keymap.js';
import {wrap} from '../format.js';
import {sanitize} from '../sanitize.js';

/**
The keys of `context`: its footer bindings (and `also`), less `omit`, wrapped to the width.
*/
export function keysLines(context: PlanContext, width: number, options: {omit?: string[]; also?: string[]; prefix?: string; isBold?: boolean} = {}): Line[] {
	const shown = keymap.filter(binding => binding.when.includes(context)
		&& (binding.footer === true || (options.also ?? []).includes(binding.id))
		&& !(options.omit ?? []).includes(binding.id));
	const text = (options.prefix ?? '') + shown.map(binding => `${bindingKeys(binding)} ${binding.short ?? binding.description.toLowerCase()}`).join(' · ');
	return wrap(text, width, '  ').map(part => ({text: part, bold: options.isBold, dim: !options.isBold}));
}

/**
The keys once a plan is over: back to the lists (and `also`, the keys the screen offers then: the other form of the
Terraform change), or, in a queue of drills (Flow.next), Enter for the next one and Esc to stop there.
*/
export function overKeysLines(width: number, next?: {title: string}, also?: string[]): Line[] {
	return next === undefined
		? keysLines('over', width, {isBold: true, also})
		: wrap(`Enter next: ${sanitize(next.title)} · Esc stop the drills here (the rest stay marked)`, width, '  ').map(text => ({text, bold: true}));
}
