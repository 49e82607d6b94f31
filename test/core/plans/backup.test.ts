import test from 'ava';
import {
	planProtectNow,
	planVolumeBackup,
	planVolumeToImage,
} from '../../../source/core/plans/backup.js';
import {toOpenstackCli} from '../../../source/core/plans/cli-export.js';
import {backupRequestFrom, planUsage} from '../../../source/core/plans/commands.js';
import {describePlan, formatPreview} from '../../../source/core/plans/describe.js';
import {runPlan} from '../../../source/core/plans/execute.js';
import type {PlanEvent} from '../../../source/core/plans/types.js';
import type {CloudSession} from '../../../source/openstack/api.js';
import {
	collect,
	demoCloud,
	fastClock,
	last,
	listAll,
	runToEnd,
	until,
	volumeNames,
	planOf,
} from './helpers.js';

async function availableVolume(session: CloudSession, name: string, size = 1) {
	const volume = await session.cinder!.createVolume({size, name});
	return until(async () => session.cinder!.getVolume(volume.id), found => found.status === 'available');
}

test('incremental is refused without an available full backup, and chosen automatically once one exists', async t => {
	const {session} = await demoCloud(t);
	const volume = await availableVolume(session, 'data');
	const refused = await planVolumeBackup(session, {volumeId: volume.id, incremental: true});
	t.is(refused.kind, 'refusal');
	t.regex(refused.kind === 'refusal' ? refused.reason : '', /no available full backup/v);

	const full = planOf(await planVolumeBackup(session, {volumeId: volume.id}));
	t.false(full.steps[0]!.action.op === 'cinder.createBackup' && full.steps[0]!.action.args.incremental);
	const fullEvents = await runToEnd(full, session, {clock: fastClock()});
	t.is(last(fullEvents)?.type, 'plan-done');

	const incremental = planOf(await planVolumeBackup(session, {volumeId: volume.id}));
	t.true(incremental.steps[0]!.action.op === 'cinder.createBackup' && incremental.steps[0]!.action.args.incremental);
	const events = await collect(runPlan(incremental, session, {clock: fastClock()}));
	const done = last(events);
	t.is(done?.type, 'plan-done');
	const backup = await session.cinder!.getBackup(String(done?.type === 'plan-done' ? done.results['backup'] : ''));
	t.true(backup.isIncremental);
	t.is(backup.status, 'available');
});

test('an in-use volume is backed up with force, and the preview says it is crash-consistent', async t => {
	const {session, cloud} = await demoCloud(t);
	const volume = await availableVolume(session, 'busy');
	cloud.state.volumes.get(volume.id)!.status = 'in-use';
	const refused = await planVolumeBackup(session, {volumeId: volume.id, force: false});
	t.is(refused.kind, 'refusal');
	const plan = planOf(await planVolumeBackup(session, {volumeId: volume.id}));
	const row = describePlan(plan).rows[0]!;
	t.regex(row.note ?? '', /crash-consistent/v);
	t.regex(row.action, /forced/v);
	t.true(plan.steps[0]!.action.op === 'cinder.createBackup' && plan.steps[0]!.action.args.force === true);
	const events = await collect(runPlan(plan, session, {clock: fastClock()}));
	t.is(last(events)?.type, 'plan-done', JSON.stringify(events));
});

