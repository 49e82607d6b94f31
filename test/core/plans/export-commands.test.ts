import {Buffer} from 'node:buffer';
import {execFileSync} from 'node:child_process';
import {writeFile} from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import {planVolumeBackup, planVolumeToImage} from '../../../source/core/plans/backup.js';
import {toOpenstackCli} from '../../../source/core/plans/cli-export.js';
import {shellQuote} from '../../../source/core/plans/shell.js';
import {
	backupRequestFrom,
	executePlanCommand,
	exitCodes,
	planBackup,
	planRestore,
	restoreRequestFrom,
	UsageError,
} from '../../../source/core/plans/commands.js';
import {planRestoreBackupToNewVolume, planRestoreOntoVolume} from '../../../source/core/plans/restore.js';
import type {Plan} from '../../../source/core/plans/types.js';
import type {CloudSession} from '../../../source/openstack/api.js';
import {
	demoCloud,
	fastClock,
	listAll,
	temporaryDirectory,
	until,
	volumesOf,
	type CloudForTest,
	planOf,
} from './helpers.js';

/**
Replaces IDs, plan ids and dates so that a script can be compared with a snapshot.
*/
function normalise(script: string, plan: Plan): string {
	const ids = new Map<string, string>();
	return script
		.replaceAll(plan.id, '<plan-id>')
		.replaceAll(/[\da-f]{8}-[\da-f]{4}-[\da-f]{4}-[\da-f]{4}-[\da-f]{12}/gv, id => {
			if (!ids.has(id)) {
				ids.set(id, `<id-${ids.size + 1}>`);
			}

			return ids.get(id)!;
		})
		.replaceAll(/\d{4}-\d{2}-\d{2}T\d{4}/gv, '<date>');
}

async function bashAccepts(t: {teardown(fn: () => unknown): void}, script: string): Promise<void> {
	const directory = await temporaryDirectory(t);
	const file = path.join(directory, 'plan.sh');
	await writeFile(file, script);
	execFileSync('bash', ['-n', file]);
}

async function arrangeEncrypted(context: CloudForTest) {
	const {cloud, session} = context;
	cloud.state.addVolumeType({
		name: 'LUKS',
		encryption: {
			provider: 'luks', cipher: 'aes-xts-plain64', keySize: 256, controlLocation: 'front-end',
		},
	});
	const volume = await session.cinder!.createVolume({size: 1, name: 'db', volumeType: 'LUKS'});
	await until(async () => session.cinder!.getVolume(volume.id), found => found.status === 'available');
	const {id} = await session.cinder!.createBackup({volumeId: volume.id, name: 'db-backup'});
	await until(async () => session.cinder!.getBackup(id), found => found.status === 'available');
	return {volume, backupId: id};
}

test('exported scripts: restore of an encrypted backup, both ways', async t => {
	const context = await demoCloud(t);
	const {backupId} = await arrangeEncrypted(context);
	const modern = planOf(await planRestoreBackupToNewVolume(context.session, {backupId, volumeType: 'LUKS', name: 'db-new'}));
	const modernScript = toOpenstackCli(modern);
	t.regex(modernScript, /openstack --os-volume-api-version 3\.47 volume create --size 1 --type \S+ --backup \S+/v);
	t.regex(modernScript, /until status="\$\(openstack volume show "\$CREATE_VOLUME_FROM_BACKUP_VOLUME_ID" -c status -f value\)"/v);
	t.regex(modernScript, /case "\$status" in error_restoring\|error\)/v);
	await bashAccepts(t, modernScript);
	t.snapshot(normalise(modernScript, modern), 'create from backup (3.47)');

	const older = planOf(await planRestoreBackupToNewVolume(context.session, {
		backupId, volumeType: 'LUKS', name: 'db-new', method: 'create-then-restore',
	}));
	const olderScript = toOpenstackCli(older);
	t.regex(olderScript, /OSC|openstackclient 6\.0/v);
	t.regex(olderScript, /openstack volume backup restore --force \S+ "\$CREATE_TARGET_VOLUME_ID"/v);
	await bashAccepts(t, olderScript);
	t.snapshot(normalise(olderScript, older), 'empty volume, then restore onto it');
});

test('exported scripts: a destructive restore asks for the typed name; the detour removes temporaries on exit', async t => {
	const context = await demoCloud(t);
	const {backupId} = await arrangeEncrypted(context);
	const scratch = await context.session.cinder!.createVolume({size: 1, name: 'scratch', volumeType: 'LUKS'});
	await until(async () => context.session.cinder!.getVolume(scratch.id), found => found.status === 'available');
	const onto = planOf(await planRestoreOntoVolume(context.session, {backupId, volumeId: scratch.id}));
	const ontoScript = toOpenstackCli(onto);
	t.regex(ontoScript, /read -r -p 'Type scratch to continue: ' answer/v);
	await bashAccepts(t, ontoScript);

	context.cloud.state.volumes.get(scratch.id)!.status = 'in-use';
	const detour = planOf(await planVolumeToImage(context.session, {volumeId: scratch.id, imageName: 'scratch-image'}));
	const detourScript = toOpenstackCli(detour);
	t.regex(detourScript, /trap cleanup EXIT/v);
	t.regex(detourScript, /temporaries\+=\("snapshot \$SNAPSHOT_SNAPSHOT_ID"\)/v);
	t.regex(detourScript, /temporaries\+=\("volume \$TEMPORARY_VOLUME_VOLUME_ID"\)/v);
	await bashAccepts(t, detourScript);
	t.snapshot(normalise(detourScript, detour), 'snapshot detour');

	const backup = planOf(await planVolumeBackup(context.session, {volumeId: scratch.id, version: '0.1.0'}));
	const backupScript = toOpenstackCli(backup);
	t.regex(backupScript, /--os-volume-api-version 3\.43 volume backup create .*--force .*--property backstack_source_type_name=LUKS/v);
	await bashAccepts(t, backupScript);
	t.snapshot(normalise(backupScript, backup), 'forced backup with metadata');
});

