/*
The manifest of an off-cloud DR bundle (issue 13): `manifest.json` in the bundle's directory, written last, so that a
directory with a manifest is a finished bundle and one without is a bundle still being written.

Schema version 2 (`bundleManifestSchema` below is the machine-readable form; docs/bundle-manifest.schema.json is the
same schema as a file, kept equal by a test):

{
  "format": "backstack-bundle",
  "schemaVersion": 2,
  "createdAt": "2026-12-07T02:30:00.000Z",             // when the manifest was written (every file was complete then)
  "backstackVersion": "0.1.0",
  "source": {"cloud": "mycloud", "region": "RegionOne", "project": {"id": "…", "name": "bs-alpha", "domainId": "default"}},
  "items": [{
    "kind": "image", "id": "…", "name": "web-golden", "createdAt": "…", "updatedAt": "…",
    "data": {"file": "image-….raw", "size": 1048576, "sha256": "…"},
    "glance": {"diskFormat": "raw", "containerFormat": "bare", "checksum": "…md5…", "hashAlgo": "sha512", "hashValue": "…",
               "minDisk": 1, "minRam": 0, "visibility": "private", "protected": false,
               "properties": {"os_distro": "debian", "hw_disk_bus": "scsi"}},
    "encryption": {                                      // only for an image of an encrypted volume
      "keyFile": "image-….key", "keySize": 32,           // bytes of the raw key; the key itself is only in keyFile (0600)
      "passphrase": "hexlify",                           // LUKS passphrase = lower-case hex of the key (as Cinder/os-brick)
      "sourceSecretId": "…", "keyDeletionPolicy": "on_image_deletion",
      "secret": {"secretType": "symmetric", "algorithm": "aes", "bitLength": 256, "mode": "xts"}
    }
  }, {
    "kind": "volume", "id": "…", "name": "db-data", "createdAt": "…",
    "data": {…}, "glance": {…}, "encryption": {…},        // as above: the image Cinder uploaded (removed afterwards)
    "volume": {"size": 10, "bootable": false, "description": "", "availabilityZone": "nova", "metadata": {},
               "volumeType": {"name": "LUKS", "id": "…",
                              "encryption": {"provider": "luks", "cipher": "aes-xts-plain64", "keySize": 256,
                                             "controlLocation": "front-end"}}}
  }, {
    "kind": "server", "id": "…", "name": "web-1", "createdAt": "…",
    "data": {…}, "glance": {…},                          // an image of its disk; absent when it boots from a volume
    "server": {"flavor": {"name": "m1.small", "vcpus": 1, "ramMiB": 2048, "diskGiB": 20}, "metadata": {},
               "userDataShown": false,                   // true (with "userData", base64) only when the API showed it
               "bootFromVolume": false, "imageId": "…", "keyName": "ops",
               "volumes": [{"itemId": "…a volume item's id…", "device": "/dev/vdb"}]}
  }]
}

Version 1 (image items only) is read as well: it is version 2 without volume and server items.

Nothing secret is in the manifest: the key is in its own file, and not even a hash of it is recorded (verify proves the key
by opening the LUKS header with it instead). The image properties kept are Glance's extra properties minus upload
bookkeeping (Glance's `os_glance_*`, openstacksdk's `owner_specified.openstack.*`) and the key reference, which is under
`encryption` (a restore sets a new one).

Any change to the shape bumps `schemaVersion`; a reader refuses a manifest of a version newer than it knows, by name,
before checking anything else (an older backstack cannot tell a newer field from damage).
*/
import type {ErrorObject, ValidateFunction} from 'ajv';

export const bundleFormat = 'backstack-bundle';
export const bundleSchemaVersion = 2;
export const manifestFileName = 'manifest.json';

export type BundleFile = {
	/**
	A plain file name inside the bundle's directory (no directory part).
	*/
	file: string;
	size: number;
	/**
	Lower-case hex SHA-256 of the whole file, computed by backstack from the bytes on disk.
	*/
	sha256: string;
};

export type BundleSecretAttributes = {
	secretType: string;
	algorithm?: string;
	bitLength?: number;
	mode?: string;
};

