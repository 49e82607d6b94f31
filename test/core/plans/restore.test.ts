import {spawnSync} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import {mkdir, writeFile} from 'node:fs/promises';
import path from 'node:path';
import {Buffer} from 'node:buffer';
import process from 'node:process';
import test from 'ava';
import {backupMetaSourceTypeId, backupMetaSourceTypeName} from '../../../source/core/model.js';
import {planVolumeBackup} from '../../../source/core/plans/backup.js';
import {confirmationFor, describePlan} from '../../../source/core/plans/describe.js';
import {runPlan} from '../../../source/core/plans/execute.js';
import type {JournalRecord} from '../../../source/core/plans/journal.js';
import {resumePlan} from '../../../source/core/plans/recover.js';
import {planRestoreBackupToNewVolume, planRestoreOntoVolume, planVolumeFromImage} from '../../../source/core/plans/restore.js';
import type {Plan, PlanEvent} from '../../../source/core/plans/types.js';
import type {CloudSession} from '../../../source/openstack/api.js';
import {
	collect,
	demoCloud,
	fastClock,
	last,
	temporaryDirectory,
	until,
	volumeNames,
	volumesOf,
	type CloudForTest,
	planOf,
} from './helpers.js';

const luks = {
	provider: 'luks', cipher: 'aes-xts-plain64', keySize: 256, controlLocation: 'front-end',
};

async function available(session: CloudSession, volumeId: string) {
	return until(async () => session.cinder!.getVolume(volumeId), volume => volume.status === 'available');
}

/**
An encrypted volume of type LUKS and a backup of it made by backstack's own plan.
*/
async function encryptedBackup(context: CloudForTest, options: {viaPlan?: boolean} = {}) {
	const {cloud, session} = context;
	const type = cloud.state.addVolumeType({name: 'LUKS', encryption: luks});
	const volume = await session.cinder!.createVolume({size: 1, name: 'db', volumeType: 'LUKS'});
	await available(session, volume.id);
	let backupId: string;
	if (options.viaPlan === false) {
		({id: backupId} = await session.cinder!.createBackup({volumeId: volume.id, name: 'db-raw'}));
		await until(async () => session.cinder!.getBackup(backupId), backup => backup.status === 'available');
	} else {
		const plan = planOf(await planVolumeBackup(session, {volumeId: volume.id, version: 'test'}));
		const events = await collect(runPlan(plan, session, {clock: fastClock()}));
		const done = last(events);
		if (done?.type !== 'plan-done') {
			throw new Error(JSON.stringify(events));
		}

		backupId = String(done.results['backup']);
	}

	return {type, volume, backupId};
}

function types(events: PlanEvent[]): string[] {
	return events.map(event => event.type);
}

test('a backup plan records the source type in the backup metadata', async t => {
	const context = await demoCloud(t);
	const {type, backupId} = await encryptedBackup(context);
	const backup = await context.session.cinder!.getBackup(backupId);
	t.is(backup.metadata[backupMetaSourceTypeName], 'LUKS');
	t.is(backup.metadata[backupMetaSourceTypeId], type.id);
	t.is(backup.metadata['backstack_encrypted'], 'true');
	t.is(backup.metadata['backstack_size'], '1');
	t.is(backup.metadata['backstack_version'], 'test');
});

test('an encrypted backup is restored into a new volume of its own type (create from backup, 3.47)', async t => {
	const context = await demoCloud(t);
	const {session} = context;
	const {type, volume, backupId} = await encryptedBackup(context);
	// The source volume is gone: the type must come from the backup's metadata.
	await session.cinder!.deleteVolume(volume.id);
	await until(async () => session.cinder!.findVolume(volume.id), found => found === undefined);

	const plan = planOf(await planRestoreBackupToNewVolume(session, {backupId, name: 'db-restored'}));
	t.is(plan.steps.length, 1);
	t.is(plan.steps[0]!.action.op, 'cinder.createVolume');
	const events = await collect(runPlan(plan, session, {clock: fastClock()}));
	const done = last(events);
	t.is(done?.type, 'plan-done', JSON.stringify(events));
	const restored = await session.cinder!.getVolume(String(done?.type === 'plan-done' ? done.results['volume'] : ''));
	t.is(restored.status, 'available');
	t.is(restored.volumeTypeId, type.id);
	t.true(restored.encrypted);
	const statuses = events.filter(event => event.type === 'status').map(event => event.type === 'status' ? event.status : '');
	t.is(statuses.at(-1), 'available');
});

