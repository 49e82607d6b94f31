/* eslint-disable @typescript-eslint/naming-convention -- response bodies are OpenStack's snake_case JSON */
/*
One project's worth of user data served by the fake cloud (test/helpers/fake-cloud.ts) from recorded Zed bodies: the real
client reads it, the inventory code under test sees what it would see from a cloud.
*/
import {setTimeout as delay} from 'node:timers/promises';
import {openSession} from '../../source/openstack/session.js';
import {
	createFakeCloud,
	fixture,
	type FakeCloud,
	type FakeCloudOptions,
} from '../helpers/fake-cloud.js';
import type {RecordedRequest, Reply} from '../helpers/http-server.js';

export const volumeBody = fixture<{volume: Record<string, unknown>}>('cinder-volume.json').volume;
export const backupBody = fixture<{backup: Record<string, unknown>}>('cinder-backup.json').backup;
export const imageBody = fixture('glance-image.json');
export const secretBody = fixture('barbican-secret.json');

export const volumeKey = String(volumeBody['encryption_key_id']);
export const backupKey = String(backupBody['encryption_key_id']);
export const imageKey = String(imageBody['cinder_encryption_key_id']);

export const snapshotBody = {
	id: 'snap-1',
	name: 'before-upgrade',
	status: 'available',
	size: 1,
	volume_id: volumeBody['id'],
	metadata: {},
	created_at: '2026-11-23T11:51:00.000000',
};

const typeBody = {
	id: volumeBody['volume_type_id'], name: volumeBody['volume_type'], is_public: true, extra_specs: {},
};

export const serverBody = {
	id: 'srv-1',
	name: 'web',
	status: 'ACTIVE',
	image: {id: 'img-base'},
	flavor: {id: '1'},
	'os-extended-volumes:volumes_attached': [],
	created: '2026-11-23T11:40:00Z',
	metadata: {},
};

type Routes = {
	/**
	Milliseconds every list answer waits, to see the lists overlap.
	*/
	wait?: number;
	/**
	List answers are held until this many list requests are in flight at once (then all go, and later ones at once),
	or until `wait` ms passed: proves that lists are read in parallel without timing anything.
	*/
	barrier?: number;
	overrides?: Record<string, Reply>;
};

export function serve(cloud: FakeCloud, routes: Routes = {}) {
	let inFlight = 0;
	let peak = 0;
	let release: () => void = () => undefined;
	// eslint-disable-next-line unicorn/prefer-promise-with-resolvers -- the compiler's lib (ES2023) has no withResolvers
	const barrier = new Promise<void>(resolve => {
		release = resolve;
	});
	const list = (path: string, body: Record<string, unknown>) => {
		cloud.route('GET', path, async (request: RecordedRequest) => {
			inFlight++;
			peak = Math.max(peak, inFlight);
			if (routes.barrier !== undefined && peak >= routes.barrier) {
				release();
			}

			await (routes.barrier === undefined ? delay(routes.wait ?? 0) : Promise.race([barrier, delay(routes.wait ?? 0)]));
			inFlight--;
			const override = routes.overrides?.[path];
			if (override) {
				return override;
			}

			if (path.endsWith('/images')) {
				// Glance: visible images by default, only hidden ones with os_hidden=true.
				const isHidden = request.query.get('os_hidden') === 'true';
				const image = isHidden ? {...imageBody, id: 'img-hidden', os_hidden: true} : imageBody;
				return {json: {images: [image]}};
			}

			return {json: body};
		});
	};

	const base = `/volume/v3/${cloud.projectId}`;
	list(`${base}/volumes/detail`, {volumes: [volumeBody]});
	list(`${base}/backups/detail`, {backups: [backupBody]});
	list(`${base}/snapshots/detail`, {snapshots: [snapshotBody]});
	list(`${base}/types`, {volume_types: [typeBody]});
	list('/image/v2/images', {});
	list('/compute/v2.1/servers/detail', {servers: [serverBody]});
	list('/key-manager/v1/secrets', {secrets: [secretBody], total: 1});
	return {peak: () => peak};
}

export async function open(t: Parameters<typeof createFakeCloud>[0], options: FakeCloudOptions = {}) {
	const cloud = await createFakeCloud(t, options);
	const session = await openSession(cloud.config);
	t.teardown(() => {
		session.close();
	});
	return {cloud, session};
}

