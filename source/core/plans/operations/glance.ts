/*
Glance's operations (images, their data and properties) and the removal of an image.
*/
import {createReadStream} from 'node:fs';
import {
	constants,
	lstat,
	open,
	stat,
	unlink,
} from 'node:fs/promises';
import {ChecksumMismatchError} from '../../../openstack/index.js';
import type {Image} from '../../../openstack/types.js';
import {
	hashLuksPlaintext,
	LuksDataError,
	luksProblemText,
	type LuksDigest,
	type LuksProblem,
} from '../../luks-reader.js';
import {httpStatusOf, InconclusiveError, PlanError} from '../errors.js';
import {hexBytes, identityOf} from '../files.js';
import {isRef, resolveAll} from '../refs.js';
import {
	assign,
	option,
	propertyFlags,
	shellQuote,
	variableFor,
	word,
} from '../shell.js';
import {need} from '../status.js';
import {quote} from '../text.js';
import type {FileIdentity, Operations, Step} from '../types.js';
import {doesFileExist, moveWithoutReplacing} from './files.js';
import {
	byteReporter,
	create,
	findMarkedImage,
	ignoreMissing,
	marked,
	mutate,
	resolveRefOr,
} from './shared.js';
import type {
	OperationFamily,
	Remover,
	StepContext,
	StepOutputs,
} from './types.js';

/**
A write that failed because the file system (or the user's quota, or the file size limit) is full, in words that say
what to do; undefined for any other error. The partial file stays: a run after space is freed continues it.
*/
function fullDisk(error: unknown, where: {partial: string; transferred: number; size: number | undefined}): PlanError | undefined {
	const code = (error as NodeJS.ErrnoException | undefined)?.code;
	if (code !== 'ENOSPC' && code !== 'EDQUOT' && code !== 'EFBIG') {
		return undefined;
	}

	const {reason, remedy} = new Map([
		['ENOSPC', {reason: 'the file system is full', remedy: 'Free space there (or choose another directory)'}],
		['EDQUOT', {reason: 'your disk quota is used up', remedy: 'Free space in your quota (or choose another directory)'}],
		['EFBIG', {reason: 'the file size limit is reached', remedy: 'Raise the limit (ulimit -f) or choose a file system that allows the size'}],
	]).get(code)!;
	const of = where.size === undefined ? '' : ` of ${where.size}`;
	return new PlanError(`Writing ${where.partial} stopped after ${where.transferred}${of} bytes: ${reason} (${code}). `
		+ `${remedy}, then run the same command again: it continues from ${where.partial}.`);
}

