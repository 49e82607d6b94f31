/*
A LUKS1 reader in TypeScript, on node:crypto only: it reads the header, unlocks a key slot with a passphrase and decrypts
the data behind the header as a stream, so that the plaintext of an encrypted volume's image can be hashed without a
device mapper, root or a copy on disk. What Cinder's front-end encryption writes (qemu's `luks` format and dm-crypt
through os-brick): the passphrase is the lower-case hex of the Barbican key's bytes (hexBytes in plans/files.ts).

The on-disk format is the LUKS1 specification (version 1.2.3): a 592-byte big-endian header, eight key slots, each an
anti-forensic split (4000 stripes) of the master key encrypted with a key PBKDF2 derives from the passphrase, and a master
key digest (PBKDF2 of the master key) that tells the right key from a wrong one. The data starts at the header's payload
offset and is encrypted in 512-byte sectors, each with its own IV made from its sector number counted from the payload's
start (plain64: the number as 64-bit little-endian; plain: its low 32 bits; essiv: the number encrypted with the hash of
the master key).

Supported: cipher `aes` in modes xts-plain64, xts-plain, cbc-plain64, cbc-plain and cbc-essiv:<hash>, with the key sizes
AES takes; header hashes sha1, sha224, sha256, sha384, sha512 and ripemd160 (where this node's OpenSSL has it). Anything
else (LUKS2, another cipher, a detached header) is `unsupported`, never a guess. No error or result carries key
material; the master key (LUKS2's "volume key", the name used in the code) and every derived key are zeroed when the
reader is done with them.
*/
import {
	createCipheriv,
	createDecipheriv,
	createHash,
	getHashes,
	pbkdf2,
	timingSafeEqual,
} from 'node:crypto';
import {endianness} from 'node:os';
import {promisify} from 'node:util';

const pbkdf2Async = promisify(pbkdf2);

export const luksSectorSize = 512;
const headerSize = 592;
const magic = [0x4C, 0x55, 0x4B, 0x53, 0xBA, 0xBE];
const slotEnabled = 0x00_AC_71_F3;
const slotDisabled = 0x00_00_DE_AD;
const standardStripes = 4000;
const digestSize = 20;
const slotCount = 8;
/**
Sectors decrypted per call: large enough that node:crypto's per-call cost vanishes, small enough to stay streamed.
*/
const batchBytes = 1024 * 1024;

type IvMode = 'plain' | 'plain64' | 'essiv';

/**
How the sectors are encrypted, as the header names it (`aes` + `xts-plain64` → `aes-xts-plain64`).
*/
export type LuksCipher = {
	/**
	As cryptsetup writes it: `aes-xts-plain64`, `aes-cbc-essiv:sha256`.
	*/
	spec: string;
	mode: 'xts' | 'cbc';
	iv: IvMode;
	/**
	The hash of the ESSIV key (essiv only).
	*/
	essivHash?: string;
	/**
	The master key's length.
	*/
	keyBytes: number;
};

export type LuksSlot = {
	index: number;
	iterations: number;
	salt: Uint8Array;
	/**
	Byte offset of the slot's key material from the start of the header.
	*/
	keyMaterialOffset: number;
	stripes: number;
};

export type Luks1Header = {
	cipher: LuksCipher;
	/**
	PBKDF2's and the anti-forensic split's hash.
	*/
	hash: string;
	/**
	Byte offset of the encrypted data.
	*/
	payloadOffset: number;
	mkDigest: Uint8Array;
	mkDigestSalt: Uint8Array;
	mkDigestIterations: number;
	uuid: string;
	/**
	The enabled key slots, in index order.
	*/
	slots: LuksSlot[];
};

/**
What a header or a passphrase check found, besides an opened container. `reason` names what is not read or what is
wrong, never a key.
*/
export type LuksProblem =
	| {result: 'not-luks'}
	| {result: 'unsupported'; reason: string}
	| {result: 'invalid'; reason: string}
	| {result: 'wrong-key'};

export type LuksHeaderResult = Exclude<LuksProblem, {result: 'wrong-key'}> | {result: 'header'; header: Luks1Header};

