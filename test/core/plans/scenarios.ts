/*
Restore and backup journeys as functions of a CloudSession, so that the same code runs against the demo cloud (in
test/core/plans/scenarios.test.ts) and against the real Zed cloud (the contract suite). Each one creates what it needs,
asserts what the cloud did, and deletes everything it created, also when it fails. They throw on failure.

Needs: Cinder with the backup service; an encrypted volume type visible to the project (an admin creates it in the
suite's setup, e.g. `openstack volume type create --encryption-provider luks --encryption-cipher aes-xts-plain64
--encryption-key-size 256 --encryption-control-location front-end LUKS`). The key and image scenarios also need
Barbican and Glance.
*/
import {Buffer} from 'node:buffer';
import {randomBytes} from 'node:crypto';
import {readFile, stat, writeFile} from 'node:fs/promises';
import path from 'node:path';
import {backupMetaSourceTypeId, backupMetaSourceTypeName} from '../../../source/core/model.js';
import {planImageDownload, planSecretExport, planVolumeBackup} from '../../../source/core/plans/backup.js';
import {systemClock} from '../../../source/core/plans/clock.js';
import {removeResource, runPlan} from '../../../source/core/plans/execute.js';
import {planImageFromFile, planRestoreBackupToNewVolume, planSecretFromFile} from '../../../source/core/plans/restore.js';
import type {
	Clock,
	CreatedResource,
	Plan,
	PlanEvent,
	PlanResult,
} from '../../../source/core/plans/types.js';
import type {CloudSession} from '../../../source/openstack/api.js';

export type ScenarioContext = {
	session: CloudSession;
	/**
	Name of an encrypted volume type the project may use.
	*/
	encryptedType: string;
	/**
	A directory the scenario may write files to.
	*/
	workDir: string;
	/**
	Prefix for the names of everything created (to find leftovers).
	*/
	prefix?: string;
	clock?: Clock;
	log?: (line: string) => void;
};

export type Scenario = {
	name: string;
	needs: Array<'cinder' | 'glance' | 'barbican'>;
	run(context: ScenarioContext): Promise<void>;
};

class ScenarioFailure extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'ScenarioFailure';
	}
}

function expect(isTrue: boolean, message: string): asserts isTrue {
	if (!isTrue) {
		throw new ScenarioFailure(message);
	}
}

function planOf(result: PlanResult): Plan {
	if (result.kind !== 'plan') {
		throw new ScenarioFailure(`Expected a plan, got ${JSON.stringify(result)}`);
	}

	return result.plan;
}

type Tracker = {
	created: CreatedResource[];
	add(resource: Omit<CreatedResource, 'stepId' | 'temporary'>): void;
	run(plan: Plan): Promise<PlanEvent[]>;
};

/**
Runs `body` with a tracker of created resources, and deletes them all afterwards (newest first).
*/
async function withCleanup(context: ScenarioContext, body: (tracker: Tracker) => Promise<void>): Promise<void> {
	const clock = context.clock ?? systemClock;
	const created: CreatedResource[] = [];
	const tracker: Tracker = {
		created,
		add(resource) {
			created.push({...resource, stepId: 'scenario', temporary: false});
		},
		async run(plan) {
			const events: PlanEvent[] = [];
			for await (const event of runPlan(plan, context.session, {clock})) {
				context.log?.(`${plan.kind}: ${event.type}${'reason' in event ? ` ${event.reason}` : ''}`);
				events.push(event);
				if (event.type === 'created') {
					created.push(event.resource);
				}
			}

			return events;
		},
	};
	try {
		await body(tracker);
	} finally {
		for (const resource of created.toReversed()) {
			if (resource.removed) {
				continue;
			}

			try {
				// eslint-disable-next-line no-await-in-loop
				await removeResource(context.session, resource, clock, 10 * 60_000);
			} catch (error) {
				context.log?.(`could not remove ${resource.kind} ${resource.id}: ${error instanceof Error ? error.message : String(error)}`);
			}
		}
	}
}

function outcome(events: PlanEvent[]): PlanEvent | undefined {
	return events.at(-1);
}

function resultOf(events: PlanEvent[], key: string): string {
	const end = outcome(events);
	expect(end?.type === 'plan-done', `plan did not finish: ${JSON.stringify(end)}`);
	const value = end.results[key];
	expect(value !== undefined, `plan has no result ${key}`);
	return String(value);
}