test('protect-now backs up every volume, never more at a time than the limit', async t => {
	const {session, cloud} = await demoCloud(t, {timeScale: 0.05});
	const volumes = await Promise.all(['a', 'b', 'c', 'd', 'e'].map(async name => availableVolume(session, name)));
	cloud.state.volumes.get(volumes[4]!.id)!.status = 'error';
	const plan = planOf(await planProtectNow(session, {volumeIds: volumes.map(volume => volume.id), concurrency: 2}));
	t.is(plan.steps.length, 4);
	t.regex(plan.warnings[0] ?? '', /Not backed up: Volume e .* is error/v);
	let running = 0;
	let most = 0;
	const events: PlanEvent[] = [];
	for await (const event of runPlan(plan, session, {clock: fastClock(20)})) {
		events.push(event);
		if (event.type === 'step-start') {
			running++;
			most = Math.max(most, running);
		} else if (event.type === 'step-done' || event.type === 'step-failed') {
			running--;
		}
	}

	t.is(last(events)?.type, 'plan-done', JSON.stringify(events.filter(event => event.type === 'plan-failed' || event.type === 'step-failed')));
	t.is(most, 2);
	const backups = await listAll(session.cinder!.listBackups());
	t.deepEqual(backups.map(backup => backup.volumeId).toSorted(), volumes.slice(0, 4).map(volume => volume.id).toSorted());
	t.true(backups.every(backup => backup.status === 'available'));
});

test('in protect-now, one failed backup does not stop the others', async t => {
	const {session, cloud} = await demoCloud(t);
	const volumes = await Promise.all(['a', 'b', 'c'].map(async name => availableVolume(session, name)));
	const plan = planOf(await planProtectNow(session, {volumeIds: volumes.map(volume => volume.id), concurrency: 1}));
	cloud.setFaults([{
		kind: 'error', status: 500, message: 'injected', service: 'volume', method: 'POST', path: /\/backups$/v, times: 1,
	}]);
	const events = await runToEnd(plan, session, {clock: fastClock()});
	cloud.setFaults([]);
	t.is(last(events)?.type, 'plan-failed');
	t.is(events.filter(event => event.type === 'step-failed').length, 1);
	t.is(events.filter(event => event.type === 'step-done').length, 2);
	const backups = await listAll(session.cinder!.listBackups());
	t.is(backups.length, 2);
});

async function inUseVolume(session: CloudSession, cloud: {state: {volumes: Map<string, {status: string}>}}) {
	const volume = await availableVolume(session, 'db');
	cloud.state.volumes.get(volume.id)!.status = 'in-use';
	return volume;
}

test('the snapshot detour removes its temporary volume and snapshot when the user cancels', async t => {
	const {session, cloud} = await demoCloud(t, {timeScale: 0.2});
	const volume = await inUseVolume(session, cloud);
	const plan = planOf(await planVolumeToImage(session, {volumeId: volume.id, imageName: 'db-image'}));
	t.deepEqual(plan.steps.map(step => step.id), ['snapshot', 'temporary-volume', 'upload']);
	t.true(plan.warnings.some(warning => warning.includes('crash-consistent')));
	const controller = new AbortController();
	const events: PlanEvent[] = [];
	for await (const event of runPlan(plan, session, {clock: fastClock(), signal: controller.signal})) {
		events.push(event);
		if (event.type === 'created' && event.stepId === 'temporary-volume') {
			controller.abort();
		}
	}

	t.is(last(events)?.type, 'plan-cancelled');
	const cleaned = events.filter(event => event.type === 'cleanup-done').map(event => event.type === 'cleanup-done' ? event.resource.kind : '');
	t.deepEqual(cleaned, ['volume', 'snapshot']);
	t.false(events.some(event => event.type === 'step-start' && event.stepId === 'upload'));
	t.deepEqual(await volumeNames(session), ['db']);
	t.deepEqual(await listAll(session.cinder!.listSnapshots()), []);
});

test('the snapshot detour removes its temporaries when a step fails', async t => {
	const {session, cloud} = await demoCloud(t);
	const volume = await inUseVolume(session, cloud);
	const plan = planOf(await planVolumeToImage(session, {volumeId: volume.id, imageName: 'db-image'}));
	cloud.setFaults([{
		kind: 'error', status: 500, message: 'injected', service: 'volume', method: 'POST', path: /\/volumes\/[^\/]+\/action/v,
	}]);
	const events = await collect(runPlan(plan, session, {clock: fastClock()}));
	cloud.setFaults([]);
	const end = last(events);
	t.is(end?.type, 'plan-failed');
	t.is(end?.type === 'plan-failed' ? end.stepId : undefined, 'upload');
	t.is(events.filter(event => event.type === 'cleanup-done').length, 2);
	t.deepEqual(await volumeNames(session), ['db']);
	t.deepEqual(await listAll(session.cinder!.listSnapshots()), []);
});

