/*
What every contract test uses: the target's cloud, the context each test gets, and the helpers that make, wait for and
remove resources on it (each named bs-contract-…, each removed by a teardown).
*/
import {randomBytes} from 'node:crypto';
import {spawn, type ChildProcess} from 'node:child_process';
import {existsSync, readdirSync} from 'node:fs';
import process from 'node:process';
import {Readable} from 'node:stream';
import {setTimeout as sleep} from 'node:timers/promises';
import {fileURLToPath} from 'node:url';
import type {ExecutionContext} from 'ava';
import {
	isNotFound,
	isOpenStackError,
	loadCloudConfig,
	type BackstackSession,
	type Backup,
	type BarbicanApi,
	type CinderApi,
	type CloudSession,
	type GlanceApi,
	type Image,
	type ResolvedCloudConfig,
	type Snapshot,
	type Volume,
} from '../../source/openstack/index.js';
import {type Clock} from '../../source/core/plans/types.js';
import {readJournal, type JournalRecord} from '../../source/core/plans/journal.js';
import {collect} from '../helpers/collect.js';
import {userRequest} from './admin-http.js';

/**
A running cloud, as a target hands it to the suite.
*/
export type ContractCloud = {
	/**
	A clouds.yaml that defines the three clouds below.
	*/
	cloudsFile: string;
	/**
	Admin of the admin project.
	*/
	admin: string;
	/**
	A member (+ reader + creator) user in its first project.
	*/
	member: string;
	/**
	The same user, scoped to its second project.
	*/
	member2: string;
	/**
	Servers made without Nova's API, for a target that cannot create them through it (the demo cloud writes them
	into its state). Without it the suite boots them through Nova as the member (the real cloud's fake driver).
	*/
	servers?: ServerMaker;
	/**
	Alters the bytes backup `id` stored, as a damaged backup store would (a member cannot: the demo cloud only).
	*/
	alterBackupData?(id: string): Promise<void>;
	close(): Promise<void>;
};

export type ServerRequest = {
	name: string;
	projectId: string;
	userId: string;
	/**
	Boots from this image (an ephemeral root disk)...
	*/
	imageId?: string;
	/**
	... or from this volume.
	*/
	bootVolumeId?: string;
	attachVolumeIds: string[];
};

export type ServerMaker = {
	/**
	Resolves to the server's ID once it is ACTIVE with its volumes attached (in-use).
	*/
	create(request: ServerRequest): Promise<string>;
	/**
	Deletes it and waits until it is gone and its volumes are available again.
	*/
	remove(id: string): Promise<void>;
};

export type ContractTarget = {
	name: string;
	start(): Promise<ContractCloud>;
	/**
	Between two polls of a status.
	*/
	pollMs: number;
	/**
	Longest wait for one status change.
	*/
	waitMs: number;
	/**
	Per test.
	*/
	testTimeoutMs: number;
};

export type Context = {
	cloud: ContractCloud;
	/**
	An empty directory for cwd/home, so that no user's clouds.yaml is read.
	*/
	scratch: string;
	admin: BackstackSession;
	member: BackstackSession;
	member2: BackstackSession;
	target: ContractTarget;
	run: string;
};

export type Services = {cinder: CinderApi; glance: GlanceApi; barbican: BarbicanApi};

/**
Statuses after which nothing more happens by itself.
*/
export const settledVolume = new Set(['available', 'error', 'error_restoring', 'error_extending', 'error_deleting', 'in-use']);
export const settledBackup = new Set(['available', 'error', 'error_deleting']);

/**
`openstack image unset --property KEY` as the member: a JSON patch that removes the property.
*/
export async function removeImageProperty(c: Context, imageId: string, key: string): Promise<void> {
	await userRequest(c.member, await configFor(c.cloud, c.scratch, c.cloud.member), {
		service: 'image', method: 'PATCH', path: `images/${imageId}`, body: [{op: 'remove', path: `/${key}`}], contentType: 'application/openstack-images-v2.1-json-patch',
	});
}

// ------------------------------------------------------------------------------------------------ servers through Nova

