/*
What a finished run says about its drill (core/plans/drill-record.ts `drillVerdictOf`), as the TUI reads it: passed with
what was checked, failed with the first step's reason (without a refusal's preamble), not run when only the backup's
status check failed (busy: proves nothing), stopped, and nothing while it still runs.
*/
import test from 'ava';
import {drillVerdictOf} from '../../../source/core/plans/drill-record.js';
import {initialRunState, type RunState} from '../../../source/core/plans/reduce.js';
import type {Plan} from '../../../source/core/plans/types.js';

const plan: Plan = {
	id: 'plan-1', kind: 'drill', title: 'Drill', createdAt: '2026-11-20T12:00:00Z', warnings: [], steps: [],
};

function state(patch: Partial<RunState>): RunState {
	return {...initialRunState(plan), ...patch};
}

type CheckFailure = RunState['checkFailures'][number];

test('a run that is done passed, with what it checked', t => {
	t.deepEqual(drillVerdictOf(state({
		phase: 'done', results: {
			volume: 'v-1', status: 'available', size: 3, volumeType: 'LUKS', key: 'present',
		},
	})), {result: 'ok', reason: 'available, 3 GiB, type LUKS, key present'});
	t.deepEqual(drillVerdictOf(state({
		phase: 'done', results: {
			status: 'available', size: 1, volumeType: '__DEFAULT__', key: 'none',
		},
	})), {result: 'ok', reason: 'available, 1 GiB, type __DEFAULT__, not encrypted'});
});

test('a failed run failed with its first step\'s reason on one line; only a failed backup-status check means not run', t => {
	const steps: RunState['steps'] = [
		{
			id: 'restore', title: 'Restore', state: 'done', elapsedMs: 10,
		},
		{
			id: 'verify', title: 'Check', state: 'failed', elapsedMs: 10, error: 'Backup b-1 cannot be restored:  volume v-9\n ended error_restoring.',
		},
	];
	t.deepEqual(drillVerdictOf(state({phase: 'failed', error: 'The plan failed.', steps})), {result: 'failed', reason: 'volume v-9 ended error_restoring.'});
	t.deepEqual(drillVerdictOf(state({phase: 'failed', error: 'The plan failed.'})), {result: 'failed', reason: 'The plan failed.'});

	const busy: CheckFailure = {stepId: 'restore', check: {kind: 'backup-status', backupId: 'b-1', in: ['available']}, reason: 'backup b-1 is restoring'};
	const typeGone: CheckFailure = {stepId: 'restore', check: {kind: 'volume-type-exists', volumeType: 'LUKS'}, reason: 'type LUKS is gone'};
	t.like(drillVerdictOf(state({phase: 'failed', error: 'backup b-1 is restoring', checkFailures: [busy]})), {result: 'not-run'});
	t.like(drillVerdictOf(state({phase: 'failed', error: 'checks failed', checkFailures: [busy, typeGone]})), {result: 'failed'}, 'a real cause beside the busy status is a failure');
});

test('a stopped run was cancelled; a run under way has no verdict yet', t => {
	t.like(drillVerdictOf(state({phase: 'cancelled'})), {result: 'cancelled'});
	for (const phase of ['idle', 'checking', 'running', 'cleanup'] as const) {
		t.is(drillVerdictOf(state({phase})), undefined, `no verdict while ${phase}`);
	}
});
