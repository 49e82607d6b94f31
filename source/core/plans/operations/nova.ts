/*
Nova's operations: an image of a server (createImage; what it creates is a Glance image, removed as one), a server
booted from a bundle's restored image or volume, and the check of that server. A server is removed (deleted and waited
for until gone, which frees its volumes) only when a plan booted it.
*/
import {readFile} from 'node:fs/promises';
import type {CloudSession} from '../../../openstack/api.js';
import type {Server} from '../../../openstack/types.js';
import {parseManifest} from '../../bundle/manifest.js';
import {backoff} from '../clock.js';
import {PlanError} from '../errors.js';
import {firstMarked, intentKey} from '../intents.js';
import {
	assign,
	option,
	shellQuote,
	word,
} from '../shell.js';
import {need} from '../status.js';
import {quote} from '../text.js';
import type {Operations} from '../types.js';
import {
	create,
	findMarkedImage,
	ignoreMissing,
	marked,
	resolveRefOr,
} from './shared.js';
import type {OperationFamily, Remover} from './types.js';

/**
The user data a bundle holds for its server item (base64, as Nova takes it), read when the step runs.
*/
async function userDataOf(from: {manifest: string; itemId: string}): Promise<string | undefined> {
	const checked = await parseManifest(await readFile(from.manifest, 'utf8'));
	if ('defects' in checked) {
		throw new PlanError(`${from.manifest} is no longer a sound manifest: ${checked.defects.join(' ')}`);
	}

	const item = checked.manifest.items.find(candidate => candidate.id === from.itemId);
	if (item?.kind !== 'server') {
		throw new PlanError(`${from.manifest} holds no server ${from.itemId} any more.`);
	}

	return item.server.userData;
}

/**
What keeps a restored server from being what was asked for, in a few words each (empty when nothing does).
*/
export function serverProblems(server: Server, expected: Omit<Operations['nova.verifyServer'], 'serverId' | 'volumeIds'> & {volumeIds: string[]}): string[] {
	const problems = server.status === 'ACTIVE' ? [] : [`is ${server.status}, not ACTIVE`];
	const {flavor} = server;
	const wanted = expected.flavor;
	// From 2.47 the server shows its flavor's name and sizes; before, only its ID.
	const isFlavor = flavor.name === undefined
		? flavor.id === wanted.id
		: flavor.name === wanted.name && flavor.vcpus === wanted.vcpus && flavor.ramMiB === wanted.ramMiB && flavor.diskGiB === wanted.diskGiB;
	if (!isFlavor) {
		problems.push(`has flavor ${flavor.name ?? flavor.id ?? '?'}, not ${expected.flavor.name}`);
	}

	const differing = Object.entries(expected.metadata).filter(([key, value]) => server.metadata[key] !== value).map(([key]) => key);
	if (differing.length > 0) {
		problems.push(`lacks the metadata ${differing.join(', ')}`);
	}

	const missing = expected.volumeIds.filter(id => !server.attachedVolumeIds.includes(id));
	if (missing.length > 0) {
		problems.push(`has not got volume${missing.length === 1 ? '' : 's'} ${missing.join(', ')} attached`);
	}

	return problems;
}

function createServerScript(step: Parameters<typeof assign>[0], args: Operations['nova.createServer']): string[] {
	const boot = args.volumes.find(volume => volume.boot === true);
	const devices = args.volumes.filter(volume => volume !== boot).map(volume => `--block-device ${[
		`uuid=${word(volume.volumeId)}`,
		'source_type=volume',
		'destination_type=volume',
		'boot_index=-1',
		...(volume.device === undefined ? [] : [`device_name=${shellQuote(volume.device)}`]),
		'delete_on_termination=false',
	].join(',')}`);
	const userData = args.userDataFrom === undefined
		? []
		: ['--user-data <(python3 -c \'import base64, json, sys; item = next(i for i in json.load(open(sys.argv[1]))["items"] if i["id"] == sys.argv[2]); '
			+ 'sys.stdout.buffer.write(base64.b64decode(item["server"]["userData"]))\' '
			+ `${word(args.userDataFrom.manifest)} ${word(args.userDataFrom.itemId)})`];
	const command = [
		'openstack --os-compute-api-version 2.37 server create',
		`--flavor ${word(args.flavorId)}`,
		...(boot === undefined ? option('--image', args.imageId) : [`--volume ${word(boot.volumeId)}`]),
		// With --image and --block-device, the CLI (novaclient) puts the image first as boot index 0, as Nova wants it.
		...devices,
		'--nic none',
		...Object.entries(args.metadata ?? {}).map(([key, value]) => `--property ${shellQuote(`${key}=${value}`)}`),
		...option('--key-name', args.keyName),
		...userData,
		word(args.name),
		'-f value -c id',
	].join(' ');
	return [
		...(boot?.device === undefined ? [] : [`# The root volume goes to the server's first disk (the bundle's ${boot.device}).`]),
		assign(step, 'serverId', command),
	];
}

async function findMarkedServer(session: CloudSession, mark: string, signal?: AbortSignal) {
	if (session.nova === undefined) {
		return undefined;
	}

	const server = await firstMarked(session.nova.listServers({signal}), item => item.metadata[intentKey], mark);
	return server === undefined ? undefined : {serverId: server.id};
}

