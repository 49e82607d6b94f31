/* eslint-disable unicorn/no-immediate-mutation -- views and headers gain fields that depend on the request. */
/* eslint-disable @typescript-eslint/naming-convention -- OpenStack's wire format is snake_case. */
/* eslint-disable unicorn/prefer-iterator-to-array -- the project's TypeScript lib has no iterator helpers. */
/*
Nova v2.1 under /compute: servers (detail, paging), flavors, and the createImage action with both of its real
outcomes: an image of the root disk for image-backed servers, a 0-byte image pointing at Cinder snapshots for
boot-from-volume ones.
*/
import {Buffer} from 'node:buffer';
import {createHash, randomUUID} from 'node:crypto';
import {authenticate, requireMember, type AuthInfo} from './auth.js';
import {createSnapshotRecord} from './cinder/index.js';
import {
	HttpError,
	Router,
	faultReply,
	header,
	isRecord,
	jsonBody,
	stringRecord,
	zulu,
	type Reply,
	type RequestContext,
} from './http.js';
import {
	markerPage,
	orderedRecords,
	parseSort,
	type Listed,
} from './paging.js';
import type {ServiceModule} from './server.js';
import {
	deterministicBytes,
	deviceName,
	setImageData,
	type DemoState,
	type FlavorRecord,
	type ImageRecord,
	type KeyPairRecord,
	type ServerRecord,
	type VolumeRecord,
} from './state.js';

/**
A reference as Nova takes it: an ID, or a URL ending in one.
*/
function lastSegmentOf(reference: string): string {
	return reference.split('/').findLast(part => part !== '') ?? reference;
}

export const novaMaxMinor = 93;

type Call = {context: RequestContext; auth: AuthInfo; mv: number; base: string};

export function computeMicroversion(context: RequestContext): number {
	const modern = header(context, 'openstack-api-version');
	let version: string | undefined;
	if (modern !== undefined) {
		const entry = modern.split(',').map(part => part.trim()).find(part => part.toLowerCase().startsWith('compute '));
		version = entry?.slice('compute '.length).trim();
	}

	version ??= header(context, 'x-openstack-nova-api-version')?.trim();
	if (version === undefined) {
		return 1;
	}

	if (version === 'latest') {
		return novaMaxMinor;
	}

	const match = /^(?<major>\d+)\.(?<minor>\d+)$/v.exec(version);
	if (!match?.groups) {
		throw new HttpError(400, `Invalid API version request string: ${version}`);
	}

	const major = Number(match.groups['major']);
	const minor = Number(match.groups['minor']);
	if (major !== 2 || minor < 1 || minor > novaMaxMinor) {
		throw new HttpError(406, `Version ${version} is not supported by the API. Minimum is 2.1 and maximum is 2.${novaMaxMinor}.`);
	}

	return minor;
}

function versionEntry(origin: string): Record<string, unknown> {
	return {
		id: 'v2.1',
		status: 'CURRENT',
		version: `2.${novaMaxMinor}`,
		min_version: '2.1',
		updated: '2013-07-23T11:33:21Z',
		links: [{rel: 'self', href: `${origin}/compute/v2.1/`}],
		'media-types': [{base: 'application/json', type: 'application/vnd.openstack.compute+json;version=2.1'}],
	};
}