test('the older way (empty volume of the type, then restore onto it) works too', async t => {
	const context = await demoCloud(t);
	const {session} = context;
	const {type, backupId} = await encryptedBackup(context);
	const plan = planOf(await planRestoreBackupToNewVolume(session, {backupId, name: 'db-2', method: 'create-then-restore'}));
	t.deepEqual(plan.steps.map(step => step.id), ['create-target', 'restore']);
	t.true(describePlan(plan).rows[1]!.action.includes('<volume from step 1>'));
	const events = await collect(runPlan(plan, session, {clock: fastClock()}));
	t.is(last(events)?.type, 'plan-done', JSON.stringify(events));
	const target = events.find(event => event.type === 'created');
	const restored = await session.cinder!.getVolume(target?.type === 'created' ? target.resource.id : '');
	t.is(restored.volumeTypeId, type.id);
	t.is(restored.metadata['src_backup_id'], backupId);
});

test('a restore that ends error_restoring fails at once with Cinder\'s message, not at the timeout', async t => {
	const context = await demoCloud(t);
	const {session} = context;
	const {backupId} = await encryptedBackup(context);
	// Hand-made plan of what the guide warns about: a default-type target for an encrypted backup.
	const plan: Plan = {
		id: 'wrong-type',
		kind: 'test',
		title: 'restore into the default type',
		createdAt: new Date().toISOString(),
		warnings: [],
		steps: [
			{
				id: 'target',
				title: 'empty default-type volume',
				danger: 'create',
				checks: [],
				action: {op: 'cinder.createVolume', args: {size: 1, name: 'wrong'}},
				creates: {kind: 'volume', output: 'volumeId', temporary: false},
				wait: {
					resource: 'volume', id: {$ref: 'target', output: 'volumeId'}, until: ['available'], failOn: ['error'], timeoutMs: 60_000,
				},
			},
			{
				id: 'restore',
				title: 'restore',
				danger: 'mutate',
				checks: [],
				action: {op: 'cinder.restoreBackup', args: {backupId, volumeId: {$ref: 'target', output: 'volumeId'}}},
				wait: {
					resource: 'volume', id: {$ref: 'target', output: 'volumeId'}, until: ['available'], failOn: ['error_restoring', 'error'], timeoutMs: 3_600_000,
				},
			},
		],
	};
	const started = Date.now();
	const events = await collect(runPlan(plan, session, {clock: fastClock()}));
	const end = last(events);
	t.is(end?.type, 'plan-failed');
	t.regex(end?.type === 'plan-failed' ? end.reason : '', /error_restoring/v);
	t.regex(end?.type === 'plan-failed' ? end.reason : '', /Cinder says: restore backup/v);
	t.true(Date.now() - started < 20_000);
	// The failed target is left in place and offered for cleanup.
	const offered = events.find(event => event.type === 'cleanup-offered');
	t.is(offered?.type === 'cleanup-offered' ? offered.resources[0]?.kind : undefined, 'volume');
});

test('the executor refuses to restore an encrypted backup without a target volume', async t => {
	const context = await demoCloud(t);
	const {session} = context;
	const {backupId} = await encryptedBackup(context);
	const before = await volumesOf(session);
	const plan: Plan = {
		id: 'no-target',
		kind: 'test',
		title: 'restore to new',
		createdAt: new Date().toISOString(),
		warnings: [],
		steps: [{
			id: 'restore', title: 'restore', danger: 'create', checks: [], action: {op: 'cinder.restoreBackup', args: {backupId, name: 'x'}},
		}],
	};
	const events = await collect(runPlan(plan, session, {clock: fastClock()}));
	t.is(last(events)?.type, 'plan-failed');
	t.regex(JSON.stringify(events), /encrypted/v);
	const after = await volumesOf(session);
	t.is(after.length, before.length);
});

