/* eslint-disable @typescript-eslint/naming-convention -- Nova's own field names. */
/*
Server bundles (issue 13) against the demo cloud: `backup bundle server` writes one bundle of a server (an image of the
disk of an image-backed server, never the 0-byte image of one booted from a volume; every attached volume as an item of
its own), removes each temporary as soon as its bytes are in, continues an interrupted run without copying again what
is done; `restore bundle` boots the server again from its restored image or root volume, with the flavor, metadata, key
pair, user data and volumes the bundle records, and refuses a bundle whose flavor it cannot match.
*/
import {Buffer} from 'node:buffer';
import {execFile} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import {readdir, readFile, writeFile} from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import {Readable} from 'node:stream';
import test, {type ExecutionContext} from 'ava';
import {findCryptsetup} from '../../source/core/bundle/luks.js';
import type {BundleManifest, BundleServerItem, BundleVolumeItem} from '../../source/core/bundle/manifest.js';
import {verifyBundle} from '../../source/core/bundle/verify.js';
import {toOpenstackCli} from '../../source/core/plans/cli-export.js';
import {planBackup, planRestore} from '../../source/core/plans/commands.js';
import {runPlan} from '../../source/core/plans/execute.js';
import type {PlanEvent} from '../../source/core/plans/types.js';
import type {CloudSession} from '../../source/openstack/api.js';
import {
	demoCloud,
	fastClock,
	last,
	listAll,
	runToEnd,
	temporaryDirectory,
	until,
	type CloudForTest,
	planOf,
	runTool,
} from './plans/helpers.js';

const cryptsetup = await findCryptsetup(process.env['PATH']);

function resultsOf(events: PlanEvent[]): Record<string, string | number> {
	const end = last(events);
	if (end?.type !== 'plan-done') {
		throw new Error(`the plan did not finish: ${JSON.stringify(events.filter(event => ['plan-failed', 'step-failed', 'cleanup-failed'].includes(event.type)))}`);
	}

	return end.results;
}

async function volumeIn(session: CloudSession, request: {name: string; imageRef?: string; metadata?: Record<string, string>}) {
	const {id} = await session.cinder!.createVolume({size: 1, ...request});
	return until(async () => session.cinder!.getVolume(id), volume => volume.status === 'available');
}

async function imageWith(session: CloudSession, name: string, data: Uint8Array): Promise<string> {
	const glance = session.glance!;
	const image = await glance.createImage({
		name, diskFormat: 'raw', containerFormat: 'bare', properties: {os_distro: 'debian'},
	});
	await glance.uploadImageData(image.id, Readable.from([data]), {size: data.byteLength});
	return image.id;
}

/**
A key pair of the demo user (the demo cloud imports public keys only).
*/
function keyPairOf(context: CloudForTest, name: string): void {
	const {userId} = context.session.identity.token();
	context.cloud.state.keyPairs.set(`${userId}/${name}`, {
		name, userId, publicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDemo demo', fingerprint: 'de:mo', createdAt: Date.now(),
	});
}

type Booted = {serverId: string; volumeId: string; imageId?: string};

/**
A server booted through Nova's API as the demo member: from an image with a data volume attached at /dev/vdb, or
from a root volume (made of that image) with the data volume too.
*/
async function bootServer(context: CloudForTest, options: {bootFromVolume?: boolean; name?: string} = {}): Promise<Booted> {
	const {session} = context;
	const imageId = await imageWith(session, 'base', randomBytes(40_000));
	const data = await volumeIn(session, {name: 'web-data', metadata: {tier: 'gold'}});
	const root = options.bootFromVolume === true ? await volumeIn(session, {name: 'web-root', imageRef: imageId}) : undefined;
	keyPairOf(context, 'ops');
	const {id} = await session.nova!.createServer({
		name: options.name ?? 'web-1',
		flavorRef: '2',
		...(root === undefined && {imageRef: imageId}),
		volumes: [...(root === undefined ? [] : [{volumeId: root.id, boot: true}]), {volumeId: data.id, device: '/dev/vdb'}],
		networks: 'none',
		metadata: {role: 'web', owner: 'shop'},
		keyName: 'ops',
		userData: Buffer.from('#cloud-config\nhostname: web-1\n').toString('base64'),
	});
	await until(async () => session.nova!.getServer(id), server => server.status === 'ACTIVE');
	return {serverId: id, volumeId: data.id, ...((root === undefined) && {imageId})};
}