/**
Servers booted through Nova's API as the member (flavor bs.tiny of provision.sh, no network), with volumes attached.
*/
export async function novaServers(c: Context): Promise<ServerMaker> {
	const config = await configFor(c.cloud, c.scratch, c.cloud.member);
	const compute = async (method: string, url: string, body?: unknown) => userRequest(c.member, config, {
		service: 'compute', method, path: url, body,
	});
	const {cinder} = services(c.member);
	const attached = new Map<string, string[]>();
	const flavorList = await compute('GET', 'flavors');
	const flavors = flavorList.body as {flavors?: Array<{id: string; name: string}>};
	const flavor = flavors.flavors?.find(item => item.name === 'bs.tiny') ?? flavors.flavors?.[0];
	if (!flavor) {
		throw new Error('Nova has no flavor');
	}

	const serverStatus = async (id: string): Promise<{status: string; fault?: string} | undefined> => {
		const {status, body} = await compute('GET', `servers/${id}`);
		if (status === 404) {
			return undefined;
		}

		const {server} = (body as {server: {status: string; fault?: {message?: string}}});
		return {status: server.status, fault: server.fault?.message};
	};

	return {
		async create(request) {
			// Nova's field names, as they are on the wire.
			const bootVolume: Record<string, unknown> = Object.fromEntries<unknown>([
				['boot_index', 0], ['uuid', request.bootVolumeId], ['source_type', 'volume'], ['destination_type', 'volume'], ['delete_on_termination', false],
			]);
			const bootFrom: [string, unknown] = request.bootVolumeId === undefined ? ['imageRef', request.imageId] : ['block_device_mapping_v2', [bootVolume]];
			const server = Object.fromEntries([['name', request.name], ['flavorRef', flavor.id], ['networks', 'none'], bootFrom]) as Record<string, unknown>;

			const created = await compute('POST', 'servers', {server});
			const {id} = (created.body as {server: {id: string}}).server;
			attached.set(id, [...(request.bootVolumeId === undefined ? [] : [request.bootVolumeId]), ...request.attachVolumeIds]);
			const active = await poll(c, `server ${id} ACTIVE`, async () => serverStatus(id), value => value === undefined || ['ACTIVE', 'ERROR'].includes(value.status));
			if (active?.status !== 'ACTIVE') {
				throw new Error(`server ${id} ended ${active?.status ?? 'deleted'}: ${active?.fault ?? ''}`);
			}

			for (const volumeId of request.attachVolumeIds) {
				// eslint-disable-next-line no-await-in-loop
				await compute('POST', `servers/${id}/os-volume_attachments`, {volumeAttachment: {volumeId}});
				// eslint-disable-next-line no-await-in-loop
				await waitVolume(c, cinder, volumeId, ['in-use']);
			}

			return id;
		},
		async remove(id) {
			await compute('DELETE', `servers/${id}`);
			await poll(c, `server ${id} deleted`, async () => serverStatus(id), value => value === undefined);
			for (const volumeId of attached.get(id) ?? []) {
				// eslint-disable-next-line no-await-in-loop
				await poll(c, `volume ${volumeId} detached`, async () => cinder.findVolume(volumeId), value => value === undefined || (value.status !== 'in-use' && value.status !== 'detaching'));
			}
		},
	};
}

// ------------------------------------------------------------------------------------------------ backstack's CLI

export const cliPath = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

export type CliChild = ChildProcess & {output(): string};

/**
Runs `node dist/cli.js …` as the member of the target's cloud (or as `cloud`, e.g. c.cloud.member2), with a private config directory (and so journal) and
no other OS_* variables or user files in play.
*/
export function cliRunner(c: Context, configDir: string, cloud = c.cloud.member) {
	if (!existsSync(cliPath)) {
		throw new Error(`${cliPath} is missing: run npm run build first`);
	}

	const environment = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('OS_') && key !== 'XDG_CONFIG_HOME'));
	const env = {
		...environment,
		...Object.fromEntries([
			[configFileVariable, c.cloud.cloudsFile],
			['OS_CLOUD', cloud],
			['BACKSTACK_CONFIG_DIR', configDir],
			['HOME', c.scratch],
		]),
	};
	const start = (args: string[]): CliChild => {
		const child = spawn(process.execPath, [cliPath, ...args], {cwd: c.scratch, env, stdio: ['ignore', 'pipe', 'pipe']}) as CliChild;
		let output = '';
		child.stdout?.on('data', (chunk: Uint8Array) => {
			output += String(chunk);
		});
		child.stderr?.on('data', (chunk: Uint8Array) => {
			output += String(chunk);
		});
		child.output = () => output;
		return child;
	};

	const run = async (args: string[]): Promise<{code: number | undefined; stdout: string; stderr: string}> => {
		const child = spawn(process.execPath, [cliPath, ...args], {cwd: c.scratch, env, stdio: ['ignore', 'pipe', 'pipe']});
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (chunk: Uint8Array) => {
			stdout += String(chunk);
		});
		child.stderr.on('data', (chunk: Uint8Array) => {
			stderr += String(chunk);
		});
		const code = await new Promise<number | undefined>((resolve, reject) => {
			child.once('error', reject);
			child.once('close', resolve);
		});
		return {code, stdout, stderr};
	};

	return {start, run};
}

