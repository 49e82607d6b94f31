/*
What the executor, the checks and resource removal read from the cloud: a service or a clear error, a resource's status.
*/
import type {CloudSession} from '../../openstack/api.js';
import {httpStatusOf, PlanError} from './errors.js';
import type {WaitResource} from './types.js';

export function messageOf(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}

/**
The service, or a PlanError when the cloud's catalog has none.
*/
export function need<T>(service: T | undefined, name: string): T {
	if (service === undefined) {
		throw new PlanError(`This cloud has no ${name} endpoint in its catalog.`);
	}

	return service;
}

/**
Current status of a resource, or undefined once it is gone.
*/
export async function readStatus(session: CloudSession, resource: WaitResource, id: string, signal?: AbortSignal): Promise<string | undefined> {
	switch (resource) {
		case 'volume': {
			const volume = await need(session.cinder, 'Cinder').findVolume(id, {signal});
			return volume?.status;
		}

		case 'backup': {
			const backup = await need(session.cinder, 'Cinder').findBackup(id, {signal});
			return backup?.status;
		}

		case 'snapshot': {
			try {
				const snapshot = await need(session.cinder, 'Cinder').getSnapshot(id, {signal});
				return snapshot.status;
			} catch (error) {
				if (httpStatusOf(error) === 404) {
					return undefined;
				}

				throw error;
			}
		}

		case 'image': {
			const image = await need(session.glance, 'Glance').findImage(id, {signal});
			return image?.status;
		}

		case 'server': {
			const server = await need(session.nova, 'Nova').findServer(id, {signal});
			return server?.status;
		}
	}
}
