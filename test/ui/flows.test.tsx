/*
Every guided restore and backup of the TUI, driven by keys against the embedded demo cloud (story seed), each checked in
the cloud's state afterwards: what the plan made exists, with the right type, bytes, mode or metadata.
*/
import {Buffer} from 'node:buffer';
import {readFile, stat, writeFile} from 'node:fs/promises';
import path from 'node:path';
import test, {type ExecutionContext} from 'ava';
import {App} from '../../source/ui/app.js';
import {verifyBundle} from '../../source/core/bundle/verify.js';
import {listUnfinished} from '../../source/core/plans/journal.js';
import type {CloudSession} from '../../source/core/types.js';
import {drive, keys, type Driven} from './helpers.js';
import {
	clearField,
	ctrlC,
	demoForUi,
	type DemoForUi,
	select,
} from './demo.js';

/* eslint-disable unicorn/prefer-array-from-async -- Array.fromAsync is not in this project's TypeScript lib. */
async function listAll<T>(items: AsyncIterable<T>): Promise<T[]> {
	const all: T[] = [];
	for await (const item of items) {
		all.push(item);
	}

	return all;
}
/* eslint-enable unicorn/prefer-array-from-async */

async function bytesOf(items: AsyncIterable<Uint8Array>) {
	const chunks = await listAll(items);
	return Buffer.concat(chunks);
}

async function modeOf(file: string): Promise<number> {
	const {mode} = await stat(file);
	// eslint-disable-next-line no-bitwise -- the permission bits
	return mode & 0o777;
}

async function volumeNamed(session: CloudSession, name: string) {
	const volumes = await listAll(session.cinder!.listVolumes());
	return volumes.find(volume => volume.name === name);
}

/**
Every line of the frame fits the 80×24 terminal.
*/
function doesFit(frame: string): boolean {
	const lines = frame.split('\n');
	return lines.length <= 24 && lines.every(line => [...line].length <= 80);
}

/**
Enter on the preview, then the run's end; returns the last frame. Both fit 80×24.
*/
async function runPlanned(app: Driven): Promise<string> {
	const preview = await app.waitFor('Enter runs the plan');
	if (!doesFit(preview)) {
		throw new Error(`the preview does not fit 80×24:\n${preview}`);
	}

	await app.press(keys.enter);
	const frame = await app.waitFor(text => /Running: (?:done|failed|cancelled)/v.test(text), 30_000);
	if (app.stdout.columns === 80 && !doesFit(frame)) {
		throw new Error(`the run does not fit 80×24:\n${frame}`);
	}

	return frame;
}

/**
Moves the › of a pick list to the option whose text includes `text`.
*/
async function chooseOption(app: Driven, text: string): Promise<void> {
	for (let tries = 0; tries < 40; tries++) {
		if (app.frame().split('\n').some(line => line.startsWith('›') && line.includes(text))) {
			return;
		}

		// eslint-disable-next-line no-await-in-loop
		await app.press('j');
	}

	throw new Error(`no option ${text}:\n${app.frame()}`);
}

const size = {columns: 80, rows: 24};

type View = 'audit' | 'volumes' | 'backups' | 'images' | 'secrets' | 'servers';

/**
The App on a fresh demo cloud at 80×24, in `view`, with the row called `name` selected.
*/
async function openOn(t: ExecutionContext, view: View, name: string): Promise<{demo: DemoForUi; app: Driven}> {
	const demo = await demoForUi(t);
	const app = drive(<App cloud='demo' services={demo.services} initialView={view}/>, size);
	t.teardown(app.unmount);
	await app.waitFor(name);
	await select(app, name);
	return {demo, app};
}

test('Volumes view, b: a volume backup with backstack\'s metadata, automatic mode; the footer names the view\'s keys', async t => {
	const demo = await demoForUi(t);
	const app = drive(<App cloud='demo' services={demo.services} initialView='volumes'/>, size);
	t.teardown(app.unmount);
	let frame = await app.waitFor('shop-redis-aof');
	t.regex(frame, /b backup {2}i →image {2}K key→file {2}Space mark {2}P protect {2}O onto vol {2}\? help/v);
	await select(app, 'shop-redis-aof');
	await app.press('b');
	frame = await app.waitFor('Back up volume shop-redis-aof');
	t.regex(frame, /automatic \(incremental where a full backup exists\)/v);
	t.true(doesFit(frame));
	await app.press(keys.enter);
	frame = await runPlanned(app);
	t.regex(frame, /Running: done/v);
	t.regex(frame, /Result: backup /v);
	const volume = await volumeNamed(demo.session, 'shop-redis-aof');
	const all = await listAll(demo.session.cinder!.listBackups());
	const backups = all.filter(backup => backup.volumeId === volume?.id);
	t.is(backups.length, 1);
	t.is(backups[0]?.status, 'available');
	t.false(backups[0]?.isIncremental);
	t.is(backups[0]?.metadata['backstack_version'], '9.9.9-test');
	t.is(backups[0]?.metadata['backstack_size'], '10');
	await app.press(keys.enter);
	await app.waitFor('PROTECTION');
});

