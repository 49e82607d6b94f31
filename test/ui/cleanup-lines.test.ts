/*
The plan screen's cleanup list: what each cleanup event makes of a line. A file someone else deleted is reported as
already gone (not as deleted by backstack), and a failure's reason from the cloud reaches the terminal sanitized.
*/
import test from 'ava';
import {
	initialRunState,
	reducePlan,
	settleCleanup,
	type CleanupProgress,
} from '../../source/core/plans/reduce.js';
import type {CreatedResource, Plan, PlanEvent} from '../../source/core/plans/types.js';
import {cleanupLines} from '../../source/ui/plan/run-lines.js';

const plan: Plan = {
	id: 'plan-1', kind: 'test', title: 'A test plan', createdAt: '2026-11-20T12:00:00Z', steps: [], warnings: [],
};
const keyFile: CreatedResource = {
	kind: 'file', id: '/home/ana/db.key', stepId: 'export', temporary: false,
};
const volume: CreatedResource = {
	kind: 'volume', id: 'v-new', name: 'restored', stepId: 'create', temporary: false,
};
const image: CreatedResource = {
	kind: 'image', id: 'i-tmp', name: 'detour', stepId: 'upload', temporary: true,
};

function progressOf(events: PlanEvent[]): CleanupProgress[] {
	let progress: CleanupProgress[] = [];
	for (const event of events) {
		progress = settleCleanup(progress, event);
	}

	return progress;
}

const events: PlanEvent[] = [
	{type: 'cleanup-start', resource: keyFile, at: 1},
	{
		type: 'cleanup-done', resource: keyFile, alreadyGone: true, at: 2,
	},
	{type: 'cleanup-start', resource: volume, at: 3},
	{type: 'cleanup-done', resource: volume, at: 4},
	{type: 'cleanup-start', resource: image, at: 5},
	{
		type: 'cleanup-failed', resource: image, reason: 'Glance said \u{1B}[31mno\u{1B}[0m', at: 6,
	},
];

test('a file already deleted by someone else is "already gone", a removed volume "deleted", a failure sanitized', t => {
	const progress = progressOf(events);
	t.deepEqual(progress.map(item => [item.state, item.alreadyGone === true]), [['done', true], ['done', false], ['failed', false]]);
	const text = cleanupLines({
		step: 'cleanup', plan, state: initialRunState(plan), progress, isOver: true,
	}, 80).map(line => line.text);
	t.true(text.some(line => line.includes('/home/ana/db.key') && line.includes('was already gone')), text.join('\n'));
	t.false(text.some(line => line.includes('deleted') && line.includes('/home/ana/db.key')), text.join('\n'));
	t.true(text.some(line => line.startsWith('✔ deleted') && line.includes('restored')), text.join('\n'));
	const failure = text.find(line => line.includes('could not delete'));
	t.truthy(failure);
	t.false(failure!.includes('\u{1B}'), 'the escape sequence from the cloud does not reach the terminal');
});

test('the run reducer keeps the same cleanup list, and marks only what was removed as removed', t => {
	let state = {...initialRunState(plan), created: [keyFile, volume, image]};
	for (const event of events) {
		state = reducePlan(state, event);
	}

	t.deepEqual(state.cleanup, progressOf(events));
	t.deepEqual(state.created.map(item => item.removed === true), [true, true, false]);
});