/**
The one journal record in `directory`, if there is one yet.
*/
export function readOnlyJournal(directory: string): JournalRecord | undefined {
	const [only] = listUnfinishedOrDone(directory);
	return only === undefined ? undefined : readJournal(directory, only);
}

export function listUnfinishedOrDone(directory: string): string[] {
	try {
		return readdirSync(directory).filter(name => name.endsWith('.json')).map(name => name.slice(0, -'.json'.length));
	} catch {
		return [];
	}
}

// ------------------------------------------------------------------------------------------------ helpers

/**
The system clock, except that waits are no longer than the target's poll interval (the demo cloud runs 100× fast).
*/
export function pollingClock(c: Context): Clock {
	return {
		now: () => Date.now(),
		async sleep(ms, signal) {
			await sleep(Math.min(ms, c.target.pollMs), undefined, {signal});
		},
	};
}

/**
`kind id name` of every volume, backup, image and secret of the session's project whose name starts with `prefix`.
*/
export async function namedLeftovers(session: CloudSession, prefix: string): Promise<string[]> {
	const {cinder, glance, barbican} = services(session);
	const named = (kind: string, items: Array<{id: string; name?: string | undefined}>): string[] => items
		.filter(item => item.name?.startsWith(prefix))
		.map(item => `${kind} ${item.id} ${item.name ?? ''}`);
	return [
		...named('volume', await collect(cinder.listVolumes())),
		...named('backup', await collect(cinder.listBackups())),
		...named('image', await collect(glance.listImages())),
		...named('secret', await collect(barbican.listSecrets())),
	];
}

/**
Best effort, for teardowns: removes what `namedLeftovers` finds (images and secrets, then backups, then volumes).
*/
export async function removeNamed(c: Context, session: CloudSession, prefix: string): Promise<void> {
	const {cinder, glance, barbican} = services(session);
	const isNamed = (item: {name?: string | undefined}): boolean => item.name?.startsWith(prefix) ?? false;
	const images = await collect(glance.listImages());
	const secrets = await collect(barbican.listSecrets());
	const backups = await collect(cinder.listBackups());
	const volumes = await collect(cinder.listVolumes());
	/* eslint-disable no-await-in-loop -- one at a time, in this order. */
	for (const image of images) {
		if (isNamed(image)) {
			await removeImage(c, glance, image.id);
		}
	}

	for (const secret of secrets) {
		if (isNamed(secret)) {
			await barbican.deleteSecret(secret.id).catch(ignoreNotFound);
		}
	}

	for (const backup of backups) {
		if (isNamed(backup)) {
			await removeBackup(c, cinder, backup.id);
		}
	}

	for (const volume of volumes) {
		if (isNamed(volume)) {
			await removeVolume(c, cinder, volume.id);
		}
	}
	/* eslint-enable no-await-in-loop */
}

export async function configFor(cloud: ContractCloud, scratch: string, name: string): Promise<ResolvedCloudConfig> {
	return loadCloudConfig({
		cloud: name, env: {[configFileVariable]: cloud.cloudsFile}, cwd: scratch, home: scratch, systemDirs: [],
	});
}

export function services(session: CloudSession): Services {
	const {cinder, glance, barbican} = session;
	if (!cinder || !glance || !barbican) {
		throw new Error(`${session.cloudName}: the catalog lacks cinder, glance or barbican`);
	}

	return {cinder, glance, barbican};
}

export function compareVersions(a: string, b: string): number {
	const [aMajor = 0, aMinor = 0] = a.split('.').map(Number);
	const [bMajor = 0, bMinor = 0] = b.split('.').map(Number);
	return aMajor === bMajor ? aMinor - bMinor : aMajor - bMajor;
}

export function ids(items: Array<{id: string}>): string[] {
	return items.map(item => item.id).toSorted();
}

export async function secretStatus(barbican: BarbicanApi, id: string): Promise<string | undefined> {
	const secret = await barbican.findSecret(id);
	return secret?.status;
}

export function statusOf(error: unknown): number | undefined {
	return isOpenStackError(error) ? error.status : undefined;
}

export function serviceMessageOf(error: unknown): string | undefined {
	return isOpenStackError(error) ? error.serviceMessage : undefined;
}

export async function findSnapshot(cinder: CinderApi, id: string): Promise<Snapshot | undefined> {
	return cinder.getSnapshot(id).catch((error: unknown) => {
		ignoreNotFound(error);
		return undefined;
	});
}

