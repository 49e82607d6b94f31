/* eslint-disable @typescript-eslint/no-restricted-types -- node:crypto hands out Buffers, and the demo's records hold them. */
/*
The demo cloud's LUKS1 containers: what an encrypted volume becomes when Cinder uploads it to Glance (as on the real
cloud, whose NFS driver uploads a qemu `luks` container), and how a volume is made from such an image again. Written
the way qemu-img writes them by default (aes-xts-plain64 with a 512-bit master key (LUKS2's "volume key"), sha256, the key material laid out in
4096-byte steps), with few PBKDF2 iterations: cryptsetup and qemu-img open them. The passphrase is the hex of the
image's Barbican key, as os-brick makes it. Its own small code on purpose: the demo cloud imports nothing from backstack,
so backstack's reader is checked against an independent writer.
*/
import {Buffer} from 'node:buffer';
import {
	createCipheriv,
	createDecipheriv,
	createHash,
	pbkdf2Sync,
	randomBytes,
	randomUUID,
	timingSafeEqual,
} from 'node:crypto';

const sector = 512;
const magic = Buffer.from([0x4C, 0x55, 0x4B, 0x53, 0xBA, 0xBE]);
const stripes = 4000;
const keyBytes = 64;
const hash = 'sha256';
const iterations = 1000;
const enabled = 0x00_AC_71_F3;
const disabled = 0x00_00_DE_AD;

/**
The passphrase os-brick gives LUKS for a Barbican key: the lower-case hex of its bytes.
*/
export function luksPassphrase(key: Uint8Array): Buffer {
	return Buffer.from(Buffer.from(key).toString('hex'), 'latin1');
}

/**
Whether `data` starts as a LUKS header does (either version).
*/
export function isLuks(data: Uint8Array): boolean {
	return data.byteLength >= magic.length && magic.equals(data.subarray(0, magic.length));
}

function xts(direction: 'encrypt' | 'decrypt', key: Uint8Array, data: Uint8Array): Buffer {
	const output = Buffer.alloc(data.byteLength);
	const iv = Buffer.alloc(16);
	const algorithm = `aes-${key.byteLength * 4}-xts`;
	for (let at = 0; at < data.byteLength; at += sector) {
		iv.fill(0);
		iv.writeBigUInt64LE(BigInt(at / sector));
		const cipher = direction === 'encrypt' ? createCipheriv(algorithm, key, iv) : createDecipheriv(algorithm, key, iv);
		output.set(cipher.update(data.subarray(at, at + sector)), at);
		cipher.final();
	}

	return output;
}

function diffuse(block: Buffer, hashName: string): Buffer {
	const size = createHash(hashName).digest().length;
	const output = Buffer.alloc(block.length);
	for (let index = 0; index * size < block.length; index++) {
		const counter = Buffer.alloc(4);
		counter.writeUInt32BE(index);
		const piece = block.subarray(index * size, (index + 1) * size);
		createHash(hashName).update(counter).update(piece).digest().copy(output, index * size, 0, piece.length);
	}

	return output;
}

function xorInto(target: Buffer, source: Uint8Array): void {
	for (const [index, byte] of source.entries()) {
		// eslint-disable-next-line no-bitwise
		target[index]! ^= byte;
	}
}

const roundUp = (value: number, step: number) => Math.ceil(value / step) * step;

/**
Key material sectors of one slot, and where each slot's starts (qemu-img's layout: 4096-byte steps after the header).
*/
function layout(): {materialSectors: number; offsets: number[]; payloadSectors: number} {
	const materialSectors = Math.ceil((keyBytes * stripes) / sector);
	const offsets = Array.from({length: 8}, (_, slot) => 8 + (slot * roundUp(materialSectors, 8)));
	return {materialSectors, offsets, payloadSectors: offsets.at(-1)! + roundUp(materialSectors, 8)};
}

