import test from 'ava';
import {
	confirmationFor,
	isConfirmed,
	describePlan,
	formatPreview,
} from '../../../source/core/plans/describe.js';
import {initialRunState, reducePlan} from '../../../source/core/plans/reduce.js';
import {ref, resolveAll} from '../../../source/core/plans/refs.js';
import {validatePlan} from '../../../source/core/plans/validate.js';
import type {Plan, PlanEvent} from '../../../source/core/plans/types.js';

function detourPlan(): Plan {
	return {
		id: 'p1',
		kind: 'volume-image',
		title: 'Copy in-use volume db into image "db-img"',
		createdAt: '2026-11-23T12:00:00.000Z',
		warnings: ['crash-consistent'],
		steps: [
			{
				id: 'snapshot',
				title: 'Snapshot',
				danger: 'create',
				checks: [{kind: 'volume-status', volumeId: 'vol-1', in: ['in-use', 'available']}],
				action: {op: 'cinder.createSnapshot', args: {volumeId: 'vol-1', name: 'tmp-snap', force: true}},
				creates: {
					kind: 'snapshot', output: 'snapshotId', name: 'tmp-snap', temporary: true,
				},
				wait: {
					resource: 'snapshot', id: ref('snapshot', 'snapshotId'), until: ['available'], failOn: ['error'], timeoutMs: 60_000,
				},
			},
			{
				id: 'temporary-volume',
				title: 'Temporary volume',
				danger: 'create',
				checks: [],
				action: {op: 'cinder.createVolume', args: {name: 'tmp-vol', snapshotId: ref('snapshot', 'snapshotId'), size: 1}},
				creates: {
					kind: 'volume', output: 'volumeId', name: 'tmp-vol', temporary: true,
				},
			},
			{
				id: 'upload',
				title: 'Upload',
				danger: 'create',
				checks: [],
				action: {op: 'cinder.uploadVolumeToImage', args: {volumeId: ref('temporary-volume', 'volumeId'), imageName: 'db-img'}},
				creates: {
					kind: 'image', output: 'imageId', name: 'db-img', temporary: false,
				},
			},
		],
	};
}

test('previews show refs as "<kind from step n>", danger and what is temporary', t => {
	const preview = describePlan(detourPlan());
	t.is(preview.rows.length, 3);
	t.is(preview.rows[1]!.action, 'Create volume "tmp-vol" from snapshot <snapshot from step 1>, 1 GiB, type default');
	t.is(preview.rows[2]!.action, 'Upload volume <volume from step 2> to image "db-img" (raw/bare)');
	t.regex(preview.rows[0]!.creates ?? '', /^temporary snapshot "tmp-snap", removed at the end/v);
	t.is(preview.rows[2]!.creates, 'image "db-img", kept');
	t.deepEqual(preview.rows[0]!.checks, ['volume vol-1 is in-use or available']);
	t.regex(preview.rows[0]!.wait ?? '', /waits until snapshot <snapshot from step 1> is available \(fails on error\)/v);
	t.deepEqual(preview.counts, {
		read: 0, create: 3, mutate: 0, destroy: 0,
	});
	const text = formatPreview(preview);
	t.regex(text, /WARNING: crash-consistent/v);
	t.regex(text, /\+ 1\. \[create\] Snapshot/v);
});

test('a destroy step without a confirmation never runs; with one, only the exact text does', t => {
	const plan = detourPlan();
	t.true(isConfirmed(plan, undefined));
	const destructive: Plan = {...plan, steps: [{...plan.steps[0]!, danger: 'destroy'}]};
	t.is(confirmationFor(destructive), undefined);
	t.false(isConfirmed(destructive, 'anything'));
	const confirmed: Plan = {
		...destructive,
		confirmation: {text: 'scratch', resource: {kind: 'volume', id: 'vol-9', name: 'scratch'}, reason: 'overwrites'},
	};
	t.is(confirmationFor(confirmed)?.text, 'scratch');
	t.false(isConfirmed(confirmed, 'Scratch'));
	t.false(isConfirmed(confirmed, undefined));
	t.true(isConfirmed(confirmed, 'scratch'));
});