/**
Writes to `<path>.part` (mode 0600), resumes it with a Range request, moves it to `path` once the checksum matched
(never over a file that appeared there meanwhile). The partial file is journalled the moment it exists.
*/
async function downloadImage(imageId: string, path: string, context: StepContext): Promise<StepOutputs> {
	const glance = need(context.session.glance, 'Glance');
	const image = await glance.getImage(imageId, {signal: context.signal});
	const partial = `${path}.part`;
	let offset = 0;
	if (await doesFileExist(partial)) {
		const partialFile = await lstat(partial);
		offset = partialFile.size;
		if (!partialFile.isFile() || (image.size !== undefined && offset > image.size)) {
			await unlink(partial);
			offset = 0;
		}
	}

	const report = byteReporter(context, image.size);
	report(offset, true);
	// O_NOFOLLOW: a link put at <path>.part does not make the download append to the file it points at.
	// eslint-disable-next-line no-bitwise
	const handle = await open(partial, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
	let identity: FileIdentity;
	try {
		identity = identityOf(await handle.stat({bigint: true}));
	} catch (error) {
		await handle.close();
		throw error;
	}

	context.createdFile(partial, identity);
	let transferred = offset;
	try {
		const stream = glance.downloadImage(imageId, {
			signal: context.signal,
			offset: offset > 0 ? offset : undefined,
			prefix: offset > 0 ? createReadStream(partial, {end: offset - 1}) : undefined,
		});
		for await (const chunk of stream) {
			// A write may take only part of a chunk (a file system or a file size limit filling up): the rest is written
			// again until all of it is on disk or the write fails, so the file never silently misses bytes.
			let done = 0;
			while (done < chunk.byteLength) {
				// eslint-disable-next-line no-await-in-loop
				const {bytesWritten} = await handle.write(chunk, done, chunk.byteLength - done);
				if (bytesWritten === 0) {
					throw new PlanError(`Writing ${partial} made no progress after ${transferred} bytes; run the same command again to continue.`);
				}

				done += bytesWritten;
				transferred += bytesWritten;
			}

			report(transferred);
		}
	} catch (error) {
		await handle.close();
		if (error instanceof ChecksumMismatchError) {
			// A partial file that does not match must not be resumed.
			await unlink(partial);
		}

		throw fullDisk(error, {partial, transferred, size: image.size}) ?? error;
	}

	await handle.close();
	report(transferred, true);
	await moveWithoutReplacing(partial, path);
	context.createdFile(path, identity, partial);
	return {path, bytes: transferred};
}

/**
What two images' data hash to, for a comparison: Glance's os_hash_value when both use the same algorithm, else the MD5
checksum both have; undefined when they have no hash in common.
*/
function commonHash(image: Image, reference: Image | {sha512: string}): {algorithm: string; hash: string; referenceHash: string} | undefined {
	if ('sha512' in reference) {
		return image.hashAlgo === 'sha512' && image.hashValue !== undefined
			? {algorithm: 'sha512', hash: image.hashValue.toLowerCase(), referenceHash: reference.sha512.toLowerCase()}
			: undefined;
	}

	if (image.hashAlgo !== undefined && image.hashAlgo === reference.hashAlgo && image.hashValue !== undefined && reference.hashValue !== undefined) {
		return {algorithm: image.hashAlgo, hash: image.hashValue.toLowerCase(), referenceHash: reference.hashValue.toLowerCase()};
	}

	return image.checksum !== undefined && reference.checksum !== undefined
		? {algorithm: 'md5', hash: image.checksum.toLowerCase(), referenceHash: reference.checksum.toLowerCase()}
		: undefined;
}

/**
The first 16 hex digits of a hash, enough to tell two apart in a sentence.
*/
export function shortHash(hash: string): string {
	return hash.length > 16 ? `${hash.slice(0, 16)}…` : hash;
}

async function compareImageHash(args: Operations['glance.compareImageHash'], context: StepContext): Promise<StepOutputs> {
	const glance = need(context.session.glance, 'Glance');
	const imageId = String(resolveRefOr(args.imageId, context.outputs));
	const image = await glance.getImage(imageId, {signal: context.signal});
	if (image.status !== 'active') {
		throw new PlanError(`The restored volume's image is ${image.status}, not active: Glance has no hash of its data.`);
	}

	const sha512 = image.hashAlgo === 'sha512' ? (image.hashValue ?? '').toLowerCase() : '';
	if (args.reference === undefined) {
		return {
			imageId, compared: 'no', reference: args.referenceLabel, algorithm: image.hashAlgo ?? 'md5', hash: (image.hashValue ?? image.checksum ?? '').toLowerCase(), sha512,
		};
	}

	const reference = 'sha512' in args.reference
		? {sha512: args.reference.sha512}
		: await glance.getImage(String(resolveRefOr(args.reference.imageId, context.outputs)), {signal: context.signal});
	if ('status' in reference && reference.status !== 'active') {
		throw new PlanError(`The image of ${args.referenceLabel} is ${reference.status}, not active: Glance has no hash of its data.`);
	}

	const hashes = commonHash(image, reference);
	if (hashes === undefined) {
		throw new PlanError(`Glance gives the restored volume's image and ${args.referenceLabel} no hash in common (${image.hashAlgo ?? 'no os_hash_algo'}): the bytes cannot be compared.`);
	}

	if (hashes.hash !== hashes.referenceHash) {
		throw new PlanError(`The restored bytes differ from ${args.referenceLabel} (${hashes.algorithm} ${shortHash(hashes.hash)} ≠ ${shortHash(hashes.referenceHash)})`
			+ `${args.mismatchHint === undefined ? '' : `: ${args.mismatchHint}`}.`);
	}

	return {
		imageId, compared: 'yes', reference: args.referenceLabel, algorithm: hashes.algorithm, hash: hashes.hash, sha512,
	};
}

type PlaintextArgs = Operations['glance.hashImagePlaintext'];

/**
The image's key, read from Barbican into memory: the caller zeroes it. What stops the read is inconclusive: it says
nothing about the data.
*/
async function imageKey(args: PlaintextArgs, image: Image, context: StepContext): Promise<Uint8Array> {
	const secretId = image.cinderEncryptionKeyId;
	if (secretId === undefined) {
		throw new InconclusiveError(`${args.label} ${image.id} has no cinder_encryption_key_id: Cinder did not upload it as an encrypted volume, so there is no key to decrypt its bytes with.`);
	}

	const {barbican} = context.session;
	if (barbican === undefined) {
		throw new InconclusiveError(`This cloud has no Barbican in its catalog: the key of ${args.label} (secret ${secretId}) cannot be read, so its bytes cannot be decrypted.`);
	}

	try {
		return await barbican.getSecretPayload(secretId, {signal: context.signal});
	} catch (error) {
		const status = httpStatusOf(error);
		if (status === 401 || status === 403) {
			throw new InconclusiveError(`Barbican refuses the key of ${args.label} (secret ${secretId}) to this user (HTTP ${status}): its bytes cannot be decrypted. `
				+ 'Run the drill as a user whom Barbican lets read secrets in this project (its creator role, on a cloud with the legacy policy).');
		}

		if (status === 404) {
			throw new InconclusiveError(`The key of ${args.label} (secret ${secretId}) is gone from Barbican: its bytes cannot be decrypted.`);
		}

		throw error;
	}
}

/**
Why the plaintext of `args`' image cannot be hashed, as the error the step fails with: for the restored volume a key of
its own that does not open it, or a damaged container, is a finding; anything else is inconclusive.
*/
function unreadable(args: PlaintextArgs, imageId: string, problem: LuksProblem | LuksDataError): PlanError {
	const what = problem instanceof LuksDataError ? `cannot be decrypted: ${problem.message}` : luksProblemText(problem);
	const isFinding = args.subject === 'restored' && (problem instanceof LuksDataError || problem.result === 'wrong-key' || problem.result === 'invalid');
	const message = `${args.label} ${imageId} ${what}${problem instanceof LuksDataError || problem.result !== 'wrong-key' ? '' : ' (its own key, the clone Cinder made for it)'}.`;
	return isFinding ? new PlanError(message) : new InconclusiveError(message);
}

async function hashImagePlaintext(args: PlaintextArgs, context: StepContext): Promise<StepOutputs> {
	const glance = need(context.session.glance, 'Glance');
	const imageId = String(resolveRefOr(args.imageId, context.outputs));
	const image = await glance.getImage(imageId, {signal: context.signal});
	if (image.status !== 'active') {
		throw new PlanError(`${args.label} ${imageId} is ${image.status}, not active: it has no data to read.`);
	}

	const key = await imageKey(args, image, context);
	const passphrase = hexBytes(key);
	key.fill(0);
	const report = byteReporter(context, image.size);
	report(0, true);
	let transferred = 0;
	async function * counted(): AsyncGenerator<Uint8Array> {
		for await (const chunk of glance.downloadImage(imageId, {signal: context.signal})) {
			transferred += chunk.byteLength;
			report(transferred);
			yield chunk;
		}
	}

	let digest: LuksDigest | LuksProblem;
	try {
		digest = await hashLuksPlaintext(counted(), passphrase);
	} catch (error) {
		throw error instanceof LuksDataError ? unreadable(args, imageId, error) : error;
	} finally {
		passphrase.fill(0);
	}

	if (digest.result !== 'opened') {
		throw unreadable(args, imageId, digest);
	}

	report(transferred, true);
	const outputs = {
		imageId, algorithm: digest.algorithm, hash: digest.hash, sha512: digest.hash, hashOf: 'plaintext', bytes: digest.bytes, cipher: digest.cipher,
	};
	if (args.reference === undefined) {
		return {...outputs, compared: 'no', reference: args.referenceLabel ?? 'none'};
	}

	const referenceLabel = args.referenceLabel ?? 'the reference';
	const expected = String(resolveRefOr(args.reference.sha512, context.outputs)).toLowerCase();
	if (digest.hash !== expected) {
		throw new PlanError(`The restored plaintext differs from ${referenceLabel} (sha512 of the decrypted data ${shortHash(digest.hash)} ≠ ${shortHash(expected)})`
			+ `${args.mismatchHint === undefined ? '' : `: ${args.mismatchHint}`}.`);
	}

	return {...outputs, compared: 'yes', reference: referenceLabel};
}

/**
The runbook of glance.hashImagePlaintext. The openstack CLI cannot stream-decrypt: the image is saved, its key written
to a 0600 file in a private directory, the passphrase made from it, and qemu-img (package qemu-utils) decrypts the image
into a plaintext file there, which is hashed; the directory goes when the subshell ends, whatever happens.
*/
function hashImagePlaintextCli(step: Step, args: PlaintextArgs): string[] {
	const image = word(args.imageId);
	const variable = variableFor({$ref: step.id, output: 'sha512'});
	const keyField = `openstack image show -f json ${image} | { grep -o '"cinder_encryption_key_id": *"[^"]*"' || true; } | head -n 1 | cut -d '"' -f 4`;
	const hexlify = 'python3 -c \'import binascii, sys; sys.stdout.write(binascii.hexlify(open(sys.argv[1], "rb").read()).decode())\' "$work/key" > "$work/passphrase"';
	const lines = [
		`# ${args.label}: decrypted with its own key (cinder_encryption_key_id) and its plaintext hashed (sha512).`,
		'# backstack streams this: it decrypts the image while it downloads it and never writes the key or the plaintext to disk.',
		'# The openstack CLI cannot: here the image, its key and its plaintext go to a private directory (room for twice the',
		'# image), qemu-img (package qemu-utils) decrypts, and the directory is removed when the subshell ends.',
		`${variable}="$(`,
		'	set -euo pipefail',
		'	work="$(umask 077 && mktemp -d)"',
		'	trap \'rm -rf "$work"\' EXIT',
		`	key_id="$(${keyField})"`,
		`	[ -n "$key_id" ] || { echo ${shellQuote(`${args.label} has no key (cinder_encryption_key_id)`)} >&2; exit 1; }`,
		'	openstack secret get --file "$work/key" --payload_content_type application/octet-stream "$key_id" >&2',
		`	${hexlify}`,
		`	openstack image save --file "$work/image" ${image} >&2`,
		'	qemu-img convert --object "secret,id=sec0,file=$work/passphrase" --image-opts "driver=luks,key-secret=sec0,file.filename=$work/image" -O raw "$work/plain" >&2',
		'	sha512sum "$work/plain" | cut -d \' \' -f 1',
		')"',
	];
	if (args.subject === 'reference') {
		return lines;
	}

	if (args.reference === undefined) {
		// eslint-disable-next-line no-template-curly-in-string -- bash, not a template.
		return [...lines, `restored_plaintext_sha512="$${variable}"`, 'echo "restored plaintext: sha512 ${restored_plaintext_sha512}"'];
	}

	const fail = `The restored plaintext differs from ${args.referenceLabel ?? 'the reference'}${args.mismatchHint === undefined ? '' : `: ${args.mismatchHint}`}`;
	return [
		...lines,
		`[ "$${variable}" = ${word(args.reference.sha512)} ] || { echo ${shellQuote(fail)} >&2; exit 1; }`,
		`echo "plaintext matches (sha512 $${variable})"`,
		`restored_plaintext_sha512="$${variable}"`,
	];
}

type RecordedData = Operations['glance.verifyImageData'];

/**
What differs between an image and the recorded size and hashes of its data; `compared` names the hashes that matched.
*/
export function imageDataProblems(image: Image, recorded: RecordedData): {problems: string[]; compared: string[]} {
	const problems: string[] = [];
	const compared: string[] = [];
	if (image.status !== 'active') {
		problems.push(`is ${image.status}, not active`);
		return {problems, compared};
	}

	if (image.size !== recorded.size) {
		problems.push(`has ${image.size ?? 'no'} bytes, not ${recorded.size}`);
	}

	const check = (algorithm: string, actual: string | undefined, expected: string | undefined) => {
		if (actual === undefined || expected === undefined) {
			return;
		}

		if (actual.toLowerCase() === expected.toLowerCase()) {
			compared.push(algorithm);
		} else {
			problems.push(`has ${algorithm} ${shortHash(actual.toLowerCase())}, not ${shortHash(expected.toLowerCase())}`);
		}
	};

	check('md5', image.checksum, recorded.checksum);
	const algorithm = image.hashAlgo?.toLowerCase();
	if (algorithm !== undefined && algorithm === recorded.hashAlgo?.toLowerCase()) {
		check(algorithm, image.hashValue, recorded.hashValue);
	} else if (algorithm === 'sha256') {
		check(algorithm, image.hashValue, recorded.sha256);
	}

	if (problems.length === 0 && compared.length === 0) {
		problems.push('has no checksum in common with the record (neither md5 nor its os_hash_algo), so its bytes cannot be proved');
	}

	return {problems, compared};
}

async function verifyImageData(args: RecordedData, context: StepContext): Promise<StepOutputs> {
	const imageId = String(resolveRefOr(args.imageId, context.outputs));
	const image = await need(context.session.glance, 'Glance').getImage(imageId, {signal: context.signal});
	const {problems, compared} = imageDataProblems(image, args);
	if (problems.length > 0) {
		throw new PlanError(`Image ${imageId} is not ${args.label}: it ${problems.join('; ')}.`);
	}

	return {imageId, compared: compared.join(', '), size: image.size ?? 0};
}

function textProperties(properties: Record<string, string | number>): Record<string, string> {
	return Object.fromEntries(Object.entries(properties).map(([key, value]) => [key, String(value)]));
}

export const glanceOperations: OperationFamily<'glance'> = {
	'glance.createImage': {
		describe(args, show) {
			const properties = Object.entries(args.properties ?? {}).map(([key, value]) => `${key}=${show(value)}`);
			const minimums = [
				...(args.minDisk === undefined ? [] : [`min disk ${args.minDisk} GiB`]),
				...(args.minRam === undefined ? [] : [`min RAM ${args.minRam} MiB`]),
			];
			const extra = [...minimums, ...properties];
			return `Create image ${quote(args.name)} (${args.diskFormat}/${args.containerFormat})${extra.length > 0 ? ` with ${extra.join(', ')}` : ''}`;
		},
		async perform(raw, context) {
			const args = resolveAll(raw, context.outputs);
			const image = await need(context.session.glance, 'Glance').createImage({
				name: args.name,
				diskFormat: args.diskFormat,
				containerFormat: args.containerFormat,
				minDisk: args.minDisk,
				minRam: args.minRam,
				properties: marked(textProperties(args.properties ?? {}), context.intent),
			}, {});
			return {imageId: image.id};
		},
		exportCli({step, args, plan}) {
			const upload = plan.steps.find(candidate => candidate.action.op === 'glance.uploadImageData' && isRef(candidate.action.args.imageId) && candidate.action.args.imageId.$ref === step.id);
			const file = upload?.action.op === 'glance.uploadImageData' ? ` --file ${word(upload.action.args.path)}` : '';
			return [assign(step, 'imageId', ['openstack image create', `--disk-format ${word(args.diskFormat)}`, '--container-format '
				+ word(args.containerFormat), ...option('--min-disk', args.minDisk), ...option('--min-ram', args.minRam), ...propertyFlags(args.properties)].join(' ')
				+ `${file} ${word(args.name)} -f value -c id`)];
		},
		outputs: () => ['imageId'],
		minimumDanger: create,
		undo: 'image',
		intent: {
			isMarkable: session => session.glance !== undefined,
			find: async (session, mark, _args, signal) => findMarkedImage(session, mark, undefined, signal),
		},
	},
	'glance.uploadImageData': {
		describe: (args, show) => `Upload ${args.path} into image ${show(args.imageId)}`,
		async perform(args, context) {
			const imageId = String(resolveRefOr(args.imageId, context.outputs));
			const {size} = await stat(args.path);
			const report = byteReporter(context, size);
			report(0, true);
			await need(context.session.glance, 'Glance').uploadImageData(imageId, createReadStream(args.path), {
				signal: context.signal,
				size,
				onProgress(progress) {
					report(progress.transferred);
				},
			});
			report(size, true);
			return {imageId};
		},
		exportCli: ({args}) => [`# ${args.path} is uploaded by the 'openstack image create --file' command above.`],
		outputs: () => ['imageId'],
		// Glance takes data only into an image that has none yet (a queued one).
		minimumDanger: create,
		undo: 'image',
	},
	'glance.downloadImage': {
		describe: (args, show) => `Download image ${show(args.imageId)} to ${args.path} (resumable, checksum verified)`,
		perform: async (args, context) => downloadImage(String(resolveRefOr(args.imageId, context.outputs)), args.path, context),
		exportCli({args}) {
			return [
				'# openstack image save cannot resume an interrupted download (backstack can: it keeps a .part file).',
				// The file is readable by its owner only, as backstack's own download writes it (an image may hold private data).
				`(umask 077 && openstack image save --file ${word(args.path)} ${word(args.imageId)})`,
				`expected="$(openstack image show ${word(args.imageId)} -c checksum -f value)"`,
				String.raw`printf '%s  %s\n' "$expected" ${word(args.path)} | md5sum --check --quiet - || { echo 'checksum mismatch: the file is damaged' >&2; exit 1; }`,
			];
		},
		outputs: () => ['path', 'bytes'],
		minimumDanger: create,
		undo: 'file',
	},
	'glance.setImageProperties': {
		describe(args, show) {
			const properties = Object.entries(args.properties).map(([key, value]) => `${key}=${show(value)}`);
			return `Set ${properties.join(', ')} on image ${show(args.imageId)}`;
		},
		async perform(args, {session, outputs}) {
			const imageId = String(resolveRefOr(args.imageId, outputs));
			await need(session.glance, 'Glance').setImageProperties(imageId, textProperties(resolveAll(args.properties, outputs)), {});
			return {imageId};
		},
		exportCli: ({args}) => [`openstack image set ${propertyFlags(args.properties).join(' ')} ${word(args.imageId)}`],
		outputs: () => ['imageId'],
		minimumDanger: mutate,
	},
	'glance.compareImageHash': {
		describe(args, show) {
			if (args.reference === undefined) {
				return `Read the data hash of image ${show(args.imageId)} (${args.referenceLabel})`;
			}

			const reference = 'sha512' in args.reference ? `the recorded sha512 ${shortHash(args.reference.sha512)}` : `image ${show(args.reference.imageId)}`;
			return `Compare the data hash of image ${show(args.imageId)} with ${reference} (${args.referenceLabel})`;
		},
		perform: compareImageHash,
		exportCli({args}) {
			// Debian 12's python-openstackclient 6.0 shows os_hash_algo and os_hash_value inside "properties", later ones at the
			// top: `-c os_hash_value` fails on one or the other, so the field is read from the JSON wherever it is.
			const field = (image: string, name: string) => `"$(openstack image show ${image} -f json | { grep -o '"${name}": *"[^"]*"' || true; } | head -n 1 | cut -d '"' -f 4)"`;
			const hashOf = (image: string) => field(image, 'os_hash_value');
			// The sha512 is kept in restored_sha512 for the drill's record (empty when Glance hashes with another algorithm).
			const sha512Line = `restored_sha512="$(if [ ${field(word(args.imageId), 'os_hash_algo')} = sha512 ]; then echo ${hashOf(word(args.imageId))}; fi)"`;
			if (args.reference === undefined) {
				// eslint-disable-next-line no-template-curly-in-string -- bash, not a template.
				return [`# ${args.referenceLabel}: the hash is only read.`, sha512Line, 'echo "restored data: sha512 ${restored_sha512:-unknown}"'];
			}

			const reference = 'sha512' in args.reference ? shellQuote(args.reference.sha512) : hashOf(word(args.reference.imageId));
			const fail = `The restored bytes differ from ${args.referenceLabel}${args.mismatchHint === undefined ? '' : `: ${args.mismatchHint}`}`;
			return [
				'# Glance hashes every image it stores (os_hash_value, sha512 by default): equal hashes, equal bytes.',
				`restored_hash=${hashOf(word(args.imageId))}`,
				`reference_hash=${reference}`,
				`[ -n "$restored_hash" ] && [ "$restored_hash" = "$reference_hash" ] || { echo ${shellQuote(fail)} >&2; exit 1; }`,
				'echo "bytes match (sha512 $restored_hash)"',
				sha512Line,
			];
		},
		outputs: () => ['imageId', 'compared', 'reference', 'algorithm', 'hash', 'sha512'],
		minimumDanger: () => 'read',
	},
	'glance.hashImagePlaintext': {
		describe(args, show) {
			const reference = args.reference === undefined
				? ''
				: `, compare it with ${isRef(args.reference.sha512) ? 'the reference\'s' : `the recorded sha512 ${shortHash(args.reference.sha512)},`} ${args.referenceLabel ?? 'the reference'}`;
			return `Download image ${show(args.imageId)} (${args.label}), decrypt it with its own key and hash the plaintext (sha512)${reference}`;
		},
		perform: hashImagePlaintext,
		exportCli: ({step, args}) => hashImagePlaintextCli(step, args),
		outputs: () => ['imageId', 'compared', 'reference', 'algorithm', 'hash', 'sha512', 'hashOf', 'bytes', 'cipher'],
		minimumDanger: () => 'read',
	},
	'glance.verifyImageData': {
		describe(args, show) {
			const hashes = [args.checksum === undefined ? undefined : 'md5', args.hashAlgo].filter(value => value !== undefined);
			return `Check that Glance's size and checksums (${hashes.length === 0 ? 'none recorded' : hashes.join(', ')}) of image ${show(args.imageId)} are those of ${args.label}`;
		},
		perform: verifyImageData,
		exportCli({args}) {
			// Python-openstackclient 6.0 shows os_hash_* inside "properties", later ones at the top: read them from the JSON.
			const image = word(args.imageId);
			const field = (name: string) => `"$(openstack image show ${image} -f json | { grep -o '"${name}": *"[^"]*"' || true; } | head -n 1 | cut -d '"' -f 4)"`;
			const fail = (what: string) => `{ echo ${shellQuote(`The uploaded image is not ${args.label}: ${what}`)} >&2; exit 1; }`;
			return [
				'# Glance computed these while it stored the upload: equal checksums, equal bytes.',
				`[ "$(openstack image show ${image} -f value -c size)" = ${args.size} ] || ${fail('another size')}`,
				...(args.checksum === undefined ? [] : [`[ "$(openstack image show ${image} -f value -c checksum)" = ${shellQuote(args.checksum)} ] || ${fail('another md5 checksum')}`]),
				...(args.hashAlgo === undefined || args.hashValue === undefined
					? []
					: [
						`if [ ${field('os_hash_algo')} = ${shellQuote(args.hashAlgo)} ]; then`,
						`\t[ ${field('os_hash_value')} = ${shellQuote(args.hashValue)} ] || ${fail(`another ${args.hashAlgo} hash`)}`,
						'fi',
					]),
			];
		},
		outputs: () => ['imageId', 'compared', 'size'],
		minimumDanger: () => 'read',
	},
	'glance.removeImageProperties': {
		describe: (args, show) => `Remove ${args.keys.length === 1 ? 'property' : 'properties'} ${args.keys.join(', ')} from image ${show(args.imageId)}`,
		async perform(args, {session, outputs}) {
			const imageId = String(resolveRefOr(args.imageId, outputs));
			await need(session.glance, 'Glance').removeImageProperties(imageId, args.keys, {});
			return {imageId};
		},
		exportCli({step, args}) {
			const image = word(args.imageId);
			const variable = variableFor({$ref: step.id, output: 'properties'});
			return [
				'# Only the properties the image still has: `openstack image unset` fails on one that is gone (e.g. on a second run).',
				`${variable}="$(openstack image show -c properties -f json ${image})"`,
				...args.keys.flatMap(key => [
					`if [[ "$${variable}" == *${shellQuote(`"${key}"`)}* ]]; then`,
					`\topenstack image unset --property ${word(key)} ${image}`,
					'fi',
				]),
			];
		},
		outputs: () => ['imageId'],
		minimumDanger: mutate,
	},
};

export const glanceRemovers: {image: Remover} = {
	async image(session, resource) {
		await ignoreMissing(async () => need(session.glance, 'Glance').deleteImage(resource.id));
		return undefined;
	},
};