/**
A container the passphrase opened. `plaintext` continues the source from the payload on, decrypted; consume it to the
end or call its `return()`: either zeroes the master key and closes the source.
*/
export type LuksOpened = {
	result: 'opened';
	cipher: string;
	keyBits: number;
	/**
	The key slot the passphrase unlocked.
	*/
	slot: number;
	payloadOffset: number;
	plaintext: AsyncGenerator<Uint8Array, void, undefined>;
};

export type LuksOpenResult = LuksOpened | LuksProblem;

/**
The data behind the header cannot be read as LUKS sectors (it ends mid-sector). Thrown while `plaintext` is consumed.
*/
export class LuksDataError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'LuksDataError';
	}
}

const headerHashes = new Set(['sha1', 'sha224', 'sha256', 'sha384', 'sha512', 'ripemd160']);

function isHashAvailable(name: string): boolean {
	return headerHashes.has(name) && getHashes().includes(name);
}

function text(bytes: Uint8Array, start: number, length: number): string {
	const field = bytes.subarray(start, start + length);
	const end = field.indexOf(0);
	return new TextDecoder('latin1').decode(end === -1 ? field : field.subarray(0, end));
}

function cipherOf(name: string, mode: string, keyBytes: number): LuksCipher | {reason: string} {
	const spec = `${name}-${mode}`;
	if (name !== 'aes') {
		return {reason: `the cipher ${spec} is not read here (only aes)`};
	}

	const match = /^(?<chain>xts|cbc)-(?<iv>plain64|plain|essiv:(?<hash>[\da-z]+))$/v.exec(mode);
	if (match?.groups === undefined) {
		return {reason: `the cipher mode ${mode} is not read here (xts-plain64, xts-plain, cbc-plain64, cbc-plain, cbc-essiv:<hash>)`};
	}

	const chain = match.groups['chain'] as 'xts' | 'cbc';
	const essivHash = match.groups['hash'];
	if (chain === 'xts' && essivHash !== undefined) {
		return {reason: `the cipher mode ${mode} is not read here (xts with plain64 or plain IVs only)`};
	}

	const allowed = chain === 'xts' ? [32, 64] : [16, 24, 32];
	if (!allowed.includes(keyBytes)) {
		return {reason: `a ${keyBytes * 8}-bit key is not one ${spec} takes (${allowed.map(bytes => bytes * 8).join(' or ')} bits)`};
	}

	if (essivHash !== undefined) {
		const size = isHashAvailable(essivHash) ? createHash(essivHash).digest().byteLength : 0;
		if (![16, 24, 32].includes(size)) {
			return {reason: `the ESSIV hash ${essivHash} is not read here (its digest must be an AES key: sha256, for one)`};
		}
	}

	const iv: IvMode = essivHash === undefined ? match.groups['iv'] as IvMode : 'essiv';
	return {
		spec, mode: chain, iv, keyBytes, ...(essivHash !== undefined && {essivHash}),
	};
}