test('Backups view, O: restore onto an existing volume picks a volume that fits and does nothing until its exact name is typed', async t => {
	const {demo, app} = await openOn(t, 'backups', 'shop-web-static-2d');
	await app.press('O');
	let frame = await app.waitFor('Which volume gets the data');
	// Only available volumes of at least the backup's 20 GiB: the 10 GiB redis volume is not offered.
	t.notRegex(frame, /shop-redis-aof/v);
	await chooseOption(app, 'shop-search-index');
	await app.press(keys.enter);
	frame = await app.waitFor('to confirm, then Enter');
	t.regex(frame, /Type shop-search-index to confirm/v);
	const target = await volumeNamed(demo.session, 'shop-search-index');
	// Enter without the name, then with a wrong one: still the preview, the volume untouched.
	await app.press(keys.enter);
	await app.press('shop-search', keys.enter);
	frame = await app.waitFor('> shop-search█');
	t.notRegex(frame, /Running:/v);
	const untouched = await demo.session.cinder!.getVolume(target!.id);
	t.is(untouched.status, 'available');
	t.is(untouched.metadata['src_backup_id'], undefined);
	await app.press('-index', keys.enter);
	frame = await app.waitFor(text => /Running: (?:done|failed|cancelled)/v.test(text), 30_000);
	t.regex(frame, /Running: done/v);
	const restored = await demo.session.cinder!.getVolume(target!.id);
	t.is(restored.status, 'available');
	const backups = await listAll(demo.session.cinder!.listBackups());
	t.is(restored.metadata['src_backup_id'], backups.find(backup => backup.name === 'shop-web-static-2d')?.id);
});

test('Volumes view, O: restore onto this volume offers only backups that fit it, and runs with the typed name', async t => {
	const demo = await demoForUi(t);
	const app = drive(<App cloud='demo' services={demo.services} initialView='volumes'/>, size);
	t.teardown(app.unmount);
	await app.waitFor('shop-search');
	await select(app, 'shop-search-index');
	await app.press('O');
	let frame = await app.waitFor('Which backup goes onto shop-search-index');
	// 30 GiB: the 100 GiB database backups do not fit.
	t.notRegex(frame, /shop-db-data-weekly-full/v);
	await chooseOption(app, 'shop-web-static-2d');
	await app.press(keys.enter);
	await app.waitFor('Type shop-search-index to confirm');
	await app.press('shop-search-index', keys.enter);
	frame = await app.waitFor(text => /Running: (?:done|failed|cancelled)/v.test(text), 30_000);
	t.regex(frame, /Running: done/v);
	const restored = await volumeNamed(demo.session, 'shop-search-index');
	t.truthy(restored?.metadata['src_backup_id']);
});

test('Images view, R on an encrypted image: core asks for an encrypted type, the new volume is available with it', async t => {
	const {demo, app} = await openOn(t, 'images', 'shop-db-data-export');
	await app.press('R');
	let frame = await app.waitFor('Enter take it');
	t.regex(frame, /LUKS/v);
	await chooseOption(app, 'LUKS');
	const chosen = app.frame().split('\n').find(line => line.startsWith('›')) ?? '';
	const type = /LUKS(?:-2023)?/v.exec(chosen)?.[0];
	await app.press(keys.enter);
	frame = await runPlanned(app);
	t.regex(frame, /Running: done/v);
	const volumeId = /volume (?<id>\S+)/v.exec(frame.slice(frame.indexOf('Result:')))?.groups?.['id'];
	t.truthy(volumeId);
	const volume = await demo.session.cinder!.getVolume(volumeId!);
	t.is(volume.status, 'available');
	t.is(volume.volumeType, type);
	t.true(volume.encrypted);
});

