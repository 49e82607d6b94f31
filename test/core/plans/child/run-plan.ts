/*
Runs a plan with a journal in a child process, so that a test can kill it mid-plan (a crash).
argv: <directory with clouds.yaml> <cloud name> <plan.json> <journal directory>
Prints one JSON event per line.
*/
import {readFileSync} from 'node:fs';
import process from 'node:process';
import {runPlan} from '../../../../source/core/plans/execute.js';
import type {Plan} from '../../../../source/core/plans/types.js';
import {loadCloudConfig, openSession} from '../../../../source/openstack/index.js';

const [directory = '', cloud = '', planFile = '', journal = ''] = process.argv.slice(2);
const plan = JSON.parse(readFileSync(planFile, 'utf8')) as Plan;
const session = await openSession(await loadCloudConfig({
	cloud, cwd: directory, home: directory, env: {}, systemDirs: [],
}));
for await (const event of runPlan(plan, session, {journal})) {
	process.stdout.write(JSON.stringify(event) + '\n');
}

session.close();