export type BundleEncryption = {
	keyFile: string;
	/**
	Bytes of the raw key (bitLength / 8 for a well-formed secret).
	*/
	keySize: number;
	/**
	How the key becomes the LUKS passphrase: `hexlify`, the lower-case hex of its bytes (Python's binascii.hexlify).
	*/
	passphrase: 'hexlify';
	/**
	The Barbican secret the key was read from, in the source project (a restore stores a new one with a new ID).
	*/
	sourceSecretId: string;
	keyDeletionPolicy?: string;
	secret: BundleSecretAttributes;
};

export type BundleGlance = {
	diskFormat: string;
	containerFormat: string;
	/**
	Glance's legacy MD5 `checksum`, when the image has one.
	*/
	checksum?: string;
	/**
	`os_hash_algo` / `os_hash_value` (multihash, sha512 by default), when the image has them.
	*/
	hashAlgo?: string;
	hashValue?: string;
	minDisk?: number;
	minRam?: number;
	visibility: string;
	protected: boolean;
	properties: Record<string, string>;
};

/**
What every item has: the resource it was, by ID and name, and when the source cloud says it was made and last changed.
*/
type BundleItemBase = {
	id: string;
	name: string;
	createdAt: string;
	updatedAt?: string;
};

/**
An item's bytes: the file, and the Glance image they were downloaded from (for a volume or a server's disk, the
temporary image backstack uploaded and removed again; its checksums are what Glance computed while it was stored).
*/
type BundleData = {
	data: BundleFile;
	glance: BundleGlance;
	encryption?: BundleEncryption;
};

export type BundleImageItem = BundleItemBase & BundleData & {kind: 'image'};

/**
A volume type's encryption spec, as Cinder shows it (`GET /volumes/{id}/encryption`, readable by the project; `GET /types/{id}/encryption` is for admins): what a restore's type must match.
*/
export type BundleEncryptionSpec = {
	provider: string;
	cipher?: string;
	keySize?: number;
	controlLocation?: string;
};

export type BundleVolume = {
	/**
	GiB, as Cinder counts it.
	*/
	size: number;
	bootable: boolean;
	description?: string;
	availabilityZone?: string;
	metadata: Record<string, string>;
	/**
	`volume_image_metadata`: what Glance told Cinder about the image a bootable volume came from.
	*/
	imageMetadata?: Record<string, string>;
	volumeType: {
		name: string;
		id?: string;
		/**
		The type's encryption spec; absent for an unencrypted type.
		*/
		encryption?: BundleEncryptionSpec;
	};
};

/**
A volume: its bytes as Cinder uploads them to an image (raw; for an encrypted volume, its LUKS container, opened by
the key in `encryption`), and what a new volume needs to be the same: size, type and its encryption spec, metadata.
*/
export type BundleVolumeItem = BundleItemBase & BundleData & {kind: 'volume'; volume: BundleVolume};

export type BundleServer = {
	flavor: {
		id?: string;
		name?: string;
		vcpus?: number;
		ramMiB?: number;
		diskGiB?: number;
	};
	metadata: Record<string, string>;
	/**
	The server's user data (base64, as Nova gives it) when the API shows it, which is to admins only (microversion 2.3).
	*/
	userData?: string;
	/**
	False when the API did not show user data to the reader: the server may have some, and the bundle does not hold it.
	*/
	userDataShown: boolean;
	bootFromVolume: boolean;
	/**
	The image the server was built from, by ID (absent for a server booted from a volume).
	*/
	imageId?: string;
	availabilityZone?: string;
	keyName?: string;
	/**
	The attached volumes, each an item of its own in this bundle (`itemId` is that item's `id`).
	*/
	volumes: Array<{itemId: string; device?: string}>;
};

/**
A server: its disk as an image of it (absent for a server booted from a volume, whose disk is one of its volumes), and
what rebuilding it needs. Its volumes are items of their own, named in `server.volumes`.
*/
export type BundleServerItem = BundleItemBase & Partial<BundleData> & {kind: 'server'; server: BundleServer};

export type BundleItem = BundleImageItem | BundleVolumeItem | BundleServerItem;

/**
An item with bytes in the bundle: every image and volume item, and a server item with an image of its disk.
*/
export type BundleDataItem = BundleItem & BundleData;

export function hasData(item: BundleItem): item is BundleDataItem {
	return item.data !== undefined && item.glance !== undefined;
}

export type BundleSource = {
	cloud: string;
	region?: string;
	project: {id: string; name: string; domainId?: string};
};