test('validatePlan finds refs to later or unknown steps', t => {
	t.deepEqual(validatePlan(detourPlan()), []);
	const plan = detourPlan();
	const broken: Plan = {...plan, steps: [plan.steps[1]!, plan.steps[0]!, plan.steps[2]!]};
	t.deepEqual(validatePlan(broken), ['Step "temporary-volume" uses "snapshot", which does not come before it.']);
});

test('resolveAll replaces refs deep inside arguments and fails on missing outputs', t => {
	const outputs = {a: {volumeId: 'v-1'}};
	t.deepEqual(resolveAll({x: ref('a', 'volumeId'), properties: {k: ref('a', 'volumeId'), l: 'plain'}}, outputs), {x: 'v-1', properties: {k: 'v-1', l: 'plain'}});
	t.throws(() => resolveAll(ref('b', 'imageId'), outputs), {message: /has not produced "imageId"/v});
});

test('reducePlan follows a run: elapsed time, statuses, bytes with a rate and an estimate, cleanup', t => {
	const plan = detourPlan();
	const events: PlanEvent[] = [
		{
			type: 'plan-start', planId: 'p1', at: 1000, resumed: false,
		},
		{type: 'checks-passed', at: 1100},
		{type: 'step-start', stepId: 'snapshot', at: 1200},
		{
			type: 'created', stepId: 'snapshot', resource: {
				kind: 'snapshot', id: 's-1', stepId: 'snapshot', temporary: true,
			}, at: 1300,
		},
		{
			type: 'status', stepId: 'snapshot', resource: 'snapshot', id: 's-1', status: 'creating', at: 1400,
		},
		{
			type: 'bytes', stepId: 'snapshot', transferred: 250, total: 1000, rate: 50, at: 2200,
		},
	];
	let state = initialRunState(plan);
	for (const event of events) {
		state = reducePlan(state, event);
	}

	t.is(state.phase, 'running');
	t.is(state.elapsedMs, 1200);
	const step = state.steps[0]!;
	t.is(step.state, 'running');
	t.is(step.elapsedMs, 1000);
	t.is(step.status, 'creating');
	t.deepEqual(step.bytes, {transferred: 250, total: 1000, rate: 50});
	t.is(step.etaSeconds, 15);
	t.is(state.created.length, 1);

	state = reducePlan(state, {
		type: 'step-done', stepId: 'snapshot', outputs: {snapshotId: 's-1'}, at: 3200,
	});
	t.is(state.steps[0]!.state, 'done');
	t.is(state.steps[0]!.elapsedMs, 2000);
	t.is(state.steps[0]!.etaSeconds, undefined);

	state = reducePlan(state, {type: 'step-start', stepId: 'temporary-volume', at: 3300});
	state = reducePlan(state, {type: 'cleanup-start', resource: state.created[0]!, at: 4000});
	t.is(state.phase, 'cleanup');
	state = reducePlan(state, {type: 'cleanup-done', resource: state.created[0]!, at: 4500});
	state = reducePlan(state, {type: 'plan-cancelled', at: 4600});
	t.is(state.phase, 'cancelled');
	t.deepEqual(state.steps.map(item => item.state), ['done', 'cancelled', 'skipped']);
	t.is(state.cleanup[0]!.state, 'done');
	t.true(state.created[0]!.removed);
});

test('reducePlan records check failures and the failure reason', t => {
	let state = initialRunState(detourPlan());
	state = reducePlan(state, {
		type: 'plan-start', planId: 'p1', at: 0, resumed: false,
	});
	state = reducePlan(state, {
		type: 'check-failed', stepId: 'snapshot', check: {kind: 'volume-status', volumeId: 'vol-1', in: ['available']}, reason: 'Volume vol-1 is error.', at: 5,
	});
	state = reducePlan(state, {type: 'plan-failed', reason: 'Nothing was changed: Volume vol-1 is error.', at: 6});
	t.is(state.phase, 'failed');
	t.is(state.checkFailures.length, 1);
	t.regex(state.error ?? '', /Nothing was changed/v);
});
