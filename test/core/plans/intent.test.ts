/*
Issue 16 item 1: a resource created between the create request and the journal write is never lost nor made twice.
The demo cloud's `hold-reply` fault does the create and then never answers (a lost reply): the child running the plan
is killed while it waits, or the client times out.
*/
import {spawn} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import {writeFile} from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import test, {type ExecutionContext} from 'ava';
import {planServerImage, planVolumeBackup, planVolumeToImage} from '../../../source/core/plans/backup.js';
import {readJournal} from '../../../source/core/plans/journal.js';
import {cleanupPlan, resumePlan} from '../../../source/core/plans/recover.js';
import {planImageFromFile, planRestoreBackupToNewVolume, planSecretFromFile} from '../../../source/core/plans/restore.js';
import type {Plan, PlanResult} from '../../../source/core/plans/types.js';
import type {FaultSpec} from '../../../source/demo-cloud/index.js';
import {loadCloudConfig, openSession} from '../../../source/openstack/index.js';
import {
	collect,
	demoCloud,
	fastClock,
	last,
	listAll,
	runToEnd,
	temporaryDirectory,
	until,
	volumesOf,
	type CloudForTest,
} from './helpers.js';

const luks = {
	provider: 'luks', cipher: 'aes-xts-plain64', keySize: 256, controlLocation: 'front-end',
};

/**
An encrypted backup and its two-step restore plan: create an empty LUKS volume `db-restored`, then restore onto it.
*/
async function arrange(context: CloudForTest): Promise<Plan> {
	const {cloud, session} = context;
	cloud.state.addVolumeType({name: 'LUKS', encryption: luks});
	const volume = await session.cinder!.createVolume({size: 1, name: 'db', volumeType: 'LUKS'});
	await until(async () => session.cinder!.getVolume(volume.id), found => found.status === 'available');
	const {id} = await session.cinder!.createBackup({volumeId: volume.id, name: 'db-backup'});
	await until(async () => session.cinder!.getBackup(id), found => found.status === 'available');
	const result = await planRestoreBackupToNewVolume(session, {
		backupId: id, volumeType: 'LUKS', name: 'db-restored', method: 'create-then-restore',
	});
	if (result.kind !== 'plan') {
		throw new Error(JSON.stringify(result));
	}

	return result.plan;
}

const holdVolumeCreate = {
	kind: 'hold-reply', service: 'volume', method: 'POST', path: /\/volumes$/v, times: 1,
} as const;

async function restoredVolumes(context: CloudForTest) {
	const volumes = await volumesOf(context.session);
	return volumes.filter(volume => volume.name === 'db-restored');
}

/**
Runs the plan in a child; the cloud creates the resource (`made` lists it) and holds the reply; the child is killed
(SIGKILL) then.
*/
async function killAfterCreate(context: CloudForTest, plan: Plan, journal: string, held?: {fault: FaultSpec; made: () => Promise<unknown[]>}): Promise<void> {
	const {fault, made} = held ?? {fault: holdVolumeCreate, made: async () => restoredVolumes(context)};
	context.cloud.setFaults([fault]);
	const planFile = path.join(context.directory, 'plan.json');
	await writeFile(planFile, JSON.stringify(plan));
	const child = spawn(process.execPath, ['--import=tsx', new URL('child/run-plan.ts', import.meta.url).pathname, context.directory, 'demo', planFile, journal], {stdio: ['ignore', 'pipe', 'pipe']});
	let output = '';
	child.stdout.on('data', (chunk: Uint8Array) => {
		output += String(chunk);
	});
	child.stderr.on('data', (chunk: Uint8Array) => {
		output += String(chunk);
	});
	const exited = new Promise(resolve => {
		child.on('exit', resolve);
	});
	try {
		await until(made, found => found.length > 0, 30_000);
	} catch (error) {
		child.kill('SIGKILL');
		throw new Error(`The child never created the resource: ${output}`, {cause: error});
	}

	child.kill('SIGKILL');
	await exited;
	context.cloud.setFaults([]);
	// The crash is in the window: the cloud made the volume, the journal does not know its ID.
	const record = readJournal(journal, plan.id);
	if (record === undefined || record.created.length > 0 || output.includes('"created"')) {
		throw new Error(`The child was not killed between the create and the journal write: ${output}`);
	}
}