/**
Reads a LUKS header from its first 592 bytes (or more). Only version 1 is read; what it cannot read is `unsupported`,
what no valid LUKS1 header has is `invalid`.
*/
export function parseLuksHeader(bytes: Uint8Array): LuksHeaderResult {
	if (bytes.byteLength < 8 || magic.some((byte, index) => bytes[index] !== byte)) {
		return {result: 'not-luks'};
	}

	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	const version = view.getUint16(6);
	if (version === 2) {
		return {result: 'unsupported', reason: 'LUKS2 is not read here (only LUKS1, which Cinder\'s qemu and os-brick write)'};
	}

	if (version !== 1) {
		return {result: 'unsupported', reason: `LUKS version ${version} is not read here (only LUKS1)`};
	}

	if (bytes.byteLength < headerSize) {
		return {result: 'invalid', reason: `the LUKS1 header is cut short (${bytes.byteLength} of ${headerSize} bytes)`};
	}

	const keyBytes = view.getUint32(108);
	const cipher = cipherOf(text(bytes, 8, 32), text(bytes, 40, 32), keyBytes);
	if ('reason' in cipher) {
		return {result: 'unsupported', reason: cipher.reason};
	}

	const hash = text(bytes, 72, 32).toLowerCase();
	if (!isHashAvailable(hash)) {
		return {result: 'unsupported', reason: `the header hash ${hash} is not read here (${[...headerHashes].join(', ')})`};
	}

	const payloadSectors = view.getUint32(104);
	if (payloadSectors === 0) {
		return {result: 'unsupported', reason: 'a detached LUKS header (payload offset 0) is not read here'};
	}

	const payloadOffset = payloadSectors * luksSectorSize;
	const mkDigestIterations = view.getUint32(164);
	if (mkDigestIterations === 0) {
		return {result: 'invalid', reason: 'the master key digest has 0 iterations'};
	}

	const slots: LuksSlot[] = [];
	const materialBytes = keyMaterialBytes(keyBytes, standardStripes);
	for (let index = 0; index < slotCount; index++) {
		const at = 208 + (index * 48);
		const state = view.getUint32(at);
		if (state === slotDisabled) {
			continue;
		}

		if (state !== slotEnabled) {
			return {result: 'invalid', reason: `key slot ${index} is neither enabled nor disabled`};
		}

		const slot: LuksSlot = {
			index,
			iterations: view.getUint32(at + 4),
			salt: bytes.slice(at + 8, at + 40),
			keyMaterialOffset: view.getUint32(at + 40) * luksSectorSize,
			stripes: view.getUint32(at + 44),
		};
		if (slot.stripes !== standardStripes) {
			return {result: 'invalid', reason: `key slot ${index} has ${slot.stripes} stripes, not LUKS1's ${standardStripes}`};
		}

		if (slot.iterations === 0) {
			return {result: 'invalid', reason: `key slot ${index} has 0 iterations`};
		}

		if (slot.keyMaterialOffset < headerSize || slot.keyMaterialOffset + materialBytes > payloadOffset) {
			return {result: 'invalid', reason: `the key material of slot ${index} lies outside the header area (before the payload at byte ${payloadOffset})`};
		}

		slots.push(slot);
	}

	return {
		result: 'header',
		header: {
			cipher,
			hash,
			payloadOffset,
			mkDigest: bytes.slice(112, 112 + digestSize),
			mkDigestSalt: bytes.slice(132, 164),
			mkDigestIterations,
			uuid: text(bytes, 168, 40),
			slots,
		},
	};
}

/**
A slot's encrypted key material: the split key, rounded up to whole sectors.
*/
function keyMaterialBytes(keyBytes: number, stripes: number): number {
	return Math.ceil((keyBytes * stripes) / luksSectorSize) * luksSectorSize;
}

function ecb(direction: 'encrypt' | 'decrypt', key: Uint8Array, data: Uint8Array): Uint8Array {
	const algorithm = `aes-${key.byteLength * 8}-ecb`;
	const cipher = direction === 'encrypt' ? createCipheriv(algorithm, key, null) : createDecipheriv(algorithm, key, null);
	cipher.setAutoPadding(false);
	const out = cipher.update(data);
	cipher.final();
	return out;
}

/**
A copy of `bytes` in an array of its own (offset 0), so that 32-bit views of it are aligned.
*/
function ownCopy(bytes: Uint8Array): Uint8Array {
	const copy = new Uint8Array(bytes.byteLength);
	copy.set(bytes);
	return copy;
}

/**
The 16-byte plain/plain64 IV of each of `count` sectors from `first`, one after the other.
*/
function plainIvs(first: number, count: number, mode: IvMode): Uint8Array {
	const ivs = new Uint8Array(count * 16);
	const view = new DataView(ivs.buffer);
	for (let index = 0; index < count; index++) {
		const sector = first + index;
		view.setUint32(index * 16, sector % 0x1_00_00_00_00, true);
		if (mode !== 'plain') {
			view.setUint32((index * 16) + 4, Math.floor(sector / 0x1_00_00_00_00), true);
		}
	}

	return ivs;
}

/**
The key material of one sector cipher: what it derives from the master key once (the ESSIV key, XTS's two halves).
*/
type SectorKeys = {cipher: LuksCipher; key: Uint8Array; essivKey?: Uint8Array};