export async function removeSnapshot(c: Context, cinder: CinderApi, id: string): Promise<void> {
	const snapshot = await poll(c, `snapshot ${id} settled`, async () => findSnapshot(cinder, id), value => value === undefined || !['creating', 'deleting'].includes(value.status));
	if (!snapshot) {
		return;
	}

	await cinder.deleteSnapshot(id).catch(ignoreNotFound);
	await poll(c, `snapshot ${id} deleted`, async () => findSnapshot(cinder, id), value => value === undefined);
}

export function ignoreNotFound(error: unknown): void {
	if (!isNotFound(error)) {
		throw error;
	}
}

export type Quota = {limit: number; inUse: number};

export const configFileVariable = 'OS_CLIENT_CONFIG_FILE';

/**
The body of a Cinder quota-set update of the volumes count.
*/
export function cinderQuota(volumes: number): Record<string, Record<string, number>> {
	return Object.fromEntries([['quota_set', {volumes}]]);
}

export function quotaUsage(body: unknown, resource: string): Quota {
	const set = (body as {quota_set?: Record<string, unknown>} | undefined)?.quota_set;
	const entry = set?.[resource] as {limit?: unknown; in_use?: unknown} | undefined;
	if (typeof entry?.limit !== 'number' || typeof entry.in_use !== 'number') {
		throw new TypeError(`no ${resource} usage in ${JSON.stringify(body)}`);
	}

	return {limit: entry.limit, inUse: entry.in_use};
}

export async function poll<T>(c: Context, what: string, read: () => Promise<T>, isDone: (value: T) => boolean): Promise<T> {
	const deadline = Date.now() + c.target.waitMs;
	for (;;) {
		// eslint-disable-next-line no-await-in-loop
		const value = await read();
		if (isDone(value)) {
			return value;
		}

		if (Date.now() > deadline) {
			throw new Error(`${what}: still not there after ${c.target.waitMs} ms (last: ${JSON.stringify(value, (key, item: unknown) => (key === 'raw' ? undefined : item))})`);
		}

		// eslint-disable-next-line no-await-in-loop
		await sleep(c.target.pollMs);
	}
}

export async function waitVolume(c: Context, cinder: CinderApi, id: string, until: string[]): Promise<Volume> {
	const volume = await poll(c, `volume ${id} → ${until.join('|')}`, async () => cinder.getVolume(id), value => until.includes(value.status) || value.status.startsWith('error'));
	if (!until.includes(volume.status)) {
		throw new Error(`volume ${id} ended ${volume.status}, expected ${until.join('|')}`);
	}

	return volume;
}

export async function waitBackup(c: Context, cinder: CinderApi, id: string, until: string[]): Promise<Backup> {
	const backup = await poll(c, `backup ${id} → ${until.join('|')}`, async () => cinder.getBackup(id), value => until.includes(value.status) || value.status.startsWith('error'));
	if (!until.includes(backup.status)) {
		throw new Error(`backup ${id} ended ${backup.status}${backup.failReason === undefined ? '' : ` (${backup.failReason})`}, expected ${until.join('|')}`);
	}

	return backup;
}

export async function waitImage(c: Context, glance: GlanceApi, id: string, until: string[]): Promise<Image> {
	const image = await poll(c, `image ${id} → ${until.join('|')}`, async () => glance.getImage(id), value => until.includes(value.status) || value.status === 'killed');
	if (!until.includes(image.status)) {
		throw new Error(`image ${id} ended ${image.status}`);
	}

	return image;
}

export async function waitVolumeGone(c: Context, cinder: CinderApi, id: string): Promise<void> {
	await poll(c, `volume ${id} deleted`, async () => cinder.findVolume(id), volume => volume === undefined || volume.status === 'error_deleting');
	if (await cinder.findVolume(id)) {
		throw new Error(`volume ${id} ended error_deleting`);
	}
}

export async function waitBackupGone(c: Context, cinder: CinderApi, id: string): Promise<void> {
	await poll(c, `backup ${id} deleted`, async () => cinder.findBackup(id), backup => backup === undefined || backup.status === 'error_deleting');
	if (await cinder.findBackup(id)) {
		throw new Error(`backup ${id} ended error_deleting`);
	}
}

/**
Glance deletes the image's key after answering; true once the secret is gone.
*/
export async function isSecretDeleted(c: Context, barbican: BarbicanApi, id: string): Promise<boolean> {
	const secret = await poll(c, `secret ${id} deleted`, async () => barbican.findSecret(id), value => value === undefined).catch(() => 'still there');
	return secret === undefined;
}

