/* eslint-disable @typescript-eslint/naming-convention -- OpenStack's wire format is snake_case. */
/*
The "story" seed: three projects whose data is protected, stale or unprotected in every way backstack explains —
encrypted backups of a non-default type, a backup whose volume is gone, one whose key is gone, one whose type is gone,
snapshot-only volumes, server snapshots that are real and ones that are 0-byte pointers, images carrying Cinder keys,
and keys nobody uses any more. Every timestamp is relative to now.
*/
import {Buffer} from 'node:buffer';
import {uuid} from './http.js';
import type {Base} from './base-seed.js';
import type {Identity} from './identity-seed.js';
import {luksEncrypt, luksPassphrase} from './luks.js';
import {
	deterministicBytes,
	deviceName,
	type BackupRecord,
	type DemoState,
	type ServerRecord,
	type VolumeRecord,
} from './state.js';

const day = 86_400_000;
const hour = 3_600_000;

export const storyProjects = [
	{name: 'analytics', description: 'Data warehouse and reporting'},
	{name: 'ci-runners', description: 'Build and test infrastructure'},
];

type Seeder = {
	volume(name: string, fields: {size: number; ageDays: number; type?: string; status?: string; bootable?: boolean; description?: string}): VolumeRecord;
	backup(volume: VolumeRecord, name: string, ageDays: number, fields?: Partial<BackupRecord>): BackupRecord;
	snapshot(volume: VolumeRecord, name: string, ageDays: number): string;
	server(name: string, fields: {ageDays: number; imageId?: string; volumes?: VolumeRecord[]; flavorId?: string}): ServerRecord;
};

