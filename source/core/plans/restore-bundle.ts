/*
`backstack restore bundle DIR` (issue 13): a DR bundle (core/bundle) back into the current cloud and project, which may
be another cloud (--os-cloud) or project (--project) than the one it was written from.

The bundle is verified first (verify.ts: schema, sizes, SHA-256 and Glance's checksums, the key file's mode and size,
and with cryptsetup that the key opens the data's LUKS header); a bundle that is not sound is refused with its defects.
Then, per item:

- a key (an item with `encryption`) is stored as a NEW Barbican secret with the manifest's attributes (the payload is
  read from the 0600 key file when the step runs: it is never in the plan, the journal or a log);
- an image item becomes an image with the manifest's formats, min disk/RAM and properties, `cinder_encryption_key_id`
  pointing at the new secret (and `cinder_encryption_key_deletion_policy` as recorded); Glance's size, md5 and os_hash
  of the upload are then compared with the manifest's;
- a volume item is uploaded as a TEMPORARY image the same way (its key with `on_image_deletion`, so that Glance removes
  it with the image), checked the same way, and a volume of the manifest's size and metadata is created from it with a
  type whose encryption spec matches the manifest's: `--volume-type` (refused when its spec, where readable, differs,
  or when it is known to be unencrypted), else a type found by its spec where the user may read specs (admin; the same
  name first; none matching: refused), else, for a user who cannot read specs, a question among the types seen
  encrypted in the project (none seen: refused, asking for --volume-type). An encrypted item never silently becomes an
  unencrypted volume: the last step checks that the volume is encrypted with a key of its own (Cinder clones the
  image's key for it) and fails, naming the volume, if not. The temporary image and its key are removed at the end,
  whatever happens;
- a server item: only its data is restored (its disk image, as an image; its attached volumes are volume items of their
  own). The server itself (flavor, metadata, user data, key pair, attachments) is not rebuilt yet, which the preview says.

Nothing is kept of the source IDs: every restored resource has a new ID (the plan's results map the manifest's item IDs
to them).
*/
import {readFile} from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import type {CloudSession} from '../../openstack/api.js';
import type {EncryptionSpec, Volume, VolumeType} from '../../openstack/types.js';
import {findCryptsetup} from '../bundle/luks.js';
import {
	hasData,
	manifestFileName,
	parseManifest,
	type BundleDataItem,
	type BundleEncryption,
	type BundleEncryptionSpec,
	type BundleGlance,
	type BundleItem,
	type BundleManifest,
	type BundleVolumeItem,
} from '../bundle/manifest.js';
import {verifyBundle} from '../bundle/verify.js';
import {displayName} from '../text.js';
import {
	encryptedTypes,
	hour,
	imageFailOn,
	label,
	makePlan,
	planned,
	refuse,
	typeQuestion,
	usableBarbican,
	volumeFailOn,
} from './common.js';
import {httpStatusOf} from './errors.js';
import {ref} from './refs.js';
import type {
	Check,
	PlanResult,
	Ref,
	Step,
	Value,
} from './types.js';

export type BundleRestoreRequest = {
	directory: string;
	/**
	The type for the bundle's volume items (name or ID); default: one whose encryption spec matches the manifest's.
	*/
	volumeType?: string;
	/**
	The cryptsetup binary for the key check of verify; default: looked up on PATH and in /usr/sbin, /sbin.
	*/
	cryptsetup?: string;
};

const gib = 1024 ** 3;

/**
The key reference a restore writes itself (both names: Zed's and the 2024.2 image encryption specs').
*/
const keyReferences = new Set(['cinder_encryption_key_id', 'cinder_encryption_key_deletion_policy', 'os_encrypt_key_id', 'os_encrypt_key_deletion_policy']);

/**
Cinder (Zed) copies `signature_verified` into a volume made from an image and fails the volume when the image already
has it (restore.ts, signatureStep); an image Cinder uploaded from a volume that came from an image carries it.
*/
const cinderOwnKey = 'signature_verified';

