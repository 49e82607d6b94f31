/*
One screen for every guided restore and backup. A flow (flows/) says what to ask: first a pick from a list (the target
volume, the backup to restore), then a small form (paths, names, formats); core plans the request (and may ask for a
volume type: the 'choose' phase again), the screen previews every step with its danger, asks for the typed confirmation
when a step destroys something, then runs it with each step's live progress (runPlan's events through reducePlan).
Nothing changes in the cloud before the user presses Enter on the preview.

A restore drill (flow.drill) is recorded once its run is over, passed or failed: on the backup's metadata and in the
local drill log (`drillLog`); the screen then says what the drill found and where it is recorded. A drill that core
refuses (the backup's key or type is gone) has failed before it started: the refusal is offered for recording.

Ctrl+C (or Esc) during a run aborts it and waits for the executor to settle (a call in flight is recorded, temporaries are
removed); what the plan created and is still there is then named, and the user cleans it up now (core's cleanup, with
its progress) or keeps it (the journal lists it for `backstack journal`). A plan that fails on its own offers the same.

This file wires the parts in plan/: the phases and their reducer (phase.ts), what each key does in each part of the
keymap (keys.ts), planning, the run and the cleanup in the background (tasks.ts), and each phase's lines (lines.ts,
run-lines.ts).
*/
import {
	useCallback,
	useEffect,
	useLayoutEffect,
	useReducer,
	useRef,
	useState,
} from 'react';
import {Box, Text, type Key} from 'ink';
import type {CloudSession} from '../core/types.js';
import type {IacMap} from '../core/iac/state.js';
import {systemClock} from '../core/plans/clock.js';
import type {Clock, Plan} from '../core/plans/types.js';
import type {RunState} from '../core/plans/reduce.js';
import {drillReasonText, type DrillLogWriter} from '../core/plans/drill-record.js';
import {sanitize, truncate} from './sanitize.js';
import type {KeyHandler} from './sequential-input.js';
import {paint, type Theme} from './theme.js';
import type {Flow} from './flows/index.js';
import {
	firstPhase,
	isOver,
	reducePhase,
	type Phase,
} from './plan/phase.js';
import {handlePlanKey, type PlanControls} from './plan/keys.js';
import {
	cleanupTask,
	errorMessage,
	planFor,
	recordDrillTask,
	runTask,
	type TaskOptions,
} from './plan/tasks.js';
import {screenLines} from './plan/lines.js';
import {useIacLines, type IacWriter} from './plan/iac-lines.js';
import type {Line} from './components/scroll-text.js';

export type PlanScreenProps = {
	readonly session: CloudSession;
	readonly flow: Flow;
	readonly width: number;
	readonly height: number;
	readonly theme: Theme;
	/**
	Directory of the plan journal: a plan that is killed half-way can then be resumed or cleaned up.
	*/
	readonly journal?: string;
	/**
	How the executor waits (tests run the demo cloud's waits faster).
	*/
	readonly clock?: Clock;
	/**
	Appends a drill's record to the local drill log (AppServices.drillLog).
	*/
	readonly drillLog?: DrillLogWriter;
	/**
	Terraform/OpenTofu state read at start (AppServices.iac): after a restore of a managed volume, the HCL that adopts it.
	*/
	readonly iac?: {map?: IacMap; write?: IacWriter};
	/**
	Back to the lists; `hasChanged` when the run created, changed or removed something (the inventory should be re-read),
	and a line for the status bar; `shouldGoOn` when the user asked for the flow that follows (Enter in a queue of drills).
	*/
	readonly onClose: (hasChanged: boolean, note?: string, shouldGoOn?: boolean) => void;
	/**
	Where the App sends the keys while this screen is open: one queue for the whole program, so that keys typed ahead
	across the switch to this screen (b then Enter) reach it in order (source/ui/sequential-input.ts).
	*/
	readonly onKeys: (handler: KeyHandler | undefined) => void;
};