test('a child killed after the cloud created its volume but before the journal knew: resume ends with ONE volume', async t => {
	const context = await demoCloud(t);
	const plan = await arrange(context);
	const journal = await temporaryDirectory(t);
	await killAfterCreate(context, plan, journal);
	const before = await restoredVolumes(context);
	t.is(before.length, 1);

	const events = await collect(resumePlan(journal, plan.id, context.session, {clock: fastClock()}));
	t.is(last(events)?.type, 'plan-done', JSON.stringify(events));
	const restored = await restoredVolumes(context);
	t.is(restored.length, 1, JSON.stringify(restored.map(volume => volume.id)));
	t.is(restored[0]?.status, 'available');
	// The journal records the adopted volume as the plan's.
	t.deepEqual(readJournal(journal, plan.id)?.created.map(resource => resource.id), restored.map(volume => volume.id));
});

test('a child killed after the cloud created its volume but before the journal knew: cleanup deletes it (zero left)', async t => {
	const context = await demoCloud(t);
	const plan = await arrange(context);
	const journal = await temporaryDirectory(t);
	await killAfterCreate(context, plan, journal);

	const events = await collect(cleanupPlan(journal, plan.id, context.session, {clock: fastClock()}));
	t.deepEqual(events.map(event => event.type), ['cleanup-start', 'cleanup-done'], JSON.stringify(events));
	t.deepEqual(await restoredVolumes(context), []);
	t.is(readJournal(journal, plan.id)?.state, 'cleaned');
});

/**
The client's timeout in these tests, and how long the cloud holds the create's answer: three times longer, so the client
gives up first even on a loaded machine (a 1 s timeout also cut short the plain GETs around it there).
*/
const clientTimeoutMs = 3000;
const heldMs = 3 * clientTimeoutMs;

/**
Runs the plan with a short client timeout while the cloud holds the matching create's answer for longer (it did create).
*/
async function runThroughLostAnswer(t: ExecutionContext, context: CloudForTest, plan: Plan, fault: FaultSpec) {
	const journal = await temporaryDirectory(t);
	const session = await openSession(await loadCloudConfig({
		cloud: 'demo', cwd: context.directory, home: context.directory, env: {}, systemDirs: [],
	}), {timeoutMs: clientTimeoutMs});
	t.teardown(() => {
		session.close();
	});
	context.cloud.setFaults([fault]);
	const events = await runToEnd(plan, session, {journal, clock: fastClock()});
	context.cloud.setFaults([]);
	t.true(events.some(event => event.type === 'request'), 'the plan sent its call');
	return {events, journal: readJournal(journal, plan.id)};
}

function planOf(result: PlanResult): Plan {
	if (result.kind !== 'plan') {
		throw new Error(JSON.stringify(result));
	}

	return result.plan;
}

test('a client timeout on the create (the cloud made the volume): the step adopts it, ONE volume, the plan goes on', async t => {
	const context = await demoCloud(t);
	const plan = await arrange(context);
	const {events, journal} = await runThroughLostAnswer(t, context, plan, {...holdVolumeCreate, ms: heldMs});
	t.is(last(events)?.type, 'plan-done', JSON.stringify(events));
	const restored = await restoredVolumes(context);
	t.is(restored.length, 1);
	t.deepEqual(journal?.created.map(resource => resource.id), restored.map(volume => volume.id));
});

