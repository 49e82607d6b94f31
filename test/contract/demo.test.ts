/*
The contract suite against the embedded demo cloud (fast: statuses advance at 1/100 of their real delays).
The member user has two projects on both clouds (the `empty` seed's `demo` and `sandbox`); a `demo-sandbox` cloud for
the second one is written next to the demo's clouds.yaml.
*/
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import test from 'ava';
import {parse, stringify} from 'yaml';
import {startDemoCloud} from '../../source/demo-cloud/index.js';
import {registerContractSuite} from './suite.js';

type CloudsFile = {clouds: Record<string, {auth: Record<string, unknown>}>};

const projectNameKey = 'project_name';

registerContractSuite(test, {
	name: 'demo',
	async start() {
		const cloud = await startDemoCloud({seed: 'empty', timeScale: 0.01});
		const directory = await mkdtemp(path.join(tmpdir(), 'bs-contract-demo-'));
		if (!cloud.users['demo']?.roles['sandbox']) {
			throw new Error('the empty seed gives user demo no second project sandbox');
		}

		const clouds = parse(cloud.cloudsYaml()) as CloudsFile;
		const first = clouds.clouds['demo'];
		if (!first) {
			throw new Error('the demo clouds.yaml has no cloud demo');
		}

		clouds.clouds['demo-sandbox'] = {...first, auth: {...first.auth, [projectNameKey]: 'sandbox'}};
		const cloudsFile = path.join(directory, 'clouds.yaml');
		await writeFile(cloudsFile, stringify(clouds), {mode: 0o600});
		return {
			cloudsFile,
			admin: 'demo-admin',
			member: 'demo',
			member2: 'demo-sandbox',
			async close() {
				await cloud.close();
				await rm(directory, {recursive: true, force: true});
			},
		};
	},
	pollMs: 20,
	waitMs: 20_000,
	testTimeoutMs: 60_000,
});