export function createNova(state: DemoState): ServiceModule {
	const router = new Router<Call>();

	const getServer = (call: Call, id: string): ServerRecord => {
		const server = state.servers.get(id);
		if (!server || (server.projectId !== call.auth.project.id && !call.auth.isAdmin)) {
			throw new HttpError(404, `Instance ${id} could not be found.`);
		}

		return server;
	};

	const serverView = (call: Call, server: ServerRecord): Record<string, unknown> => {
		const flavor = state.flavors.get(server.flavorId);
		const link = (kind: string, id: string): unknown[] => [{rel: 'bookmark', href: `${call.context.origin}/compute/${kind}/${id}`}];
		const view: Record<string, unknown> = {
			id: server.id,
			name: server.name,
			status: server.status,
			tenant_id: server.projectId,
			user_id: server.userId,
			metadata: server.metadata,
			hostId: server.status === 'ACTIVE' ? 'a3f5c6d7e8b9a0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1' : '',
			image: server.imageId === '' ? '' : {id: server.imageId, links: link('images', server.imageId)},
			flavor: call.mv >= 47
				? {
					vcpus: flavor?.vcpus, ram: flavor?.ram, disk: flavor?.disk, ephemeral: flavor?.ephemeral, swap: flavor?.swap, original_name: flavor?.name, extra_specs: {},
				}
				: {id: server.flavorId, links: link('flavors', server.flavorId)},
			created: zulu(server.createdAt),
			updated: zulu(server.updatedAt),
			addresses: {},
			accessIPv4: '',
			accessIPv6: '',
			links: [
				{rel: 'self', href: `${call.base}/servers/${server.id}`},
				{rel: 'bookmark', href: `${call.context.origin}/compute/servers/${server.id}`},
			],
			'OS-DCF:diskConfig': 'MANUAL',
			progress: 0,
			'OS-EXT-AZ:availability_zone': server.availabilityZone,
			config_drive: '',
			key_name: server.keyName ?? null,
			'OS-SRV-USG:launched_at': `${new Date(server.launchedAt).toISOString().slice(0, 23)}000`,
			'OS-SRV-USG:terminated_at': null,
			'OS-EXT-STS:task_state': server.taskState,
			'OS-EXT-STS:vm_state': server.vmState,
			'OS-EXT-STS:power_state': server.vmState === 'active' ? 1 : 4,
			'os-extended-volumes:volumes_attached': server.volumesAttached.map(volume => (call.mv >= 3 ? {id: volume.id, delete_on_termination: volume.deleteOnTermination} : {id: volume.id})),
			security_groups: [{name: 'default'}],
		};
		if (call.mv >= 9) {
			view['locked'] = false;
		}

		if (call.mv >= 19) {
			view['description'] = null;
		}

		if (call.mv >= 26) {
			view['tags'] = [];
		}

		if (call.mv >= 63) {
			view['trusted_image_certificates'] = null;
		}

		if (call.mv >= 73) {
			view['locked_reason'] = null;
		}

		if (call.mv >= 90) {
			view['OS-EXT-SRV-ATTR:hostname'] = server.name;
		}

		return call.auth.isAdmin ? {...view, ...adminView(call, server)} : view;
	};

	// What Nova shows admins only (policy os_compute_api:os-extended-server-attributes).
	const adminView = (call: Call, server: ServerRecord): Record<string, unknown> => ({
		'OS-EXT-SRV-ATTR:host': 'demo-compute-1',
		'OS-EXT-SRV-ATTR:instance_name': `instance-${server.id.slice(0, 8)}`,
		'OS-EXT-SRV-ATTR:hypervisor_hostname': 'demo-compute-1',
		...(call.mv >= 3 && {'OS-EXT-SRV-ATTR:user_data': server.userData ?? null, 'OS-EXT-SRV-ATTR:root_device_name': '/dev/vda'}),
	});

	// Nova's is_all_tenants: oslo's bool_from_string of the value.
	const isAllTenantsAsked = (call: Call): boolean => ['1', 't', 'true', 'on', 'y', 'yes'].includes((call.context.query.get('all_tenants') ?? '').toLowerCase());

	const serverList = (call: Call): Listed<ServerRecord> => {
		const {query} = call.context;
		const isAll = call.auth.isAdmin && isAllTenantsAsked(call);
		const name = query.get('name');
		const status = query.get('status');
		let pattern: RegExp | undefined;
		if (name !== null) {
			try {
				pattern = new RegExp(name, 'v');
			} catch {
				pattern = undefined;
			}
		}

		const {records, isSorted} = orderedRecords(state.servers, () => parseSort(query));
		const items: ServerRecord[] = [];
		for (const server of records) {
			if ((isAll || server.projectId === call.auth.project.id)
				&& (name === null || (pattern ? pattern.test(server.name) : server.name.includes(name)))
				&& (status === null || server.status === status.toUpperCase())) {
				items.push(server);
			}
		}

		return {items, isSorted};
	};

	const listServers = (call: Call, isDetail: boolean): Reply => {
		const path = isDetail ? 'servers/detail' : 'servers';
		// As on the real cloud: a non-admin asking every project's servers is refused, not answered with its own.
		if (isAllTenantsAsked(call) && !call.auth.isAdmin) {
			throw new HttpError(403, `Policy doesn't allow os_compute_api:servers:${isDetail ? 'detail' : 'index'}:get_all_tenants to be performed.`);
		}

		const {items, isSorted} = serverList(call);
		const {page, next} = markerPage(items, call.context.query, `${call.base}/${path}`, {maxLimit: 1000, notFound: marker => `marker [${marker}] not found`, isSorted});
		const json: Record<string, unknown> = {
			servers: page.map(server => (isDetail ? serverView(call, server) : {id: server.id, name: server.name, links: (serverView(call, server)['links'])})),
		};
		if (next !== undefined) {
			json['servers_links'] = [{rel: 'next', href: next}];
		}

		return {status: 200, json};
	};

	router.add('GET', 'servers', call => listServers(call, false));
	router.add('GET', 'servers/detail', call => listServers(call, true));
	router.add('GET', 'servers/:id', (call, {id = ''}) => ({status: 200, json: {server: serverView(call, getServer(call, id))}}));
	router.add('GET', 'servers/:id/os-volume_attachments', (call, {id = ''}) => {
		const server = getServer(call, id);
		return {
			status: 200,
			json: {
				volumeAttachments: server.volumesAttached.map((volume, index) => ({
					id: volume.id, volumeId: volume.id, serverId: server.id, device: deviceName(index, server.imageId === ''),
				})),
			},
		};
	});

	router.add('POST', 'servers', call => {
		requireMember(call.auth, 'os_compute_api:servers:create');
		const spec = jsonBody(call.context)['server'];
		if (!isRecord(spec)) {
			throw new HttpError(400, 'Invalid input for field/attribute server. \'server\' is a required property');
		}

		return {status: 202, json: {server: createServer(call, spec)}};
	});

	router.add('DELETE', 'servers/:id', (call, {id = ''}) => {
		requireMember(call.auth, 'os_compute_api:servers:delete');
		const server = getServer(call, id);
		server.taskState = 'deleting';
		server.updatedAt = state.now();
		state.later('serverDelete', () => {
			state.servers.delete(server.id);
			for (const {id: volumeId} of server.volumesAttached) {
				const volume = state.volumes.get(volumeId);
				if (!volume) {
					continue;
				}

				volume.attachments = volume.attachments.filter(attachment => attachment.serverId !== server.id);
				volume.status = volume.attachments.length > 0 ? 'in-use' : 'available';
			}
		});
		return {status: 204};
	});

	const keyPairKey = (call: Call, name: string) => `${call.auth.user.id}/${name}`;
	const keyPairView = (call: Call, pair: KeyPairRecord, isDetail: boolean): Record<string, unknown> => ({
		name: pair.name,
		public_key: pair.publicKey,
		fingerprint: pair.fingerprint,
		...(call.mv >= 2 && {type: 'ssh'}),
		...(isDetail && {
			user_id: pair.userId, created_at: `${new Date(pair.createdAt).toISOString().slice(0, 23)}000`, deleted: false, id: 1,
		}),
	});
	router.add('GET', 'os-keypairs', call => ({
		status: 200,
		json: {keypairs: [...state.keyPairs.values()].filter(pair => pair.userId === call.auth.user.id).map(pair => ({keypair: keyPairView(call, pair, false)}))},
	}));
	router.add('GET', 'os-keypairs/:name', (call, {name = ''}) => {
		const pair = state.keyPairs.get(keyPairKey(call, name));
		if (!pair) {
			throw new HttpError(404, `Keypair ${name} not found for user ${call.auth.user.id}`);
		}

		return {status: 200, json: {keypair: keyPairView(call, pair, true)}};
	});
	// Import only: the demo cloud makes no private keys.
	router.add('POST', 'os-keypairs', call => {
		const spec = jsonBody(call.context)['keypair'];
		const name = isRecord(spec) ? spec['name'] : undefined;
		const publicKey = isRecord(spec) ? spec['public_key'] : undefined;
		if (typeof name !== 'string' || name === '' || typeof publicKey !== 'string' || publicKey === '') {
			throw new HttpError(400, 'The demo cloud imports key pairs only: give keypair.name and keypair.public_key.');
		}

		if (state.keyPairs.has(keyPairKey(call, name))) {
			throw new HttpError(409, `Key pair '${name}' already exists.`);
		}

		const pair: KeyPairRecord = {
			name, userId: call.auth.user.id, publicKey, fingerprint: createHash('md5').update(publicKey).digest('hex').replaceAll(/(?<pair>..)(?!$)/gv, '$<pair>:'), createdAt: state.now(),
		};
		state.keyPairs.set(keyPairKey(call, name), pair);
		return {status: call.mv >= 2 ? 201 : 200, json: {keypair: keyPairView(call, pair, false)}};
	});
	router.add('DELETE', 'os-keypairs/:name', (call, {name = ''}) => {
		if (!state.keyPairs.delete(keyPairKey(call, name))) {
			throw new HttpError(404, `Keypair ${name} not found for user ${call.auth.user.id}`);
		}

		return {status: call.mv >= 2 ? 204 : 202};
	});

	router.add('POST', 'servers/:id/action', (call, {id = ''}) => {
		const server = getServer(call, id);
		const body = jsonBody(call.context);
		if (isRecord(body['createImage'])) {
			requireMember(call.auth, 'os_compute_api:servers:create_image');
			return createImage(call, server, body['createImage']);
		}

		if ('os-stop' in body || 'os-start' in body) {
			requireMember(call.auth, 'os_compute_api:servers:stop');
			const isStop = 'os-stop' in body;
			if (server.vmState !== (isStop ? 'active' : 'stopped')) {
				throw new HttpError(409, `Cannot '${isStop ? 'stop' : 'start'}' instance ${id} while it is in vm_state ${server.vmState}`);
			}

			server.vmState = isStop ? 'stopped' : 'active';
			server.status = isStop ? 'SHUTOFF' : 'ACTIVE';
			server.updatedAt = state.now();
			return {status: 202};
		}

		throw new HttpError(400, 'There is no such action.');
	});

	/**
	The volumes of a server create's block_device_mapping_v2 (source and destination volume only: the demo cloud makes no
	volumes from images or snapshots at boot), checked as Nova checks them: this project's, and available.
	*/
	const mappedVolumes = (call: Call, value: unknown): Array<{volume: VolumeRecord; bootIndex: number; device?: string; deleteOnTermination: boolean}> => {
		if (value === undefined) {
			return [];
		}

		if (!Array.isArray(value)) {
			throw new HttpError(400, 'Invalid input for field/attribute block_device_mapping_v2. Value is not of type \'array\'');
		}

		return value.filter(mapping => !(isRecord(mapping) && mapping['source_type'] === 'image')).map(mapping => {
			if (!isRecord(mapping) || mapping['source_type'] !== 'volume' || mapping['destination_type'] !== 'volume' || typeof mapping['uuid'] !== 'string') {
				throw new HttpError(400, 'The demo cloud boots with block devices of source_type and destination_type volume (with a uuid) only.');
			}

			const volume = state.volumes.get(mapping['uuid']);
			if (volume?.projectId !== call.auth.project.id) {
				throw new HttpError(400, `Invalid volume: Volume ${mapping['uuid']} could not be found.`);
			}

			if (volume.status !== 'available') {
				throw new HttpError(400, `Invalid volume: volume ${volume.id} status must be available, but current status is: ${volume.status}`);
			}

			const bootIndex = Number(mapping['boot_index'] ?? -1);
			const device = typeof mapping['device_name'] === 'string' ? mapping['device_name'] : undefined;
			return {
				volume, bootIndex, ...(device !== undefined && {device}), deleteOnTermination: mapping['delete_on_termination'] === true,
			};
		});
	};

	// As Nova (Zed) checks a boot from an image with block_device_mapping_v2: the image must be in it, as boot index 0.
	const imageMapping = (value: unknown, imageRef: string | undefined, hasBootVolume: boolean): void => {
		if (hasBootVolume || !Array.isArray(value) || value.length === 0) {
			return;
		}

		const images = value.filter(mapping => isRecord(mapping) && mapping['source_type'] === 'image') as Array<Record<string, unknown>>;
		const [image] = images;
		if (images.length !== 1 || image?.['uuid'] !== imageRef || Number(image?.['boot_index']) !== 0 || image?.['destination_type'] !== 'local') {
			throw new HttpError(400, 'Block Device Mapping is Invalid: Boot sequence for the instance and image/block device mapping combination is not valid.');
		}
	};

	// The image an image-backed server boots from, checked as Nova checks it.
	const bootImage = (call: Call, imageRef: string | undefined, flavor: FlavorRecord): ImageRecord => {
		if (imageRef === undefined) {
			throw new HttpError(400, 'Block Device Mapping is Invalid: Boot sequence for the instance and image/block device mapping combination is not valid.');
		}

		const image = state.images.get(imageRef);
		if (!image || (image.owner !== call.auth.project.id && image.visibility === 'private')) {
			throw new HttpError(400, `Can not find requested image ${imageRef}`);
		}

		if (image.status !== 'active') {
			throw new HttpError(400, `Image ${image.id} is not active.`);
		}

		if (flavor.disk > 0 && flavor.disk < image.minDisk) {
			throw new HttpError(400, 'Flavor\'s disk is too small for requested image. Flavor disk is '
				+ `${flavor.disk * (1024 ** 3)} bytes, image is ${image.minDisk * (1024 ** 3)} bytes.`);
		}

		return image;
	};

	// The key pair, user data and zone of a boot request.
	const bootExtras = (call: Call, spec: Record<string, unknown>): {keyName?: string; userData?: string} => {
		const keyName = spec['key_name'] ?? undefined;
		if (keyName !== undefined && (typeof keyName !== 'string' || !state.keyPairs.has(`${call.auth.user.id}/${keyName}`))) {
			throw new HttpError(400, 'Invalid key_name provided.');
		}

		const userData = spec['user_data'] ?? undefined;
		if (userData !== undefined && (typeof userData !== 'string' || !/^[\d+\/A-Za-z]*={0,2}$/v.test(userData) || userData.length % 4 !== 0)) {
			throw new HttpError(400, 'User data needs to be valid base 64.');
		}

		const zone = spec['availability_zone'] ?? undefined;
		if (zone !== undefined && zone !== 'nova') {
			throw new HttpError(400, `The requested availability zone is not available (${JSON.stringify(zone)}).`);
		}

		return {...(keyName !== undefined && {keyName}), ...(userData !== undefined && {userData})};
	};

	// What Nova checks of a boot request before it schedules anything (every problem a 400, as Nova's API answers them).
	const createServer = (call: Call, spec: Record<string, unknown>): Record<string, unknown> => {
		const {name} = spec;
		if (typeof name !== 'string' || name.trim() === '') {
			throw new HttpError(400, 'Invalid input for field/attribute name. Value: None. None is not of type \'string\'');
		}

		const flavor = typeof spec['flavorRef'] === 'string' ? state.flavors.get(lastSegmentOf(spec['flavorRef'])) : undefined;
		if (!flavor) {
			throw new HttpError(400, `Flavor ${String(spec['flavorRef'])} could not be found.`);
		}

		const {networks} = spec;
		if (networks === undefined && call.mv >= 37) {
			throw new HttpError(400, 'Invalid input for field/attribute server. Value: ... \'networks\' is a required property');
		}

		if (networks !== undefined && networks !== 'none') {
			throw new HttpError(400, 'The demo cloud has no Neutron: boot with networks "none".');
		}

		const volumes = mappedVolumes(call, spec['block_device_mapping_v2']);
		const boot = volumes.find(volume => volume.bootIndex === 0);
		const imageRef = typeof spec['imageRef'] === 'string' && spec['imageRef'] !== '' ? lastSegmentOf(spec['imageRef']) : undefined;
		imageMapping(spec['block_device_mapping_v2'], imageRef, boot !== undefined);
		const image = boot === undefined ? bootImage(call, imageRef, flavor) : undefined;
		const extras = bootExtras(call, spec);
		const now = state.now();
		const server: ServerRecord = {
			id: randomUUID(),
			projectId: call.auth.project.id,
			userId: call.auth.user.id,
			name,
			status: 'BUILD',
			vmState: 'building',
			taskState: 'spawning',
			imageId: image?.id ?? '',
			flavorId: flavor.id,
			availabilityZone: 'nova',
			metadata: stringRecord(spec['metadata'], 'metadata'),
			// The boot volume first, as Nova lists them.
			volumesAttached: volumes.toSorted((a, b) => Number(b === boot) - Number(a === boot)).map(mapping => ({id: mapping.volume.id, deleteOnTermination: mapping.deleteOnTermination})),
			...extras,
			createdAt: now,
			updatedAt: now,
			launchedAt: now,
		};
		state.servers.set(server.id, server);
		for (const {volume} of volumes) {
			volume.status = 'reserved';
		}

		state.later('serverCreate', () => {
			if (!state.servers.has(server.id)) {
				return;
			}

			const attachedAt = state.now();
			for (const [index, attached] of server.volumesAttached.entries()) {
				const volume = state.volumes.get(attached.id);
				if (!volume) {
					continue;
				}

				const requested = volumes.find(mapping => mapping.volume.id === attached.id)?.device;
				volume.status = 'in-use';
				volume.attachments.push({
					serverId: server.id, attachmentId: randomUUID(), device: requested ?? deviceName(index, boot !== undefined), attachedAt,
				});
			}

			server.status = 'ACTIVE';
			server.vmState = 'active';
			server.taskState = null;
			server.launchedAt = attachedAt;
			server.updatedAt = attachedAt;
		});
		return {
			id: server.id,
			links: [{rel: 'self', href: `${call.base}/servers/${server.id}`}, {rel: 'bookmark', href: `${call.context.origin}/compute/servers/${server.id}`}],
			'OS-DCF:diskConfig': 'MANUAL',
			security_groups: [{name: 'default'}],
		};
	};

	const createImage = (call: Call, server: ServerRecord, spec: Record<string, unknown>): Reply => {
		const {name} = spec;
		if (typeof name !== 'string' || name.trim() === '') {
			throw new HttpError(400, 'Invalid input for field/attribute name. Value: None. None is not of type \'string\'');
		}

		if (!['active', 'stopped', 'paused', 'suspended'].includes(server.vmState) || (server.vmState === 'paused' && server.imageId === '')) {
			throw new HttpError(409, `Cannot 'createImage' instance ${server.id} while it is in vm_state ${server.vmState}`);
		}

		if (server.taskState !== null) {
			throw new HttpError(409, `Cannot 'createImage' instance ${server.id} while it is in task_state ${server.taskState}`);
		}

		const metadata = stringRecord(spec['metadata'], 'metadata');

		const imageId = server.imageId === ''
			? volumeBackedImage(call, server, name, metadata)
			: serverSnapshotImage(call, server, name, metadata);

		return call.mv >= 45 ? {status: 202, json: {image_id: imageId}} : {status: 202, headers: {Location: `${call.context.origin}/image/images/${imageId}`}};
	};

	// A volume-backed server's image: a Cinder snapshot per attached volume, and a metadata-only image that points at them.
	const volumeBackedImage = (call: Call, server: ServerRecord, name: string, metadata: Record<string, string>): string => {
		const mappings = server.volumesAttached.map((attached, index) => {
			const volume = state.volumes.get(attached.id);
			const snapshot = volume ? createSnapshotRecord(state, volume, call.auth.user.id, {name: `snapshot for ${name}`, description: null}) : undefined;
			return {
				source_type: 'snapshot',
				destination_type: 'volume',
				snapshot_id: snapshot?.id ?? null,
				volume_size: volume?.size ?? null,
				boot_index: index === 0 ? 0 : null,
				delete_on_termination: attached.deleteOnTermination,
				device_name: deviceName(index, true),
				disk_bus: 'virtio',
				device_type: 'disk',
				guest_format: null,
				image_id: null,
				no_device: null,
				tag: null,
				volume_id: null,
				volume_type: null,
			};
		});
		const image = state.addImage({
			owner: server.projectId,
			name,
			diskFormat: 'raw',
			containerFormat: 'bare',
			properties: {
				...metadata, bdm_v2: 'True', root_device_name: '/dev/vda', block_device_mapping: JSON.stringify(mappings),
			},
			data: Buffer.alloc(0),
		});
		return image.id;
	};

	// An image-backed server's snapshot image: inherits the base image's properties, goes active after the upload steps.
	const serverSnapshotImage = (call: Call, server: ServerRecord, name: string, metadata: Record<string, string>): string => {
		const user = state.users.get(server.userId);
		const project = state.projects.get(server.projectId);
		const base = state.images.get(server.imageId);
		const flavor = state.flavors.get(server.flavorId);
		const inherited: Record<string, string> = {};
		for (const [key, value] of Object.entries(base?.properties ?? {})) {
			if (!['image_type', 'instance_uuid', 'block_device_mapping', 'bdm_v2', 'root_device_name', 'cinder_encryption_key_id', 'cinder_encryption_key_deletion_policy'].includes(key)) {
				inherited[key] = value;
			}
		}

		const image = state.addImage({
			owner: server.projectId,
			name,
			diskFormat: base?.diskFormat ?? 'qcow2',
			containerFormat: base?.containerFormat ?? 'bare',
			minDisk: flavor?.disk ?? 0,
			minRam: flavor?.ram ?? 0,
			properties: {
				...inherited,
				...metadata,
				image_type: 'snapshot',
				instance_uuid: server.id,
				user_id: server.userId,
				base_image_ref: server.imageId,
				owner_project_name: project?.name ?? '',
				owner_user_name: user?.name ?? '',
				boot_roles: [...call.auth.roles].join(','),
				image_location: 'snapshot',
				image_state: 'available',
				owner_id: server.projectId,
			},
		});
		server.taskState = 'image_snapshot';
		state.later('serverImage', () => {
			server.taskState = 'image_pending_upload';
		}, 0.2);
		state.later('serverImage', () => {
			server.taskState = 'image_uploading';
			image.status = 'saving';
		}, 0.4);
		state.later('serverImage', () => {
			server.taskState = null;
			server.updatedAt = state.now();
			if (!state.images.has(image.id)) {
				return;
			}

			setImageData(image, deterministicBytes(`root-disk-${server.id}-${state.now()}`, 32 * 1024));
			image.status = 'active';
			image.updatedAt = state.now();
		});
		return image.id;
	};

	const flavorView = (call: Call, flavorId: string, isDetail: boolean): Record<string, unknown> => {
		const flavor = state.flavors.get(flavorId);
		if (!flavor) {
			throw new HttpError(404, `Flavor ${flavorId} could not be found.`);
		}

		const links = [{rel: 'self', href: `${call.base}/flavors/${flavor.id}`}, {rel: 'bookmark', href: `${call.context.origin}/compute/flavors/${flavor.id}`}];
		if (!isDetail) {
			return {
				id: flavor.id, name: flavor.name, links, ...((call.mv >= 55) && {description: null}),
			};
		}

		return {
			id: flavor.id,
			name: flavor.name,
			ram: flavor.ram,
			disk: flavor.disk,
			swap: flavor.swap === 0 ? '' : flavor.swap,
			vcpus: flavor.vcpus,
			'OS-FLV-EXT-DATA:ephemeral': flavor.ephemeral,
			'OS-FLV-DISABLED:disabled': false,
			'os-flavor-access:is_public': true,
			rxtx_factor: 1,
			links,
			...((call.mv >= 55) && {description: null}),
			...((call.mv >= 61) && {extra_specs: {}}),
		};
	};

	router.add('GET', 'flavors', call => ({status: 200, json: {flavors: [...state.flavors.keys()].map(id => flavorView(call, id, false))}}));
	router.add('GET', 'flavors/detail', call => ({status: 200, json: {flavors: [...state.flavors.keys()].map(id => flavorView(call, id, true))}}));
	router.add('GET', 'flavors/:id', (call, {id = ''}) => ({status: 200, json: {flavor: flavorView(call, id, true)}}));
	router.add('GET', 'flavors/:id/os-extra_specs', (_call, {id = ''}) => {
		if (!state.flavors.has(id)) {
			throw new HttpError(404, `Flavor ${id} could not be found.`);
		}

		return {status: 200, json: {extra_specs: {}}};
	});

	const versionHeaders = (mv: number): Record<string, string> => ({
		'OpenStack-API-Version': `compute 2.${mv}`,
		'X-OpenStack-Nova-API-Version': `2.${mv}`,
		Vary: 'OpenStack-API-Version, X-OpenStack-Nova-API-Version',
	});

	return {
		service: 'compute',
		prefix: '/compute',
		async handle(context) {
			const {segments, origin} = context;
			if (segments.length === 0) {
				return {
					status: 200,
					json: {
						versions: [
							{
								id: 'v2.0', status: 'SUPPORTED', version: '', min_version: '', updated: '2011-01-21T11:33:21Z', links: [{rel: 'self', href: `${origin}/compute/v2/`}],
							},
							versionEntry(origin),
						],
					},
				};
			}

			if (segments[0] !== 'v2.1') {
				throw new HttpError(404, 'The resource could not be found.');
			}

			if (segments.length === 1) {
				return {status: 200, json: {version: versionEntry(origin)}};
			}

			const auth = authenticate(state, context);
			const mv = computeMicroversion(context);
			let rest = segments.slice(1);
			// Nova also accepts the project ID after the version (`/v2.1/<project>/servers`).
			if (rest[0] === auth.project.id) {
				rest = rest.slice(1);
			}

			const match = router.resolve(context.method, rest);

			const reply = await match.handler({
				context, auth, mv, base: `${origin}/compute/v2.1`,
			}, match.parameters);
			return {...reply, headers: {...versionHeaders(mv), ...reply.headers}};
		},
		errorReply(error, context) {
			let headers: Record<string, string> = {};
			try {
				headers = versionHeaders(computeMicroversion(context));
			} catch {}

			return faultReply(error.status, error.message, {...headers, ...error.headers});
		},
	};
}
