/*
Hand-built inventories for the rule tests: every field a rule reads, nothing a rule does not need.
*/
import type {
	Backup,
	Image,
	Secret,
	Server,
	Snapshot,
	Volume,
	VolumeType,
} from '../../source/openstack/types.js';
import type {Inventory} from '../../source/core/model.js';
import {drillMetadata, type DrillResult} from '../../source/core/drills.js';

export const now = new Date('2026-11-23T12:00:00Z');
export const projectId = 'p-1';

/**
ISO time `hours` before `now`.
*/
export function hoursAgo(hours: number): string {
	return new Date(now.getTime() - (hours * 3_600_000)).toISOString();
}

export function volume(fields: Partial<Volume> & {id: string}): Volume {
	return {
		name: fields.id,
		status: 'available',
		size: 1,
		volumeType: '__DEFAULT__',
		volumeTypeId: 'type-default',
		encrypted: false,
		bootable: false,
		attachments: [],
		metadata: {},
		createdAt: hoursAgo(1000),
		raw: {},
		...fields,
	};
}

export function backup(fields: Partial<Backup> & {id: string; volumeId: string}): Backup {
	return {
		name: fields.id,
		status: 'available',
		size: 1,
		isIncremental: false,
		hasDependentBackups: false,
		metadata: {},
		createdAt: hoursAgo(2),
		raw: {},
		...fields,
	};
}

export function snapshot(fields: Partial<Snapshot> & {id: string; volumeId: string}): Snapshot {
	return {
		name: fields.id,
		status: 'available',
		size: 1,
		metadata: {},
		createdAt: hoursAgo(2),
		raw: {},
		...fields,
	};
}

export function server(fields: Partial<Server> & {id: string}): Server {
	return {
		name: fields.id,
		status: 'ACTIVE',
		imageId: 'img-base',
		bootFromVolume: false,
		attachedVolumeIds: [],
		flavor: {},
		createdAt: hoursAgo(1000),
		metadata: {},
		raw: {},
		...fields,
	};
}

export function image(fields: Partial<Image> & {id: string}): Image {
	return {
		name: fields.id,
		status: 'active',
		visibility: 'private',
		owner: projectId,
		size: 1024,
		hidden: false,
		protected: false,
		createdAt: hoursAgo(2),
		properties: {},
		raw: {},
		...fields,
	};
}

export function secret(id: string, fields: Partial<Secret> = {}): Secret {
	return {
		id,
		status: 'ACTIVE',
		secretType: 'symmetric',
		algorithm: 'aes',
		bitLength: 256,
		createdAt: hoursAgo(1000),
		raw: {},
		...fields,
	};
}

export function volumeType(id: string, name: string): VolumeType {
	return {
		id, name, isPublic: true, extraSpecs: {}, raw: {},
	};
}

/**
An inventory where every service answered, with the default type, no resources and an empty Barbican.
*/
export function inventory(fields: Partial<Inventory> = {}): Inventory {
	return {
		cloud: 'test',
		project: {id: projectId, name: 'demo', enabled: true},
		readAt: now.toISOString(),
		sources: {
			identity: {state: 'ok'},
			cinder: {state: 'ok'},
			glance: {state: 'ok'},
			nova: {state: 'ok'},
			barbican: {state: 'ok'},
		},
		volumes: [],
		backups: [],
		snapshots: [],
		servers: [],
		images: [],
		secrets: [],
		volumeTypes: [volumeType('type-default', '__DEFAULT__'), volumeType('type-luks', 'LUKS')],
		...fields,
	};
}

/**
ISO time `days` before `now`.
*/
export function daysAgo(days: number): string {
	return hoursAgo(days * 24);
}

/**
The metadata a restore drill leaves on its backup (what `backstack drill` writes), ended `days` before `now`.
*/
export function drilledMetadata(days: number, result: DrillResult, reason?: string): Record<string, string> {
	return drillMetadata({at: daysAgo(days), result, ...(reason !== undefined && {reason})});
}
