/*
The DR bundle's local operations (issue 13): its directory, and its manifest, written last. The data and the key are
written by the existing operations (glance.downloadImage, barbican.exportSecret) into the directory.
*/
import {
	chmod,
	lstat,
	mkdir,
	rm,
} from 'node:fs/promises';
import path from 'node:path';
import {writeFileAtomicSync} from '../../atomic-file.js';
import {directoryState, hashFile, readRecord} from '../../bundle/files.js';
import {glanceOfImage, secretAttributes} from '../../bundle/from-cloud.js';
import {
	isPending,
	manifestFileName,
	type BundleItem,
	type BundleItemDraft,
	type BundleManifest,
	type BundlePendingItem,
} from '../../bundle/manifest.js';
import {PlanError} from '../errors.js';
import {identityOf} from '../files.js';
import {shellQuote, variableFor, word} from '../shell.js';
import {need} from '../status.js';
import type {Operations, Step} from '../types.js';
import {create, resolveRefOr} from './shared.js';
import type {OperationFamily, StepContext, StepOutputs} from './types.js';

async function makeDirectory(args: {path: string; ours: string[]; itemId: string}): Promise<StepOutputs> {
	// Checked again here, not only when planning: the directory may have changed in between.
	const before = await directoryState(args.path, args.ours, args.itemId);
	if (before.state === 'foreign') {
		throw new PlanError(before.reason);
	}

	if (before.state === 'complete') {
		throw new PlanError(`${args.path} already holds a finished bundle of this item; check it with: backstack verify bundle ${args.path}`);
	}

	await mkdir(args.path, {recursive: true, mode: 0o700});
	const stats = await lstat(args.path);
	if (!stats.isDirectory()) {
		throw new PlanError(`${args.path} is not a directory.`);
	}

	// An empty directory the user made (with the umask's mode) becomes readable by its owner only, like a new one.
	await chmod(args.path, 0o700);
	return {path: args.path};
}

/**
An item completed from the temporary image its bytes were downloaded from: the data's size, Glance's block and, for
an encrypted volume, the image's key clone and its attributes.
*/
async function completed(item: BundlePendingItem, imageId: string, context: StepContext): Promise<BundleItemDraft> {
	const image = await need(context.session.glance, 'Glance').getImage(imageId, {signal: context.signal});
	if (image.status !== 'active' || image.size === undefined || image.size === 0) {
		throw new PlanError(`The temporary image ${imageId} of ${item.kind} ${item.id} is ${image.status}${image.size === 0 ? ' and empty' : ''}: Glance has no checksums of its data.`);
	}

	const {
		record: _record, data, encryption, ...rest
	} = item;
	const secretId = image.cinderEncryptionKeyId;
	if ((encryption === undefined) !== (secretId === undefined)) {
		throw new PlanError(encryption === undefined
			? `The temporary image ${imageId} has a key (${secretId!}), but ${item.kind} ${item.id} was planned as unencrypted: plan the bundle again.`
			: `The temporary image ${imageId} has no key (cinder_encryption_key_id), but ${item.kind} ${item.id} is encrypted.`);
	}

	const secret = secretId === undefined ? undefined : await need(context.session.barbican, 'Barbican').getSecret(secretId, {signal: context.signal});
	return {
		...rest,
		data: {file: data.file, size: image.size},
		glance: glanceOfImage(image),
		...(encryption !== undefined && secret !== undefined && {
			encryption: {
				keyFile: encryption.keyFile,
				passphrase: encryption.passphrase,
				sourceSecretId: secret.id,
				...(image.cinderEncryptionKeyDeletionPolicy !== undefined && {keyDeletionPolicy: image.cinderEncryptionKeyDeletionPolicy}),
				secret: secretAttributes(secret),
			},
		}),
	};
}

async function recordImage(args: Operations['bundle.recordImage'], context: StepContext): Promise<StepOutputs> {
	const imageId = String(resolveRefOr(args.imageId, context.outputs));
	const draft = await completed(args.item, imageId, context);
	const target = path.join(args.directory, args.item.record.file);
	writeFileAtomicSync(target, `${JSON.stringify(draft, undefined, '\t')}\n`);
	context.createdFile(target, identityOf(await lstat(target, {bigint: true})));
	return {path: target};
}

/**
Every file hashed from the bytes on disk, checked against what Glance said the image was, then the manifest written.
A file that does not match is named and nothing is written: the bundle stays unfinished (no manifest).
*/
/**
The manifest's items as drafts: an item whose bytes came from a temporary image completed from its record file.
*/
async function draftsOf(args: Operations['bundle.writeManifest']): Promise<BundleItemDraft[]> {
	const drafts: BundleItemDraft[] = [];
	for (const item of args.manifest.items) {
		if (!isPending(item)) {
			drafts.push(item);
			continue;
		}

		// eslint-disable-next-line no-await-in-loop
		const draft = await readRecord(args.directory, item);
		if (draft === undefined) {
			throw new PlanError(`The record of ${item.kind} ${item.id} (${item.record.file}) is missing or is not that item's: run the bundle again (it bundles that item afresh).`);
		}

		drafts.push(draft);
	}

	return drafts;
}

