/*
Resumes a journalled plan in a child process, so that a test can try a second resume while this one runs.
argv: <directory with clouds.yaml> <cloud name> <journal directory> <plan id>
Prints one JSON event per line; a refusal as {"type":"refused","reason":…}.
*/
import process from 'node:process';
import {resumePlan} from '../../../../source/core/plans/recover.js';
import {loadCloudConfig, openSession} from '../../../../source/openstack/index.js';

const [directory = '', cloud = '', journal = '', planId = ''] = process.argv.slice(2);
const session = await openSession(await loadCloudConfig({
	cloud, cwd: directory, home: directory, env: {}, systemDirs: [],
}));
try {
	for await (const event of resumePlan(journal, planId, session)) {
		process.stdout.write(JSON.stringify(event) + '\n');
	}
} catch (error) {
	process.stdout.write(JSON.stringify({type: 'refused', reason: error instanceof Error ? error.message : String(error)}) + '\n');
} finally {
	session.close();
}
