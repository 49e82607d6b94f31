/*
The plan screen's work in the background: planning, the run, the cleanup of what a run left and the record of a restore
drill's outcome. Each reports to the screen through its reducer's actions (phase.ts), so an event that lands between two
keys changes the phase the next key sees.
*/
import type {CloudSession} from '../../core/types.js';
import {planBackup, planRestore} from '../../core/plans/commands.js';
import {planDrill} from '../../core/plans/drill.js';
import {
	drillVerdictOf,
	drillDataOutcome,
	recordDrill,
	type DrillLogWriter,
	type DrillOutcome,
	type DrillVerdict,
} from '../../core/plans/drill-record.js';
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
import type {DrillTarget, Flow, FormValues} from '../flows/index.js';
import {leftoversOf, type DrillRecording, type PhaseAction} from './phase.js';

export type TaskOptions = {
	session: CloudSession;
	journal?: string;
	clock: Clock;
	dispatch: (action: PhaseAction) => void;
	/**
	Appends a drill's record to the local drill log; without one a drill is recorded on its backup only (and says so).
	*/
	drillLog?: DrillLogWriter;
};

export function errorMessage(error: unknown): string {
	return sanitize(error instanceof Error ? error.message : String(error));
}

export async function planFor(session: CloudSession, flow: Flow, values: FormValues, signal: AbortSignal): Promise<PlanResult> {
	const request = flow.request(values);
	switch (request.type) {
		case 'restore': {
			return planRestore(session, request.request, {signal, inventory: flow.inventory});
		}

		case 'backup': {
			return planBackup(session, request.request, {signal});
		}

		case 'drill': {
			return planDrill(session, request.request, signal);
		}
	}
}

/**
A verdict that is recorded: the drill passed or failed. One that did not run, or was stopped, proves nothing either way.
*/
function isRecordable(verdict: DrillVerdict): verdict is DrillVerdict & {result: DrillOutcome['result']} {
	return verdict.result === 'ok' || verdict.result === 'failed';
}

/**
What the screen shows of a drill run once it is over: about to be recorded, or why it is not.
*/
function drillEnd(verdict: DrillVerdict): DrillRecording {
	if (isRecordable(verdict)) {
		return {state: 'recording', verdict};
	}

	const why = verdict.result === 'cancelled'
		? 'the drill was stopped before its checks ended: it proves nothing either way'
		: 'the drill could not run now: it proves nothing either way';
	return {state: 'unrecorded', verdict, why};
}

/**
Writes a drill's outcome on its backup and in the local drill log (core's recordDrill), with its progress on screen.
*/
export async function recordDrillTask(target: DrillTarget, verdict: DrillVerdict, extra: Pick<DrillOutcome, 'planId' | 'durationMs' | 'verifiedData' | 'sha512'>, options: TaskOptions): Promise<void> {
	const {dispatch, session, drillLog} = options;
	if (!isRecordable(verdict)) {
		dispatch({type: 'drill', drill: drillEnd(verdict)});
		return;
	}

	dispatch({type: 'drill', drill: {state: 'recording', verdict}});
	try {
		const recorded = await recordDrill(session, target, {result: verdict.result, reason: verdict.reason, ...extra}, {
			appendLog(record) {
				drillLog?.(record);
			},
		});
		dispatch({
			type: 'drill',
			drill: {
				state: 'recorded', verdict, recorded, isLogged: drillLog !== undefined,
			},
		});
	} catch (error: unknown) {
		dispatch({type: 'drill', drill: {state: 'unrecorded', verdict, why: `the record could not be written: ${errorMessage(error)}`}});
	}
}

/**
Runs the plan with each event folded into the running phase; `signal` stops it safely. A drill's outcome is then
recorded: the last event already says so, so that no key lands between the end of the run and its record.
*/
export async function runTask(plan: Plan, typed: string, signal: AbortSignal, options: TaskOptions & {drill?: DrillTarget}): Promise<void> {
	const {dispatch, drill} = options;
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
			const verdict = drill === undefined ? undefined : drillVerdictOf(state);
			dispatch({
				type: 'progress', plan, state, ...(verdict !== undefined && {drill: drillEnd(verdict)}),
			});
		}
	} catch (error: unknown) {
		const reason = errorMessage(error);
		dispatch({
			type: 'show',
			phase: {
				step: 'running',
				plan,
				state: {...state, phase: 'failed', error: reason},
				isStopping: false,
				// The run itself broke (another run holds its lock, the journal cannot be written): nothing was proved.
				...(drill !== undefined && {drill: {state: 'unrecorded', verdict: {result: 'not-run', reason}, why: 'the drill could not run'}}),
			},
		});
		return;
	}

	const verdict = drill === undefined ? undefined : drillVerdictOf(state);
	if (drill !== undefined && verdict !== undefined && isRecordable(verdict)) {
		await recordDrillTask(drill, verdict, {planId: plan.id, durationMs: state.elapsedMs, ...drillDataOutcome(state.results ?? {})}, options);
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
