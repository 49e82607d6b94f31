/*
The LUKS1 reader (core/luks-reader.ts) against containers the real tools make: qemu-img (what Cinder's NFS driver and
its image uploads use) encrypts known plaintext, cryptsetup formats LUKS1 (and LUKS2) headers into which qemu-img then
writes the plaintext through its own luks driver. The passphrase is the hex of a random 32-byte key, as os-brick makes it.
Both tools are needed (Debian: qemu-utils, cryptsetup-bin); without them these tests fail and say so.
*/
import {Buffer} from 'node:buffer';
import {constants, createReadStream} from 'node:fs';
import {createHash, randomBytes} from 'node:crypto';
import {
	access,
	copyFile,
	open,
	readFile,
	truncate,
	writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import test, {type ExecutionContext} from 'ava';
import {findCryptsetup} from '../../source/core/bundle/luks.js';
import {
	decryptSectors,
	hashLuksPlaintext,
	LuksDataError,
	openLuks,
	parseLuksHeader,
	type Luks1Header,
	type LuksCipher,
} from '../../source/core/luks-reader.js';
import {hexBytes} from '../../source/core/plans/files.js';
import {collect} from '../helpers/collect.js';
import {temporaryDirectory, runTool} from './plans/helpers.js';

const cryptsetup = await findCryptsetup(process.env['PATH']);
const qemuImg = await access('/usr/bin/qemu-img', constants.X_OK).then(() => '/usr/bin/qemu-img').catch(() => undefined);

function tools(t: ExecutionContext): {qemuImg: string; cryptsetup: string} {
	if (qemuImg === undefined || cryptsetup === undefined) {
		t.fail('these tests need qemu-img (Debian package qemu-utils) and cryptsetup (cryptsetup-bin) to make real LUKS containers');
		throw new Error('qemu-img or cryptsetup is missing');
	}

	return {qemuImg, cryptsetup};
}

type Scene = {
	directory: string;
	/**
	The hex passphrase as bytes, and the file qemu-img and cryptsetup read it from.
	*/
	passphrase: Uint8Array;
	passphraseFile: string;
	plaintext: Uint8Array;
	plaintextFile: string;
};

/**
2052 sectors: more than one of the reader's 1 MiB batches, and not a whole number of them.
*/
const plaintextSize = (2048 + 4) * 512;

async function scene(t: ExecutionContext, size = plaintextSize): Promise<Scene> {
	const directory = await temporaryDirectory(t);
	const passphrase = hexBytes(randomBytes(32));
	const passphraseFile = path.join(directory, 'passphrase');
	await writeFile(passphraseFile, passphrase, {mode: 0o600});
	const plaintext = randomBytes(size);
	const plaintextFile = path.join(directory, 'plain.raw');
	await writeFile(plaintextFile, plaintext);
	return {
		directory, passphrase, passphraseFile, plaintext, plaintextFile,
	};
}

/**
Qemu-img convert of the plaintext into a new LUKS1 file with these creation options (iter-time 10 ms keeps it fast).
*/
async function qemuLuks(t: ExecutionContext, s: Scene, options: string[] = []): Promise<string> {
	const file = path.join(s.directory, `qemu-${randomBytes(3).toString('hex')}.luks`);
	const secret = `secret,id=sec0,file=${s.passphraseFile}`;
	const creation = ['key-secret=sec0', 'iter-time=10', ...options].join(',');
	await runTool(tools(t).qemuImg, ['convert', '--object', secret, '-f', 'raw', '-O', 'luks', '-o', creation, s.plaintextFile, file]);
	return file;
}

async function luksFormat(binary: string, file: string, passphraseFile: string, options: string[] = []): Promise<void> {
	const fast = ['--batch-mode', '--pbkdf-force-iterations', '1000'];
	await runTool(binary, ['luksFormat', '--type', 'luks1', ...fast, ...options, '--key-file', passphraseFile, file]);
}

/**
A LUKS1 header by cryptsetup luksFormat on a file (no device mapper), then the plaintext written into it by qemu-img.
*/
async function cryptsetupLuks(t: ExecutionContext, s: Scene, options: string[] = []): Promise<string> {
	const {cryptsetup: binary, qemuImg: qemu} = tools(t);
	const file = path.join(s.directory, `cryptsetup-${randomBytes(3).toString('hex')}.luks`);
	await writeFile(file, Buffer.alloc(0));
	await truncate(file, 4 * 1024 * 1024);
	await luksFormat(binary, file, s.passphraseFile, options);
	// The payload exactly as long as the plaintext.
	await truncate(file, (await payloadOffsetOf(file)) + s.plaintext.byteLength);
	const target = `driver=luks,key-secret=sec0,file.filename=${file}`;
	await runTool(qemu, ['convert', '-n', '--object', `secret,id=sec0,file=${s.passphraseFile}`, '-f', 'raw', s.plaintextFile, '--target-image-opts', target]);
	return file;
}

async function payloadOffsetOf(file: string): Promise<number> {
	const header = parseLuksHeader(await readFile(file));
	if (header.result !== 'header') {
		throw new Error(`no LUKS1 header: ${JSON.stringify(header)}`);
	}

	return header.header.payloadOffset;
}

async function plaintextOf(file: string, passphrase: Uint8Array): Promise<{plaintext: Uint8Array; cipher: string; keyBits: number; slot: number}> {
	const opened = await openLuks(createReadStream(file), passphrase);
	if (opened.result !== 'opened') {
		throw new Error(`not opened: ${JSON.stringify(opened)}`);
	}

	return {
		plaintext: Buffer.concat(await collect(opened.plaintext)), cipher: opened.cipher, keyBits: opened.keyBits, slot: opened.slot,
	};
}

const sha512 = (bytes: Uint8Array) => createHash('sha512').update(bytes).digest('hex');
const isSame = (a: Uint8Array, b: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);

/**
One qemu-img container with its defaults (aes-xts-plain64, 512-bit key, sha256), shared by the tests that only read it
or change a copy: each qemu-img run costs seconds.
*/
let shared: Promise<Scene & {file: string}> | undefined;
async function sharedContainer(t: ExecutionContext): Promise<Scene & {file: string}> {
	shared ??= (async () => {
		const s = await scene(t);
		return {...s, file: await qemuLuks(t, s)};
	})();
	return shared;
}

async function copyOf(t: ExecutionContext, file: string): Promise<string> {
	const copy = path.join(await temporaryDirectory(t), 'copy.luks');
	await copyFile(file, copy);
	return copy;
}

const qemuCiphers: Array<{options: string[]; cipher: string; keyBits: number; hash?: string}> = [
	{options: [], cipher: 'aes-xts-plain64', keyBits: 512},
	{
		options: ['cipher-alg=aes-128', 'hash-alg=sha1'], cipher: 'aes-xts-plain64', keyBits: 256, hash: 'sha1',
	},
	{
		options: ['cipher-alg=aes-256', 'ivgen-alg=plain', 'hash-alg=sha512'], cipher: 'aes-xts-plain', keyBits: 512, hash: 'sha512',
	},
	{options: ['cipher-alg=aes-256', 'cipher-mode=cbc', 'ivgen-alg=essiv', 'ivgen-hash-alg=sha256'], cipher: 'aes-cbc-essiv:sha256', keyBits: 256},
	{options: ['cipher-alg=aes-128', 'cipher-mode=cbc', 'ivgen-alg=plain64'], cipher: 'aes-cbc-plain64', keyBits: 128},
	{options: ['cipher-alg=aes-128', 'cipher-mode=cbc', 'ivgen-alg=plain'], cipher: 'aes-cbc-plain', keyBits: 128},
];

for (const {
	options, cipher, keyBits, hash,
} of qemuCiphers) {
	test(`qemu-img's LUKS1 ${cipher} (${keyBits}-bit key, ${hash ?? 'sha256'}): the reader's plaintext is the original`, async t => {
		let s: Scene;
		let file: string;
		if (options.length === 0) {
			const container = await sharedContainer(t);
			s = container;
			file = container.file;
		} else {
			s = await scene(t);
			file = await qemuLuks(t, s, options);
		}

		const opened = await plaintextOf(file, s.passphrase);
		t.is(opened.cipher, cipher);
		t.is(opened.keyBits, keyBits);
		t.is(opened.plaintext.byteLength, s.plaintext.byteLength);
		t.true(isSame(opened.plaintext, s.plaintext), 'the same bytes');
	});
}

test('cryptsetup luksFormat --type luks1 (its defaults, aes-xts-plain64 512-bit, sha256), filled by qemu-img: the reader\'s plaintext is the original', async t => {
	const s = await scene(t);
	const file = await cryptsetupLuks(t, s);
	const opened = await plaintextOf(file, s.passphrase);
	t.is(opened.cipher, 'aes-xts-plain64');
	t.true(isSame(opened.plaintext, s.plaintext));
});

test('cryptsetup luksFormat --type luks1 aes-cbc-essiv:sha256 with sha512: the reader\'s plaintext is the original', async t => {
	const s = await scene(t);
	const file = await cryptsetupLuks(t, s, ['--cipher', 'aes-cbc-essiv:sha256', '--key-size', '256', '--hash', 'sha512']);
	const opened = await plaintextOf(file, s.passphrase);
	t.is(opened.cipher, 'aes-cbc-essiv:sha256');
	t.is(opened.keyBits, 256);
	t.true(isSame(opened.plaintext, s.plaintext));
});

test('a second passphrase cryptsetup added in another slot opens the container there; the first one still opens slot 0', async t => {
	const s = await scene(t);
	const file = await cryptsetupLuks(t, s);
	const second = hexBytes(randomBytes(32));
	const secondFile = path.join(s.directory, 'second');
	await writeFile(secondFile, second, {mode: 0o600});
	const fast = ['--batch-mode', '--pbkdf-force-iterations', '1000'];
	await runTool(tools(t).cryptsetup, ['luksAddKey', ...fast, '--key-file', s.passphraseFile, '--key-slot', '5', file, secondFile]);
	const bySecond = await plaintextOf(file, second);
	t.is(bySecond.slot, 5);
	t.true(isSame(bySecond.plaintext, s.plaintext));
	const byFirst = await plaintextOf(file, s.passphrase);
	t.is(byFirst.slot, 0);
});

test('hashLuksPlaintext: the sha512 of the decrypted data, streamed, and how many bytes it hashed', async t => {
	const s = await sharedContainer(t);
	const digest = await hashLuksPlaintext(createReadStream(s.file), s.passphrase);
	t.like(digest, {
		result: 'opened', algorithm: 'sha512', hash: sha512(s.plaintext), bytes: s.plaintext.byteLength, cipher: 'aes-xts-plain64',
	});
	const sha256 = await hashLuksPlaintext(createReadStream(s.file), s.passphrase, 'sha256');
	t.like(sha256, {result: 'opened', hash: createHash('sha256').update(s.plaintext).digest('hex')});
});

test('a wrong passphrase (another key\'s hex, or the right one cut short) is wrong-key', async t => {
	const s = await sharedContainer(t);
	const otherKey = hexBytes(randomBytes(32));
	t.deepEqual(await openLuks(createReadStream(s.file), otherKey), {result: 'wrong-key'});
	t.deepEqual(await hashLuksPlaintext(createReadStream(s.file), s.passphrase.subarray(1)), {result: 'wrong-key'});
});

async function flipByte(file: string, position: number): Promise<void> {
	const handle = await open(file, 'r+');
	try {
		const byte = new Uint8Array(1);
		await handle.read(byte, 0, 1, position);
		byte[0] = 255 - byte[0]!;
		await handle.write(byte, 0, 1, position);
	} finally {
		await handle.close();
	}
}

async function headerOf(file: string): Promise<Luks1Header> {
	const parsed = parseLuksHeader(await readFile(file));
	if (parsed.result !== 'header') {
		throw new Error(`no LUKS1 header: ${JSON.stringify(parsed)}`);
	}

	return parsed.header;
}

test('a flipped byte in the payload: the key still opens it, the plaintext hashes differently (one sector garbled), the length is the same', async t => {
	const s = await sharedContainer(t);
	const file = await copyOf(t, s.file);
	const sector = 1000;
	const header = await headerOf(file);
	await flipByte(file, header.payloadOffset + (sector * 512) + 17);
	const digest = await hashLuksPlaintext(createReadStream(file), s.passphrase);
	t.like(digest, {result: 'opened', bytes: s.plaintext.byteLength});
	t.not((digest as {hash?: string}).hash, sha512(s.plaintext));
	const {plaintext} = await plaintextOf(file, s.passphrase);
	const sectorOf = (bytes: Uint8Array, from: number, to?: number) => bytes.subarray(from * 512, to === undefined ? undefined : to * 512);
	t.false(isSame(sectorOf(plaintext, sector, sector + 1), sectorOf(s.plaintext, sector, sector + 1)), 'that sector differs');
	t.true(isSame(sectorOf(plaintext, 0, sector), sectorOf(s.plaintext, 0, sector)), 'the sectors before it do not');
	t.true(isSame(sectorOf(plaintext, sector + 1), sectorOf(s.plaintext, sector + 1)), 'nor the ones after it');
});

test('a flipped byte in the key material: the master key digest no longer matches, so the right passphrase is wrong-key, never a wrong plaintext', async t => {
	const s = await sharedContainer(t);
	const file = await copyOf(t, s.file);
	const header = await headerOf(file);
	await flipByte(file, header.slots[0]!.keyMaterialOffset + 100);
	t.deepEqual(await openLuks(createReadStream(file), s.passphrase), {result: 'wrong-key'});
});

test('a LUKS2 container (cryptsetup luksFormat --type luks2) is unsupported, with the reason', async t => {
	const s = await scene(t, 4096);
	const file = path.join(s.directory, 'luks2.img');
	await writeFile(file, new Uint8Array());
	await truncate(file, 20 * 1024 * 1024);
	const fast = ['--batch-mode', '--pbkdf', 'pbkdf2', '--pbkdf-force-iterations', '1000'];
	await runTool(tools(t).cryptsetup, ['luksFormat', '--type', 'luks2', ...fast, '--key-file', s.passphraseFile, file]);
	const result = await openLuks(createReadStream(file), s.passphrase);
	t.is(result.result, 'unsupported');
	t.regex((result as {reason?: string}).reason ?? '', /^LUKS2 is not read here/v);
});

test('LUKS1 of a cipher the reader does not know (qemu-img\'s serpent, twofish, aes-xts-essiv) is unsupported, not a wrong answer', async t => {
	const s = await scene(t, 4096);
	const cases = [
		['cipher-alg=serpent-256', /^the cipher serpent-xts-plain64 is not read here/v],
		['cipher-alg=twofish-256', /^the cipher twofish-xts-plain64 is not read here/v],
		['ivgen-alg=essiv,ivgen-hash-alg=sha256', /^the cipher mode xts-essiv:sha256 is not read here/v],
	] as const;
	for (const [options, expected] of cases) {
		// eslint-disable-next-line no-await-in-loop
		const file = await qemuLuks(t, s, [options]);
		// eslint-disable-next-line no-await-in-loop
		const result = await openLuks(createReadStream(file), s.passphrase);
		t.is(result.result, 'unsupported', options);
		t.regex((result as {reason?: string}).reason ?? '', expected);
	}
});

test('cryptsetup\'s LUKS1 aes-cbc-plain with a 192-bit key (key material not a whole number of sectors): the passphrase unlocks its slot (the master key digest matches)', async t => {
	const s = await scene(t, 4096);
	const file = path.join(s.directory, 'cbc-192.img');
	await writeFile(file, new Uint8Array());
	await truncate(file, 4 * 1024 * 1024);
	await luksFormat(tools(t).cryptsetup, file, s.passphraseFile, ['--cipher', 'aes-cbc-plain', '--key-size', '192']);
	const opened = await openLuks(createReadStream(file), s.passphrase);
	t.like(opened, {
		result: 'opened', cipher: 'aes-cbc-plain', keyBits: 192, slot: 0,
	});
	await (opened as {plaintext?: AsyncGenerator}).plaintext?.return(undefined);
	const otherKey = hexBytes(randomBytes(32));
	t.deepEqual(await openLuks(createReadStream(file), otherKey), {result: 'wrong-key'});
});

test('not a LUKS container (plain data, a short file) is not-luks; a file cut inside the key material is invalid; one cut mid-sector fails while it streams', async t => {
	const s = await sharedContainer(t);
	t.deepEqual(await openLuks(createReadStream(s.plaintextFile), s.passphrase), {result: 'not-luks'});
	const directory = await temporaryDirectory(t);
	const short = path.join(directory, 'short');
	await writeFile(short, 'LUK');
	t.deepEqual(await openLuks(createReadStream(short), s.passphrase), {result: 'not-luks'});

	const whole = await readFile(s.file);
	const header = await headerOf(s.file);
	const inMaterial = path.join(directory, 'in-material.luks');
	await writeFile(inMaterial, whole.subarray(0, header.slots[0]!.keyMaterialOffset + 1000));
	t.deepEqual(await openLuks(createReadStream(inMaterial), s.passphrase), {result: 'invalid', reason: 'the data ends inside the key material of slot 0'});

	const midSector = path.join(directory, 'mid-sector.luks');
	await writeFile(midSector, whole.subarray(0, whole.byteLength - 100));
	const error = await t.throwsAsync(hashLuksPlaintext(createReadStream(midSector), s.passphrase), {instanceOf: LuksDataError});
	t.is(error?.message, 'the encrypted data ends 412 bytes into a 512-byte sector: it is cut short or not LUKS sectors');
});

test('the batched XTS (two ECB calls per batch) equals node:crypto\'s aes-xts one sector at a time, for both key sizes and sector numbers past 2^32', t => {
	const data = randomBytes(64 * 512);
	for (const keyBytes of [32, 64]) {
		const cipher: LuksCipher = {
			spec: 'aes-xts-plain64', mode: 'xts', iv: 'plain64', keyBytes,
		};
		const key = randomBytes(keyBytes);
		for (const first of [0, 7, (2 ** 32) - 3, 2 ** 40]) {
			const batched = decryptSectors(cipher, key, data, {first});
			const perSector = decryptSectors(cipher, key, data, {first, perSector: true});
			t.true(isSame(batched, perSector), `${keyBytes * 8}-bit key, first sector ${first}`);
		}
	}
});