function sectorKeys(cipher: LuksCipher, key: Uint8Array): SectorKeys {
	return cipher.essivHash === undefined ? {cipher, key} : {cipher, key, essivKey: new Uint8Array(createHash(cipher.essivHash).update(key).digest())};
}

function wipeKeys(keys: SectorKeys): void {
	keys.key.fill(0);
	keys.essivKey?.fill(0);
}

const isLittleEndian = endianness() === 'LE';

/**
XTS of whole sectors in two ECB calls: the tweak of each 16-byte block (the sector's IV encrypted with the second key
half, multiplied by x in GF(2^128) per block) is computed here, on 32-bit words, which needs a little-endian machine.
*/
function xtsBatched(keys: SectorKeys, data: Uint8Array, first: number): Uint8Array {
	const half = keys.key.byteLength / 2;
	const sectors = data.byteLength / luksSectorSize;
	const start = ownCopy(ecb('encrypt', keys.key.subarray(half), plainIvs(first, sectors, keys.cipher.iv)));
	const startWords = new Uint32Array(start.buffer, start.byteOffset, start.byteLength / 4);
	const tweaks = new Uint32Array(data.byteLength / 4);
	for (let sector = 0; sector < sectors; sector++) {
		let a = startWords[sector * 4]!;
		let b = startWords[(sector * 4) + 1]!;
		let c = startWords[(sector * 4) + 2]!;
		let d = startWords[(sector * 4) + 3]!;
		let at = sector * (luksSectorSize / 4);
		for (let block = 0; block < luksSectorSize / 16; block++) {
			tweaks[at] = a;
			tweaks[at + 1] = b;
			tweaks[at + 2] = c;
			tweaks[at + 3] = d;
			at += 4;
			/* eslint-disable no-bitwise -- GF(2^128) doubling of the little-endian tweak. */
			const carry = d >>> 31;
			d = ((d << 1) | (c >>> 31)) >>> 0;
			c = ((c << 1) | (b >>> 31)) >>> 0;
			b = ((b << 1) | (a >>> 31)) >>> 0;
			a = ((a << 1) ^ (carry * 0x87)) >>> 0;
			/* eslint-enable no-bitwise */
		}
	}

	const input = ownCopy(data);
	const inputWords = new Uint32Array(input.buffer, input.byteOffset, input.byteLength / 4);
	// Index loops: these run once per 4 bytes of data, where an iterator's cost would show.
	// eslint-disable-next-line unicorn/no-for-loop
	for (let index = 0; index < inputWords.length; index++) {
		// eslint-disable-next-line no-bitwise
		inputWords[index]! ^= tweaks[index]!;
	}

	const output = ownCopy(ecb('decrypt', keys.key.subarray(0, half), input));
	const outputWords = new Uint32Array(output.buffer, output.byteOffset, output.byteLength / 4);
	// eslint-disable-next-line unicorn/no-for-loop
	for (let index = 0; index < outputWords.length; index++) {
		// eslint-disable-next-line no-bitwise
		outputWords[index]! ^= tweaks[index]!;
	}

	return output;
}

/**
XTS one sector at a time with node:crypto's own aes-xts: the reference the batched form is tested against, and what a
big-endian machine uses.
*/
function xtsPerSector(keys: SectorKeys, data: Uint8Array, first: number): Uint8Array {
	const output = new Uint8Array(data.byteLength);
	const ivs = plainIvs(first, data.byteLength / luksSectorSize, keys.cipher.iv);
	const algorithm = `aes-${keys.key.byteLength * 4}-xts`;
	for (let at = 0; at < data.byteLength; at += luksSectorSize) {
		const sector = at / luksSectorSize;
		const decipher = createDecipheriv(algorithm, keys.key, ivs.subarray(sector * 16, (sector + 1) * 16));
		output.set(decipher.update(data.subarray(at, at + luksSectorSize)), at);
		decipher.final();
	}

	return output;
}