export async function makeEncryptedType(t: ExecutionContext, c: Context, label: string) {
	const {cinder} = services(c.admin);
	const type = await cinder.createEncryptedVolumeType({name: `bs-contract-${c.run}-${label}`, description: 'backstack contract suite'});
	t.teardown(async () => {
		await cinder.deleteVolumeType(type.id).catch(ignoreNotFound);
	});
	return type;
}

export async function makeVolume(
	t: ExecutionContext,
	c: Context,
	cinder: CinderApi,
	request: {size: number; name: string; volumeType?: string; metadata?: Record<string, string>; imageRef?: string},
): Promise<Volume> {
	const created = await cinder.createVolume(request);
	t.teardown(async () => removeVolume(c, cinder, created.id));
	return waitVolume(c, cinder, created.id, ['available']);
}

/**
A raw image holding `data` (removed at teardown), e.g. to make a volume that holds known bytes (`imageRef`): for an
encrypted type, Cinder encrypts the image's bytes into the new volume.
*/
export async function makeDataImage(t: ExecutionContext, c: Context, glance: GlanceApi, {name, data}: {name: string; data: Uint8Array}): Promise<Image> {
	const image = await glance.createImage({name, diskFormat: 'raw', containerFormat: 'bare'});
	t.teardown(async () => removeImage(c, glance, image.id));
	await glance.uploadImageData(image.id, Readable.from([data]), {size: data.byteLength});
	return waitImage(c, glance, image.id, ['active']);
}

export async function makeBackup(
	t: ExecutionContext,
	c: Context,
	cinder: CinderApi,
	request: {volumeId: string; name: string; incremental?: boolean; metadata?: Record<string, string>},
): Promise<Backup> {
	const {id} = await cinder.createBackup(request);
	t.teardown(async () => removeBackup(c, cinder, id));
	const backup = await waitBackup(c, cinder, id, ['available']);
	await waitVolume(c, cinder, request.volumeId, ['available']);
	return backup;
}

/**
Best effort, for teardowns: wait until the volume can be deleted, delete it, wait until it is gone.
*/
export async function removeVolume(c: Context, cinder: CinderApi, id: string): Promise<void> {
	const volume = await poll(c, `volume ${id} settled`, async () => cinder.findVolume(id), value => value === undefined || settledVolume.has(value.status));
	if (!volume) {
		return;
	}

	await cinder.deleteVolume(id).catch(ignoreNotFound);
	await waitVolumeGone(c, cinder, id);
}

export async function removeBackup(c: Context, cinder: CinderApi, id: string): Promise<void> {
	const backup = await poll(c, `backup ${id} settled`, async () => cinder.findBackup(id), value => value === undefined || settledBackup.has(value.status));
	if (!backup) {
		return;
	}

	await cinder.deleteBackup(id).catch(ignoreNotFound);
	await waitBackupGone(c, cinder, id);
}

export async function removeImage(c: Context, glance: GlanceApi, id: string): Promise<void> {
	await poll(c, `image ${id} settled`, async () => glance.findImage(id), value => value === undefined || !['saving', 'uploading', 'importing'].includes(value.status));
	await glance.deleteImage(id).catch(ignoreNotFound);
}

/**
Registers one contract test, run on the suite's target (see registerContractSuite).
*/
/**
`knownOn`: targets known to disagree with the real cloud (suite.ts); `onlyOn`: the only targets that can run the test
(it needs a hook such as `alterBackupData`); on the others it is not registered.
*/
export type Contract = (title: string, body: (t: ExecutionContext, c: Context) => Promise<void>, options?: {knownOn?: string[]; onlyOn?: string[]}) => void;

/**
A small raw image with a mebibyte of random data, active; removed by the test's teardown.
*/
export async function bootableImage(t: ExecutionContext, c: Context, name: string): Promise<Image> {
	const {glance} = services(c.member);
	const bytes = randomBytes(1024 * 1024);
	const image = await glance.createImage({name, diskFormat: 'raw', containerFormat: 'bare'});
	t.teardown(async () => removeImage(c, glance, image.id));
	await glance.uploadImageData(image.id, (async function * () {
		yield bytes;
	})(), {size: bytes.length});
	return waitImage(c, glance, image.id, ['active']);
}

/**
A server booted as the member (the target's own maker, or Nova's API); removed by the test's teardown.
*/
export async function makeServer(t: ExecutionContext, c: Context, request: Omit<ServerRequest, 'projectId' | 'userId'>): Promise<string> {
	const maker = c.cloud.servers ?? await novaServers(c);
	const {projectId, userId} = c.member.identity.token();
	const id = await maker.create({...request, projectId, userId});
	t.teardown(async () => maker.remove(id));
	return id;
}