test('an available volume goes straight to an image, without the detour', async t => {
	const {session} = await demoCloud(t);
	const volume = await availableVolume(session, 'quiet');
	const plan = planOf(await planVolumeToImage(session, {volumeId: volume.id, imageName: 'quiet-image'}));
	t.deepEqual(plan.steps.map(step => step.action.op), ['cinder.uploadVolumeToImage']);
});

test('--via-snapshot sends an available volume through the detour: it stays available, the temporaries go, the preview and export say so', async t => {
	const {session} = await demoCloud(t);
	const volume = await availableVolume(session, 'busy-but-detached');
	const plan = planOf(await planVolumeToImage(session, {volumeId: volume.id, imageName: 'detour-image', viaSnapshot: true}));
	t.deepEqual(plan.steps.map(step => step.id), ['snapshot', 'temporary-volume', 'upload']);
	const snapshotStep = plan.steps[0]!;
	t.true(snapshotStep.action.op === 'cinder.createSnapshot' && snapshotStep.action.args.force === undefined, 'an available volume needs no force');
	t.true(plan.title.includes('snapshot detour'));
	t.false(plan.title.includes('in-use'));
	t.true(plan.warnings.some(warning => warning.includes('stays available')));
	t.false(plan.warnings.some(warning => warning.includes('crash-consistent')));
	const preview = formatPreview(describePlan(plan));
	t.regex(preview, /temporary/v);
	t.regex(preview, /stays available/v);
	const script = toOpenstackCli(plan);
	t.regex(script, /openstack volume snapshot create --volume \S+ /v);
	t.notRegex(script, /snapshot create[^\n]*--force/v);
	t.regex(script, /trap cleanup EXIT/v);

	const sourceStatuses = new Set<string>();
	const events: PlanEvent[] = [];
	for await (const event of runPlan(plan, session, {clock: fastClock()})) {
		events.push(event);
		if (event.type !== 'status' && event.type !== 'step-start') {
			continue;
		}

		const {status} = await session.cinder!.getVolume(volume.id);
		sourceStatuses.add(status);
	}

	const end = last(events);
	t.is(end?.type, 'plan-done', JSON.stringify(end));
	t.deepEqual([...sourceStatuses], ['available'], 'the source volume never left available');
	const imageId = String(end?.type === 'plan-done' ? end.results['image'] : '');
	const image = await session.glance!.getImage(imageId);
	t.is(image.status, 'active');
	t.deepEqual(await volumeNames(session), ['busy-but-detached']);
	t.deepEqual(await listAll(session.cinder!.listSnapshots()), []);
});

test('without --via-snapshot an in-use volume still takes the detour with force; backupRequestFrom reads --via-snapshot', async t => {
	const {session, cloud} = await demoCloud(t);
	const volume = await inUseVolume(session, cloud);
	for (const viaSnapshot of [undefined, false, true]) {
		// eslint-disable-next-line no-await-in-loop
		const plan = planOf(await planVolumeToImage(session, {volumeId: volume.id, imageName: 'db-image', viaSnapshot}));
		const first = plan.steps[0]!;
		t.true(first.action.op === 'cinder.createSnapshot' && first.action.args.force === true, `viaSnapshot ${String(viaSnapshot)}`);
	}

	t.like(backupRequestFrom(['volume-image', 'db'], {name: 'db-image', viaSnapshot: true}), {kind: 'volume-image', viaSnapshot: true});
	t.is((backupRequestFrom(['volume-image', 'db'], {name: 'db-image'}) as {viaSnapshot?: boolean}).viaSnapshot, undefined);
	t.regex(planUsage, /volume-image <volume> --name IMAGE .*\[--via-snapshot\]/v);
});