test('Images view, d then I: an image downloaded to a file (bytes as Glance has them) comes back as a new image from that file', async t => {
	const {demo, app} = await openOn(t, 'images', 'Ubuntu');
	await app.press('d');
	let frame = await app.waitFor('Download image Ubuntu 24.04 LTS to a file');
	// The default is a file in the current directory, named after the image; the user edits it.
	t.regex(frame, /\.\/Ubuntu_24\.04_LTS\.qcow2/v);
	const file = path.join(demo.directory, 'ubuntu.qcow2');
	await app.press(clearField, file, keys.enter);
	frame = await runPlanned(app);
	t.regex(frame, /Running: done/v);
	const images = await listAll(demo.session.glance!.listImages());
	const ubuntu = images.find(image => image.name === 'Ubuntu 24.04 LTS');
	const original = await bytesOf(demo.session.glance!.downloadImage(ubuntu!.id));
	t.deepEqual(await readFile(file), original);

	await app.press(keys.enter);
	await app.waitFor('MADE BY');
	await app.press('I');
	await app.waitFor('New image from a file');
	// Enter with the required fields empty: the form says so and nothing is planned.
	await app.press(keys.enter);
	t.regex(await app.waitFor('is needed'), /Image file is needed/v);
	await app.press(file, keys.down, 'ubuntu-restored', keys.down, keys.right, keys.enter);
	frame = await runPlanned(app);
	t.regex(frame, /Running: done/v);
	const after = await listAll(demo.session.glance!.listImages());
	const restored = after.find(image => image.name === 'ubuntu-restored');
	t.is(restored?.status, 'active');
	t.is(restored?.diskFormat, 'qcow2');
	t.deepEqual(await bytesOf(demo.session.glance!.downloadImage(restored!.id)), original);
});

test('Secrets view, K then R: a secret exported to a 0600 file, then stored again from it under a new ID', async t => {
	const {demo, app} = await openOn(t, 'secrets', 'shop-tls-private-key');
	await app.press('K');
	let frame = await app.waitFor('Export secret shop-tls-private-key to a file');
	t.regex(frame, /\.\/shop-tls-private-key\.key/v);
	const file = path.join(demo.directory, 'tls.key');
	await app.press(clearField, file, keys.enter);
	frame = await app.waitFor('Enter runs the plan');
	t.regex(frame, /PLAINTEXT/v);
	t.true(frame.includes(file.slice(0, 20)));
	frame = await runPlanned(app);
	t.regex(frame, /Running: done/v);
	const secrets = await listAll(demo.session.barbican!.listSecrets());
	const old = secrets.find(secret => secret.name === 'shop-tls-private-key')!;
	const payload = Buffer.from(await demo.session.barbican!.getSecretPayload(old.id));
	t.deepEqual(await readFile(file), payload);
	t.is(await modeOf(file), 0o600);

	await app.press(keys.enter);
	await app.waitFor('ALGORITHM');
	await app.press('R');
	frame = await app.waitFor('Store secret shop-tls-private-key again');
	await app.press(clearField, file, keys.down, clearField, 'tls-again', keys.enter);
	frame = await app.waitFor('Enter runs the plan');
	t.regex(frame, /new id/iv);
	// The name carries the run's mark (a secret cannot be renamed): the plan says so.
	t.regex(frame, /backstack_token=/v);
	frame = await runPlanned(app);
	t.regex(frame, /Running: done/v);
	const after = await listAll(demo.session.barbican!.listSecrets());
	const again = after.find(secret => /^tls-again \[backstack_token=[\d\-a-f]{36}\]$/v.test(secret.name ?? ''));
	t.truthy(again);
	t.not(again?.id, old.id);
	t.deepEqual(Buffer.from(await demo.session.barbican!.getSecretPayload(again!.id)), payload);
});

