/*
Contracts: restores killed mid-run, then resumed or cleaned up by the journal.
*/
import {randomBytes} from 'node:crypto';
import {mkdtemp} from 'node:fs/promises';
import path from 'node:path';
import type {ExecutionContext} from 'ava';
import {type CreatedResource} from '../../../source/core/plans/types.js';
import {planVolumeBackup} from '../../../source/core/plans/backup.js';
import {runPlan} from '../../../source/core/plans/execute.js';
import {compareFile, plaintextOfImage, readBackImage} from '../../core/plans/scenarios.js';
import {collect} from '../../helpers/collect.js';
import {
	type Context,
	cliRunner,
	readOnlyJournal,
	pollingClock,
	services,
	statusOf,
	poll,
	waitImage,
	makeEncryptedType,
	makeVolume,
	removeVolume,
	removeBackup,
	removeImage,
	type Contract,
} from '../kit.js';

export function registerJournal(contract: Contract): void {
	/*
	Restore 2 killed mid-run. backstack's own CLI (dist/cli.js, as installed) runs `restore backup` in a child process with
	a private journal; once the journal records the new volume and the restore onto it as requested, the child gets
	SIGKILL. `backstack journal` must then name the plan and the volume, and `journal resume` / `journal cleanup`
	(new processes, as after a crash) must finish or undo it.
	*/
	const killedRestore = async (t: ExecutionContext, c: Context, label: string) => {
		const type = await makeEncryptedType(t, c, label);
		const prefix = `bs-contract-${c.run}-${label}`;
		const {cinder, glance} = services(c.member);
		const data = randomBytes((128 * 1024) + 11);
		const dataImage = await glance.createImage({name: `${prefix}-data`, diskFormat: 'raw', containerFormat: 'bare'});
		t.teardown(async () => removeImage(c, glance, dataImage.id));
		await glance.uploadImageData(dataImage.id, (async function * () {
			yield data;
		})(), {size: data.length});
		await waitImage(c, glance, dataImage.id, ['active']);
		const source = await makeVolume(t, c, cinder, {
			size: 1, name: `${prefix}-src`, volumeType: type.name, imageRef: dataImage.id,
		});
		t.true(source.encrypted);
		const backupPlan = await planVolumeBackup(c.member, {volumeId: source.id, name: `${prefix}-backup`, version: 'contract'});
		if (backupPlan.kind !== 'plan') {
			throw new Error(`backup plan: ${JSON.stringify(backupPlan)}`);
		}

		const backupEvents = await collect(runPlan(backupPlan.plan, c.member, {clock: pollingClock(c)}));
		const backupEnd = backupEvents.at(-1);
		const backupId = String(backupEnd?.type === 'plan-done' ? backupEnd.results['backup'] : '');
		t.teardown(async () => removeBackup(c, cinder, backupId));
		t.truthy(backupId, JSON.stringify(backupEnd));
		const configDir = await mkdtemp(path.join(c.scratch, `${label}-config-`));
		const cli = cliRunner(c, configDir);
		const journal = path.join(configDir, 'journal');
		const name = `${prefix}-restored`;
		const child = cli.start(['restore', 'backup', backupId, '--name', name, '--method', 'create-then-restore', '--yes']);
		const made: {volumeId?: string} = {};
		t.teardown(async () => {
			child.kill('SIGKILL');
			if (made.volumeId !== undefined) {
				await removeVolume(c, cinder, made.volumeId);
			}
		});
		const record = await poll(c, 'the journal records the new volume and the restore onto it', async () => {
			if (child.exitCode !== null) {
				throw new Error(`backstack ended (${child.exitCode}) before it could be killed: ${child.output()}`);
			}

			return readOnlyJournal(journal);
		}, found => found !== undefined && found.created.some(resource => resource.kind === 'volume')
			&& found.steps['restore']?.state === 'running' && found.steps['restore'].requested === true);
		const killed = new Promise(resolve => {
			child.once('exit', resolve);
		});
		child.kill('SIGKILL');
		await killed;
		const planId = record?.plan.id ?? '';
		const volumeId = record?.created.find(resource => resource.kind === 'volume')?.id ?? '';
		made.volumeId = volumeId;
		t.truthy(volumeId);
		t.is(readOnlyJournal(journal)?.state, 'running', 'the killed run never finished its journal');
		const {status} = await cinder.getVolume(volumeId);
		t.log(`killed backstack during ${planId}: volume ${volumeId} is ${status}`);
		const listed = await cli.run(['journal']);
		t.is(listed.code, 0, listed.stderr);
		t.regex(listed.stdout, new RegExp(`^${planId}  running  1/2 steps`, 'mv'));
		t.true(listed.stdout.includes(`created: volume ${volumeId} (${name})`), listed.stdout);
		t.true(listed.stdout.includes(`backstack journal resume ${planId}`), listed.stdout);
		return {
			cli, planId, volumeId, data,
		};
	};

	contract('restore 2 killed by SIGKILL mid-restore: backstack journal names the plan and volume; journal resume finishes it with the original bytes', async (t, c) => {
		const {cli, planId, volumeId, data} = await killedRestore(t, c, 'kill-resume');
		const resumed = await cli.run(['journal', 'resume', planId, '--yes']);
		t.is(resumed.code, 0, `${resumed.stdout}\n${resumed.stderr}`);
		t.regex(resumed.stdout, new RegExp(`Resuming plan ${planId}`, 'v'));
		t.regex(resumed.stdout, /Done\. volume /v);
		const after = await cli.run(['journal']);
		t.is(after.stdout, 'No unfinished plans.\n');
		const {cinder} = services(c.member);
		const volume = await cinder.getVolume(volumeId);
		t.is(volume.status, 'available');
		t.true(volume.encrypted);
		const workDir = await mkdtemp(path.join(c.scratch, 'kill-resume-'));
		const readBack: CreatedResource[] = [];
		t.teardown(async () => {
			for (const resource of readBack) {
				// eslint-disable-next-line no-await-in-loop
				await removeImage(c, services(c.member).glance, resource.id);
			}
		});
		const readContext = {
			session: c.member, encryptedType: '', workDir, clock: pollingClock(c),
		};
		const imageId = await readBackImage(readContext, {
			add(resource) {
				readBack.push({...resource, stepId: 'contract', temporary: false});
			},
		}, volumeId, `bs-contract-${c.run}-kill-resume-readback`);
		const length = await compareFile(await plaintextOfImage(readContext, imageId, 'kill-resume'), data, 'the resumed restore');
		t.log(`read back ${length} bytes: the original ${data.length}, the rest zeros`);
	});

	contract('restore 2 killed by SIGKILL mid-restore: journal cleanup deletes the new volume', async (t, c) => {
		const {cli, planId, volumeId} = await killedRestore(t, c, 'kill-cleanup');
		const cleaned = await cli.run(['journal', 'cleanup', planId, '--yes']);
		t.is(cleaned.code, 0, `${cleaned.stdout}\n${cleaned.stderr}`);
		t.true(cleaned.stdout.includes(`cleanup: removed volume ${volumeId}`), cleaned.stdout);
		const {cinder} = services(c.member);
		await poll(c, `volume ${volumeId} gone`, async () => cinder.findVolume(volumeId), volume => volume === undefined);
		t.is(statusOf(await cinder.getVolume(volumeId).catch((error: unknown) => error)), 404, 'the volume is gone (by ID)');
		const after = await cli.run(['journal']);
		t.is(after.stdout, 'No unfinished plans.\n');
	});
}
