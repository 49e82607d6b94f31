/*
What a bundle's manifest records of the cloud's resources: an image's Glance block and a key's attributes, the same for
an image the user named and for the temporary image a volume is uploaded to.
*/
import type {Image, Secret} from '../../openstack/types.js';
import {intentKey} from '../plans/intents.js';
import type {BundleGlance, BundleSecretAttributes} from './manifest.js';

const keyProperties = new Set(['cinder_encryption_key_id', 'cinder_encryption_key_deletion_policy', 'os_encrypt_key_id', 'os_encrypt_key_deletion_policy']);

/**
Bookkeeping of an upload, not of the image: Glance's import state (`os_glance_*`), what openstacksdk records about the
file it uploaded (`owner_specified.openstack.*`, set again by whichever client uploads the restore), and backstack's own
mark of the step that made the image (intents.ts).
*/
const bookkeeping = ['os_glance_', 'owner_specified.openstack.'];

/**
The properties a restore needs (hw_*, os_*, architecture…): the image's extra properties without upload bookkeeping and
without the key reference, which the manifest keeps under `encryption`.
*/
function keptProperties(image: Image): Record<string, string> {
	return Object.fromEntries(Object.entries(image.properties)
		.filter(([key]) => bookkeeping.every(prefix => !key.startsWith(prefix)) && !keyProperties.has(key) && key !== intentKey));
}

function count(value: unknown): number | undefined {
	return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

export function glanceOfImage(image: Image): BundleGlance {
	const minDisk = count(image.raw['min_disk']);
	const minRam = count(image.raw['min_ram']);
	return {
		diskFormat: image.diskFormat ?? 'raw',
		containerFormat: image.containerFormat ?? 'bare',
		...(image.checksum !== undefined && {checksum: image.checksum.toLowerCase()}),
		...(image.hashAlgo !== undefined && image.hashValue !== undefined && {hashAlgo: image.hashAlgo, hashValue: image.hashValue.toLowerCase()}),
		...(minDisk !== undefined && {minDisk}),
		...(minRam !== undefined && {minRam}),
		visibility: image.visibility,
		protected: image.protected,
		properties: keptProperties(image),
	};
}

export function secretAttributes(secret: Secret): BundleSecretAttributes {
	return {
		secretType: secret.secretType,
		...(secret.algorithm !== undefined && secret.algorithm !== '' && {algorithm: secret.algorithm}),
		...(secret.bitLength !== undefined && {bitLength: secret.bitLength}),
		...(secret.mode !== undefined && secret.mode !== '' && {mode: secret.mode}),
	};
}

/**
`aes, 256 bit, mode xts`: a secret's attributes in a sentence.
*/
export function attributeText(secret: BundleSecretAttributes): string {
	return [
		secret.secretType,
		secret.algorithm,
		secret.bitLength === undefined ? undefined : `${secret.bitLength} bit`,
		secret.mode === undefined || secret.mode === '' ? undefined : `mode ${secret.mode}`,
	].filter(value => value !== undefined && value !== '').join(', ');
}
