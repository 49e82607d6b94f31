/*
The UI reader of a run: a pure fold of events into what a progress screen shows.
*/
import type {
	Check,
	CreatedResource,
	Plan,
	PlanEvent,
	StepState,
} from './types.js';

export type StepProgress = {
	id: string;
	title: string;
	state: StepState;
	startedAt?: number;
	endedAt?: number;
	/**
	Milliseconds, up to the last event seen.
	*/
	elapsedMs: number;
	/**
	Last status of the resource the step waits on.
	*/
	status?: string;
	bytes?: {transferred: number; total?: number; rate?: number};
	/**
	Seconds left, where the size and a rate are known.
	*/
	etaSeconds?: number;
	error?: string;
	/**
	The step failed without deciding what it checks (step-failed `inconclusive`).
	*/
	inconclusive?: boolean;
	outputs?: Record<string, string | number>;
};

export type CleanupProgress = {
	resource: CreatedResource;
	state: 'running' | 'done' | 'failed';
	reason?: string;
	/**
	Done, but there was nothing left to remove (a file someone else deleted): said so, not "deleted".
	*/
	alreadyGone?: boolean;
};

/**
The cleanup list after a cleanup-start, cleanup-done or cleanup-failed event (other events leave it as it is).
*/
export function settleCleanup(progress: CleanupProgress[], event: PlanEvent): CleanupProgress[] {
	if (event.type === 'cleanup-start') {
		return [...progress, {resource: event.resource, state: 'running'}];
	}

	if (event.type !== 'cleanup-done' && event.type !== 'cleanup-failed') {
		return progress;
	}

	const settled: CleanupProgress = event.type === 'cleanup-done'
		? {resource: event.resource, state: 'done', ...(event.alreadyGone === true && {alreadyGone: true})}
		: {resource: event.resource, state: 'failed', reason: event.reason};
	return progress.map(item => item.resource.id === event.resource.id && item.state === 'running' ? {...settled, resource: item.resource} : item);
}

export type RunState = {
	planId: string;
	phase: 'idle' | 'checking' | 'running' | 'cleanup' | 'done' | 'failed' | 'cancelled';
	startedAt?: number;
	/**
	Time of the newest event.
	*/
	now?: number;
	elapsedMs: number;
	steps: StepProgress[];
	checkFailures: Array<{stepId: string; check: Check; reason: string}>;
	created: CreatedResource[];
	cleanup: CleanupProgress[];
	/**
	Resources left in place that the user may remove (`cleanupPlan`).
	*/
	offered: CreatedResource[];
	results?: Record<string, string | number>;
	error?: string;
};

export function initialRunState(plan: Plan): RunState {
	return {
		planId: plan.id,
		phase: 'idle',
		elapsedMs: 0,
		steps: plan.steps.map(step => ({
			id: step.id, title: step.title, state: 'pending', elapsedMs: 0,
		})),
		checkFailures: [],
		created: [],
		cleanup: [],
		offered: [],
	};
}

function updateStep(state: RunState, stepId: string, change: (step: StepProgress) => StepProgress): StepProgress[] {
	return state.steps.map(step => step.id === stepId ? change(step) : step);
}

/**
Elapsed times of running steps follow the newest event's time.
*/
function tick(state: RunState, at: number): RunState {
	return {
		...state,
		now: at,
		elapsedMs: state.startedAt === undefined ? 0 : at - state.startedAt,
		steps: state.steps.map(step => step.state === 'running' && step.startedAt !== undefined ? {...step, elapsedMs: at - step.startedAt} : step),
	};
}

function finishRunning(steps: StepProgress[], stateName: StepState, at: number): StepProgress[] {
	return steps.map(step => step.state === 'running'
		? {
			...step, state: stateName, endedAt: at, elapsedMs: step.startedAt === undefined ? 0 : at - step.startedAt,
		}
		: step);
}

/**
Seconds until `total`, at `rate` bytes a second; undefined when either is unknown.
*/
export function secondsLeft(transferred: number, total: number | undefined, rate: number | undefined): number | undefined {
	return total === undefined || rate === undefined || rate <= 0 ? undefined : Math.ceil((total - transferred) / rate);
}

export function reducePlan(previous: RunState, event: PlanEvent): RunState {
	const state = tick(previous, event.at);
	switch (event.type) {
		case 'plan-start': {
			return {
				...state, phase: 'checking', startedAt: event.at, elapsedMs: 0,
			};
		}

		case 'check-failed': {
			return {...state, checkFailures: [...state.checkFailures, {stepId: event.stepId, check: event.check, reason: event.reason}]};
		}

		case 'checks-passed': {
			return {...state, phase: 'running'};
		}

		case 'step-start': {
			return {
				...state,
				phase: 'running',
				steps: updateStep(state, event.stepId, step => ({
					...step, state: 'running', startedAt: event.at, elapsedMs: 0, error: undefined, inconclusive: undefined,
				})),
			};
		}

		case 'request': {
			return state;
		}

		case 'created': {
			return {...state, created: [...state.created, event.resource]};
		}

		case 'status': {
			return {...state, steps: updateStep(state, event.stepId, step => ({...step, status: event.status}))};
		}

		case 'bytes': {
			const etaSeconds = secondsLeft(event.transferred, event.total, event.rate);
			return {
				...state,
				steps: updateStep(state, event.stepId, step => ({
					...step, bytes: {transferred: event.transferred, total: event.total, rate: event.rate}, etaSeconds,
				})),
			};
		}

		case 'step-done': {
			return {
				...state,
				steps: updateStep(state, event.stepId, step => ({
					...step, state: 'done', endedAt: event.at, elapsedMs: step.startedAt === undefined ? 0 : event.at - step.startedAt, outputs: event.outputs, etaSeconds: undefined,
				})),
			};
		}

		case 'step-failed': {
			return {
				...state,
				steps: updateStep(state, event.stepId, step => ({
					...step,
					state: 'failed',
					endedAt: event.at,
					elapsedMs: step.startedAt === undefined ? 0 : event.at - step.startedAt,
					error: event.reason,
					...(event.inconclusive === true && {inconclusive: true}),
				})),
			};
		}

		case 'cleanup-start': {
			return {...state, phase: 'cleanup', cleanup: settleCleanup(state.cleanup, event)};
		}

		case 'cleanup-done':
		case 'cleanup-failed': {
			const isDone = event.type === 'cleanup-done';
			return {
				...state,
				cleanup: settleCleanup(state.cleanup, event),
				created: state.created.map(resource => isDone && resource.id === event.resource.id ? {...resource, removed: true} : resource),
			};
		}

		case 'cleanup-offered': {
			return {...state, offered: event.resources};
		}

		case 'plan-done': {
			return {...state, phase: 'done', results: event.results};
		}

		case 'plan-failed': {
			return {
				...state, phase: 'failed', error: event.reason, steps: finishRunning(state.steps, 'failed', event.at),
			};
		}

		case 'plan-cancelled': {
			return {
				...state,
				phase: 'cancelled',
				steps: finishRunning(state.steps, 'cancelled', event.at).map(step => step.state === 'pending' ? {...step, state: 'skipped'} : step),
			};
		}
	}
}
