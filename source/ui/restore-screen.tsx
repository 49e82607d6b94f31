/*
A guided restore of the selected backup into a new volume: core plans it (for an encrypted backup of a non-default type it
picks the source type, or asks), the screen previews every step with its danger, asks for the typed confirmation when a
step destroys something, then runs it and shows each step's live progress (runPlan's events through reducePlan).
Nothing changes in the cloud before the user presses Enter on the preview.
*/
import {useEffect, useRef, useState} from 'react';
import {Box, Text, useInput} from 'ink';
import type {CloudSession} from '../core/types.js';
import {planRestore} from '../core/plans/commands.js';
import {describePlan, isConfirmed, requiresConfirmation} from '../core/plans/describe.js';
import {runPlan} from '../core/plans/execute.js';
import {initialRunState, reducePlan, type RunState} from '../core/plans/reduce.js';
import type {Plan, PlanResult, StepState} from '../core/plans/types.js';
import {sanitize, truncate} from './sanitize.js';
import {paint, type Theme} from './theme.js';
import {wrap} from './format.js';

export type RestoreTarget = {backupId: string; name: string};

type Phase =
	| {step: 'planning'; volumeType?: string}
	| {step: 'answer'; result: Extract<PlanResult, {kind: 'needs-input'}>; choice: number}
	| {step: 'refused'; reason: string}
	| {step: 'preview'; plan: Plan; typed: string}
	| {step: 'running'; plan: Plan; state: RunState}
	| {step: 'failed-to-plan'; reason: string};

const stateSymbols: Record<StepState, {symbol: string; color?: string}> = {
	pending: {symbol: '·'},
	running: {symbol: '◷', color: 'yellow'},
	done: {symbol: '✔', color: 'green'},
	failed: {symbol: '✖', color: 'red'},
	skipped: {symbol: '-'},
	cancelled: {symbol: '■', color: 'yellow'},
};

const dangerColors: Record<string, string | undefined> = {
	read: undefined, create: 'cyan', mutate: 'yellow', destroy: 'red',
};

function message(error: unknown): string {
	return sanitize(error instanceof Error ? error.message : String(error));
}

export type RestoreScreenProps = {
	readonly session: CloudSession;
	readonly target: RestoreTarget;
	readonly width: number;
	readonly height: number;
	readonly theme: Theme;
	/**
	Directory of the plan journal: a restore that is killed half-way can then be resumed or cleaned up.
	*/
	readonly journal?: string;
	/**
	Back to the lists; `changed` when the run created or changed something (the inventory should be re-read).
	*/
	readonly onClose: (hasChanged: boolean) => void;
};

export function RestoreScreen(props: RestoreScreenProps) {
	const {session, target} = props;
	const [phase, setPhase] = useState<Phase>({step: 'planning'});
	const controller = useRef<AbortController | undefined>(undefined);
	const volumeType = phase.step === 'planning' ? phase.volumeType : undefined;
	const isPlanning = phase.step === 'planning';

	useEffect(() => {
		if (!isPlanning) {
			return;
		}

		const abort = new AbortController();
		planRestore(session, {kind: 'backup', backupId: target.backupId, volumeType}, {signal: abort.signal})
			.then(result => {
				if (abort.signal.aborted) {
					return;
				}

				if (result.kind === 'plan') {
					setPhase({step: 'preview', plan: result.plan, typed: ''});
				} else if (result.kind === 'refusal') {
					setPhase({step: 'refused', reason: sanitize(result.reason)});
				} else {
					setPhase({step: 'answer', result, choice: 0});
				}
			})
			.catch((error: unknown) => {
				if (!abort.signal.aborted) {
					setPhase({step: 'failed-to-plan', reason: message(error)});
				}
			});
		return () => {
			abort.abort();
		};
	}, [isPlanning, session, target.backupId, volumeType]);

	useEffect(() => () => {
		controller.current?.abort();
	}, []);

	const run = (plan: Plan, typed: string) => {
		const abort = new AbortController();
		controller.current = abort;
		setPhase({step: 'running', plan, state: initialRunState(plan)});
		void (async () => {
			let state = initialRunState(plan);
			try {
				for await (const event of runPlan(plan, session, {signal: abort.signal, journal: props.journal, confirmation: typed === '' ? undefined : typed})) {
					state = reducePlan(state, event);
					setPhase({step: 'running', plan, state});
				}
			} catch (error: unknown) {
				setPhase({step: 'running', plan, state: {...state, phase: 'failed', error: message(error)}});
			}
		})();
	};

	useInput((input, key) => {
		switch (phase.step) {
			case 'answer': {
				const count = phase.result.options.length;
				if (input === 'j' || key.downArrow) {
					setPhase({...phase, choice: Math.min(count - 1, phase.choice + 1)});
				} else if (input === 'k' || key.upArrow) {
					setPhase({...phase, choice: Math.max(0, phase.choice - 1)});
				} else if (key.return) {
					const option = phase.result.options[phase.choice];
					if (option !== undefined) {
						setPhase({step: 'planning', volumeType: option.value});
					}
				} else if (key.escape) {
					props.onClose(false);
				}

				break;
			}

			case 'preview': {
				if (key.escape) {
					props.onClose(false);
				} else if (key.return) {
					if (isConfirmed(phase.plan, phase.typed)) {
						run(phase.plan, phase.typed);
					}
				} else if (requiresConfirmation(phase.plan)) {
					if (key.backspace || key.delete) {
						setPhase({...phase, typed: [...phase.typed].slice(0, -1).join('')});
					} else if (input !== '' && !key.ctrl && !key.meta) {
						setPhase({...phase, typed: phase.typed + sanitize(input)});
					}
				}

				break;
			}

			case 'running': {
				const isOver = ['done', 'failed', 'cancelled'].includes(phase.state.phase);
				if (!isOver && key.escape) {
					controller.current?.abort();
				} else if (isOver && (key.escape || key.return)) {
					props.onClose(true);
				}

				break;
			}

			case 'planning':
			case 'refused':
			case 'failed-to-plan': {
				if (key.escape) {
					props.onClose(false);
				}

				break;
			}
		}
	});

	const lines = screenLines(phase, props.width);
	const visible = lines.slice(Math.max(0, lines.length - props.height));
	return (
		<Box flexDirection='column' height={props.height}>
			{visible.map((line, index) => (
				// eslint-disable-next-line react/no-array-index-key
				<Text key={index} wrap='truncate-end' bold={line.bold} dimColor={line.dim} color={paint(props.theme, line.color)}>
					{line.text === '' ? ' ' : truncate(line.text, props.width)}
				</Text>
			))}
		</Box>
	);
}

