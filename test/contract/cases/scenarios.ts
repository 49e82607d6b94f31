/*
Contracts: the guided journeys of test/core/plans/scenarios.ts.
*/
import {mkdir, rm} from 'node:fs/promises';
import path from 'node:path';
import {scenarios} from '../../core/plans/scenarios.js';
import {
	pollingClock,
	namedLeftovers,
	removeNamed,
	makeEncryptedType,
	type Contract,
} from '../kit.js';

export function registerScenarios(contract: Contract): void {
	/*
	The guided backup/restore journeys of test/core/plans/scenarios.ts, run by backstack's planner and executor as the
	member, with an encrypted type the admin makes for each. A scenario removes what it made; the test then checks that
	nothing named after it is left, and its teardown removes whatever is.
	*/
	for (const [index, scenario] of scenarios.entries()) {
		contract(`scenario: ${scenario.name}`, async (t, c) => {
			const type = await makeEncryptedType(t, c, `sc${index}`);
			const prefix = `bs-contract-${c.run}-sc${index}`;
			const workDir = path.join(c.scratch, prefix);
			await mkdir(workDir, {mode: 0o700});
			t.teardown(async () => rm(workDir, {recursive: true, force: true}));
			t.teardown(async () => removeNamed(c, c.member, prefix));
			const statuses = c.member.services();
			for (const service of scenario.needs) {
				t.is(statuses[service].state, 'ok', `the scenario needs ${service}`);
			}

			await scenario.run({
				session: c.member,
				encryptedType: type.name,
				workDir,
				prefix,
				clock: pollingClock(c),
				log(line) {
					t.log(line);
				},
			});
			t.deepEqual(await namedLeftovers(c.member, prefix), [], 'the scenario removed everything it made');
		});
	}
}
