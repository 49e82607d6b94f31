/* eslint-disable @typescript-eslint/naming-convention -- OpenStack's wire format is snake_case. */
/*
What every seed has besides identity: flavors, the public base images and the encrypted volume type `LUKS`.
*/
import {deterministicBytes, type DemoState, type VolumeTypeRecord} from './state.js';
import type {Identity} from './identity-seed.js';

export type Base = {debianImageId: string; ubuntuImageId: string; luksType: VolumeTypeRecord} | undefined;

const day = 86_400_000;

/**
Flavors always; the images and the `LUKS` type unless `isEmpty`.
*/
export function seedBase(state: DemoState, identity: Identity, isEmpty: boolean): Base {
	for (const flavor of [
		{
			id: '1', name: 'm1.tiny', vcpus: 1, ram: 512, disk: 1,
		},
		{
			id: '2', name: 'm1.small', vcpus: 1, ram: 2048, disk: 20,
		},
		{
			id: '3', name: 'm1.medium', vcpus: 2, ram: 4096, disk: 40,
		},
		{
			id: '4', name: 'm1.large', vcpus: 4, ram: 8192, disk: 80,
		},
	]) {
		state.flavors.set(flavor.id, {...flavor, ephemeral: 0, swap: 0});
	}

	if (isEmpty) {
		return undefined;
	}

	const adminProject = identity.projects['admin']?.id ?? '';
	const now = state.now();
	const debian = state.addImage({
		owner: adminProject,
		name: 'Debian 12 (bookworm)',
		visibility: 'public',
		diskFormat: 'qcow2',
		containerFormat: 'bare',
		minDisk: 2,
		properties: {os_distro: 'debian', os_version: '12', hw_disk_bus: 'virtio'},
		data: deterministicBytes('debian-12', 64 * 1024),
		createdAt: now - (200 * day),
		updatedAt: now - (200 * day),
	}, now - (200 * day));
	const ubuntu = state.addImage({
		owner: adminProject,
		name: 'Ubuntu 24.04 LTS',
		visibility: 'public',
		diskFormat: 'qcow2',
		containerFormat: 'bare',
		minDisk: 3,
		properties: {os_distro: 'ubuntu', os_version: '24.04'},
		data: deterministicBytes('ubuntu-2404', 64 * 1024),
		createdAt: now - (150 * day),
		updatedAt: now - (150 * day),
	}, now - (150 * day));
	const luksType = state.addVolumeType({
		name: 'LUKS',
		description: 'Encrypted volumes (LUKS, AES-256-XTS)',
		encryption: {
			provider: 'luks', cipher: 'aes-xts-plain64', keySize: 256, controlLocation: 'front-end',
		},
	}, now - (300 * day));
	return {debianImageId: debian.id, ubuntuImageId: ubuntu.id, luksType};
}