test('an unknown source type makes the planner ask, offering encrypted types only', async t => {
	const context = await demoCloud(t);
	const {session, cloud} = context;
	cloud.state.addVolumeType({name: 'plain-ssd'});
	const {volume, backupId, type} = await encryptedBackup(context, {viaPlan: false});
	await session.cinder!.deleteVolume(volume.id);
	await until(async () => session.cinder!.findVolume(volume.id), found => found === undefined);
	// Another encrypted volume lets a non-admin see that LUKS is an encrypted type.
	const other = await session.cinder!.createVolume({size: 1, name: 'other', volumeType: 'LUKS'});
	await available(session, other.id);

	const result = await planRestoreBackupToNewVolume(session, {backupId});
	t.like(result, {kind: 'needs-input', field: 'volumeType', options: [{value: type.id}]});
	t.is(result.kind === 'needs-input' ? result.options.length : 0, 1);

	const answered = planOf(await planRestoreBackupToNewVolume(session, {backupId, volumeType: 'LUKS'}));
	const events = await collect(runPlan(answered, session, {clock: fastClock()}));
	t.is(last(events)?.type, 'plan-done', JSON.stringify(events));
});

test('a backup whose volume type was deleted is refused before anything changes', async t => {
	const context = await demoCloud(t);
	const {session, admin} = context;
	const {volume, backupId, type} = await encryptedBackup(context);
	await session.cinder!.deleteVolume(volume.id);
	await until(async () => session.cinder!.findVolume(volume.id), found => found === undefined);
	await admin.cinder!.deleteVolumeType(type.id);
	const result = await planRestoreBackupToNewVolume(session, {backupId});
	t.is(result.kind, 'refusal');
	t.regex(result.kind === 'refusal' ? result.reason : '', /no longer exists/v);
});

test('restoring onto an existing volume needs the typed name and checks size and type first', async t => {
	const context = await demoCloud(t);
	const {session} = context;
	const {backupId} = await encryptedBackup(context);
	const plainTarget = await session.cinder!.createVolume({size: 1, name: 'plain-target'});
	const target = await session.cinder!.createVolume({size: 2, name: 'scratch', volumeType: 'LUKS'});
	await available(session, plainTarget.id);
	await available(session, target.id);

	const wrongType = await planRestoreOntoVolume(session, {backupId, volumeId: plainTarget.id});
	t.is(wrongType.kind, 'refusal');
	t.regex(wrongType.kind === 'refusal' ? wrongType.reason : '', /LUKS/v);

	const plan = planOf(await planRestoreOntoVolume(session, {backupId, volumeId: target.id}));
	t.is(confirmationFor(plan)?.text, 'scratch');
	t.is(plan.steps[0]!.danger, 'destroy');

	const refused = await collect(runPlan(plan, session, {clock: fastClock(), confirmation: 'scratc'}));
	t.deepEqual(types(refused), ['plan-start', 'plan-failed']);
	const untouched = await session.cinder!.getVolume(target.id);
	t.is(untouched.metadata['src_backup_id'], undefined);

	const events = await collect(runPlan(plan, session, {clock: fastClock(), confirmation: 'scratch'}));
	t.is(last(events)?.type, 'plan-done', JSON.stringify(events));
	const overwritten = await session.cinder!.getVolume(target.id);
	t.is(overwritten.metadata['src_backup_id'], backupId);
});

test('a target smaller than the backup is refused', async t => {
	const context = await demoCloud(t);
	const {session} = context;
	const volume = await session.cinder!.createVolume({size: 2, name: 'big'});
	await available(session, volume.id);
	const {id: backupId} = await session.cinder!.createBackup({volumeId: volume.id});
	await until(async () => session.cinder!.getBackup(backupId), backup => backup.status === 'available');
	const small = await session.cinder!.createVolume({size: 1, name: 'small'});
	await available(session, small.id);
	const result = await planRestoreOntoVolume(session, {backupId, volumeId: small.id});
	t.is(result.kind, 'refusal');
	t.regex(result.kind === 'refusal' ? result.reason : '', /needs at least 2 GiB/v);
});