export type BundleManifest = {
	format: typeof bundleFormat;
	schemaVersion: typeof bundleSchemaVersion;
	createdAt: string;
	backstackVersion: string;
	source: BundleSource;
	items: BundleItem[];
};

/**
The manifest as planned: everything but what only the files on disk tell (their SHA-256, the key's size) and the time
it is written.
*/
type DraftOf<T> = T extends BundleData
	? Omit<T, 'data' | 'encryption'> & {data: Omit<BundleFile, 'sha256'>; encryption?: Omit<BundleEncryption, 'keySize'>}
	: Omit<T, 'data' | 'encryption'> & {data?: Omit<BundleFile, 'sha256'>; encryption?: Omit<BundleEncryption, 'keySize'>};

export type BundleItemDraft = DraftOf<BundleImageItem> | DraftOf<BundleVolumeItem> | DraftOf<BundleServerItem>;

/**
An item whose bytes come from a temporary image (a volume uploaded by Cinder, a server's disk imaged by Nova), as
planned: the image exists only while the plan runs, so the file's size, Glance's block and the key's secret are read
from it by the step `record.step` (bundle.recordImage), once the bytes are downloaded, into `record.file` in the bundle's
directory; the manifest is completed from that file, and the image can go before it is written. `secret` is what the
volume's own key says, for a runbook; the image's key clone replaces it.
*/
export type BundlePendingItem = (Omit<DraftOf<BundleVolumeItem>, 'data' | 'glance' | 'encryption'> | Omit<DraftOf<BundleServerItem>, 'data' | 'glance' | 'encryption'>) & {
	data: {file: string};
	record: {file: string; step: string};
	encryption?: Pick<BundleEncryption, 'keyFile' | 'passphrase'> & {secret?: BundleSecretAttributes};
};

export function isPending(item: BundleItemDraft | BundlePendingItem): item is BundlePendingItem {
	return 'record' in item;
}

export type BundleManifestDraft = Omit<BundleManifest, 'createdAt' | 'items'> & {
	items: Array<BundleItemDraft | BundlePendingItem>;
};

// A plain name inside the directory: never `.`/`..`, never a path, never a control character. Verify opens only these.
const fileName = {type: 'string', pattern: String.raw`^(?!\.\.?$)[^/\\\u0000-\u001F]{1,255}$`} as const;
const hex = (length?: number) => ({type: 'string', pattern: length === undefined ? '^[0-9a-f]+$' : `^[0-9a-f]{${length}}$`}) as const;
const text = {type: 'string', minLength: 1} as const;
const dateTime = {type: 'string', format: 'date-time'} as const;
const count = {type: 'integer', minimum: 0} as const;

const strings = {type: 'object', additionalProperties: {type: 'string'}} as const;

const dataFile = {
	type: 'object',
	additionalProperties: false,
	required: ['file', 'size', 'sha256'],
	properties: {file: fileName, size: {type: 'integer', minimum: 1}, sha256: hex(64)},
} as const;

const glanceImage = {
	type: 'object',
	additionalProperties: false,
	required: ['diskFormat', 'containerFormat', 'visibility', 'protected', 'properties'],
	properties: {
		diskFormat: text,
		containerFormat: text,
		checksum: hex(32),
		hashAlgo: text,
		hashValue: hex(),
		minDisk: count,
		minRam: count,
		visibility: text,
		protected: {type: 'boolean'},
		properties: strings,
	},
} as const;

const keyOfData = {
	type: 'object',
	additionalProperties: false,
	required: ['keyFile', 'keySize', 'passphrase', 'sourceSecretId', 'secret'],
	properties: {
		keyFile: fileName,
		keySize: {type: 'integer', minimum: 1},
		passphrase: {const: 'hexlify'},
		sourceSecretId: text,
		keyDeletionPolicy: text,
		secret: {
			type: 'object',
			additionalProperties: false,
			required: ['secretType'],
			properties: {
				secretType: text, algorithm: text, bitLength: {type: 'integer', minimum: 1}, mode: text,
			},
		},
	},
} as const;

const itemBase = {
	id: text,
	name: {type: 'string'},
	createdAt: dateTime,
	updatedAt: dateTime,
	data: dataFile,
	glance: glanceImage,
	encryption: keyOfData,
} as const;