async function encryptedVolume(context: ScenarioContext, tracker: Tracker, name: string) {
	const cinder = context.session.cinder!;
	const clock = context.clock ?? systemClock;
	const volume = await cinder.createVolume({size: 1, name, volumeType: context.encryptedType});
	tracker.add({kind: 'volume', id: volume.id, name});
	const deadline = clock.now() + (5 * 60_000);
	for (;;) {
		// eslint-disable-next-line no-await-in-loop
		const current = await cinder.getVolume(volume.id);
		if (current.status === 'available') {
			return current;
		}

		expect(!current.status.startsWith('error') && clock.now() < deadline, `volume ${name} is ${current.status}`);
		// eslint-disable-next-line no-await-in-loop
		await clock.sleep(1000);
	}
}

/**
Backup of an encrypted volume by backstack's plan, then both restore ways into new volumes of the source type.
*/
export const encryptedBackupRoundTrip: Scenario = {
	name: 'encrypted backup of a non-default type restores into a new volume, both ways',
	needs: ['cinder'],
	async run(context) {
		const prefix = context.prefix ?? 'backstack-scenario';
		await withCleanup(context, async tracker => {
			const cinder = context.session.cinder!;
			const source = await encryptedVolume(context, tracker, `${prefix}-src`);
			expect(source.encrypted, 'the source volume is not encrypted: is the type really an encrypted one?');
			const backupPlan = planOf(await planVolumeBackup(context.session, {volumeId: source.id, version: 'scenario'}));
			const backupId = resultOf(await tracker.run(backupPlan), 'backup');
			const backup = await cinder.getBackup(backupId);
			expect(backup.metadata[backupMetaSourceTypeName] === source.volumeType, 'the backup metadata lacks the source type name');
			expect(source.volumeTypeId === undefined || backup.metadata[backupMetaSourceTypeId] === source.volumeTypeId, 'the backup metadata lacks the source type id');

			const methods = ['create-then-restore', ...(Number(cinder.microversion.max.split('.', 2)[1]) >= 47 ? ['create-from-backup' as const] : [])] as const;
			for (const method of methods) {
				// eslint-disable-next-line no-await-in-loop
				const plan = planOf(await planRestoreBackupToNewVolume(context.session, {backupId, name: `${prefix}-restored-${method}`, method}));
				// eslint-disable-next-line no-await-in-loop
				const volumeId = resultOf(await tracker.run(plan), 'volume');
				// eslint-disable-next-line no-await-in-loop
				const restored = await cinder.getVolume(volumeId);
				expect(restored.status === 'available', `${method}: restored volume is ${restored.status}`);
				expect(restored.encrypted, `${method}: restored volume is not encrypted`);
				expect(restored.volumeType === source.volumeType, `${method}: restored volume has type ${restored.volumeType ?? '?'}, not ${source.volumeType ?? '?'}`);
				expect(restored.metadata['src_backup_id'] === backupId, `${method}: restored volume lacks src_backup_id`);
			}
		});
	},
};