/**
`plaintext` (padded with zeros to whole sectors) in a new LUKS1 container of its own master key, opened by `passphrase` in slot 0.
*/
export function luksEncrypt(plaintext: Uint8Array, passphrase: Uint8Array): Buffer {
	const {materialSectors, offsets, payloadSectors} = layout();
	const volumeKey = randomBytes(keyBytes);
	const header = Buffer.alloc(payloadSectors * sector);
	magic.copy(header, 0);
	header.writeUInt16BE(1, 6);
	header.write('aes', 8, 'latin1');
	header.write('xts-plain64', 40, 'latin1');
	header.write(hash, 72, 'latin1');
	header.writeUInt32BE(payloadSectors, 104);
	header.writeUInt32BE(keyBytes, 108);
	const digestSalt = randomBytes(32);
	pbkdf2Sync(volumeKey, digestSalt, iterations, 20, hash).copy(header, 112);
	digestSalt.copy(header, 132);
	header.writeUInt32BE(iterations, 164);
	header.write(randomUUID(), 168, 'latin1');
	for (const [slot, offset] of offsets.entries()) {
		const at = 208 + (slot * 48);
		header.writeUInt32BE(slot === 0 ? enabled : disabled, at);
		header.writeUInt32BE(slot === 0 ? iterations : 0, at + 4);
		header.writeUInt32BE(offset, at + 40);
		header.writeUInt32BE(stripes, at + 44);
	}

	// Slot 0: the master key split into stripes (AFsplit), encrypted with the key PBKDF2 makes of the passphrase.
	const salt = randomBytes(32);
	salt.copy(header, 208 + 8);
	const split = Buffer.alloc(materialSectors * sector);
	randomBytes(keyBytes * (stripes - 1)).copy(split);
	let block: Buffer = Buffer.alloc(keyBytes);
	for (let stripe = 0; stripe < stripes - 1; stripe++) {
		xorInto(block, split.subarray(stripe * keyBytes, (stripe + 1) * keyBytes));
		block = diffuse(block, hash);
	}

	xorInto(block, volumeKey);
	block.copy(split, (stripes - 1) * keyBytes);
	xts('encrypt', pbkdf2Sync(passphrase, salt, iterations, keyBytes, hash), split).copy(header, offsets[0]! * sector);

	const padded = Buffer.alloc(roundUp(plaintext.byteLength, sector));
	padded.set(plaintext);
	return Buffer.concat([header, xts('encrypt', volumeKey, padded)]);
}

/**
What a LUKS1 container of aes-xts-plain64 holds, opened with `passphrase`; undefined when it is no such container or
no key slot takes the passphrase (Cinder then fails the volume).
*/
export function luksDecrypt(container: Uint8Array, passphrase: Uint8Array): Buffer | undefined {
	const data = Buffer.from(container.buffer, container.byteOffset, container.byteLength);
	if (data.length < 592 || !data.subarray(0, 6).equals(magic) || data.readUInt16BE(6) !== 1) {
		return undefined;
	}

	const text = (start: number) => data.toString('latin1', start, start + 32).split('\0', 1)[0] ?? '';
	const size = data.readUInt32BE(108);
	const hashName = text(72);
	if (text(8) !== 'aes' || text(40) !== 'xts-plain64' || (size !== 32 && size !== 64) || !['sha1', 'sha256', 'sha512'].includes(hashName)) {
		return undefined;
	}

	const payload = data.readUInt32BE(104) * sector;
	for (let slot = 0; slot < 8; slot++) {
		const at = 208 + (slot * 48);
		if (data.readUInt32BE(at) !== enabled || data.readUInt32BE(at + 44) !== stripes) {
			continue;
		}

		const offset = data.readUInt32BE(at + 40) * sector;
		const material = data.subarray(offset, offset + (Math.ceil((size * stripes) / sector) * sector));
		const derived = pbkdf2Sync(passphrase, data.subarray(at + 8, at + 40), data.readUInt32BE(at + 4), size, hashName);
		const split = xts('decrypt', derived, material);
		let block: Buffer = Buffer.alloc(size);
		for (let stripe = 0; stripe < stripes; stripe++) {
			xorInto(block, split.subarray(stripe * size, (stripe + 1) * size));
			if (stripe < stripes - 1) {
				block = diffuse(block, hashName);
			}
		}

		const digest = pbkdf2Sync(block, data.subarray(132, 164), data.readUInt32BE(164), 20, hashName);
		if (timingSafeEqual(digest, data.subarray(112, 132))) {
			const sectors = Math.floor((data.length - payload) / sector);
			return xts('decrypt', block, data.subarray(payload, payload + (sectors * sector)));
		}
	}

	return undefined;
}
