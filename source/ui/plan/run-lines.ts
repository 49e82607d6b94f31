/*
What the plan screen shows while a plan runs and once it is over, and while a cleanup deletes what a run left: each step
with its state and live progress, what was created, and the keys that apply.
*/
import type {RunState} from '../../core/plans/reduce.js';
import type {CreatedResource, StepState} from '../../core/plans/types.js';
import type {Line} from '../components/scroll-text.js';
import {sanitize} from '../sanitize.js';
import {bytes, wrap} from '../format.js';
import type {DrillTarget} from '../flows/index.js';
import {keysLines, overKeysLines} from './keys-lines.js';
import {drillLines} from './drill-lines.js';
import {
	isOver,
	leftoversOf,
	type Cleanup,
	type DrillRecording,
} from './phase.js';

const stateSymbols: Record<StepState, {symbol: string; color?: string}> = {
	pending: {symbol: '·'},
	running: {symbol: '◷', color: 'yellow'},
	done: {symbol: '✔', color: 'green'},
	failed: {symbol: '✖', color: 'red'},
	skipped: {symbol: '-'},
	cancelled: {symbol: '■', color: 'yellow'},
};

export function resourceText(resource: CreatedResource): string {
	const {kind, id, name = ''} = resource;
	return ['', id].includes(name) ? `${kind} ${sanitize(id)}` : `${kind} ${sanitize(name)} (${sanitize(id)})`;
}

/**
Bytes so far of a transfer, with its total, rate and time left where known.
*/
function transferText(step: RunState['steps'][number]): string | undefined {
	if (step.bytes === undefined) {
		return undefined;
	}

	const total = step.bytes.total === undefined ? '' : ` of ${bytes(step.bytes.total)}`;
	const rate = step.bytes.rate === undefined ? '' : `, ${bytes(step.bytes.rate)}/s`;
	const eta = step.etaSeconds === undefined ? '' : `, ~${step.etaSeconds} s left`;
	return `${bytes(step.bytes.transferred)}${total}${rate}${eta}`;
}

/**
The run's state with the elapsed times of what is still running moved on to `now` (only forward).
*/
export function advanced(state: RunState, now: number): RunState {
	if (isOver(state) || state.startedAt === undefined || now <= (state.now ?? 0)) {
		return state;
	}

	return {
		...state,
		elapsedMs: now - state.startedAt,
		steps: state.steps.map(step => step.state === 'running' && step.startedAt !== undefined ? {...step, elapsedMs: now - step.startedAt} : step),
	};
}

function stepLines(state: RunState, width: number): Line[] {
	const lines: Line[] = [];
	for (const step of state.steps) {
		const style = stateSymbols[step.state];
		const details = [
			step.status === undefined ? undefined : `status ${sanitize(step.status)}`,
			transferText(step),
			step.state === 'pending' || step.state === 'skipped' ? undefined : `${Math.round(step.elapsedMs / 1000)} s`,
		].filter(part => part !== undefined);
		lines.push({text: `${style.symbol} ${sanitize(step.title)}`, color: style.color});
		if (details.length > 0) {
			lines.push({text: `   ${details.join(' · ')}`, dim: step.state !== 'running'});
		}

		if (step.error !== undefined) {
			lines.push(...wrap(`   ${sanitize(step.error)}`, width, ' '.repeat(3)).map(text => ({text, color: 'red'})));
		}
	}

	const created = state.created.filter(item => !item.removed && !item.temporary);
	lines.push(...created.map(resource => ({text: `+ created ${resourceText(resource)}`, color: 'cyan'})));

	for (const failure of state.checkFailures) {
		lines.push(...wrap(`✖ check failed: ${sanitize(failure.reason)}`, width, ' '.repeat(3)).map(text => ({text, color: 'red'})));
	}

	for (const item of state.cleanup) {
		const verbs = {running: '◷ removing', done: '✔ removed', failed: '✖ could not remove'} as const;
		const text = item.alreadyGone === true ? `✔ temporary ${resourceText(item.resource)} was already gone` : `${verbs[item.state]} temporary ${resourceText(item.resource)}`;
		lines.push({text, dim: item.state === 'done'});
	}

	return lines;
}