export function seedStory(state: DemoState, identity: Identity, base: NonNullable<Base>): void {
	const now = state.now();
	const ago = (days: number): number => now - Math.round(days * day);
	const demoUser = identity.users['demo']?.id ?? '';
	const typeId = (name: string | undefined): string => (name === undefined ? state.defaultTypeId : state.findVolumeType(name)?.id ?? state.defaultTypeId);

	state.addVolumeType({name: 'ssd-fast', description: 'NVMe-backed, not encrypted', extraSpecs: {volume_backend_name: 'nvme'}}, ago(250));
	const legacy = state.addVolumeType({
		name: 'LUKS-2023', description: 'Retired encrypted type', encryption: {
			provider: 'luks', cipher: 'aes-xts-plain64', keySize: 512, controlLocation: 'front-end',
		},
	}, ago(700));

	const seederFor = (projectId: string): Seeder => ({
		volume(name, fields) {
			const at = ago(fields.ageDays);
			return state.addVolume({
				projectId,
				userId: demoUser,
				name,
				description: fields.description ?? null,
				size: fields.size,
				typeId: fields.type === 'LUKS-2023' ? legacy.id : typeId(fields.type),
				status: fields.status ?? 'available',
				bootable: fields.bootable ?? false,
				createdAt: at,
				updatedAt: at + 30_000,
			}, at);
		},
		backup(volume, name, ageDays, fields = {}) {
			const at = ago(ageDays);
			return state.addBackup(volume, {
				userId: demoUser, name, createdAt: at, updatedAt: at + 120_000, dataTimestamp: at, ...fields,
			}, at);
		},
		snapshot(volume, name, ageDays) {
			const at = ago(ageDays);
			const id = uuid();
			state.snapshots.set(id, {
				id, projectId, userId: demoUser, name, description: null, status: 'available', size: volume.size, volumeId: volume.id, metadata: {}, createdAt: at, updatedAt: at + 10_000,
			});
			return id;
		},
		server(name, fields) {
			const at = ago(fields.ageDays);
			const server: ServerRecord = {
				id: uuid(),
				projectId,
				userId: demoUser,
				name,
				status: 'ACTIVE',
				vmState: 'active',
				taskState: null,
				imageId: fields.imageId ?? '',
				flavorId: fields.flavorId ?? '3',
				availabilityZone: 'nova',
				metadata: {},
				volumesAttached: [],
				createdAt: at,
				updatedAt: at + 60_000,
				launchedAt: at + 40_000,
			};
			for (const [index, volume] of (fields.volumes ?? []).entries()) {
				volume.status = 'in-use';
				volume.attachments.push({
					serverId: server.id, attachmentId: uuid(), device: deviceName(index, server.imageId === ''), attachedAt: at,
				});
				server.volumesAttached.push({id: volume.id, deleteOnTermination: false});
			}

			state.servers.set(server.id, server);
			return server;
		},
	});

	const demo = identity.projects['demo']?.id ?? '';
	const analytics = identity.projects['analytics']?.id ?? '';
	const ci = identity.projects['ci-runners']?.id ?? '';

	// Project demo: the web shop.
	const shop = seederFor(demo);
	const dbRoot = shop.volume('shop-db-01-root', {
		size: 20, ageDays: 180, bootable: true, description: 'Root disk of shop-db-01',
	});
	const dbData = shop.volume('shop-db-data', {
		size: 100, ageDays: 180, type: 'LUKS', description: 'PostgreSQL data (encrypted)',
	});
	const dbFull = shop.backup(dbData, 'shop-db-data-weekly-full', 6, {description: 'Weekly full backup'});
	shop.backup(dbData, 'shop-db-data-daily-incr', 0.5, {parentId: dbFull.id, objectCount: 12, description: 'Daily incremental'});
	shop.server('shop-db-01', {ageDays: 180, volumes: [dbRoot, dbData]});

	const webStatic = shop.volume('shop-web-static', {size: 20, ageDays: 120});
	shop.backup(webStatic, 'shop-web-static-2d', 2);
	const uploads = shop.volume('shop-uploads', {
		size: 50, ageDays: 300, type: 'ssd-fast', description: 'Customer uploads',
	});
	shop.backup(uploads, 'shop-uploads-before-migration', 95);
	shop.volume('shop-redis-aof', {size: 10, ageDays: 60, description: 'Redis append-only file'});
	const search = shop.volume('shop-search-index', {size: 30, ageDays: 90});
	shop.snapshot(search, 'shop-search-index-snap', 3);

	const web = shop.server('shop-web-01', {ageDays: 150, imageId: base.debianImageId, flavorId: '2'});
	state.addImage({
		owner: demo,
		name: 'shop-web-01-nightly',
		diskFormat: 'qcow2',
		containerFormat: 'bare',
		minDisk: 20,
		minRam: 2048,
		properties: {
			os_distro: 'debian', os_version: '12', image_type: 'snapshot', instance_uuid: web.id, user_id: demoUser, base_image_ref: base.debianImageId,
			owner_project_name: 'demo', owner_user_name: 'demo', boot_roles: 'member,reader,creator', image_location: 'snapshot', image_state: 'available', owner_id: demo,
		},
		data: deterministicBytes(`root-disk-${web.id}`, 32 * 1024),
		createdAt: now - (20 * hour),
		updatedAt: now - (20 * hour),
	}, now - (20 * hour));
	state.addImage({
		owner: demo,
		name: 'shop-web-01-rescue',
		diskFormat: 'qcow2',
		containerFormat: 'bare',
		hidden: true,
		properties: {image_type: 'snapshot', instance_uuid: web.id, base_image_ref: base.debianImageId},
		data: deterministicBytes(`rescue-${web.id}`, 16 * 1024),
		createdAt: ago(40),
		updatedAt: ago(40),
	}, ago(40));

	// The boot-from-volume server's "backup": a 0-byte image pointing at Cinder snapshots on the same backend.
	const bdmSnapshots = [dbRoot, dbData].map((volume, index) => ({
		source_type: 'snapshot',
		destination_type: 'volume',
		snapshot_id: shop.snapshot(volume, 'snapshot for shop-db-01-before-upgrade', 12),
		volume_size: volume.size,
		boot_index: index === 0 ? 0 : null,
		delete_on_termination: false,
		device_name: index === 0 ? '/dev/vda' : '/dev/vdb',
		disk_bus: 'virtio',
		device_type: 'disk',
		guest_format: null,
		image_id: null,
		no_device: null,
		tag: null,
		volume_id: null,
		volume_type: null,
	}));
	state.addImage({
		owner: demo,
		name: 'shop-db-01-before-upgrade',
		diskFormat: 'raw',
		containerFormat: 'bare',
		properties: {bdm_v2: 'True', root_device_name: '/dev/vda', block_device_mapping: JSON.stringify(bdmSnapshots)},
		data: Buffer.alloc(0),
		createdAt: ago(12),
		updatedAt: ago(12),
	}, ago(12));

	// An image uploaded from the encrypted volume: it carries its own clone of the key, and the volume's data as a LUKS
	// container that clone opens.
	const exportKey = state.cloneSecret(dbData.encryptionKeyId, demo, demoUser, ago(30));
	state.addImage({
		owner: demo,
		name: 'shop-db-data-export',
		diskFormat: 'raw',
		containerFormat: 'bare',
		properties: {cinder_encryption_key_id: exportKey?.id ?? '', cinder_encryption_key_deletion_policy: 'on_image_deletion'},
		data: exportKey?.payload ? luksEncrypt(state.contentOf(dbData), luksPassphrase(exportKey.payload)) : deterministicBytes(`export-${dbData.id}`, 24 * 1024),
		createdAt: ago(30),
		updatedAt: ago(30),
	}, ago(30));

	// An encrypted backup whose source volume was deleted afterwards (the backup keeps its own key).
	const payments = shop.volume('payments-db', {size: 40, ageDays: 400, type: 'LUKS'});
	shop.backup(payments, 'payments-db-final', 45, {description: 'Last backup before decommissioning'});
	state.volumes.delete(payments.id);
	state.deleteSecret(payments.encryptionKeyId);

	// An encrypted backup whose key was deleted from Barbican: unrecoverable.
	const legal = shop.volume('legal-archive', {size: 5, ageDays: 500, type: 'LUKS'});
	const legalBackup = shop.backup(legal, 'legal-archive-2026-q2', 140);
	state.deleteSecret(legalBackup.encryptionKeyId);
	shop.backup(legal, 'legal-archive-2026-q3', 50, {parentId: legalBackup.id});

	// An encrypted backup whose volume type was deleted: no volume of the source type can be created any more.
	const crm = shop.volume('crm-db', {size: 20, ageDays: 650, type: 'LUKS-2023'});
	// Made by backstack, so its metadata names the source type: the audit can tell that type is gone.
	shop.backup(crm, 'crm-db-final', 200, {
		description: 'Before moving CRM to SaaS',
		metadata: {
			backstack_source_type_name: 'LUKS-2023', backstack_source_type_id: legacy.id, backstack_encrypted: 'true', backstack_size: '20', backstack_version: '0.1.0',
		},
	});
	state.volumes.delete(crm.id);
	state.deleteSecret(crm.encryptionKeyId);
	legacy.deleted = true;

	// Keys nobody references any more, and a secret the user stored.
	for (const age of [220, 90]) {
		state.addSecret({
			projectId: demo, creatorId: demoUser, secretType: 'symmetric', algorithm: 'aes', bitLength: 256, payload: deterministicBytes(`orphan-${age}`, 32), contentType: 'application/octet-stream',
		}, ago(age));
	}

	state.addSecret({
		projectId: demo, creatorId: demoUser, name: 'shop-tls-private-key', secretType: 'private', payload: Buffer.from(deterministicBytes('tls', 48).toString('base64')), contentType: 'text/plain',
	}, ago(70));

	// Project analytics: a stale encrypted warehouse, scratch space without backups, and a failed restore.
	const lab = seederFor(analytics);
	const warehouse = lab.volume('warehouse-pg-data', {size: 200, ageDays: 260, type: 'LUKS'});
	const warehouseBackup = lab.backup(warehouse, 'warehouse-pg-data-full', 40);
	lab.volume('etl-scratch', {size: 50, ageDays: 30});
	const reports = lab.volume('reports-archive', {size: 10, ageDays: 200});
	lab.backup(reports, 'reports-archive-3d', 3);
	const failed = lab.volume('warehouse-restore-test', {
		size: 200, ageDays: 5, status: 'error_restoring', description: 'auto-created_from_restore_from_backup',
	});
	failed.metadata = {};
	state.addMessage(analytics, {
		eventId: 'VOLUME_VOLUME_BACKUP_015_026', userMessage: 'restore backup:Backup driver failed to restore backup.',
		resourceType: 'VOLUME_BACKUP', resourceUuid: warehouseBackup.id, requestId: `req-${uuid()}`,
	}).createdAt = ago(5);
	lab.server('etl-worker-01', {ageDays: 90, imageId: base.ubuntuImageId, flavorId: '4'});

	// Project ci-runners: big caches nobody backs up, one stale artifact store, an orphaned key.
	const runners = seederFor(ci);
	runners.volume('runner-cache-01', {size: 100, ageDays: 80, type: 'ssd-fast'});
	runners.volume('runner-cache-02', {size: 100, ageDays: 80, type: 'ssd-fast'});
	const artifacts = runners.volume('artifact-store', {size: 500, ageDays: 330});
	runners.backup(artifacts, 'artifact-store-monthly', 31);
	runners.server('ci-runner-01', {ageDays: 60, imageId: base.ubuntuImageId, flavorId: '3'});
	state.addSecret({
		projectId: ci, creatorId: demoUser, secretType: 'symmetric', algorithm: 'aes', bitLength: 256, payload: deterministicBytes('ci-orphan', 32), contentType: 'application/octet-stream',
	}, ago(120));
}