export const novaOperations: OperationFamily<'nova'> = {
	'nova.createServerImage': {
		describe: args => `Create image ${quote(args.name)} of server ${args.serverId} (createImage)`,
		async perform(args, context) {
			const {imageId} = await need(context.session.nova, 'Nova').createServerImage(args.serverId, {name: args.name, metadata: marked(args.metadata, context.intent)}, {});
			return {imageId};
		},
		exportCli: ({step, args}) => [assign(step, 'imageId', `openstack server image create --name ${word(args.name)} ${word(args.serverId)} -f value -c id`)],
		outputs: () => ['imageId'],
		minimumDanger: create,
		undo: 'image',
		intent: {
			// Nova copies the request's metadata into the new image's properties.
			isMarkable: session => session.nova !== undefined && session.glance !== undefined,
			find: async (session, mark, _args, signal) => findMarkedImage(session, mark, undefined, signal),
		},
	},
	'nova.createServer': {
		describe(args, show) {
			const boot = args.volumes.find(volume => volume.boot === true);
			const from = boot === undefined ? `image ${show(args.imageId)}` : `volume ${show(boot.volumeId)}`;
			const others = args.volumes.filter(volume => volume !== boot).map(volume => `${show(volume.volumeId)}${volume.device === undefined ? '' : ` at ${volume.device}`}`);
			return `Boot server ${quote(args.name)} (flavor ${args.flavorId}) from ${from}${others.length > 0 ? ` with volume${others.length === 1 ? '' : 's'} ${others.join(', ')}` : ''}, no network`;
		},
		async perform(args, {session, outputs, intent}) {
			const userData = args.userDataFrom === undefined ? undefined : await userDataOf(args.userDataFrom);
			const boot = args.volumes.find(volume => volume.boot === true);
			const imageRef = boot === undefined && args.imageId !== undefined ? String(resolveRefOr(args.imageId, outputs)) : undefined;
			const {id} = await need(session.nova, 'Nova').createServer({
				name: args.name,
				flavorRef: args.flavorId,
				...(imageRef !== undefined && {imageRef}),
				volumes: args.volumes.map(volume => ({
					volumeId: String(resolveRefOr(volume.volumeId, outputs)), ...(volume.device !== undefined && {device: volume.device}), ...(volume.boot === true && {boot: true}),
				})),
				networks: 'none',
				...(marked(args.metadata, intent) !== undefined && {metadata: marked(args.metadata, intent)}),
				...(args.keyName !== undefined && {keyName: args.keyName}),
				...(userData !== undefined && {userData}),
			}, {});
			return {serverId: id};
		},
		exportCli: ({step, args}) => createServerScript(step, args),
		outputs: () => ['serverId'],
		minimumDanger: create,
		undo: 'server',
		intent: {
			// Nova keeps the request's metadata on the server (shown in every list).
			isMarkable: session => session.nova !== undefined,
			find: async (session, mark, _args, signal) => findMarkedServer(session, mark, signal),
		},
	},
	'nova.verifyServer': {
		describe: (args, show) => `Check server ${show(args.serverId)}: ACTIVE, flavor ${args.flavor.name}, ${Object.keys(args.metadata).length} metadata keys, `
			+ `${args.volumeIds.length} volume${args.volumeIds.length === 1 ? '' : 's'} attached`,
		async perform(args, {session, outputs, signal}) {
			const serverId = String(resolveRefOr(args.serverId, outputs));
			const server = await need(session.nova, 'Nova').getServer(serverId, {signal});
			const volumeIds = args.volumeIds.map(id => String(resolveRefOr(id, outputs)));
			const problems = serverProblems(server, {...args, volumeIds});
			if (problems.length > 0) {
				throw new PlanError(`The restored server ${problems.join('; ')}.`);
			}

			return {serverId, status: server.status, flavor: server.flavor.name ?? server.flavor.id ?? args.flavor.name};
		},
		exportCli({args}) {
			const server = word(args.serverId);
			const fail = (what: string) => `{ echo ${shellQuote(`The restored server ${what}`)} >&2; exit 1; }`;
			return [
				`[ "$(openstack server show ${server} -f value -c status)" = ACTIVE ] || ${fail('is not ACTIVE')}`,
				...args.volumeIds.map(id => `openstack server show ${server} -f json -c volumes_attached | grep -q ${word(id)} || ${fail('lacks a volume')}`),
			];
		},
		outputs: () => ['serverId', 'status', 'flavor'],
		minimumDanger: () => 'read',
	},
};

/**
A server a plan booted: deleted, and waited for until Nova no longer knows it (its volumes are then detached).
*/
export const novaRemovers: {server: Remover} = {
	async server(session, resource, clock, deadline) {
		const nova = need(session.nova, 'Nova');
		await ignoreMissing(async () => nova.deleteServer(resource.id));
		const intervals = backoff();
		for (;;) {
			// eslint-disable-next-line no-await-in-loop
			const server = await nova.findServer(resource.id);
			if (server === undefined) {
				return undefined;
			}

			if (clock.now() >= deadline) {
				throw new PlanError(`server ${resource.id} is still ${server.status} (${server.taskState ?? 'no task'}).`);
			}

			// eslint-disable-next-line no-await-in-loop
			await clock.sleep(intervals.next().value);
		}
	},
};
