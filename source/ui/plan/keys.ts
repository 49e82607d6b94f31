/*
What each key does on the plan screen (the "controller" in lazygit's words): one handler per part of the keymap
(PlanContext), given the phase on screen. Which key is which action comes from keymap.ts; "back, nothing done" is the
same everywhere it is bound and is handled once, before the table.
*/
import type {Key} from 'ink';
import type {RunState} from '../../core/plans/reduce.js';
import type {Plan} from '../../core/plans/types.js';
import type {DrillVerdict} from '../../core/plans/drill-record.js';
import {isConfirmed, requiresConfirmation} from '../../core/plans/describe.js';
import {findBinding, keymap, type PlanContext} from '../keymap.js';
import {displayName, sanitize} from '../sanitize.js';
import type {Flow, FlowField, FlowOption} from '../flows/index.js';
import {
	contextOf,
	leftoversOf,
	type DrillRecording,
	type InContext,
	type Phase,
	type PhaseAction,
	type PhaseOf,
} from './phase.js';

/**
What a key handler may do to the screen and the run.
*/
export type PlanControls = {
	readonly flow: Flow;
	/**
	Directory of the plan journal, if there is one.
	*/
	readonly journal?: string;
	dispatch(action: PhaseAction): void;
	/**
	Back to the lists (see PlanScreenProps.onClose).
	*/
	close(hasChanged: boolean, note?: string, shouldGoOn?: boolean): void;
	run(plan: Plan, typed: string): void;
	/**
	Asks the run to stop safely: it goes on until the executor has settled and removed its temporaries.
	*/
	stop(): void;
	cleanUp(plan: Plan, state: RunState): void;
	/**
	Records the outcome of the flow's drill (one that failed before it could start).
	*/
	record(verdict: DrillVerdict): void;
	/**
	Shows (and writes) the Terraform change in its other form; absent while no change is shown.
	*/
	switchIacForm?: () => void;
};

export type Press = {
	/**
	The keymap binding the key is in this part of the screen ('' when none).
	*/
	action: string;
	input: string;
	key: Key;
};

type Handler<C extends PlanContext> = (phase: PhaseOf[C], press: Press, controls: PlanControls) => void;

/**
Printable text (a paste arrives as one string), not a control or navigation key.
*/
export function isText(input: string, key: Key): boolean {
	return input !== '' && !key.ctrl && !key.meta && !key.escape && !key.return && !key.tab
		&& !key.leftArrow && !key.rightArrow && !key.upArrow && !key.downArrow;
}

/**
A text field after one key: Backspace deletes, printable text is added.
*/
function editText(value: string, input: string, key: Key): string | undefined {
	if (key.backspace || key.delete) {
		return [...value].slice(0, -1).join('');
	}

	return isText(input, key) ? value + sanitize(input) : undefined;
}

function isEditing(input: string, key: Key): boolean {
	return isText(input, key) || key.backspace || key.delete;
}

/**
A choice field moved one option on (or back, `step` -1), round the list.
*/
function cycleChoice(options: readonly FlowOption[], value: string, step: 1 | -1): string | undefined {
	const position = Math.max(0, options.findIndex(option => option.value === value));
	return options[(position + step + options.length) % options.length]?.value;
}

/**
The form's problem with the values, if any (a required field left empty, a number that is not one).
*/
export function formProblem(fields: readonly FlowField[], values: Record<string, string>): string | undefined {
	for (const field of fields) {
		const value = (values[field.id] ?? '').trim();
		if (value === '' && field.kind === 'text' && field.isRequired) {
			return `${field.label} is needed.`;
		}

		if (value !== '' && field.kind === 'text' && field.isNumber && !(Number.isSafeInteger(Number(value)) && Number(value) > 0)) {
			return `${field.label} must be a positive whole number.`;
		}
	}

	return undefined;
}

/**
The status bar's line after a drill: what it found and where it is recorded.
*/
function drillNote(drill: DrillRecording | undefined): string | undefined {
	if (drill === undefined || drill.state === 'offered' || drill.state === 'recording') {
		return undefined;
	}

	const found = {
		ok: 'drill passed', failed: `drill FAILED: ${sanitize(drill.verdict.reason)}`, 'not-run': 'drill not run', cancelled: 'drill stopped',
	}[drill.verdict.result];
	return `${found} (${drill.state === 'unrecorded' ? `not recorded: ${drill.why}` : whereRecorded(drill.recorded.unrecorded === undefined, drill.isLogged)})`;
}

function whereRecorded(isOnBackup: boolean, isLogged: boolean): string {
	if (isOnBackup) {
		return `recorded on the backup${isLogged ? ' and in the local drill log' : ''}`;
	}

	return isLogged ? 'recorded in the local drill log only' : 'not recorded on the backup';
}

function keepNote(plan: Plan, state: RunState, journal: string | undefined): string {
	const kept = leftoversOf(state).map(resource => `${resource.kind} ${displayName(resource)}`).join(', ');
	return journal === undefined
		? `kept ${kept}: remove it yourself when you no longer need it`
		: `kept ${kept}: backstack journal resume|cleanup ${plan.id}`;
}

