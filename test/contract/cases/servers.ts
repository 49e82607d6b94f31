/*
Contracts: servers through Nova: backup 2 and backup 3.
*/
import {randomBytes} from 'node:crypto';
import path from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import type {ExecutionContext} from 'ava';
import {type PlanEvent, type Plan} from '../../../source/core/plans/types.js';
import {planBackup, planRestore} from '../../../source/core/plans/commands.js';
import {runPlan} from '../../../source/core/plans/execute.js';
import {compareFile, plaintextOfImage} from '../../core/plans/scenarios.js';
import {collect} from '../../helpers/collect.js';
import {adminCinderRequest} from '../admin-http.js';
import {
	type Context,
	removeImageProperty,
	pollingClock,
	removeNamed,
	configFor,
	services,
	ids,
	findSnapshot,
	removeSnapshot,
	waitVolume,
	waitImage,
	makeVolume,
	removeVolume,
	removeImage,
	bootableImage,
	makeServer,
	type Contract,
} from '../kit.js';

export function registerServers(contract: Contract): void {
	/*
	Backup 3 (server → image) on servers booted for the test: one from an image with a data volume attached, one from
	a volume. backstack's client must read them as Nova reports them, its plan must warn about each, and Nova must
	accept createImage. On the real cloud a boot-from-volume server's image is the guide's trap: an active 0-byte image
	whose block_device_mapping points at a Cinder snapshot.
	*/
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

	/**
	Runs a server backup plan until it records the image it creates (removed at teardown), then stops the run.
	*/
	const runUntilImageCreated = async (t: ExecutionContext, c: Context, plan: Plan): Promise<PlanEvent[]> => {
		const {glance} = services(c.member);
		const stop = new AbortController();
		const events: PlanEvent[] = [];
		for await (const event of runPlan(plan, c.member, {clock: pollingClock(c), signal: stop.signal})) {
			events.push(event);
			if (event.type !== 'created') {
				continue;
			}

			t.teardown(async () => removeImage(c, glance, event.resource.id));
			stop.abort();
		}

		return events;
	};

	contract('backup 3: real servers are judged right (attached volumes, boot from volume); Nova accepts createImage; '
		+ 'a boot-from-volume server\'s image is a 0-byte block_device_mapping that backstack refuses to download or restore', async (t, c) => {
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
		const ephemeralEvents = await runUntilImageCreated(t, c, ephemeralPlan.plan);
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
}