test('checks run before anything changes: a plan whose backup vanished changes nothing', async t => {
	const context = await demoCloud(t);
	const {session} = context;
	const volume = await session.cinder!.createVolume({size: 1, name: 'v'});
	await available(session, volume.id);
	const {id: backupId} = await session.cinder!.createBackup({volumeId: volume.id});
	await until(async () => session.cinder!.getBackup(backupId), backup => backup.status === 'available');
	const plan = planOf(await planRestoreBackupToNewVolume(session, {backupId, name: 'later'}));
	await session.cinder!.deleteBackup(backupId);
	await until(async () => session.cinder!.findBackup(backupId), found => found === undefined);
	const events = await collect(runPlan(plan, session, {clock: fastClock()}));
	t.true(events.some(event => event.type === 'check-failed'));
	t.false(events.some(event => event.type === 'request'));
	t.is(last(events)?.type, 'plan-failed');
	const names = await volumeNames(session);
	t.false(names.includes('later'));
});

/**
What Cinder (Zed) leaves after "volume from an image, then upload that volume": an image of the project that carries
signature_verified (the demo cloud models it as the real cloud does, see the contract suite).
*/
async function stampedImage(context: CloudForTest) {
	const {cloud, session} = context;
	const demo = cloud.state.projectByName('demo')!;
	const first = cloud.state.addImage({
		owner: demo.id, name: 'debian', diskFormat: 'raw', containerFormat: 'bare', data: Buffer.from(randomBytes(4096)), properties: {os_distro: 'debian'}, // eslint-disable-line @typescript-eslint/naming-convention -- a Glance property
	});
	const volume = await session.cinder!.createVolume({size: 1, name: 'from-debian', imageRef: first.id});
	await available(session, volume.id);
	const {imageId} = await session.cinder!.uploadVolumeToImage(volume.id, {imageName: 'debian-copy', diskFormat: 'raw', containerFormat: 'bare'});
	const image = await until(async () => session.glance!.getImage(imageId), found => found.status === 'active');
	await available(session, volume.id);
	return image;
}

test('restore 4 of an image Cinder stamped with signature_verified: a first mutate step removes the property, then the volume is made', async t => {
	const context = await demoCloud(t);
	const {session} = context;
	const image = await stampedImage(context);
	t.is(image.properties['signature_verified'], 'False');
	t.is(image.properties['os_distro'], 'debian');

	const plan = planOf(await planVolumeFromImage(session, {imageId: image.id, name: 'restored'}));
	t.deepEqual(plan.steps.map(step => [step.id, step.danger, step.action.op]), [
		['unset-signature-verified', 'mutate', 'glance.removeImageProperties'],
		['create-volume-from-image', 'create', 'cinder.createVolume'],
	]);
	const [unset] = plan.steps;
	t.deepEqual(unset?.action.args, {imageId: image.id, keys: ['signature_verified']});
	t.regex(unset?.title ?? '', /^Remove property signature_verified from image debian-copy .*Cinder would fail the new volume/v);
	t.regex(unset?.note ?? '', /GlanceMetadataExists/v);
	const preview = describePlan(plan);
	t.is(preview.rows[0]?.danger, 'mutate');
	t.is(preview.rows[0]?.action, `Remove property signature_verified from image ${image.id}`);
	t.is(preview.counts.mutate, 1);
	t.is(preview.confirmation, undefined, 'removing a property destroys no data: no typed confirmation');

	const events = await collect(runPlan(plan, session, {clock: fastClock()}));
	const end = last(events);
	t.is(end?.type, 'plan-done', JSON.stringify(end));
	const volume = await session.cinder!.getVolume(String(end?.type === 'plan-done' ? end.results['volume'] : ''));
	t.is(volume.status, 'available');
	const after = await session.glance!.getImage(image.id);
	t.is(after.properties['signature_verified'], undefined);
	t.is(after.properties['os_distro'], 'debian', 'only that property goes');
	t.is(after.checksum, image.checksum, 'the image\'s data is untouched');
});

test('the same image without the plan\'s first step: the volume ends error (why the step exists)', async t => {
	const context = await demoCloud(t);
	const {session} = context;
	const image = await stampedImage(context);
	const plan = planOf(await planVolumeFromImage(session, {imageId: image.id, name: 'restored'}));
	const withoutUnset = {...plan, steps: plan.steps.filter(step => step.action.op !== 'glance.removeImageProperties')};
	const events = await collect(runPlan(withoutUnset, session, {clock: fastClock()}));
	const end = last(events);
	t.is(end?.type, 'plan-failed');
	t.regex(end?.type === 'plan-failed' ? end.reason : '', /ended error/v);
});

