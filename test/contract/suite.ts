/*
The contract suite: what backstack relies on OpenStack to do, proved through backstack's own client.

One suite, two targets: `test/contract/demo.test.ts` (the embedded demo cloud, fast suite) and
`test/real-cloud/contract.test.ts` (the real Zed cloud of test/real-cloud/provision.sh, `npm run test:real`).
Where they disagree, the real cloud is right.

Tests are serial; everything they make is named `bs-contract-…` and removed by `t.teardown`, even when a test fails.
*/
import {Buffer} from 'node:buffer';
import {spawn, type ChildProcess} from 'node:child_process';
import {createHash, randomBytes} from 'node:crypto';
import {
	createReadStream,
	createWriteStream,
	existsSync,
	readdirSync,
} from 'node:fs';
import {mkdir, mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import process from 'node:process';
import {Readable} from 'node:stream';
import {pipeline} from 'node:stream/promises';
import {setTimeout as sleep} from 'node:timers/promises';
import {fileURLToPath} from 'node:url';
import type {ExecutionContext, TestFn} from 'ava';
import {
	isNotFound,
	isOpenStackError,
	isQuota,
	loadCloudConfig,
	openSession,
	type BackstackSession,
	type Backup,
	type BarbicanApi,
	type CinderApi,
	type CloudSession,
	type FetchFunction,
	type GlanceApi,
	type Image,
	type ResolvedCloudConfig,
	type Snapshot,
	type Volume,
} from '../../source/openstack/index.js';
import {
	type Clock,
	type CreatedResource,
	type PlanEvent,
	type Plan,
} from '../../source/core/plans/types.js';
import {planBackup, planRestore} from '../../source/core/plans/commands.js';
import {intentKey} from '../../source/core/plans/intents.js';
import {buildAuditReport, runAudit, type AuditReport} from '../../source/core/audit.js';
import {readFleet} from '../../source/core/fleet.js';
import {planVolumeBackup} from '../../source/core/plans/backup.js';
import {runPlan} from '../../source/core/plans/execute.js';
import {readJournal, type JournalRecord} from '../../source/core/plans/journal.js';
import {
	compareFile,
	plaintextOfImage,
	readBackImage,
	scenarios,
} from '../core/plans/scenarios.js';
import {collect} from '../helpers/collect.js';
import {adminCinderRequest, userRequest} from './admin-http.js';
import {fieldDifferences, realBody} from './fields.js';

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

type Context = {
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

type Services = {cinder: CinderApi; glance: GlanceApi; barbican: BarbicanApi};

/**
Statuses after which nothing more happens by itself.
*/
const settledVolume = new Set(['available', 'error', 'error_restoring', 'error_extending', 'error_deleting', 'in-use']);
const settledBackup = new Set(['available', 'error', 'error_deleting']);

export function registerContractSuite(test: TestFn, target: ContractTarget): void {
	let shared: Context | undefined;
	const context = (): Context => {
		if (!shared) {
			throw new Error('the contract cloud did not start');
		}

		return shared;
	};

	test.serial.before(async () => {
		const cloud = await target.start();
		const scratch = await mkdtemp(path.join(tmpdir(), 'bs-contract-'));
		const open = async (name: string): Promise<BackstackSession> => openSession(await configFor(cloud, scratch, name));
		shared = {
			cloud,
			scratch,
			target,
			admin: await open(cloud.admin),
			member: await open(cloud.member),
			member2: await open(cloud.member2),
			run: randomBytes(3).toString('hex'),
		};
	});

	test.after.always(async () => {
		if (!shared) {
			return;
		}

		for (const session of [shared.admin, shared.member, shared.member2]) {
			session.close();
		}

		await rm(shared.scratch, {recursive: true, force: true});
		await shared.cloud.close();
	});

	/*
	`knownOn`: targets known to disagree with the real cloud here. On those the test is registered as failing (ava's
	`test.failing`): it passes while the target still disagrees and fails once it has been fixed, to be taken off the list.
	*/
	const contract = (title: string, body: (t: ExecutionContext, c: Context) => Promise<void>, options: {knownOn?: string[]} = {}) => {
		const register = options.knownOn?.includes(target.name) ? test.serial.failing : test.serial;
		register(`${target.name}: ${title}`, async t => {
			t.timeout(target.testTimeoutMs);
			await body(t, context());
		});
	};

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

	contract('an admin makes an encrypted volume type; a member\'s volume of it has its own live key', async (t, c) => {
		const type = await makeEncryptedType(t, c, 'luks');
		const encryption = await services(c.admin).cinder.getVolumeTypeEncryption(type.id);
		t.like(encryption, {
			provider: 'luks', cipher: 'aes-xts-plain64', keySize: 256, controlLocation: 'front-end',
		});
		const {cinder, barbican} = services(c.member);
		const listed = await cinder.listVolumeTypes();
		t.true(listed.some(item => item.id === type.id), 'a public type is visible to members');
		const memberView = await cinder.getVolumeTypeEncryption(type.id).then(() => 'allowed').catch((error: unknown) => (isOpenStackError(error) ? error.status : error));
		t.is(memberView, 403, 'type encryption is admin-only');
		const volume = await makeVolume(t, c, cinder, {size: 1, name: `bs-contract-${c.run}-encrypted`, volumeType: type.name});
		t.true(volume.encrypted);
		t.is(volume.volumeType, type.name);
		t.is(volume.volumeTypeId, type.id);
		t.truthy(volume.encryptionKeyId);
		const keyId = volume.encryptionKeyId ?? '';
		const viaEncryption = await cinder.getVolumeEncryption(volume.id);
		t.is(viaEncryption.encryptionKeyId, keyId);
		const secret = await barbican.getSecret(keyId);
		t.like(secret, {
			id: keyId, status: 'ACTIVE', secretType: 'symmetric', algorithm: 'aes', bitLength: 256,
		});
		t.is(secret.creatorId, c.member.identity.token().userId);
		t.true(compareVersions(cinder.microversion.max, '3.70') >= 0, 'the client then speaks 3.70, the fixtures\' version');
		// Service_uuid: null on the real cloud for volumes made just after cinder-volume started.
		t.deepEqual(fieldDifferences(realBody('cinder-volume-encrypted-3.70', 'volume'), volume.raw, {nullable: ['service_uuid']}), [], 'volume fields as on the real cloud');
		t.deepEqual(fieldDifferences(realBody('barbican-secret'), secret.raw), [], 'secret fields as on the real cloud');
	});

	contract('full and incremental backups carry metadata and their own live keys; deleting a backup deletes its key', async (t, c) => {
		const type = await makeEncryptedType(t, c, 'bk');
		const {cinder, barbican} = services(c.member);
		const volume = await makeVolume(t, c, cinder, {size: 1, name: `bs-contract-${c.run}-bk-src`, volumeType: type.name});
		const metadata = {'backstack:source-type': type.name, 'backstack:source-type-id': type.id};
		const full = await makeBackup(t, c, cinder, {volumeId: volume.id, name: `bs-contract-${c.run}-full`, metadata});
		const incremental = await makeBackup(t, c, cinder, {
			volumeId: volume.id, name: `bs-contract-${c.run}-incr`, incremental: true, metadata,
		});
		const fullNow = await cinder.getBackup(full.id);
		t.false(fullNow.isIncremental);
		t.true(fullNow.hasDependentBackups);
		t.true(incremental.isIncremental);
		t.false(incremental.hasDependentBackups);
		t.deepEqual(fullNow.metadata, metadata);
		t.deepEqual(incremental.metadata, metadata);
		t.deepEqual(fieldDifferences(realBody('cinder-backup-encrypted-incremental-3.70', 'backup'), incremental.raw), [], 'backup fields as on the real cloud');
		t.is(fullNow.volumeId, volume.id);
		t.is(fullNow.size, 1);
		const keys = [volume.encryptionKeyId, fullNow.encryptionKeyId, incremental.encryptionKeyId];
		t.true(keys.every(key => typeof key === 'string' && key !== ''), `keys ${JSON.stringify(keys)}`);
		t.is(new Set(keys).size, 3, 'every backup gets its own clone of the key');
		for (const key of keys) {
			// eslint-disable-next-line no-await-in-loop
			const secret = await barbican.findSecret(key ?? '');
			t.is(secret?.status, 'ACTIVE', `key ${key} is live`);
		}

		const listed = await collect(cinder.listBackups());
		t.true(listed.some(item => item.id === full.id && item.encryptionKeyId === fullNow.encryptionKeyId));
		const refused = await t.throwsAsync(cinder.deleteBackup(full.id));
		t.is(isOpenStackError(refused) ? refused.status : undefined, 400, 'a backup with an incremental child cannot be deleted');
		await cinder.deleteBackup(incremental.id);
		await waitBackupGone(c, cinder, incremental.id);
		t.is(await barbican.findSecret(incremental.encryptionKeyId ?? ''), undefined, 'the incremental\'s key is gone');
		t.truthy(await barbican.findSecret(fullNow.encryptionKeyId ?? ''), 'the full backup\'s key stays');
		await waitBackup(c, cinder, full.id, ['available']);
		await cinder.deleteBackup(full.id);
		await waitBackupGone(c, cinder, full.id);
		t.is(await barbican.findSecret(fullNow.encryptionKeyId ?? ''), undefined, 'the full backup\'s key is gone');
		t.truthy(await barbican.findSecret(volume.encryptionKeyId ?? ''), 'the volume keeps its key');
	});

	contract('an unencrypted backup restores to a new volume', async (t, c) => {
		const {cinder} = services(c.member);
		const volume = await makeVolume(t, c, cinder, {size: 1, name: `bs-contract-${c.run}-plain-src`, metadata: {origin: 'source'}});
		const backup = await makeBackup(t, c, cinder, {volumeId: volume.id, name: `bs-contract-${c.run}-plain-bk`});
		t.is(backup.encryptionKeyId, undefined);
		const name = `bs-contract-${c.run}-plain-restored`;
		const result = await cinder.restoreBackup(backup.id, {name});
		t.teardown(async () => removeVolume(c, cinder, result.volumeId));
		t.is(result.backupId, backup.id);
		t.truthy(result.volumeId);
		const restored = await waitVolume(c, cinder, result.volumeId, ['available']);
		t.deepEqual(restored.metadata, Object.fromEntries([['origin', 'source'], ['src_backup_id', backup.id]]), 'the source volume\'s metadata, plus src_backup_id');
		t.false(restored.encrypted);
		t.is(restored.size, 1);
		await waitBackup(c, cinder, backup.id, ['available']);
	});

	contract('a backup\'s metadata update (3.43) replaces the whole set; the setBackupMetadata step adds keys and keeps the rest', async (t, c) => {
		const {cinder} = services(c.member);
		const volume = await makeVolume(t, c, cinder, {size: 1, name: `bs-contract-${c.run}-bkmeta-src`});
		const backup = await makeBackup(t, c, cinder, {volumeId: volume.id, name: `bs-contract-${c.run}-bkmeta`, metadata: {keep: 'a', changed: 'b'}});
		await cinder.updateBackupMetadata(backup.id, {changed: 'c', added: 'd'});
		const replaced = await cinder.getBackup(backup.id);
		t.deepEqual(replaced.metadata, {changed: 'c', added: 'd'}, 'a key not sent is deleted');
		const plan: Plan = {
			id: `bs-contract-${c.run}-bkmeta-plan`,
			kind: 'test',
			title: 'record on a backup',
			createdAt: new Date().toISOString(),
			warnings: [],
			steps: [{
				id: 'record', title: 'Record', danger: 'mutate', checks: [], action: {op: 'cinder.setBackupMetadata', args: {backupId: backup.id, metadata: {added: 'e', drill: 'ok'}}},
			}],
		};
		const events = await collect(runPlan(plan, c.member, {clock: pollingClock(c)}));
		t.is(events.at(-1)?.type, 'plan-done', JSON.stringify(events.at(-1)));
		const merged = await cinder.getBackup(backup.id);
		t.deepEqual(merged.metadata, {changed: 'c', added: 'e', drill: 'ok'});
	});

	contract('a volume a restore creates can be renamed while it restores, and keeps that name when the restore ends', async (t, c) => {
		const {cinder} = services(c.member);
		const volume = await makeVolume(t, c, cinder, {size: 1, name: `bs-contract-${c.run}-rename-src`});
		const backup = await makeBackup(t, c, cinder, {volumeId: volume.id, name: `bs-contract-${c.run}-rename-bk`});
		const result = await cinder.restoreBackup(backup.id, {name: `bs-contract-${c.run}-rename-restored [backstack_token=${c.run}]`});
		t.teardown(async () => removeVolume(c, cinder, result.volumeId));
		const restoring = await cinder.getVolume(result.volumeId);
		t.is(restoring.name, `bs-contract-${c.run}-rename-restored [backstack_token=${c.run}]`, 'the name of the request, from the start');
		await cinder.renameVolume(result.volumeId, `bs-contract-${c.run}-rename-restored`);
		const restored = await waitVolume(c, cinder, result.volumeId, ['available']);
		t.is(restored.name, `bs-contract-${c.run}-rename-restored`);
		await waitBackup(c, cinder, backup.id, ['available']);
	});

	contract('a restore onto an existing volume replaces its metadata with the source volume\'s and keeps its name', async (t, c) => {
		const {cinder} = services(c.member);
		const source = await makeVolume(t, c, cinder, {size: 1, name: `bs-contract-${c.run}-meta-src`, metadata: {origin: 'source', shared: 'from-source'}});
		const backup = await makeBackup(t, c, cinder, {volumeId: source.id, name: `bs-contract-${c.run}-meta-bk`});
		const targetName = `bs-contract-${c.run}-meta-target`;
		const onto = await makeVolume(t, c, cinder, {size: 1, name: targetName, metadata: {shared: 'from-target', mine: 'target'}});
		await cinder.restoreBackup(backup.id, {volumeId: onto.id});
		const restored = await waitVolume(c, cinder, onto.id, ['available']);
		t.is(restored.name, targetName);
		t.deepEqual(restored.metadata, Object.fromEntries([['origin', 'source'], ['shared', 'from-source'], ['src_backup_id', backup.id]]), 'the target\'s metadata is replaced by the source volume\'s, plus src_backup_id');
		await waitBackup(c, cinder, backup.id, ['available']);
	});

	contract('an encrypted backup of a non-default type restored to a NEW volume ends error_restoring', async (t, c) => {
		const type = await makeEncryptedType(t, c, 'trap');
		const {cinder} = services(c.member);
		const volume = await makeVolume(t, c, cinder, {size: 1, name: `bs-contract-${c.run}-trap-src`, volumeType: type.name});
		const backup = await makeBackup(t, c, cinder, {volumeId: volume.id, name: `bs-contract-${c.run}-trap-bk`});
		const result = await cinder.restoreBackup(backup.id, {name: `bs-contract-${c.run}-trap-new`});
		t.teardown(async () => removeVolume(c, cinder, result.volumeId));
		const failed = await waitVolume(c, cinder, result.volumeId, ['error_restoring', 'error', 'available']);
		t.is(failed.status, 'error_restoring');
		t.is(failed.volumeType, '__DEFAULT__', 'Cinder made the new volume with the default type');
		const after = await waitBackup(c, cinder, backup.id, ['available']);
		t.is(after.status, 'available', 'the backup itself is unharmed');
		const messages = await cinder.listMessages({resourceUuid: backup.id});
		const message = messages.find(item => item.resourceUuid === backup.id);
		t.like(message, {
			eventId: 'VOLUME_VOLUME_BACKUP_015_026',
			userMessage: 'restore backup:Backup driver failed to restore backup.',
			messageLevel: 'ERROR',
			resourceType: 'VOLUME_BACKUP',
		});
		t.deepEqual(fieldDifferences(realBody('cinder-messages', 'messages', 0), message?.raw ?? {}), [], 'message fields as on the real cloud');
	});

	contract('restoring onto a pre-created volume of the source type works and replaces its key', async (t, c) => {
		const type = await makeEncryptedType(t, c, 'onto');
		const {cinder, barbican} = services(c.member);
		const source = await makeVolume(t, c, cinder, {size: 1, name: `bs-contract-${c.run}-onto-src`, volumeType: type.name});
		const backup = await makeBackup(t, c, cinder, {volumeId: source.id, name: `bs-contract-${c.run}-onto-bk`});
		const onto = await makeVolume(t, c, cinder, {size: 1, name: `bs-contract-${c.run}-onto-target`, volumeType: type.name});
		const oldKey = onto.encryptionKeyId ?? '';
		t.truthy(await barbican.findSecret(oldKey));
		const result = await cinder.restoreBackup(backup.id, {volumeId: onto.id});
		t.is(result.volumeId, onto.id);
		const restored = await waitVolume(c, cinder, onto.id, ['available', 'error_restoring', 'error']);
		t.is(restored.status, 'available');
		t.is(restored.metadata['src_backup_id'], backup.id);
		t.true(restored.encrypted);
		t.is(restored.volumeTypeId, type.id);
		const newKey = restored.encryptionKeyId ?? '';
		t.truthy(newKey);
		t.not(newKey, oldKey, 'the target got a new key');
		t.not(newKey, backup.encryptionKeyId, 'a clone, not the backup\'s own key');
		t.is(await secretStatus(barbican, newKey), 'ACTIVE');
		t.is(await barbican.findSecret(oldKey), undefined, 'the target\'s previous key was deleted');
		await waitBackup(c, cinder, backup.id, ['available']);
	});

	contract('creating a volume from an encrypted backup with its type (3.47) reaches available', async (t, c) => {
		const type = await makeEncryptedType(t, c, 'from');
		const {cinder, barbican} = services(c.member);
		const source = await makeVolume(t, c, cinder, {size: 1, name: `bs-contract-${c.run}-from-src`, volumeType: type.name});
		const backup = await makeBackup(t, c, cinder, {volumeId: source.id, name: `bs-contract-${c.run}-from-bk`});
		const created = await cinder.createVolume({
			size: 1, name: `bs-contract-${c.run}-from-new`, backupId: backup.id, volumeType: type.name,
		});
		t.teardown(async () => removeVolume(c, cinder, created.id));
		const volume = await waitVolume(c, cinder, created.id, ['available', 'error', 'error_restoring']);
		t.is(volume.status, 'available');
		t.is(volume.volumeTypeId, type.id);
		t.true(volume.encrypted);
		t.truthy(volume.encryptionKeyId);
		t.not(volume.encryptionKeyId, backup.encryptionKeyId);
		t.not(volume.encryptionKeyId, source.encryptionKeyId);
		t.is(await secretStatus(barbican, volume.encryptionKeyId ?? ''), 'ACTIVE');
		await waitBackup(c, cinder, backup.id, ['available']);
	});

	contract('uploading an encrypted volume makes an image with its own key; the download matches the checksum', async (t, c) => {
		const type = await makeEncryptedType(t, c, 'img');
		const {cinder, glance, barbican} = services(c.member);
		const volume = await makeVolume(t, c, cinder, {size: 1, name: `bs-contract-${c.run}-img-src`, volumeType: type.name});
		const {imageId} = await cinder.uploadVolumeToImage(volume.id, {imageName: `bs-contract-${c.run}-img`, diskFormat: 'raw', containerFormat: 'bare'});
		let isImageDeleted = false;
		t.teardown(async () => {
			if (!isImageDeleted) {
				await removeImage(c, glance, imageId);
			}
		});
		const image = await waitImage(c, glance, imageId, ['active']);
		await waitVolume(c, cinder, volume.id, ['available']);
		const imageKey = image.cinderEncryptionKeyId ?? '';
		t.truthy(imageKey, 'the image carries cinder_encryption_key_id');
		t.is(image.properties['cinder_encryption_key_id'], imageKey);
		t.is(image.cinderEncryptionKeyDeletionPolicy, 'on_image_deletion');
		t.not(imageKey, volume.encryptionKeyId, 'the image has its own clone of the key');
		t.is(await secretStatus(barbican, imageKey), 'ACTIVE');
		t.is(image.diskFormat, 'raw');
		t.deepEqual(fieldDifferences(realBody('glance-image-from-encrypted-volume'), image.raw), [], 'image fields as on the real cloud');
		t.truthy(image.checksum);
		t.truthy(image.size);
		// Streamed to a file (on the real cloud the image is a 1 GiB LUKS container), hashed on the way.
		const file = path.join(c.scratch, `img-${imageId}.raw`);
		t.teardown(async () => rm(file, {force: true}));
		const md5 = createHash('md5');
		const sha512 = createHash('sha512');
		let length = 0;
		await pipeline(Readable.from(glance.downloadImage(imageId)), async function * (chunks: AsyncIterable<Uint8Array>) {
			for await (const chunk of chunks) {
				md5.update(chunk);
				sha512.update(chunk);
				length += chunk.byteLength;
				yield chunk;
			}
		}, createWriteStream(file));
		t.is(length, image.size ?? -1);
		t.is(md5.digest('hex'), image.checksum ?? 'no checksum');
		if (image.hashAlgo === 'sha512') {
			t.is(sha512.digest('hex'), image.hashValue ?? 'no hash');
		}

		const half = Math.floor(length / 2);
		const restHash = createHash('sha256');
		for await (const chunk of glance.downloadImage(imageId, {offset: half, prefix: createReadStream(file, {end: half - 1})})) {
			restHash.update(chunk);
		}

		const fileRestHash = createHash('sha256');
		for await (const chunk of createReadStream(file, {start: half})) {
			fileRestHash.update(chunk as Uint8Array);
		}

		t.is(restHash.digest('hex'), fileRestHash.digest('hex'), 'a download resumed at an offset (Range) returns exactly the rest');

		await glance.deleteImage(imageId);
		isImageDeleted = true;
		t.is(await glance.findImage(imageId), undefined);
		t.is(await isSecretDeleted(c, barbican, imageKey), true, 'deleting the image deleted its key (on_image_deletion)');
	});

	contract('an image Cinder uploads from a volume can be renamed and given a property while it uploads; both stay once it is active', async (t, c) => {
		const {cinder, glance} = services(c.member);
		const volume = await makeVolume(t, c, cinder, {size: 1, name: `bs-contract-${c.run}-upname-src`});
		const {imageId} = await cinder.uploadVolumeToImage(volume.id, {imageName: `bs-contract-${c.run}-upname [backstack_token=${c.run}]`, diskFormat: 'raw', containerFormat: 'bare'});
		t.teardown(async () => removeImage(c, glance, imageId));
		const uploading = await glance.getImage(imageId);
		t.is(uploading.name, `bs-contract-${c.run}-upname [backstack_token=${c.run}]`, 'the image_name of the request, from the start');
		await glance.setImageProperties(imageId, {name: `bs-contract-${c.run}-upname`, [intentKey]: c.run});
		const image = await waitImage(c, glance, imageId, ['active']);
		await waitVolume(c, cinder, volume.id, ['available']);
		t.is(image.name, `bs-contract-${c.run}-upname`);
		t.is(image.properties[intentKey], c.run);
	});

	contract('Barbican lists secrets by exact name (name=)', async (t, c) => {
		const {barbican} = services(c.member);
		const name = `bs-contract-${c.run}-byname [backstack_token=${c.run}]`;
		const stored = [];
		for (const each of [name, `${name}-other`, `bs-contract-${c.run}-byname`]) {
			// eslint-disable-next-line no-await-in-loop
			const {id} = await barbican.storeSecret({name: each, payload: new Uint8Array(randomBytes(32)), secretType: 'opaque'});
			stored.push(id);
			t.teardown(async () => barbican.deleteSecret(id).catch(ignoreNotFound));
		}

		const found = [];
		for await (const secret of barbican.listSecrets({name})) {
			found.push(secret.id);
		}

		t.deepEqual(found, stored.slice(0, 1));
	});

	contract('a secret stores and returns its payload as bytes', async (t, c) => {
		const {barbican} = services(c.member);
		const payload = new Uint8Array([0, 1, 2, 0x7F, 0x80, 0xFE, 0xFF, ...randomBytes(25)]);
		const {id} = await barbican.storeSecret({name: `bs-contract-${c.run}-secret`, payload, secretType: 'opaque'});
		let isDeleted = false;
		t.teardown(async () => {
			if (!isDeleted) {
				await barbican.deleteSecret(id).catch(ignoreNotFound);
			}
		});
		const secret = await barbican.getSecret(id);
		t.is(secret.name, `bs-contract-${c.run}-secret`);
		t.is(secret.status, 'ACTIVE');
		t.false(JSON.stringify(secret.raw).includes(Buffer.from(payload).toString('base64')), 'metadata never carries the payload');
		const back = await barbican.getSecretPayload(id);
		t.deepEqual(Buffer.from(back), Buffer.from(payload));
		await barbican.deleteSecret(id);
		isDeleted = true;
		t.is(await barbican.findSecret(id), undefined);
	});

	contract('a volume type with only backups left can be deleted, and those backups can no longer be restored', async (t, c) => {
		const type = await makeEncryptedType(t, c, 'gone');
		const {cinder} = services(c.member);
		const adminCinder = services(c.admin).cinder;
		const volume = await makeVolume(t, c, cinder, {size: 1, name: `bs-contract-${c.run}-gone-src`, volumeType: type.name});
		const backup = await makeBackup(t, c, cinder, {volumeId: volume.id, name: `bs-contract-${c.run}-gone-bk`});
		const inUse = await t.throwsAsync(adminCinder.deleteVolumeType(type.id));
		t.is(isOpenStackError(inUse) ? inUse.status : undefined, 400, 'refused while a volume uses the type');
		await cinder.deleteVolume(volume.id);
		await waitVolumeGone(c, cinder, volume.id);
		await adminCinder.deleteVolumeType(type.id);
		const types = await adminCinder.listVolumeTypes();
		t.false(types.some(item => item.id === type.id));
		const orphan = await cinder.getBackup(backup.id);
		t.is(orphan.status, 'available', 'the backup survives its type');
		const result = await cinder.restoreBackup(backup.id, {name: `bs-contract-${c.run}-gone-new`});
		t.teardown(async () => removeVolume(c, cinder, result.volumeId));
		const failed = await waitVolume(c, cinder, result.volumeId, ['error_restoring', 'error', 'available']);
		t.is(failed.status, 'error_restoring');
		await waitBackup(c, cinder, backup.id, ['available']);
	});

	contract('over-quota requests fail with 413 (Retry-After 0 means quota, not rate limit)', async (t, c) => {
		const {cinder} = services(c.member);
		const huge = await t.throwsAsync(cinder.createVolume({size: 100_000, name: `bs-contract-${c.run}-huge`}));
		t.true(isQuota(huge), String(huge));
		t.is(isOpenStackError(huge) ? huge.status : undefined, 413);
		t.is(isOpenStackError(huge) ? huge.retryAfter : undefined, 0);
		t.regex(String(isOpenStackError(huge) ? huge.serviceMessage : ''), /quota/iv);

		// A small volumes quota on the member's second project (set by the admin), restored afterwards.
		const {projectId} = c.member2.identity.token();
		const adminConfig = await configFor(c.cloud, c.scratch, c.cloud.admin);
		const before = await adminCinderRequest(c.admin, adminConfig, {method: 'GET', path: `os-quota-sets/${projectId}?usage=true`});
		const volumes = quotaUsage(before, 'volumes');
		t.teardown(async () => {
			await adminCinderRequest(c.admin, adminConfig, {method: 'PUT', path: `os-quota-sets/${projectId}`, body: cinderQuota(volumes.limit)});
		});
		await adminCinderRequest(c.admin, adminConfig, {method: 'PUT', path: `os-quota-sets/${projectId}`, body: cinderQuota(volumes.inUse)});
		const second = services(c.member2).cinder;
		const over = await t.throwsAsync(second.createVolume({size: 1, name: `bs-contract-${c.run}-over`}));
		t.true(isQuota(over), String(over));
		t.regex(String(isOpenStackError(over) ? over.serviceMessage : ''), /volume/iv);
		const listed = await collect(second.listVolumes());
		t.false(listed.some(item => item.name === `bs-contract-${c.run}-over`), 'nothing was created');
	});

	contract('lists follow the services\' pagination over several pages', async (t, c) => {
		const requests: string[] = [];
		const recording: FetchFunction = async (input, init) => {
			requests.push(input instanceof Request ? input.url : String(input));
			return fetch(input, init);
		};

		const paged = await openSession(await configFor(c.cloud, c.scratch, c.cloud.member), {fetch: recording});
		t.teardown(() => {
			paged.close();
		});
		const {cinder, glance, barbican} = services(paged);
		const prefix = `bs-contract-${c.run}-page`;
		const volumes = await Promise.all([1, 2, 3, 4, 5].map(async index => makeVolume(t, c, cinder, {size: 1, name: `${prefix}-vol-${index}`})));
		const backups = await Promise.all(volumes.slice(0, 3).map(async (volume, index) => makeBackup(t, c, cinder, {volumeId: volume.id, name: `${prefix}-bk-${index}`})));
		const images = await Promise.all([1, 2, 3].map(async index => {
			const image = await glance.createImage({name: `${prefix}-img-${index}`, diskFormat: 'raw', containerFormat: 'bare'});
			t.teardown(async () => removeImage(c, glance, image.id));
			return image;
		}));
		const secrets = await Promise.all([1, 2, 3].map(async index => {
			const secret = await barbican.storeSecret({name: `${prefix}-secret-${index}`, payload: randomBytes(16)});
			t.teardown(async () => barbican.deleteSecret(secret.id).catch(ignoreNotFound));
			return secret;
		}));

		const pagesOf = (part: string): number => requests.filter(url => url.includes(part) && /[&?]limit=2(?:&|$)/v.test(url)).length;
		requests.length = 0;
		const listedVolumes = await collect(cinder.listVolumes({pageSize: 2}));
		t.deepEqual(ids(listedVolumes.filter(item => item.name.startsWith(prefix))), ids(volumes));
		t.true(pagesOf('/volumes/detail') >= 3, `volume pages: ${pagesOf('/volumes/detail')}`);
		t.is(new Set(ids(listedVolumes)).size, listedVolumes.length, 'no volume twice');

		requests.length = 0;
		const listedBackups = await collect(cinder.listBackups({pageSize: 2}));
		t.deepEqual(ids(listedBackups.filter(item => item.name.startsWith(prefix))), ids(backups));
		t.true(pagesOf('/backups/detail') >= 2, `backup pages: ${pagesOf('/backups/detail')}`);

		requests.length = 0;
		const listedImages = await collect(glance.listImages({pageSize: 2}));
		t.deepEqual(ids(listedImages.filter(item => item.name.startsWith(prefix))), ids(images));
		t.true(pagesOf('/images') >= 2, `image pages: ${pagesOf('/images')}`);

		requests.length = 0;
		const listedSecrets = await collect(barbican.listSecrets({pageSize: 2}));
		t.deepEqual(ids(listedSecrets.filter(item => item.name?.startsWith(prefix))), ids(secrets));
		t.true(pagesOf('/secrets') >= 2, `secret pages: ${pagesOf('/secrets')}`);
		t.is(new Set(ids(listedSecrets)).size, listedSecrets.length, 'no secret twice');
	});

	contract('the audit of a project judges what is really there: unprotected, snapshot-only, protected, and an encrypted backup with its key', async (t, c) => {
		const session = c.member2;
		const {cinder} = services(session);
		const prefix = `bs-contract-${c.run}-audit`;
		const type = await makeEncryptedType(t, c, 'audit');
		const bare = await makeVolume(t, c, cinder, {size: 1, name: `${prefix}-bare`});
		const snapped = await makeVolume(t, c, cinder, {size: 1, name: `${prefix}-snapped`});
		const snapshot = await cinder.createSnapshot({volumeId: snapped.id, name: `${prefix}-snap`});
		t.teardown(async () => removeSnapshot(c, cinder, snapshot.id));
		await poll(c, `snapshot ${snapshot.id} available`, async () => cinder.getSnapshot(snapshot.id), value => value.status === 'available' || value.status.startsWith('error'));
		const backedUp = await makeVolume(t, c, cinder, {size: 1, name: `${prefix}-backed-up`});
		await makeBackup(t, c, cinder, {volumeId: backedUp.id, name: `${prefix}-backup`});
		const encrypted = await makeVolume(t, c, cinder, {size: 1, name: `${prefix}-encrypted`, volumeType: type.name});
		const encryptedBackup = await makeBackup(t, c, cinder, {volumeId: encrypted.id, name: `${prefix}-encrypted-backup`});

		const report = await runAudit(session, {policy: {rpoHours: 24, severities: {}}});
		t.is(report.projects.length, 1);
		const [project] = report.projects;
		t.is(project?.error, undefined);
		const mine = new Set([bare.id, snapped.id, backedUp.id, encrypted.id, encryptedBackup.id]);
		const judged = (project?.findings ?? [])
			.filter(finding => mine.has(finding.resource.id))
			.map(finding => `${finding.severity} ${finding.code} ${finding.resource.name ?? finding.resource.id}`)
			.toSorted();
		t.deepEqual(judged, [
			`critical volume.unprotected ${prefix}-bare`,
			`ok volume.protected ${prefix}-backed-up`,
			`ok volume.protected ${prefix}-encrypted`,
			`warning volume.snapshot-only ${prefix}-snapped`,
		]);
		// The encrypted backup's own key is live in Barbican: nothing about a missing or unknown key.
		t.false((project?.findings ?? []).some(finding => finding.code.startsWith('key.') && mine.has(finding.resource.id)));
	});

	contract('a volume whose only backup lost its key is unprotected; one with a usable backup beside an unusable one stays protected', async (t, c) => {
		const session = c.member2;
		const {cinder, barbican} = services(session);
		const prefix = `bs-contract-${c.run}-keyless`;
		const type = await makeEncryptedType(t, c, 'keyless');
		const lone = await makeVolume(t, c, cinder, {size: 1, name: `${prefix}-lone`, volumeType: type.name});
		const loneBackup = await makeBackup(t, c, cinder, {volumeId: lone.id, name: `${prefix}-lone-backup`});
		const pair = await makeVolume(t, c, cinder, {size: 1, name: `${prefix}-pair`, volumeType: type.name});
		const kept = await makeBackup(t, c, cinder, {volumeId: pair.id, name: `${prefix}-kept`});
		const keyless = await makeBackup(t, c, cinder, {volumeId: pair.id, name: `${prefix}-keyless`});
		// The user deletes the two backups' own key clones, as `openstack secret delete` would.
		for (const backup of [loneBackup, keyless]) {
			t.truthy(backup.encryptionKeyId, `backup ${backup.id} has its own key`);
			// eslint-disable-next-line no-await-in-loop
			await barbican.deleteSecret(backup.encryptionKeyId ?? '');
		}

		const report = await runAudit(session, {policy: {rpoHours: 24, severities: {}}});
		const findings = report.projects[0]?.findings ?? [];
		const of = (id: string) => findings.filter(finding => finding.resource.id === id).map(finding => `${finding.severity} ${finding.code}`).toSorted();
		t.deepEqual(of(lone.id), ['critical volume.unprotected']);
		t.regex(findings.find(finding => finding.resource.id === lone.id)?.reason ?? '', /encryption key is gone/v);
		t.deepEqual(of(loneBackup.id), ['critical key.missing']);
		t.deepEqual(of(pair.id), ['ok volume.protected']);
		t.regex(findings.find(finding => finding.resource.id === pair.id)?.reason ?? '', new RegExp(kept.name ?? kept.id, 'v'));
		t.deepEqual(of(keyless.id), ['critical key.missing']);
	});

	/*
	Backup 3 (server → image) on servers booted for the test: one from an image with a data volume attached, one from
	a volume. backstack's client must read them as Nova reports them, its plan must warn about each, and Nova must
	accept createImage. On the real cloud a boot-from-volume server's image is the guide's trap: an active 0-byte image
	whose block_device_mapping points at a Cinder snapshot.
	*/
	const bootableImage = async (t: ExecutionContext, c: Context, name: string) => {
		const {glance} = services(c.member);
		const bytes = randomBytes(1024 * 1024);
		const image = await glance.createImage({name, diskFormat: 'raw', containerFormat: 'bare'});
		t.teardown(async () => removeImage(c, glance, image.id));
		await glance.uploadImageData(image.id, (async function * () {
			yield bytes;
		})(), {size: bytes.length});
		return waitImage(c, glance, image.id, ['active']);
	};

	const makeServer = async (t: ExecutionContext, c: Context, request: Omit<ServerRequest, 'projectId' | 'userId'>): Promise<string> => {
		const maker = c.cloud.servers ?? await novaServers(c);
		const {projectId, userId} = c.member.identity.token();
		const id = await maker.create({...request, projectId, userId});
		t.teardown(async () => maker.remove(id));
		return id;
	};

	/**
	The Cinder snapshot a boot-from-volume server's image points at. Teardown: with Nova's fake driver (the real cloud's
	fallback) it stays `creating` (no Nova-assisted snapshots), so after 15 s the admin resets it to error and deletes it.
	*/
	const removeMappedSnapshot = async (c: Context, snapshotId: string) => {
		const {cinder} = services(c.member);
		const deadline = Date.now() + Math.min(c.target.waitMs, 15_000);
		let snapshot = await findSnapshot(cinder, snapshotId);
		while (snapshot?.status === 'creating' && Date.now() < deadline) {
			// eslint-disable-next-line no-await-in-loop
			await sleep(c.target.pollMs);
			// eslint-disable-next-line no-await-in-loop
			snapshot = await findSnapshot(cinder, snapshotId);
		}

		if (snapshot?.status === 'creating') {
			await adminCinderRequest(c.admin, await configFor(c.cloud, c.scratch, c.cloud.admin), {
				method: 'POST', path: `snapshots/${snapshotId}/action`, body: Object.fromEntries([['os-reset_status', {status: 'error'}]]),
			});
		}

		await removeSnapshot(c, cinder, snapshotId);
	};

	contract('backup 3: real servers are judged right (attached volumes, boot from volume); Nova accepts createImage; a boot-from-volume server\'s image is a 0-byte block_device_mapping that backstack refuses to download or restore', async (t, c) => {
		t.is(c.member.services().nova.state, 'ok', 'the member\'s catalog has Nova');
		const nova = c.member.nova!;
		const {cinder, glance} = services(c.member);
		const prefix = `bs-contract-${c.run}-server`;
		const boot = await bootableImage(t, c, `${prefix}-boot`);
		const data = await makeVolume(t, c, cinder, {size: 1, name: `${prefix}-data`});
		const root = await makeVolume(t, c, cinder, {size: 1, name: `${prefix}-root`, imageRef: boot.id});
		const ephemeralId = await makeServer(t, c, {name: `${prefix}-eph`, imageId: boot.id, attachVolumeIds: [data.id]});
		const bfvId = await makeServer(t, c, {name: `${prefix}-bfv`, bootVolumeId: root.id, attachVolumeIds: []});

		const ephemeral = await nova.getServer(ephemeralId);
		t.is(ephemeral.status, 'ACTIVE');
		t.false(ephemeral.bootFromVolume);
		t.deepEqual(ephemeral.attachedVolumeIds, [data.id]);
		const bfv = await nova.getServer(bfvId);
		t.true(bfv.bootFromVolume);
		t.deepEqual(bfv.attachedVolumeIds, [root.id]);
		const listed = await collect(nova.listServers());
		t.deepEqual(ids(listed.filter(server => server.name.startsWith(prefix))), [ephemeralId, bfvId].toSorted());
		const dataNow = await cinder.getVolume(data.id);
		t.is(dataNow.status, 'in-use');

		const ephemeralPlan = await planBackup(c.member, {kind: 'server', serverId: ephemeralId, imageName: `${prefix}-eph-image`});
		if (ephemeralPlan.kind !== 'plan') {
			throw new Error(JSON.stringify(ephemeralPlan));
		}

		t.true(ephemeralPlan.plan.warnings.some(warning => warning.includes('NOT in the image') && warning.includes(data.id)), ephemeralPlan.plan.warnings.join(' | '));
		t.false(ephemeralPlan.plan.warnings.some(warning => warning.includes('boots from a volume')));
		const bfvPlan = await planBackup(c.member, {kind: 'server', serverId: bfvId, imageName: `${prefix}-bfv-image`});
		if (bfvPlan.kind !== 'plan') {
			throw new Error(JSON.stringify(bfvPlan));
		}

		t.true(bfvPlan.plan.warnings.some(warning => warning.includes('boots from a volume') && warning.includes('not a backup')), bfvPlan.plan.warnings.join(' | '));

		// Nova accepts createImage for the image-backed server: the plan records the image the moment the call returns.
		// (The run is stopped there: the next contract waits for the image's data.)
		const stop = new AbortController();
		const ephemeralEvents: PlanEvent[] = [];
		for await (const event of runPlan(ephemeralPlan.plan, c.member, {clock: pollingClock(c), signal: stop.signal})) {
			ephemeralEvents.push(event);
			if (event.type !== 'created') {
				continue;
			}

			t.teardown(async () => removeImage(c, glance, event.resource.id));
			stop.abort();
		}

		const createdEphemeral = ephemeralEvents.find(event => event.type === 'created');
		const ephemeralImageId = createdEphemeral?.type === 'created' ? createdEphemeral.resource.id : '';
		t.truthy(ephemeralImageId, JSON.stringify(ephemeralEvents.at(-1)));
		const ephemeralImage = await glance.getImage(ephemeralImageId);
		t.is(ephemeralImage.name, `${prefix}-eph-image`);
		t.true(['queued', 'saving', 'active'].includes(ephemeralImage.status), ephemeralImage.status);

		const bfvEvents = await collect(runPlan(bfvPlan.plan, c.member, {clock: pollingClock(c)}));
		const bfvEnd = bfvEvents.at(-1);
		const bfvImageId = String(bfvEnd?.type === 'plan-done' ? bfvEnd.results['image'] : '');
		const createdImage = bfvEvents.find(event => event.type === 'created');
		if (createdImage?.type === 'created') {
			t.teardown(async () => removeImage(c, glance, createdImage.resource.id));
		}

		t.is(bfvEnd?.type, 'plan-done', JSON.stringify(bfvEnd));
		const bfvImage = await glance.getImage(bfvImageId);
		t.is(bfvImage.status, 'active');
		t.is(bfvImage.size ?? 0, 0, 'the image holds no data');
		const [first] = bfvImage.blockDeviceMapping ?? [];
		t.is(first?.['source_type'], 'snapshot');
		t.is(first?.['boot_index'], 0);
		const mappedSnapshot = first?.['snapshot_id'];
		const snapshotId = typeof mappedSnapshot === 'string' ? mappedSnapshot : '';
		t.truthy(snapshotId);
		t.teardown(async () => removeMappedSnapshot(c, snapshotId));
		const snapshot = await cinder.getSnapshot(snapshotId);
		t.is(snapshot.volumeId, root.id, 'the mapping points at a snapshot of the root volume');
		t.log(`boot-from-volume image ${bfvImageId}: ${bfvImage.size ?? 0} bytes, snapshot ${snapshotId} is ${snapshot.status}`);
		const download = await planBackup(c.member, {kind: 'image-download', imageId: bfvImageId, path: path.join(c.scratch, `${prefix}.raw`)});
		t.is(download.kind, 'refusal');
		t.regex(download.kind === 'refusal' ? download.reason : '', /only references Cinder snapshots/v);
		const restore = await planRestore(c.member, {kind: 'volume-from-image', imageId: bfvImageId});
		t.is(restore.kind, 'refusal');
		t.regex(restore.kind === 'refusal' ? restore.reason : '', /holds no data/v);
	});

	/*
	The real cloud's Nova runs libvirt/KVM (provision.sh), which uploads the server's root disk: the image becomes active
	with data in about 10 s. (Nova's fake virt driver, the provisioning's fallback, leaves it `queued` for good.) The demo
	cloud makes it active with the root disk's bytes. The test waits at most 30 s (the demo needs well under one).
	*/
	contract('backup 3: an image-backed server\'s image becomes active with data', async (t, c) => {
		const {cinder, glance} = services(c.member);
		const prefix = `bs-contract-${c.run}-server-data`;
		const boot = await bootableImage(t, c, `${prefix}-boot`);
		const data = await makeVolume(t, c, cinder, {size: 1, name: `${prefix}-data`});
		const serverId = await makeServer(t, c, {name: `${prefix}-eph`, imageId: boot.id, attachVolumeIds: [data.id]});
		const plan = await planBackup(c.member, {kind: 'server', serverId, imageName: `${prefix}-image`});
		if (plan.kind !== 'plan') {
			throw new Error(JSON.stringify(plan));
		}

		const events: PlanEvent[] = [];
		for await (const event of runPlan(plan.plan, c.member, {clock: pollingClock(c), signal: AbortSignal.timeout(30_000)})) {
			events.push(event);
			if (event.type === 'created') {
				t.teardown(async () => removeImage(c, glance, event.resource.id));
			} else if (event.type === 'status') {
				t.log(`image ${event.id}: ${event.status}`);
			}
		}

		const end = events.at(-1);
		t.is(end?.type, 'plan-done', JSON.stringify(end));
		const image = await glance.getImage(String(end?.type === 'plan-done' ? end.results['image'] : ''));
		t.is(image.status, 'active');
		t.true((image.size ?? 0) > 0, `the image has ${image.size ?? 0} bytes`);
	});

	/*
	Backup 2 on an IN-USE volume, attached to a running server through Nova: backstack's plan takes the snapshot detour
	with force (snapshot, temporary volume, upload) and removes its temporaries. On the real cloud the forced snapshot is
	Nova-assisted (Cinder's NFS driver asks Nova, libvirt snapshots the attached disk), so this needs libvirt there.
	*/
	contract('backup 2: an in-use volume is copied into an image through a forced snapshot; the image holds its bytes; no temporaries are left', async (t, c) => {
		const {cinder, glance} = services(c.member);
		const prefix = `bs-contract-${c.run}-inuse`;
		t.teardown(async () => removeNamed(c, c.member, prefix));
		const bytes = randomBytes((256 * 1024) + 3);
		const dataImage = await glance.createImage({name: `${prefix}-data`, diskFormat: 'raw', containerFormat: 'bare'});
		await glance.uploadImageData(dataImage.id, (async function * () {
			yield bytes;
		})(), {size: bytes.length});
		await waitImage(c, glance, dataImage.id, ['active']);
		const volume = await makeVolume(t, c, cinder, {size: 1, name: `${prefix}-vol`, imageRef: dataImage.id});
		const boot = await bootableImage(t, c, `${prefix}-boot`);
		await makeServer(t, c, {name: `${prefix}-server`, imageId: boot.id, attachVolumeIds: [volume.id]});
		const plan = await planBackup(c.member, {kind: 'volume-image', volumeId: volume.id, imageName: `${prefix}-image`});
		if (plan.kind !== 'plan') {
			throw new Error(JSON.stringify(plan));
		}

		t.deepEqual(plan.plan.steps.map(step => step.id), ['snapshot', 'temporary-volume', 'upload']);
		const started = Date.now();
		const events = await collect(runPlan(plan.plan, c.member, {clock: pollingClock(c)}));
		const end = events.at(-1);
		t.is(end?.type, 'plan-done', JSON.stringify(end));
		t.log(`in-use volume copied into an image in ${Math.round((Date.now() - started) / 1000)} s`);
		const temporaries = events.flatMap(event => event.type === 'created' && event.resource.temporary ? [`${event.resource.kind} ${event.resource.id}`] : []);
		t.is(temporaries.length, 2, temporaries.join(', '));
		t.is(events.filter(event => event.type === 'cleanup-done').length, 2, 'both temporaries removed');
		const imageId = String(end?.type === 'plan-done' ? end.results['image'] : '');
		const image = await waitImage(c, glance, imageId, ['active']);
		t.true((image.size ?? 0) >= bytes.length, `the image has ${image.size ?? 0} bytes`);
		const after = await cinder.getVolume(volume.id);
		t.is(after.status, 'in-use', 'the volume stayed attached');
		const scenario = {session: c.member, encryptedType: '', workDir: c.scratch};
		await compareFile(await plaintextOfImage(scenario, imageId, `${prefix}-image`), bytes, 'the in-use volume\'s image');
		const allSnapshots = await collect(cinder.listSnapshots());
		const snapshots = allSnapshots.filter(snapshot => snapshot.volumeId === volume.id);
		t.deepEqual(snapshots.map(snapshot => `${snapshot.id} ${snapshot.status}`), [], 'no snapshot of the volume is left');
		const allVolumes = await collect(cinder.listVolumes());
		const volumes = allVolumes.filter(item => item.name.startsWith(prefix) && item.id !== volume.id);
		t.deepEqual(volumes.map(item => `${item.id} ${item.name} ${item.status}`), [], 'no temporary volume is left');
	});

	/*
	A fact of Cinder (Zed) that restore 4 runs into: a volume made from an image keeps the image's properties as its
	volume_image_metadata plus Cinder's own `signature_verified`; uploading that volume copies them all into the new
	image; a volume made of THAT image ends `error` (cinder-volume: GlanceMetadataExists, key signature_verified
	exists), because Cinder writes signature_verified itself before it copies the image's properties. Unsetting the
	property on the image (its owner may) is enough. The demo cloud models all of it.
	*/
	contract('an image uploaded from a volume that came from an image cannot become a volume until its signature_verified property is removed', async (t, c) => {
		const {cinder, glance} = services(c.member);
		const prefix = `bs-contract-${c.run}-sigver`;
		const first = await bootableImage(t, c, `${prefix}-first`);
		const volume = await makeVolume(t, c, cinder, {size: 1, name: `${prefix}-vol`, imageRef: first.id});
		const {imageId} = await cinder.uploadVolumeToImage(volume.id, {imageName: `${prefix}-second`, diskFormat: 'raw', containerFormat: 'bare'});
		t.teardown(async () => removeImage(c, glance, imageId));
		const second = await waitImage(c, glance, imageId, ['active']);
		await waitVolume(c, cinder, volume.id, ['available']);
		t.is(second.properties['signature_verified'], 'False', 'Cinder copied signature_verified into the uploaded image');
		const failing = await cinder.createVolume({size: 1, name: `${prefix}-trap`, imageRef: imageId});
		t.teardown(async () => removeVolume(c, cinder, failing.id));
		const failed = await waitVolume(c, cinder, failing.id, ['error', 'available']);
		t.is(failed.status, 'error', 'a volume of it ends error');
		await removeImageProperty(c, imageId, 'signature_verified');
		const cleaned = await glance.getImage(imageId);
		t.is(cleaned.properties['signature_verified'], undefined);
		const working = await makeVolume(t, c, cinder, {size: 1, name: `${prefix}-ok`, imageRef: imageId});
		t.is(working.status, 'available', 'without the property it works');
	});

	/*
	Restore 2 killed mid-run. backstack's own CLI (dist/cli.js, as installed) runs `restore backup` in a child process with
	a private journal; once the journal records the new volume and the restore onto it as requested, the child gets
	SIGKILL. `backstack journal` must then name the plan and the volume, and `journal resume` / `journal cleanup`
	(new processes, as after a crash) must finish or undo it.
	*/
	const killedRestore = async (t: ExecutionContext, c: Context, label: string) => {
		const type = await makeEncryptedType(t, c, label);
		const prefix = `bs-contract-${c.run}-${label}`;
		const {cinder, glance} = services(c.member);
		const data = randomBytes((128 * 1024) + 11);
		const dataImage = await glance.createImage({name: `${prefix}-data`, diskFormat: 'raw', containerFormat: 'bare'});
		t.teardown(async () => removeImage(c, glance, dataImage.id));
		await glance.uploadImageData(dataImage.id, (async function * () {
			yield data;
		})(), {size: data.length});
		await waitImage(c, glance, dataImage.id, ['active']);
		const source = await makeVolume(t, c, cinder, {
			size: 1, name: `${prefix}-src`, volumeType: type.name, imageRef: dataImage.id,
		});
		t.true(source.encrypted);
		const backupPlan = await planVolumeBackup(c.member, {volumeId: source.id, name: `${prefix}-backup`, version: 'contract'});
		if (backupPlan.kind !== 'plan') {
			throw new Error(`backup plan: ${JSON.stringify(backupPlan)}`);
		}

		const backupEvents = await collect(runPlan(backupPlan.plan, c.member, {clock: pollingClock(c)}));
		const backupEnd = backupEvents.at(-1);
		const backupId = String(backupEnd?.type === 'plan-done' ? backupEnd.results['backup'] : '');
		t.teardown(async () => removeBackup(c, cinder, backupId));
		t.truthy(backupId, JSON.stringify(backupEnd));
		const configDir = await mkdtemp(path.join(c.scratch, `${label}-config-`));
		const cli = cliRunner(c, configDir);
		const journal = path.join(configDir, 'journal');
		const name = `${prefix}-restored`;
		const child = cli.start(['restore', 'backup', backupId, '--name', name, '--method', 'create-then-restore', '--yes']);
		const made: {volumeId?: string} = {};
		t.teardown(async () => {
			child.kill('SIGKILL');
			if (made.volumeId !== undefined) {
				await removeVolume(c, cinder, made.volumeId);
			}
		});
		const record = await poll(c, 'the journal records the new volume and the restore onto it', async () => {
			if (child.exitCode !== null) {
				throw new Error(`backstack ended (${child.exitCode}) before it could be killed: ${child.output()}`);
			}

			return readOnlyJournal(journal);
		}, found => found !== undefined && found.created.some(resource => resource.kind === 'volume')
			&& found.steps['restore']?.state === 'running' && found.steps['restore'].requested === true);
		const killed = new Promise(resolve => {
			child.once('exit', resolve);
		});
		child.kill('SIGKILL');
		await killed;
		const planId = record?.plan.id ?? '';
		const volumeId = record?.created.find(resource => resource.kind === 'volume')?.id ?? '';
		made.volumeId = volumeId;
		t.truthy(volumeId);
		t.is(readOnlyJournal(journal)?.state, 'running', 'the killed run never finished its journal');
		const {status} = await cinder.getVolume(volumeId);
		t.log(`killed backstack during ${planId}: volume ${volumeId} is ${status}`);
		const listed = await cli.run(['journal']);
		t.is(listed.code, 0, listed.stderr);
		t.regex(listed.stdout, new RegExp(`^${planId}  running  1/2 steps`, 'mv'));
		t.true(listed.stdout.includes(`created: volume ${volumeId} (${name})`), listed.stdout);
		t.true(listed.stdout.includes(`backstack journal resume ${planId}`), listed.stdout);
		return {
			cli, planId, volumeId, data,
		};
	};

	contract('restore 2 killed by SIGKILL mid-restore: backstack journal names the plan and volume; journal resume finishes it with the original bytes', async (t, c) => {
		const {cli, planId, volumeId, data} = await killedRestore(t, c, 'kill-resume');
		const resumed = await cli.run(['journal', 'resume', planId, '--yes']);
		t.is(resumed.code, 0, `${resumed.stdout}\n${resumed.stderr}`);
		t.regex(resumed.stdout, new RegExp(`Resuming plan ${planId}`, 'v'));
		t.regex(resumed.stdout, /Done\. volume /v);
		const after = await cli.run(['journal']);
		t.is(after.stdout, 'No unfinished plans.\n');
		const {cinder} = services(c.member);
		const volume = await cinder.getVolume(volumeId);
		t.is(volume.status, 'available');
		t.true(volume.encrypted);
		const workDir = await mkdtemp(path.join(c.scratch, 'kill-resume-'));
		const readBack: CreatedResource[] = [];
		t.teardown(async () => {
			for (const resource of readBack) {
				// eslint-disable-next-line no-await-in-loop
				await removeImage(c, services(c.member).glance, resource.id);
			}
		});
		const readContext = {
			session: c.member, encryptedType: '', workDir, clock: pollingClock(c),
		};
		const imageId = await readBackImage(readContext, {
			add(resource) {
				readBack.push({...resource, stepId: 'contract', temporary: false});
			},
		}, volumeId, `bs-contract-${c.run}-kill-resume-readback`);
		const length = await compareFile(await plaintextOfImage(readContext, imageId, 'kill-resume'), data, 'the resumed restore');
		t.log(`read back ${length} bytes: the original ${data.length}, the rest zeros`);
	});

	contract('restore 2 killed by SIGKILL mid-restore: journal cleanup deletes the new volume', async (t, c) => {
		const {cli, planId, volumeId} = await killedRestore(t, c, 'kill-cleanup');
		const cleaned = await cli.run(['journal', 'cleanup', planId, '--yes']);
		t.is(cleaned.code, 0, `${cleaned.stdout}\n${cleaned.stderr}`);
		t.true(cleaned.stdout.includes(`cleanup: removed volume ${volumeId}`), cleaned.stdout);
		const {cinder} = services(c.member);
		await poll(c, `volume ${volumeId} gone`, async () => cinder.findVolume(volumeId), volume => volume === undefined);
		t.is(statusOf(await cinder.getVolume(volumeId).catch((error: unknown) => error)), 404, 'the volume is gone (by ID)');
		const after = await cli.run(['journal']);
		t.is(after.stdout, 'No unfinished plans.\n');
	});

	/*
	The guided backup/restore journeys of test/core/plans/scenarios.ts, run by backstack's planner and executor as the
	member, with an encrypted type the admin makes for each. A scenario removes what it made; the test then checks that
	nothing named after it is left, and its teardown removes whatever is.
	*/
	for (const [index, scenario] of scenarios.entries()) {
		contract(`scenario: ${scenario.name}`, async (t, c) => {
			const type = await makeEncryptedType(t, c, `sc${index}`);
			const prefix = `bs-contract-${c.run}-sc${index}`;
			const workDir = path.join(c.scratch, prefix);
			await mkdir(workDir, {mode: 0o700});
			t.teardown(async () => rm(workDir, {recursive: true, force: true}));
			t.teardown(async () => removeNamed(c, c.member, prefix));
			const statuses = c.member.services();
			for (const service of scenario.needs) {
				t.is(statuses[service].state, 'ok', `the scenario needs ${service}`);
			}

			await scenario.run({
				session: c.member,
				encryptedType: type.name,
				workDir,
				prefix,
				clock: pollingClock(c),
				log(line) {
					t.log(line);
				},
			});
			t.deepEqual(await namedLeftovers(c.member, prefix), [], 'the scenario removed everything it made');
		});
	}

	/*
	Fleet audit (core/fleet.ts): an admin's `audit --all-projects` reads one all_tenants list per kind for the whole
	cloud and splits it by project. It must judge each project's resources exactly as that project's own audit does.
	Barbican stays project-scoped: what it answers an admin about another project's secret decides how keys are checked
	(written down at the top of core/fleet.ts). On both targets the admin has a role in its own project only.
	*/
	const fleetPolicy = {rpoHours: 24, severities: {}};
	const findingsAbout = (report: AuditReport, projectId: string, wanted: ReadonlySet<string>): string[] => (report.projects.find(entry => entry.project.id === projectId)?.findings ?? [])
		.filter(finding => wanted.has(finding.resource.id))
		.map(finding => JSON.stringify(finding))
		.toSorted();
	const fleetReport = async (t: ExecutionContext, c: Context, now: Date): Promise<AuditReport> => {
		const fleet = await readFleet(c.admin);
		t.truthy(fleet, 'the admin takes the fleet path (Keystone lists every project, every item says its project)');
		return buildAuditReport(c.admin, fleet ?? [], fleetPolicy, now);
	};

	contract('fleet: as admin, one all_tenants list per kind, split by project, judges two projects as their own audits do', async (t, c) => {
		const alpha = services(c.member).cinder;
		const beta = services(c.member2).cinder;
		const prefix = `bs-contract-${c.run}-fleet`;
		const bare = await makeVolume(t, c, alpha, {size: 1, name: `${prefix}-alpha-bare`});
		const backedUp = await makeVolume(t, c, alpha, {size: 1, name: `${prefix}-alpha-backed-up`});
		const backup = await makeBackup(t, c, alpha, {volumeId: backedUp.id, name: `${prefix}-alpha-backup`});
		const snapped = await makeVolume(t, c, beta, {size: 1, name: `${prefix}-beta-snapped`});
		const snapshot = await beta.createSnapshot({volumeId: snapped.id, name: `${prefix}-beta-snap`});
		t.teardown(async () => removeSnapshot(c, beta, snapshot.id));
		await poll(c, `snapshot ${snapshot.id} available`, async () => beta.getSnapshot(snapshot.id), value => value.status === 'available' || value.status.startsWith('error'));
		const boot = await bootableImage(t, c, `${prefix}-boot`);
		const server = await makeServer(t, c, {name: `${prefix}-server`, imageId: boot.id, attachVolumeIds: []});

		// What the lists say about projects, as the split reads them.
		const alphaId = c.member.identity.token().projectId;
		const betaId = c.member2.identity.token().projectId;
		const adminCinder = services(c.admin).cinder;
		const everyVolume = await collect(adminCinder.listVolumes({allProjects: true}));
		t.is(everyVolume.find(volume => volume.id === bare.id)?.projectId, alphaId);
		t.is(everyVolume.find(volume => volume.id === snapped.id)?.projectId, betaId);
		const everyBackup = await collect(adminCinder.listBackups({allProjects: true}));
		t.is(everyBackup.find(item => item.id === backup.id)?.projectId, alphaId);
		const everySnapshot = await collect(adminCinder.listSnapshots({allProjects: true}));
		t.is(everySnapshot.find(item => item.id === snapshot.id)?.projectId, betaId);
		const everyServer = await collect(c.admin.nova!.listServers({allProjects: true}));
		t.is(everyServer.find(item => item.id === server)?.projectId, alphaId);
		const everyImage = await collect(c.admin.glance!.listImages());
		t.is(everyImage.find(image => image.id === boot.id)?.owner, alphaId, 'an admin\'s image list has other projects\' private images');
		// A member asking every project: Cinder answers with its own project's volumes, Nova refuses.
		const betaAll = await collect(beta.listVolumes({allProjects: true}));
		t.false(betaAll.some(volume => volume.id === bare.id));
		const refused = await t.throwsAsync(collect(c.member.nova!.listServers({allProjects: true})));
		t.is(statusOf(refused), 403);
		t.regex(serviceMessageOf(refused) ?? '', /get_all_tenants/v);

		const now = new Date();
		const fleet = await fleetReport(t, c, now);
		const own = [await runAudit(c.member, {policy: fleetPolicy, now}), await runAudit(c.member2, {policy: fleetPolicy, now})];
		const mine = new Set([bare.id, backedUp.id, backup.id, snapped.id, snapshot.id, server, boot.id]);
		for (const [index, projectId] of [alphaId, betaId].entries()) {
			t.deepEqual(findingsAbout(fleet, projectId, mine), findingsAbout(own[index]!, projectId, mine), `project ${projectId}`);
		}

		const judged = [alphaId, betaId].flatMap(projectId => (fleet.projects.find(entry => entry.project.id === projectId)?.findings ?? [])
			.filter(finding => mine.has(finding.resource.id))
			.map(finding => `${finding.severity} ${finding.code} ${finding.resource.name ?? finding.resource.id}`))
			.toSorted();
		t.deepEqual(judged, [
			`critical volume.unprotected ${prefix}-alpha-bare`,
			`ok volume.protected ${prefix}-alpha-backed-up`,
			`warning server.ephemeral-unprotected ${prefix}-server`,
			`warning volume.snapshot-only ${prefix}-beta-snapped`,
		]);
		// Every project of the cloud is in the report, those with nothing in them too.
		const cloudProjects = await c.admin.identity.listAllProjects!();
		t.deepEqual(ids(fleet.projects.map(entry => entry.project)).filter(id => cloudProjects.some(project => project.id === id)), ids(cloudProjects));
		t.is(fleet.projects.find(entry => entry.project.id === alphaId)?.sources.cinder.state, 'ok');
	});

	contract('fleet: Barbican answers an admin 403 for another project\'s secret by ID (404 when there is none); the fleet audit calls such a key unknown and says why', async (t, c) => {
		const {barbican} = services(c.member);
		const prefix = `bs-contract-${c.run}-fleetkey`;
		const {id} = await barbican.storeSecret({name: `${prefix}-secret`, payload: new Uint8Array(randomBytes(32)), secretType: 'opaque'});
		t.teardown(async () => barbican.deleteSecret(id).catch(ignoreNotFound));
		const admin = services(c.admin).barbican;
		const refused = await t.throwsAsync(admin.getSecret(id));
		t.is(statusOf(refused), 403);
		t.is(serviceMessageOf(refused), 'Secret retrieval attempt not allowed - please review your user/project privileges');
		const refusedMetadata = await t.throwsAsync(admin.getSecretMetadata(id));
		t.is(statusOf(refusedMetadata), 403);
		t.is(serviceMessageOf(refusedMetadata), 'Secret metadata retrieval attempt not allowed - please review your user/project privileges');
		const none = await t.throwsAsync(admin.getSecret('00000000-0000-4000-8000-000000000000'));
		t.is(statusOf(none), 404);
		const adminSecrets = await collect(admin.listSecrets());
		t.false(adminSecrets.some(secret => secret.id === id), 'the admin\'s list is its own project\'s');

		// An encrypted volume of bs-alpha: its key is the member's project's, which the admin cannot read.
		const alphaId = c.member.identity.token().projectId;
		const adminProjects = await c.admin.identity.listProjects();
		t.false(adminProjects.some(project => project.id === alphaId), 'the admin has no role in the member\'s project');
		const type = await makeEncryptedType(t, c, 'fleetkey');
		const volume = await makeVolume(t, c, services(c.member).cinder, {size: 1, name: `${prefix}-encrypted`, volumeType: type.name});
		t.truthy(volume.encryptionKeyId);
		const report = await fleetReport(t, c, new Date());
		const entry = report.projects.find(item => item.project.id === alphaId);
		const about = (entry?.findings ?? []).filter(finding => finding.resource.id === volume.id);
		t.deepEqual(about.map(finding => `${finding.severity} ${finding.code}`).toSorted(), ['critical volume.unprotected', 'warning key.unknown']);
		const unknownReason = about.find(finding => finding.code === 'key.unknown')?.reason ?? '';
		t.regex(unknownReason, /Barbican refused the lookup \(secrets: Barbican's secrets are project-scoped and admin has no role in this project/v);
		const barbicanSource = entry?.sources.barbican;
		t.is(barbicanSource?.state, 'forbidden');
		t.regex(barbicanSource?.state === 'ok' ? '' : (barbicanSource?.reason ?? ''), /1 referenced key\(s\) asked by ID, 1 refused/v);
		// The member's own audit checks the same key and finds it.
		const own = await runAudit(c.member, {policy: fleetPolicy});
		t.false((own.projects[0]?.findings ?? []).some(finding => finding.resource.id === volume.id && finding.code.startsWith('key.')));
	});
}

/**
`openstack image unset --property KEY` as the member: a JSON patch that removes the property.
*/
async function removeImageProperty(c: Context, imageId: string, key: string): Promise<void> {
	await userRequest(c.member, await configFor(c.cloud, c.scratch, c.cloud.member), {
		service: 'image', method: 'PATCH', path: `images/${imageId}`, body: [{op: 'remove', path: `/${key}`}], contentType: 'application/openstack-images-v2.1-json-patch',
	});
}

// ------------------------------------------------------------------------------------------------ servers through Nova

/**
Servers booted through Nova's API as the member (flavor bs.tiny of provision.sh, no network), with volumes attached.
*/
async function novaServers(c: Context): Promise<ServerMaker> {
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

const cliPath = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

type CliChild = ChildProcess & {output(): string};

/**
Runs `node dist/cli.js …` as the member of the target's cloud, with a private config directory (and so journal) and
no other OS_* variables or user files in play.
*/
function cliRunner(c: Context, configDir: string) {
	if (!existsSync(cliPath)) {
		throw new Error(`${cliPath} is missing: run npm run build first`);
	}

	const environment = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('OS_') && key !== 'XDG_CONFIG_HOME'));
	const env = {
		...environment,
		...Object.fromEntries([
			[configFileVariable, c.cloud.cloudsFile],
			['OS_CLOUD', c.cloud.member],
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
function readOnlyJournal(directory: string): JournalRecord | undefined {
	const [only] = listUnfinishedOrDone(directory);
	return only === undefined ? undefined : readJournal(directory, only);
}

function listUnfinishedOrDone(directory: string): string[] {
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
function pollingClock(c: Context): Clock {
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
async function namedLeftovers(session: CloudSession, prefix: string): Promise<string[]> {
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
async function removeNamed(c: Context, session: CloudSession, prefix: string): Promise<void> {
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

async function configFor(cloud: ContractCloud, scratch: string, name: string): Promise<ResolvedCloudConfig> {
	return loadCloudConfig({
		cloud: name, env: {[configFileVariable]: cloud.cloudsFile}, cwd: scratch, home: scratch, systemDirs: [],
	});
}

function services(session: CloudSession): Services {
	const {cinder, glance, barbican} = session;
	if (!cinder || !glance || !barbican) {
		throw new Error(`${session.cloudName}: the catalog lacks cinder, glance or barbican`);
	}

	return {cinder, glance, barbican};
}

function compareVersions(a: string, b: string): number {
	const [aMajor = 0, aMinor = 0] = a.split('.').map(Number);
	const [bMajor = 0, bMinor = 0] = b.split('.').map(Number);
	return aMajor === bMajor ? aMinor - bMinor : aMajor - bMajor;
}

function ids(items: Array<{id: string}>): string[] {
	return items.map(item => item.id).toSorted();
}

async function secretStatus(barbican: BarbicanApi, id: string): Promise<string | undefined> {
	const secret = await barbican.findSecret(id);
	return secret?.status;
}

function statusOf(error: unknown): number | undefined {
	return isOpenStackError(error) ? error.status : undefined;
}

function serviceMessageOf(error: unknown): string | undefined {
	return isOpenStackError(error) ? error.serviceMessage : undefined;
}

async function findSnapshot(cinder: CinderApi, id: string): Promise<Snapshot | undefined> {
	return cinder.getSnapshot(id).catch((error: unknown) => {
		ignoreNotFound(error);
		return undefined;
	});
}

async function removeSnapshot(c: Context, cinder: CinderApi, id: string): Promise<void> {
	const snapshot = await poll(c, `snapshot ${id} settled`, async () => findSnapshot(cinder, id), value => value === undefined || !['creating', 'deleting'].includes(value.status));
	if (!snapshot) {
		return;
	}

	await cinder.deleteSnapshot(id).catch(ignoreNotFound);
	await poll(c, `snapshot ${id} deleted`, async () => findSnapshot(cinder, id), value => value === undefined);
}

function ignoreNotFound(error: unknown): void {
	if (!isNotFound(error)) {
		throw error;
	}
}

type Quota = {limit: number; inUse: number};

const configFileVariable = 'OS_CLIENT_CONFIG_FILE';

/**
The body of a Cinder quota-set update of the volumes count.
*/
function cinderQuota(volumes: number): Record<string, Record<string, number>> {
	return Object.fromEntries([['quota_set', {volumes}]]);
}

function quotaUsage(body: unknown, resource: string): Quota {
	const set = (body as {quota_set?: Record<string, unknown>} | undefined)?.quota_set;
	const entry = set?.[resource] as {limit?: unknown; in_use?: unknown} | undefined;
	if (typeof entry?.limit !== 'number' || typeof entry.in_use !== 'number') {
		throw new TypeError(`no ${resource} usage in ${JSON.stringify(body)}`);
	}

	return {limit: entry.limit, inUse: entry.in_use};
}

async function poll<T>(c: Context, what: string, read: () => Promise<T>, isDone: (value: T) => boolean): Promise<T> {
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

async function waitVolume(c: Context, cinder: CinderApi, id: string, until: string[]): Promise<Volume> {
	const volume = await poll(c, `volume ${id} → ${until.join('|')}`, async () => cinder.getVolume(id), value => until.includes(value.status) || value.status.startsWith('error'));
	if (!until.includes(volume.status)) {
		throw new Error(`volume ${id} ended ${volume.status}, expected ${until.join('|')}`);
	}

	return volume;
}

async function waitBackup(c: Context, cinder: CinderApi, id: string, until: string[]): Promise<Backup> {
	const backup = await poll(c, `backup ${id} → ${until.join('|')}`, async () => cinder.getBackup(id), value => until.includes(value.status) || value.status.startsWith('error'));
	if (!until.includes(backup.status)) {
		throw new Error(`backup ${id} ended ${backup.status}${backup.failReason === undefined ? '' : ` (${backup.failReason})`}, expected ${until.join('|')}`);
	}

	return backup;
}

async function waitImage(c: Context, glance: GlanceApi, id: string, until: string[]): Promise<Image> {
	const image = await poll(c, `image ${id} → ${until.join('|')}`, async () => glance.getImage(id), value => until.includes(value.status) || value.status === 'killed');
	if (!until.includes(image.status)) {
		throw new Error(`image ${id} ended ${image.status}`);
	}

	return image;
}

async function waitVolumeGone(c: Context, cinder: CinderApi, id: string): Promise<void> {
	await poll(c, `volume ${id} deleted`, async () => cinder.findVolume(id), volume => volume === undefined || volume.status === 'error_deleting');
	if (await cinder.findVolume(id)) {
		throw new Error(`volume ${id} ended error_deleting`);
	}
}

async function waitBackupGone(c: Context, cinder: CinderApi, id: string): Promise<void> {
	await poll(c, `backup ${id} deleted`, async () => cinder.findBackup(id), backup => backup === undefined || backup.status === 'error_deleting');
	if (await cinder.findBackup(id)) {
		throw new Error(`backup ${id} ended error_deleting`);
	}
}

/**
Glance deletes the image's key after answering; true once the secret is gone.
*/
async function isSecretDeleted(c: Context, barbican: BarbicanApi, id: string): Promise<boolean> {
	const secret = await poll(c, `secret ${id} deleted`, async () => barbican.findSecret(id), value => value === undefined).catch(() => 'still there');
	return secret === undefined;
}

async function makeEncryptedType(t: ExecutionContext, c: Context, label: string) {
	const {cinder} = services(c.admin);
	const type = await cinder.createEncryptedVolumeType({name: `bs-contract-${c.run}-${label}`, description: 'backstack contract suite'});
	t.teardown(async () => {
		await cinder.deleteVolumeType(type.id).catch(ignoreNotFound);
	});
	return type;
}

async function makeVolume(t: ExecutionContext, c: Context, cinder: CinderApi, request: {size: number; name: string; volumeType?: string; metadata?: Record<string, string>; imageRef?: string}): Promise<Volume> {
	const created = await cinder.createVolume(request);
	t.teardown(async () => removeVolume(c, cinder, created.id));
	return waitVolume(c, cinder, created.id, ['available']);
}

async function makeBackup(t: ExecutionContext, c: Context, cinder: CinderApi, request: {volumeId: string; name: string; incremental?: boolean; metadata?: Record<string, string>}): Promise<Backup> {
	const {id} = await cinder.createBackup(request);
	t.teardown(async () => removeBackup(c, cinder, id));
	const backup = await waitBackup(c, cinder, id, ['available']);
	await waitVolume(c, cinder, request.volumeId, ['available']);
	return backup;
}

/**
Best effort, for teardowns: wait until the volume can be deleted, delete it, wait until it is gone.
*/
async function removeVolume(c: Context, cinder: CinderApi, id: string): Promise<void> {
	const volume = await poll(c, `volume ${id} settled`, async () => cinder.findVolume(id), value => value === undefined || settledVolume.has(value.status));
	if (!volume) {
		return;
	}

	await cinder.deleteVolume(id).catch(ignoreNotFound);
	await waitVolumeGone(c, cinder, id);
}

async function removeBackup(c: Context, cinder: CinderApi, id: string): Promise<void> {
	const backup = await poll(c, `backup ${id} settled`, async () => cinder.findBackup(id), value => value === undefined || settledBackup.has(value.status));
	if (!backup) {
		return;
	}

	await cinder.deleteBackup(id).catch(ignoreNotFound);
	await waitBackupGone(c, cinder, id);
}

async function removeImage(c: Context, glance: GlanceApi, id: string): Promise<void> {
	await poll(c, `image ${id} settled`, async () => glance.findImage(id), value => value === undefined || !['saving', 'uploading', 'importing'].includes(value.status));
	await glance.deleteImage(id).catch(ignoreNotFound);
}
