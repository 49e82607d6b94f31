/*
Runs the plan scenarios against a cloud from a clouds.yaml, e.g. the real Zed cloud of test/real-cloud/provision.sh:

  node --import=tsx test/core/plans/run-scenarios.ts /etc/backstack-real/clouds.yaml real-member real-admin

The admin cloud makes an encrypted volume type for the run (and deletes it afterwards); the member cloud runs the
scenarios. Prints one line per scenario and exits 1 when one failed. Not an ava test: it needs a real cloud.
*/
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import process from 'node:process';
import {loadCloudConfig, openSession} from '../../../source/openstack/index.js';
import {scenarios} from './scenarios.js';

const [cloudsFile = '/etc/backstack-real/clouds.yaml', memberCloud = 'real-member', adminCloud = 'real-admin', only] = process.argv.slice(2);
const open = async (cloud: string) => openSession(await loadCloudConfig({
	// eslint-disable-next-line @typescript-eslint/naming-convention -- the variable's real name.
	cloud, env: {OS_CLIENT_CONFIG_FILE: cloudsFile}, cwd: tmpdir(), home: tmpdir(), systemDirs: [],
}));

const run = `plans-${Date.now().toString(36)}`;
const admin = await open(adminCloud);
const member = await open(memberCloud);
const workDir = await mkdtemp(path.join(tmpdir(), 'backstack-scenarios-'));
const type = await admin.cinder!.createEncryptedVolumeType({
	name: `${run}-LUKS`, provider: 'luks', cipher: 'aes-xts-plain64', keySize: 256, controlLocation: 'front-end',
});
let failed = 0;
try {
	for (const scenario of scenarios) {
		if (only !== undefined && !scenario.name.includes(only)) {
			continue;
		}

		const missing = scenario.needs.filter(service => member.services()[service].state !== 'ok');
		if (missing.length > 0) {
			console.log(`SKIP ${scenario.name} (no ${missing.join(', ')})`);
			continue;
		}

		const started = Date.now();
		try {
			// eslint-disable-next-line no-await-in-loop
			await scenario.run({
				session: member,
				encryptedType: type.name,
				workDir,
				prefix: `${run}-${scenarios.indexOf(scenario)}`,
				log(line) {
					console.log(`    ${line}`);
				},
			});
			console.log(`PASS ${scenario.name} (${Math.round((Date.now() - started) / 1000)} s)`);
		} catch (error) {
			failed++;
			console.log(`FAIL ${scenario.name}: ${error instanceof Error ? error.message : String(error)}`);
		}
	}
} finally {
	try {
		await admin.cinder!.deleteVolumeType(type.id);
	} catch (error) {
		console.log(`(could not delete volume type ${type.name}: ${error instanceof Error ? error.message : String(error)})`);
	}

	await rm(workDir, {recursive: true, force: true});
	member.close();
	admin.close();
}

process.exitCode = failed > 0 ? 1 : 0;