type Line = {text: string; color?: string; bold?: boolean; dim?: boolean};

function previewLines(plan: Plan, typed: string, width: number): Line[] {
	const preview = describePlan(plan);
	const lines: Line[] = [{text: `Restore plan: ${sanitize(preview.title)}`, bold: true}, {text: ''}];
	for (const row of preview.rows) {
		lines.push({text: `${row.number}. [${row.danger}] ${sanitize(row.title)}`, color: dangerColors[row.danger], bold: row.danger === 'destroy'});
		for (const text of wrap(`   ${sanitize(row.action)}`, width, ' '.repeat(5))) {
			lines.push({text, dim: true});
		}

		if (row.wait !== undefined) {
			lines.push({text: `   ${sanitize(row.wait)}`, dim: true});
		}
	}

	for (const warning of preview.warnings) {
		lines.push(...wrap(`▲ ${sanitize(warning)}`, width, '  ').map(text => ({text, color: 'yellow'})));
	}

	lines.push({text: ''});
	if (preview.confirmation === undefined && !requiresConfirmation(plan)) {
		lines.push({text: 'Enter runs the plan · Esc cancels (nothing has changed yet)', bold: true});
	} else if (preview.confirmation === undefined) {
		lines.push({text: 'This plan destroys data and has no confirmation text: it cannot run here.', color: 'red'});
	} else {
		lines.push(
			...wrap(sanitize(preview.confirmation.reason), width).map(text => ({text, color: 'red'})),
			{text: `Type ${sanitize(preview.confirmation.text)} to confirm, then Enter · Esc cancels`, bold: true},
			{text: `> ${typed}█`},
		);
	}

	return lines;
}

function runningLines(state: RunState, width: number): Line[] {
	const lines: Line[] = [{text: `Running: ${state.phase} · ${Math.round(state.elapsedMs / 1000)} s`, bold: true}, {text: ''}];
	for (const step of state.steps) {
		const style = stateSymbols[step.state];
		const status = step.status === undefined ? '' : `  (${sanitize(step.status)})`;
		const elapsed = step.state === 'pending' ? '' : `  ${Math.round(step.elapsedMs / 1000)} s`;
		lines.push({text: `${style.symbol} ${sanitize(step.title)}${status}${elapsed}`, color: style.color});
		if (step.error !== undefined) {
			lines.push(...wrap(`   ${sanitize(step.error)}`, width, ' '.repeat(3)).map(text => ({text, color: 'red'})));
		}
	}

	for (const failure of state.checkFailures) {
		lines.push(...wrap(`✖ check failed: ${sanitize(failure.reason)}`, width, ' '.repeat(3)).map(text => ({text, color: 'red'})));
	}

	if (state.error !== undefined) {
		lines.push(...wrap(`✖ ${sanitize(state.error)}`, width, '  ').map(text => ({text, color: 'red'})));
	}

	const results = Object.entries(state.results ?? {}).map(([key, value]) => `${key} ${sanitize(String(value))}`);
	if (results.length > 0) {
		lines.push({text: ''}, {text: `Result: ${results.join('  ')}`, color: 'green'});
	}

	const isOver = ['done', 'failed', 'cancelled'].includes(state.phase);
	lines.push({text: ''}, {text: isOver ? 'Enter or Esc: back to the lists' : 'Esc cancels (the plan cleans up what it created)', dim: !isOver});
	return lines;
}

function screenLines(phase: Phase, width: number): Line[] {
	switch (phase.step) {
		case 'planning': {
			return [{text: 'Planning the restore… (reading the backup, its source type and its key)'}];
		}

		case 'answer': {
			return [
				...wrap(sanitize(phase.result.question), width).map(text => ({text, bold: true})),
				{text: ''},
				...phase.result.options.map((option, index) => ({text: `${index === phase.choice ? '›' : ' '} ${sanitize(option.label)}`})),
				{text: ''},
				{text: '↑/↓ choose · Enter answer · Esc cancel', dim: true},
			];
		}

		case 'refused': {
			return [{text: 'This backup cannot be restored as it is:', bold: true}, ...wrap(phase.reason, width).map(text => ({text, color: 'red'})), {text: ''}, {text: 'Esc: back', dim: true}];
		}

		case 'failed-to-plan': {
			return [{text: 'Planning failed:', bold: true}, ...wrap(phase.reason, width).map(text => ({text, color: 'red'})), {text: ''}, {text: 'Esc: back', dim: true}];
		}

		case 'preview': {
			return previewLines(phase.plan, phase.typed, width);
		}

		case 'running': {
			return runningLines(phase.state, width);
		}
	}
}
