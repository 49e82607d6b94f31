/*
Nova v2.1 (compute). Requests carry `OpenStack-API-Version: compute 2.N` and the legacy `X-OpenStack-Nova-API-Version`.
`createImage` returns the image ID in the body from 2.45, in a `Location` header before (a URL with Nova's own idea of
Glance's host): only the ID is taken from it. A server shows its flavor itself from 2.47 (`original_name`, vcpus, ram,
disk: no ID), before only the flavor's ID. `networks` is required in a server create from 2.37 (`none`, `auto`).
*/
/* eslint-disable @typescript-eslint/naming-convention -- Nova's query parameters are snake_case. */
import type {ListOptions, NovaApi} from './api.js';
import {undefinedIfNotFound} from './errors.js';
import {
	getJson,
	markerPages,
	sendEmpty,
	sendJson,
	type ServiceContext,
} from './service.js';
import type {
	CreateServerRequest,
	Flavor,
	Server,
	ServerFlavor,
} from './types.js';
import {
	asArray,
	asObject,
	encodeId,
	lastSegment,
	nameOf,
	nonEmpty,
	number,
	compact,
	stringRecord,
	utc,
	utcRequired,
	withoutRaw,
	type Json,
	optionalSetter,
} from './util.js';

function serverFlavor(raw: Json | undefined): ServerFlavor {
	const flavor: ServerFlavor = {};
	const set = optionalSetter(flavor);
	set('id', nonEmpty(raw?.['id']));
	set('name', nonEmpty(raw?.['original_name']));
	set('vcpus', number(raw?.['vcpus']));
	set('ramMiB', number(raw?.['ram']));
	set('diskGiB', number(raw?.['disk']));
	return flavor;
}

export function toFlavor(raw: Json): Flavor {
	return {
		id: nameOf(raw['id']),
		name: nameOf(raw['name']),
		vcpus: number(raw['vcpus']) ?? 0,
		ramMiB: number(raw['ram']) ?? 0,
		diskGiB: number(raw['disk']) ?? 0,
		raw,
	};
}

/**
The body of `POST /servers`: Nova's field names, as they are on the wire.
*/
function serverBody(request: CreateServerRequest): Json {
	const volumes = request.volumes ?? [];
	// With block_device_mapping_v2, Nova wants the image too, as boot index 0 (else 400 "Boot sequence … is not valid").
	const image = request.imageRef === undefined || volumes.length === 0
		? []
		: [{
			uuid: request.imageRef, source_type: 'image', destination_type: 'local', boot_index: 0, delete_on_termination: true,
		}];
	const mappings = [...image, ...volumes.map(volume => compact({
		uuid: volume.volumeId,
		source_type: 'volume',
		destination_type: 'volume',
		boot_index: volume.boot === true ? 0 : -1,
		device_name: volume.device,
		delete_on_termination: false,
	}))];
	return compact({
		name: request.name,
		flavorRef: request.flavorRef,
		imageRef: request.imageRef,
		networks: request.networks,
		metadata: request.metadata,
		key_name: request.keyName,
		user_data: request.userData,
		availability_zone: request.availabilityZone,
		block_device_mapping_v2: mappings.length === 0 ? undefined : mappings,
	});
}

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
		flavor: serverFlavor(asObject(raw['flavor'])),
		createdAt: utcRequired(raw['created']),
		metadata: stringRecord(raw['metadata']),
		raw,
	};
	const set = optionalSetter(server);

	set('imageId', imageId);
	set('taskState', nonEmpty(raw['OS-EXT-STS:task_state']));
	set('flavorId', server.flavor.id ?? server.flavor.name);
	set('keyName', nonEmpty(raw['key_name']));
	set('availabilityZone', nonEmpty(raw['OS-EXT-AZ:availability_zone']));
	set('updatedAt', utc(raw['updated']));
	set('projectId', nonEmpty(raw['tenant_id']));
	return server;
}

export function createNova(context: ServiceContext): NovaApi {
	const api: NovaApi = {
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
		async findServer(id, options) {
			return undefinedIfNotFound(async () => api.getServer(id, options));
		},
		async listFlavors(options) {
			const body = asObject(await getJson(context, 'flavors/detail', options));
			return asArray(body?.['flavors']).map(item => toFlavor(asObject(item) ?? {}));
		},
		async getFlavor(id, options) {
			const body = asObject(await getJson(context, `flavors/${encodeId(id)}`, options));
			const flavor = asObject(body?.['flavor']);
			if (flavor === undefined) {
				throw new TypeError(`Nova answered no flavor for ${id}`);
			}

			return toFlavor(flavor);
		},
		async findKeyPair(name, options) {
			return undefinedIfNotFound(async () => {
				const body = asObject(await getJson(context, `os-keypairs/${encodeId(name)}`, options));
				return {name: nameOf(asObject(body?.['keypair'])?.['name'] ?? name)};
			});
		},
		async createServer(request, options) {
			const {data} = await sendJson(context, 'POST', 'servers', {...options, json: {server: serverBody(request)}});
			const id = nonEmpty(asObject(asObject(data)?.['server'])?.['id']);
			if (id === undefined) {
				throw new TypeError(`Nova accepted the server ${request.name} but answered no ID`);
			}

			return {id};
		},
		async deleteServer(id, options) {
			await sendEmpty(context, 'DELETE', `servers/${encodeId(id)}`, options);
		},
	};
	return api;
}
