/*
The guided restores (1-7), built from the selected resource and the inventory: only candidates that could work are
offered, and the defaults are editable. Pure, but for the bundle directory's check, which looks at the directory.
*/
import path from 'node:path';
import {bundleDirectoryProblem} from '../../core/bundle/verify.js';
import {backupMetaSourceTypeId, backupMetaSourceTypeName, type Inventory} from '../../core/model.js';
import type {
	Backup,
	Image,
	Secret,
	Volume,
} from '../../core/types.js';
import {displayName, sanitize} from '../sanitize.js';
import {
	diskFormats,
	optional,
	positive,
	safeFileName,
} from './common.js';
import type {Flow, FlowResult} from './types.js';

/**
Restore 1/2: a backup into a new volume (core picks the encrypted type or asks).
*/
export function restoreToNewVolume(backup: Backup): Flow {
	return {
		title: `Restore backup ${displayName(backup)} into a new volume`,
		request: values => ({type: 'restore', request: {kind: 'backup', backupId: backup.id, volumeType: optional(values['volumeType'])}}),
	};
}

/**
The volume type an encrypted backup must go back into, where it is known: backstack's metadata, else the source volume's.
*/
function encryptedSourceType(inventory: Inventory, backup: Backup): {id?: string; name?: string} | undefined {
	if (backup.encryptionKeyId === undefined) {
		return undefined;
	}

	const id = backup.metadata[backupMetaSourceTypeId];
	const name = backup.metadata[backupMetaSourceTypeName];
	if (id !== undefined || name !== undefined) {
		return {id, name};
	}

	const source = inventory.volumes.find(volume => volume.id === backup.volumeId);
	return source === undefined ? undefined : {id: source.volumeTypeId, name: source.volumeType};
}

/**
Volumes a backup could be restored onto: available (not in use, not busy), at least as large, and for an encrypted backup
of a known source type, of that type (core checks size and type again before anything changes).
*/
export function targetVolumes(inventory: Inventory, backup: Backup): Volume[] {
	const type = encryptedSourceType(inventory, backup);
	const isOfType = (volume: Volume) => type === undefined
		|| (type.id !== undefined && volume.volumeTypeId === type.id)
		|| (type.name !== undefined && volume.volumeType === type.name);
	return inventory.volumes
		.filter(volume => volume.status === 'available' && volume.size >= backup.size && isOfType(volume))
		.toSorted((a, b) => displayName(a).localeCompare(displayName(b)));
}

/**
Restore 3 from a backup: pick the volume to overwrite; the preview then asks for its name, typed.
*/
export function restoreOntoFromBackup(inventory: Inventory, backup: Backup): FlowResult {
	if (backup.status !== 'available') {
		return `backup ${displayName(backup)} is ${sanitize(backup.status)}: only an available backup can be restored`;
	}

	const candidates = targetVolumes(inventory, backup);
	if (candidates.length === 0) {
		const type = encryptedSourceType(inventory, backup);
		const ofType = type === undefined ? '' : ` of type ${sanitize(type.name ?? type.id ?? '')}`;
		return `no available volume${ofType} of at least ${backup.size} GiB to restore ${displayName(backup)} onto`;
	}

	return {
		title: `Restore backup ${displayName(backup)} onto an existing volume (its data is replaced)`,
		pick: {
			field: 'volumeId',
			question: `Which volume gets the data of ${displayName(backup)} (${backup.size} GiB)? Only available volumes of at least that size are listed.`,
			options: candidates.map(volume => ({
				value: volume.id,
				label: `${displayName(volume)}  ${volume.size} GiB  type ${sanitize(volume.volumeType ?? 'default')}${volume.encrypted ? '  encrypted' : ''}`,
			})),
		},
		request: values => ({type: 'restore', request: {kind: 'onto', backupId: backup.id, volumeId: values['volumeId'] ?? ''}}),
	};
}

/**
Restore 3 from a volume: pick one of the backups that fit (its own first, newest first).
*/
export function restoreOntoFromVolume(inventory: Inventory, volume: Volume): FlowResult {
	if (volume.status !== 'available') {
		return `volume ${displayName(volume)} is ${sanitize(volume.status)}: only an available volume (detached, not busy) can be restored onto`;
	}

	const candidates = inventory.backups
		.filter(backup => backup.status === 'available' && backup.size <= volume.size && targetVolumes(inventory, backup).includes(volume))
		.toSorted((a, b) => {
			const own = Number(b.volumeId === volume.id) - Number(a.volumeId === volume.id);
			return own === 0 ? (b.createdAt ?? '').localeCompare(a.createdAt ?? '') : own;
		});
	if (candidates.length === 0) {
		return `no available backup of at most ${volume.size} GiB to restore onto ${displayName(volume)}`;
	}

	const volumeNames = new Map(inventory.volumes.map(item => [item.id, displayName(item)]));
	return {
		title: `Restore a backup onto volume ${displayName(volume)} (its data is replaced)`,
		pick: {
			field: 'backupId',
			question: `Which backup goes onto ${displayName(volume)} (${volume.size} GiB)? Its own backups first, newest first.`,
			options: candidates.map(backup => ({
				value: backup.id,
				label: [
					displayName(backup),
					`of ${volumeNames.get(backup.volumeId) ?? 'a deleted volume'}`,
					`${backup.size} GiB`,
					backup.isIncremental ? 'incr' : 'full',
					(backup.createdAt ?? '').slice(0, 16),
				].join('  '),
			})),
		},
		request: values => ({type: 'restore', request: {kind: 'onto', backupId: values['backupId'] ?? '', volumeId: volume.id}}),
	};
}