test('exported script of restore 4 from an image carrying signature_verified: image unset first, then the volume', async t => {
	const context = await demoCloud(t);
	const demo = context.cloud.state.projectByName('demo')!;
	const image = context.cloud.state.addImage({
		owner: demo.id, name: 'db-image', diskFormat: 'raw', containerFormat: 'bare', data: Buffer.from('disk bytes'), properties: {signature_verified: 'False'}, // eslint-disable-line @typescript-eslint/naming-convention -- a Glance property
	});
	const plan = planOf(await planRestore(context.session, {kind: 'volume-from-image', imageId: image.id, name: 'db-restored'}));
	const script = toOpenstackCli(plan);
	const unset = script.indexOf(`openstack image unset --property signature_verified ${shellQuote(image.id)}`);
	const create = script.indexOf('volume create');
	t.true(unset !== -1, script);
	t.true(create > unset, 'the property goes before the volume is made');
	await bashAccepts(t, script);
});

test('shellQuote leaves plain words alone and quotes the rest', t => {
	t.is(shellQuote('db-1'), 'db-1');
	t.is(shellQuote('my volume'), '\'my volume\'');
	t.is(shellQuote('it\'s'), String.raw`'it'\''s'`);
	t.is(shellQuote(''), '\'\'');
});

test('command arguments become requests; mistakes are usage errors', t => {
	t.deepEqual(restoreRequestFrom(['backup', 'b1'], {volumeType: 'LUKS'}), {
		kind: 'backup', backupId: 'b1', name: undefined, volumeType: 'LUKS', method: undefined,
	});
	t.deepEqual(restoreRequestFrom(['onto', 'b1', 'v1'], {}), {kind: 'onto', backupId: 'b1', volumeId: 'v1'});
	t.throws(() => restoreRequestFrom(['onto', 'b1'], {}), {instanceOf: UsageError, message: /target volume/v});
	t.throws(() => restoreRequestFrom(['image', 'f.raw'], {}), {instanceOf: UsageError, message: /--name/v});
	t.throws(() => restoreRequestFrom(['nothing'], {}), {instanceOf: UsageError});
	t.deepEqual(backupRequestFrom(['protect', 'a', 'b'], {concurrency: 3, full: true}, '1.0'), {
		kind: 'protect', volumeIds: ['a', 'b'], concurrency: 3, incremental: false, version: '1.0',
	});
	t.throws(() => backupRequestFrom(['volume', 'v'], {incremental: true, full: true}), {instanceOf: UsageError});
	t.throws(() => backupRequestFrom(['protect', 'a'], {concurrency: 'x'}), {instanceOf: UsageError});
	t.deepEqual(backupRequestFrom(['secret', 'image', 'img', 'key.bin'], {hex: true}), {
		kind: 'secret', from: {kind: 'image', id: 'img'}, path: 'key.bin', hex: true,
	});
});

function sink() {
	let text = '';
	return {
		write(chunk: string) {
			text += chunk;
		},
		get text() {
			return text;
		},
	};
}

async function volumeNamed(session: CloudSession, name: string) {
	const volumes = await volumesOf(session);
	return volumes.filter(volume => volume.name === name);
}

test('backstack backup/restore by name: --dry-run shows, no --yes changes nothing, --yes runs with text progress', async t => {
	const context = await demoCloud(t);
	const {session} = context;
	const volume = await session.cinder!.createVolume({size: 1, name: 'web'});
	await until(async () => session.cinder!.getVolume(volume.id), found => found.status === 'available');

	const request = backupRequestFrom(['volume', 'web'], {name: 'web-now'}, '0.1.0');
	const result = await planBackup(session, request);
	const dry = sink();
	t.is(await executePlanCommand(session, result, {stdout: dry, stderr: sink(), dryRun: true}), exitCodes.ok);
	t.regex(dry.text, /Full backup of volume web/v);

	const unasked = sink();
	t.is(await executePlanCommand(session, result, {stdout: sink(), stderr: unasked}), exitCodes.notConfirmed);
	t.regex(unasked.text, /--yes/v);
	t.deepEqual(await listAll(session.cinder!.listBackups()), []);

	const out = sink();
	t.is(await executePlanCommand(session, result, {
		stdout: out, stderr: sink(), yes: true, clock: fastClock(), journal: await temporaryDirectory(t),
	}), exitCodes.ok);
	t.regex(out.text, /step 1\/1: Full backup of volume web/v);
	t.regex(out.text, /backup \S+: available/v);
	t.regex(out.text, /Done\. backup \S+/v);

	const restore = await planRestore(session, restoreRequestFrom(['onto', 'web-now', 'web'], {}));
	const refused = sink();
	t.is(await executePlanCommand(session, restore, {
		stdout: sink(), stderr: refused, yes: true, confirm: 'wrong',
	}), exitCodes.notConfirmed);
	t.regex(refused.text, /--confirm web/v);
	const [web] = await volumeNamed(session, 'web');
	t.is(web?.metadata['src_backup_id'], undefined);

	const unknown = await planRestore(session, restoreRequestFrom(['backup', 'no-such-backup'], {}));
	const message = sink();
	t.is(await executePlanCommand(session, unknown, {stdout: sink(), stderr: message}), exitCodes.refused);
	t.regex(message.text, /No backup is called no-such-backup/v);
});