async function writeManifest(args: Operations['bundle.writeManifest'], context: StepContext): Promise<StepOutputs> {
	const items: BundleManifest['items'] = [];
	const drafts = await draftsOf(args);

	for (const item of drafts) {
		if (item.data === undefined || item.glance === undefined) {
			// A server booted from a volume: nothing of its own to hash (its disk is that volume's item).
			const {encryption: _none, data: _noData, ...described} = item;
			items.push(described as BundleItem);
			continue;
		}

		const file = path.join(args.directory, item.data.file);
		const {glance} = item;
		const whose = item.kind === 'image' ? `image ${item.id}` : `the temporary image of ${item.kind} ${item.id}`;
		// eslint-disable-next-line no-await-in-loop
		const hashes = await hashFile(file, ['md5', ...(glance.hashAlgo === undefined ? [] : [glance.hashAlgo])], context.signal);
		if (hashes.size !== item.data.size) {
			throw new PlanError(`${file} has ${hashes.size} bytes, ${whose} has ${item.data.size}: delete the file and run the bundle again.`);
		}

		const mismatch = [
			{name: 'md5 checksum', expected: glance.checksum, actual: hashes['md5']},
			{name: glance.hashAlgo ?? '', expected: glance.hashValue, actual: glance.hashAlgo === undefined ? undefined : hashes[glance.hashAlgo.toLowerCase()]},
		].find(check => check.expected !== undefined && check.actual !== undefined && check.expected.toLowerCase() !== check.actual);
		if (mismatch !== undefined) {
			throw new PlanError(`${file} does not match the ${mismatch.name} Glance has for ${whose}: delete the file and run the bundle again.`);
		}

		const {encryption, ...rest} = item;
		let keySize: number | undefined;
		if (encryption !== undefined) {
			// eslint-disable-next-line no-await-in-loop
			const key = await lstat(path.join(args.directory, encryption.keyFile));
			if (!key.isFile() || key.size === 0) {
				throw new PlanError(`The key file ${encryption.keyFile} is missing or empty: the bundle would not open.`);
			}

			// A key file an earlier run left cut short (killed mid-write) is not this key.
			const {bitLength} = encryption.secret;
			if (bitLength !== undefined && key.size * 8 !== bitLength) {
				throw new PlanError(`The key file ${encryption.keyFile} has ${key.size} bytes, the ${bitLength}-bit secret needs ${bitLength / 8}: delete it and run the bundle again.`);
			}

			keySize = key.size;
		}

		items.push({
			...rest,
			data: {...item.data, sha256: hashes.sha256},
			...(encryption !== undefined && keySize !== undefined && {encryption: {...encryption, keySize}}),
		});
	}

	const {format, schemaVersion, ...others} = args.manifest;
	// The format and version first, then the time: what a reader looks at before anything else.
	const manifest: BundleManifest = {
		format, schemaVersion, createdAt: new Date(context.clock.now()).toISOString(), ...others, items,
	};
	const target = path.join(args.directory, manifestFileName);
	writeFileAtomicSync(target, `${JSON.stringify(manifest, undefined, '\t')}\n`);
	context.createdFile(target, identityOf(await lstat(target, {bigint: true})));
	// The records are in the manifest now.
	for (const item of args.manifest.items) {
		if (isPending(item)) {
			// eslint-disable-next-line no-await-in-loop
			await rm(path.join(args.directory, item.record.file), {force: true});
		}
	}

	return {path: target};
}

/**
The record step as shell lines: what the manifest script needs of the temporary image, kept in variables (the runbook
writes no record file: it runs start to end).
*/
function recordScript(step: Step, args: Operations['bundle.recordImage']): string[] {
	const image = word(args.imageId);
	// Debian 12's python-openstackclient shows os_hash_* inside "properties", later ones at the top: read from the JSON.
	const field = (name: string) => `"$(openstack image show ${image} -f json | { grep -o '"${name}": *"[^"]*"' || true; } | head -n 1 | cut -d '"' -f 4)"`;
	const line = (output: string, value: string) => `${variableFor({$ref: step.id, output})}=${value}`;
	return [
		'# What the manifest needs of the temporary image, read before it is removed.',
		line('size', `"$(stat -c %s ${word(path.join(args.directory, args.item.data.file))})"`),
		line('disk_format', `"$(openstack image show ${image} -c disk_format -f value)"`),
		line('container_format', `"$(openstack image show ${image} -c container_format -f value)"`),
		line('md5', `"$(openstack image show ${image} -c checksum -f value)"`),
		line('hash_algo', field('os_hash_algo')),
		line('hash_value', field('os_hash_value')),
		...(args.item.encryption === undefined ? [] : [line('key_id', field('cinder_encryption_key_id'))]),
	];
}