test('K on an encrypted volume and an encrypted backup writes each key; an unencrypted volume has none to export', async t => {
	const {demo, app} = await openOn(t, 'volumes', 'shop-redis-aof');
	await app.press('K');
	t.regex(await app.waitFor('not encrypted'), /shop-redis-aof is not encrypted/v);

	await app.press('/', keys.escape);
	await select(app, 'shop-db-data');
	await app.press('K');
	await app.waitFor('Export the key of volume shop-db-data');
	const volumeKey = path.join(demo.directory, 'db.key');
	await app.press(clearField, volumeKey, keys.down, keys.right, keys.enter);
	let frame = await runPlanned(app);
	t.regex(frame, /Running: done/v);
	const volume = await volumeNamed(demo.session, 'shop-db-data');
	const written = await readFile(volumeKey);
	t.deepEqual(written, Buffer.from(await demo.session.barbican!.getSecretPayload(volume!.encryptionKeyId!)));
	// The hex form as well, both 0600.
	const hex = await readFile(`${volumeKey}.hex`, 'utf8');
	t.is(hex.trim(), written.toString('hex'));
	t.is(await modeOf(volumeKey), 0o600);
	t.is(await modeOf(`${volumeKey}.hex`), 0o600);

	await app.press(keys.enter, '3');
	await app.waitFor('RESTORE  ');
	await select(app, 'payments-db-final');
	await app.press('K');
	await app.waitFor('Export the key of backup payments-db-final');
	const backupKey = path.join(demo.directory, 'payments.key');
	await app.press(clearField, backupKey, keys.enter);
	frame = await runPlanned(app);
	t.regex(frame, /Running: done/v);
	const backups = await listAll(demo.session.cinder!.listBackups());
	const backup = backups.find(item => item.name === 'payments-db-final');
	t.deepEqual(await readFile(backupKey), Buffer.from(await demo.session.barbican!.getSecretPayload(backup!.encryptionKeyId!)));
});

test('Volumes view, i: the volume is copied into an image; Servers view, b: an image of the server, warning about its volumes', async t => {
	const {demo, app} = await openOn(t, 'volumes', 'shop-redis-aof');
	await app.press('i');
	await app.waitFor('Copy volume shop-redis-aof into an image');
	await app.press(keys.enter);
	let frame = await runPlanned(app);
	t.regex(frame, /Running: done/v);
	let images = await listAll(demo.session.glance!.listImages());
	t.is(images.find(image => image.name === 'shop-redis-aof-image')?.status, 'active');

	await app.press(keys.enter, '5');
	await app.waitFor('BOOT');
	await select(app, 'shop-db-01');
	await app.press('b');
	await app.waitFor('Image of server shop-db-01');
	await app.press(keys.enter);
	frame = await app.waitFor('Enter runs the plan');
	// The server boots from a volume: core's warning is in the preview.
	t.regex(frame, /boots from a volume/v);
	await app.press(keys.escape);
	await app.waitFor('BOOT');
	await app.press('/', keys.escape);
	await select(app, 'shop-web-01');
	await app.press('b');
	await app.waitFor('Image of server shop-web-01');
	await app.press(keys.enter);
	frame = await runPlanned(app);
	t.regex(frame, /Running: done/v);
	images = await listAll(demo.session.glance!.listImages());
	t.is(images.find(image => image.name === 'shop-web-01-image')?.status, 'active');
});

test('Audit and Volumes views: Space marks volumes (● and a count), P backs up each marked one, two at a time', async t => {
	const {demo, app} = await openOn(t, 'audit', 'shop-redis-aof');
	await app.press(' ');
	let frame = await app.waitFor('1 marked');
	t.regex(frame, /● shop-redis-aof/v);
	await app.press('/', keys.escape, '2');
	await app.waitFor('PROTECTION');
	await select(app, 'shop-search-index');
	await app.press(' ');
	frame = await app.waitFor('2 marked');
	t.regex(frame, /● shop-search/v);
	// Space again unmarks, once more marks.
	await app.press('/', keys.escape);
	await select(app, 'shop-search-index');
	await app.press(' ');
	await app.waitFor('1 marked');
	await app.press(' ');
	await app.waitFor('2 marked');
	await app.press('P');
	frame = await app.waitFor('How many at once');
	t.regex(frame, /Protect now: back up 2 marked volumes/v);
	await app.press(keys.enter);
	frame = await runPlanned(app);
	t.regex(frame, /Running: done/v);
	const volumes = await listAll(demo.session.cinder!.listVolumes());
	const backups = await listAll(demo.session.cinder!.listBackups());
	for (const name of ['shop-redis-aof', 'shop-search-index']) {
		const volume = volumes.find(item => item.name === name);
		const made = backups.filter(backup => backup.volumeId === volume?.id && backup.metadata['backstack_version'] === '9.9.9-test');
		t.is(made.length, 1, `one backup of ${name}`);
		t.is(made[0]?.status, 'available');
	}

	// After the run the marks are gone, and the status line says what was done.
	await app.press(keys.enter);
	frame = await app.waitFor(text => text.includes('PROTECTION') && !/● \d+ marked/v.test(text));
	t.regex(frame, /done: Protect now/v);
	t.notRegex(frame, /● shop-/v);
});