const volumeOfItem = {
	type: 'object',
	additionalProperties: false,
	required: ['size', 'bootable', 'metadata', 'volumeType'],
	properties: {
		size: {type: 'integer', minimum: 1},
		bootable: {type: 'boolean'},
		description: {type: 'string'},
		availabilityZone: text,
		metadata: strings,
		imageMetadata: strings,
		volumeType: {
			type: 'object',
			additionalProperties: false,
			required: ['name'],
			properties: {
				name: text,
				id: text,
				encryption: {
					type: 'object',
					additionalProperties: false,
					required: ['provider'],
					properties: {
						provider: text, cipher: text, keySize: {type: 'integer', minimum: 1}, controlLocation: text,
					},
				},
			},
		},
	},
} as const;

const serverOfItem = {
	type: 'object',
	additionalProperties: false,
	required: ['flavor', 'metadata', 'userDataShown', 'bootFromVolume', 'volumes'],
	properties: {
		flavor: {
			type: 'object',
			additionalProperties: false,
			properties: {
				id: text, name: text, vcpus: count, ramMiB: count, diskGiB: count,
			},
		},
		metadata: strings,
		userData: {type: 'string'},
		userDataShown: {type: 'boolean'},
		bootFromVolume: {type: 'boolean'},
		imageId: text,
		availabilityZone: text,
		keyName: text,
		volumes: {
			type: 'array',
			items: {
				type: 'object',
				additionalProperties: false,
				required: ['itemId'],
				properties: {itemId: text, device: text},
			},
		},
	},
} as const;

/**
JSON Schema (2020-12) of schema version 2 (version 1 is the same with image items only, and is read as well).
*/
export const bundleManifestSchema = {
	$schema: 'https://json-schema.org/draft/2020-12/schema',
	$id: 'https://github.com/backstack/backstack/docs/bundle-manifest.schema.json',
	title: 'backstack DR bundle manifest',
	description: 'manifest.json of a directory written by `backstack backup bundle`; checked offline by `backstack verify bundle`.',
	type: 'object',
	additionalProperties: false,
	required: ['format', 'schemaVersion', 'createdAt', 'backstackVersion', 'source', 'items'],
	properties: {
		format: {const: bundleFormat},
		schemaVersion: {enum: [1, bundleSchemaVersion]},
		createdAt: dateTime,
		backstackVersion: text,
		source: {
			type: 'object',
			additionalProperties: false,
			required: ['cloud', 'project'],
			properties: {
				cloud: text,
				region: text,
				project: {
					type: 'object',
					additionalProperties: false,
					required: ['id', 'name'],
					properties: {id: text, name: {type: 'string'}, domainId: text},
				},
			},
		},
		items: {
			type: 'array',
			minItems: 1,
			items: {
				type: 'object',
				required: ['kind'],
				properties: {kind: {enum: ['image', 'volume', 'server']}},
				discriminator: {propertyName: 'kind'},
				oneOf: [
					{
						additionalProperties: false,
						required: ['kind', 'id', 'name', 'createdAt', 'data', 'glance'],
						properties: {kind: {const: 'image'}, ...itemBase},
					},
					{
						additionalProperties: false,
						required: ['kind', 'id', 'name', 'createdAt', 'data', 'glance', 'volume'],
						properties: {kind: {const: 'volume'}, ...itemBase, volume: volumeOfItem},
					},
					{
						additionalProperties: false,
						required: ['kind', 'id', 'name', 'createdAt', 'server'],
						// A server's disk image comes with its checksums, or not at all.
						dependentRequired: {data: ['glance'], glance: ['data']},
						properties: {kind: {const: 'server'}, ...itemBase, server: serverOfItem},
					},
				],
			},
		},
	},
} as const;

/**
RFC 3339 date-time, the form JSON Schema's `date-time` means (ajv without ajv-formats knows no formats).
*/
function isDateTime(value: string): boolean {
	const match = /^(?<year>\d{4})-(?<month>\d{2})-(?<day>\d{2})t(?<hour>\d{2}):(?<minute>\d{2}):(?<second>\d{2})(?:\.\d+)?(?:z|[+\-]\d{2}:\d{2})$/iv.exec(value);
	if (!match?.groups) {
		return false;
	}

	const {
		year, month, day, hour, minute, second,
	} = match.groups;
	const daysInMonth = new Date(Date.UTC(Number(year), Number(month), 0)).getUTCDate();
	return Number(month) >= 1 && Number(month) <= 12 && Number(day) >= 1 && Number(day) <= daysInMonth
		&& Number(hour) <= 23 && Number(minute) <= 59 && Number(second) <= 60;
}