function itemLabel(item: BundleItem): string {
	return `${item.kind} ${label(item)}`;
}

/**
The provider as a short name: Cinder accepts `luks` and `plain` as well as the encryptor class paths they stand for.
*/
function providerOf(provider: string): string {
	const last = provider.split('.').at(-1)!.toLowerCase().replace(/encryptor$/v, '');
	return last === 'cryptsetup' ? 'plain' : last;
}

/**
How a type's encryption spec differs from the manifest's (only the fields the manifest records), one phrase each.
*/
export function specDifferences(wanted: BundleEncryptionSpec, actual: EncryptionSpec): string[] {
	return [
		providerOf(wanted.provider) === providerOf(actual.provider ?? '') ? undefined : `provider ${actual.provider ?? 'none'}, not ${wanted.provider}`,
		wanted.cipher === undefined || wanted.cipher === actual.cipher ? undefined : `cipher ${actual.cipher ?? 'none'}, not ${wanted.cipher}`,
		wanted.keySize === undefined || wanted.keySize === actual.keySize ? undefined : `key size ${actual.keySize ?? 'none'}, not ${wanted.keySize}`,
		wanted.controlLocation === undefined || actual.controlLocation === undefined || wanted.controlLocation === actual.controlLocation
			? undefined
			: `control location ${actual.controlLocation}, not ${wanted.controlLocation}`,
	].filter(difference => difference !== undefined);
}

function specText(spec: BundleEncryptionSpec): string {
	return [spec.provider, spec.cipher, spec.keySize === undefined ? undefined : `${spec.keySize} bit`, spec.controlLocation].filter(value => value !== undefined).join(', ');
}

type SpecReading = {readable: true; spec: EncryptionSpec | undefined} | {readable: false; reason: string};

/**
A type's encryption spec, where this user may read it (`GET /types/{id}/encryption` is admin-only by default).
*/
async function readSpec(session: CloudSession, type: VolumeType, signal?: AbortSignal): Promise<SpecReading> {
	try {
		return {readable: true, spec: await session.cinder!.getVolumeTypeEncryption(type.id, {signal})};
	} catch (error) {
		const status = httpStatusOf(error);
		if (status === 403 || status === 404) {
			return {readable: false, reason: `Cinder does not show type encryption specs to you (HTTP ${status}; by default only to admins)`};
		}

		throw error;
	}
}

/**
Evidence that a type is unencrypted without its spec: a volume of this project of that type that is not encrypted.
*/
async function unencryptedVolumeOf(session: CloudSession, type: VolumeType, signal?: AbortSignal): Promise<Volume | undefined> {
	for await (const volume of session.cinder!.listVolumes({signal})) {
		if (!volume.encrypted && (volume.volumeTypeId === type.id || (volume.volumeTypeId === undefined && volume.volumeType === type.name))) {
			return volume;
		}
	}

	return undefined;
}

/**
The type for a volume item, why there is none, or the question for the user (the encrypted types seen in the project).
*/
type TypeChoice = {type?: VolumeType; notes: string[]} | {refusal: string} | {question: PlanResult};

type TypeInput = {
	session: CloudSession;
	item: BundleVolumeItem;
	types: VolumeType[];
	requested: string | undefined;
	signal?: AbortSignal;
};