test('Ctrl+C during a restore stops it, names the volume it created and cleans it up on c', async t => {
	// The volume takes a while to become available, so that the stop lands half-way.
	const demo = await demoForUi(t, {timeScale: 1, delays: {restore: 4000, volumeCreate: 4000}});
	const app = drive(<App cloud='demo' services={demo.services} initialView='backups'/>, size);
	t.teardown(app.unmount);
	await app.waitFor('shop-web-static-2d');
	await select(app, 'shop-web-static-2d');
	await app.press('R');
	await app.waitFor('Enter runs the plan');
	await app.press(keys.enter);
	await app.waitFor('+ created volume', 20_000);
	await app.press(ctrlC);
	let frame = await app.waitFor('clean up now', 30_000);
	t.regex(frame, /Running: cancelled/v);
	const id = /• volume \S+ \((?<id>\S+)\)/v.exec(frame)?.groups?.['id'];
	t.truthy(id);
	t.truthy(await demo.session.cinder!.findVolume(id!));
	await app.press('c');
	frame = await app.waitFor(text => /Cleaning up plan \S+: finished/v.test(text), 60_000);
	t.regex(frame, /✔ deleted volume/v);
	t.is(await demo.session.cinder!.findVolume(id!), undefined);
	t.deepEqual(listUnfinished(demo.journal), []);
	// The app is still running: back to the lists, with the cleanup said in the status line.
	await app.press(keys.enter);
	t.regex(await app.waitFor('RESTORE  '), /cleaned up 1 resource/v);
});

test('Ctrl+C during a restore, then k keeps the volume: the journal lists it for later', async t => {
	const demo = await demoForUi(t, {timeScale: 1, delays: {restore: 4000, volumeCreate: 4000}});
	const app = drive(<App cloud='demo' services={demo.services} initialView='backups'/>, {columns: 160, rows: 24});
	t.teardown(app.unmount);
	await app.waitFor('shop-web-static-2d');
	await select(app, 'shop-web-static-2d');
	await app.press('R');
	await app.waitFor('Enter runs the plan');
	await app.press(keys.enter);
	await app.waitFor('+ created volume', 20_000);
	await app.press(ctrlC);
	let frame = await app.waitFor('clean up now', 30_000);
	const id = /• volume \S+ \((?<id>\S+)\)/v.exec(frame)?.groups?.['id'];
	await app.press('k');
	frame = await app.waitFor('RESTORE  ');
	t.regex(frame, /kept volume .*backstack journal/v);
	const unfinished = listUnfinished(demo.journal);
	t.is(unfinished.length, 1);
	t.is(unfinished[0]?.state, 'cancelled');
	t.deepEqual(unfinished[0]?.leftovers.map(resource => resource.id), [id]);
	t.truthy(await demo.session.cinder!.findVolume(id!));
});

test('read-only mode: b and O do nothing, d (a local file only) still opens its form', async t => {
	const demo = await demoForUi(t);
	const app = drive(<App isReadonly cloud='demo' services={demo.services} initialView='volumes'/>, size);
	t.teardown(app.unmount);
	await app.waitFor('shop-redis-aof');
	await select(app, 'shop-redis-aof');
	await app.press('b', 'O', ' ', 'P');
	const frame = app.frame();
	t.notRegex(frame, /Back up volume|Which backup|marked/v);
	t.regex(frame, /PROTECTION/v);
	await app.press('6');
	await app.waitFor('MADE BY');
	await select(app, 'Debian');
	await app.press('d');
	await app.waitFor('Download image Debian');
});

test('a file to restore from that is missing is refused before anything changes', async t => {
	const demo = await demoForUi(t);
	const app = drive(<App cloud='demo' services={demo.services} initialView='images'/>, size);
	t.teardown(app.unmount);
	await app.waitFor('Debian');
	await app.press('I');
	await app.waitFor('New image from a file');
	const missing = path.join(demo.directory, 'nothing-here.raw');
	await app.press(missing, keys.down, 'never', keys.enter);
	const frame = await app.waitFor(text => /not possible as it is|Planning failed|check failed/v.test(text));
	t.notRegex(frame, /Running: done/v);
	const images = await listAll(demo.session.glance!.listImages());
	t.false(images.some(image => image.name === 'never'));
});