/**
CBC of whole sectors in one ECB call: each block's plaintext is its decryption XOR the block before it, the first block
of a sector XOR the sector's IV (essiv: the plain64 IV encrypted with the hash of the master key).
*/
function cbc(keys: SectorKeys, data: Uint8Array, first: number): Uint8Array {
	const sectors = data.byteLength / luksSectorSize;
	const plain = plainIvs(first, sectors, keys.cipher.iv === 'essiv' ? 'plain64' : keys.cipher.iv);
	const ivs = keys.essivKey === undefined ? plain : ecb('encrypt', keys.essivKey, plain);
	const output = ownCopy(ecb('decrypt', keys.key, data));
	for (let at = 0; at < data.byteLength; at++) {
		const inSector = at % luksSectorSize;
		const previous = inSector < 16 ? ivs[((at - inSector) / luksSectorSize * 16) + inSector]! : data[at - 16]!;
		// eslint-disable-next-line no-bitwise
		output[at]! ^= previous;
	}

	return output;
}

/**
Decrypts whole sectors; `first` is the number of the first (from the payload's start, or the key material's).
`perSector` forces the one-sector-at-a-time XTS (tests).
*/
export function decryptSectors(cipher: LuksCipher, key: Uint8Array, data: Uint8Array, options: {first: number; perSector?: boolean}): Uint8Array {
	const {first} = options;
	if (data.byteLength % luksSectorSize !== 0) {
		throw new LuksDataError(`${data.byteLength} bytes are not whole ${luksSectorSize}-byte sectors`);
	}

	const keys = sectorKeys(cipher, ownCopy(key));
	try {
		if (cipher.mode === 'cbc') {
			return cbc(keys, data, first);
		}

		return isLittleEndian && options.perSector !== true ? xtsBatched(keys, data, first) : xtsPerSector(keys, data, first);
	} finally {
		wipeKeys(keys);
	}
}

function hashSize(hash: string): number {
	return createHash(hash).digest().byteLength;
}

function bigEndian32(value: number): Uint8Array {
	const bytes = new Uint8Array(4);
	new DataView(bytes.buffer).setUint32(0, value);
	return bytes;
}

/**
The anti-forensic diffusion: the block hashed digest by digest, each digest-sized piece prefixed with its index.
*/
function diffuse(block: Uint8Array, hash: string, size: number): Uint8Array {
	const output = new Uint8Array(block.byteLength);
	for (let index = 0; index * size < block.byteLength; index++) {
		const piece = block.subarray(index * size, (index + 1) * size);
		const digest = createHash(hash).update(bigEndian32(index)).update(piece).digest();
		output.set(digest.subarray(0, piece.byteLength), index * size);
	}

	return output;
}

/**
The master key candidate from a slot's decrypted key material (AFmerge).
*/
function afMerge(material: Uint8Array, keyBytes: number, stripes: number, hash: string): Uint8Array {
	const size = hashSize(hash);
	let block: Uint8Array = new Uint8Array(keyBytes);
	for (let stripe = 0; stripe < stripes; stripe++) {
		const part = material.subarray(stripe * keyBytes, (stripe + 1) * keyBytes);
		for (let index = 0; index < keyBytes; index++) {
			// eslint-disable-next-line no-bitwise
			block[index]! ^= part[index]!;
		}

		if (stripe === stripes - 1) {
			continue;
		}

		const next = diffuse(block, hash, size);
		block.fill(0);
		block = next;
	}

	return block;
}

/**
The master key the passphrase unlocks from `slot` (whose key material is `material`), or undefined when it is not this
slot's passphrase.
*/
async function unlockSlot(header: Luks1Header, slot: LuksSlot, material: Uint8Array, passphrase: Uint8Array): Promise<Uint8Array | undefined> {
	const {cipher, hash} = header;
	const derived = new Uint8Array(await pbkdf2Async(passphrase, slot.salt, slot.iterations, cipher.keyBytes, hash));
	let split: Uint8Array | undefined;
	try {
		split = decryptSectors(cipher, derived, material, {first: 0});
		const candidate = afMerge(split, cipher.keyBytes, slot.stripes, hash);
		const digest = await pbkdf2Async(candidate, header.mkDigestSalt, header.mkDigestIterations, digestSize, hash);
		if (timingSafeEqual(digest, header.mkDigest)) {
			return candidate;
		}

		candidate.fill(0);
		return undefined;
	} finally {
		derived.fill(0);
		split?.fill(0);
	}
}

