/*
The drill planner (issue 12) on the demo cloud: the guided restore's steps with a temporary volume and a check, what the
check finds wrong, and that a drill whose check fails still removes its volume.
*/
import {createHash, randomBytes} from 'node:crypto';
import {
	mkdtemp,
	readFile,
	rm,
	truncate,
	writeFile,
} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import process from 'node:process';
import {Readable} from 'node:stream';
import test from 'ava';
import {backupMetaDrillAt, backupMetaDrillPlaintextSha512, backupMetaDrillSha512} from '../../../source/core/drills.js';
import {backupMetaSourceTypeId, backupMetaSourceTypeName} from '../../../source/core/model.js';
import {findCryptsetup} from '../../../source/core/bundle/luks.js';
import {describePlan} from '../../../source/core/plans/describe.js';
import {drillVolumeName, planDrill} from '../../../source/core/plans/drill.js';
import {drillDataOutcome, drillVerdictOf} from '../../../source/core/plans/drill-record.js';
import {runPlan} from '../../../source/core/plans/execute.js';
import {hexBytes} from '../../../source/core/plans/files.js';
import {initialRunState, reducePlan} from '../../../source/core/plans/reduce.js';
import {restoredVolumeProblems} from '../../../source/core/plans/operations/cinder.js';
import type {Plan} from '../../../source/core/plans/types.js';
import {validatePlan} from '../../../source/core/plans/validate.js';
import type {Volume} from '../../../source/openstack/types.js';
import {
	collect,
	demoCloud,
	fastClock,
	last,
	until,
	volumesOf,
	type CloudForTest,
	runTool,
	planOf,
} from './helpers.js';

const luks = {
	provider: 'luks', cipher: 'aes-xts-plain64', keySize: 256, controlLocation: 'front-end',
};

async function backupOf(context: CloudForTest, volumeType?: string) {
	const {session} = context;
	const volume = await session.cinder!.createVolume({size: 1, name: 'src', volumeType});
	await until(async () => session.cinder!.getVolume(volume.id), found => found.status === 'available');
	const {id} = await session.cinder!.createBackup({volumeId: volume.id, name: 'nightly'});
	await until(async () => session.cinder!.getBackup(id), found => found.status === 'available');
	return {volume, backupId: id};
}

test('the temporary volume is named after the backup and the UTC time', t => {
	t.is(drillVolumeName('1a2b3c4d-5e6f-7081-92a3-b4c5d6e7f809', new Date('2026-12-06T22:35:07.123Z')), 'backstack-drill-1a2b3c4d-20261206T223507Z');
});

test('a drill of an encrypted backup is the guided restore into a temporary volume of the source type, then a read-only check', async t => {
	const context = await demoCloud(t);
	const type = context.cloud.state.addVolumeType({name: 'LUKS', encryption: luks});
	const {backupId} = await backupOf(context, 'LUKS');
	const plan = planOf(await planDrill(context.session, {backupId, now: new Date('2026-12-06T22:35:07Z')}));
	t.deepEqual(validatePlan(plan), []);
	t.is(plan.kind, 'drill');
	t.deepEqual(plan.steps.map(step => step.action.op), ['cinder.createVolume', 'cinder.verifyRestoredVolume']);
	t.deepEqual(plan.steps[0]!.creates, {
		kind: 'volume', output: 'volumeId', name: `backstack-drill-${backupId.slice(0, 8)}-20261206T223507Z`, temporary: true,
	});
	t.like(plan.steps[1]!.action.args, {minSize: 1, volumeType: {id: type.id, name: 'LUKS'}, encrypted: true});
	const preview = describePlan(plan);
	t.deepEqual(preview.rows.map(row => row.danger), ['create', 'read']);
	t.is(plan.confirmation, undefined, 'nothing of the user\'s is destroyed: no typed confirmation');
});

