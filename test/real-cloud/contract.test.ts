/*
The contract suite against the real OpenStack Zed cloud of provision.sh. Run by `npm run test:real`
(test/real-cloud/run-contract.sh), which provisions the cloud first when it is not running.
*/
import {access} from 'node:fs/promises';
import process from 'node:process';
import test from 'ava';
import {registerContractSuite} from '../contract/suite.js';

const cloudsFile = process.env['BACKSTACK_REAL_CLOUDS'] ?? '/etc/backstack-real/clouds.yaml';

registerContractSuite(test, {
	name: 'real',
	async start() {
		await access(cloudsFile).catch(() => {
			throw new Error(`${cloudsFile} is missing: run test/real-cloud/provision.sh (or npm run test:real) first`);
		});
		return {
			cloudsFile,
			admin: 'real-admin',
			member: 'real-member',
			member2: 'real-member2',
			async close() {
				// The cloud outlives the suite: provision.sh stop ends it.
			},
		};
	},
	pollMs: 500,
	// A 1 GiB backup takes ~2 s on an idle machine, but over 2 minutes when the 2 cores are shared with other work.
	waitMs: 300_000,
	testTimeoutMs: 900_000,
});