test('an in-use volume is backed up with force, and the preview says the backup is crash-consistent', async t => {
	const {demo, app} = await openOn(t, 'volumes', 'shop-db-data');
	await app.press('b', keys.enter);
	const frame = await app.waitFor('Enter runs the plan');
	t.regex(frame, /forced\s+\(volume\s+in\s+use\)/v);
	t.regex(frame, /crash-consistent/v);
	t.true(doesFit(frame));
	await app.press(keys.escape);
	await app.waitFor('PROTECTION');
	const backups = await listAll(demo.session.cinder!.listBackups());
	t.false(backups.some(backup => backup.metadata['backstack_version'] === '9.9.9-test'));
});

test('a restore that fails on its own names what it created and offers the same cleanup', async t => {
	const {demo, app} = await openOn(t, 'backups', 'shop-web-static-2d');
	await app.press('R');
	await app.waitFor('Enter runs the plan');
	// From now on Cinder refuses to show a single volume: the wait for the new volume fails (a 403 is an answer; a 5xx
	// would be ridden out for minutes, see test/core/plans/outage.test.ts).
	demo.cloud.setFaults([{
		kind: 'error', status: 403, service: 'volume', method: 'GET', path: /\/volumes\/[\d\-a-f]{36}$/v, message: 'injected',
	}]);
	await app.press(keys.enter);
	let frame = await app.waitFor('clean up now', 30_000);
	t.regex(frame, /Running: failed/v);
	t.true(doesFit(frame));
	const id = /• volume \S+ \((?<id>\S+)\)/v.exec(frame)?.groups?.['id'];
	t.truthy(id);
	demo.cloud.setFaults([]);
	t.truthy(await demo.session.cinder!.findVolume(id!));
	await app.press('c');
	frame = await app.waitFor(text => /Cleaning up plan \S+: finished/v.test(text), 30_000);
	t.regex(frame, /✔ deleted volume/v);
	t.is(await demo.session.cinder!.findVolume(id!), undefined);
});

test('the palette lists the new actions, and runs one on the selected row', async t => {
	const {app} = await openOn(t, 'volumes', 'shop-redis-aof');
	await app.press(':', 'protect');
	t.regex(await app.waitFor('action: Protect'), /action: Protect marked volumes now \(P\)/v);
	await app.press(keys.escape, ':', 'onto');
	t.regex(await app.waitFor('action: Restore onto'), /action: Restore onto a volume \(O\)/v);
	await app.press(keys.escape, ':', 'key to');
	t.regex(await app.waitFor('action: Export a key'), /action: Export a key to a file \(K\)/v);
	await app.press(keys.escape, ':', 'action: back up');
	t.regex(await app.waitFor('› action: Back up'), /› action: Back up \(volume, server\) \(b\)/v);
	await app.press(keys.enter);
	t.regex(await app.waitFor('Back up volume shop-redis-aof'), /Kind/v);
});

test('Secrets view, R on a volume\'s key: the preview names the volume that still points at the old ID', async t => {
	const demo = await demoForUi(t);
	const volume = await volumeNamed(demo.session, 'shop-db-data');
	const keyId = volume!.encryptionKeyId!;
	const file = path.join(demo.directory, 'db.key');
	await writeFile(file, await demo.session.barbican!.getSecretPayload(keyId), {mode: 0o600});
	const app = drive(<App cloud='demo' services={demo.services} initialView='secrets'/>, {columns: 120, rows: 40});
	t.teardown(app.unmount);
	await app.waitFor('shop-tls-private-key');
	// The filter also searches IDs.
	await select(app, keyId);
	await app.press('R');
	await app.waitFor('again from a key file');
	await app.press(clearField, file, keys.enter);
	const frame = await app.waitFor('Enter runs the plan');
	t.regex(frame, new RegExp(`Still pointing at the old ID ${keyId}`, 'v'));
	t.regex(frame, /shop-db-data/v);
	await app.press(keys.escape);
	await app.waitFor('ALGORITHM');
});