async function bundleServer(session: CloudSession, serverId: string, directory: string) {
	const plan = planOf(await planBackup(session, {
		kind: 'server-bundle', serverId, directory, version: '9.9.9',
	}));
	const events = await runToEnd(plan, session, {clock: fastClock()});
	return {plan, events};
}

async function defectsOf(directory: string): Promise<string[]> {
	const report = await verifyBundle(directory, {cryptsetup});
	return report.defects;
}

async function manifestIn(directory: string): Promise<BundleManifest> {
	return JSON.parse(await readFile(path.join(directory, 'manifest.json'), 'utf8')) as BundleManifest;
}

/**
Every image, volume and snapshot backstack made for itself (`backstack-tmp-…`), to be none.
*/
async function temporariesIn(session: CloudSession): Promise<string[]> {
	const images = await listAll(session.glance!.listImages());
	const volumes = await listAll(session.cinder!.listVolumes());
	const snapshots = await listAll(session.cinder!.listSnapshots());
	return [...images, ...volumes, ...snapshots].map(item => item.name ?? '').filter(name => name.startsWith('backstack-tmp-'));
}

test('an image-backed server bundles as an image of its disk and its attached volume; each temporary goes once its bytes are in', async t => {
	const context = await demoCloud(t);
	const {session} = context;
	const {serverId, volumeId, imageId} = await bootServer(context);
	const directory = path.join(await temporaryDirectory(t), 'bundle');
	const {plan, events} = await bundleServer(session, 'web-1', directory);
	t.deepEqual(plan.steps.map(step => step.id), [
		'directory',
		'server-image',
		'server-download',
		'server-record',
		'server-release',
		'volume1-snapshot',
		'volume1-temporary-volume',
		'volume1-upload',
		'volume1-download',
		'volume1-record',
		'volume1-release',
		'manifest',
	]);
	t.true(plan.warnings.some(warning => warning.includes('does not show the user data')), plan.warnings.join('\n'));
	t.true(plan.warnings.some(warning => warning.includes('no networks')));
	resultsOf(events);

	// The server image went at server-release, the volume's three temporaries at volume1-release: before the manifest.
	const removals = events.flatMap(event => event.type === 'cleanup-done' ? [`${event.stepId ?? 'end'} ${event.resource.kind}`] : []);
	t.deepEqual(removals, ['server-release image', 'volume1-release image', 'volume1-release volume', 'volume1-release snapshot']);
	t.deepEqual(await temporariesIn(session), []);
	const server = await session.nova!.getServer(serverId);
	t.is(server.status, 'ACTIVE', 'the server runs on');
	t.deepEqual(server.attachedVolumeIds, [volumeId]);

	const files = await readdir(directory);
	t.deepEqual(files.toSorted(), ['manifest.json', `server-${serverId}.disk`, `volume-${volumeId}.raw`], 'the records are in the manifest now');
	const manifest = await manifestIn(directory);
	const [first, second] = manifest.items;
	t.is(first?.kind, 'server');
	const {server: block} = first as BundleServerItem;
	t.deepEqual(block, {
		flavor: {
			name: 'm1.small', vcpus: 1, ramMiB: 2048, diskGiB: 20,
		},
		metadata: {role: 'web', owner: 'shop'},
		userDataShown: false,
		bootFromVolume: false,
		imageId,
		availabilityZone: 'nova',
		keyName: 'ops',
		volumes: [{itemId: volumeId, device: '/dev/vdb'}],
	});
	t.is(first?.data?.file, `server-${serverId}.disk`);
	t.is(first?.glance?.properties['instance_uuid'], serverId, 'the image was Nova\'s snapshot of this server');
	t.true((first?.data?.size ?? 0) > 0);
	t.is(second?.kind, 'volume');
	t.is(second?.id, volumeId);
	t.deepEqual((second as BundleVolumeItem).volume.metadata, {tier: 'gold'});

	const report = await verifyBundle(directory, {cryptsetup});
	t.deepEqual(report.defects, []);
	t.true(report.notes.some(note => note.startsWith(`server-${serverId}.disk`) && note.includes('match')), report.notes.join('\n'));

	// An admin sees the user data: it goes into the manifest as Nova gives it.
	const adminDirectory = path.join(path.dirname(directory), 'admin');
	const asAdmin = planOf(await planBackup(context.admin, {kind: 'server-bundle', serverId, directory: adminDirectory}));
	const manifestStep = asAdmin.steps.at(-1)!;
	const drafted = manifestStep.action.op === 'bundle.writeManifest' ? manifestStep.action.args.manifest.items[0] : undefined;
	t.like(drafted?.kind === 'server' ? drafted.server : undefined, {userDataShown: true, userData: Buffer.from('#cloud-config\nhostname: web-1\n').toString('base64')});
	t.true(asAdmin.warnings.some(warning => warning.includes('user data') && warning.includes('passwords')));
});