async function chooseRequestedType(input: TypeInput & {requested: string}): Promise<TypeChoice> {
	const {
		session, item, types, requested, signal,
	} = input;
	const recorded = item.volume.volumeType;
	const isEncrypted = item.encryption !== undefined;
	const type = types.find(candidate => candidate.id === requested || candidate.name === requested);
	if (!type) {
		return {refusal: `Volume type ${requested} does not exist here (or is not visible to this project).`};
	}

	const reading = await readSpec(session, type, signal);
	if (reading.readable) {
		if (isEncrypted && reading.spec === undefined) {
			return {
				refusal: `Volume type ${type.name} is not encrypted, and ${itemLabel(item)} holds a LUKS-encrypted volume (type ${recorded.name}`
					+ `${recorded.encryption === undefined ? '' : `: ${specText(recorded.encryption)}`}): a volume of ${type.name} would hold the encrypted bytes `
					+ 'unreadable. Name an encrypted type with --volume-type.',
			};
		}

		const differences = isEncrypted && recorded.encryption !== undefined && reading.spec !== undefined ? specDifferences(recorded.encryption, reading.spec) : [];
		if (differences.length > 0) {
			return {refusal: `Volume type ${type.name} does not match the encryption of ${itemLabel(item)}: it has ${differences.join(', ')}. Name a type with ${specText(recorded.encryption!)}.`};
		}

		return {
			type,
			notes: isEncrypted
				? [`${itemLabel(item)}: type ${type.name} (your --volume-type) has the recorded encryption spec (${specText(recorded.encryption ?? {provider: reading.spec!.provider ?? '?'})}).`]
				: (reading.spec === undefined ? [] : [`${itemLabel(item)} was not encrypted; type ${type.name} is, so the new volume is encrypted with a new key.`]),
		};
	}

	if (isEncrypted) {
		const plain = await unencryptedVolumeOf(session, type, signal);
		if (plain) {
			return {
				refusal: `Volume type ${type.name} is not encrypted (volume ${label(plain)} of this project has it and is not encrypted), `
					+ `and ${itemLabel(item)} holds a LUKS-encrypted volume. Name an encrypted type with --volume-type.`,
			};
		}

		return {
			type,
			notes: [`${itemLabel(item)}: the encryption spec of ${type.name} (your --volume-type) cannot be compared with the recorded one `
				+ `(${recorded.encryption === undefined ? 'encrypted' : specText(recorded.encryption)}): `
				+ `${reading.reason}. The last step fails, naming the volume, if the new volume is not encrypted.`],
		};
	}

	return {type, notes: []};
}

/**
The type of a volume item's new volume (undefined: the project's default type), or why there is none.
*/
async function chooseType(input: TypeInput): Promise<TypeChoice> {
	const {
		session, item, types, requested, signal,
	} = input;
	if (requested !== undefined) {
		return chooseRequestedType({...input, requested});
	}

	const recorded = item.volume.volumeType;
	const sameName = types.find(type => type.name === recorded.name);
	if (item.encryption === undefined) {
		return sameName
			? {type: sameName, notes: []}
			: {notes: [`${itemLabel(item)}: there is no volume type ${recorded.name} here; the volume gets the project's default type.`]};
	}

	const specs: Array<{type: VolumeType; spec: EncryptionSpec | undefined}> = [];
	let unreadable: string | undefined;
	for (const type of sameName ? [sameName, ...types.filter(candidate => candidate !== sameName)] : types) {
		// eslint-disable-next-line no-await-in-loop
		const reading = await readSpec(session, type, signal);
		if (!reading.readable) {
			unreadable = reading.reason;
			break;
		}

		specs.push({type, spec: reading.spec});
	}

	if (unreadable !== undefined) {
		const what = `${itemLabel(item)} holds a LUKS-encrypted volume (type ${recorded.name}${recorded.encryption === undefined ? '' : `: ${specText(recorded.encryption)}`}), `
			+ `and backstack cannot tell which type here has that encryption: ${unreadable}.`;
		const known = await encryptedTypes(session, signal);
		// Asked, as for an encrypted backup of an unknown type: only types seen encrypted in this project are offered.
		return known.length > 0
			? {question: typeQuestion(known, `${what} Which encrypted volume type should it be restored into? A type without that encryption would leave the volume unreadable.`)}
			: {refusal: `${what} Name the encrypted volume type to restore it into with --volume-type T; a type without encryption would leave the volume unreadable.`};
	}

	const wanted = recorded.encryption;
	const matching = specs.find(({spec}) => spec !== undefined && wanted !== undefined && specDifferences(wanted, spec).length === 0);
	const found = matching ?? (wanted === undefined && sameName && specs.find(({type}) => type === sameName)?.spec !== undefined ? {type: sameName} : undefined);
	if (!found) {
		return {
			refusal: `${itemLabel(item)} holds a LUKS-encrypted volume, and no volume type here has `
				+ `${wanted === undefined ? `its type's name (${recorded.name}) and encryption` : `its encryption spec (${specText(wanted)})`}. `
				+ 'Ask the cloud\'s operator for such a type, or name one with --volume-type.',
		};
	}

	const how = found.type.name === recorded.name ? ' and name' : ` (the bundle's type was ${recorded.name})`;
	return {type: found.type, notes: [`${itemLabel(item)}: type ${found.type.name} has the recorded encryption spec${how}.`]};
}

