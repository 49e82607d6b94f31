/*
Nova v2.1 (compute). Requests carry `OpenStack-API-Version: compute 2.N` and the legacy `X-OpenStack-Nova-API-Version`.
`createImage` returns the image ID in the body from 2.45, in a `Location` header before (a URL with Nova's own idea of
Glance's host): only the ID is taken from it.
*/
/* eslint-disable @typescript-eslint/naming-convention -- Nova's query parameters are snake_case. */
import type {ListOptions, NovaApi} from './api.js';
import {
	getJson,
	markerPages,
	sendJson,
	type ServiceContext,
} from './service.js';
import type {Server} from './types.js';
import {
	asArray,
	asObject,
	encodeId,
	lastSegment,
	nameOf,
	nonEmpty,
	compact,
	stringRecord,
	utc,
	utcRequired,
	withoutRaw,
	type Json,
	optionalSetter,
} from './util.js';

export function toServer(raw: Json): Server {
	const {image} = raw;
	const imageId = nonEmpty(asObject(image)?.['id']);
	const attachedVolumeIds = asArray(raw['os-extended-volumes:volumes_attached'])
		.map(item => nonEmpty(asObject(item)?.['id']))
		.filter((id): id is string => id !== undefined);
	const server: Server = {
		id: nameOf(raw['id']),
		name: nameOf(raw['name']),
		status: nameOf(raw['status']),
		bootFromVolume: imageId === undefined,
		attachedVolumeIds,
		createdAt: utcRequired(raw['created']),
		metadata: stringRecord(raw['metadata']),
		raw,
	};
	const set = optionalSetter(server);

	set('imageId', imageId);
	set('taskState', nonEmpty(raw['OS-EXT-STS:task_state']));
	const flavor = asObject(raw['flavor']);
	set('flavorId', nonEmpty(flavor?.['id']) ?? nonEmpty(flavor?.['original_name']));
	set('availabilityZone', nonEmpty(raw['OS-EXT-AZ:availability_zone']));
	set('updatedAt', utc(raw['updated']));
	set('projectId', nonEmpty(raw['tenant_id']));
	return server;
}

export function createNova(context: ServiceContext): NovaApi {
	return {
		microversion: context.microversion,
		async * listServers(options?: ListOptions) {
			const query = {limit: options?.pageSize, all_tenants: options?.allProjects === true ? 1 : undefined};
			for await (const raw of markerPages(context, {
				path: 'servers/detail', key: 'servers', query, signal: options?.signal,
			})) {
				yield options?.keepRaw === false ? withoutRaw(toServer(raw)) : toServer(raw);
			}
		},
		async getServer(id, options) {
			const body = asObject(await getJson(context, `servers/${encodeId(id)}`, options));
			const server = asObject(body?.['server']);
			if (server === undefined) {
				throw new TypeError(`Nova answered no server for ${id}`);
			}

			return toServer(server);
		},
		async createServerImage(id, request, options) {
			const action = {createImage: compact({name: request.name, metadata: request.metadata})};
			const {data, response} = await sendJson(context, 'POST', `servers/${encodeId(id)}/action`, {...options, json: action});
			const fromBody = nonEmpty(asObject(data)?.['image_id']);
			if (fromBody !== undefined) {
				return {imageId: fromBody};
			}

			const location = response.headers.get('location');
			const fromLocation = location === null ? '' : lastSegment(location);
			if (fromLocation === '') {
				throw new TypeError(`Nova accepted createImage for server ${id} but gave neither image_id nor Location`);
			}

			return {imageId: fromLocation};
		},
	};
}
