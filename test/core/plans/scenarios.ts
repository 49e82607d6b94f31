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
import {createHash, randomBytes} from 'node:crypto';
import {execFile} from 'node:child_process';
import {createReadStream, createWriteStream} from 'node:fs';
import {
	open,
	readFile,
	rm,
	stat,
	writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import {Readable} from 'node:stream';
import {pipeline} from 'node:stream/promises';
import {
	backupMetaEncrypted,
	backupMetaSize,
	backupMetaSourceTypeId,
	backupMetaSourceTypeName,
	backupMetaVersion,
} from '../../../source/core/model.js';
import {runAudit} from '../../../source/core/audit.js';
import {
	planImageDownload,
	planSecretExport,
	planVolumeBackup,
	planVolumeToImage,
} from '../../../source/core/plans/backup.js';
import {planBackup, planRestore} from '../../../source/core/plans/commands.js';
import {systemClock} from '../../../source/core/plans/clock.js';
import {runPlan} from '../../../source/core/plans/execute.js';
import {removeResource} from '../../../source/core/plans/removal.js';
import {
	planImageFromFile,
	planRestoreBackupToNewVolume,
	planRestoreOntoVolume,
	planSecretFromFile,
	planVolumeFromImage,
} from '../../../source/core/plans/restore.js';
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

/**
Runs qemu-img; rejects with its stderr.
*/
async function qemuImg(args: string[]): Promise<void> {
	await new Promise<void>((resolve, reject) => {
		execFile('qemu-img', args, (error, _stdout, stderr) => {
			if (error) {
				reject(new Error(`${error.message} ${stderr}`));
			} else {
				resolve();
			}
		});
	});
}

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
	run(plan: Plan, confirmation?: string): Promise<PlanEvent[]>;
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
		async run(plan, confirmation) {
			const events: PlanEvent[] = [];
			for await (const event of runPlan(plan, context.session, {clock, confirmation})) {
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

type Status = {status: string};

/**
Polls `read` until the status is one of `until`; throws on an error status or after 15 minutes.
*/
async function settle<T extends Status>(context: ScenarioContext, what: string, read: () => Promise<T>, until: string[]): Promise<T> {
	const timeoutMs = 15 * 60_000;
	const clock = context.clock ?? systemClock;
	const deadline = clock.now() + timeoutMs;
	for (;;) {
		// eslint-disable-next-line no-await-in-loop
		const current = await read();
		if (until.includes(current.status)) {
			return current;
		}

		expect(!current.status.startsWith('error') && current.status !== 'killed' && current.status !== 'deleted', `${what} is ${current.status}`);
		expect(clock.now() < deadline, `${what} is still ${current.status} after ${timeoutMs / 1000} s`);
		// eslint-disable-next-line no-await-in-loop
		await clock.sleep(2000);
	}
}

/**
Polls until `find` finds nothing any more.
*/
async function vanish(context: ScenarioContext, what: string, find: () => Promise<unknown>, timeoutMs = 5 * 60_000): Promise<void> {
	const clock = context.clock ?? systemClock;
	const deadline = clock.now() + timeoutMs;
	for (;;) {
		// eslint-disable-next-line no-await-in-loop
		if (await find() === undefined) {
			return;
		}

		expect(clock.now() < deadline, `${what} is still there after ${timeoutMs / 1000} s`);
		// eslint-disable-next-line no-await-in-loop
		await clock.sleep(2000);
	}
}

/**
A raw image of `data`, made by backstack's own upload plan (the tracker deletes it afterwards).
*/
async function imageOf(context: ScenarioContext, tracker: Tracker, name: string, data: Uint8Array): Promise<string> {
	const file = path.join(context.workDir, `${name}.raw`);
	await writeFile(file, data);
	const plan = planOf(await planImageFromFile(context.session, {path: file, name}));
	const imageId = resultOf(await tracker.run(plan), 'image');
	const image = await context.session.glance!.getImage(imageId);
	expect(image.status === 'active' && image.size === data.length, `image ${name} is ${image.status} with ${image.size ?? '?'} bytes, not active with ${data.length}`);
	return imageId;
}

async function plainVolume(context: ScenarioContext, tracker: Tracker, name: string, extra: {imageRef?: string; metadata?: Record<string, string>; volumeType?: string} = {}) {
	const cinder = context.session.cinder!;
	const volume = await cinder.createVolume({size: 1, name, ...extra});
	tracker.add({kind: 'volume', id: volume.id, name});
	return settle(context, `volume ${name}`, async () => cinder.getVolume(volume.id), ['available']);
}

async function backupBy(context: ScenarioContext, tracker: Tracker, volumeId: string): Promise<string> {
	const plan = planOf(await planVolumeBackup(context.session, {volumeId, version: 'scenario'}));
	return resultOf(await tracker.run(plan), 'backup');
}

/**
Streams an image and compares it with `expected`: the first bytes equal it, every byte after it is zero. Returns the image's length.
*/
async function compareImage(context: ScenarioContext, imageId: string, original: Uint8Array): Promise<number> {
	const expected = Buffer.from(original.buffer, original.byteOffset, original.byteLength);
	let position = 0;
	for await (const chunk of context.session.glance!.downloadImage(imageId)) {
		const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
		const head = Math.max(0, Math.min(bytes.length, expected.length - position));
		if (head > 0) {
			expect(bytes.subarray(0, head).equals(expected.subarray(position, position + head)), `the restored data differs within bytes ${position}..${position + head}`);
		}

		const tail = bytes.subarray(head);
		const nonZero = tail.findIndex(byte => byte !== 0);
		expect(nonZero === -1, `the restored volume has a non-zero byte at ${position + head + nonZero}, after the original data`);
		position += bytes.length;
	}

	expect(position >= expected.length, `the restored image has ${position} bytes, fewer than the ${expected.length} written`);
	return position;
}

/**
Restore 1 with the data read back: image of known bytes → volume → backstack backup → backstack restore into a new
volume → upload that to an image → download: the original bytes, then zeros.
*/
export const restoredDataReadBack: Scenario = {
	name: 'a volume restored from a backup into a new volume holds the original bytes',
	needs: ['cinder', 'glance'],
	async run(context) {
		const prefix = context.prefix ?? 'backstack-scenario';
		await withCleanup(context, async tracker => {
			const cinder = context.session.cinder!;
			const data = randomBytes((256 * 1024) + 13);
			const sourceImage = await imageOf(context, tracker, `${prefix}-data-image`, data);
			const source = await plainVolume(context, tracker, `${prefix}-data-src`, {imageRef: sourceImage});
			const backupId = await backupBy(context, tracker, source.id);
			const restorePlan = planOf(await planRestoreBackupToNewVolume(context.session, {backupId, name: `${prefix}-data-restored`}));
			const restoredId = resultOf(await tracker.run(restorePlan), 'volume');
			const restored = await cinder.getVolume(restoredId);
			expect(restored.status === 'available' && restored.id !== source.id, `restored volume is ${restored.status}`);
			const imageName = `${prefix}-data-readback`;
			const {imageId} = await cinder.uploadVolumeToImage(restoredId, {imageName, diskFormat: 'raw', containerFormat: 'bare'});
			tracker.add({kind: 'image', id: imageId, name: imageName});
			await settle(context, `image ${imageName}`, async () => context.session.glance!.getImage(imageId), ['active']);
			await settle(context, `volume ${restored.name}`, async () => cinder.getVolume(restoredId), ['available']);
			const length = await compareImage(context, imageId, data);
			context.log?.(`read back ${length} bytes: ${data.length} original, the rest zeros`);
		});
	},
};

/**
Backup 1 + restore 2 with the source gone: the type comes from the backup's metadata alone.
*/
export const restoreWithSourceGone: Scenario = {
	name: 'an encrypted backup restores into a new volume of its type after the source volume is deleted',
	needs: ['cinder'],
	async run(context) {
		const prefix = context.prefix ?? 'backstack-scenario';
		await withCleanup(context, async tracker => {
			const cinder = context.session.cinder!;
			const source = await encryptedVolume(context, tracker, `${prefix}-gone-src`);
			expect(source.encrypted, 'the source volume is not encrypted: is the type really an encrypted one?');
			const backupId = await backupBy(context, tracker, source.id);
			const backup = await cinder.getBackup(backupId);
			expect(backup.metadata[backupMetaSourceTypeName] === source.volumeType, 'the backup metadata lacks the source type name');
			await cinder.deleteVolume(source.id);
			await vanish(context, `volume ${source.name}`, async () => cinder.findVolume(source.id));
			const tracked = tracker.created.find(resource => resource.id === source.id);
			if (tracked) {
				tracked.removed = true;
			}

			const plan = planOf(await planRestoreBackupToNewVolume(context.session, {backupId, name: `${prefix}-gone-restored`}));
			const volumeId = resultOf(await tracker.run(plan), 'volume');
			const restored = await cinder.getVolume(volumeId);
			expect(restored.status === 'available', `restored volume is ${restored.status}`);
			expect(restored.encrypted, 'restored volume is not encrypted');
			expect(restored.volumeType === source.volumeType, `restored volume has type ${restored.volumeType ?? '?'}, not ${source.volumeType ?? '?'}`);
		});
	},
};

/**
Restore 3: onto an existing volume, refused without the typed confirmation (nothing changes), done with it.
*/
export const restoreOntoExisting: Scenario = {
	name: 'restoring onto an existing volume needs the typed confirmation',
	needs: ['cinder'],
	async run(context) {
		const prefix = context.prefix ?? 'backstack-scenario';
		await withCleanup(context, async tracker => {
			const cinder = context.session.cinder!;
			const source = await plainVolume(context, tracker, `${prefix}-onto-src`);
			const backupId = await backupBy(context, tracker, source.id);
			const target = await plainVolume(context, tracker, `${prefix}-onto-target`, {metadata: {scenario: 'untouched'}});
			const plan = planOf(await planRestoreOntoVolume(context.session, {backupId, volumeId: target.id}));
			expect(plan.confirmation !== undefined, 'the plan asks for no confirmation');
			const refused = await tracker.run(plan);
			expect(outcome(refused)?.type === 'plan-failed', `without confirmation the plan ended ${JSON.stringify(outcome(refused))}`);
			expect(refused.every(event => event.type !== 'request'), 'without confirmation the plan still sent a request');
			const after = await cinder.getVolume(target.id);
			expect(after.status === 'available', `the target became ${after.status} without confirmation`);
			expect(JSON.stringify(after.metadata) === JSON.stringify(target.metadata), `the target's metadata changed without confirmation: ${JSON.stringify(after.metadata)}`);
			const wrong = await tracker.run(plan, `${plan.confirmation.text}x`);
			expect(outcome(wrong)?.type === 'plan-failed', 'a wrong confirmation text was accepted');
			const done = await tracker.run(plan, plan.confirmation.text);
			expect(outcome(done)?.type === 'plan-done', `with confirmation the plan ended ${JSON.stringify(outcome(done))}`);
			const restored = await cinder.getVolume(target.id);
			expect(restored.status === 'available', `the target is ${restored.status}`);
			expect(restored.metadata['src_backup_id'] === backupId, `the target lacks src_backup_id: ${JSON.stringify(restored.metadata)}`);
		});
	},
};

/**
Restore 4: a volume from an image, at least as large as the image needs.
*/
export const volumeFromImage: Scenario = {
	name: 'a volume restored from an image is available with the size the image needs',
	needs: ['cinder', 'glance'],
	async run(context) {
		const prefix = context.prefix ?? 'backstack-scenario';
		await withCleanup(context, async tracker => {
			const data = randomBytes((1024 * 1024) + 5);
			const imageId = await imageOf(context, tracker, `${prefix}-fromimage-image`, data);
			const image = await context.session.glance!.getImage(imageId);
			const minDisk = typeof image.raw['min_disk'] === 'number' ? image.raw['min_disk'] : 0;
			const tooSmall = await planVolumeFromImage(context.session, {imageId, size: 0});
			expect(tooSmall.kind === 'refusal', `a 0 GiB volume from the image was not refused: ${tooSmall.kind}`);
			const plan = planOf(await planVolumeFromImage(context.session, {imageId, name: `${prefix}-fromimage-volume`}));
			const volumeId = resultOf(await tracker.run(plan), 'volume');
			const volume = await context.session.cinder!.getVolume(volumeId);
			expect(volume.status === 'available', `the volume is ${volume.status}`);
			expect(volume.size >= Math.max(1, minDisk, Math.ceil(data.length / (1024 ** 3))), `the volume has ${volume.size} GiB, less than the image needs`);
			expect(volume.bootable, 'the volume made from an image is not bootable');
		});
	},
};

/**
Backup 4: an image download that resumes from a partial file ends with the whole image, checksums verified.
*/
export const imageDownloadResumes: Scenario = {
	name: 'an interrupted image download resumes from its partial file and matches the image\'s checksums',
	needs: ['glance'],
	async run(context) {
		const prefix = context.prefix ?? 'backstack-scenario';
		await withCleanup(context, async tracker => {
			const data = randomBytes((3 * 1024 * 1024) + 101);
			const imageId = await imageOf(context, tracker, `${prefix}-resume-image`, data);
			const image = await context.session.glance!.getImage(imageId);
			const target = path.join(context.workDir, `${prefix}-resume.raw`);
			const held = (1024 * 1024) + 7;
			// What an interrupted run leaves: the first bytes in <path>.part.
			await writeFile(`${target}.part`, data.subarray(0, held), {mode: 0o600});
			const events = await tracker.run(planOf(await planImageDownload(context.session, {imageId, path: target})));
			expect(outcome(events)?.type === 'plan-done', `download failed: ${JSON.stringify(outcome(events))}`);
			const progress = events.find(event => event.type === 'bytes');
			expect(progress?.transferred === held, `the download did not start at the partial file's ${held} bytes: ${JSON.stringify(progress)}`);
			const file = await readFile(target);
			expect(file.equals(data), 'the resumed file differs from the uploaded bytes');
			expect(image.checksum === undefined || createHash('md5').update(file).digest('hex') === image.checksum, 'md5 differs from the image\'s checksum');
			expect(image.hashAlgo !== 'sha512' || createHash('sha512').update(file).digest('hex') === image.hashValue, 'sha512 differs from the image\'s os_hash_value');
			expect(image.checksum !== undefined || image.hashValue !== undefined, 'the image has no checksum to compare with');
		});
	},
};

/**
Backup 2: an available volume is uploaded directly; no temporary snapshot or volume is made or left.
*/
export const volumeToImageAvailable: Scenario = {
	name: 'an available volume is copied into an image without leaving a temporary snapshot or volume',
	needs: ['cinder', 'glance'],
	async run(context) {
		const prefix = context.prefix ?? 'backstack-scenario';
		await withCleanup(context, async tracker => {
			const cinder = context.session.cinder!;
			const source = await plainVolume(context, tracker, `${prefix}-toimage-src`);
			const plan = planOf(await planVolumeToImage(context.session, {volumeId: source.id, imageName: `${prefix}-toimage-image`}));
			const imageId = resultOf(await tracker.run(plan), 'image');
			const image = await settle(context, 'the volume image', async () => context.session.glance!.getImage(imageId), ['active']);
			expect(image.diskFormat === 'raw' && image.containerFormat === 'bare', `the image is ${image.diskFormat ?? '?'}/${image.containerFormat ?? '?'}`);
			await settle(context, 'the source volume', async () => cinder.getVolume(source.id), ['available']);
			const leftovers: string[] = [];
			for await (const snapshot of cinder.listSnapshots()) {
				if (snapshot.volumeId === source.id || snapshot.name.includes(`${prefix}-toimage`)) {
					leftovers.push(`snapshot ${snapshot.name}`);
				}
			}

			for await (const volume of cinder.listVolumes()) {
				if (volume.id !== source.id && volume.name.includes(`${prefix}-toimage`)) {
					leftovers.push(`volume ${volume.name}`);
				}
			}

			expect(leftovers.length === 0, `temporary resources left: ${leftovers.join(', ')}`);
		});
	},
};

const luksMagic = Buffer.from([0x4C, 0x55, 0x4B, 0x53, 0xBA, 0xBE]);

/**
The plaintext of an image, as a file in the work directory. Where the image is a LUKS container (what a block driver
uploads for an encrypted volume, and what the real test cloud's NFS driver now uploads too), it is opened with the
image's own key from Barbican by `qemu-img` (the passphrase is the key's hex, as os-brick passes it; it lives in a 0600
file only while qemu-img runs). Elsewhere (the demo cloud) the image's bytes are the volume's bytes as they are.
*/
export async function plaintextOfImage(context: ScenarioContext, imageId: string, name: string): Promise<string> {
	const glance = context.session.glance!;
	const file = path.join(context.workDir, `${name}.image`);
	await pipeline(Readable.from(glance.downloadImage(imageId)), createWriteStream(file, {mode: 0o600}));
	const handle = await open(file, 'r');
	const head = Buffer.alloc(luksMagic.length);
	try {
		await handle.read(head, 0, head.length, 0);
	} finally {
		await handle.close();
	}

	if (!head.equals(luksMagic)) {
		return file;
	}

	const image = await glance.getImage(imageId);
	expect(image.cinderEncryptionKeyId !== undefined, `image ${imageId} is a LUKS container without cinder_encryption_key_id`);
	const key = await context.session.barbican!.getSecretPayload(image.cinderEncryptionKeyId);
	const passphrase = path.join(context.workDir, `${name}.passphrase`);
	const plaintext = path.join(context.workDir, `${name}.plain`);
	await writeFile(passphrase, Buffer.from(key).toString('hex'), {mode: 0o600});
	try {
		await qemuImg([
			'convert',
			'--object',
			`secret,id=sec0,format=raw,file=${passphrase}`,
			'--image-opts',
			`driver=luks,key-secret=sec0,file.filename=${file}`,
			'-O',
			'raw',
			plaintext,
		]);
	} catch (error) {
		throw new ScenarioFailure(`qemu-img could not open the LUKS image ${imageId} with its key: ${error instanceof Error ? error.message.split('\n').slice(0, 3).join(' ') : String(error)}`);
	} finally {
		await rm(passphrase, {force: true});
		await rm(file, {force: true});
	}

	return plaintext;
}

/**
Compares a file with `original`: the first bytes equal it, every byte after it is zero. Deletes the file; returns its length.
*/
export async function compareFile(file: string, original: Uint8Array, what: string): Promise<number> {
	const expected = Buffer.from(original.buffer, original.byteOffset, original.byteLength);
	let position = 0;
	try {
		for await (const chunk of createReadStream(file)) {
			const bytes = Buffer.from(chunk as Uint8Array);
			const head = Math.max(0, Math.min(bytes.length, expected.length - position));
			if (head > 0) {
				expect(bytes.subarray(0, head).equals(expected.subarray(position, position + head)), `${what} differs within bytes ${position}..${position + head}`);
			}

			const nonZero = bytes.subarray(head).findIndex(byte => byte !== 0);
			expect(nonZero === -1, `${what} has a non-zero byte at ${position + head + nonZero}, after the original data`);
			position += bytes.length;
		}
	} finally {
		await rm(file, {force: true});
	}

	expect(position >= expected.length, `${what} has ${position} bytes, fewer than the ${expected.length} written`);
	return position;
}

/**
Uploads a volume to an image (Cinder's own call, as the read-back of the other scenarios) and waits until both settle.
*/
export async function readBackImage(context: ScenarioContext, tracker: Pick<Tracker, 'add'>, volumeId: string, imageName: string): Promise<string> {
	const cinder = context.session.cinder!;
	const {imageId} = await cinder.uploadVolumeToImage(volumeId, {imageName, diskFormat: 'raw', containerFormat: 'bare'});
	tracker.add({kind: 'image', id: imageId, name: imageName});
	await settle(context, `image ${imageName}`, async () => context.session.glance!.getImage(imageId), ['active']);
	await settle(context, `volume ${volumeId}`, async () => cinder.getVolume(volumeId), ['available']);
	return imageId;
}

/**
An encrypted volume of the scenario's type holding `data` (made from a plain image of it), uploaded to an image by
backstack's plan. Checks that the image has its own key and, unless `isReadBackLater`, that opened it holds the data.
*/
async function encryptedImage(context: ScenarioContext, tracker: Tracker, prefix: string, {data, isReadBackLater = false}: {data: Uint8Array; isReadBackLater?: boolean}) {
	const dataImage = await imageOf(context, tracker, `${prefix}-data`, data);
	const source = await plainVolume(context, tracker, `${prefix}-src`, {imageRef: dataImage, volumeType: context.encryptedType});
	expect(source.encrypted, 'the source volume is not encrypted: is the type really an encrypted one?');
	const plan = planOf(await planVolumeToImage(context.session, {volumeId: source.id, imageName: `${prefix}-image`}));
	const imageId = resultOf(await tracker.run(plan), 'image');
	const image = await settle(context, 'the encrypted volume\'s image', async () => context.session.glance!.getImage(imageId), ['active']);
	await settle(context, 'the source volume', async () => context.session.cinder!.getVolume(source.id), ['available']);
	expect(image.cinderEncryptionKeyId !== undefined && image.cinderEncryptionKeyId !== source.encryptionKeyId, `the image has no key of its own: ${image.cinderEncryptionKeyId ?? 'none'}`);
	if (!isReadBackLater) {
		await compareFile(await plaintextOfImage(context, imageId, `${prefix}-image`), data, 'the encrypted volume\'s image');
	}

	return {source, image};
}

/**
Restore 4 from an encrypted image, through `backstack restore volume-from-image`'s planner: it asks for an encrypted type
and offers only those; the answer gives a volume of that type with its own key, whose data is the image's.
*/
export const encryptedImageToVolume: Scenario = {
	name: 'an encrypted volume\'s image restores into a volume of the encrypted type with its own key and the same bytes',
	needs: ['cinder', 'glance', 'barbican'],
	async run(context) {
		const prefix = `${context.prefix ?? 'backstack-scenario'}-encimg`;
		await withCleanup(context, async tracker => {
			const cinder = context.session.cinder!;
			const data = randomBytes((160 * 1024) + 3);
			// The data is read back from the restored volume at the end, through its own key.
			const {source, image} = await encryptedImage(context, tracker, prefix, {data, isReadBackLater: true});
			const imageKey = image.cinderEncryptionKeyId!;
			// The source volume came from an image, so Cinder (Zed) copied signature_verified into this image; a volume
			// made of it ends `error` unless the property goes first. The plan removes it (the image is the project's).
			const hasSignature = image.properties['signature_verified'] !== undefined;
			context.log?.(`the image ${hasSignature ? 'carries' : 'does not carry'} signature_verified`);

			const request = {kind: 'volume-from-image', imageId: image.id, name: `${prefix}-restored`} as const;
			const question = await planRestore(context.session, request);
			expect(question.kind === 'needs-input', `the planner did not ask for a type: ${JSON.stringify(question)}`);
			expect(question.field === 'volumeType', `it asks for ${question.field}`);
			expect(question.options.some(option => option.value === context.encryptedType || option.label.includes(context.encryptedType)),
				`the encrypted type ${context.encryptedType} is not offered: ${JSON.stringify(question.options)}`);
			const types = await cinder.listVolumeTypes();
			const plainTypes = new Set(types.flatMap(type => (type.name === '__DEFAULT__' ? [type.id, type.name] : [])));
			expect(question.options.every(option => !plainTypes.has(option.value)), `an unencrypted type is offered: ${JSON.stringify(question.options)}`);

			const plan = planOf(await planRestore(context.session, {...request, volumeType: context.encryptedType}));
			const unset = plan.steps.find(step => step.action.op === 'glance.removeImageProperties');
			expect(hasSignature === (unset !== undefined), `the image ${hasSignature ? 'carries' : 'lacks'} signature_verified, the plan ${unset ? 'removes' : 'keeps'} it`);
			expect(unset === undefined || plan.steps[0] === unset, 'the plan removes the property only after it made the volume');
			const volumeId = resultOf(await tracker.run(plan), 'volume');
			const after = await context.session.glance!.getImage(image.id);
			expect(after.properties['signature_verified'] === undefined, 'the image still carries signature_verified');
			const volume = await cinder.getVolume(volumeId);
			expect(volume.status === 'available', `the volume is ${volume.status}`);
			expect(volume.encrypted, 'the volume is not encrypted');
			expect(volume.volumeType === context.encryptedType, `the volume has type ${volume.volumeType ?? '?'}, not ${context.encryptedType}`);
			expect(volume.size === source.size, `the volume has ${volume.size} GiB, the source ${source.size} GiB`);
			expect(volume.encryptionKeyId !== undefined && volume.encryptionKeyId !== imageKey, `the volume's key ${volume.encryptionKeyId ?? 'none'} is not its own (image key ${imageKey})`);
			const key = await context.session.barbican!.findSecret(volume.encryptionKeyId);
			expect(key?.status === 'ACTIVE', `the volume's key is ${key?.status ?? 'missing'}`);
			const readBack = await readBackImage(context, tracker, volumeId, `${prefix}-readback`);
			const length = await compareFile(await plaintextOfImage(context, readBack, `${prefix}-readback`), data, 'the restored volume');
			context.log?.(`read back ${length} bytes: the original ${data.length}, the rest zeros`);
		});
	},
};

/**
Backups 4 + 5 and restore 5: an encrypted volume's image and its key go to files; the image (and so its key) is
deleted; backstack restores the image with the key as a NEW secret holding the same bytes, and a volume made of the
restored image becomes available (the key works).
*/
export const encryptedImageFromFiles: Scenario = {
	name: 'a deleted encrypted image comes back from its file and exported key: new secret, same key bytes, a volume of it works',
	needs: ['cinder', 'glance', 'barbican'],
	async run(context) {
		const prefix = `${context.prefix ?? 'backstack-scenario'}-encfile`;
		await withCleanup(context, async tracker => {
			const glance = context.session.glance!;
			const barbican = context.session.barbican!;
			const data = randomBytes((96 * 1024) + 1);
			const {image} = await encryptedImage(context, tracker, prefix, {data});
			const oldKey = image.cinderEncryptionKeyId!;
			const imageFile = path.join(context.workDir, `${prefix}.raw`);
			const keyFile = path.join(context.workDir, `${prefix}.key`);
			const download = await tracker.run(planOf(await planBackup(context.session, {kind: 'image-download', imageId: image.id, path: imageFile})));
			expect(outcome(download)?.type === 'plan-done', `the download ended ${JSON.stringify(outcome(download))}`);
			const downloaded = await stat(imageFile);
			expect(downloaded.size === image.size, 'the downloaded file is not the image\'s size');
			await tracker.run(planOf(await planBackup(context.session, {kind: 'secret', from: {kind: 'image', id: image.id}, path: keyFile})));
			const keyBytes = await readFile(keyFile);
			expect(keyBytes.length === 32, `the exported key has ${keyBytes.length} bytes, not 32 (AES-256)`);

			await glance.deleteImage(image.id);
			const tracked = tracker.created.find(resource => resource.id === image.id);
			if (tracked) {
				tracked.removed = true;
			}

			await vanish(context, 'the deleted image', async () => glance.findImage(image.id));
			await vanish(context, 'the deleted image\'s key', async () => barbican.findSecret(oldKey));

			const restorePlan = planOf(await planRestore(context.session, {
				kind: 'image', path: imageFile, name: `${prefix}-restored`, keyFile,
			}));
			const events = await tracker.run(restorePlan);
			const imageId = resultOf(events, 'image');
			const secretId = resultOf(events, 'secret');
			const restored = await settle(context, 'the restored image', async () => glance.getImage(imageId), ['active']);
			expect(restored.cinderEncryptionKeyId === secretId, `the restored image points at ${restored.cinderEncryptionKeyId ?? 'nothing'}, not the new secret ${secretId}`);
			expect(secretId !== oldKey, 'the restored secret kept the old ID');
			const payload = await barbican.getSecretPayload(secretId);
			expect(Buffer.from(payload).equals(keyBytes), 'the new secret holds other bytes than the exported key');
			expect(restored.size === image.size && restored.checksum === image.checksum && restored.hashValue === image.hashValue, 'the restored image\'s checksums differ from the original\'s');

			const volumePlan = planOf(await planRestore(context.session, {
				kind: 'volume-from-image', imageId, name: `${prefix}-volume`, volumeType: context.encryptedType,
			}));
			const volumeId = resultOf(await tracker.run(volumePlan), 'volume');
			const volume = await context.session.cinder!.getVolume(volumeId);
			expect(volume.status === 'available' && volume.encrypted, `the volume of the restored image is ${volume.status}, encrypted: ${String(volume.encrypted)}`);
			// Available is the proof that the re-stored key works: the data was opened with it (the key is cloned to the
			// volume; a wrong one fails the copy). The data itself is read back in the scenario before.
			expect(volume.encryptionKeyId !== undefined && volume.encryptionKeyId !== secretId, 'the volume has no key of its own');
		});
	},
};

/**
Backup 2 with `viaSnapshot` on an available volume: the volume stays available all along, the image holds its bytes,
and the temporary snapshot and volume are gone afterwards.
*/
export const volumeToImageViaSnapshot: Scenario = {
	name: 'an available volume copied into an image through a snapshot stays available; the image holds its bytes; no temporaries are left',
	needs: ['cinder', 'glance'],
	async run(context) {
		const prefix = `${context.prefix ?? 'backstack-scenario'}-detour`;
		await withCleanup(context, async tracker => {
			const cinder = context.session.cinder!;
			const data = randomBytes((192 * 1024) + 9);
			const dataImage = await imageOf(context, tracker, `${prefix}-data`, data);
			const source = await plainVolume(context, tracker, `${prefix}-src`, {imageRef: dataImage});
			const plan = planOf(await planBackup(context.session, {
				kind: 'volume-image', volumeId: source.id, imageName: `${prefix}-image`, viaSnapshot: true,
			}));
			expect(plan.steps.map(step => step.id).join(',') === 'snapshot,temporary-volume,upload', `not the detour: ${plan.steps.map(step => step.id).join(',')}`);
			const statuses = new Set<string>();
			const events: PlanEvent[] = [];
			for await (const event of runPlan(plan, context.session, {clock: context.clock ?? systemClock})) {
				context.log?.(`${plan.kind}: ${event.type}`);
				events.push(event);
				if (event.type === 'created') {
					tracker.created.push(event.resource);
				} else if (event.type === 'status' || event.type === 'step-start') {
					const {status} = await cinder.getVolume(source.id);
					statuses.add(status);
				}
			}

			const imageId = resultOf(events, 'image');
			expect([...statuses].join(',') === 'available', `the source volume was ${[...statuses].join(', ')} during the copy`);
			const temporaries = events.filter(event => event.type === 'created' && event.resource.temporary);
			expect(temporaries.length === 2, `expected a temporary snapshot and volume, got ${temporaries.length}`);
			expect(events.filter(event => event.type === 'cleanup-done').length === 2, 'the temporaries were not both removed');
			const length = await compareImage(context, imageId, data);
			context.log?.(`the image holds ${length} bytes: the volume's ${data.length}, the rest zeros`);
			const leftovers: string[] = [];
			for await (const snapshot of cinder.listSnapshots()) {
				if (snapshot.volumeId === source.id || snapshot.name.includes(prefix)) {
					leftovers.push(`snapshot ${snapshot.id} ${snapshot.name} ${snapshot.status}`);
				}
			}

			for await (const volume of cinder.listVolumes()) {
				if (volume.id !== source.id && volume.name.includes(`${prefix}-src`)) {
					leftovers.push(`volume ${volume.id} ${volume.name} ${volume.status}`);
				}
			}

			expect(leftovers.length === 0, `temporary resources left: ${leftovers.join(', ')}`);
		});
	},
};

/**
Backup 6 from the audit: the audit finds two volumes unprotected; protect-now with one at a time backs both up with
backstack's metadata, never two at once; the audit then calls them protected.
*/
export const protectNowFromAudit: Scenario = {
	name: 'protect-now backs up the audit\'s unprotected volumes one at a time, with backstack\'s metadata',
	needs: ['cinder'],
	async run(context) {
		const prefix = `${context.prefix ?? 'backstack-scenario'}-protect`;
		await withCleanup(context, async tracker => {
			const cinder = context.session.cinder!;
			const volumes = [await plainVolume(context, tracker, `${prefix}-a`), await plainVolume(context, tracker, `${prefix}-b`)];
			const ids = new Set(volumes.map(volume => volume.id));
			const judge = async () => {
				const report = await runAudit(context.session, {policy: {rpoHours: 24, severities: {}}});
				return (report.projects[0]?.findings ?? []).filter(finding => ids.has(finding.resource.id)).map(finding => `${finding.code} ${finding.resource.id}`).toSorted();
			};

			const before = await judge();
			const unprotected = volumes.map(volume => `volume.unprotected ${volume.id}`).toSorted();
			expect(JSON.stringify(before) === JSON.stringify(unprotected), `the audit did not find both unprotected: ${JSON.stringify(before)}`);
			const plan = planOf(await planBackup(context.session, {
				kind: 'protect', volumeIds: volumes.map(volume => volume.name), concurrency: 1, version: 'scenario',
			}));
			expect(plan.concurrency === 1 && plan.steps.length === 2, `plan: concurrency ${plan.concurrency ?? '?'}, ${plan.steps.length} steps`);
			const events = await tracker.run(plan);
			let running = 0;
			let most = 0;
			for (const event of events) {
				if (event.type === 'step-start') {
					running++;
					most = Math.max(most, running);
				} else if (event.type === 'step-done' || event.type === 'step-failed') {
					running--;
				}
			}

			expect(most === 1, `${most} backups ran at once with a limit of 1`);
			const end = outcome(events);
			expect(end?.type === 'plan-done', `protect-now ended ${JSON.stringify(end)}`);
			for (const volume of volumes) {
				const backups: Array<{id: string; status: string; metadata: Record<string, string>}> = [];
				// eslint-disable-next-line no-await-in-loop
				for await (const backup of cinder.listBackups()) {
					if (backup.volumeId === volume.id) {
						backups.push(backup);
					}
				}

				expect(backups.length === 1, `volume ${volume.name} has ${backups.length} backups`);
				const [backup] = backups;
				expect(backup?.status === 'available', `the backup of ${volume.name} is ${backup?.status ?? '?'}`);
				const {metadata} = backup;
				expect(metadata[backupMetaSourceTypeName] === volume.volumeType && metadata[backupMetaEncrypted] === 'false'
					&& metadata[backupMetaSize] === String(volume.size) && metadata[backupMetaVersion] === 'scenario'
					&& (volume.volumeTypeId === undefined || metadata[backupMetaSourceTypeId] === volume.volumeTypeId),
				`the backup of ${volume.name} lacks backstack's metadata: ${JSON.stringify(metadata)}`);
			}

			const after = await judge();
			const protectedNow = volumes.map(volume => `volume.protected ${volume.id}`).toSorted();
			expect(JSON.stringify(after) === JSON.stringify(protectedNow), `after protect-now the audit says ${JSON.stringify(after)}`);
		});
	},
};

export const scenarios: Scenario[] = [
	encryptedBackupRoundTrip,
	restoreTrapFailsFast,
	keyExportRoundTrip,
	imageFileRoundTrip,
	restoredDataReadBack,
	restoreWithSourceGone,
	restoreOntoExisting,
	volumeFromImage,
	imageDownloadResumes,
	volumeToImageAvailable,
	encryptedImageToVolume,
	encryptedImageFromFiles,
	volumeToImageViaSnapshot,
	protectNowFromAudit,
];