test('a client timeout on a backup create: the backup is adopted, ONE backup, journalled', async t => {
	const context = await demoCloud(t);
	const {session} = context;
	const volume = await session.cinder!.createVolume({size: 1, name: 'db'});
	await until(async () => session.cinder!.getVolume(volume.id), found => found.status === 'available');
	const plan = planOf(await planVolumeBackup(session, {volumeId: volume.id, name: 'db-nightly'}));
	const {events, journal} = await runThroughLostAnswer(t, context, plan, {
		kind: 'hold-reply', service: 'volume', method: 'POST', path: /\/backups$/v, times: 1, ms: heldMs,
	});
	t.is(last(events)?.type, 'plan-done', JSON.stringify(events));
	const backups = await listAll(session.cinder!.listBackups());
	t.deepEqual(backups.map(backup => backup.name), ['db-nightly']);
	t.deepEqual(journal?.created.map(resource => [resource.kind, resource.id]), backups.map(backup => ['backup', backup.id]));
});

test('a client timeout on the snapshot of the detour: the snapshot is adopted, the plan ends and removes its temporaries', async t => {
	const context = await demoCloud(t);
	const {session} = context;
	const volume = await session.cinder!.createVolume({size: 1, name: 'db'});
	await until(async () => session.cinder!.getVolume(volume.id), found => found.status === 'available');
	const plan = planOf(await planVolumeToImage(session, {volumeId: volume.id, imageName: 'db-image', viaSnapshot: true}));
	const {events, journal} = await runThroughLostAnswer(t, context, plan, {
		kind: 'hold-reply', service: 'volume', method: 'POST', path: /\/snapshots$/v, times: 1, ms: heldMs,
	});
	t.is(last(events)?.type, 'plan-done', JSON.stringify(events));
	// Nothing made by the lost answer is left behind: the adopted snapshot was a temporary and went.
	t.deepEqual(await listAll(session.cinder!.listSnapshots()), []);
	t.true(journal?.created.some(resource => resource.kind === 'snapshot' && resource.removed === true));
	const images = await listAll(session.glance!.listImages());
	t.is(images.filter(image => image.name === 'db-image').length, 1);
});

test('a client timeout on an image create: the image is adopted, ONE image, and its data uploaded', async t => {
	const context = await demoCloud(t);
	const {session} = context;
	const file = path.join(context.directory, 'disk.raw');
	await writeFile(file, randomBytes(4096));
	const plan = planOf(await planImageFromFile(session, {path: file, name: 'restored-disk'}));
	const {events, journal} = await runThroughLostAnswer(t, context, plan, {
		kind: 'hold-reply', service: 'image', method: 'POST', path: /\/images$/v, times: 1, ms: heldMs,
	});
	t.is(last(events)?.type, 'plan-done', JSON.stringify(events));
	const all = await listAll(session.glance!.listImages());
	const images = all.filter(image => image.name === 'restored-disk');
	t.is(images.length, 1);
	t.is(images[0]?.status, 'active');
	t.deepEqual(journal?.created.map(resource => [resource.kind, resource.id]), images.map(image => ['image', image.id]));
});

test('a client timeout on a server image: the image Nova made is adopted, ONE image', async t => {
	const context = await demoCloud(t, {seed: 'story'});
	const {session} = context;
	const servers = await listAll(session.nova!.listServers());
	const server = servers.find(candidate => candidate.name === 'shop-web-01')!;
	const plan = planOf(await planServerImage(session, {serverId: server.id, imageName: 'web-now'}));
	const {events, journal} = await runThroughLostAnswer(t, context, plan, {
		kind: 'hold-reply', service: 'compute', method: 'POST', path: /\/action$/v, times: 1, ms: heldMs,
	});
	t.is(last(events)?.type, 'plan-done', JSON.stringify(events));
	const all = await listAll(session.glance!.listImages());
	const images = all.filter(image => image.name === 'web-now');
	t.is(images.length, 1);
	t.deepEqual(journal?.created.map(resource => [resource.kind, resource.id]), images.map(image => ['image', image.id]));
});

/*
The calls that take a name and no metadata (a Barbican secret, a restore into a new volume, an upload to image): the
child is killed after the cloud made the resource, before the journal knew.
*/
function named<T extends {name?: string}>(prefix: string, items: T[]): T[] {
	return items.filter(item => item.name?.startsWith(prefix) === true);
}