/**
Core plans the request of the values the user gave; the phase becomes its answer: the preview, a refusal, or a question.
*/
function usePlanning(phase: Phase, flow: Flow, session: CloudSession, show: (next: Phase) => void): void {
	const values = phase.step === 'planning' ? phase.values : undefined;
	useEffect(() => {
		if (values === undefined) {
			return;
		}

		const abort = new AbortController();
		planFor(session, flow, values, abort.signal)
			.then(result => {
				if (abort.signal.aborted) {
					return;
				}

				if (result.kind === 'plan') {
					show({step: 'preview', plan: result.plan, typed: ''});
				} else if (result.kind === 'refusal') {
					// A drill core refuses would not restore the first time either: that is the drill's finding, to record.
					const drill = flow.drill === undefined ? undefined : {state: 'offered' as const, verdict: {result: 'failed' as const, reason: drillReasonText(result.reason)}};
					show({step: 'refused', reason: sanitize(result.reason), ...(drill !== undefined && {drill})});
				} else {
					show({
						step: 'choose',
						source: 'core',
						field: result.field,
						question: result.question,
						options: result.options.map(option => ({value: option.value, label: option.label})),
						choice: 0,
						values,
					});
				}
			})
			.catch((error: unknown) => {
				if (!abort.signal.aborted) {
					show({step: 'failed-to-plan', reason: errorMessage(error)});
				}
			});
		return () => {
			abort.abort();
		};
	}, [values, session, flow, show]);
}

/**
While a run goes on, the clock on screen moves even between events (a long wait polls quietly).
*/
function useRunClock(phase: Phase, clock: Clock): number {
	const [now, setNow] = useState(() => clock.now());
	const isRunning = phase.step === 'running' && !isOver(phase.state);
	useEffect(() => {
		if (!isRunning) {
			return;
		}

		const timer = setInterval(() => {
			setNow(clock.now());
		}, 1000);
		return () => {
			clearInterval(timer);
		};
	}, [isRunning, clock]);
	return now;
}

function PlanLines(props: {readonly lines: readonly Line[]; readonly width: number; readonly height: number; readonly theme: Theme; readonly isFirstKept: boolean}) {
	// Too many lines for the screen: the last ones that fit; a run's first line (its phase: running, done, failed) stays.
	const {lines, height} = props;
	const visible = !props.isFirstKept || lines.length <= height || height < 2 ? lines.slice(Math.max(0, lines.length - height)) : [lines[0]!, ...lines.slice(lines.length - height + 1)];
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

export function PlanScreen(props: PlanScreenProps) {
	const {session, flow, journal, onClose} = props;
	const clock = props.clock ?? systemClock;
	const [phase, dispatch] = useReducer(reducePhase, flow, firstPhase);
	const show = useCallback((next: Phase) => {
		dispatch({type: 'show', phase: next});
	}, []);
	const controller = useRef<AbortController | undefined>(undefined);
	useEffect(() => () => {
		controller.current?.abort();
	}, []);
	usePlanning(phase, flow, session, show);
	const now = useRunClock(phase, clock);
	const iacView = useIacLines(phase, session, {iac: props.iac?.map, write: props.iac?.write, width: props.width});

	const tasks: TaskOptions = {
		session, journal, clock, dispatch, drillLog: props.drillLog,
	};
	const controls: PlanControls = {
		flow,
		journal,
		dispatch,
		close: onClose,
		run(plan: Plan, typed: string) {
			const abort = new AbortController();
			controller.current = abort;
			void runTask(plan, typed, abort.signal, {...tasks, drill: flow.drill});
		},
		stop() {
			controller.current?.abort();
			dispatch({type: 'stop'});
		},
		cleanUp(plan: Plan, state: RunState) {
			void cleanupTask(plan, state, tasks);
		},
		record(verdict) {
			if (flow.drill !== undefined) {
				void recordDrillTask(flow.drill, verdict, {}, tasks);
			}
		},
		...(iacView.switchForm !== undefined && {switchIacForm: iacView.switchForm}),
	};
	// The input queue (sequential-input.ts) hands over one key per render: each sees the phase the key before left.
	const onKey = (input: string, key: Key) => {
		handlePlanKey(phase, input, key, controls);
	};

	const {onKeys} = props;
	useLayoutEffect(() => {
		onKeys(onKey);
	});
	useLayoutEffect(() => () => {
		onKeys(undefined);
	}, [onKeys]);

	const lines = screenLines(phase, flow, {
		width: props.width, height: props.height, now, ...(iacView.switchForm !== undefined && {overKeys: ['plan.iacForm']}),
	});
	if (iacView.lines.length > 0) {
		// Before the keys, which follow the last blank line.
		const keysAt = lines.findLastIndex(line => line.text === '');
		lines.splice(keysAt === -1 ? lines.length : keysAt, 0, ...iacView.lines);
	}

	return <PlanLines lines={lines} width={props.width} height={props.height} theme={props.theme} isFirstKept={phase.step === 'running'}/>;
}
