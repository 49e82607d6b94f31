/*
Contracts: the exported runbooks (`--export-cli`) run as they are with the cloud's own `openstack` CLI (Debian's
python-openstackclient 6.0.0 on the real cloud's machine, started with /usr/bin/python3), not only pass `bash -n`.
*/
import {spawn} from 'node:child_process';
import {existsSync} from 'node:fs';
import {chmod, mkdir, writeFile} from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import {backupMetaDrillResult, backupMetaDrillSha512} from '../../../source/core/drills.js';
import {drillVolumePrefix} from '../../../source/core/plans/drill.js';
import {collect} from '../../helpers/collect.js';
import {
	cliRunner,
	configFileVariable,
	makeBackup,
	makeEncryptedType,
	makeVolume,
	namedLeftovers,
	removeNamed,
	removeVolume,
	secretStatus,
	services,
	type Context,
	type Contract,
} from '../kit.js';

const openstackCli = '/usr/bin/openstack';

/**
Runs a runbook with bash as the member would: OS_CLOUD and the clouds file set, and `openstack` on PATH as Debian's CLI
under /usr/bin/python3 (a pyenv python first on PATH lacks its modules).
*/
async function runRunbook(c: Context, script: string, timeoutMs: number): Promise<{code: number | undefined; output: string}> {
	const bin = path.join(c.scratch, 'runbook-bin');
	await mkdir(bin, {recursive: true});
	const shim = path.join(bin, 'openstack');
	await writeFile(shim, `#!/bin/sh\nexec /usr/bin/python3 ${openstackCli} "$@"\n`);
	await chmod(shim, 0o755);
	const file = path.join(c.scratch, `runbook-${Date.now()}.sh`);
	await writeFile(file, script, {mode: 0o700});
	const environment = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('OS_')));
	const child = spawn('bash', [file], {
		cwd: c.scratch,
		env: {
			...environment,
			[configFileVariable]: c.cloud.cloudsFile,
			OS_CLOUD: c.cloud.member, // eslint-disable-line @typescript-eslint/naming-convention
			PATH: `${bin}:${process.env['PATH'] ?? ''}`, // eslint-disable-line @typescript-eslint/naming-convention
		},
		stdio: ['ignore', 'pipe', 'pipe'],
		detached: true,
	});
	let output = '';
	// A runbook that waits for ever (a status that never comes) is stopped, its whole process group, and says so.
	const timer = setTimeout(() => {
		output += `\n[the runbook was still running after ${timeoutMs / 1000} s and was stopped]`;
		process.kill(-child.pid!, 'SIGTERM');
	}, timeoutMs);
	child.stdout.on('data', (chunk: Uint8Array) => {
		output += String(chunk);
	});
	child.stderr.on('data', (chunk: Uint8Array) => {
		output += String(chunk);
	});
	const code = await new Promise<number | undefined>((resolve, reject) => {
		child.once('error', reject);
		child.once('close', resolve);
	});
	clearTimeout(timer);
	return {code, output};
}

export function registerRunbooks(contract: Contract): void {
	contract('the exported runbook of an encrypted non-default-type restore runs with the cloud\'s openstack CLI: the new volume is available, of the type, with its own key', async (t, c) => {
		// Each openstack command starts a Python (2–10 s here, by load): the demo target's 60 s per test is too short.
		const runbookMs = Math.max(c.target.testTimeoutMs / 2, 240_000);
		t.timeout(runbookMs + 120_000);
		t.true(existsSync(openstackCli), `${openstackCli} (Debian's python3-openstackclient) is needed to run the runbook`);
		const type = await makeEncryptedType(t, c, 'rb');
		const {cinder, barbican} = services(c.member);
		const source = await makeVolume(t, c, cinder, {size: 1, name: `bs-contract-${c.run}-rb-src`, volumeType: type.name});
		const backup = await makeBackup(t, c, cinder, {
			volumeId: source.id,
			name: `bs-contract-${c.run}-rb-bk`,
			metadata: {'backstack:source-type': type.name, 'backstack:source-type-id': type.id},
		});
		const cli = cliRunner(c, path.join(c.scratch, 'runbook-config'));
		const name = `bs-contract-${c.run}-rb-new`;
		const exported = await cli.run(['restore', 'backup', backup.id, '--name', name, '--export-cli']);
		t.is(exported.code, 0, exported.stderr);
		t.regex(exported.stdout, /volume create/v);
		const ran = await runRunbook(c, exported.stdout, runbookMs);
		// Whatever the script made is removed, also when it failed half way.
		t.teardown(async () => {
			const volumes = await collect(cinder.listVolumes());
			await Promise.all(volumes.filter(item => item.name === name).map(async volume => removeVolume(c, cinder, volume.id)));
		});
		t.is(ran.code, 0, ran.output);
		const id = /^volume: (?<id>\S+)$/mv.exec(ran.output)?.groups?.['id'];
		t.truthy(id, `the runbook names the new volume: ${ran.output}`);
		const volume = await cinder.getVolume(id ?? '');
		t.is(volume.status, 'available');
		t.is(volume.name, name);
		t.is(volume.volumeTypeId, type.id);
		t.true(volume.encrypted);
		t.truthy(volume.encryptionKeyId);
		t.not(volume.encryptionKeyId, backup.encryptionKeyId);
		t.is(await secretStatus(barbican, volume.encryptionKeyId ?? ''), 'ACTIVE');
	});

	contract('the exported runbook of drill --verify-data runs with the cloud\'s openstack CLI: bytes match, sha512 recorded on the backup, no temporary left', async (t, c) => {
		const runbookMs = Math.max(c.target.testTimeoutMs / 2, 300_000);
		t.timeout(runbookMs + 120_000);
		t.true(existsSync(openstackCli), `${openstackCli} (Debian's python3-openstackclient) is needed to run the runbook`);
		const {cinder} = services(c.member);
		const prefix = `bs-contract-${c.run}-rb-drill`;
		const source = await makeVolume(t, c, cinder, {size: 1, name: `${prefix}-src`});
		const backup = await makeBackup(t, c, cinder, {volumeId: source.id, name: `${prefix}-backup`});
		const temporaries = `${drillVolumePrefix}${backup.id.slice(0, 8)}`;
		t.teardown(async () => removeNamed(c, c.member, temporaries));
		const cli = cliRunner(c, path.join(c.scratch, 'runbook-drill-config'));
		const exported = await cli.run(['drill', backup.id, '--verify-data', '--export-cli']);
		t.is(exported.code, 0, exported.stderr);
		const ran = await runRunbook(c, exported.stdout, runbookMs);
		t.is(ran.code, 0, ran.output);
		const sha512 = /^bytes match \(sha512 (?<hash>[\da-f]{128})\)$/mv.exec(ran.output)?.groups?.['hash'];
		t.truthy(sha512, `the runbook says the bytes match: ${ran.output}`);
		const after = await cinder.getBackup(backup.id);
		t.is(after.metadata[backupMetaDrillResult], 'ok');
		t.is(after.metadata[backupMetaDrillSha512], sha512, 'the runbook records the restored sha512 as backstack does');
		t.deepEqual(await namedLeftovers(c.member, temporaries), [], 'the exit trap removed the temporary volume and both images');
	});
}
