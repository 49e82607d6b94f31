/*
The plan screen's state and key table without Ink: which part of the keymap applies in each phase, a stop asked for
between two run events stays asked for, and "back" is one rule for every part of the screen where it is bound.
*/
import test from 'ava';
import type {Key} from 'ink';
import {initialRunState, type RunState} from '../../source/core/plans/reduce.js';
import type {CreatedResource, Plan} from '../../source/core/plans/types.js';
import {contextOf, reducePhase, type Phase} from '../../source/ui/plan/phase.js';
import {handlePlanKey, type PlanControls} from '../../source/ui/plan/keys.js';
import {keysOf} from '../../source/ui/sequential-input.js';

const plan: Plan = {
	id: 'plan-1', kind: 'test', title: 'A test plan', createdAt: '2026-11-20T12:00:00Z', steps: [], warnings: [],
};

const created: CreatedResource = {
	kind: 'volume', id: 'v-new', name: 'restored', stepId: 'create', temporary: false,
};

function state(phase: RunState['phase'], offered: RunState['offered'] = []): RunState {
	return {...initialRunState(plan), phase, offered};
}

const noKey: Key = {
	upArrow: false,
	downArrow: false,
	leftArrow: false,
	rightArrow: false,
	pageDown: false,
	pageUp: false,
	home: false,
	end: false,
	return: false,
	escape: false,
	ctrl: false,
	shift: false,
	tab: false,
	backspace: false,
	delete: false,
	meta: false,
	super: false,
	hyper: false,
	capsLock: false,
	numLock: false,
};

const escape: Key = {...noKey, escape: true};

/**
The controls a key handler was given, with what it asked of them.
*/
function recorded(): {controls: PlanControls; calls: string[]; phases: Phase[]} {
	const calls: string[] = [];
	const phases: Phase[] = [];
	return {
		calls,
		phases,
		controls: {
			flow: {title: 'A test flow', request: () => ({type: 'backup', request: {kind: 'volume', volumeId: 'v-1'}})},
			dispatch(action) {
				calls.push(`dispatch ${action.type}`);
				if (action.type === 'show') {
					phases.push(action.phase);
				}
			},
			close(hasChanged, note) {
				calls.push(`close ${String(hasChanged)}${note === undefined ? '' : ` ${note}`}`);
			},
			run() {
				calls.push('run');
			},
			stop() {
				calls.push('stop');
			},
			cleanUp() {
				calls.push('cleanUp');
			},
			record(verdict) {
				calls.push(`record ${verdict.result} ${verdict.reason}`);
			},
		},
	};
}

test('each phase has its part of the keymap; a cleanup that is still deleting takes no key', t => {
	const contexts = ([
		{
			step: 'choose', source: 'pick', field: 'f', question: 'q?', options: [], choice: 0, values: {},
		},
		{step: 'form', values: {}, index: 0},
		{step: 'preview', plan, typed: ''},
		{
			step: 'running', plan, state: state('running'), isStopping: false,
		},
		{
			step: 'running', plan, state: state('cancelled', [created]), isStopping: true,
		},
		{
			step: 'running', plan, state: state('done'), isStopping: false,
		},
		{
			step: 'cleanup', plan, state: state('failed', [created]), progress: [], isOver: false,
		},
		{
			step: 'cleanup', plan, state: state('failed', [created]), progress: [], isOver: true,
		},
		{step: 'planning', values: {}},
		{step: 'refused', reason: 'no'},
		{step: 'kept', plan, state: state('failed', [created])},
	] satisfies Phase[]).map(phase => contextOf(phase)?.context);
	t.deepEqual(contexts, ['choose', 'form', 'confirm', 'run', 'offer', 'over', undefined, 'over', 'wait', 'wait', 'wait']);
});

test('a run event after Esc keeps the run stopping; the next run starts without it', t => {
	const running: Phase = {
		step: 'running', plan, state: state('running'), isStopping: false,
	};
	const stopping = reducePhase(running, {type: 'stop'});
	const later = reducePhase(stopping, {type: 'progress', plan, state: state('cleanup')});
	t.like(later, {step: 'running', isStopping: true, state: {phase: 'cleanup'}});
	const fresh = reducePhase({step: 'preview', plan, typed: ''}, {type: 'progress', plan, state: state('running')});
	t.like(fresh, {step: 'running', isStopping: false});
	const preview: Phase = {step: 'preview', plan, typed: ''};
	t.is(reducePhase(preview, {type: 'stop'}), preview, 'stop outside a run changes nothing');
});

