/*
Planners against the demo cloud's story seed: servers (one boot-from-volume with volumes), images of all kinds.
*/
import test from 'ava';
import {planImageDownload, planServerImage} from '../../../source/core/plans/backup.js';
import {planVolumeFromImage} from '../../../source/core/plans/restore.js';
import type {CloudSession} from '../../../source/openstack/api.js';
import type {Image, Server} from '../../../source/openstack/types.js';
import {
	demoCloud,
	fastClock,
	last,
	listAll,
	runToEnd,
	temporaryDirectory,
	planOf,
} from './helpers.js';

async function serverNamed(session: CloudSession, name: string): Promise<Server> {
	const servers = await listAll(session.nova!.listServers());
	const server = servers.find(candidate => candidate.name === name);
	if (!server) {
		throw new Error(`No server ${name}`);
	}

	return server;
}

async function imageNamed(session: CloudSession, name: string): Promise<Image> {
	const images = await listAll(session.glance!.listImages());
	const image = images.find(candidate => candidate.name === name);
	if (!image) {
		throw new Error(`No image ${name}`);
	}

	return image;
}

test('a server image of a boot-from-volume server warns that it would hold only snapshot references', async t => {
	const {session} = await demoCloud(t, {seed: 'story'});
	const server = await serverNamed(session, 'shop-db-01');
	const plan = planOf(await planServerImage(session, {serverId: server.id, imageName: 'db-snap'}));
	t.true(plan.warnings.some(warning => warning.includes('boots from a volume') && warning.includes('not a backup')));
	t.deepEqual(plan.steps.map(step => step.action.op), ['nova.createServerImage']);
});

test('a server image of an image-backed server is created and waited for', async t => {
	const {session} = await demoCloud(t, {seed: 'story'});
	const server = await serverNamed(session, 'shop-web-01');
	const plan = planOf(await planServerImage(session, {serverId: server.id, imageName: 'web-now'}));
	t.false(plan.warnings.some(warning => warning.includes('boots from a volume')));
	const events = await runToEnd(plan, session, {clock: fastClock()});
	const end = last(events);
	t.is(end?.type, 'plan-done', JSON.stringify(events));
	const image = await session.glance!.getImage(String(end?.type === 'plan-done' ? end.results['image'] : ''));
	t.is(image.name, 'web-now');
	t.is(image.status, 'active');
});

test('a volume is restored from an image; an image of snapshot references is refused', async t => {
	const {session} = await demoCloud(t, {seed: 'story'});
	const debian = await imageNamed(session, 'Debian 12 (bookworm)');
	const plan = planOf(await planVolumeFromImage(session, {imageId: debian.id, name: 'from-debian'}));
	const events = await runToEnd(plan, session, {clock: fastClock()});
	const end = last(events);
	t.is(end?.type, 'plan-done', JSON.stringify(events));
	const volume = await session.cinder!.getVolume(String(end?.type === 'plan-done' ? end.results['volume'] : ''));
	t.is(volume.status, 'available');
	t.is(volume.name, 'from-debian');

	const bdm = await imageNamed(session, 'shop-db-01-before-upgrade');
	const refused = await planVolumeFromImage(session, {imageId: bdm.id});
	t.is(refused.kind, 'refusal');
	t.regex(refused.kind === 'refusal' ? refused.reason : '', /only references Cinder snapshots/v);
});

test('an encrypted image asks for an encrypted volume type before a volume is made of it', async t => {
	const {session} = await demoCloud(t, {seed: 'story'});
	const image = await imageNamed(session, 'shop-db-data-export');
	t.truthy(image.cinderEncryptionKeyId);
	const question = await planVolumeFromImage(session, {imageId: image.id});
	t.like(question, {kind: 'needs-input', field: 'volumeType'});
	const offered = question.kind === 'needs-input' ? question.options.map(option => option.label) : [];
	t.true(offered.some(label => label.startsWith('LUKS')), offered.join(', '));
	t.false(offered.some(label => label.startsWith('ssd-fast')), offered.join(', '));

	const plan = planOf(await planVolumeFromImage(session, {imageId: image.id, volumeType: 'LUKS'}));
	t.true(plan.steps[0]!.checks.some(check => check.kind === 'secret-exists'));
	const events = await runToEnd(plan, session, {clock: fastClock()});
	t.is(last(events)?.type, 'plan-done', JSON.stringify(events));
});

test('downloading an image with a key warns that the key is needed too, and a data-less image is refused', async t => {
	const {session} = await demoCloud(t, {seed: 'story'});
	const directory = await temporaryDirectory(t);
	const encrypted = await imageNamed(session, 'shop-db-data-export');
	const plan = planOf(await planImageDownload(session, {imageId: encrypted.id, path: `${directory}/export.raw`}));
	t.true(plan.warnings.some(warning => warning.includes(encrypted.cinderEncryptionKeyId ?? '?')));
	const bdm = await imageNamed(session, 'shop-db-01-before-upgrade');
	const refused = await planImageDownload(session, {imageId: bdm.id, path: `${directory}/bdm.raw`});
	t.is(refused.kind, 'refusal');
});