let compiled: ValidateFunction | undefined;

async function validator(): Promise<ValidateFunction> {
	if (compiled === undefined) {
		// Loaded on first use: only verify and the bundle planner pay for it.
		const ajvModule = await import('ajv/dist/2020.js');
		const ajv = new ajvModule.Ajv2020({strict: true, allErrors: true, discriminator: true});
		ajv.addFormat('date-time', {type: 'string', validate: isDateTime});
		compiled = ajv.compile(bundleManifestSchema);
	}

	return compiled;
}

function errorText(error: ErrorObject): string {
	const where = error.instancePath === '' ? 'the manifest' : error.instancePath;
	const extra = error.keyword === 'additionalProperties' ? ` (${String((error.params as {additionalProperty?: string}).additionalProperty)})` : '';
	return `${where}: ${error.message ?? error.keyword}${extra}`;
}

export type ManifestCheck = {manifest: BundleManifest} | {defects: string[]};

/**
Parses and checks a manifest's text: a manifest, or one sentence per defect. A newer schema version is one defect that
says so, without the schema's complaints (a newer shape is not damage).
*/
export async function parseManifest(textOfFile: string): Promise<ManifestCheck> {
	let value: unknown;
	try {
		value = JSON.parse(textOfFile);
	} catch (error) {
		return {defects: [`manifest.json is not JSON: ${error instanceof Error ? error.message : String(error)}`]};
	}

	const version = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)['schemaVersion'] : undefined;
	if (typeof version === 'number' && Number.isSafeInteger(version) && version > bundleSchemaVersion) {
		return {
			defects: [`manifest.json has schema version ${version}, newer than this backstack reads (up to ${bundleSchemaVersion}): `
				+ 'it was written by a newer backstack; verify it with that version or upgrade.'],
		};
	}

	const validate = await validator();
	if (!validate(value)) {
		return {defects: (validate.errors ?? []).map(error => `manifest.json fails its schema: ${errorText(error)}`)};
	}

	const manifest = value as BundleManifest;
	const names = manifest.items.flatMap(item => filesOf(item));
	const duplicate = names.find((name, index) => names.indexOf(name) !== index || name === manifestFileName);
	if (duplicate !== undefined) {
		return {defects: [`manifest.json fails its schema: it names ${duplicate} twice, or as a data or key file`]};
	}

	const volumes = new Set(manifest.items.filter(item => item.kind === 'volume').map(item => item.id));
	const dangling = manifest.items.flatMap(item => item.kind === 'server'
		? item.server.volumes.filter(volume => !volumes.has(volume.itemId)).map(volume => `server ${item.id} names volume ${volume.itemId}, which is not an item of the bundle`)
		: []);
	return dangling.length === 0 ? {manifest} : {defects: dangling.map(defect => `manifest.json fails its schema: ${defect}`)};
}

/**
The files of an item, as plain names in the bundle's directory: its data file and its key file, where it has them.
*/
export function filesOf(item: BundleItem): string[] {
	return [...(item.data === undefined ? [] : [item.data.file]), ...(item.encryption === undefined ? [] : [item.encryption.keyFile])];
}

/**
The file names of a bundle of one image (by ID): the data file, the key file, and the partial download.
*/
export function imageBundleFiles(imageId: string, diskFormat: string | undefined): {data: string; partial: string; key: string} {
	return bundleFiles('image', imageId, diskFormat);
}

/**
The file names of a bundle item (`image-<id>.<format>`, `volume-<id>.raw`…): the data file, the key file, the partial download.
*/
export function bundleFiles(kind: BundleItem['kind'], id: string, diskFormat: string | undefined): {data: string; partial: string; key: string; record: string} {
	// The ID as OpenStack gives it is a UUID; anything else is reduced to a safe name.
	const safe = id.replaceAll(/[^\w\-.]/gv, '_');
	const extension = (diskFormat ?? 'raw').replaceAll(/[^\w\-]/gv, '_');
	const data = `${kind}-${safe}.${extension}`;
	return {
		data, partial: `${data}.part`, key: `${kind}-${safe}.key`, record: `${kind}-${safe}.record.json`,
	};
}
