/*
The contract suite against the embedded demo cloud (fast: statuses advance at 1/100 of their real delays).
The member user has two projects on both clouds (the `empty` seed's `demo` and `sandbox`); a `demo-sandbox` cloud for
the second one is written next to the demo's clouds.yaml.
*/
import {randomUUID} from 'node:crypto';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import test from 'ava';
import {parse, stringify} from 'yaml';
import {startDemoCloud, type DemoCloud} from '../../source/demo-cloud/index.js';
import {registerContractSuite, type ServerMaker} from './suite.js';

type CloudsFile = {clouds: Record<string, {auth: Record<string, unknown>}>};

const projectNameKey = 'project_name';

registerContractSuite(test, {
	name: 'demo',
	async start() {
		// A restore takes a second (not 20 ms): long enough for the kill tests to catch one under way, on a busy machine too.
		const cloud = await startDemoCloud({seed: 'empty', timeScale: 0.01, delays: {restore: 100_000}});
		const directory = await mkdtemp(path.join(tmpdir(), 'bs-contract-demo-'));
		if (!cloud.users['demo']?.roles['sandbox']) {
			throw new Error('the empty seed gives user demo no second project sandbox');
		}

		// As on the real cloud, the admin has a role in its own project only (the fleet audit's Barbican depends on it).
		for (const project of ['demo', 'sandbox']) {
			cloud.state.assignments.get(cloud.projects[project]?.id ?? '')?.delete(cloud.users['admin']?.id ?? '');
		}

		const clouds = parse(cloud.cloudsYaml()) as CloudsFile;
		const first = clouds.clouds['demo'];
		if (!first) {
			throw new Error('the demo clouds.yaml has no cloud demo');
		}

		clouds.clouds['demo-sandbox'] = {...first, auth: {...first.auth, [projectNameKey]: 'sandbox'}};
		const cloudsFile = path.join(directory, 'clouds.yaml');
		await writeFile(cloudsFile, stringify(clouds), {mode: 0o600});
		return {
			cloudsFile,
			admin: 'demo-admin',
			member: 'demo',
			member2: 'demo-sandbox',
			servers: stateServers(cloud),
			async alterBackupData(id) {
				cloud.state.alterBackupData(id);
			},
			async close() {
				await cloud.close();
				await rm(directory, {recursive: true, force: true});
			},
		};
	},
	pollMs: 20,
	waitMs: 20_000,
	testTimeoutMs: 60_000,
});

/**
Servers written into the demo cloud's state, ACTIVE at once, volumes attached as Nova would (in-use, an attachment each;
a boot volume first as /dev/vda). (Its POST /servers boots them too, with a delay, for backstack's own restores.)
*/
function stateServers(cloud: DemoCloud): ServerMaker {
	const {state} = cloud;
	return {
		async create(request) {
			const now = Date.now();
			const id = randomUUID();
			const isBootFromVolume = request.bootVolumeId !== undefined;
			const volumes = [...(isBootFromVolume ? [request.bootVolumeId] : []), ...request.attachVolumeIds];
			state.servers.set(id, {
				id,
				projectId: request.projectId,
				userId: request.userId,
				name: request.name,
				status: 'ACTIVE',
				vmState: 'active',
				taskState: null,
				imageId: request.imageId ?? '',
				flavorId: '1',
				availabilityZone: 'nova',
				metadata: request.metadata ?? {},
				volumesAttached: volumes.map(volumeId => ({id: volumeId ?? '', deleteOnTermination: false})),
				createdAt: now,
				updatedAt: now,
				launchedAt: now,
			});
			for (const [index, volumeId] of volumes.entries()) {
				const volume = state.volumes.get(volumeId ?? '');
				if (!volume) {
					throw new Error(`no volume ${volumeId ?? ''} in the demo cloud`);
				}

				volume.status = 'in-use';
				volume.attachments.push({
					serverId: id, attachmentId: randomUUID(), device: `/dev/vd${String.fromCodePoint(97 + index + (isBootFromVolume ? 0 : 1))}`, attachedAt: now,
				});
			}

			return id;
		},
		async remove(id) {
			const server = state.servers.get(id);
			state.servers.delete(id);
			for (const {id: volumeId} of server?.volumesAttached ?? []) {
				const volume = state.volumes.get(volumeId);
				if (!volume) {
					continue;
				}

				volume.attachments = volume.attachments.filter(attachment => attachment.serverId !== id);
				volume.status = volume.attachments.length > 0 ? 'in-use' : 'available';
			}
		},
	};
}