test('a boot-from-volume server\'s bundle takes no image of it: its root volume is an item of its own', async t => {
	const context = await demoCloud(t);
	const {session} = context;
	const {serverId, volumeId} = await bootServer(context, {bootFromVolume: true});
	const server = await session.nova!.getServer(serverId);
	const rootId = server.attachedVolumeIds.find(id => id !== volumeId)!;
	const directory = path.join(await temporaryDirectory(t), 'bundle');
	const {plan, events} = await bundleServer(session, serverId, directory);
	t.false(plan.steps.some(step => step.action.op === 'nova.createServerImage'), 'Nova\'s 0-byte image of such a server is never data');
	t.true(plan.warnings.some(warning => warning.includes('boots from volume') && warning.includes('0 bytes')), plan.warnings.join('\n'));
	resultsOf(events);
	t.deepEqual(await temporariesIn(session), []);
	const manifest = await manifestIn(directory);
	const [item, ...volumes] = manifest.items;
	t.is(item?.kind, 'server');
	t.is(item?.data, undefined);
	const block = (item as BundleServerItem).server;
	t.true(block.bootFromVolume);
	t.is(block.imageId, undefined);
	t.deepEqual(block.volumes, [{itemId: rootId, device: '/dev/vda'}, {itemId: volumeId, device: '/dev/vdb'}]);
	t.deepEqual(volumes.map(volume => volume.id), [rootId, volumeId]);
	t.true((volumes[0] as BundleVolumeItem).volume.bootable);
	t.deepEqual(await defectsOf(directory), []);
});