async function arrangeSecret(context: CloudForTest) {
	const file = path.join(context.directory, 'db.key');
	await writeFile(file, randomBytes(32));
	const plan = planOf(await planSecretFromFile(context.session, {path: file, name: 'db-key'}));
	const secrets = async () => named('db-key', await listAll(context.session.barbican!.listSecrets()));
	const fault = {
		kind: 'hold-reply', service: 'key-manager', method: 'POST', path: /\/secrets$/v, times: 1,
	} as const;
	return {plan, secrets, fault};
}

test('a child killed after Barbican stored its secret but before the journal knew: resume ends with ONE secret', async t => {
	const context = await demoCloud(t);
	const {plan, secrets, fault} = await arrangeSecret(context);
	const journal = await temporaryDirectory(t);
	await killAfterCreate(context, plan, journal, {fault, made: secrets});
	const before = await secrets();
	t.is(before.length, 1);

	const events = await collect(resumePlan(journal, plan.id, context.session, {clock: fastClock()}));
	t.is(last(events)?.type, 'plan-done', JSON.stringify(events));
	const stored = await secrets();
	t.is(stored.length, 1, JSON.stringify(stored.map(secret => secret.name)));
	t.deepEqual(readJournal(journal, plan.id)?.created.map(resource => [resource.kind, resource.id]), stored.map(secret => ['secret', secret.id]));
});

test('a child killed after Barbican stored its secret but before the journal knew: cleanup deletes it (zero left)', async t => {
	const context = await demoCloud(t);
	const {plan, secrets, fault} = await arrangeSecret(context);
	const journal = await temporaryDirectory(t);
	await killAfterCreate(context, plan, journal, {fault, made: secrets});

	const events = await collect(cleanupPlan(journal, plan.id, context.session, {clock: fastClock()}));
	t.deepEqual(events.map(event => event.type), ['cleanup-start', 'cleanup-done'], JSON.stringify(events));
	t.deepEqual(await secrets(), []);
	t.is(readJournal(journal, plan.id)?.state, 'cleaned');
});

async function arrangeRestore(context: CloudForTest) {
	const {session} = context;
	const volume = await session.cinder!.createVolume({size: 1, name: 'db'});
	await until(async () => session.cinder!.getVolume(volume.id), found => found.status === 'available');
	const {id} = await session.cinder!.createBackup({volumeId: volume.id, name: 'db-backup'});
	await until(async () => session.cinder!.getBackup(id), found => found.status === 'available');
	// Gone, the source volume leaves no type to keep: the plan is Cinder's own restore into a new volume.
	await session.cinder!.deleteVolume(volume.id);
	await until(async () => session.cinder!.findVolume(volume.id), found => found === undefined);
	const plan = planOf(await planRestoreBackupToNewVolume(session, {backupId: id, name: 'db-restored'}));
	const volumes = async () => named('db-restored', await volumesOf(session));
	const fault = {
		kind: 'hold-reply', service: 'volume', method: 'POST', path: /\/restore$/v, times: 1,
	} as const;
	return {plan, volumes, fault};
}

test('a child killed after Cinder made the volume of a restore but before the journal knew: resume ends with ONE volume, named as planned', async t => {
	const context = await demoCloud(t);
	const {plan, volumes, fault} = await arrangeRestore(context);
	t.deepEqual(plan.steps.map(step => step.action.op), ['cinder.restoreBackup']);
	const journal = await temporaryDirectory(t);
	await killAfterCreate(context, plan, journal, {fault, made: volumes});
	const before = await volumes();
	t.is(before.length, 1);

	const events = await collect(resumePlan(journal, plan.id, context.session, {clock: fastClock()}));
	t.is(last(events)?.type, 'plan-done', JSON.stringify(events));
	const restored = await volumes();
	t.deepEqual(restored.map(volume => [volume.name, volume.status]), [['db-restored', 'available']]);
	t.deepEqual(readJournal(journal, plan.id)?.created.map(resource => [resource.kind, resource.id]), restored.map(volume => ['volume', volume.id]));
});