/**
The manifest for the exported script: the SHA-256 and the time filled in by the shell, the rest as planned.
*/
function manifestScript(args: Operations['bundle.writeManifest']): string[] {
	const lines: string[] = [];
	const placeholders: Array<[string, string]> = [['@CREATED_AT@', '$(date -u +%Y-%m-%dT%H:%M:%SZ)']];
	const items = args.manifest.items.map((item, index) => {
		if (item.data === undefined) {
			return item;
		}

		const number = index + 1;
		const variable = `SHA256_${number}`;
		lines.push(`${variable}="$(sha256sum ${word(path.join(args.directory, item.data.file))} | cut -d' ' -f1)"`);
		placeholders.push([`@${variable}@`, `$${variable}`]);
		const keySize = item.encryption === undefined ? undefined : `@KEY_SIZE_${number}@`;
		if (keySize !== undefined) {
			lines.push(`KEY_SIZE_${number}="$(stat -c %s ${word(path.join(args.directory, item.encryption!.keyFile))})"`);
			placeholders.push([`"${keySize}"`, `$KEY_SIZE_${number}`]);
		}

		if (!isPending(item)) {
			return {
				...item,
				data: {...item.data, sha256: `@${variable}@`},
				...(item.encryption !== undefined && {encryption: {...item.encryption, keySize}}),
			};
		}

		// What the record step read from the temporary image (recordScript): Glance's formats, checksums and key; its
		// properties are not copied by the runbook.
		const recorded = (name: string) => `$${variableFor({$ref: item.record.step, output: name})}`;
		const filled: Array<[string, string]> = [
			[`"@SIZE_${number}@"`, recorded('size')],
			[`@DISK_FORMAT_${number}@`, recorded('disk_format')],
			[`@CONTAINER_FORMAT_${number}@`, recorded('container_format')],
			[`@MD5_${number}@`, recorded('md5')],
			[`@HASH_ALGO_${number}@`, recorded('hash_algo')],
			[`@HASH_VALUE_${number}@`, recorded('hash_value')],
			...(item.encryption === undefined ? [] : [[`@KEY_ID_${number}@`, recorded('key_id')] as [string, string]]),
		];
		placeholders.push(...filled);
		const {record: _record, encryption, ...rest} = item;
		return {
			...rest,
			data: {...item.data, size: `@SIZE_${number}@`, sha256: `@${variable}@`},
			glance: {
				diskFormat: `@DISK_FORMAT_${number}@`,
				containerFormat: `@CONTAINER_FORMAT_${number}@`,
				checksum: `@MD5_${number}@`,
				hashAlgo: `@HASH_ALGO_${number}@`,
				hashValue: `@HASH_VALUE_${number}@`,
				visibility: 'private',
				protected: false,
				properties: {},
			},
			...(encryption !== undefined && {
				encryption: {
					keyFile: encryption.keyFile, keySize, passphrase: encryption.passphrase, sourceSecretId: `@KEY_ID_${number}@`,
					keyDeletionPolicy: 'on_image_deletion', secret: encryption.secret ?? {secretType: 'symmetric'},
				},
			}),
		};
	});
	const {format, schemaVersion, ...others} = args.manifest;
	const json = JSON.stringify({
		format, schemaVersion, createdAt: '@CREATED_AT@', ...others, items,
	}, undefined, '\t');
	const edits = placeholders.map(([from, to]) => `-e "s/${from.replaceAll('"', String.raw`\"`)}/${to}/"`).join(' ');
	return [
		'# backstack writes manifest.json last, atomically, after checking every file against Glance\'s checksums',
		'# (schema: docs/bundle-manifest.schema.json); here the shell fills in the SHA-256, the time and what Glance tells.',
		...lines,
		String.raw`(umask 077 && printf '%s\n' ${shellQuote(json)} | sed ${edits} > ${word(path.join(args.directory, manifestFileName))})`,
	];
}

export const bundleOperations: OperationFamily<'bundle'> = {
	'bundle.makeDirectory': {
		describe: args => `Create the bundle directory ${args.path} (mode 0700; an empty or unfinished one is continued)`,
		perform: async args => makeDirectory(args),
		exportCli: ({args}) => [`mkdir -p ${word(args.path)} && chmod 0700 ${word(args.path)}`],
		outputs: () => ['path'],
		minimumDanger: create,
	},
	'bundle.recordImage': {
		describe: (args, show) => `Record Glance's checksums and formats of image ${show(args.imageId)} for ${args.item.kind} ${args.item.id} in ${args.item.record.file}`,
		perform: recordImage,
		exportCli: ({step, args}) => recordScript(step, args),
		outputs: () => ['path'],
		minimumDanger: create,
		undo: 'file',
	},
	'bundle.writeManifest': {
		describe: args => `Hash the files, check them against Glance's checksums and write ${path.join(args.directory, manifestFileName)} (last)`,
		perform: writeManifest,
		exportCli: ({args}) => manifestScript(args),
		outputs: () => ['path'],
		minimumDanger: create,
		undo: 'file',
	},
};