test('a drill whose check fails still removes its temporary volume, and says what was wrong', async t => {
	const context = await demoCloud(t);
	const {session} = context;
	const {backupId} = await backupOf(context);
	const plan = planOf(await planDrill(session, {backupId}));
	// A check the restored volume cannot pass: more GiB than the backup has.
	const verify = plan.steps.at(-1)!;
	if (verify.action.op !== 'cinder.verifyRestoredVolume') {
		throw new Error('the last step is not the check');
	}

	verify.action.args.minSize = 2;
	const events = await collect(runPlan(plan, session, {clock: fastClock()}));
	const end = last(events);
	t.is(end?.type, 'plan-failed', JSON.stringify(end));
	t.regex(end?.type === 'plan-failed' ? end.reason : '', /The restored volume has 1 GiB, less than the backup's 2 GiB/v);
	const created = events.find(event => event.type === 'created');
	const removed = events.find(event => event.type === 'cleanup-done');
	t.truthy(created);
	t.is(removed?.type === 'cleanup-done' ? removed.resource.id : undefined, created?.type === 'created' ? created.resource.id : 'none');
	const left = await volumesOf(session);
	t.deepEqual(left.filter(volume => volume.name.startsWith('backstack-drill-')), []);
});

test('a drill of a backup whose key is gone is refused before anything is made', async t => {
	const context = await demoCloud(t);
	context.cloud.state.addVolumeType({name: 'LUKS', encryption: luks});
	const {backupId} = await backupOf(context, 'LUKS');
	const backup = await context.session.cinder!.getBackup(backupId);
	await context.session.barbican!.deleteSecret(backup.encryptionKeyId!);
	const result = await planDrill(context.session, {backupId});
	t.is(result.kind, 'refusal');
	t.regex(result.kind === 'refusal' ? result.reason : '', /key .+ is gone/v);
});

const restored: Volume = {
	id: 'v', name: 'backstack-drill-x', status: 'available', size: 1, volumeType: 'LUKS', volumeTypeId: 't-luks', encrypted: true, encryptionKeyId: 'k',
	bootable: false, attachments: [], metadata: {}, createdAt: '2026-12-06T22:00:00', raw: {encryption_key_id: 'k'}, // eslint-disable-line @typescript-eslint/naming-convention
};
const expected = {
	volumeId: 'v', minSize: 1, volumeType: {id: 't-luks', name: 'LUKS'}, encrypted: true,
};

test('the check names each way a restored volume falls short', t => {
	t.deepEqual(restoredVolumeProblems(restored, expected), []);
	t.deepEqual(restoredVolumeProblems({...restored, status: 'error'}, expected), ['is error, not available']);
	t.deepEqual(restoredVolumeProblems({...restored, size: 1}, {...expected, minSize: 3}), ['has 1 GiB, less than the backup\'s 3 GiB']);
	// A bundle's restore checks against the size its manifest recorded, and says so.
	t.deepEqual(restoredVolumeProblems({...restored, size: 1}, {...expected, minSize: 3, sizeFrom: 'bundle'}), ['has 1 GiB, less than the bundle\'s 3 GiB']);
	t.deepEqual(restoredVolumeProblems({...restored, volumeType: '__DEFAULT__', volumeTypeId: 't-default'}, expected), ['has type __DEFAULT__, not the source\'s LUKS']);
	t.deepEqual(restoredVolumeProblems({...restored, encryptionKeyId: undefined}, expected), ['has no encryption key of its own']);
	t.deepEqual(restoredVolumeProblems({...restored, encrypted: false, encryptionKeyId: undefined}, expected), ['has no encryption key of its own']);
	// Below 3.64 Cinder does not show encryption_key_id: `encrypted` is all there is.
	t.deepEqual(restoredVolumeProblems({...restored, encryptionKeyId: undefined, raw: {}}, expected), []);
	// Without a type to compare (a plain backup of an unknown type), the type is not checked.
	t.deepEqual(restoredVolumeProblems({...restored, volumeType: 'other', volumeTypeId: 't-other'}, {...expected, volumeType: undefined}), []);
});

async function leftovers(context: CloudForTest): Promise<string[]> {
	const images = Array.from(context.cloud.state.images.values(), image => image.name ?? '');
	const volumes = await volumesOf(context.session);
	return [...images, ...volumes.map(volume => volume.name ?? '')].filter(name => name.startsWith('backstack-drill-'));
}

async function runDrill(context: CloudForTest, backupId: string) {
	const plan = planOf(await planDrill(context.session, {backupId, verifyData: true}));
	const events = await collect(runPlan(plan, context.session, {clock: fastClock()}));
	return last(events);
}

function reasonOf(event: Awaited<ReturnType<typeof runDrill>>): string {
	return event?.type === 'plan-failed' ? event.reason : JSON.stringify(event);
}

function resultsOf(event: Awaited<ReturnType<typeof runDrill>>): Record<string, string | number> {
	return event?.type === 'plan-done' ? event.results : {};
}

test('--verify-data: the restored bytes match the source volume\'s; the images are removed; a corrupted backup fails and leaves nothing', async t => {
	const context = await demoCloud(t);
	const {session, cloud} = context;
	const {backupId} = await backupOf(context);
	const plan = planOf(await planDrill(session, {backupId, verifyData: true}));
	t.deepEqual(validatePlan(plan), []);
	t.deepEqual(plan.steps.slice(1).map(step => step.id), ['verify', 'upload-restored', 'upload-source', 'compare-data'], 'the source is available: uploaded as it is');
	t.true(plan.steps.filter(step => step.creates !== undefined).every(step => step.creates?.temporary === true));
	const end = await runDrill(context, backupId);
	t.is(end?.type, 'plan-done', JSON.stringify(end));
	const results = resultsOf(end);
	t.is(results['dataCompared'], 'yes');
	t.regex(String(results['dataReference']), /^the source volume /v);
	t.regex(String(results['dataSha512']), /^[\da-f]{128}$/v);
	t.deepEqual(await leftovers(context), [], 'no temporary image or volume is left');

	cloud.state.alterBackupData(backupId);
	const failed = await runDrill(context, backupId);
	t.is(failed?.type, 'plan-failed');
	t.regex(reasonOf(failed), /The restored bytes differ from the source volume .+ \(sha512 [\da-f]{16}… ≠ [\da-f]{16}…\): the backup's data is damaged, or the source/v);
	t.regex(reasonOf(failed), /or the source volume changed since the backup/v);
	t.deepEqual(await leftovers(context), [], 'no temporary image or volume is left');
});

test('--verify-data: a later drill compares with the sha512 an earlier drill recorded; without any reference the hash is only read', async t => {
	const context = await demoCloud(t);
	const {session, cloud} = context;
	const cinder = session.cinder!;
	const {volume, backupId} = await backupOf(context);
	await cinder.deleteVolume(volume.id);
	await until(async () => cinder.findVolume(volume.id), found => found === undefined);
	const first = planOf(await planDrill(session, {backupId, verifyData: true}));
	t.false(first.steps.some(step => step.id === 'upload-source'));
	t.true(first.warnings.some(warning => warning.includes('source volume is gone')));
	const end = await runDrill(context, backupId);
	t.is(end?.type, 'plan-done', JSON.stringify(end));
	t.is(resultsOf(end)['dataCompared'], 'no');
	const sha512 = String(resultsOf(end)['dataSha512']);
	const {metadata} = await cinder.getBackup(backupId);
	await cinder.updateBackupMetadata(backupId, {...metadata, [backupMetaDrillSha512]: sha512, [backupMetaDrillAt]: '2026-12-01T00:00:00Z'});
	const second = planOf(await planDrill(session, {backupId, verifyData: true}));
	t.like(second.steps.find(step => step.id === 'compare-data')?.action.args, {reference: {sha512}});
	const again = await runDrill(context, backupId);
	t.is(resultsOf(again)['dataCompared'], 'yes', JSON.stringify(again));
	cloud.state.alterBackupData(backupId);
	const damaged = await runDrill(context, backupId);
	t.regex(reasonOf(damaged), /differ from the sha512 an earlier drill recorded \(2026-12-01T00:00:00Z\).+stored data changed since that drill/v);
});

/**
The sha512 of what a demo volume holds (its plaintext: the demo keeps volumes' data unencrypted inside).
*/
function plaintextSha512(context: CloudForTest, volumeId: string): string {
	const {state} = context.cloud;
	const content = state.contentOf(state.volumes.get(volumeId)!);
	return createHash('sha512').update(content).digest('hex');
}

test('--verify-data of an encrypted backup: each image is decrypted with its own key and the plaintexts compared; they match the source volume\'s data; a damaged backup fails', async t => {
	const context = await demoCloud(t);
	const {session, cloud} = context;
	cloud.state.addVolumeType({name: 'LUKS', encryption: luks});
	const {volume, backupId} = await backupOf(context, 'LUKS');
	const plan = planOf(await planDrill(session, {backupId, verifyData: true}));
	t.deepEqual(validatePlan(plan), []);
	t.deepEqual(plan.steps.slice(1).map(step => `${step.id} ${step.action.op}`), [
		'verify cinder.verifyRestoredVolume',
		'upload-restored cinder.uploadVolumeToImage',
		'upload-source cinder.uploadVolumeToImage',
		'plaintext-source glance.hashImagePlaintext',
		'compare-data glance.hashImagePlaintext',
	]);
	t.like(plan.steps.at(-1)?.action.args, {subject: 'restored', reference: {sha512: {$ref: 'plaintext-source', output: 'sha512'}}});
	t.true(plan.warnings.some(warning => warning.includes('decrypts it with its own key')), plan.warnings.join('\n'));
	const events = await collect(runPlan(plan, session, {clock: fastClock()}));
	const end = last(events);
	t.is(end?.type, 'plan-done', JSON.stringify(end));
	const results = resultsOf(end);
	t.like(results, {dataCompared: 'yes', dataHashOf: 'plaintext', dataSha512: plaintextSha512(context, volume.id)});
	t.true(events.some(event => event.type === 'bytes' && event.stepId === 'compare-data' && event.transferred > 0 && event.total === event.transferred), 'progress in bytes');
	t.deepEqual(await leftovers(context), [], 'no temporary image or volume is left');

	cloud.state.alterBackupData(backupId);
	const again = planOf(await planDrill(session, {backupId, verifyData: true}));
	const failed = await collect(runPlan(again, session, {clock: fastClock()}));
	t.regex(reasonOf(last(failed)), /The restored plaintext differs from the source volume .+ \(sha512 of the decrypted data [\da-f]{16}… ≠ [\da-f]{16}…\): the backup's data is damaged/v);
	t.false(failed.some(event => event.type === 'step-failed' && event.inconclusive === true), 'a finding, not inconclusive');
	t.deepEqual(await leftovers(context), [], 'no temporary image or volume is left');
});

test('--verify-data of an encrypted backup: a later drill compares with the plaintext sha512 recorded under its own key; a ciphertext hash under backstack_drill_sha512 is never used', async t => {
	const context = await demoCloud(t);
	const {session, cloud} = context;
	const cinder = session.cinder!;
	const type = cloud.state.addVolumeType({name: 'LUKS', encryption: luks});
	const {volume, backupId} = await backupOf(context, 'LUKS');
	const plaintext = plaintextSha512(context, volume.id);
	await cinder.deleteVolume(volume.id);
	await until(async () => cinder.findVolume(volume.id), found => found === undefined);
	const {metadata} = await cinder.getBackup(backupId);
	// The source type as backstack records it (the volume is gone), and what backstack recorded for encrypted backups
	// before: a hash of one upload's ciphertext.
	await cinder.updateBackupMetadata(backupId, {
		...metadata, [backupMetaSourceTypeName]: 'LUKS', [backupMetaSourceTypeId]: type.id, [backupMetaDrillSha512]: 'ab'.repeat(64),
	});
	const first = planOf(await planDrill(session, {backupId, verifyData: true}));
	t.like(first.steps.at(-1)?.action.args, {reference: undefined});
	const end = await runDrill(context, backupId);
	t.like(resultsOf(end), {dataCompared: 'no', dataHashOf: 'plaintext', dataSha512: plaintext});
	t.deepEqual(drillDataOutcome(resultsOf(end)), {verifiedData: false, plaintextSha512: plaintext});

	const recorded = await cinder.getBackup(backupId);
	await cinder.updateBackupMetadata(backupId, {...recorded.metadata, [backupMetaDrillPlaintextSha512]: plaintext, [backupMetaDrillAt]: '2026-12-01T00:00:00Z'});
	const second = planOf(await planDrill(session, {backupId, verifyData: true}));
	t.like(second.steps.at(-1)?.action.args, {reference: {sha512: plaintext}});
	t.like(resultsOf(await runDrill(context, backupId)), {dataCompared: 'yes', dataSha512: plaintext});
	cloud.state.alterBackupData(backupId);
	t.regex(reasonOf(await runDrill(context, backupId)), /differs from the plaintext sha512 an earlier drill recorded \(2026-12-01T00:00:00Z\).+stored data changed since that drill/v);
});

test('--verify-data of an encrypted backup whose image key Barbican refuses (403): the step is inconclusive, the verdict "not run", every temporary removed', async t => {
	const context = await demoCloud(t);
	const {session, cloud} = context;
	cloud.state.addVolumeType({name: 'LUKS', encryption: luks});
	const {backupId} = await backupOf(context, 'LUKS');
	cloud.setFaults([{
		kind: 'error', service: 'key-manager', method: 'GET', path: /\/payload$/v, status: 403, message: 'SecretPayload retrieval attempt not allowed',
	}]);
	const plan = planOf(await planDrill(session, {backupId, verifyData: true}));
	const events = await collect(runPlan(plan, session, {clock: fastClock()}));
	const failure = events.find(event => event.type === 'step-failed');
	t.like(failure, {stepId: 'plaintext-source', inconclusive: true});
	t.regex(failure?.type === 'step-failed' ? failure.reason : '', /^Barbican refuses the key of the source volume's image \(secret [\d\-a-f]+\) to this user \(HTTP 403\)/v);
	let state = initialRunState(plan);
	for (const event of events) {
		state = reducePlan(state, event);
	}

	t.is(drillVerdictOf(state)?.result, 'not-run');
	t.deepEqual(await leftovers(context), [], 'no temporary image or volume is left');
});

test('--verify-data on an image that is a LUKS2 container (which the reader does not read) is inconclusive, not a pass or a failure, even for the restored volume', async t => {
	const cryptsetup = await findCryptsetup(process.env['PATH']);
	if (cryptsetup === undefined) {
		throw new Error('cryptsetup (cryptsetup-bin) makes the LUKS2 container of this test');
	}

	const context = await demoCloud(t);
	const {session} = context;
	const key = randomBytes(32);
	const directory = await mkdtemp(path.join(tmpdir(), 'backstack-luks2-'));
	t.teardown(async () => rm(directory, {recursive: true, force: true}));
	const file = path.join(directory, 'luks2.img');
	const passphraseFile = path.join(directory, 'passphrase');
	await writeFile(passphraseFile, hexBytes(key), {mode: 0o600});
	await writeFile(file, new Uint8Array());
	await truncate(file, 20 * 1024 * 1024);
	const format = ['luksFormat', '--type', 'luks2', '--batch-mode', '--pbkdf', 'pbkdf2', '--pbkdf-force-iterations', '1000', '--key-file', passphraseFile, file];
	await runTool(cryptsetup, format);
	const {id: secretId} = await session.barbican!.storeSecret({
		payload: key, algorithm: 'aes', bitLength: 256, secretType: 'symmetric',
	});
	const image = await session.glance!.createImage({
		name: 'luks2', diskFormat: 'raw', containerFormat: 'bare', properties: {cinder_encryption_key_id: secretId}, // eslint-disable-line @typescript-eslint/naming-convention
	});
	const data = await readFile(file);
	await session.glance!.uploadImageData(image.id, Readable.from([data]), {size: data.byteLength});
	const plan: Plan = {
		id: 'plan-luks2',
		kind: 'drill',
		title: 'Hash a LUKS2 image\'s plaintext',
		createdAt: '2026-12-07T22:00:00Z',
		warnings: [],
		steps: [{
			id: 'compare-data',
			title: 'Decrypt the restored volume\'s image with its own key and compare its plaintext',
			danger: 'read',
			checks: [],
			action: {
				op: 'glance.hashImagePlaintext',
				args: {
					imageId: image.id, subject: 'restored', label: 'the restored volume\'s image', reference: {sha512: '0'.repeat(128)}, referenceLabel: 'the reference',
				},
			},
		}],
	};
	const events = await collect(runPlan(plan, session, {clock: fastClock()}));
	const failure = events.find(event => event.type === 'step-failed');
	t.like(failure, {stepId: 'compare-data', inconclusive: true});
	t.regex(failure?.type === 'step-failed' ? failure.reason : '', /^the restored volume's image [\d\-a-f]+ cannot be read here: LUKS2 is not read here/v);
});