/**
Reads an async iterable of chunks as a byte stream: exact reads, skips, and the rest as it comes.
*/
class ByteStream {
	readonly #iterator: AsyncIterator<Uint8Array>;
	#pending: Uint8Array | undefined;
	#isDone = false;
	position = 0;

	constructor(source: AsyncIterable<Uint8Array>) {
		this.#iterator = source[Symbol.asyncIterator]();
	}

	#unread(rest: Uint8Array): void {
		this.#pending = rest.byteLength > 0 ? rest : undefined;
	}

	async #next(): Promise<Uint8Array | undefined> {
		if (this.#pending !== undefined) {
			const chunk = this.#pending;
			this.#pending = undefined;
			return chunk;
		}

		if (this.#isDone) {
			return undefined;
		}

		const next = await this.#iterator.next();
		if (next.done === true) {
			this.#isDone = true;
			return undefined;
		}

		return next.value;
	}

	async read(length: number): Promise<Uint8Array> {
		const output = new Uint8Array(length);
		let filled = 0;
		while (filled < length) {
			// eslint-disable-next-line no-await-in-loop
			const chunk = await this.#next();
			if (chunk === undefined) {
				break;
			}

			const take = Math.min(chunk.byteLength, length - filled);
			output.set(chunk.subarray(0, take), filled);
			filled += take;
			this.#unread(chunk.subarray(take));
		}

		this.position += filled;
		return output.subarray(0, filled);
	}

	/**
	Discards bytes up to `position`; false when the stream ended first.
	*/
	async skipTo(position: number): Promise<boolean> {
		while (this.position < position) {
			// eslint-disable-next-line no-await-in-loop
			const chunk = await this.#next();
			if (chunk === undefined) {
				return false;
			}

			const take = Math.min(chunk.byteLength, position - this.position);
			this.position += take;
			this.#unread(chunk.subarray(take));
		}

		return true;
	}

	async * rest(): AsyncGenerator<Uint8Array, void, undefined> {
		for (;;) {
			// eslint-disable-next-line no-await-in-loop
			const chunk = await this.#next();
			if (chunk === undefined) {
				return;
			}

			this.position += chunk.byteLength;
			yield chunk;
		}
	}

	async close(): Promise<void> {
		if (this.#isDone) {
			return;
		}

		this.#isDone = true;
		await this.#iterator.return?.();
	}
}

async function * decryptPayload(stream: ByteStream, cipher: LuksCipher, volumeKey: Uint8Array): AsyncGenerator<Uint8Array, void, undefined> {
	let sector = 0;
	let held: Uint8Array[] = [];
	let heldBytes = 0;
	const flush = (): Uint8Array => {
		const joined = new Uint8Array(heldBytes);
		let at = 0;
		for (const chunk of held) {
			joined.set(chunk, at);
			at += chunk.byteLength;
		}

		const whole = heldBytes - (heldBytes % luksSectorSize);
		const rest = joined.slice(whole);
		held = rest.byteLength > 0 ? [rest] : [];
		heldBytes = rest.byteLength;
		const plaintext = decryptSectors(cipher, volumeKey, joined.subarray(0, whole), {first: sector});
		sector += whole / luksSectorSize;
		return plaintext;
	};

	try {
		for await (const chunk of stream.rest()) {
			held.push(chunk);
			heldBytes += chunk.byteLength;
			if (heldBytes >= batchBytes) {
				yield flush();
			}
		}

		if (heldBytes >= luksSectorSize) {
			yield flush();
		}

		if (heldBytes > 0) {
			throw new LuksDataError(`the encrypted data ends ${heldBytes} bytes into a ${luksSectorSize}-byte sector: it is cut short or not LUKS sectors`);
		}
	} finally {
		volumeKey.fill(0);
		await stream.close();
	}
}