test('a child killed after Cinder made the volume of a restore but before the journal knew: cleanup deletes it (zero left)', async t => {
	const context = await demoCloud(t);
	const {plan, volumes, fault} = await arrangeRestore(context);
	const journal = await temporaryDirectory(t);
	await killAfterCreate(context, plan, journal, {fault, made: volumes});

	const events = await collect(cleanupPlan(journal, plan.id, context.session, {clock: fastClock()}));
	t.deepEqual(events.map(event => event.type), ['cleanup-start', 'cleanup-done'], JSON.stringify(events));
	t.deepEqual(await volumes(), []);
	t.is(readJournal(journal, plan.id)?.state, 'cleaned');
});

async function arrangeUpload(context: CloudForTest) {
	const {session} = context;
	const volume = await session.cinder!.createVolume({size: 1, name: 'db'});
	await until(async () => session.cinder!.getVolume(volume.id), found => found.status === 'available');
	const plan = planOf(await planVolumeToImage(session, {volumeId: volume.id, imageName: 'db-image'}));
	const images = async () => named('db-image', await listAll(session.glance!.listImages()));
	const fault = {
		kind: 'hold-reply', service: 'volume', method: 'POST', path: /\/action$/v, times: 1,
	} as const;
	return {plan, images, fault};
}

test('a child killed after Cinder made the image of an upload but before the journal knew: resume ends with ONE image, named as planned', async t => {
	const context = await demoCloud(t);
	const {plan, images, fault} = await arrangeUpload(context);
	t.deepEqual(plan.steps.map(step => step.action.op), ['cinder.uploadVolumeToImage']);
	const journal = await temporaryDirectory(t);
	await killAfterCreate(context, plan, journal, {fault, made: images});
	const before = await images();
	t.is(before.length, 1);

	const events = await collect(resumePlan(journal, plan.id, context.session, {clock: fastClock()}));
	t.is(last(events)?.type, 'plan-done', JSON.stringify(events));
	const uploaded = await images();
	t.deepEqual(uploaded.map(image => [image.name, image.status]), [['db-image', 'active']]);
	t.deepEqual(readJournal(journal, plan.id)?.created.map(resource => [resource.kind, resource.id]), uploaded.map(image => ['image', image.id]));
});

test('a child killed after Cinder made the image of an upload but before the journal knew: cleanup deletes it (zero left)', async t => {
	const context = await demoCloud(t);
	const {plan, images, fault} = await arrangeUpload(context);
	const journal = await temporaryDirectory(t);
	await killAfterCreate(context, plan, journal, {fault, made: images});

	const events = await collect(cleanupPlan(journal, plan.id, context.session, {clock: fastClock()}));
	t.deepEqual(events.map(event => event.type), ['cleanup-start', 'cleanup-done'], JSON.stringify(events));
	t.deepEqual(await images(), []);
	t.is(readJournal(journal, plan.id)?.state, 'cleaned');
});

test('a client timeout on a restore into a new volume: the volume is adopted, ONE volume, named as planned', async t => {
	const context = await demoCloud(t);
	const {plan, volumes, fault} = await arrangeRestore(context);
	const {events, journal} = await runThroughLostAnswer(t, context, plan, {...fault, ms: heldMs});
	t.is(last(events)?.type, 'plan-done', JSON.stringify(events));
	const restored = await volumes();
	t.deepEqual(restored.map(volume => [volume.name, volume.status]), [['db-restored', 'available']]);
	t.deepEqual(journal?.created.map(resource => [resource.kind, resource.id]), restored.map(volume => ['volume', volume.id]));
});

test('a client timeout on an upload to image: the image is adopted, ONE image, named as planned', async t => {
	const context = await demoCloud(t);
	const {plan, images, fault} = await arrangeUpload(context);
	const {events, journal} = await runThroughLostAnswer(t, context, plan, {...fault, ms: heldMs});
	t.is(last(events)?.type, 'plan-done', JSON.stringify(events));
	const uploaded = await images();
	t.deepEqual(uploaded.map(image => [image.name, image.status]), [['db-image', 'active']]);
	t.deepEqual(journal?.created.map(resource => [resource.kind, resource.id]), uploaded.map(image => ['image', image.id]));
});
