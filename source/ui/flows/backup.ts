/*
The guided backups (1-7): a Cinder backup, a volume or server copied into an image, an image downloaded, a key exported,
protect-now for the marked volumes, a DR bundle. Pure.
*/
import type {
	Backup,
	Image,
	Secret,
	Server,
	Volume,
} from '../../core/types.js';
import type {BackupRequest} from '../../core/plans/commands.js';
import {displayName} from '../sanitize.js';
import {
	backupModes,
	diskFormats,
	optional,
	positive,
	safeFileName,
} from './common.js';
import type {Flow, FlowResult} from './types.js';

/**
Backup 1: a Cinder backup of the volume (force for an in-use volume is core's default; the preview says crash-consistent).
*/
export function volumeBackup(volume: Volume, version?: string): Flow {
	return {
		title: `Back up volume ${displayName(volume)}`,
		fields: [
			{
				kind: 'choice', id: 'mode', label: 'Kind', options: backupModes, hint: 'Incremental needs an available full backup; automatic picks.',
			},
			{
				kind: 'text', id: 'name', label: 'Backup name', hint: 'Empty: <volume>-full|incr-<time>.',
			},
		],
		request: values => ({
			type: 'backup',
			request: {
				kind: 'volume', volumeId: volume.id, name: optional(values['name']), incremental: values['mode'] === 'full' ? false : 'auto', version,
			},
		}),
	};
}

/**
Backup 2: the volume copied into an image (an in-use volume takes core's snapshot detour).
*/
export function volumeToImage(volume: Volume): Flow {
	return {
		title: `Copy volume ${displayName(volume)} into an image`,
		fields: [
			{
				kind: 'text', id: 'imageName', label: 'Image name', isRequired: true, initial: `${displayName(volume)}-image`,
			},
			{
				kind: 'choice', id: 'diskFormat', label: 'Disk format', options: volume.encrypted ? [{value: 'raw', label: 'raw (encrypted volume)'}] : diskFormats.slice(0, 2),
			},
		],
		request: values => ({
			type: 'backup',
			request: {
				kind: 'volume-image', volumeId: volume.id, imageName: values['imageName']?.trim() ?? '', diskFormat: optional(values['diskFormat']),
			},
		}),
	};
}

/**
Backup 3: the server's ephemeral disk into an image.
*/
export function serverImage(server: Server): Flow {
	return {
		title: `Image of server ${displayName(server)}`,
		fields: [{
			kind: 'text', id: 'imageName', label: 'Image name', isRequired: true, initial: `${displayName(server)}-image`,
		}],
		request: values => ({type: 'backup', request: {kind: 'server', serverId: server.id, imageName: values['imageName']?.trim() ?? ''}}),
	};
}

/**
Backup 4: an image downloaded to a file in the current directory by default (resumable; core verifies the checksum).
*/
export function imageDownload(image: Image): Flow {
	return {
		title: `Download image ${displayName(image)} to a file`,
		fields: [{
			kind: 'text', id: 'path', label: 'File', isRequired: true, initial: `./${safeFileName(displayName(image))}.${safeFileName(image.diskFormat ?? 'raw')}`,
		}],
		request: values => ({type: 'backup', request: {kind: 'image-download', imageId: image.id, path: values['path']?.trim() ?? ''}}),
	};
}