test('an interrupted server bundle continues without copying again what it finished; its runbook parses', async t => {
	const context = await demoCloud(t);
	const {session} = context;
	const {serverId, volumeId} = await bootServer(context);
	const directory = path.join(await temporaryDirectory(t), 'bundle');
	const first = planOf(await planBackup(session, {kind: 'server-bundle', serverId, directory}));

	const script = toOpenstackCli(first);
	t.true(script.includes(`openstack server image create --name backstack-tmp-web-1-bundle ${serverId}`));
	t.regex(script, /openstack image delete "\$SERVER_IMAGE_IMAGE_ID"\nwhile openstack image show "\$SERVER_IMAGE_IMAGE_ID"/v, 'the server image goes before the volume is copied');
	t.true(script.indexOf('openstack image delete "$SERVER_IMAGE_IMAGE_ID"') < script.indexOf('openstack volume snapshot create'));
	t.true(script.includes('SERVER_RECORD_MD5="$(openstack image show "$SERVER_IMAGE_IMAGE_ID" -c checksum -f value)"'));
	t.true(script.includes('s/@MD5_1@/$SERVER_RECORD_MD5/'), 'the manifest takes what the record step read');
	const scriptFile = path.join(path.dirname(directory), 'bundle.sh');
	await writeFile(scriptFile, script);
	await t.notThrowsAsync(runTool('bash', ['-n', scriptFile]), 'the script parses');

	// Stopped once the server's disk is in, recorded and its image removed.
	const stop = new AbortController();
	const events: PlanEvent[] = [];
	for await (const event of runPlan(first, session, {clock: fastClock(), signal: stop.signal})) {
		events.push(event);
		if (event.type === 'step-done' && event.stepId === 'server-release') {
			stop.abort();
		}
	}

	t.is(last(events)?.type, 'plan-cancelled');
	const left = await readdir(directory);
	t.deepEqual(left.toSorted(), [`server-${serverId}.disk`, `server-${serverId}.record.json`]);
	const again = planOf(await planBackup(session, {kind: 'server-bundle', serverId, directory}));
	t.false(again.steps.some(step => step.id.startsWith('server-')), 'the disk is kept: no new image of the server');
	t.true(again.warnings.some(warning => warning.includes('is kept as an earlier run bundled it')));
	resultsOf(await runToEnd(again, session, {clock: fastClock()}));
	const manifest = await manifestIn(directory);
	t.deepEqual(manifest.items.map(item => item.id), [serverId, volumeId]);
	t.deepEqual(await defectsOf(directory), []);
	t.deepEqual(await temporariesIn(session), []);
});

test('backup bundle server refuses a server in error and one that does not exist', async t => {
	const context = await demoCloud(t);
	const {serverId} = await bootServer(context);
	context.cloud.state.servers.get(serverId)!.status = 'ERROR';
	const directory = path.join(await temporaryDirectory(t), 'bundle');
	const broken = await planBackup(context.session, {kind: 'server-bundle', serverId, directory});
	t.regex(broken.kind === 'refusal' ? broken.reason : '', /is ERROR; only an ACTIVE, SHUTOFF, PAUSED or SUSPENDED server can be bundled/v);
	const missing = await planBackup(context.session, {kind: 'server-bundle', serverId: 'no-such-server', directory});
	t.regex(missing.kind === 'refusal' ? missing.reason : '', /No server is called no-such-server/v);
});

/**
A bundle of a server whose server and volume are gone afterwards: only the bundle is left.
*/
async function bundledAndGone(t: ExecutionContext, context: CloudForTest, options: {bootFromVolume?: boolean} = {}) {
	const {session} = context;
	const booted = await bootServer(context, options);
	const server = await session.nova!.getServer(booted.serverId);
	const directory = path.join(await temporaryDirectory(t), 'bundle');
	const {events} = await bundleServer(session, booted.serverId, directory);
	resultsOf(events);
	await session.nova!.deleteServer(booted.serverId);
	await until(async () => session.nova!.findServer(booted.serverId), found => found === undefined);
	for (const id of server.attachedVolumeIds) {
		// eslint-disable-next-line no-await-in-loop
		await until(async () => session.cinder!.getVolume(id), volume => volume.status === 'available');
		// eslint-disable-next-line no-await-in-loop
		await session.cinder!.deleteVolume(id);
	}

	return {...booted, directory, manifest: await manifestIn(directory)};
}

async function restore(session: CloudSession, directory: string, flavor?: string) {
	const plan = planOf(await planRestore(session, {
		kind: 'bundle', directory, flavor, cryptsetup,
	}));
	const events = await runToEnd(plan, session, {clock: fastClock()});
	return {plan, events, results: resultsOf(events)};
}

