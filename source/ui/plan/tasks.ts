/*
The plan screen's work in the background: planning, the run and the cleanup of what a run left. Each reports to the screen
through its reducer's actions (phase.ts), so an event that lands between two keys changes the phase the next key sees.
*/
import type {CloudSession} from '../../core/types.js';
import {planBackup, planRestore} from '../../core/plans/commands.js';
import {removeAll} from '../../core/plans/removal.js';
import {cleanupPlan, runPlanLocked} from '../../core/plans/recover.js';
import {
	initialRunState,
	reducePlan,
	type CleanupProgress,
	settleCleanup,
	type RunState,
} from '../../core/plans/reduce.js';
import type {
	Clock,
	Plan,
	PlanEvent,
	PlanResult,
} from '../../core/plans/types.js';
import {sanitize} from '../sanitize.js';
import type {Flow, FormValues} from '../flows/index.js';
import {leftoversOf, type PhaseAction} from './phase.js';

export type TaskOptions = {
	session: CloudSession;
	journal?: string;
	clock: Clock;
	dispatch: (action: PhaseAction) => void;
};

export function errorMessage(error: unknown): string {
	return sanitize(error instanceof Error ? error.message : String(error));
}

export async function planFor(session: CloudSession, flow: Flow, values: FormValues, signal: AbortSignal): Promise<PlanResult> {
	const request = flow.request(values);
	return request.type === 'restore'
		? planRestore(session, request.request, {signal, inventory: flow.inventory})
		: planBackup(session, request.request, {signal});
}

/**
Runs the plan with each event folded into the running phase; `signal` stops it safely.
*/
export async function runTask(plan: Plan, typed: string, signal: AbortSignal, options: TaskOptions): Promise<void> {
	const {dispatch} = options;
	let state = initialRunState(plan);
	dispatch({
		type: 'show',
		phase: {
			step: 'running', plan, state, isStopping: false,
		},
	});
	try {
		for await (const event of runPlanLocked(plan, options.session, {
			signal, journal: options.journal, confirmation: typed === '' ? undefined : typed, clock: options.clock,
		})) {
			state = reducePlan(state, event);
			dispatch({type: 'progress', plan, state});
		}
	} catch (error: unknown) {
		dispatch({
			type: 'show',
			phase: {
				step: 'running', plan, state: {...state, phase: 'failed', error: errorMessage(error)}, isStopping: false,
			},
		});
	}
}

/**
Deletes what the stopped or failed run left: through the journal when there is one, else what the run reported.
*/
export async function cleanupTask(plan: Plan, state: RunState, options: TaskOptions): Promise<void> {
	const {dispatch, session, clock} = options;
	let progress: CleanupProgress[] = [];
	const show = (isOver: boolean, error?: string) => {
		dispatch({
			type: 'show',
			phase: {
				step: 'cleanup', plan, state, progress, isOver, error,
			},
		});
	};

	const onEvent = (event: PlanEvent) => {
		progress = settleCleanup(progress, event);

		show(false);
	};

	show(false);
	try {
		if (options.journal === undefined) {
			// No journal to clean up from: remove what the run reported, newest first, the same way core does.
			const cleanup = removeAll(session, leftoversOf(state).map(resource => ({...resource})), {clock, timeoutMs: 15 * 60_000});
			let next = await cleanup.next();
			while (!next.done) {
				onEvent(next.value);
				// eslint-disable-next-line no-await-in-loop
				next = await cleanup.next();
			}
		} else {
			for await (const event of cleanupPlan(options.journal, plan.id, session, {clock})) {
				onEvent(event);
			}
		}

		show(true);
	} catch (error: unknown) {
		show(true, errorMessage(error));
	}
}