test('Esc goes back with nothing done wherever back is bound, stops a run, and keeps what a stopped run left', t => {
	const back = ([
		{
			step: 'choose', source: 'pick', field: 'f', question: 'q?', options: [{value: 'a', label: 'A'}], choice: 0, values: {},
		},
		{step: 'preview', plan, typed: 'partly typed'},
		{step: 'planning', values: {}},
		{step: 'failed-to-plan', reason: 'no'},
	] satisfies Phase[]).map(phase => {
		const {controls, calls} = recorded();
		handlePlanKey(phase, '', escape, controls);
		return calls;
	});
	t.deepEqual(back, [['close false'], ['close false'], ['close false'], ['close false']]);

	const run = recorded();
	handlePlanKey({
		step: 'running', plan, state: state('running'), isStopping: false,
	}, '', escape, run.controls);
	t.deepEqual(run.calls, ['stop']);

	const offer = recorded();
	handlePlanKey({
		step: 'running', plan, state: state('cancelled', [created]), isStopping: true,
	}, '', escape, offer.controls);
	t.deepEqual(offer.calls, ['dispatch show', 'close true kept volume restored: remove it yourself when you no longer need it']);

	const cleaning = recorded();
	handlePlanKey({
		step: 'cleanup', plan, state: state('failed', [created]), progress: [], isOver: false,
	}, '', escape, cleaning.controls);
	t.deepEqual(cleaning.calls, [], 'a cleanup under way is waited for');
});

test('the typed confirmation takes text, and Enter runs only once it matches', t => {
	const destroying: Plan = {...plan, confirmation: {text: 'vol-1', resource: {kind: 'volume', id: 'v-1', name: 'vol-1'}, reason: 'vol-1 is overwritten'}};
	let phase: Phase = {step: 'preview', plan: destroying, typed: ''};
	const {controls, calls, phases} = recorded();
	const typeKeys = (text: string) => {
		for (const press of keysOf(text, noKey)) {
			handlePlanKey(phase, press.input, press.key, controls);
			phase = phases.at(-1) ?? phase;
		}
	};

	typeKeys('vol-');
	handlePlanKey(phase, '', {...noKey, return: true}, controls);
	t.false(calls.includes('run'), 'Enter before the whole name is typed does nothing');
	typeKeys('1');
	t.like(phase, {typed: 'vol-1'});
	handlePlanKey(phase, '', {...noKey, return: true}, controls);
	t.is(calls.at(-1), 'run');
});

const failedDrill = {result: 'failed', reason: 'its key k-1 is gone'} as const;

test('a drill run takes no key while its outcome is recorded; a refused drill is offered for recording, then closes', t => {
	const contexts = ([
		{
			step: 'running', plan, state: state('done'), isStopping: false, drill: {state: 'recording', verdict: {result: 'ok', reason: 'available'}},
		},
		{
			step: 'running', plan, state: state('failed'), isStopping: false, drill: {state: 'unrecorded', verdict: {result: 'not-run', reason: 'busy'}, why: 'busy'},
		},
		{step: 'refused', reason: 'no', drill: {state: 'offered', verdict: failedDrill}},
		{step: 'refused', reason: 'no', drill: {state: 'recording', verdict: failedDrill}},
		{
			step: 'refused', reason: 'no', drill: {
				state: 'recorded', verdict: failedDrill, recorded: {record: {backupId: 'b-1', at: '2026-11-20T12:00:00Z', result: 'failed'}}, isLogged: true,
			},
		},
	] satisfies Phase[]).map(phase => contextOf(phase)?.context);
	t.deepEqual(contexts, [undefined, 'over', 'record', undefined, 'over']);

	const enter: Key = {...noKey, return: true};
	const offered = recorded();
	handlePlanKey({step: 'refused', reason: 'no', drill: {state: 'offered', verdict: failedDrill}}, '', enter, offered.controls);
	t.deepEqual(offered.calls, ['record failed its key k-1 is gone']);

	const declined = recorded();
	handlePlanKey({step: 'refused', reason: 'no', drill: {state: 'offered', verdict: failedDrill}}, '', escape, declined.controls);
	t.deepEqual(declined.calls, ['close false'], 'Esc records nothing');

	const done = recorded();
	handlePlanKey({
		step: 'refused', reason: 'no', drill: {
			state: 'recorded', verdict: failedDrill, recorded: {record: {backupId: 'b-1', at: '2026-11-20T12:00:00Z', result: 'failed'}, unrecorded: 'no 3.43'}, isLogged: true,
		},
	}, '', enter, done.controls);
	t.deepEqual(done.calls, ['close true drill FAILED: its key k-1 is gone (recorded in the local drill log only)']);
});

test('a drill\'s record and its verdict survive the run events that follow; a new run starts without them', t => {
	const recording = reducePhase({
		step: 'running', plan, state: state('running'), isStopping: false,
	}, {
		type: 'progress', plan, state: state('done'), drill: {state: 'recording', verdict: {result: 'ok', reason: 'available'}},
	});
	t.like(recording, {drill: {state: 'recording'}});
	const kept = reducePhase(recording, {type: 'progress', plan, state: state('done')});
	t.like(kept, {drill: {state: 'recording'}});
	const fresh = reducePhase({step: 'preview', plan, typed: ''}, {type: 'progress', plan, state: state('running')});
	t.false('drill' in fresh);
});
