/* eslint-disable unicorn/prefer-iterator-helpers, unicorn/prefer-iterator-to-array -- the project's TypeScript lib has no iterator helpers. */
/* eslint-disable @typescript-eslint/naming-convention -- OpenStack's wire format is snake_case. */
/* eslint-disable unicorn/no-immediate-mutation -- views add fields that depend on the microversion and the caller. */
/*
Cinder volume types: list, default, show, create, delete, extra specs, and their encryption (show, create).
*/
import {requireAdmin, requireReader} from '../auth.js';
import {
	HttpError,
	isRecord,
	jsonBody,
	naiveMicro,
	optionalString,
	stringRecord,
	uuid,
	type Router,
} from '../http.js';
import type {VolumeTypeRecord} from '../state.js';
import {isTrue, type Call, type Cinder} from './shared.js';

export function addTypeRoutes(router: Router<Call>, cinder: Cinder): void {
	const {state} = cinder;

	const typeView = (call: Call, type: VolumeTypeRecord): Record<string, unknown> => {
		const view: Record<string, unknown> = {
			description: type.description,
			extra_specs: type.extraSpecs,
			id: type.id,
			is_public: type.isPublic,
			name: type.name,
			'os-volume-type-access:is_public': type.isPublic,
		};
		if (call.auth.isAdmin) {
			view['qos_specs_id'] = null;
		}

		return view;
	};

	const encryptionView = (type: VolumeTypeRecord): Record<string, unknown> => {
		const {encryption} = type;
		if (!encryption) {
			return {};
		}

		return {
			cipher: encryption.cipher,
			control_location: encryption.controlLocation,
			created_at: naiveMicro(encryption.createdAt),
			deleted: false,
			deleted_at: null,
			encryption_id: encryption.encryptionId,
			key_size: encryption.keySize,
			provider: encryption.provider,
			updated_at: null,
			volume_type_id: type.id,
		};
	};

	// Routes: volume types

	const visibleTypes = (call: Call): VolumeTypeRecord[] => [...state.volumeTypes.values()].filter(type => !type.deleted && (type.isPublic || call.auth.isAdmin));

	router.add('GET', 'types', call => {
		requireReader(call.auth, 'volume_extension:types_manage');
		return {status: 200, json: {volume_types: visibleTypes(call).toSorted((a, b) => a.name.localeCompare(b.name)).map(type => typeView(call, type))}};
	});

	router.add('GET', 'types/default', call => {
		const type = state.volumeTypes.get(state.defaultTypeId);
		if (!type) {
			throw new HttpError(404, 'Default volume type can not be found.');
		}

		return {status: 200, json: {volume_type: typeView(call, type)}};
	});

	router.add('GET', 'types/:id', (call, {id = ''}) => {
		const type = state.findVolumeType(id);
		if (!type || (!type.isPublic && !call.auth.isAdmin)) {
			throw new HttpError(404, `Volume type ${id} could not be found.`);
		}

		return {status: 200, json: {volume_type: typeView(call, type)}};
	});

	router.add('POST', 'types', call => {
		requireAdmin(call.auth, 'volume_extension:types_manage');
		const spec = jsonBody(call.context)['volume_type'];
		if (!isRecord(spec) || typeof spec['name'] !== 'string' || spec['name'].trim() === '') {
			throw new HttpError(400, 'Volume type name can not be empty.');
		}

		const {name} = spec;
		if (state.findVolumeType(name)) {
			throw new HttpError(409, `Volume Type ${name} already exists.`);
		}

		const isPublic = spec['os-volume-type-access:is_public'] ?? spec['is_public'] ?? true;
		const type = state.addVolumeType({
			name,
			description: optionalString(spec['description'], 'description') ?? null,
			isPublic: isTrue(isPublic),
			extraSpecs: stringRecord(spec['extra_specs'], 'extra_specs'),
		});
		return {status: 200, json: {volume_type: typeView(call, type)}};
	});

	router.add('DELETE', 'types/:id', (call, {id = ''}) => {
		requireAdmin(call.auth, 'volume_extension:types_manage');
		const type = state.findVolumeType(id);
		if (!type) {
			throw new HttpError(404, `Volume type ${id} could not be found.`);
		}

		if (type.id === state.defaultTypeId) {
			throw new HttpError(400, 'Default volume type can not be deleted.');
		}

		if ([...state.volumes.values()].some(volume => volume.typeId === type.id)) {
			throw new HttpError(400, 'Target volume type is still in use.');
		}

		type.deleted = true;
		return {status: 202};
	});

	router.add('GET', 'types/:id/extra_specs', (_call, {id = ''}) => {
		const type = state.findVolumeType(id);
		if (!type) {
			throw new HttpError(404, `Volume type ${id} could not be found.`);
		}

		return {status: 200, json: {extra_specs: type.extraSpecs}};
	});

	router.add('GET', 'types/:id/encryption', (call, {id = ''}) => {
		requireAdmin(call.auth, 'volume_extension:volume_type_encryption:get');
		const type = state.findVolumeType(id);
		if (!type) {
			throw new HttpError(404, `Volume type ${id} could not be found.`);
		}

		return {status: 200, json: encryptionView(type)};
	});

	router.add('POST', 'types/:id/encryption', (call, {id = ''}) => {
		requireAdmin(call.auth, 'volume_extension:volume_type_encryption:create');
		const type = state.findVolumeType(id);
		if (!type) {
			throw new HttpError(404, `Volume type ${id} could not be found.`);
		}

		if (type.encryption) {
			throw new HttpError(400, `Volume type encryption for type ${type.id} already exists.`);
		}

		if ([...state.volumes.values()].some(volume => volume.typeId === type.id)) {
			throw new HttpError(400, 'Cannot create encryption specs. Volume type in use.');
		}

		const spec = jsonBody(call.context)['encryption'];
		if (!isRecord(spec)) {
			throw new HttpError(400, 'Missing required element \'encryption\' in request body.');
		}

		const provider = optionalString(spec['provider'], 'provider');
		if (provider === undefined) {
			throw new HttpError(400, 'Invalid input for field/attribute encryption. \'provider\' is a required property');
		}

		const keySize = spec['key_size'] === undefined || spec['key_size'] === null ? 256 : Number(spec['key_size']);
		type.encryption = {
			encryptionId: uuid(),
			provider,
			cipher: optionalString(spec['cipher'], 'cipher') ?? 'aes-xts-plain64',
			keySize,
			controlLocation: optionalString(spec['control_location'], 'control_location') ?? 'front-end',
			createdAt: state.now(),
		};
		const view = encryptionView(type);
		return {
			status: 200,
			json: {
				encryption: {
					cipher: view['cipher'], control_location: view['control_location'], encryption_id: view['encryption_id'],
					key_size: view['key_size'], provider: view['provider'], volume_type_id: type.id,
				},
			},
		};
	});
}