export const phaseKeys: {[C in PlanContext]: Handler<C>} = {
	choose(phase, {action}, {flow, dispatch}) {
		switch (action) {
			case 'nav.down':
			case 'nav.up': {
				const choice = action === 'nav.down' ? Math.min(phase.options.length - 1, phase.choice + 1) : Math.max(0, phase.choice - 1);
				dispatch({type: 'show', phase: {...phase, choice}});
				break;
			}

			case 'plan.submit': {
				const option = phase.options[phase.choice];
				if (option !== undefined) {
					const values = {...phase.values, [phase.field]: option.value};
					dispatch({type: 'show', phase: phase.source === 'pick' && (flow.fields ?? []).length > 0 ? {step: 'form', values, index: 0} : {step: 'planning', values}});
				}

				break;
			}

			default: {
				break;
			}
		}
	},
	form(phase, {action, input, key}, {flow, dispatch}) {
		const fields = flow.fields ?? [];
		const field = fields[phase.index];
		if (field === undefined) {
			return;
		}

		const value = phase.values[field.id] ?? '';
		const set = (next: string | undefined) => {
			if (next !== undefined) {
				dispatch({type: 'show', phase: {...phase, values: {...phase.values, [field.id]: next}, error: undefined}});
			}
		};

		// In a text field what is typed is text (a space too); the keymap has the rest.
		if (field.kind === 'text' && isEditing(input, key)) {
			set(editText(value, input, key));
			return;
		}

		switch (action) {
			case 'plan.submit': {
				const problem = formProblem(fields, phase.values) ?? flow.check?.(phase.values);
				dispatch({type: 'show', phase: problem === undefined ? {step: 'planning', values: phase.values} : {...phase, error: problem}});
				break;
			}

			case 'plan.nextField':
			case 'plan.previousField': {
				const step = action === 'plan.nextField' ? 1 : fields.length - 1;
				dispatch({type: 'show', phase: {...phase, index: (phase.index + step) % fields.length}});
				break;
			}

			case 'plan.nextChoice':
			case 'plan.previousChoice': {
				set(field.kind === 'choice' ? cycleChoice(field.options, value, action === 'plan.nextChoice' ? 1 : -1) : undefined);
				break;
			}

			case 'plan.clear': {
				set(field.kind === 'text' ? '' : undefined);
				break;
			}

			default: {
				break;
			}
		}
	},
	confirm(phase, {action, input, key}, {dispatch, run}) {
		// The typed confirmation of a destructive plan: text goes there.
		if (requiresConfirmation(phase.plan) && isEditing(input, key)) {
			dispatch({type: 'show', phase: {...phase, typed: editText(phase.typed, input, key) ?? phase.typed}});
		} else if (action === 'plan.run' && isConfirmed(phase.plan, phase.typed)) {
			run(phase.plan, phase.typed);
		} else if (action === 'plan.clear') {
			dispatch({type: 'show', phase: {...phase, typed: ''}});
		}
	},
	run(_phase, {action}, {stop}) {
		if (action === 'plan.stop') {
			stop();
		}
	},
	offer(phase, {action}, {dispatch, close, cleanUp, journal}) {
		if (action === 'plan.cleanup') {
			cleanUp(phase.plan, phase.state);
		} else if (action === 'plan.keep') {
			dispatch({type: 'show', phase: {step: 'kept', plan: phase.plan, state: phase.state}});
			close(true, keepNote(phase.plan, phase.state, journal));
		}
	},
	over(phase, {action, key}, {flow, close, switchIacForm}) {
		if (action === 'plan.iacForm') {
			switchIacForm?.();
			return;
		}

		if (action !== 'plan.close') {
			return;
		}

		// In a queue of drills Enter goes on to the next one and Esc stops there; alone, both are "back to the lists".
		const shouldGoOn = flow.next !== undefined && key.return;

		if (phase.step === 'refused') {
			close(true, drillNote(phase.drill), shouldGoOn);
			return;
		}

		if (phase.step === 'cleanup') {
			const isComplete = phase.error === undefined && phase.progress.every(item => item.state === 'done');
			close(true, isComplete
				? `cleaned up ${phase.progress.length} resource(s) of plan ${phase.plan.id}`
				: `cleanup incomplete: backstack journal cleanup ${phase.plan.id}`, shouldGoOn);
			return;
		}

		const {state} = phase;
		const results = Object.entries(state.results ?? {}).map(([name, value]) => `${name} ${sanitize(String(value))}`).join(', ');
		const note = state.phase === 'done' ? `done: ${sanitize(flow.title)}${results === '' ? '' : ` → ${results}`}` : undefined;
		close(state.created.length > 0 || state.phase === 'done' || phase.drill?.state === 'recorded', drillNote(phase.drill) ?? note, shouldGoOn);
	},
	record(phase, {action}, {record}) {
		if (action === 'plan.record' && phase.drill?.state === 'offered') {
			record(phase.drill.verdict);
		}
	},
	wait() {
		// Only "back" (handled before the table): core is still planning, or there is nothing left to do.
	},
};

function handleIn<C extends PlanContext>(found: Extract<InContext, {context: C}>, press: Press, controls: PlanControls): void {
	const handler = phaseKeys[found.context] as Handler<C>;
	handler(found.phase as PhaseOf[C], press, controls);
}

/**
One key on the plan screen, in the phase on screen.
*/
export function handlePlanKey(phase: Phase, input: string, key: Key, controls: PlanControls): void {
	const found = contextOf(phase);
	if (found === undefined) {
		return;
	}

	const action = findBinding(keymap, found.context, input, key)?.id ?? '';
	if (action === 'plan.back') {
		controls.close(false);
		return;
	}

	handleIn(found, {action, input, key}, controls);
}
