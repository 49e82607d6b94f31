/*
What the plan screen shows before anything runs: the pick, the form, core's answer and the preview with its typed
confirmation. One builder per phase (the table at the end); the screen shows the last lines that fit.
*/
import {describePlan, requiresConfirmation} from '../../core/plans/describe.js';
import type {Plan} from '../../core/plans/types.js';
import type {Line} from '../components/scroll-text.js';
import {displayWidth, sanitize} from '../sanitize.js';
import {wrap} from '../format.js';
import type {Flow} from '../flows/index.js';
import {keysLines, overKeysLines} from './keys-lines.js';
import {advanced, cleanupLines, runningLines} from './run-lines.js';
import {drillLines, drillPreviewLines} from './drill-lines.js';
import type {
	Choose,
	Form,
	Phase,
	Refused,
} from './phase.js';

const dangerColors: Record<string, string | undefined> = {
	read: undefined, create: 'cyan', mutate: 'yellow', destroy: 'red',
};

function previewLines(plan: Plan, typed: string, width: number, flow: Flow): Line[] {
	const preview = describePlan(plan);
	const lines: Line[] = [{text: `Plan: ${sanitize(preview.title)}`, bold: true}];
	for (const row of preview.rows) {
		lines.push({text: `${row.number}. [${row.danger}] ${sanitize(row.title)}`, color: dangerColors[row.danger], bold: row.danger === 'destroy'});
		for (const text of wrap(`   ${sanitize(row.action)}`, width, ' '.repeat(5))) {
			lines.push({text, dim: true});
		}

		if (row.wait !== undefined) {
			lines.push({text: `   ${sanitize(row.wait)}`, dim: true});
		}

		if (row.note !== undefined && row.note !== '') {
			lines.push(...wrap(`   note: ${sanitize(row.note)}`, width, ' '.repeat(5)).map(text => ({text, color: 'yellow'})));
		}
	}

	for (const warning of preview.warnings) {
		lines.push(...wrap(`▲ ${sanitize(warning)}`, width, '  ').map(text => ({text, color: 'yellow'})));
	}

	if (flow.drill !== undefined) {
		lines.push(...drillPreviewLines(flow.drill, width));
	}

	lines.push({text: ''});
	if (preview.confirmation === undefined && !requiresConfirmation(plan)) {
		lines.push(...keysLines('confirm', width, {omit: ['plan.clear'], isBold: true}));
	} else if (preview.confirmation === undefined) {
		lines.push({text: 'This plan destroys data and has no confirmation text: it cannot run here.', color: 'red'});
	} else {
		lines.push(
			...wrap(sanitize(preview.confirmation.reason), width).map(text => ({text, color: 'red'})),
			{text: `Type ${sanitize(preview.confirmation.text)} to confirm, then Enter`, bold: true},
			{text: `> ${typed}█`},
			...keysLines('confirm', width),
		);
	}

	return lines;
}

function formLines(flow: Flow, phase: Form, width: number): Line[] {
	const fields = flow.fields ?? [];
	const labelWidth = Math.min(20, Math.max(...fields.map(field => field.label.length)) + 1);
	const lines: Line[] = [{text: sanitize(flow.title), bold: true}, {text: ''}];
	for (const [index, field] of fields.entries()) {
		const isCurrent = index === phase.index;
		const value = phase.values[field.id] ?? '';
		let shown = value;
		if (field.kind === 'choice') {
			const label = field.options.find(option => option.value === value)?.label ?? value;
			shown = isCurrent ? `‹ ${label} ›` : label;
		} else if (isCurrent) {
			shown = `${value}█`;
		}

		const optional = field.kind === 'text' && !field.isRequired ? ' (optional)' : '';
		lines.push({text: `${isCurrent ? '›' : ' '} ${(field.label + optional).padEnd(labelWidth + 11)} ${shown}`, bold: isCurrent});
		if (isCurrent && field.hint !== undefined) {
			lines.push(...wrap(`    ${sanitize(field.hint)}`, width, ' '.repeat(4)).map(text => ({text, dim: true})));
		}
	}

	lines.push({text: ''});
	if (phase.error !== undefined) {
		lines.push({text: phase.error, color: 'red'});
	}

	lines.push(...keysLines('form', width, {prefix: 'type to edit · '}));
	return lines.flatMap(line => displayWidth(line.text) > width ? wrap(line.text, width, '  ').map(text => ({...line, text})) : [line]);
}