test('restore 4 of a signature_verified image of another project (public): refused with the reason and what to do; nothing changes', async t => {
	const context = await demoCloud(t);
	const {cloud, session} = context;
	const admin = cloud.state.projectByName('admin')!;
	const image = cloud.state.addImage({
		owner: admin.id, name: 'ubuntu-shared', visibility: 'public', diskFormat: 'raw', containerFormat: 'bare', data: Buffer.from(randomBytes(2048)), properties: {signature_verified: 'False'}, // eslint-disable-line @typescript-eslint/naming-convention -- a Glance property
	});
	const result = await planVolumeFromImage(session, {imageId: image.id});
	t.is(result.kind, 'refusal');
	const reason = result.kind === 'refusal' ? result.reason : '';
	t.regex(reason, /signature_verified/v);
	t.regex(reason, /ends in error/v);
	t.regex(reason, new RegExp(`project ${admin.id}`, 'v'));
	t.regex(reason, new RegExp(`openstack image unset --property signature_verified ${image.id}`, 'v'), 'what the owner runs');
	t.regex(reason, /backstack backup image-download .*backstack restore image/v, 'or the user\'s own copy');
	t.is(cloud.state.images.get(image.id)?.properties['signature_verified'], 'False');

	const encrypted = cloud.state.addImage({
		owner: admin.id, name: 'vault-shared', visibility: 'public', diskFormat: 'raw', containerFormat: 'bare', data: Buffer.from(randomBytes(2048)),
		properties: {signature_verified: 'False', cinder_encryption_key_id: 'key-of-admin'}, // eslint-disable-line @typescript-eslint/naming-convention -- Glance properties
	});
	const encryptedResult = await planVolumeFromImage(session, {imageId: encrypted.id, volumeType: 'LUKS'});
	t.is(encryptedResult.kind, 'refusal');
	t.regex(encryptedResult.kind === 'refusal' ? encryptedResult.reason : '', new RegExp(`--key-file .*backstack backup secret image ${encrypted.id}`, 'v'), 'an encrypted copy needs its key too');
	t.deepEqual(await volumesOf(session), []);
});

test('an image without signature_verified: restore 4 is the single create step', async t => {
	const context = await demoCloud(t);
	const demo = context.cloud.state.projectByName('demo')!;
	const image = context.cloud.state.addImage({
		owner: demo.id, name: 'plain', diskFormat: 'raw', containerFormat: 'bare', data: Buffer.from(randomBytes(1024)),
	});
	const plan = planOf(await planVolumeFromImage(context.session, {imageId: image.id}));
	t.deepEqual(plan.steps.map(step => step.id), ['create-volume-from-image']);
});

test('restore 4 resumed after a crash right after the property went (the call repeats): the repeat is harmless, the volume is made', async t => {
	const context = await demoCloud(t);
	const {session} = context;
	const image = await stampedImage(context);
	const plan = planOf(await planVolumeFromImage(session, {imageId: image.id, name: 'restored'}));
	// The crash: Glance applied the PATCH, but the journal had not recorded it yet (step running, not requested).
	await session.glance!.removeImageProperties(image.id, ['signature_verified']);
	const directory = path.join(await temporaryDirectory(t), 'journal');
	await mkdir(directory);
	const dead = spawnSync(process.execPath, ['-e', '']).pid;
	const record: JournalRecord = {
		version: 1,
		plan,
		state: 'running',
		pid: dead,
		startedAt: new Date().toISOString(),
		updatedAt: new Date().toISOString(),
		steps: {'unset-signature-verified': {state: 'running'}, 'create-volume-from-image': {state: 'pending'}},
		created: [],
	};
	await writeFile(path.join(directory, `${plan.id}.json`), JSON.stringify(record));
	const events = await collect(resumePlan(directory, plan.id, session, {clock: fastClock()}));
	const end = last(events);
	t.is(end?.type, 'plan-done', JSON.stringify(end));
	t.true(events.some(event => event.type === 'step-done' && event.stepId === 'unset-signature-verified'));
	const volume = await session.cinder!.getVolume(String(end?.type === 'plan-done' ? end.results['volume'] : ''));
	t.is(volume.status, 'available');
});