/**
Opens the LUKS1 container `source` streams (a file, an image download) with `passphrase`: reads the header and the key
slots' material, tries each enabled slot, and on success hands back the decrypted data as a stream. Reads only as far as
the payload before it answers; on any answer but `opened` the source is closed.
*/
export async function openLuks(source: AsyncIterable<Uint8Array>, passphrase: Uint8Array): Promise<LuksOpenResult> {
	const stream = new ByteStream(source);
	let isHandedOver = false;
	try {
		const parsed = parseLuksHeader(await stream.read(headerSize));
		if (parsed.result !== 'header') {
			return parsed;
		}

		const {header} = parsed;
		const materialLength = keyMaterialBytes(header.cipher.keyBytes, standardStripes);
		const slots = header.slots.toSorted((a, b) => a.keyMaterialOffset - b.keyMaterialOffset);
		const materials = new Map<number, Uint8Array>();
		for (const slot of slots) {
			// Two slots may share key material only in a damaged header; each is read from where it says.
			if (stream.position > slot.keyMaterialOffset) {
				return {result: 'invalid', reason: `the key material of slot ${slot.index} overlaps another slot's`};
			}

			// eslint-disable-next-line no-await-in-loop
			const material = await stream.skipTo(slot.keyMaterialOffset) ? await stream.read(materialLength) : new Uint8Array();
			if (material.byteLength < materialLength) {
				return {result: 'invalid', reason: `the data ends inside the key material of slot ${slot.index}`};
			}

			materials.set(slot.index, material);
		}

		let volumeKey: Uint8Array | undefined;
		let unlocked: LuksSlot | undefined;
		for (const slot of header.slots) {
			// eslint-disable-next-line no-await-in-loop
			volumeKey = await unlockSlot(header, slot, materials.get(slot.index)!, passphrase);
			if (volumeKey !== undefined) {
				unlocked = slot;
				break;
			}
		}

		for (const material of materials.values()) {
			material.fill(0);
		}

		if (volumeKey === undefined || unlocked === undefined) {
			return {result: 'wrong-key'};
		}

		if (!await stream.skipTo(header.payloadOffset)) {
			volumeKey.fill(0);
			return {result: 'invalid', reason: `the data ends before the payload at byte ${header.payloadOffset}`};
		}

		isHandedOver = true;
		return {
			result: 'opened',
			cipher: header.cipher.spec,
			keyBits: header.cipher.keyBytes * 8,
			slot: unlocked.index,
			payloadOffset: header.payloadOffset,
			plaintext: decryptPayload(stream, header.cipher, volumeKey),
		};
	} finally {
		if (!isHandedOver) {
			await stream.close();
		}
	}
}

export type LuksDigest = {
	result: 'opened';
	/**
	Lower-case hex digest of the decrypted data.
	*/
	hash: string;
	algorithm: string;
	/**
	Plaintext bytes hashed.
	*/
	bytes: number;
	cipher: string;
	keyBits: number;
};

/**
The digest (`algorithm`, sha512 by default) of what the LUKS1 container `source` holds, decrypted with `passphrase` as it
streams; or why there is none.
*/
export async function hashLuksPlaintext(source: AsyncIterable<Uint8Array>, passphrase: Uint8Array, algorithm = 'sha512'): Promise<LuksDigest | LuksProblem> {
	const opened = await openLuks(source, passphrase);
	if (opened.result !== 'opened') {
		return opened;
	}

	const hash = createHash(algorithm);
	let bytes = 0;
	for await (const chunk of opened.plaintext) {
		hash.update(chunk);
		bytes += chunk.byteLength;
		chunk.fill(0);
	}

	return {
		result: 'opened', hash: hash.digest('hex'), algorithm, bytes, cipher: opened.cipher, keyBits: opened.keyBits,
	};
}

/**
A result other than `opened`, in words for a message ("is not a LUKS container", …).
*/
export function luksProblemText(problem: LuksProblem): string {
	switch (problem.result) {
		case 'not-luks': {
			return 'is not a LUKS container';
		}

		case 'wrong-key': {
			return 'is not opened by this key (no key slot takes its passphrase)';
		}

		case 'unsupported': {
			return `cannot be read here: ${problem.reason}`;
		}

		case 'invalid': {
			return `has a damaged LUKS header: ${problem.reason}`;
		}
	}
}