/**
Backup 7: an off-cloud DR bundle of an image, a volume or a server in a new (or empty) directory: its data, its key when
it is encrypted, and manifest.json last (core/plans/bundle.ts; a volume goes through a temporary image, removed
afterwards; a server is its disk's image and each attached volume). `backstack verify bundle DIR` checks it offline.
*/
export function bundle(holder: {kind: 'image'; resource: Image} | {kind: 'volume'; resource: Volume} | {kind: 'server'; resource: Server}, version?: string): Flow {
	const {kind, resource} = holder;
	// A server's attached volumes may be encrypted: the form cannot tell from the server, so it says it may be.
	const encryption = {image: () => (resource as Image).cinderEncryptionKeyId !== undefined, volume: () => (resource as Volume).encrypted, server: () => undefined};
	const isEncrypted = encryption[kind]();
	return {
		title: `DR bundle of ${kind} ${displayName(resource)}`,
		fields: [{
			kind: 'text',
			id: 'directory',
			label: 'Directory',
			isRequired: true,
			initial: `./${safeFileName(displayName(resource))}-bundle`,
			hint: {
				true: 'New or empty; made 0700. The key goes into it in PLAINTEXT (0600): keep the bundle offline.',
				false: 'New or empty; made 0700. Check it later, with no cloud: backstack verify bundle DIR.',
				undefined: 'New or empty; made 0700. Keys of encrypted volumes go into it in PLAINTEXT (0600): keep it offline.',
			}[String(isEncrypted) as 'true' | 'false' | 'undefined'],
		}],
		request(values) {
			const directory = values['directory']?.trim() ?? '';
			return {
				type: 'backup',
				request: bundleRequest(kind, resource.id, directory, version),
			};
		},
	};
}

function bundleRequest(kind: 'image' | 'volume' | 'server', id: string, directory: string, version: string | undefined): BackupRequest {
	if (kind === 'image') {
		return {
			kind: 'bundle', imageId: id, directory, version,
		};
	}

	return kind === 'volume'
		? {
			kind: 'volume-bundle', volumeId: id, directory, version,
		}
		: {
			kind: 'server-bundle', serverId: id, directory, version,
		};
}

type KeyHolder = {kind: 'volume'; resource: Volume} | {kind: 'backup'; resource: Backup} | {kind: 'image'; resource: Image} | {kind: 'secret'; resource: Secret};

/**
Backup 5: the key of an encrypted volume, backup or image, or a secret itself, written to a 0600 file.
*/
export function keyExport(holder: KeyHolder): FlowResult {
	const {kind, resource} = holder;
	const isEncrypted = {
		volume: () => (resource as Volume).encrypted,
		backup: () => (resource as Backup).encryptionKeyId !== undefined,
		image: () => (resource as Image).cinderEncryptionKeyId !== undefined,
		secret: () => true,
	}[kind]();
	if (!isEncrypted) {
		return `${kind} ${displayName(resource)} is not encrypted: it has no key to export`;
	}

	return {
		title: kind === 'secret' ? `Export secret ${displayName(resource)} to a file` : `Export the key of ${kind} ${displayName(resource)} to a file`,
		fields: [
			{
				kind: 'text', id: 'path', label: 'File', isRequired: true, initial: `./${safeFileName(displayName(resource))}.key`, hint: 'Created with mode 0600; it must not exist yet.',
			},
			{
				kind: 'choice', id: 'hex', label: 'Also the hex form', options: [{value: 'no', label: 'no'}, {value: 'yes', label: 'yes (<file>.hex, the LUKS passphrase)'}],
			},
		],
		request: values => ({
			type: 'backup',
			request: {
				kind: 'secret', from: {kind, id: resource.id}, path: values['path']?.trim() ?? '', hex: values['hex'] === 'yes',
			},
		}),
	};
}

/**
Backup 6: protect-now for the marked volumes, a few at a time.
*/
export function protectNow(volumes: Volume[], version?: string): FlowResult {
	if (volumes.length === 0) {
		return 'mark volumes first (Space on a volume in the Volumes or Audit view), then P';
	}

	return {
		title: `Protect now: back up ${volumes.length} marked volume${volumes.length === 1 ? '' : 's'} (${volumes.map(volume => displayName(volume)).join(', ')})`,
		fields: [
			{
				kind: 'text', id: 'concurrency', label: 'How many at once', isRequired: true, isNumber: true, initial: '2',
			},
			{
				kind: 'choice', id: 'mode', label: 'Kind', options: backupModes,
			},
		],
		request: values => ({
			type: 'backup',
			request: {
				kind: 'protect', volumeIds: volumes.map(volume => volume.id), concurrency: positive(values['concurrency']), incremental: values['mode'] === 'full' ? false : 'auto', version,
			},
		}),
	};
}