test('restore bundle boots the server again: its restored disk image, flavor by name, metadata, key pair, the volume at its device', async t => {
	const context = await demoCloud(t);
	const {session} = context;
	const gone = await bundledAndGone(t, context);
	const {plan, results} = await restore(session, gone.directory);
	t.deepEqual(plan.steps.map(step => step.id), [
		'item1-image',
		'item1-upload',
		'item1-check-image',
		'item2-image',
		'item2-upload',
		'item2-check-image',
		'item2-volume',
		'item2-check-volume',
		'server',
		'check-server',
	]);
	t.true(plan.warnings.some(warning => warning.startsWith('NOT restored: the user data')), plan.warnings.join('\n'));
	t.true(plan.warnings.some(warning => warning.startsWith('NOT restored: the networks')));
	const serverId = String(results[`server:${gone.serverId}`]);
	const imageId = String(results[`image:${gone.serverId}`]);
	const volumeId = String(results[`volume:${gone.volumeId}`]);
	const server = await session.nova!.getServer(serverId);
	t.is(server.status, 'ACTIVE');
	t.is(server.name, 'web-1');
	t.is(server.flavor.name, 'm1.small');
	t.like(server.metadata, {role: 'web', owner: 'shop'});
	t.is(server.keyName, 'ops');
	t.is(server.imageId, imageId, 'booted from the restored image of its disk');
	t.deepEqual(server.attachedVolumeIds, [volumeId]);
	const volume = await session.cinder!.getVolume(volumeId);
	t.is(volume.status, 'in-use');
	t.is(volume.attachments[0]?.device, '/dev/vdb');
	t.is(volume.metadata['tier'], 'gold');
	const bytes = Buffer.concat(await listAll(session.glance!.downloadImage(imageId)));
	const diskFile = path.join(gone.directory, gone.manifest.items[0]!.data!.file);
	t.true(bytes.equals(await readFile(diskFile)), 'the image holds the bundle\'s disk');
	t.deepEqual(await temporariesIn(session), []);
	const images = await listAll(session.glance!.listImages());
	t.deepEqual(images.filter(image => image.name.endsWith('-upload')).map(image => image.name), [], 'the volume\'s upload image is gone');
});

test('restore bundle boots a boot-from-volume server from its restored root volume, with the user data the bundle holds', async t => {
	const context = await demoCloud(t);
	const {session, admin} = context;
	const gone = await bundledAndGone(t, context, {bootFromVolume: true});
	// What an admin's bundle holds (Nova shows admins the user data); not covered by any checksum, so still sound.
	const userData = Buffer.from('#cloud-config\nhostname: db-1\n').toString('base64');
	const manifest = structuredClone(gone.manifest);
	const item = manifest.items[0] as BundleServerItem;
	item.server = {...item.server, userDataShown: true, userData};
	await writeFile(path.join(gone.directory, 'manifest.json'), JSON.stringify(manifest));
	const {plan, results} = await restore(session, gone.directory);
	t.false(plan.warnings.some(warning => warning.includes('the user data')), plan.warnings.join('\n'));
	t.false(JSON.stringify(plan).includes(userData), 'the user data is in no plan (nor journal)');
	const rootOld = item.server.volumes.find(volume => volume.device === '/dev/vda')!.itemId;
	const serverId = String(results[`server:${gone.serverId}`]);
	const server = await session.nova!.getServer(serverId);
	t.is(server.status, 'ACTIVE');
	t.true(server.bootFromVolume);
	t.deepEqual(server.attachedVolumeIds, [String(results[`volume:${rootOld}`]), String(results[`volume:${gone.volumeId}`])], 'the root volume first');
	const seen = await admin.nova!.getServer(serverId);
	t.is(seen.raw['OS-EXT-SRV-ATTR:user_data'], userData);
	t.is(results[`image:${gone.serverId}`], undefined, 'no image of its own');

	// The runbook reads the user data from the manifest too (python3 comes with the openstack CLI).
	const runbook = toOpenstackCli(plan);
	t.true(runbook.includes('--user-data <(python3 -c \'import base64, json, sys;'), 'the runbook reads the manifest for the user data');
	t.false(runbook.includes(userData));
	const runbookFile = path.join(path.dirname(gone.directory), 'restore.sh');
	await writeFile(runbookFile, runbook);
	await t.notThrowsAsync(runTool('bash', ['-n', runbookFile]), 'the runbook parses');
	const line = runbook.split('\n').find(text => text.includes('--user-data'))!;
	const snippet = /<\((?<command>python3 .*?)\) /v.exec(line)?.groups?.['command'];
	t.truthy(snippet, 'the runbook has the snippet');
	const decoded = await new Promise<string>((resolve, reject) => {
		execFile('bash', ['-c', snippet!], (error, stdout) => {
			if (error === null) {
				resolve(stdout);
			} else {
				reject(new Error(error.message));
			}
		});
	});
	t.is(decoded, '#cloud-config\nhostname: db-1\n', 'the runbook\'s snippet gives Nova the same user data');
});