type Built = {steps: Step[]; results: Record<string, Ref>; warnings: string[]};

type ItemInput = {
	directory: string;
	item: BundleDataItem;
	prefix: string;
	name: string;
	temporary: boolean;
};

/**
The step that stores an item's key as a new secret, and the image properties that point at it.
*/
function keyStep({
	directory, item, prefix, name, temporary,
}: ItemInput, encryption: BundleEncryption): {step: Step; properties: Record<string, Value<string>>} {
	const keyPath = path.join(directory, encryption.keyFile);
	const {secret} = encryption;
	const secretId = ref(`${prefix}key`, 'secretId');
	const policy = temporary ? 'on_image_deletion' : encryption.keyDeletionPolicy;
	const withPolicy = (idKey: string, policyKey: string) => ({[idKey]: secretId, ...(policy !== undefined && {[policyKey]: policy})});
	return {
		step: {
			id: `${prefix}key`,
			title: `Store the key of ${itemLabel(item)} (${encryption.keyFile}) as a new Barbican secret`,
			danger: 'create',
			checks: [{kind: 'file-readable', path: keyPath}],
			action: {
				op: 'barbican.storeSecret',
				args: {
					path: keyPath,
					name: `${name}-key`,
					secretType: secret.secretType,
					algorithm: secret.algorithm,
					bitLength: secret.bitLength ?? (encryption.keySize * 8),
					mode: secret.mode,
				},
			},
			creates: {
				kind: 'secret', output: 'secretId', name: `${name}-key`, temporary,
			},
			note: temporary
				? 'Only for the temporary image: Cinder clones it for the new volume; it goes with the image (on_image_deletion).'
				: `A NEW ID (the bundle's was ${encryption.sourceSecretId}); the image is pointed at it.`,
		},
		properties: {
			...withPolicy('cinder_encryption_key_id', 'cinder_encryption_key_deletion_policy'),
			// The source cloud used the newer names (2024.2 specs): the reference goes under them too.
			...(Object.hasOwn(item.glance.properties, 'os_encrypt_key_id') && withPolicy('os_encrypt_key_id', 'os_encrypt_key_deletion_policy')),
		},
	};
}

function imageWarnings(item: BundleItem & {glance: BundleGlance}): string[] {
	const {glance} = item;
	return [
		...(glance.visibility === 'public' || glance.visibility === 'community'
			? [`${itemLabel(item)} was ${glance.visibility}; it is restored as this project's own image `
				+ `(make it ${glance.visibility} with openstack image set --${glance.visibility}, if you may).`]
			: []),
		...(glance.protected ? [`${itemLabel(item)} was protected; the restored image is not (openstack image set --protected, once you checked it).`] : []),
	];
}