/**
What the guide warns about: a default-type target for an encrypted backup ends error_restoring, and the run says so at once.
*/
export const restoreTrapFailsFast: Scenario = {
	name: 'restoring an encrypted backup into the default type fails fast with error_restoring',
	needs: ['cinder'],
	async run(context) {
		const prefix = context.prefix ?? 'backstack-scenario';
		await withCleanup(context, async tracker => {
			const cinder = context.session.cinder!;
			const source = await encryptedVolume(context, tracker, `${prefix}-trap-src`);
			const {id: backupId} = await cinder.createBackup({volumeId: source.id, name: `${prefix}-trap-backup`});
			tracker.add({kind: 'backup', id: backupId, name: `${prefix}-trap-backup`});
			const clock = context.clock ?? systemClock;
			for (;;) {
				// eslint-disable-next-line no-await-in-loop
				const backup = await cinder.getBackup(backupId);
				if (backup.status === 'available') {
					break;
				}

				expect(backup.status !== 'error', 'backup ended error');
				// eslint-disable-next-line no-await-in-loop
				await clock.sleep(1000);
			}

			const plan: Plan = {
				id: `${prefix}-trap`,
				kind: 'scenario',
				title: 'restore into a default-type volume',
				createdAt: new Date().toISOString(),
				warnings: [],
				steps: [
					{
						id: 'target',
						title: 'default-type target',
						danger: 'create',
						checks: [],
						action: {op: 'cinder.createVolume', args: {size: 1, name: `${prefix}-trap-target`}},
						creates: {kind: 'volume', output: 'volumeId', temporary: false},
						wait: {
							resource: 'volume', id: {$ref: 'target', output: 'volumeId'}, until: ['available'], failOn: ['error'], timeoutMs: 5 * 60_000,
						},
					},
					{
						id: 'restore',
						title: 'restore',
						danger: 'mutate',
						checks: [],
						action: {op: 'cinder.restoreBackup', args: {backupId, volumeId: {$ref: 'target', output: 'volumeId'}}},
						wait: {
							resource: 'volume', id: {$ref: 'target', output: 'volumeId'}, until: ['available'], failOn: ['error_restoring', 'error'], timeoutMs: 60 * 60_000,
						},
					},
				],
			};
			const started = clock.now();
			const end = outcome(await tracker.run(plan));
			expect(end?.type === 'plan-failed', `expected a failure, got ${JSON.stringify(end)}`);
			expect(end.reason.includes('error_restoring'), `failure does not name error_restoring: ${end.reason}`);
			expect(clock.now() - started < 5 * 60_000, 'the failure was not noticed promptly');
		});
	},
};

/**
Key escrow: export a volume's key to a 0600 file, store it again (new ID), and read back the same bytes.
*/
export const keyExportRoundTrip: Scenario = {
	name: 'a volume key exported to a 0600 file can be stored again as a new secret with the same bytes',
	needs: ['cinder', 'barbican'],
	async run(context) {
		const prefix = context.prefix ?? 'backstack-scenario';
		await withCleanup(context, async tracker => {
			const volume = await encryptedVolume(context, tracker, `${prefix}-key-src`);
			const file = path.join(context.workDir, `${prefix}-key.bin`);
			await tracker.run(planOf(await planSecretExport(context.session, {from: {kind: 'volume', id: volume.id}, path: file, hex: true})));
			const {mode} = await stat(file);
			// eslint-disable-next-line no-bitwise -- the permission bits.
			expect((mode & 0o777) === 0o600, 'the key file is not mode 0600');
			const storePlan = planOf(await planSecretFromFile(context.session, {path: file, name: `${prefix}-restored-key`, oldSecretId: volume.encryptionKeyId}));
			const secretId = resultOf(await tracker.run(storePlan), 'secret');
			expect(secretId !== volume.encryptionKeyId, 'the restored secret kept the old ID');
			const payload = await context.session.barbican!.getSecretPayload(secretId);
			expect(Buffer.from(payload).equals(await readFile(file)), 'the restored secret holds other bytes');
		});
	},
};

/**
An image uploaded from a file, then downloaded with checksum verification, is the same file.
*/
export const imageFileRoundTrip: Scenario = {
	name: 'an image restored from a file downloads back byte for byte',
	needs: ['glance'],
	async run(context) {
		const prefix = context.prefix ?? 'backstack-scenario';
		await withCleanup(context, async tracker => {
			const source = path.join(context.workDir, `${prefix}-image.raw`);
			const data = randomBytes((3 * 1024 * 1024) + 17);
			await writeFile(source, data);
			const uploadPlan = planOf(await planImageFromFile(context.session, {path: source, name: `${prefix}-image`}));
			const imageId = resultOf(await tracker.run(uploadPlan), 'image');
			const target = path.join(context.workDir, `${prefix}-image.copy`);
			const events = await tracker.run(planOf(await planImageDownload(context.session, {imageId, path: target})));
			expect(outcome(events)?.type === 'plan-done', `download failed: ${JSON.stringify(outcome(events))}`);
			expect(events.some(event => event.type === 'bytes'), 'no byte progress was reported');
			expect(data.equals(await readFile(target)), 'the downloaded image differs from the uploaded file');
		});
	},
};

export const scenarios: Scenario[] = [encryptedBackupRoundTrip, restoreTrapFailsFast, keyExportRoundTrip, imageFileRoundTrip];
