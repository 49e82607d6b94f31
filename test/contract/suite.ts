/*
The contract suite: what backstack relies on OpenStack to do, proved through backstack's own client.

One suite, two targets: `test/contract/demo.test.ts` (the embedded demo cloud, fast suite) and
`test/real-cloud/contract.test.ts` (the real Zed cloud of test/real-cloud/provision.sh, `npm run test:real`).
Where they disagree, the real cloud is right.

Tests are serial; everything they make is named `bs-contract-…` and removed by `t.teardown`, even when a test fails.
*/
import {randomBytes} from 'node:crypto';
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import type {TestFn} from 'ava';
import {openSession, type BackstackSession} from '../../source/openstack/index.js';
import {
	configFor,
	type Contract,
	type ContractTarget,
	type Context,
} from './kit.js';
import {registerBasics} from './cases/basics.js';
import {registerBackups} from './cases/backups.js';
import {registerImagesAndKeys} from './cases/images-keys.js';
import {registerListsAndAudit} from './cases/lists-audit.js';
import {registerServers} from './cases/servers.js';
import {registerJournal} from './cases/journal.js';
import {registerFleet} from './cases/fleet.js';
import {registerScenarios} from './cases/scenarios.js';
import {registerDrills} from './cases/drills.js';
import {registerDrillRuns} from './cases/drill-runs.js';
import {registerRunbooks} from './cases/runbooks.js';
import {registerBundles} from './cases/bundles.js';
import {registerRestoreBundles} from './cases/restore-bundles.js';

export type {ContractCloud, ContractTarget, ServerMaker} from './kit.js';

export function registerContractSuite(test: TestFn, target: ContractTarget): void {
	let shared: Context | undefined;
	const context = (): Context => {
		if (!shared) {
			throw new Error('the contract cloud did not start');
		}

		return shared;
	};

	test.serial.before(async () => {
		const cloud = await target.start();
		const scratch = await mkdtemp(path.join(tmpdir(), 'bs-contract-'));
		const open = async (name: string): Promise<BackstackSession> => openSession(await configFor(cloud, scratch, name));
		shared = {
			cloud,
			scratch,
			target,
			admin: await open(cloud.admin),
			member: await open(cloud.member),
			member2: await open(cloud.member2),
			run: randomBytes(3).toString('hex'),
		};
	});

	test.after.always(async () => {
		if (!shared) {
			return;
		}

		for (const session of [shared.admin, shared.member, shared.member2]) {
			session.close();
		}

		await rm(shared.scratch, {recursive: true, force: true});
		await shared.cloud.close();
	});

	/*
	`knownOn`: targets known to disagree with the real cloud here. On those the test is registered as failing (ava's
	`test.failing`): it passes while the target still disagrees and fails once it has been fixed, to be taken off the list.
	*/
	const contract: Contract = (title, body, options = {}) => {
		// A case that needs a hook this target lacks (onlyOn) is not registered here at all: a skipped test would prove
		// nothing about this target, and CI counts skips as failures.
		if (options.onlyOn !== undefined && !options.onlyOn.includes(target.name)) {
			return;
		}

		const register = options.knownOn?.includes(target.name) ? test.serial.failing : test.serial;
		register(`${target.name}: ${title}`, async t => {
			t.timeout(target.testTimeoutMs);
			await body(t, context());
		});
	};

	registerBasics(contract);
	registerBackups(contract);
	registerImagesAndKeys(contract);
	registerBundles(contract);
	registerRestoreBundles(contract);
	registerListsAndAudit(contract);
	registerServers(contract);
	registerJournal(contract);
	registerDrills(contract);
	registerDrillRuns(contract);
	registerRunbooks(contract);
	registerFleet(contract);
	registerScenarios(contract);
}
