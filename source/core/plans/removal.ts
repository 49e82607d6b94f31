/*
Removal of what a plan created: newest first, each reported as an event (the run's temporaries, a failed run's
leftovers, `journal cleanup`). How each kind is removed lives with its operations (operations/index.ts).
*/
import type {CloudSession} from '../../openstack/api.js';
import {removeResource} from './operations/index.js';
import {messageOf} from './status.js';
import type {Clock, CreatedResource, PlanEvent} from './types.js';

export {removeResource} from './operations/index.js';

/**
Removes resources in reverse order of creation, reporting each; returns those that could not be removed.
@yields cleanup-start, then cleanup-done or cleanup-failed, for each resource.
*/
export async function * removeAll(
	session: CloudSession,
	resources: CreatedResource[],
	options: {clock: Clock; timeoutMs: number; onRemoved?: (resource: CreatedResource) => void},
): AsyncGenerator<PlanEvent, CreatedResource[]> {
	const failed: CreatedResource[] = [];
	for (const resource of resources.toReversed()) {
		yield {type: 'cleanup-start', resource, at: options.clock.now()};
		try {
			// eslint-disable-next-line no-await-in-loop
			const outcome = await removeResource(session, resource, options.clock, options.timeoutMs);
			resource.removed = true;
			options.onRemoved?.(resource);
			yield {
				type: 'cleanup-done', resource, ...(outcome === 'gone' && {alreadyGone: true}), at: options.clock.now(),
			};
		} catch (error) {
			failed.push(resource);
			yield {
				type: 'cleanup-failed', resource, reason: messageOf(error), at: options.clock.now(),
			};
		}
	}

	return failed;
}