/**
The key, image, upload and check steps of one item's data; `temporary` for a volume item's image (and its key).
*/
function imageSteps({
	directory, item, prefix, name, temporary,
}: ItemInput): Built & {imageId: Ref} {
	const steps: Step[] = [];
	const {glance, data, encryption} = item;
	const dataPath = path.join(directory, data.file);
	const properties: Record<string, Value<string>> = Object.fromEntries(Object.entries(glance.properties)
		.filter(([key]) => !keyReferences.has(key) && !(temporary && key === cinderOwnKey)));
	const results: Record<string, Ref> = {};
	if (encryption !== undefined) {
		const key = keyStep({
			directory, item, prefix, name, temporary,
		}, encryption);
		steps.push(key.step);
		Object.assign(properties, key.properties);
		if (!temporary) {
			results[`secret:${item.id}`] = ref(`${prefix}key`, 'secretId');
		}
	}

	const imageName = temporary ? `${name}-upload` : name;
	steps.push(
		{
			id: `${prefix}image`,
			title: `Create ${temporary ? 'the temporary ' : ''}image "${imageName}" (${glance.diskFormat}/${glance.containerFormat}) for ${itemLabel(item)}`,
			danger: 'create',
			checks: [{kind: 'file-readable', path: dataPath}],
			action: {
				op: 'glance.createImage',
				args: {
					name: imageName,
					diskFormat: glance.diskFormat,
					containerFormat: glance.containerFormat,
					...(glance.minDisk !== undefined && glance.minDisk > 0 && {minDisk: glance.minDisk}),
					...(glance.minRam !== undefined && glance.minRam > 0 && {minRam: glance.minRam}),
					properties,
				},
			},
			creates: {
				kind: 'image', output: 'imageId', name: imageName, temporary,
			},
			...(temporary && {note: 'Removed at the end of the plan, whatever happens: the volume is made from it.'}),
		},
		{
			id: `${prefix}upload`,
			title: `Upload ${dataPath} (${data.size} bytes)`,
			danger: 'create',
			checks: [],
			action: {op: 'glance.uploadImageData', args: {imageId: ref(`${prefix}image`, 'imageId'), path: dataPath}},
			wait: {
				resource: 'image', id: ref(`${prefix}image`, 'imageId'), until: ['active'], failOn: imageFailOn, timeoutMs: 6 * hour,
			},
		},
		{
			id: `${prefix}check-image`,
			title: `Check Glance's size and checksums of the upload against the manifest's for ${itemLabel(item)}`,
			danger: 'read',
			checks: [],
			action: {
				op: 'glance.verifyImageData',
				args: {
					imageId: ref(`${prefix}image`, 'imageId'),
					size: data.size,
					...(glance.checksum !== undefined && {checksum: glance.checksum}),
					...(glance.hashAlgo !== undefined && glance.hashValue !== undefined && {hashAlgo: glance.hashAlgo, hashValue: glance.hashValue}),
					sha256: data.sha256,
					label: `the bundle's ${data.file}`,
				},
			},
		},
	);
	if (!temporary) {
		results[`image:${item.id}`] = ref(`${prefix}image`, 'imageId');
	}

	return {
		steps, results, warnings: temporary ? [] : imageWarnings(item), imageId: ref(`${prefix}image`, 'imageId'),
	};
}

