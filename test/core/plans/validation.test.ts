/*
Issue 16 item 7: a plan is checked against what its operations produce and how much they can hurt, before it runs.
*/
import test from 'ava';
import {toOpenstackCli} from '../../../source/core/plans/cli-export.js';
import {describePlan, isConfirmed, requiresConfirmation} from '../../../source/core/plans/describe.js';
import {ref} from '../../../source/core/plans/refs.js';
import {validatePlan} from '../../../source/core/plans/validate.js';
import type {Plan, Step} from '../../../source/core/plans/types.js';
import {
	demoCloud,
	fastClock,
	last,
	runToEnd,
	until,
	volumeNames,
	volumesOf,
} from './helpers.js';

function planOf(steps: Step[], extra: Partial<Plan> = {}): Plan {
	return {
		id: 'validation', kind: 'test', title: 'validation', createdAt: '2026-12-06T12:00:00.000Z', warnings: [], steps, ...extra,
	};
}

const volumeStep: Step = {
	id: 'create',
	title: 'Create volume',
	danger: 'create',
	checks: [],
	action: {op: 'cinder.createVolume', args: {size: 1, name: 'made-by-plan'}},
	creates: {
		kind: 'volume', output: 'volumeId', name: 'made-by-plan', temporary: false,
	},
	wait: {
		resource: 'volume', id: ref('create', 'volumeId'), until: ['available'], failOn: ['error'], timeoutMs: 60_000,
	},
};

test('a ref must name an output the earlier step produces, in arguments, waits and results', t => {
	t.deepEqual(validatePlan(planOf([volumeStep])), []);
	const backup: Step = {
		id: 'backup',
		title: 'Back it up',
		danger: 'create',
		checks: [],
		// A volume step produces volumeId, not snapshotId.
		action: {op: 'cinder.createBackup', args: {volumeId: ref('create', 'snapshotId')}},
		creates: {kind: 'backup', output: 'backupId', temporary: false},
		wait: {
			resource: 'backup', id: ref('backup', 'volumeId'), until: ['available'], failOn: ['error'], timeoutMs: 60_000,
		},
	};
	const problems = validatePlan(planOf([volumeStep, backup], {results: {backup: ref('backup', 'backupId'), bytes: ref('create', 'bytes')}}));
	t.deepEqual(problems, [
		'Step "backup" (cinder.createBackup) produces no "volumeId" (it produces: backupId).',
		'Step "create" (cinder.createVolume) produces no "snapshotId" (it produces: volumeId).',
		'Step "create" (cinder.createVolume) produces no "bytes" (it produces: volumeId).',
	]);
});

test('a key export produces hexPath only when it writes a hex file', t => {
	const exportStep = (hexPath?: string): Step => ({
		id: 'export',
		title: 'Export',
		danger: 'create',
		checks: [],
		action: {op: 'barbican.exportSecret', args: {secretId: 's-1', path: '/tmp/k.key', hexPath}},
		creates: {kind: 'file', output: 'path', temporary: false},
	});
	const results = {hex: ref('export', 'hexPath')};
	const withHex = exportStep('/tmp/k.hex');
	const withoutHex = exportStep();
	t.deepEqual(validatePlan(planOf([withHex], {results})), []);
	t.deepEqual(validatePlan(planOf([withoutHex], {results})), [
		'Step "export" (barbican.exportSecret) produces no "hexPath" (it produces: path).',
	]);
});

test('an unknown creates.output refuses the plan before anything is created (it would never be journalled)', async t => {
	const {session} = await demoCloud(t);
	const plan = planOf([{...volumeStep, creates: {...volumeStep.creates!, output: 'id'}}]);
	t.deepEqual(validatePlan(plan), [
		'Step "create" records what it creates from "id", which cinder.createVolume does not produce (it produces: volumeId): it would never be journalled.',
	]);
	const events = await runToEnd(plan, session, {clock: fastClock()});
	const end = last(events);
	t.is(end?.type, 'plan-failed');
	t.regex(end?.type === 'plan-failed' ? end.reason : '', /^The plan is invalid: .*"id"/v);
	t.false(events.some(event => event.type === 'request'));
	t.deepEqual(await volumeNames(session), []);
});