test('Images view, K then d then I with the key file: an image of an encrypted volume comes back with a new key of the same bytes', async t => {
	const {demo, app} = await openOn(t, 'images', 'shop-db-data-export');
	const keyFile = path.join(demo.directory, 'export.key');
	const imageFile = path.join(demo.directory, 'export.raw');
	await app.press('K');
	await app.waitFor('Export the key of image shop-db-data-export');
	await app.press(clearField, keyFile, keys.enter);
	t.regex(await runPlanned(app), /Running: done/v);
	await app.press(keys.enter, 'd');
	await app.waitFor('Download image shop-db-data-export');
	await app.press(clearField, imageFile, keys.enter);
	let frame = await app.waitFor('Enter runs the plan');
	// The download's preview says the file is useless without the key.
	t.regex(frame, /without its key .* the file cannot be used/sv);
	t.regex(await runPlanned(app), /Running: done/v);
	await app.press(keys.enter, 'I');
	await app.waitFor('New image from a file');
	await app.press(imageFile, keys.down, 'export-again', keys.down, keys.down, keys.down, keyFile, keys.enter);
	frame = await runPlanned(app);
	t.regex(frame, /Running: done/v);
	const images = await listAll(demo.session.glance!.listImages());
	const original = images.find(image => image.name === 'shop-db-data-export')!;
	const again = images.find(image => image.name === 'export-again');
	t.is(again?.status, 'active');
	t.truthy(again?.cinderEncryptionKeyId);
	t.not(again?.cinderEncryptionKeyId, original.cinderEncryptionKeyId);
	const newKey = await demo.session.barbican!.getSecretPayload(again!.cinderEncryptionKeyId!);
	t.deepEqual(Buffer.from(newKey), await readFile(keyFile));
	t.deepEqual(await bytesOf(demo.session.glance!.downloadImage(again!.id)), await readFile(imageFile));
});

test('Volumes view, i on an in-use volume: the snapshot detour, and no temporary snapshot or volume is left', async t => {
	const demo = await demoForUi(t);
	const app = drive(<App cloud='demo' services={demo.services} initialView='volumes'/>, size);
	t.teardown(app.unmount);
	await app.waitFor('shop-db-01-ro');
	await select(app, 'shop-db-01-root');
	await app.press('i');
	await app.waitFor('Copy volume shop-db-01-root into an image');
	await app.press(keys.enter);
	const preview = await app.waitFor('Enter runs the plan');
	t.regex(preview, /Snapshot the in-use volume shop-db-01-root/v);
	t.regex(preview, /Create a temporary volume from the snapshot/v);
	const frame = await runPlanned(app);
	t.regex(frame, /Running: done/v);
	t.regex(frame, /✔ removed temporary snapshot/v);
	t.regex(frame, /✔ removed temporary volume/v);
	const images = await listAll(demo.session.glance!.listImages());
	t.is(images.find(image => image.name === 'shop-db-01-root-image')?.status, 'active');
	const volumes = await listAll(demo.session.cinder!.listVolumes());
	const snapshots = await listAll(demo.session.cinder!.listSnapshots());
	t.false(volumes.some(volume => volume.name.startsWith('backstack-tmp-')));
	t.false(snapshots.some(snapshot => snapshot.name.startsWith('backstack-tmp-')));
});

test('keys that arrive in one read drive the plan screen one after the other (a paste, a fast typist)', async t => {
	const {demo, app} = await openOn(t, 'backups', 'shop-web-static-2d');
	await app.press('O');
	await app.waitFor('Which volume gets the data');
	// Down and Enter in one read: the second volume (by name) is taken.
	await app.press('j\r');
	await app.waitFor('Type shop-uploads to confirm');
	// The name and Enter in one read: typed, then confirmed.
	await app.press('shop-uploads\r');
	const frame = await app.waitFor(text => /Running: (?:done|failed|cancelled)/v.test(text), 30_000);
	t.regex(frame, /Running: done/v);
	const restored = await volumeNamed(demo.session, 'shop-uploads');
	t.truthy(restored?.metadata['src_backup_id']);
});

test('Images view, X on an encrypted volume\'s image: the form warns the key goes in in plaintext; the bundle it writes verifies sound offline', async t => {
	const {demo, app} = await openOn(t, 'images', 'shop-db-data-export');
	await app.press('X');
	let frame = await app.waitFor('DR bundle of image shop-db-data-export');
	t.regex(frame, /PLAINTEXT/v);
	t.regex(frame, /\.\/shop-db-data-export-bundle/v);
	const directory = path.join(demo.directory, 'dr');
	await app.press(clearField, directory, keys.enter);
	frame = await runPlanned(app);
	t.regex(frame, /Running: done/v);
	t.is(await modeOf(directory), 0o700);
	const manifest = JSON.parse(await readFile(path.join(directory, 'manifest.json'), 'utf8')) as {items: Array<{name: string; encryption?: {keyFile: string}}>};
	t.is(manifest.items[0]?.name, 'shop-db-data-export');
	t.is(await modeOf(path.join(directory, manifest.items[0]!.encryption!.keyFile)), 0o600);
	// The demo's volume data is no LUKS container, so the key is not proved here (test/core/bundle.test.ts does that).
	const report = await verifyBundle(directory, {cryptsetup: undefined});
	t.deepEqual(report.defects, []);

	// On another row than an image or a volume, X says what to select.
	await app.press(keys.enter, '3');
	await app.waitFor('Backups');
	await app.press('X');
	t.regex(await app.waitFor('an image (6)'), /X writes a DR bundle to a directory: select a volume \(2\)/v);
});