function volumeSteps(input: ItemInput & {item: BundleVolumeItem; type: VolumeType | undefined}): Built {
	const {item, prefix, name, type} = input;
	const image = imageSteps({...input, temporary: true});
	const {volume} = item;
	const needed = Math.max(1, Math.ceil(item.data.size / gib), item.glance.minDisk ?? 0);
	const size = Math.max(volume.size, needed);
	const warnings = [
		...image.warnings,
		...(volume.bootable ? [] : [`${itemLabel(item)} was not bootable; Cinder marks a volume made from an image bootable (openstack volume set --non-bootable, if it matters).`]),
	];

	const checks: Check[] = type === undefined ? [] : [{kind: 'volume-type-exists', volumeType: type.id}];
	const metadata = Object.keys(volume.metadata).length > 0 ? volume.metadata : undefined;
	const steps: Step[] = [
		...image.steps,
		{
			id: `${prefix}volume`,
			title: `Create volume "${name}" (${size} GiB, type ${type?.name ?? 'the default'}) from the temporary image`,
			danger: 'create',
			checks,
			action: {
				op: 'cinder.createVolume',
				args: {
					name,
					size,
					imageRef: image.imageId,
					...(type !== undefined && {volumeType: type.id}),
					...(volume.description !== undefined && volume.description !== '' && {description: volume.description}),
					...(metadata !== undefined && {metadata}),
				},
			},
			creates: {
				kind: 'volume', output: 'volumeId', name, temporary: false,
			},
			wait: {
				resource: 'volume', id: ref(`${prefix}volume`, 'volumeId'), until: ['available'], failOn: volumeFailOn, timeoutMs: 6 * hour,
			},
			note: item.encryption === undefined
				? `The bundle's metadata (${Object.keys(volume.metadata).length} keys) is set on it.`
				: 'Cinder clones the temporary image\'s key for the volume: the volume has a key of its own.',
		},
		{
			id: `${prefix}check-volume`,
			title: `Check volume "${name}": available, ${size} GiB${type === undefined ? '' : `, type ${type.name}`}${item.encryption === undefined ? '' : ', encrypted with a key of its own'}`,
			danger: 'read',
			checks: [],
			action: {
				op: 'cinder.verifyRestoredVolume',
				args: {
					volumeId: ref(`${prefix}volume`, 'volumeId'),
					minSize: size,
					...(type !== undefined && {volumeType: {id: type.id, name: type.name}}),
					encrypted: item.encryption !== undefined,
					sizeFrom: 'bundle',
				},
			},
		},
	];
	return {steps, results: {[`volume:${item.id}`]: ref(`${prefix}volume`, 'volumeId')}, warnings};
}

type ManifestRead = {manifest: BundleManifest} | {refusal: string};

async function readManifest(directory: string, cryptsetup: string | undefined, signal?: AbortSignal): Promise<ManifestRead & {notes?: string[]}> {
	const report = await verifyBundle(directory, {cryptsetup, signal});
	if (report.defects.length > 0) {
		return {refusal: `${directory} is not a sound bundle, so nothing of it is restored: ${report.defects.join(' ')}`};
	}

	const checked = await parseManifest(await readFile(path.join(directory, manifestFileName), 'utf8'));
	return 'defects' in checked ? {refusal: `${directory}: ${checked.defects.join(' ')}`} : {manifest: checked.manifest, notes: report.notes};
}

function nameOf(item: BundleItem): string {
	const name = displayName(item);
	return name === item.id ? `restored-${item.kind}-${item.id.slice(0, 8)}` : name;
}