/**
Restore 4: a new volume from an image (core asks for an encrypted type when the image carries a key).
*/
export function volumeFromImage(image: Image): Flow {
	return {
		title: `New volume from image ${displayName(image)}`,
		request: values => ({type: 'restore', request: {kind: 'volume-from-image', imageId: image.id, volumeType: optional(values['volumeType'])}}),
	};
}

const containerFormats = ['bare', 'ovf', 'ova'].map(value => ({value, label: value}));

/**
Restore 5: a new image from a file (and its key, for an image of an encrypted volume).
*/
export function imageFromFile(): Flow {
	return {
		title: 'New image from a file',
		fields: [
			{
				kind: 'text', id: 'path', label: 'Image file', isRequired: true, hint: 'Path of the image file (as downloaded with d).',
			},
			{
				kind: 'text', id: 'name', label: 'Image name', isRequired: true,
			},
			{
				kind: 'choice', id: 'diskFormat', label: 'Disk format', options: diskFormats,
			},
			{
				kind: 'choice', id: 'containerFormat', label: 'Container format', options: containerFormats,
			},
			{
				kind: 'text', id: 'keyFile', label: 'Key file', hint: 'For an image of an encrypted volume: its exported key; stored as a new secret for the image.',
			},
		],
		request: values => ({
			type: 'restore',
			request: {
				kind: 'image',
				path: values['path']?.trim() ?? '',
				name: values['name']?.trim() ?? '',
				diskFormat: optional(values['diskFormat']),
				containerFormat: optional(values['containerFormat']),
				keyFile: optional(values['keyFile']),
			},
		}),
	};
}

const secretTypes = ['symmetric', 'opaque', 'passphrase', 'private', 'public', 'certificate'].map(value => ({value, label: value}));

/**
Restore 6: a secret from a file; with a secret selected, its attributes are the defaults and its ID the old one.
*/
export function secretFromFile(inventory: Inventory | undefined, secret?: Secret): Flow {
	const name = secret === undefined ? undefined : sanitize(secret.name ?? '');
	return {
		title: secret === undefined ? 'New secret from a key file' : `Store secret ${displayName(secret)} again from a key file (it gets a new ID)`,
		inventory,
		fields: [
			{
				kind: 'text', id: 'path', label: 'Key file', isRequired: true, initial: secret === undefined ? '' : `./${safeFileName(displayName(secret))}.key`,
			},
			{
				kind: 'text', id: 'name', label: 'Secret name', initial: name,
			},
			{
				kind: 'text', id: 'algorithm', label: 'Algorithm', initial: secret?.algorithm ?? 'aes',
			},
			{
				kind: 'text', id: 'bitLength', label: 'Bit length', isNumber: true, initial: String(secret?.bitLength ?? 256),
			},
			{
				kind: 'text', id: 'mode', label: 'Mode', initial: secret?.mode ?? '',
			},
			{
				kind: 'choice', id: 'secretType', label: 'Secret type', options: secretTypes, initial: secret?.secretType ?? 'symmetric',
			},
		],
		request: values => ({
			type: 'restore',
			request: {
				kind: 'secret',
				path: values['path']?.trim() ?? '',
				name: optional(values['name']),
				algorithm: optional(values['algorithm']),
				bitLength: positive(values['bitLength']),
				mode: optional(values['mode']),
				secretType: optional(values['secretType']),
				oldSecretId: secret?.id,
				inventory,
			},
		}),
	};
}

/**
Restore 7: a DR bundle (backup bundle, X) back into this project: core verifies it first, stores each key as a new
secret, uploads each image, makes each volume of a type with the recorded encryption (or asks which), as
`backstack restore bundle DIR [--volume-type T]`. A directory that is no bundle keeps the form open, saying why.
*/
export function bundleRestore(): Flow {
	return {
		title: 'Restore a DR bundle into this project (every resource gets a new ID)',
		fields: [
			{
				kind: 'text',
				id: 'directory',
				label: 'Bundle directory',
				isRequired: true,
				hint: 'As written by X or backup bundle; verified (checksums, key) before anything is changed.',
			},
			{
				kind: 'text',
				id: 'volumeType',
				label: 'Volume type',
				hint: 'For an encrypted volume in the bundle: the type to make it in. Empty: the type with its encryption spec, else you are asked.',
			},
		],
		check(values) {
			const directory = values['directory']?.trim() ?? '';
			// Relative to where backstack was started, as core resolves it.
			return directory === '' ? undefined : bundleDirectoryProblem(path.resolve(directory));
		},
		request: values => ({
			type: 'restore',
			request: {kind: 'bundle', directory: values['directory']?.trim() ?? '', volumeType: optional(values['volumeType'])},
		}),
	};
}
