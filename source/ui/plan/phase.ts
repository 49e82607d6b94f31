/*
The plan screen's state (the "context" in lazygit's words): which phase of a guided plan the user is in, how one phase
leads to the next, and which part of the keymap (keymap.ts's PlanContext) applies in each. No Ink, no React: the screen
(plan-screen.tsx) holds a Phase in a reducer, the key table (keys.ts) and the run (tasks.ts) send it actions.
*/
import type {CleanupProgress, RunState} from '../../core/plans/reduce.js';
import type {DrillVerdict, RecordedDrill} from '../../core/plans/drill-record.js';
import type {CreatedResource, Plan} from '../../core/plans/types.js';
import type {PlanContext} from '../keymap.js';
import type {Flow, FlowOption, FormValues} from '../flows/index.js';

export type Choose = {
	step: 'choose';
	/**
	The flow's own pick, or core's question (needs-input).
	*/
	source: 'pick' | 'core';
	field: string;
	question: string;
	options: FlowOption[];
	choice: number;
	values: FormValues;
};

export type Form = {step: 'form'; values: FormValues; index: number; error?: string};
export type Preview = {step: 'preview'; plan: Plan; typed: string};
/**
A restore drill's outcome on the plan screen: offered for recording (a drill that failed before it could start),
being recorded, recorded (on the backup's metadata, or why not; and whether in the local log), or not recorded and why
(it did not run, it was stopped, or the record could not be written).
*/
export type DrillRecording =
	| {state: 'offered'; verdict: DrillVerdict}
	| {state: 'recording'; verdict: DrillVerdict}
	| {state: 'recorded'; verdict: DrillVerdict; recorded: RecordedDrill; isLogged: boolean}
	| {state: 'unrecorded'; verdict: DrillVerdict; why: string};

export type Running = {step: 'running'; plan: Plan; state: RunState; isStopping: boolean; drill?: DrillRecording};
/**
Core refused the plan; for a drill, the refusal is the drill's failure, offered for recording.
*/
export type Refused = {step: 'refused'; reason: string; drill?: DrillRecording};
export type Cleanup = {step: 'cleanup'; plan: Plan; state: RunState; progress: CleanupProgress[]; isOver: boolean; error?: string};
/**
Phases where only "back" does something: core is planning, refused or failed to plan, or the leftovers were kept.
*/
export type Waiting =
	| Refused
	| {step: 'planning'; values: FormValues}
	| {step: 'failed-to-plan'; reason: string}
	| {step: 'kept'; plan: Plan; state: RunState};

export type Phase = Choose | Form | Preview | Running | Cleanup | Waiting;

export type PhaseAction =
	/**
	The next phase, decided from the one on screen (a key, planning's answer, the cleanup's progress).
	*/
	| {type: 'show'; phase: Phase}
	/**
	A run event folded into the run's state: a stop the user asked for in the meantime stays asked for.
	*/
	| {type: 'progress'; plan: Plan; state: RunState; drill?: DrillRecording}
	/**
	The user asked the run to stop safely.
	*/
	| {type: 'stop'}
	/**
	How the recording of a drill's outcome goes.
	*/
	| {type: 'drill'; drill: DrillRecording};

export function reducePhase(phase: Phase, action: PhaseAction): Phase {
	switch (action.type) {
		case 'show': {
			return action.phase;
		}

		case 'progress': {
			const drill = action.drill ?? (phase.step === 'running' ? phase.drill : undefined);
			return {
				step: 'running', plan: action.plan, state: action.state, isStopping: phase.step === 'running' && phase.isStopping, ...(drill !== undefined && {drill}),
			};
		}

		case 'stop': {
			return phase.step === 'running' ? {...phase, isStopping: true} : phase;
		}

		case 'drill': {
			return phase.step === 'running' || phase.step === 'refused' ? {...phase, drill: action.drill} : phase;
		}
	}
}

export function isOver(state: RunState): boolean {
	return ['done', 'failed', 'cancelled'].includes(state.phase);
}

/**
What the run created and is still there, once it has settled without finishing.
*/
export function leftoversOf(state: RunState): CreatedResource[] {
	if (state.phase !== 'failed' && state.phase !== 'cancelled') {
		return [];
	}

	const removed = new Set(state.cleanup.filter(item => item.state === 'done').map(item => `${item.resource.kind}:${item.resource.id}`));
	return state.offered.filter(resource => !removed.has(`${resource.kind}:${resource.id}`));
}

export function firstPhase(flow: Flow): Phase {
	const values: FormValues = Object.fromEntries((flow.fields ?? []).map(field => [field.id, field.initial ?? (field.kind === 'choice' ? field.options[0]?.value ?? '' : '')]));
	if (flow.pick !== undefined) {
		return {
			step: 'choose', source: 'pick', field: flow.pick.field, question: flow.pick.question, options: flow.pick.options, choice: 0, values,
		};
	}

	return (flow.fields ?? []).length > 0 ? {step: 'form', values, index: 0} : {step: 'planning', values};
}

/**
The phases each part of the plan screen's keymap applies to.
*/
export type PhaseOf = {
	choose: Choose;
	form: Form;
	confirm: Preview;
	run: Running;
	offer: Running;
	over: Running | Cleanup | Refused;
	wait: Waiting;
	record: Refused;
};

/**
A phase with the part of the keymap that applies to it.
*/
export type InContext = {[C in PlanContext]: {context: C; phase: PhaseOf[C]}}[PlanContext];

/**
While it runs, the run's keys; once it is over, the offer to clean up what it left, or only "back to the lists".
*/
function runContext(state: RunState): 'run' | 'offer' | 'over' {
	if (!isOver(state)) {
		return 'run';
	}

	return leftoversOf(state).length > 0 ? 'offer' : 'over';
}

/**
A refusal: only "back"; for a drill, the offer to record it, and once it is recorded (or could not be), "back to the lists".
*/
function refusedContext(phase: Refused): InContext | undefined {
	switch (phase.drill?.state) {
		case undefined: {
			return {context: 'wait', phase};
		}

		case 'offered': {
			return {context: 'record', phase};
		}

		case 'recording': {
			return undefined;
		}

		case 'recorded':
		case 'unrecorded': {
			return {context: 'over', phase};
		}
	}
}

/**
Which part of the keymap applies to the phase: none while a cleanup is deleting or a drill's outcome is being recorded
(each is waited for to the end).
*/
export function contextOf(phase: Phase): InContext | undefined {
	switch (phase.step) {
		case 'choose': {
			return {context: 'choose', phase};
		}

		case 'form': {
			return {context: 'form', phase};
		}

		case 'preview': {
			return {context: 'confirm', phase};
		}

		case 'running': {
			return phase.drill?.state === 'recording' ? undefined : {context: runContext(phase.state), phase};
		}

		case 'cleanup': {
			return phase.isOver ? {context: 'over', phase} : undefined;
		}

		case 'refused': {
			return refusedContext(phase);
		}

		case 'planning':
		case 'failed-to-plan':
		case 'kept': {
			return {context: 'wait', phase};
		}
	}
}
