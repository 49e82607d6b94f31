/*
The contract suite against the embedded demo cloud (fast: statuses advance at 1/100 of their real delays).
The real cloud gives the member user two projects; the demo's `empty` seed gives it one, so a second project is added
through the simulator's state, and a `demo2` cloud for it is written next to the demo's clouds.yaml.
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
		const member = cloud.users['demo'];
		if (!member) {
			throw new Error('the demo cloud has no user demo');
		}

		const second = cloud.state.addProject('demo2', 'contract suite: the member\'s second project');
		cloud.state.grant(member.id, second.id, ['member', 'reader', 'creator']);
		const clouds = parse(cloud.cloudsYaml()) as CloudsFile;
		const first = clouds.clouds['demo'];
		if (!first) {
			throw new Error('the demo clouds.yaml has no cloud demo');
		}

		clouds.clouds['demo2'] = {...first, auth: {...first.auth, [projectNameKey]: 'demo2'}};
		const cloudsFile = path.join(directory, 'clouds.yaml');
		await writeFile(cloudsFile, stringify(clouds), {mode: 0o600});
		return {
			cloudsFile,
			admin: 'demo-admin',
			member: 'demo',
			member2: 'demo2',
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
