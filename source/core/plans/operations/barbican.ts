/*
Barbican's operations (store a key from a file, export one to files) and the removal of a secret.
*/
import {open} from 'node:fs/promises';
import {PlanError} from '../errors.js';
import {hexBytes, writeNewFile} from '../files.js';
import {firstMarked, markedName} from '../intents.js';
import {option, variableFor, word} from '../shell.js';
import {need} from '../status.js';
import {hasText, quote} from '../text.js';
import type {Operations} from '../types.js';
import {
	create,
	ignoreMissing,
	resolveRefOr,
	withMark,
} from './shared.js';
import type {
	OperationFamily,
	Remover,
	StepContext,
	StepOutputs,
} from './types.js';

/**
Each file is created new ('wx', 0600: never with wider permissions, never over another file) and journalled, with its
identity, the moment it exists: the hex file is a resource of its own.
*/
async function exportSecret(args: {secretId: string; path: string; hexPath?: string}, context: StepContext): Promise<StepOutputs> {
	const barbican = need(context.session.barbican, 'Barbican');
	const {bitLength} = await barbican.getSecret(args.secretId, {signal: context.signal});
	const payload = await barbican.getSecretPayload(args.secretId, {signal: context.signal});
	try {
		// An answer cut short (a proxy, a reset mid-body with a matching length) would be a key that opens nothing.
		if (bitLength !== undefined && payload.length * 8 < bitLength) {
			throw new PlanError(`Barbican returned ${payload.length} bytes for the ${bitLength}-bit secret ${args.secretId}: the answer is incomplete, nothing was written. Run the export again.`);
		}

		await writeNewFile(args.path, payload, identity => {
			context.createdFile(args.path, identity);
		});
		const {hexPath} = args;
		if (hexPath !== undefined) {
			const hex = hexBytes(payload);
			try {
				await writeNewFile(hexPath, hex, identity => {
					context.createdFile(hexPath, identity);
				});
			} finally {
				hex.fill(0);
			}
		}
	} finally {
		payload.fill(0);
	}

	return args.hexPath === undefined ? {path: args.path} : {path: args.path, hexPath: args.hexPath};
}

/**
The key of an image Cinder uploaded from an encrypted volume: the image's own clone of the volume's key.
*/
async function exportImageKey(args: Operations['barbican.exportImageKey'], context: StepContext): Promise<StepOutputs> {
	const imageId = String(resolveRefOr(args.imageId, context.outputs));
	const image = await need(context.session.glance, 'Glance').getImage(imageId, {signal: context.signal});
	const secretId = image.cinderEncryptionKeyId;
	if (secretId === undefined) {
		throw new PlanError(`Image ${imageId} has no cinder_encryption_key_id: Cinder did not upload it as an encrypted volume, so there is no key to export.`);
	}

	await exportSecret({secretId, path: args.path}, context);
	return {path: args.path, secretId};
}

export const barbicanOperations: OperationFamily<'barbican'> = {
	'barbican.storeSecret': {
		describe(args) {
			const attributes = [args.secretType, args.algorithm, args.bitLength === undefined ? undefined : `${args.bitLength} bit`, args.mode].filter(value => hasText(value)).join(' ');
			return `Store ${args.path} as a new Barbican secret ${quote(args.name ?? '')}${hasText(attributes) ? ` (${attributes})` : ''}`;
		},
		// With a mark the secret's name carries it for good: a secret cannot be renamed (intents.ts).
		async perform(args, {session, intent}) {
			const {path, ...rest} = args;
			const attributes = {...rest, name: withMark(rest.name, intent)};
			const handle = await open(path, 'r');
			let payload: Uint8Array;
			try {
				payload = await handle.readFile();
			} finally {
				await handle.close();
			}

			try {
				const {id} = await need(session.barbican, 'Barbican').storeSecret({...attributes, payload});
				return {secretId: id};
			} finally {
				payload.fill(0);
			}
		},
		exportCli({step, args}) {
			const command = [
				'openstack secret store',
				...option('--algorithm', args.algorithm),
				...option('--bit-length', args.bitLength),
				...option('--mode', args.mode),
				...option('--secret-type', args.secretType),
				...option('--file', args.path),
				...option('--name', args.name),
			].join(' ');
			const variable = variableFor({$ref: step.id, output: 'secretId'});
			return [
				'# The restored secret gets a NEW ID; the href printed by Barbican ends with it.',
				`${variable}_HREF="$(${command} -f value -c 'Secret href')"`,
				`${variable}="\${${variable}_HREF##*/}"`,
			];
		},
		outputs: () => ['secretId'],
		minimumDanger: create,
		undo: 'secret',
		intent: {
			isMarkable: session => session.barbican !== undefined,
			async find(session, mark, args, signal) {
				const name = markedName(args.name, mark);
				const secret = await firstMarked(need(session.barbican, 'Barbican').listSecrets({name, signal}), item => (item.name === name ? mark : undefined), mark);
				return secret === undefined ? undefined : {secretId: secret.id};
			},
		},
	},
	'barbican.exportSecret': {
		describe(args) {
			return `Write the plaintext of secret ${args.secretId} to ${args.path} (mode `
				+ `0600)${hasText(args.hexPath) ? ` and its LUKS passphrase form to ${args.hexPath}` : ''}`;
		},
		perform: exportSecret,
		exportCli({args}) {
			return [
				'# PLAINTEXT key: umask 077 makes the file readable by you only from the moment it exists.',
				`(umask 077 && openstack secret get --file ${word(args.path)} --payload_content_type application/octet-stream ${word(args.secretId)})`,
				...(args.hexPath === undefined
					? []
					: [
						'# The LUKS passphrase form: OpenStack passes hexlify(key) to LUKS (SCS user data backup guide, appendix).',
						`(umask 077 && python3 -c 'import binascii, sys; sys.stdout.write(binascii.hexlify(open(sys.argv[1], "rb").read()).decode())' ${word(args.path)} > ${word(args.hexPath)})`,
					]),
			];
		},
		outputs: args => args.hexPath === undefined ? ['path'] : ['path', 'hexPath'],
		minimumDanger: create,
		undo: 'file',
	},
	'barbican.exportImageKey': {
		describe: (args, show) => `Write the plaintext of the key of image ${show(args.imageId)} (its cinder_encryption_key_id) to ${args.path} (mode 0600)`,
		perform: exportImageKey,
		exportCli({step, args}) {
			const variable = variableFor({$ref: step.id, output: 'secretId'});
			return [
				'# The image\'s own key: Cinder cloned the volume\'s key for it (image property cinder_encryption_key_id).',
				`${variable}="$(openstack image show -f json ${word(args.imageId)} | { grep -o '"cinder_encryption_key_id": *"[^"]*"' || true; } | head -n 1 | cut -d '"' -f 4)"`,
				`[ -n "$${variable}" ] || { echo 'the image has no key (cinder_encryption_key_id)' >&2; exit 1; }`,
				'# PLAINTEXT key: umask 077 makes the file readable by you only from the moment it exists.',
				`(umask 077 && openstack secret get --file ${word(args.path)} --payload_content_type application/octet-stream "$${variable}")`,
			];
		},
		outputs: () => ['path', 'secretId'],
		minimumDanger: create,
		undo: 'file',
	},
};

export const barbicanRemovers: {secret: Remover} = {
	async secret(session, resource) {
		await ignoreMissing(async () => need(session.barbican, 'Barbican').deleteSecret(resource.id));
		return undefined;
	},
};