function plural(count: number, word: string): string {
	return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/**
Why this cloud cannot take the bundle at all, before any item is looked at.
*/
function cloudRefusal(session: CloudSession, items: BundleItem[]): string | undefined {
	if (!session.glance) {
		return 'This cloud has no Glance (image) endpoint: a bundle is restored through image uploads.';
	}

	const volumes = items.filter((item): item is BundleVolumeItem => item.kind === 'volume');
	if (volumes.length > 0 && !session.cinder) {
		return `The bundle holds ${plural(volumes.length, 'volume')} and this cloud has no Cinder (block-storage) endpoint.`;
	}

	if (items.some(item => item.encryption !== undefined) && !usableBarbican(session)) {
		return 'The bundle holds encrypted data and Barbican cannot be reached on this cloud, so its keys cannot be stored.';
	}

	const noKey = volumes.find(item => item.encryption === undefined && item.volume.volumeType.encryption !== undefined);
	return noKey === undefined
		? undefined
		: `${itemLabel(noKey)} had the encrypted type ${noKey.volume.volumeType.name}, but the bundle holds no key for it: its data cannot be decrypted.`;
}

function sourceWarnings(session: CloudSession, manifest: BundleManifest, notes: string[]): string[] {
	const token = session.identity.token();
	const {source} = manifest;
	const isSameProject = source.project.id === token.projectId && source.cloud === session.cloudName;
	const keys = manifest.items.filter(item => item.encryption !== undefined && hasData(item)).length;
	return [
		`Bundle of project ${source.project.name === '' ? source.project.id : source.project.name} on cloud ${source.cloud}, written ${manifest.createdAt} by `
		+ `backstack ${manifest.backstackVersion}, restored into project ${token.projectName} of cloud ${session.cloudName}: every resource gets a NEW ID.`,
		...(isSameProject ? ['This is the project the bundle was written from: the restored resources are new ones, next to any originals still there.'] : []),
		// Without cryptsetup verify could not prove the keys against the LUKS headers: say so.
		...notes.filter(note => note.includes('NOT checked')),
		...(keys === 0
			? []
			: [`${plural(keys, 'key')} from the bundle's 0600 key files ${keys === 1 ? 'is' : 'are'} stored in Barbican as new secrets; `
				+ 'the payload is read when the step runs and is never shown or journalled.']),
	];
}

function serverWarning(items: BundleItem[]): string[] {
	const servers = items.filter(item => item.kind === 'server').map(({server, ...item}) => `${label(item)} (flavor ${server.flavor.name ?? server.flavor.id ?? '?'}, `
		+ `${plural(Object.keys(server.metadata).length, 'metadata key')}${server.userDataShown ? ', user data' : ''}, ${plural(server.volumes.length, 'attached volume')})`);
	return servers.length === 0
		? []
		: [`NOT restored yet: the server${servers.length === 1 ? '' : 's'} ${servers.join('; ')}. Only their data comes back (a disk image as image "<server>-disk", `
			+ 'attached volumes as volumes): boot a server from them by hand.'];
}

/**
`backstack restore bundle DIR`: every image and volume item of a sound bundle into this project (see the top).
*/
export async function planBundleRestore(session: CloudSession, request: BundleRestoreRequest, signal?: AbortSignal): Promise<PlanResult> {
	const directory = path.resolve(request.directory);
	const cryptsetup = request.cryptsetup ?? await findCryptsetup(process.env['PATH']);
	const read = await readManifest(directory, cryptsetup, signal);
	if ('refusal' in read) {
		return refuse(read.refusal);
	}

	const {manifest} = read;
	const {items} = manifest;
	const refusal = cloudRefusal(session, items);
	if (refusal !== undefined) {
		return refuse(refusal);
	}

	const types = items.some(item => item.kind === 'volume') ? await session.cinder!.listVolumeTypes({signal}) : [];
	const warnings = sourceWarnings(session, manifest, read.notes ?? []);
	const steps: Step[] = [];
	const results: Record<string, Ref> = {};
	const replaces: Record<string, string> = {};
	const notes: string[] = [];
	for (const [index, item] of items.entries()) {
		if (!hasData(item)) {
			continue;
		}

		const input: ItemInput = {
			directory, item, prefix: items.length === 1 ? '' : `item${index + 1}-`, name: item.kind === 'server' ? `${nameOf(item)}-disk` : nameOf(item), temporary: false,
		};
		let built: Built;
		if (item.kind === 'volume') {
			// eslint-disable-next-line no-await-in-loop
			const choice = await chooseType({
				session, item, types, requested: request.volumeType, signal,
			});
			if ('refusal' in choice) {
				return refuse(choice.refusal);
			}

			if ('question' in choice) {
				return choice.question;
			}

			notes.push(...choice.notes);
			built = volumeSteps({...input, item, type: choice.type});
		} else {
			built = imageSteps(input);
		}

		steps.push(...built.steps);
		Object.assign(results, built.results);
		if (item.kind !== 'server') {
			// The new image or volume stands in for the bundled one (not its key: a Cinder-made clone, or a temporary's).
			replaces[`${item.kind}:${item.id}`] = item.id;
		}

		warnings.push(...built.warnings);
	}

	if (steps.length === 0) {
		return refuse(`${directory} holds nothing backstack can restore yet (${items.map(item => itemLabel(item)).join(', ')}).`);
	}

	const {projectName} = session.identity.token();
	return planned(makePlan('bundle-restore', `Restore bundle ${directory} (${plural(items.length, 'item')}) into project ${projectName}`, steps, {
		warnings: [...warnings, ...serverWarning(items), ...notes],
		results,
		replaces,
	}));
}
