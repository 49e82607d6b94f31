/*
`backstack drill` as a user runs it (issue 12): `node dist/cli.js drill …` against the demo cloud it is asked for, in an
empty home. Its arguments, what a dry run and an export change (nothing), and one real drill with its record.
`npm test` builds dist/ before ava runs.
*/
import {execFile} from 'node:child_process';
import {existsSync} from 'node:fs';
import {mkdtemp, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import test from 'ava';
import {fitDrillsInQuota} from '../../source/core/drill-quota.js';
import {readDrillLog} from '../../source/store/drill-log.js';
import {demoCloud, until} from '../core/plans/helpers.js';

const root = path.resolve(import.meta.dirname, '../..');
const cli = path.join(root, 'dist/cli.js');

type Result = {code: number; stdout: string; stderr: string; configDir: string};

async function backstack(t: {teardown(fn: () => Promise<void>): void}, ...args: string[]): Promise<Result> {
	return backstackWith(t, {}, ...args);
}

async function backstackWith(t: {teardown(fn: () => Promise<void>): void}, extraEnv: Record<string, string>, ...args: string[]): Promise<Result> {
	const home = await mkdtemp(path.join(os.tmpdir(), 'backstack-drill-cli-'));
	t.teardown(async () => {
		await rm(home, {recursive: true, force: true});
	});
	const configDir = path.join(home, 'config');
	const env = Object.fromEntries([
		['PATH', process.env['PATH'] ?? ''],
		['HOME', home],
		['BACKSTACK_CONFIG_DIR', configDir],
		...Object.entries(extraEnv),
	]);
	return new Promise(resolve => {
		execFile(process.execPath, [cli, ...args], {cwd: home, env, timeout: 120_000}, (error, stdout, stderr) => {
			const code = error === null ? 0 : (typeof error.code === 'number' ? error.code : -1);
			resolve({
				code, stdout, stderr, configDir,
			});
		});
	});
}

// Backups of the demo cloud's story seed: an encrypted one whose type and key are there, one whose type was deleted.
const good = 'legal-archive-2026-q3';
const typeGone = 'crm-db-final';

test('drill without a backup, with both a backup and --newest-per-volume, or with a bad --max is a usage error (64)', async t => {
	const cases: Array<[string[], RegExp]> = [
		[['drill', '--demo', '--yes'], /Name the backups to drill/v],
		[['drill', '--demo', good, '--newest-per-volume'], /not both/v],
		[['drill', '--demo', good, '--max', '0'], /--max takes a whole number above 0, not "0"/v],
		[['drill', '--demo', good, '--max', '1.5'], /--max takes a whole number above 0/v],
		[['drill', '--demo', good, '--max-gib', 'lots'], /--max-gib takes a number above 0, not "lots"/v],
		[['drill', '--demo', good, '--max-gb', '5'], /unknown flag --max-gb for 'drill'\. Did you mean --max-gib\?/v],
		[['drill', '--demo', good, '--confirm', 'x'], /--confirm is not a flag of 'drill'/v],
		[['drill', '--demo', good, '--format', 'csv'], /there is no CSV/v],
		[['drill', '--demo', good, '--parallel', '0'], /--parallel takes a whole number above 0, not "0"/v],
	];
	for (const [args, message] of cases) {
		// eslint-disable-next-line no-await-in-loop
		const result = await backstack(t, ...args);
		t.is(result.code, 64, `${args.join(' ')}: ${result.stderr}`);
		t.regex(result.stderr, message, args.join(' '));
		t.false(existsSync(path.join(result.configDir, 'drills.jsonl')), 'nothing was drilled');
	}
});

test('drill --help prints the drill usage and exits 0', async t => {
	const result = await backstack(t, 'drill', '--help');
	t.is(result.code, 0);
	t.regex(result.stdout, /^Drill:\n {2}backstack drill \[BACKUP…\] \[--newest-per-volume\] \[--max N\] \[--max-gib G\]/v);
});

test('a dry run previews the temporary volume and its check, and records nothing; a backup whose type is gone would fail (exit 1)', async t => {
	const dry = await backstack(t, 'drill', '--demo', good, '--dry-run');
	t.is(dry.code, 0, dry.stderr);
	t.regex(dry.stdout, /creates: temporary volume "backstack-drill-[\da-f]{8}-\d{8}T\d{6}Z", removed at the end even on failure or cancel/v);
	t.regex(dry.stdout, /\[read\] Check that the restored volume is what a real restore needs \(type LUKS\)/v);
	t.regex(dry.stdout, new RegExp(`^would drill backup ${good} `, 'mv'));
	t.false(existsSync(path.join(dry.configDir, 'drills.jsonl')));
	const failing = await backstack(t, 'drill', '--demo', typeGone, '--dry-run');
	t.is(failing.code, 1, failing.stderr);
	t.regex(failing.stdout, new RegExp(String.raw`^would FAIL backup ${typeGone} \(.+\): The volume type LUKS-2023 \(.+\) no longer exists`, 'mv'));
	t.false(existsSync(path.join(failing.configDir, 'drills.jsonl')), 'a dry run records nothing, not even a failure');
});

test('without --yes nothing is done (exit 5); an unknown backup name fails (exit 1)', async t => {
	const asked = await backstack(t, 'drill', '--demo', good);
	t.is(asked.code, 5, asked.stderr);
	t.regex(asked.stderr, /Nothing was done\. Run again with --yes/v);
	const unknown = await backstack(t, 'drill', '--demo', 'no-such-backup', '--yes');
	t.is(unknown.code, 1);
	t.regex(unknown.stdout, /^FAILED {2}backup no-such-backup: no backup of this project has this name or ID$/mv);
});

test('--export-cli prints one bash script per drill, joined so that each removes its own volume', async t => {
	const result = await backstack(t, 'drill', '--demo', good, 'shop-web-static-2d', '--export-cli');
	t.is(result.code, 0, result.stderr);
	t.true(result.stdout.startsWith('#!/usr/bin/env bash\n# 2 restore drills exported by backstack'));
	t.is(result.stdout.match(/^trap cleanup EXIT$/gmv)?.length, 2);
	t.is(result.stdout.match(/^bash <<'BACKSTACK_DRILL_\d' \|\| failed=1$/gmv)?.length, 2);
	t.regex(result.stdout, /volume backup set --property "backstack_drill_at=\$\(date -u \+%Y-%m-%dT%H:%M:%SZ\)" --property backstack_drill_result=ok/v);
	const syntax = await new Promise<number>(resolve => {
		const child = execFile('bash', ['-n'], error => {
			resolve(error === null ? 0 : 1);
		});
		child.stdin?.end(result.stdout);
	});
	t.is(syntax, 0, 'bash -n accepts the script');
	t.false(existsSync(path.join(result.configDir, 'drills.jsonl')));
});

test('--verify-data --export-cli: the runbook removes its temporary images too, and records the restored sha512 on the backup', async t => {
	const result = await backstack(t, 'drill', '--demo', 'shop-web-static-2d', '--verify-data', '--export-cli');
	t.is(result.code, 0, result.stderr);
	const created = result.stdout.match(/^temporaries\+=\("image \$\w+"\)$/gmv) ?? [];
	t.is(created.length, 2, 'the restored volume\'s image and the source\'s, each registered for removal');
	t.regex(result.stdout, /^\t+image\) openstack image delete "\$id" \|\| true$/mv, 'the exit trap deletes images');
	// Read from the JSON wherever the CLI puts the field (python-openstackclient 6.0: inside "properties").
	t.regex(result.stdout, /^restored_sha512="\$\(if \[ "\$\(openstack image show "\$\w+" -f json \| \{ grep -o '"os_hash_algo": \*"\[\^"\]\*"'/mv);
	t.notRegex(result.stdout, /-c os_hash_value|-c volume_type/v, 'no column python-openstackclient 6.0 does not have');
	t.regex(result.stdout, /--property backstack_drill_result=ok .*\$\{restored_sha512:\+--property "backstack_drill_sha512=\$restored_sha512"\}/v);
	const syntax = await new Promise<number>(resolve => {
		const child = execFile('bash', ['-n'], error => {
			resolve(error === null ? 0 : 1);
		});
		child.stdin?.end(result.stdout);
	});
	t.is(syntax, 0, 'bash -n accepts the script');
});

test('--verify-data --export-cli of an encrypted backup: qemu-img decrypts each image with its own key in a private directory; the plaintext sha512s are compared and recorded', async t => {
	const result = await backstack(t, 'drill', '--demo', good, '--verify-data', '--export-cli');
	t.is(result.code, 0, result.stderr);
	const qemu = String.raw`^\tqemu-img convert --object "secret,id=sec0,file=\$work/passphrase" --image-opts "driver=luks,key-secret=sec0,file\.filename=\$work/image" -O raw "\$work/plain" >&2$`;
	const decrypts = result.stdout.match(new RegExp(qemu, 'gmv')) ?? [];
	t.is(decrypts.length, 2, 'the source\'s image and the restored one');
	t.is(result.stdout.match(/^\ttrap 'rm -rf "\$work"' EXIT$/gmv)?.length, 2, 'each private directory goes when its subshell ends');
	t.regex(result.stdout, /^\[ "\$COMPARE_DATA_SHA512" = "\$PLAINTEXT_SOURCE_SHA512" \] \|\| \{ echo 'The restored plaintext differs from the source volume /mv);
	t.regex(result.stdout, /\$\{restored_plaintext_sha512:\+--property "backstack_drill_plaintext_sha512=\$restored_plaintext_sha512"\}/v);
	t.notRegex(result.stdout, /restored_sha512|backstack_drill_sha512=/v, 'no ciphertext hash is compared or recorded');
	const syntax = await new Promise<number>(resolve => {
		const child = execFile('bash', ['-n'], error => {
			resolve(error === null ? 0 : 1);
		});
		child.stdin?.end(result.stdout);
	});
	t.is(syntax, 0, 'bash -n accepts the script');
});

test('--verify-data of an encrypted backup passes with the decrypted data compared; the report gives the plaintext sha512 (not a sha512 of bytes)', async t => {
	const result = await backstack(t, 'drill', '--demo', good, '--verify-data', '--yes', '--json');
	t.is(result.code, 0, result.stderr);
	const report = JSON.parse(result.stdout) as {drills: Array<Record<string, unknown>>};
	t.like(report.drills[0], {result: 'ok', verifiedData: true, recordedOnBackup: true});
	t.regex(String(report.drills[0]!['reason']), /; decrypted data matches the source volume legal-archive \(.+\) \(plaintext sha512 [\da-f]{16}…\)$/v);
	t.regex(String(report.drills[0]!['plaintextSha512']), /^[\da-f]{128}$/v);
	t.false('sha512' in report.drills[0]!);
	t.like(readDrillLog(result.configDir)[0], {result: 'ok', verifiedData: true});
});

test('--verify-data of an encrypted backup whose image keys Barbican refuses (403) is NOT RUN (exit 2), says why, records nothing, leaves nothing', async t => {
	const context = await demoCloud(t);
	const {state} = context.cloud;
	const type = state.addVolumeType({
		name: 'LUKS',
		encryption: {
			provider: 'luks', cipher: 'aes-xts-plain64', keySize: 256, controlLocation: 'front-end',
		},
	});
	const cinder = context.session.cinder!;
	const volume = await cinder.createVolume({size: 1, name: 'src', volumeType: type.name});
	await until(async () => cinder.getVolume(volume.id), found => found.status === 'available');
	const {id} = await cinder.createBackup({volumeId: volume.id, name: 'nightly'});
	await until(async () => cinder.getBackup(id), found => found.status === 'available');
	context.cloud.setFaults([{
		kind: 'error', service: 'key-manager', method: 'GET', path: /\/payload$/v, status: 403, message: 'SecretPayload retrieval attempt not allowed',
	}]);
	const result = await backstackWith(t, {OS_CLIENT_CONFIG_FILE: context.cloudsYamlPath, OS_CLOUD: 'demo'}, 'drill', id, '--verify-data', '--yes'); // eslint-disable-line @typescript-eslint/naming-convention
	t.is(result.code, 2, `${result.stdout}\n${result.stderr}`);
	t.regex(result.stdout, /^NOT RUN backup nightly \(.+\): Barbican refuses the key of the source volume's image \(secret .+\) to this user \(HTTP 403\): its bytes cannot be decrypted\./mv);
	t.deepEqual(readDrillLog(result.configDir), [], 'a drill that could not decide proves nothing: no record');
	const after = await cinder.getBackup(id);
	t.is(after.metadata['backstack_drill_result'], undefined);
	const names = [...state.images.values(), ...state.volumes.values()].map(resource => resource.name ?? '');
	t.deepEqual(names.filter(name => name.startsWith('backstack-drill-')), [], 'no temporary image or volume is left');
});

test('a drill with --yes --json passes, records ok on the backup and in the drill log; its temporary volume is removed', async t => {
	const result = await backstack(t, 'drill', '--demo', good, '--yes', '--json');
	t.is(result.code, 0, result.stderr);
	const report = JSON.parse(result.stdout) as {version: number; drills: Array<Record<string, unknown>>};
	t.is(report.version, 1);
	t.is(report.drills.length, 1);
	t.like(report.drills[0], {
		backupName: good, result: 'ok', reason: 'available, 5 GiB, type LUKS, key present', recordedOnBackup: true,
	});
	t.regex(result.stderr, /cleanup: removed volume [\d\-a-f]+ \(backstack-drill-/v);
	const log = readDrillLog(result.configDir);
	t.is(log.length, 1);
	t.like(log[0], {backupId: report.drills[0]!['backupId'] as string, result: 'ok', cloud: 'demo'});
});

/**
A 1 GiB volume `src` and its available backup `nightly`, made straight through the demo cloud's API.
*/
async function volumeWithBackup(context: Awaited<ReturnType<typeof demoCloud>>) {
	const cinder = context.session.cinder!;
	const volume = await cinder.createVolume({size: 1, name: 'src'});
	await until(async () => cinder.getVolume(volume.id), found => found.status === 'available');
	const {id} = await cinder.createBackup({volumeId: volume.id, name: 'nightly'});
	await until(async () => cinder.getBackup(id), found => found.status === 'available');
	return {volume, id};
}

/**
From now on the cloud refuses to write backup metadata, as a policy without backup:update_backup_metadata does.
*/
function refuseBackupMetadata(context: Awaited<ReturnType<typeof demoCloud>>): void {
	context.cloud.setFaults([{
		kind: 'error', service: 'volume', method: 'PUT', path: /\/backups\/[^\/]+$/v, status: 403, message: 'Policy doesn\'t allow backup:update_backup_metadata to be performed.',
	}]);
}

test('a drill whose record on the backup is refused still passes, says so, and is in the drill log', async t => {
	const context = await demoCloud(t);
	const cinder = context.session.cinder!;
	const {id} = await volumeWithBackup(context);
	refuseBackupMetadata(context);
	const result = await backstackWith(t, {OS_CLIENT_CONFIG_FILE: context.cloudsYamlPath, OS_CLOUD: 'demo'}, 'drill', id, '--yes'); // eslint-disable-line @typescript-eslint/naming-convention
	t.is(result.code, 0, `${result.stdout}\n${result.stderr}`);
	t.regex(result.stdout, /^ok {6}backup nightly \(.+\) restored in \d+ s: available, 1 GiB, .* \[not recorded on the backup: .*update_backup_metadata.*; in the local log only\]$/mv);
	const after = await cinder.getBackup(id);
	t.is(after.metadata['backstack_drill_result'], undefined, 'the cloud refused the record');
	t.like(readDrillLog(result.configDir)[0], {backupId: id, result: 'ok'});
});

test('a backup that is busy (being restored) is not drilled and not recorded: NOT RUN, exit 2', async t => {
	// Someone else's restore that outlasts the test (an hour at this time scale), however slowly the CLI starts.
	const context = await demoCloud(t, {delays: {restore: 360_000_000}});
	const cinder = context.session.cinder!;
	const {id} = await volumeWithBackup(context);
	await cinder.restoreBackup(id, {name: 'someone-elses-restore'});
	const result = await backstackWith(t, {OS_CLIENT_CONFIG_FILE: context.cloudsYamlPath, OS_CLOUD: 'demo'}, 'drill', id, '--yes'); // eslint-disable-line @typescript-eslint/naming-convention
	t.is(result.code, 2, `${result.stdout}\n${result.stderr}`);
	t.regex(result.stdout, /^NOT RUN backup nightly \(.+\): .*restoring/mv);
	t.deepEqual(readDrillLog(result.configDir), [], 'a drill that did not run proves nothing: no record');
	const after = await cinder.getBackup(id);
	t.is(after.metadata['backstack_drill_result'], undefined);
});

test('the audit reads the local drill log: a drill recorded only there makes its backup verified', async t => {
	const context = await demoCloud(t);
	const {volume, id} = await volumeWithBackup(context);
	// The cloud refuses the record on the backup: only the local log knows the drill passed.
	refuseBackupMetadata(context);
	const shared = await mkdtemp(path.join(os.tmpdir(), 'backstack-drill-shared-'));
	t.teardown(async () => rm(shared, {recursive: true, force: true}));
	const env = {OS_CLIENT_CONFIG_FILE: context.cloudsYamlPath, OS_CLOUD: 'demo', BACKSTACK_CONFIG_DIR: shared}; // eslint-disable-line @typescript-eslint/naming-convention
	const before = await backstackWith(t, env, 'audit', '--format', 'json', '--fail-on', 'never');
	type Report = {projects: Array<{backups?: Array<{id: string; restorability: string}>; findings: Array<{code: string; resource: {id: string}}>}>};
	const wordOf = (text: string) => (JSON.parse(text) as Report).projects[0]?.backups?.find(backup => backup.id === id)?.restorability;
	const codesOf = (text: string) => (JSON.parse(text) as Report).projects[0]?.findings.filter(finding => finding.resource.id === volume.id).map(finding => finding.code);
	t.is(wordOf(before.stdout), 'restorable', before.stderr);
	t.deepEqual(codesOf(before.stdout), ['volume.protected']);
	const drilled = await backstackWith(t, env, 'drill', id, '--yes');
	t.is(drilled.code, 0, `${drilled.stdout}\n${drilled.stderr}`);
	const after = await backstackWith(t, env, 'audit', '--format', 'json', '--fail-on', 'never');
	t.is(wordOf(after.stdout), 'verified', after.stderr);
	t.deepEqual(codesOf(after.stdout), ['volume.verified']);
});

test('the quota check admits drills in order while they fit, N at once with a pool of N, and gives the numbers of the others', t => {
	const quota = {
		maxVolumes: 10, volumesUsed: 8, maxGigabytes: 100, gigabytesUsed: 95,
	};
	const a = {id: 'a', size: 3};
	const b = {id: 'b', size: 10};
	const c = {id: 'c', size: 2};
	const one = fitDrillsInQuota(quota, [a, b, c]);
	t.deepEqual(one.fits, [a, c], 'one at a time, each drill alone must fit: 3 and 2 of 5 GiB left');
	t.deepEqual(one.refused.map(({item}) => item), [b]);
	t.is(one.refused[0]?.reason, 'refused before it started: it needs 1 volume of 10 GiB; the project\'s volume quota has 2 of 10 volumes left and 5 of 100 GiB left');
	const d = {id: 'd', size: 1};
	const big = {id: 'big', size: 3};
	const two = fitDrillsInQuota(quota, [a, d, big], 2);
	t.deepEqual(two.fits, [a, d], 'big may run beside a (once d is done): 6 GiB of 5');
	t.regex(two.refused[0]?.reason ?? '', /needs 1 volume of 3 GiB beside 1 other drill at once \(2 volumes, 6 GiB in all\)/v);
	const oneVolume = fitDrillsInQuota({...quota, maxVolumes: 9}, [a, c], 2);
	t.deepEqual(oneVolume.fits, [a], 'one volume left: the second drill at once does not fit');
	t.regex(oneVolume.refused[0]?.reason ?? '', /needs 1 volume of 2 GiB beside 1 other drill at once \(2 volumes, 5 GiB in all\); .* 1 of 9 volumes left/v);
	t.deepEqual(fitDrillsInQuota({
		maxVolumes: -1, volumesUsed: 500, maxGigabytes: -1, gigabytesUsed: 9000,
	}, [a, b], 4).fits, [a, b], '-1 is unlimited');
});

test('a drill that would pass the project\'s GiB quota is refused before it starts, with the numbers: NOT RUN, exit 2, no volume made, no record', async t => {
	const context = await demoCloud(t);
	const cinder = context.session.cinder!;
	const {id} = await volumeWithBackup(context);
	const {projectId} = context.session.identity.token();
	const before = await cinder.getLimits();
	t.is(before.gigabytesUsed, 1, 'the source volume counts');
	context.cloud.setQuota(projectId, {gigabytes: 1});
	const result = await backstackWith(t, {OS_CLIENT_CONFIG_FILE: context.cloudsYamlPath, OS_CLOUD: 'demo'}, 'drill', id, '--yes'); // eslint-disable-line @typescript-eslint/naming-convention
	t.is(result.code, 2, `${result.stdout}\n${result.stderr}`);
	t.regex(result.stdout, /^NOT RUN backup nightly \(.+\): refused before it started: it needs 1 volume of 1 GiB; the project's volume quota has \d+ of \d+ volumes left and 0 of 1 GiB left$/mv);
	const volumes: string[] = [];
	for await (const volume of cinder.listVolumes()) {
		volumes.push(volume.name);
	}

	t.deepEqual(volumes, ['src'], 'no temporary volume was made');
	t.deepEqual(readDrillLog(result.configDir), [], 'a drill that did not run proves nothing: no record');
});

test('when the cloud does not let the project read its limits (403), the drill says so and goes on', async t => {
	const context = await demoCloud(t);
	const {id} = await volumeWithBackup(context);
	context.cloud.setFaults([{
		kind: 'error', service: 'volume', method: 'GET', path: /\/limits$/v, status: 403, message: 'Policy doesn\'t allow limits_extension:used_limits to be performed.',
	}]);
	const result = await backstackWith(t, {OS_CLIENT_CONFIG_FILE: context.cloudsYamlPath, OS_CLOUD: 'demo'}, 'drill', id, '--yes'); // eslint-disable-line @typescript-eslint/naming-convention
	t.is(result.code, 0, `${result.stdout}\n${result.stderr}`);
	t.regex(result.stderr, /the project's volume quota could not be read \(HTTP 403\); the drills go on without a quota check/v);
	t.regex(result.stdout, /^ok {6}backup nightly /mv);
});

test('--parallel 2 runs two drills at once, each its own plan and record; the report keeps the order the backups were named in', async t => {
	// Restores of 3 s each: one after the other they could not overlap.
	const context = await demoCloud(t, {delays: {restore: 300_000}});
	const cinder = context.session.cinder!;
	const first = await volumeWithBackup(context);
	const volume = await cinder.createVolume({size: 1, name: 'src2'});
	await until(async () => cinder.getVolume(volume.id), found => found.status === 'available');
	const {id: second} = await cinder.createBackup({volumeId: volume.id, name: 'weekly'});
	await until(async () => cinder.getBackup(second), found => found.status === 'available');
	const result = await backstackWith(t, {OS_CLIENT_CONFIG_FILE: context.cloudsYamlPath, OS_CLOUD: 'demo'}, 'drill', second, first.id, '--parallel', '2', '--yes', '--json'); // eslint-disable-line @typescript-eslint/naming-convention
	t.is(result.code, 0, `${result.stdout}\n${result.stderr}`);
	const report = JSON.parse(result.stdout) as {drills: Array<{backupId: string; result: string; planId: string}>};
	t.deepEqual(report.drills.map(drill => [drill.backupId, drill.result]), [[second, 'ok'], [first.id, 'ok']]);
	t.not(report.drills[0]?.planId, report.drills[1]?.planId, 'each drill is its own plan');
	const log = readDrillLog(result.configDir);
	t.is(log.length, 2);
	const spans = log.map(entry => ({end: Date.parse(entry.at), start: Date.parse(entry.at) - (entry.durationMs ?? 0)}));
	t.true(spans[0]!.start < spans[1]!.end && spans[1]!.start < spans[0]!.end, `the two drills overlap in time: ${JSON.stringify(spans)}`);
});

test('--all-projects --newest-per-volume drills the newest backup of every volume in every project, each in its own project, and names it', async t => {
	const context = await demoCloud(t);
	const projects = await context.session.identity.listProjects();
	const sandboxProject = projects.find(project => project.name === 'sandbox')!;
	t.truthy(sandboxProject, 'user demo has a second project, sandbox');
	const sandbox = await context.session.switchProject(sandboxProject.id);
	t.teardown(() => {
		sandbox.close();
	});
	const inDemo = await volumeWithBackup(context);
	const inSandbox = await volumeWithBackup({...context, session: sandbox});
	const result = await backstackWith(t, {OS_CLIENT_CONFIG_FILE: context.cloudsYamlPath, OS_CLOUD: 'demo'}, 'drill', '--all-projects', '--newest-per-volume', '--yes', '--json'); // eslint-disable-line @typescript-eslint/naming-convention
	t.is(result.code, 0, `${result.stdout}\n${result.stderr}`);
	const report = JSON.parse(result.stdout) as {drills: Array<{backupId: string; result: string; recordedOnBackup: boolean; project: {id: string; name: string}}>};
	const byBackup = new Map(report.drills.map(drill => [drill.backupId, drill]));
	t.is(report.drills.length, 2);
	t.like(byBackup.get(inDemo.id), {result: 'ok', recordedOnBackup: true, project: {id: context.session.identity.token().projectId, name: 'demo'}});
	t.like(byBackup.get(inSandbox.id), {result: 'ok', recordedOnBackup: true, project: {id: sandboxProject.id, name: 'sandbox'}});
	t.deepEqual(new Set(readDrillLog(result.configDir).map(entry => `${entry.backupId} ${entry.result}`)), new Set([`${inDemo.id} ok`, `${inSandbox.id} ok`]));
	for (const session of [context.session, sandbox]) {
		const names: string[] = [];
		// eslint-disable-next-line no-await-in-loop
		for await (const volume of session.cinder!.listVolumes()) {
			names.push(volume.name);
		}

		t.deepEqual(names, ['src'], `no temporary volume is left in ${session.identity.token().projectName}`);
	}
});

test('drill --all-projects with --project is a usage error (64)', async t => {
	const result = await backstack(t, 'drill', '--demo', '--all-projects', '--project', 'x', '--newest-per-volume');
	t.is(result.code, 64, result.stderr);
	t.regex(result.stderr, /--all-projects and --project exclude each other/v);
});
