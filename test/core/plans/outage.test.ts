/*
Issue 15 item 1: a wait keeps polling through a cloud that does not answer for a while (5xx after the client's own retries,
resets), and fails the step, with cleanup offered, once it has heard nothing for the bounded time.
*/
import test from 'ava';
import {ref} from '../../../source/core/plans/refs.js';
import type {Plan} from '../../../source/core/plans/types.js';
import {
	demoCloud,
	fastClock,
	last,
	runToEnd,
} from './helpers.js';

function volumePlan(name: string): Plan {
	return {
		id: `outage-${name}`,
		kind: 'test',
		title: 'create a volume',
		createdAt: '2026-12-06T12:00:00.000Z',
		warnings: [],
		steps: [{
			id: 'create',
			title: 'Create volume',
			danger: 'create',
			checks: [],
			action: {op: 'cinder.createVolume', args: {size: 1, name}},
			creates: {
				kind: 'volume', output: 'volumeId', name, temporary: false,
			},
			wait: {
				resource: 'volume', id: ref('create', 'volumeId'), until: ['available'], failOn: ['error'], timeoutMs: 10 * 60_000,
			},
		}],
	};
}

// Status reads of one volume (GET /volumes/<id>), not the create (POST /volumes) nor lists.
const volumeRead = /\/volumes\/[\d\-a-f]{36}$/v;

test('a wait rides out a Cinder that fails more reads in a row than the client retries, then finishes', async t => {
	const {session, cloud} = await demoCloud(t);
	// 8 failed reads: more than one request's 1 + 4 attempts, so before this the step failed on the first outage.
	cloud.setFaults([{
		kind: 'error', status: 503, message: 'injected outage', service: 'volume', method: 'GET', path: volumeRead, times: 8,
	}]);
	const events = await runToEnd(volumePlan('rides-out'), session, {clock: fastClock()});
	t.is(last(events)?.type, 'plan-done', JSON.stringify(last(events)));
	t.true(events.some(event => event.type === 'status' && event.status.startsWith('no answer')), 'the outage is shown while it lasts');
	const statuses = events.flatMap(event => event.type === 'status' ? [event.status] : []);
	t.is(statuses.at(-1), 'available');
});

test('a wait that hears nothing for the bounded time fails the step, names the resource, and offers its cleanup', async t => {
	const {session, cloud} = await demoCloud(t);
	cloud.setFaults([{
		kind: 'reset', service: 'volume', method: 'GET', path: volumeRead,
	}]);
	const events = await runToEnd(volumePlan('silent'), session, {clock: fastClock(), pollOutageMs: 1500});
	cloud.setFaults([]);
	const end = last(events);
	t.is(end?.type, 'plan-failed');
	t.regex(end?.type === 'plan-failed' ? end.reason : '', /No answer about volume [\d\-a-f]{36} for \d+ s while waiting for available/v);
	const offered = events.find(event => event.type === 'cleanup-offered');
	t.is(offered?.type === 'cleanup-offered' ? offered.resources.map(resource => resource.kind).join(',') : undefined, 'volume');
});