test('Volumes view, X: a volume\'s DR bundle goes through a temporary image, which is gone afterwards; the bundle verifies sound', async t => {
	const {demo, app} = await openOn(t, 'volumes', 'shop-redis-aof');
	const before = await listAll(demo.session.glance!.listImages());
	await app.press('X');
	await app.waitFor('DR bundle of volume shop-redis-aof');
	const directory = path.join(demo.directory, 'redis');
	await app.press(clearField, directory, keys.enter);
	t.regex(await runPlanned(app), /Running: done/v);
	const manifest = JSON.parse(await readFile(path.join(directory, 'manifest.json'), 'utf8')) as {items: Array<{kind: string; name: string; volume?: {size: number}}>};
	t.is(manifest.items[0]?.kind, 'volume');
	t.is(manifest.items[0]?.volume?.size, 10);
	const report = await verifyBundle(directory, {cryptsetup: undefined});
	t.deepEqual(report.defects, []);
	const after = await listAll(demo.session.glance!.listImages());
	t.deepEqual(after.map(image => image.id).toSorted(), before.map(image => image.id).toSorted(), 'no temporary image left');
});

test('U (or the palette\'s "Restore a DR bundle…"): a directory that is no bundle keeps the form with why; the bundle of an image comes back byte for byte as a new image', async t => {
	// A plain image: the demo's encrypted images hold no LUKS container, which verify (with cryptsetup) refuses.
	const name = 'Debian 12 (bookworm)';
	const {demo, app} = await openOn(t, 'images', name);
	const glance = demo.session.glance!;
	await app.press('X');
	await app.waitFor(`DR bundle of image ${name}`);
	const directory = path.join(demo.directory, 'dr');
	await app.press(clearField, directory, keys.enter);
	t.regex(await runPlanned(app), /Running: done/v);
	const manifest = JSON.parse(await readFile(path.join(directory, 'manifest.json'), 'utf8')) as {items: Array<{id: string; data: {file: string}}>};
	const [item] = manifest.items;
	await app.press(keys.enter);
	await app.waitFor('6Images');

	// From the palette, as an admin under stress would look for it.
	await app.press(':', 'b', 'u', 'n', 'd', 'l', 'e');
	t.regex(app.frame(), /action: Restore a DR bundle… \(U\)/v);
	await app.press(keys.escape, 'U');
	let frame = await app.waitFor('Restore a DR bundle into this project');
	t.true(doesFit(frame));
	t.regex(frame, /Bundle directory/v);
	t.regex(frame, /Volume type \(optional\)/v);
	// Enter with nothing typed, then a directory without a manifest, then one that is not there: the form stays, saying why.
	await app.press(keys.enter);
	t.regex(await app.waitFor('Bundle directory is needed.'), /Restore a DR bundle/v);
	await app.press(demo.directory, keys.enter);
	frame = await app.waitFor('has no manifest.json: not a bundle.');
	t.regex(frame, /› Bundle directory/v);
	await app.press(clearField, path.join(demo.directory, 'nowhere'), keys.enter);
	await app.waitFor('nowhere does not exist.');
	await app.press(clearField, directory, keys.enter);
	frame = await runPlanned(app);
	t.regex(frame, /Running: done/v);
	const result = new RegExp(String.raw`Result: image:${item!.id}\s+(?<id>[\da-f\-]{36})`, 'v').exec(frame);
	const id = result?.groups?.['id'];
	t.truthy(id, 'the result maps the bundle\'s image to the new one');

	// What it made: an active image of the same name and bytes, with a new ID.
	const restored = await glance.getImage(id!);
	t.like(restored, {name, status: 'active'});
	t.not(restored.id, item!.id);
	t.deepEqual(await bytesOf(glance.downloadImage(restored.id)), await readFile(path.join(directory, item!.data.file)));
	await app.press(keys.enter);
	await app.waitFor(text => text.includes('6Images') && text.includes('Debian 12'));
});
