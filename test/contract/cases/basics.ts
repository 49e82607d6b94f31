/*
Contracts: auth, discovery, projects, errors, volumes and snapshots.
*/
import {randomBytes} from 'node:crypto';
import {isNotFound, openSession} from '../../../source/openstack/index.js';
import {collect} from '../../helpers/collect.js';
import {
	configFor,
	services,
	compareVersions,
	ids,
	statusOf,
	serviceMessageOf,
	findSnapshot,
	removeSnapshot,
	poll,
	waitVolume,
	waitVolumeGone,
	makeVolume,
	removeVolume,
	type Contract,
} from '../kit.js';

export function registerBasics(contract: Contract): void {
	contract('auth gives a project-scoped token with roles and a catalog of every service', async (t, c) => {
		const token = c.member.identity.token();
		t.truthy(token.projectId);
		t.truthy(token.userId);
		t.true(token.roles.includes('member'), `roles: ${token.roles.join(', ')}`);
		t.true(token.roles.includes('creator'), 'Barbican\'s legacy policy needs creator');
		t.true(Date.parse(token.expiresAt) > Date.now());
		const types = new Set(c.member.identity.catalog().map(endpoint => endpoint.serviceType));
		for (const type of ['identity', 'image', 'key-manager']) {
			t.true(types.has(type), `catalog lacks ${type}`);
		}

		t.true(types.has('block-storage') || types.has('volumev3'), 'catalog lacks block storage');
		const statuses = c.member.services();
		for (const service of ['identity', 'cinder', 'glance', 'barbican'] as const) {
			t.is(statuses[service].state, 'ok', `${service}: ${JSON.stringify(statuses[service])}`);
		}

		t.truthy(c.member.cinder);
		t.truthy(c.member.glance);
		t.truthy(c.member.barbican);
	});

	contract('microversion discovery finds Cinder 3.x with at least 3.64', async (t, c) => {
		const {cinder} = services(c.member);
		t.is(cinder.microversion.min, '3.0');
		t.true(compareVersions(cinder.microversion.max, '3.64') >= 0, `max ${cinder.microversion.max}`);
		const status = c.member.services().cinder;
		t.is(status.state, 'ok');
		if (status.state === 'ok') {
			t.deepEqual(status.microversion, cinder.microversion);
		}
	});

	contract('the member sees two projects and can switch to the other one', async (t, c) => {
		const projects = await c.member.identity.listProjects();
		const own = c.member.identity.token().projectId;
		const other = c.member2.identity.token().projectId;
		t.not(own, other);
		t.deepEqual(ids(projects), [own, other].toSorted());
		const switched = await c.member.switchProject(other);
		t.teardown(() => {
			switched.close();
		});
		t.is(switched.identity.token().projectId, other);
		t.is(switched.identity.token().userId, c.member.identity.token().userId);
		// The switched session's Cinder works on the other project.
		const name = `bs-contract-${c.run}-switch`;
		const volume = await makeVolume(t, c, services(switched).cinder, {size: 1, name});
		const visibleThere = await collect(services(switched).cinder.listVolumes());
		const visibleHere = await collect(services(c.member).cinder.listVolumes());
		t.true(visibleThere.some(item => item.id === volume.id));
		t.false(visibleHere.some(item => item.id === volume.id));
	});

	contract('errors carry each service\'s own message and status, never the password', async (t, c) => {
		const missing = '00000000-0000-4000-8000-000000000000';
		const memberConfig = await configFor(c.cloud, c.scratch, c.cloud.member);
		const wrongPassword = `bs-contract-wrong-${randomBytes(8).toString('hex')}`;
		const denied = await t.throwsAsync(openSession({...memberConfig, auth: {...memberConfig.auth, password: wrongPassword}}));
		t.is(statusOf(denied), 401);
		t.false(denied?.message.includes(wrongPassword), 'the password is not in the message');
		t.regex(denied?.message, /requires authentication/v);

		const {cinder, glance, barbican} = services(c.member);
		const noVolume = await t.throwsAsync(cinder.getVolume(missing));
		t.is(statusOf(noVolume), 404);
		t.is(serviceMessageOf(noVolume), `Volume ${missing} could not be found.`);
		const badSize = await t.throwsAsync(cinder.createVolume({size: 0, name: `bs-contract-${c.run}-size0`}));
		t.is(statusOf(badSize), 400);
		t.regex(serviceMessageOf(badSize) ?? '', /size/v);
		const noBackupVolume = await t.throwsAsync(cinder.createBackup({volumeId: missing, name: `bs-contract-${c.run}-nothing`}));
		t.is(statusOf(noBackupVolume), 404);
		const noImage = await t.throwsAsync(glance.getImage(missing));
		t.is(statusOf(noImage), 404);
		t.regex(serviceMessageOf(noImage) ?? '', new RegExp(`No image found with ID ${missing}`, 'v'));
		t.is(await glance.findImage(missing), undefined);
		const noSecret = await t.throwsAsync(barbican.getSecret(missing));
		t.is(statusOf(noSecret), 404);
		t.is(serviceMessageOf(noSecret), 'Secret not found.');
	});

	contract('a snapshot of a volume is created, listed and deleted', async (t, c) => {
		const {cinder} = services(c.member);
		const volume = await makeVolume(t, c, cinder, {size: 1, name: `bs-contract-${c.run}-snap-src`});
		const name = `bs-contract-${c.run}-snap`;
		const created = await cinder.createSnapshot({volumeId: volume.id, name});
		let isDeleted = false;
		t.teardown(async () => {
			if (!isDeleted) {
				await removeSnapshot(c, cinder, created.id);
			}
		});
		const snapshot = await poll(c, `snapshot ${created.id} available`, async () => cinder.getSnapshot(created.id), value => value.status === 'available' || value.status.startsWith('error'));
		t.is(snapshot.status, 'available');
		t.is(snapshot.volumeId, volume.id);
		t.is(snapshot.size, 1);
		t.is(snapshot.name, name);
		const listed = await collect(cinder.listSnapshots());
		t.true(listed.some(item => item.id === snapshot.id));
		const blocked = await t.throwsAsync(cinder.deleteVolume(volume.id));
		t.is(statusOf(blocked), 400, 'a volume with snapshots cannot be deleted');
		await cinder.deleteSnapshot(snapshot.id);
		await poll(c, `snapshot ${snapshot.id} deleted`, async () => findSnapshot(cinder, snapshot.id), value => value === undefined);
		isDeleted = true;
	});

	contract('a volume is created, becomes available, and is deleted', async (t, c) => {
		const {cinder} = services(c.member);
		const name = `bs-contract-${c.run}-plain`;
		const created = await cinder.createVolume({size: 1, name, metadata: {purpose: 'contract'}});
		let isDeleted = false;
		t.teardown(async () => {
			if (!isDeleted) {
				await removeVolume(c, cinder, created.id);
			}
		});
		t.is(created.name, name);
		t.is(created.size, 1);
		const volume = await waitVolume(c, cinder, created.id, ['available']);
		t.false(volume.encrypted);
		t.is(volume.encryptionKeyId, undefined);
		t.is(volume.metadata['purpose'], 'contract');
		t.truthy(volume.volumeType);
		t.truthy(volume.volumeTypeId);
		t.true(volume.createdAt.endsWith('Z'), `createdAt ${volume.createdAt}`);
		await cinder.deleteVolume(volume.id);
		await waitVolumeGone(c, cinder, volume.id);
		isDeleted = true;
		t.is(await cinder.findVolume(volume.id), undefined);
		const error = await t.throwsAsync(cinder.getVolume(volume.id));
		t.true(isNotFound(error));
	});
}