function chooseLines(phase: Choose, flow: Flow, width: number, height: number): Line[] {
	const head: Line[] = [
		{text: sanitize(flow.title), bold: true},
		...wrap(sanitize(phase.question), width).map(text => ({text, bold: true})),
		{text: ''},
	];
	const room = Math.max(3, height - head.length - 2);
	const start = Math.max(0, Math.min(phase.choice - Math.floor(room / 2), phase.options.length - room));
	const shown = phase.options.slice(start, start + room).map((option, index) => ({
		text: `${start + index === phase.choice ? '›' : ' '} ${sanitize(option.label)}`,
		bold: start + index === phase.choice,
	}));
	return [...head, ...shown, {text: ''}, ...keysLines('choose', width, {also: ['nav.up'], prefix: `${phase.choice + 1}/${phase.options.length} · `})];
}

type Size = {
	width: number;
	height: number;
	now: number;
	/**
	Bindings the over-phase of a run offers besides going back (plan.iacForm when a Terraform change is shown).
	*/
	overKeys?: string[];
};

/**
The keys below a refusal: back; for a drill, record it or back, and once recorded, back to the lists.
*/
function refusedKeys(phase: Refused, width: number, next?: {title: string}): Line[] {
	switch (phase.drill?.state) {
		case 'offered': {
			return keysLines('record', width, {isBold: true});
		}

		case 'recording': {
			return [{text: 'recording…', dim: true}];
		}

		case 'recorded':
		case 'unrecorded': {
			return overKeysLines(width, next);
		}

		case undefined: {
			return keysLines('wait', width);
		}
	}
}

/**
The lines of each phase.
*/
const phaseLines: {[S in Phase['step']]: (phase: Extract<Phase, {step: S}>, flow: Flow, size: Size) => Line[]} = {
	choose: (phase, flow, {width, height}) => chooseLines(phase, flow, width, height),
	form: (phase, flow, {width}) => formLines(flow, phase, width),
	planning: (_phase, flow) => [{text: sanitize(flow.title), bold: true}, {text: 'Planning… (reading the cloud; nothing changes)'}],
	refused: (phase, flow, {width}) => [
		{text: `${sanitize(flow.title)}: not possible as it is`, bold: true},
		...wrap(phase.reason, width).map(text => ({text, color: 'red'})),
		...(phase.drill !== undefined && flow.drill !== undefined ? drillLines(phase.drill, flow.drill, width) : []),
		{text: ''},
		...refusedKeys(phase, width, flow.next),
	],
	'failed-to-plan': (phase, _flow, {width}) => [{text: 'Planning failed:', bold: true}, ...wrap(phase.reason, width).map(text => ({text, color: 'red'})), {text: ''}, ...keysLines('wait', width)],
	preview: (phase, flow, {width}) => previewLines(phase.plan, phase.typed, width, flow),
	running: (phase, flow, {width, now, overKeys}) => runningLines(advanced(phase.state, now), phase.isStopping, width, {
		...(flow.drill !== undefined && {drill: {recording: phase.drill, target: flow.drill, next: flow.next}}),
		overKeys,
	}),
	cleanup: (phase, flow, {width}) => cleanupLines(phase, width, flow.next),
	kept: () => [{text: 'Kept.'}],
};

function linesOf<S extends Phase['step']>(phase: Extract<Phase, {step: S}>, flow: Flow, size: Size): Line[] {
	const builder = phaseLines[phase.step] as (phase: Extract<Phase, {step: S}>, flow: Flow, size: Size) => Line[];
	return builder(phase, flow, size);
}

/**
Everything the phase shows, top to bottom (the screen keeps the last lines that fit its height).
*/
export function screenLines(phase: Phase, flow: Flow, size: Size): Line[] {
	return linesOf(phase, flow, size);
}
