/*
Contracts: restore drills run by `backstack drill` on real backups.
*/
import {randomBytes} from 'node:crypto';
import {mkdtemp} from 'node:fs/promises';
import path from 'node:path';
import type {ExecutionContext} from 'ava';
import {
	backupMetaDrillPlaintextSha512,
	backupMetaDrillResult,
	backupMetaDrillSha512,
	drillFromMetadata,
} from '../../../source/core/drills.js';
import {backupMetaSourceTypeId, backupMetaSourceTypeName} from '../../../source/core/model.js';
import {drillVolumePrefix} from '../../../source/core/plans/drill.js';
import {readDrillLog} from '../../../source/store/drill-log.js';
import {adminCinderRequest} from '../admin-http.js';
import {
	configFor,
	quotaUsage,
	type Context,
	cliRunner,
	readOnlyJournal,
	namedLeftovers,
	removeNamed,
	services,
	poll,
	waitBackup,
	waitVolumeGone,
	makeEncryptedType,
	makeVolume,
	makeBackup,
	makeDataImage,
	type Contract,
} from '../kit.js';

export function registerDrillRuns(contract: Contract): void {
	/*
	Restore drills (issue 12): `backstack drill` as a user runs it, through dist/cli.js as the member. Each drill
	restores into a temporary volume named backstack-drill-<first 8 of the backup ID>-<time>, which must be gone after.
	*/
	const drillLeftovers = async (c: Context, backupId: string) => namedLeftovers(c.member, `${drillVolumePrefix}${backupId.slice(0, 8)}`);
	// Names here are bs-contract-<hex>-<label>: nothing in them a regular expression would read as syntax.
	// With `data`, the source volume is made of a raw image of it (Cinder encrypts the image's bytes into the volume).
	const drillScene = async (t: ExecutionContext, c: Context, label: string, data?: Uint8Array) => {
		const type = await makeEncryptedType(t, c, label);
		const {cinder, glance} = services(c.member);
		const prefix = `bs-contract-${c.run}-${label}`;
		const image = data === undefined ? undefined : await makeDataImage(t, c, glance, {name: `${prefix}-data`, data});
		const imageRef = image?.id;
		const source = await makeVolume(t, c, cinder, {
			size: 1, name: `${prefix}-src`, volumeType: type.name, ...(imageRef !== undefined && {imageRef}),
		});
		const backup = await makeBackup(t, c, cinder, {
			volumeId: source.id, name: `${prefix}-backup`, metadata: {[backupMetaSourceTypeName]: type.name, [backupMetaSourceTypeId]: type.id, kept: 'yes'},
		});
		t.teardown(async () => removeNamed(c, c.member, `${drillVolumePrefix}${backup.id.slice(0, 8)}`));
		const configDir = await mkdtemp(path.join(c.scratch, `${label}-config-`));
		return {
			type, source, backup, configDir, cli: cliRunner(c, configDir),
		};
	};

	contract('drill: an encrypted non-default-type backup whose source volume is gone passes via its recorded type; metadata and drill log say ok; no temporary volume left', async (t, c) => {
		const {cinder} = services(c.member);
		const {
			type, source, backup, configDir, cli,
		} = await drillScene(t, c, 'drill-ok');
		t.truthy(backup.encryptionKeyId, 'the backup is encrypted');
		await cinder.deleteVolume(source.id);
		await waitVolumeGone(c, cinder, source.id);
		const dry = await cli.run(['drill', backup.id, '--dry-run']);
		t.is(dry.code, 0, `${dry.stdout}\n${dry.stderr}`);
		t.regex(dry.stdout, new RegExp(`of type ${type.name} from the backup`, 'v'));
		t.deepEqual(await drillLeftovers(c, backup.id), [], 'a dry run creates nothing');
		const started = Date.now();
		const drilled = await cli.run(['drill', backup.id, '--yes']);
		t.log(drilled.stdout.trim());
		t.is(drilled.code, 0, `${drilled.stdout}\n${drilled.stderr}`);
		const line = `ok      backup ${backup.name} (${backup.id}) restored in `;
		const ok = drilled.stdout.split('\n').find(text => text.startsWith(line)) ?? '';
		t.regex(ok.slice(line.length), new RegExp(String.raw`^\d+ s: available, 1 GiB, type ${type.name}, key present$`, 'v'), drilled.stdout);
		t.deepEqual(await drillLeftovers(c, backup.id), [], 'the temporary volume is gone');
		const after = await cinder.getBackup(backup.id);
		const recorded = drillFromMetadata(after);
		t.is(recorded?.result, 'ok', JSON.stringify(after.metadata));
		t.true(Date.parse(recorded?.at ?? '') >= started - 1000, `at ${recorded?.at ?? ''}`);
		t.is(after.metadata['kept'], 'yes', 'the backup\'s other metadata is kept');
		t.is(after.metadata[backupMetaSourceTypeId], type.id);
		const log = readDrillLog(configDir);
		t.is(log.length, 1);
		t.like(log[0], {backupId: backup.id, result: 'ok', reason: `available, 1 GiB, type ${type.name}, key present`});
		const journal = await cli.run(['journal']);
		t.is(journal.stdout, 'No unfinished plans.\n');
	});

	/*
	--verify-data on the encrypted backup of a volume that still exists and holds random bytes. Its ciphertext differs
	from the restored volume's (the real Zed cloud uploads each with a LUKS header and master key of its own), so what
	the drill compares is the plaintext: both images are decrypted (backstack's LUKS1 reader, each with its own key clone)
	and hashed. Passes with the plaintext sha512 recorded on the backup.
	*/
	contract('drill --verify-data: an intact encrypted backup passes with its decrypted data compared to the source volume\'s; the plaintext sha512 is recorded; no temporary left', async (t, c) => {
		const {cinder} = services(c.member);
		const {backup, source, cli} = await drillScene(t, c, 'drill-verify', randomBytes(1_048_577));
		const drilled = await cli.run(['drill', backup.id, '--verify-data', '--yes', '--json']);
		t.log(drilled.stdout.trim());
		t.is(drilled.code, 0, `${drilled.stdout}\n${drilled.stderr}`);
		const report = JSON.parse(drilled.stdout) as {drills: Array<{result: string; reason: string; verifiedData?: boolean; sha512?: string; plaintextSha512?: string}>};
		t.like(report.drills[0], {result: 'ok', verifiedData: true});
		t.is(report.drills[0]?.sha512, undefined, 'no ciphertext hash is reported');
		const plaintext = report.drills[0]?.plaintextSha512 ?? '';
		const compared = `; decrypted data matches the source volume ${source.name} (${source.id}) (plaintext sha512 ${plaintext.slice(0, 16)}…)`;
		t.true(report.drills[0]?.reason.endsWith(compared), report.drills[0]?.reason);
		t.regex(plaintext, /^[\da-f]{128}$/v);
		t.deepEqual(await drillLeftovers(c, backup.id), [], 'no temporary volume or image is left');
		const after = await cinder.getBackup(backup.id);
		t.is(after.metadata[backupMetaDrillPlaintextSha512], report.drills[0]?.plaintextSha512);
		t.is(after.metadata[backupMetaDrillSha512], undefined, 'no ciphertext hash is recorded');
		const journal = await cli.run(['journal']);
		t.is(journal.stdout, 'No unfinished plans.\n');
	});

	contract('drill --verify-data: an intact plain (unencrypted) backup passes, its bytes match the source volume\'s; no temporary left', async (t, c) => {
		const {cinder} = services(c.member);
		const prefix = `bs-contract-${c.run}-drill-verify-plain`;
		const source = await makeVolume(t, c, cinder, {size: 1, name: `${prefix}-src`});
		const backup = await makeBackup(t, c, cinder, {volumeId: source.id, name: `${prefix}-backup`});
		t.teardown(async () => removeNamed(c, c.member, `${drillVolumePrefix}${backup.id.slice(0, 8)}`));
		const cli = cliRunner(c, await mkdtemp(path.join(c.scratch, 'drill-verify-plain-config-')));
		const drilled = await cli.run(['drill', backup.id, '--verify-data', '--yes']);
		t.log(drilled.stdout.trim());
		t.is(drilled.code, 0, `${drilled.stdout}\n${drilled.stderr}`);
		t.regex(drilled.stdout, /not encrypted; bytes match the source volume .+ \(sha512 [\da-f]{16}…\)$/mv);
		t.deepEqual(await drillLeftovers(c, backup.id), [], 'no temporary volume or image is left');
	});

	contract('drill --verify-data: a backup whose stored bytes were altered fails, says the bytes differ, and leaves no temporary', async (t, c) => {
		const {cinder} = services(c.member);
		const prefix = `bs-contract-${c.run}-drill-damaged`;
		const source = await makeVolume(t, c, cinder, {size: 1, name: `${prefix}-src`});
		const backup = await makeBackup(t, c, cinder, {volumeId: source.id, name: `${prefix}-backup`});
		t.teardown(async () => removeNamed(c, c.member, `${drillVolumePrefix}${backup.id.slice(0, 8)}`));
		const configDir = await mkdtemp(path.join(c.scratch, 'drill-damaged-config-'));
		const cli = cliRunner(c, configDir);
		await c.cloud.alterBackupData!(backup.id);
		const drilled = await cli.run(['drill', backup.id, '--verify-data', '--yes']);
		t.log(drilled.stdout.trim());
		t.is(drilled.code, 1, `${drilled.stdout}\n${drilled.stderr}`);
		t.regex(drilled.stdout, /FAILED {2}backup .+: The restored bytes differ from the source volume .+ \(sha512 [\da-f]{16}… ≠ [\da-f]{16}…\)/v);
		t.deepEqual(await drillLeftovers(c, backup.id), [], 'no temporary volume or image is left');
		t.like(readDrillLog(configDir)[0], {backupId: backup.id, result: 'failed', verifiedData: false});
	}, {onlyOn: ['demo']});

	contract('drill: a backup whose key was deleted fails with the reason, creates nothing, and is recorded as failed', async (t, c) => {
		const {cinder, barbican} = services(c.member);
		const {backup, configDir, cli} = await drillScene(t, c, 'drill-nokey');
		t.truthy(backup.encryptionKeyId);
		await barbican.deleteSecret(backup.encryptionKeyId ?? '');
		const drilled = await cli.run(['drill', backup.name, '--yes', '--json']);
		t.is(drilled.code, 1, `${drilled.stdout}\n${drilled.stderr}`);
		const report = JSON.parse(drilled.stdout) as {drills: Array<{backupId: string; result: string; reason: string; recordedOnBackup: boolean}>};
		t.is(report.drills.length, 1);
		t.like(report.drills[0], {backupId: backup.id, result: 'failed', recordedOnBackup: true});
		t.regex(report.drills[0]?.reason ?? '', /key .+ is gone/v);
		t.deepEqual(await drillLeftovers(c, backup.id), [], 'nothing was created');
		const after = await cinder.getBackup(backup.id);
		t.is(after.metadata[backupMetaDrillResult], 'failed');
		t.regex(drillFromMetadata(after)?.reason ?? '', /key .+ is gone/v);
		t.like(readDrillLog(configDir)[0], {backupId: backup.id, result: 'failed'});
		const plain = await cli.run(['drill', backup.id, '--yes']);
		t.log(plain.stdout.trim());
		t.is(plain.code, 1);
		const failed = `FAILED  backup ${backup.name} (${backup.id}): `;
		t.regex(plain.stdout.split('\n').find(text => text.startsWith(failed))?.slice(failed.length) ?? '', /key .+ is gone/v, plain.stdout);
	});

	contract('drill: a restore that ends error_restoring (the backup\'s recorded type is another encrypted type) fails, removes its volume, and is recorded as failed', async (t, c) => {
		const {cinder} = services(c.member);
		const {backup, configDir, cli} = await drillScene(t, c, 'drill-wrong');
		const other = await makeEncryptedType(t, c, 'drill-other');
		// What a hand-edited (or wrongly migrated) record would say: the guided restore believes it and Cinder refuses.
		await cinder.updateBackupMetadata(backup.id, {...backup.metadata, [backupMetaSourceTypeName]: other.name, [backupMetaSourceTypeId]: other.id});
		const drilled = await cli.run(['drill', backup.id, '--yes']);
		t.log(drilled.stdout.trim());
		t.is(drilled.code, 1, `${drilled.stdout}\n${drilled.stderr}`);
		const failed = `FAILED  backup ${backup.name} (${backup.id}): `;
		t.regex(drilled.stdout.split('\n').find(text => text.startsWith(failed))?.slice(failed.length) ?? '', /ended error_restoring\. Cinder says: restore backup/v, drilled.stdout);
		t.regex(drilled.stderr, /cleanup: removed volume /v, 'the executor removed the temporary volume');
		t.deepEqual(await drillLeftovers(c, backup.id), [], 'no temporary volume is left');
		const after = await waitBackup(c, cinder, backup.id, ['available']);
		t.is(after.metadata[backupMetaDrillResult], 'failed');
		t.regex(drillFromMetadata(after)?.reason ?? '', /error_restoring/v);
		t.like(readDrillLog(configDir)[0], {backupId: backup.id, result: 'failed'});
	});

	contract('drill killed by SIGKILL mid-restore: backstack journal names the temporary volume; journal cleanup removes it', async (t, c) => {
		const {cinder} = services(c.member);
		const {backup, configDir, cli} = await drillScene(t, c, 'drill-kill');
		const journal = path.join(configDir, 'journal');
		const child = cli.start(['drill', backup.id, '--yes']);
		t.teardown(() => {
			child.kill('SIGKILL');
		});
		const record = await poll(c, 'the journal records the temporary volume', async () => {
			if (child.exitCode !== null) {
				throw new Error(`backstack ended (${child.exitCode}) before it could be killed: ${child.output()}`);
			}

			return readOnlyJournal(journal);
		}, found => found?.created.some(resource => resource.kind === 'volume') === true);
		const killed = new Promise(resolve => {
			child.once('exit', resolve);
		});
		child.kill('SIGKILL');
		await killed;
		const planId = record?.plan.id ?? '';
		const volume = record?.created.find(resource => resource.kind === 'volume');
		t.truthy(volume);
		t.true(volume?.temporary, 'journalled as a temporary');
		t.true(volume?.name?.startsWith(`${drillVolumePrefix}${backup.id.slice(0, 8)}-`), volume?.name);
		const listed = await cli.run(['journal']);
		t.true(listed.stdout.includes(`created: volume ${volume?.id ?? ''} (${volume?.name ?? ''}) [temporary]`), listed.stdout);
		const cleaned = await cli.run(['journal', 'cleanup', planId, '--yes']);
		t.is(cleaned.code, 0, `${cleaned.stdout}\n${cleaned.stderr}`);
		await poll(c, `volume ${volume?.id ?? ''} gone`, async () => cinder.findVolume(volume?.id ?? ''), found => found === undefined);
		t.deepEqual(await drillLeftovers(c, backup.id), []);
		const after = await cli.run(['journal']);
		t.is(after.stdout, 'No unfinished plans.\n');
	});

	contract('drill --verify-data killed by SIGKILL once its first temporary image exists: journal cleanup removes the image and the volume', async (t, c) => {
		const {cinder, glance} = services(c.member);
		const prefix = `bs-contract-${c.run}-drill-killverify`;
		const source = await makeVolume(t, c, cinder, {size: 1, name: `${prefix}-src`});
		const backup = await makeBackup(t, c, cinder, {volumeId: source.id, name: `${prefix}-backup`});
		t.teardown(async () => removeNamed(c, c.member, `${drillVolumePrefix}${backup.id.slice(0, 8)}`));
		const configDir = await mkdtemp(path.join(c.scratch, 'drill-killverify-config-'));
		const cli = cliRunner(c, configDir);
		const journal = path.join(configDir, 'journal');
		const child = cli.start(['drill', backup.id, '--verify-data', '--yes']);
		t.teardown(() => {
			child.kill('SIGKILL');
		});
		const record = await poll(c, 'the journal records a temporary image', async () => {
			if (child.exitCode !== null) {
				throw new Error(`backstack ended (${child.exitCode}) before it could be killed: ${child.output()}`);
			}

			return readOnlyJournal(journal);
		}, found => found?.created.some(resource => resource.kind === 'image') === true);
		const killed = new Promise(resolve => {
			child.once('exit', resolve);
		});
		child.kill('SIGKILL');
		await killed;
		const planId = record?.plan.id ?? '';
		const image = record?.created.find(resource => resource.kind === 'image');
		const volume = record?.created.find(resource => resource.kind === 'volume');
		t.true(image?.temporary, 'the image is journalled as a temporary');
		t.true(volume?.temporary, 'the restored volume is journalled as a temporary');
		const listed = await cli.run(['journal']);
		t.true(listed.stdout.includes(`image ${image?.id ?? ''}`), listed.stdout);
		const cleaned = await cli.run(['journal', 'cleanup', planId, '--yes']);
		t.is(cleaned.code, 0, `${cleaned.stdout}\n${cleaned.stderr}`);
		await poll(c, `image ${image?.id ?? ''} gone`, async () => glance.findImage(image?.id ?? ''), found => found === undefined);
		await poll(c, `volume ${volume?.id ?? ''} gone`, async () => cinder.findVolume(volume?.id ?? ''), found => found === undefined);
		t.deepEqual(await drillLeftovers(c, backup.id), [], 'no temporary volume or image is left');
		const after = await cli.run(['journal']);
		t.is(after.stdout, 'No unfinished plans.\n');
	});

	contract('drill refused by the volume quota: with no GiB left in the project, backstack drill exits 2 with the numbers and creates no volume', async (t, c) => {
		// The member's second project, so that the member's own tests (maybe someone else's, at the same time) keep their quota.
		const session = c.member2;
		const {cinder} = services(session);
		const prefix = `bs-contract-${c.run}-drill-quota`;
		const source = await makeVolume(t, c, cinder, {size: 1, name: `${prefix}-src`});
		const backup = await makeBackup(t, c, cinder, {volumeId: source.id, name: `${prefix}-backup`});
		t.teardown(async () => removeNamed(c, session, `${drillVolumePrefix}${backup.id.slice(0, 8)}`));
		const {projectId} = session.identity.token();
		const adminConfig = await configFor(c.cloud, c.scratch, c.cloud.admin);
		const before = await adminCinderRequest(c.admin, adminConfig, {method: 'GET', path: `os-quota-sets/${projectId}?usage=true`});
		const gigabytes = quotaUsage(before, 'gigabytes');
		t.teardown(async () => {
			await adminCinderRequest(c.admin, adminConfig, {method: 'PUT', path: `os-quota-sets/${projectId}`, body: {quota_set: {gigabytes: gigabytes.limit}}}); // eslint-disable-line @typescript-eslint/naming-convention
		});
		await adminCinderRequest(c.admin, adminConfig, {method: 'PUT', path: `os-quota-sets/${projectId}`, body: {quota_set: {gigabytes: gigabytes.inUse}}}); // eslint-disable-line @typescript-eslint/naming-convention
		const limits = await cinder.getLimits();
		t.is(limits.maxGigabytes, gigabytes.inUse, 'Cinder\'s limits show the lowered quota');
		const configDir = await mkdtemp(path.join(c.scratch, 'drill-quota-config-'));
		const drilled = await cliRunner(c, configDir, c.cloud.member2).run(['drill', backup.id, '--yes']);
		t.log(drilled.stdout.trim());
		t.is(drilled.code, 2, `${drilled.stdout}\n${drilled.stderr}`);
		const line = `NOT RUN backup ${backup.name} (${backup.id}): `;
		const volumesLeft = limits.maxVolumes < 0 ? 'unlimited volumes' : `${Math.max(0, limits.maxVolumes - limits.volumesUsed)} of ${limits.maxVolumes} volumes left`;
		const expected = `refused before it started: it needs 1 volume of 1 GiB; the project's volume quota has ${volumesLeft} and 0 of ${gigabytes.inUse} GiB left`;
		t.is(drilled.stdout.split('\n').find(text => text.startsWith(line))?.slice(line.length), expected, drilled.stdout);
		t.deepEqual(await namedLeftovers(session, `${drillVolumePrefix}${backup.id.slice(0, 8)}`), [], 'no temporary volume was created');
		t.deepEqual(readDrillLog(configDir), [], 'a drill that did not run is not recorded');
		const after = await cinder.getBackup(backup.id);
		t.is(after.metadata[backupMetaDrillResult], undefined);
	});
	/*
	--all-projects (issue 12) with named backups: the member user is in two projects (c.member's, and c.member2's where
	member2 is another user); one backup in each, named by ID in one run by the member. Each drill runs in a session scoped to its backup's project: its temporary
	volume is made (and removed) there, and the report names the project.
	*/
	contract('drill --all-projects: a backup in each of the user\'s two projects, named by ID, both pass, each in its own project; no temporary volume left in either', async (t, c) => {
		const prefix = `bs-contract-${c.run}-drill-all`;
		const scenes = [];
		for (const [index, session] of [c.member, c.member2].entries()) {
			const {cinder} = services(session);
			// eslint-disable-next-line no-await-in-loop
			const source = await makeVolume(t, c, cinder, {size: 1, name: `${prefix}-${index}-src`});
			// eslint-disable-next-line no-await-in-loop
			const backup = await makeBackup(t, c, cinder, {volumeId: source.id, name: `${prefix}-${index}-backup`});
			t.teardown(async () => removeNamed(c, session, `${drillVolumePrefix}${backup.id.slice(0, 8)}`));
			const {projectId, projectName} = session.identity.token();
			scenes.push({
				session, backup, projectId, projectName,
			});
		}

		t.not(scenes[0]!.projectId, scenes[1]!.projectId, 'two projects');
		const configDir = await mkdtemp(path.join(c.scratch, 'drill-all-config-'));
		const cli = cliRunner(c, configDir);
		const drilled = await cli.run(['drill', '--all-projects', scenes[0]!.backup.id, scenes[1]!.backup.id, '--yes', '--json']);
		t.log(drilled.stdout.trim());
		t.is(drilled.code, 0, `${drilled.stdout}\n${drilled.stderr}`);
		const report = JSON.parse(drilled.stdout) as {drills: Array<{backupId: string; result: string; recordedOnBackup: boolean; project?: {id: string; name: string}}>};
		const rows = report.drills.map(drill => [drill.backupId, drill.result, drill.recordedOnBackup, drill.project?.id, drill.project?.name]);
		t.deepEqual(rows, scenes.map(scene => [scene.backup.id, 'ok', true, scene.projectId, scene.projectName]));
		for (const scene of scenes) {
			// eslint-disable-next-line no-await-in-loop
			t.deepEqual(await namedLeftovers(scene.session, `${drillVolumePrefix}${scene.backup.id.slice(0, 8)}`), [], `no temporary volume left in ${scene.projectName}`);
			// eslint-disable-next-line no-await-in-loop
			t.is(drillFromMetadata(await services(scene.session).cinder.getBackup(scene.backup.id))?.result, 'ok', `recorded on the backup in ${scene.projectName}`);
		}

		t.is(readDrillLog(configDir).length, 2);
	});
}