test('restore bundle matches a flavor by its sizes, else refuses naming the flavors and --flavor; --flavor takes one', async t => {
	const context = await demoCloud(t);
	const {session} = context;
	const gone = await bundledAndGone(t, context);
	const write = async (flavor: BundleServerItem['server']['flavor']) => {
		const manifest = structuredClone(gone.manifest);
		const item = manifest.items[0] as BundleServerItem;
		item.server = {...item.server, flavor, keyName: 'gone-key'};
		await writeFile(path.join(gone.directory, 'manifest.json'), JSON.stringify(manifest));
	};

	await write({
		name: 'small.elsewhere', vcpus: 1, ramMiB: 2048, diskGiB: 20,
	});
	const bySize = planOf(await planRestore(session, {kind: 'bundle', directory: gone.directory, cryptsetup}));
	t.true(bySize.warnings.some(warning => warning.includes('there is no flavor small.elsewhere here; m1.small has its vCPUs, RAM and disk')), bySize.warnings.join('\n'));
	t.true(bySize.warnings.some(warning => warning.includes('key pair gone-key') && warning.includes('boots without one')));
	const bootStep = bySize.steps.find(step => step.action.op === 'nova.createServer')!;
	t.true(bootStep.action.op === 'nova.createServer' && bootStep.action.args.flavorId === '2' && bootStep.action.args.keyName === undefined);

	await write({
		name: 'huge', vcpus: 64, ramMiB: 512_000, diskGiB: 20,
	});
	const none = await planRestore(session, {kind: 'bundle', directory: gone.directory, cryptsetup});
	t.is(none.kind, 'refusal');
	const reason = none.kind === 'refusal' ? none.reason : '';
	t.regex(reason, /had flavor huge \(64 vCPU, 512000 MiB RAM, 20 GiB disk\), and no flavor here has that name or those sizes\./v);
	t.regex(reason, /Name one with --flavor F \(the flavors here: .*m1\.large/v);

	const missing = await planRestore(session, {
		kind: 'bundle', directory: gone.directory, flavor: 'm9.none', cryptsetup,
	});
	t.regex(missing.kind === 'refusal' ? missing.reason : '', /Flavor m9\.none does not exist here/v);
	const {plan, results} = await restore(session, gone.directory, 'm1.large');
	t.true(plan.warnings.some(warning => warning.includes('flavor m1.large') && warning.includes('your --flavor')));
	const server = await session.nova!.getServer(String(results[`server:${gone.serverId}`]));
	t.is(server.flavor.name, 'm1.large');
	const runbook = toOpenstackCli(plan);
	const runbookFile = path.join(path.dirname(gone.directory), 'restore.sh');
	await writeFile(runbookFile, runbook);
	await t.notThrowsAsync(runTool('bash', ['-n', runbookFile]), 'the runbook parses');
	t.true(runbook.includes('openstack --os-compute-api-version 2.37 server create --flavor 4 --image "$ITEM1_IMAGE_IMAGE_ID" '
		+ '--block-device uuid="$ITEM2_VOLUME_VOLUME_ID",'
		+ 'source_type=volume,destination_type=volume,boot_index=-1,device_name=/dev/vdb,delete_on_termination=false --nic none'), runbook);
});
