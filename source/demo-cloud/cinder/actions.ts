/* eslint-disable @typescript-eslint/naming-convention -- OpenStack's wire format is snake_case. */
/*
Cinder volume actions (`POST volumes/:id/action`): upload to an image, reset status, set bootable.
*/
import {Buffer} from 'node:buffer';
import {requireAdmin, requireMember} from '../auth.js';
import {
	HttpError,
	isRecord,
	jsonBody,
	naiveMicro,
	optionalString,
	type Reply,
	type Router,
} from '../http.js';
import {luksEncrypt, luksPassphrase} from '../luks.js';
import {setImageData, type ImageRecord, type VolumeRecord} from '../state.js';
import {isTrue, type Call, type Cinder} from './shared.js';

/**
Image metadata Cinder does not copy into an uploaded image's properties (its `glance_core_properties`).
*/
const glanceCoreProperties = new Set(['checksum', 'container_format', 'disk_format', 'image_name', 'image_id', 'min_disk', 'min_ram', 'name', 'size']);

export function addVolumeActionRoutes(router: Router<Call>, cinder: Cinder): void {
	const {state, getVolume, touch} = cinder;

	router.add('POST', 'volumes/:id/action', (call, {id = ''}) => {
		const volume = getVolume(call, id);
		const body = jsonBody(call.context);
		const [entry] = Object.entries(body);
		const action = entry?.[0] ?? '';
		const spec = isRecord(entry?.[1]) ? entry[1] : {};
		switch (action) {
			case 'os-volume_upload_image': {
				requireMember(call.auth, 'volume_extension:volume_actions:upload_image');
				return uploadToImage(call, volume, spec);
			}

			case 'os-reset_status': {
				requireAdmin(call.auth, 'volume_extension:volume_admin_actions:reset_status');
				volume.status = optionalString(spec['status'], 'status') ?? volume.status;
				touch(volume);
				return {status: 202};
			}

			case 'os-set_bootable': {
				requireMember(call.auth, 'volume_extension:volume_actions:set_bootable');
				volume.bootable = isTrue(spec['bootable']);
				touch(volume);
				return {status: 200};
			}

			default: {
				throw new HttpError(400, `There is no such action: ${action}`);
			}
		}
	});

	const uploadToImage = (call: Call, volume: VolumeRecord, spec: Record<string, unknown>): Reply => {
		const isForce = isTrue(spec['force']);
		if (volume.status !== 'available' && !(isForce && volume.status === 'in-use')) {
			throw new HttpError(400, `Invalid volume: Volume ${volume.id} status must be available or in-use with force, but current status is: ${volume.status}.`);
		}

		const imageName = optionalString(spec['image_name'], 'image_name');
		if (imageName === undefined) {
			throw new HttpError(400, 'No image_name was specified in request.');
		}

		const diskFormat = optionalString(spec['disk_format'], 'disk_format') ?? 'raw';
		const containerFormat = optionalString(spec['container_format'], 'container_format') ?? 'bare';
		const type = state.volumeTypes.get(volume.typeId);
		if (type?.encryption && (diskFormat !== 'raw' || containerFormat !== 'bare')) {
			throw new HttpError(400, 'Invalid input received: Unsupported image format. Encrypted volumes can only be uploaded as raw/bare.');
		}

		const visibility = call.mv >= 1 ? (optionalString(spec['visibility'], 'visibility') ?? 'private') : 'private';
		const image: ImageRecord = state.addImage({
			owner: volume.projectId,
			name: imageName,
			diskFormat,
			containerFormat,
			visibility,
			protected: call.mv >= 1 && spec['protected'] === true,
		});
		const previous = volume.status;
		volume.status = 'uploading';
		touch(volume);
		state.later('imageUpload', () => {
			if (image.status === 'queued') {
				image.status = 'saving';
			}
		}, 0.5);
		state.later('imageUpload', () => {
			if (state.volumes.has(volume.id)) {
				volume.status = previous;
				touch(volume);
			}

			if (!state.images.has(image.id)) {
				return;
			}

			// Cinder copies the volume's image metadata (all but the core fields) into the image's properties,
			// signature_verified included; an encrypted volume's key properties are then set to the new key.
			for (const [key, value] of Object.entries(volume.imageMetadata ?? {})) {
				if (!glanceCoreProperties.has(key) && !key.startsWith('cinder_encryption_key')) {
					image.properties[key] = value;
				}
			}

			let data: Uint8Array = Buffer.from(state.contentOf(volume));
			if (volume.encryptionKeyId !== undefined) {
				const key = state.cloneSecret(volume.encryptionKeyId, volume.projectId, call.auth.user.id);
				if (!key?.payload) {
					image.status = 'killed';
					return;
				}

				image.properties['cinder_encryption_key_id'] = key.id;
				image.properties['cinder_encryption_key_deletion_policy'] = 'on_image_deletion';
				// The image holds the volume as a LUKS container of its own master key, opened by the image's key clone
				// (the real cloud's NFS driver uploads a qemu luks container): equal data, unequal bytes.
				data = luksEncrypt(data, luksPassphrase(key.payload));
			}

			setImageData(image, Buffer.from(data));
			image.status = 'active';
			image.updatedAt = state.now();
		});

		return {
			status: 202,
			json: {
				'os-volume_upload_image': {
					container_format: containerFormat,
					disk_format: diskFormat,
					display_description: volume.description,
					id: volume.id,
					image_id: image.id,
					image_name: imageName,
					protected: image.protected,
					size: volume.size,
					status: 'uploading',
					updated_at: naiveMicro(state.now()),
					visibility,
					volume_type: type
						? {
							created_at: naiveMicro(type.createdAt), deleted: false, deleted_at: null, description: type.description,
							extra_specs: type.extraSpecs, id: type.id, is_public: type.isPublic, name: type.name, qos_specs_id: null, updated_at: null,
						}
						: null,
				},
			},
		};
	};
}