/**
The run's lines; for a restore drill that is over, its result in words before the keys.
*/
export function runningLines(
	state: RunState,
	isStopping: boolean,
	width: number,
	options: {drill?: {recording?: DrillRecording; target: DrillTarget; next?: {title: string}}; overKeys?: string[]} = {},
): Line[] {
	const {drill} = options;
	const title = isStopping && !isOver(state) ? 'stopping (waiting for the call in flight, removing temporaries)…' : state.phase;
	const errors = state.error === undefined ? [] : wrap(`✖ ${sanitize(state.error)}`, width, '  ').map(text => ({text, color: 'red'}));
	const lines: Line[] = [{text: `Running: ${title} · ${Math.round(state.elapsedMs / 1000)} s`, bold: true}, ...stepLines(state, width), ...errors];

	const results = Object.entries(state.results ?? {}).map(([key, value]) => `${key} ${sanitize(String(value))}`);
	if (results.length > 0) {
		lines.push(...wrap(`Result: ${results.join('  ')}`, width, '  ').map(text => ({text, color: 'green'})));
	}

	if (state.phase === 'done' && state.offered.length > 0) {
		const temporaries = state.offered.map(resource => resourceText(resource)).join(', ');
		lines.push(...wrap(`▲ could not remove the temporary ${temporaries}: delete it by hand`, width, '  ').map(text => ({text, color: 'yellow'})));
	}

	if (drill?.recording !== undefined) {
		lines.push(...drillLines(drill.recording, drill.target, width));
	}

	const leftovers = leftoversOf(state);
	if (leftovers.length > 0) {
		lines.push(
			{text: ''},
			{text: `The plan ${state.phase === 'cancelled' ? 'was stopped' : 'failed'} and left ${leftovers.length} resource(s) it created:`, bold: true},
			...leftovers.map(resource => ({text: `  • ${resourceText(resource)}`, color: 'yellow'})),
			...keysLines('offer', width, {isBold: true}),
		);
		return lines;
	}

	let hint = keysLines('run', width);
	if (drill?.recording?.state === 'recording') {
		hint = [{text: 'recording…', dim: true}];
	} else if (isOver(state)) {
		hint = overKeysLines(width, drill?.next, options.overKeys);
	} else if (isStopping) {
		hint = [{text: 'stopping…', dim: true}];
	}

	lines.push({text: ''}, ...hint);
	return lines;
}

export function cleanupLines(phase: Cleanup, width: number, next?: {title: string}): Line[] {
	const lines: Line[] = [{text: `Cleaning up plan ${phase.plan.id}${phase.isOver ? ': finished' : '…'}`, bold: true}];
	for (const item of phase.progress) {
		let text = `◷ deleting ${resourceText(item.resource)}`;
		if (item.state === 'done') {
			text = item.alreadyGone === true ? `✔ ${resourceText(item.resource)} was already gone` : `✔ deleted ${resourceText(item.resource)}`;
		} else if (item.state === 'failed') {
			text = `✖ could not delete ${resourceText(item.resource)}: ${sanitize(item.reason ?? '')}`;
		}

		lines.push(...wrap(text, width, '  ').map(part => ({text: part, color: stateSymbols[item.state === 'running' ? 'running' : (item.state === 'done' ? 'done' : 'failed')].color})));
	}

	if (phase.error !== undefined) {
		lines.push(...wrap(`✖ ${phase.error}`, width, '  ').map(text => ({text, color: 'red'})));
	}

	lines.push({text: ''}, ...(phase.isOver ? overKeysLines(width, next) : [{text: 'deleting… (each one is waited for until it is gone)', dim: true}]));
	return lines;
}