test('a delete is destroy whatever the planner wrote: previewed as such, and refused without a typed confirmation', async t => {
	const {session} = await demoCloud(t);
	const volume = await session.cinder!.createVolume({size: 1, name: 'precious'});
	await until(async () => session.cinder!.getVolume(volume.id), found => found.status === 'available');
	const plan = planOf([{
		id: 'delete',
		title: 'Tidy up',
		danger: 'create',
		checks: [],
		action: {op: 'cinder.deleteVolume', args: {volumeId: volume.id}},
	}]);
	t.is(describePlan(plan).rows[0]!.danger, 'destroy');
	t.is(describePlan(plan).counts.destroy, 1);
	t.true(requiresConfirmation(plan));
	t.false(isConfirmed(plan, undefined));
	t.regex(toOpenstackCli(plan), /# Step 1 \[destroy\]: Tidy up/v);
	const events = await runToEnd(plan, session, {clock: fastClock()});
	const end = last(events);
	t.is(end?.type, 'plan-failed');
	t.regex(end?.type === 'plan-failed' ? end.reason : '', /^Refused: this plan destroys data/v);
	t.false(events.some(event => event.type === 'request'));
	const volumes = await volumesOf(session);
	t.deepEqual(volumes.map(found => [found.id, found.status]), [[volume.id, 'available']]);
});

test('the minimum danger follows the operation: overwriting a volume the user has is destroy, one the plan made is not', t => {
	const restoreOnto = (volumeId: string | ReturnType<typeof ref>): Step => ({
		id: 'restore', title: 'Restore', danger: 'read', checks: [], action: {op: 'cinder.restoreBackup', args: {backupId: 'b-1', volumeId}},
	});
	const dangers = (steps: Step[]) => describePlan(planOf(steps)).rows.map(row => row.danger);
	t.deepEqual(dangers([restoreOnto('v-existing')]), ['destroy']);
	const created = ref('create', 'volumeId');
	t.deepEqual(dangers([volumeStep, restoreOnto(created)]), ['create', 'mutate']);
	// A volumeId from a step that does not create it (here: a restore onto an existing volume) is still the user's.
	const first: Step = {...restoreOnto('v-existing'), id: 'first', danger: 'destroy'};
	const restored = ref('first', 'volumeId');
	t.deepEqual(dangers([first, restoreOnto(restored)]), ['destroy', 'destroy']);
	t.deepEqual(dangers([{
		id: 'props', title: 'Props', danger: 'read', checks: [], action: {op: 'glance.removeImageProperties', args: {imageId: 'i-1', keys: ['x']}},
	}, {
		id: 'export', title: 'Export', danger: 'read', checks: [], action: {op: 'barbican.exportSecret', args: {secretId: 's-1', path: '/tmp/k'}},
	}, {
		// A planner may write more than the minimum; it is kept.
		id: 'made', title: 'Made', danger: 'mutate', checks: [], action: {op: 'cinder.createSnapshot', args: {volumeId: 'v-1'}},
	}]), ['mutate', 'create', 'mutate']);
});

test('what a step says it creates must be the kind its operation creates: cleanup would otherwise delete the wrong thing', t => {
	const snapshot: Step = {
		id: 'snap',
		title: 'Snapshot it',
		danger: 'create',
		checks: [],
		action: {op: 'cinder.createSnapshot', args: {volumeId: ref('create', 'volumeId')}},
		// The snapshot's ID recorded as a volume: a cleanup would call DELETE /volumes/<snapshot id>.
		creates: {kind: 'volume', output: 'snapshotId', temporary: true},
	};
	const property: Step = {
		id: 'tag',
		title: 'Tag the image',
		danger: 'mutate',
		checks: [],
		action: {op: 'glance.setImageProperties', args: {imageId: 'i-1', properties: {a: 'b'}}},
		creates: {kind: 'image', output: 'imageId', temporary: false},
	};
	t.deepEqual(validatePlan(planOf([volumeStep, snapshot, property])), [
		'Step "snap" says it creates: volume; cinder.createSnapshot creates snapshot: cleanup would delete the wrong thing.',
		'Step "tag" says it creates: image; glance.setImageProperties creates nothing: cleanup would delete the wrong thing.',
	]);
});
