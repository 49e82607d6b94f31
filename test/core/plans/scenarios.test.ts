/*
The restore/backup scenarios against the demo cloud. Scenarios that need a service the demo cloud does not serve yet
are registered as skipped, and under CI as failing (test/helpers/need.ts), until it does.
*/
import {needOrSkip} from '../../helpers/need.js';
import {startDemoCloud} from '../../../source/demo-cloud/index.js';
import {scenarios} from './scenarios.js';
import {
	demoCloud,
	fastClock,
	temporaryDirectory,
} from './helpers.js';

const served = await (async () => {
	const probe = await startDemoCloud({seed: 'empty'});
	try {
		const image = await fetch(`${probe.url}/image/`);
		const text = await image.text();
		const barbican = await fetch(`${probe.url}/key-manager/`);
		return {cinder: true, glance: !text.includes('No service'), barbican: barbican.status < 400};
	} finally {
		await probe.close();
	}
})();

for (const scenario of scenarios) {
	const missing = scenario.needs.filter(service => !served[service]);
	needOrSkip(missing.length === 0, `the demo cloud serving ${missing.join(', ')}`, 'its implementation in source/demo-cloud')(scenario.name, async t => {
		const context = await demoCloud(t);
		context.cloud.state.addVolumeType({
			name: 'LUKS',
			encryption: {
				provider: 'luks', cipher: 'aes-xts-plain64', keySize: 256, controlLocation: 'front-end',
			},
		});
		await scenario.run({
			session: context.session,
			encryptedType: 'LUKS',
			workDir: await temporaryDirectory(t),
			clock: fastClock(),
			log(line) {
				t.log(line);
			},
		});
		// Everything the scenario created is gone again.
		const volumes: string[] = [];
		for await (const volume of context.session.cinder!.listVolumes()) {
			volumes.push(volume.name);
		}

		t.deepEqual(volumes, []);
	});
}
