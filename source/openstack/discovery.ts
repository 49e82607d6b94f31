/*
From catalog entries to usable service base URLs and microversion ranges.

- Endpoint choice mirrors keystoneauth: service type with its aliases (official type first), interface, exact region.
- Unversioned Glance/Barbican endpoints get `/v2` / `/v1`; Cinder `volume`/`volumev2` entries are rewritten to `/v3`.
- Version discovery is a GET on the service root without a token; 300 Multiple Choices is an answer.
*/
import type {HttpClient} from './http.js';
import type {Endpoint, Microversion, ServiceName} from './types.js';
import {
	asObject,
	compareVersions,
	nonEmpty,
	parseVersion,
	trimSlash,
	type Json,
} from './util.js';

/**
Catalog types per service, official name first, then aliases in os-service-types order.
*/
export const serviceTypes: Record<ServiceName, string[]> = {
	identity: ['identity'],
	cinder: ['block-storage', 'volumev3', 'volumev2', 'volume', 'block-store'],
	glance: ['image'],
	nova: ['compute'],
	barbican: ['key-manager'],
};

export const officialTypes: Record<ServiceName, string> = {
	identity: 'identity',
	cinder: 'block-storage',
	glance: 'image',
	nova: 'compute',
	barbican: 'key-manager',
};

export function normaliseInterface(value: string): string {
	const lower = value.toLowerCase();
	return lower.endsWith('url') ? lower.slice(0, -3) : lower;
}

export function selectEndpoint(catalog: Endpoint[], service: ServiceName, options: {interface: string; region?: string}): Endpoint | undefined {
	const wanted = normaliseInterface(options.interface);
	for (const type of serviceTypes[service]) {
		const match = catalog.find(endpoint => endpoint.serviceType === type
			&& normaliseInterface(endpoint.interface) === wanted
			&& (options.region === undefined || endpoint.region === options.region)
			&& endpoint.url !== '');
		if (match) {
			return match;
		}
	}

	return undefined;
}

export function describeMissingEndpoint(catalog: Endpoint[], service: ServiceName, options: {interface: string; region?: string}): string {
	const types = serviceTypes[service];
	const present = catalog.filter(endpoint => types.includes(endpoint.serviceType));
	if (present.length === 0) {
		return `no ${officialTypes[service]} service in the catalog`;
	}

	const where = `interface ${options.interface}${options.region === undefined ? '' : `, region ${options.region}`}`;
	const offered = [...new Set(present.map(endpoint => `${endpoint.interface}${endpoint.region === undefined ? '' : `@${endpoint.region}`}`))].join(', ');
	return `the catalog has ${officialTypes[service]} only for ${offered}, not for ${where}`;
}

type VersionEntry = {id: string; status?: string; version?: string; minVersion?: string; maxVersion?: string};

function versionList(object: Json): unknown[] {
	const {versions, version} = object;
	if (Array.isArray(versions)) {
		return versions;
	}

	// Keystone and Barbican 1.0: {"versions": {"values": [...]}}; a versioned root: {"version": {...}}.
	const nested = asObject(versions)?.['values'];
	if (Array.isArray(nested)) {
		return nested;
	}

	return asObject(version) === undefined ? [] : [version];
}

function toVersionEntry(value: unknown): VersionEntry | undefined {
	const entry = asObject(value);
	const id = nonEmpty(entry?.['id']);
	if (entry === undefined || id === undefined) {
		return undefined;
	}

	const status = nonEmpty(entry['status']);
	const version = nonEmpty(entry['version']);
	const minVersion = nonEmpty(entry['min_version']);
	const maxVersion = nonEmpty(entry['max_version']);
	return {
		id,
		...(status !== undefined && {status}),
		...(version !== undefined && {version}),
		...(minVersion !== undefined && {minVersion}),
		...(maxVersion !== undefined && {maxVersion}),
	};
}

export function parseVersionDocument(body: unknown): VersionEntry[] {
	const object = asObject(body);
	const list = object === undefined ? [] : versionList(object);
	return list.map(value => toVersionEntry(value)).filter((entry): entry is VersionEntry => entry !== undefined);
}

export type Discovered = {
	/**
	Versioned base URL every path is joined to.
	*/
	endpoint: string;
	microversion: Microversion;
	/**
	Set when discovery did not answer; the endpoint is still used, with the base microversion.
	*/
	warning?: string;
};

/**
Splits a catalog URL around its API version segment (`/v3`, `/v2.1`…): what comes before is the service root (version
discovery lives there), what comes after (e.g. a project ID) is kept.
*/
function splitVersion(url: string, versions: RegExp): {origin: string; prefix: string; suffix: string} {
	const parsed = new URL(url);
	const segments = trimSlash(parsed.pathname).split('/');
	const index = segments.findIndex(segment => versions.test(segment));
	if (index === -1) {
		return {origin: parsed.origin, prefix: segments.join('/'), suffix: ''};
	}

	const suffix = segments.slice(index + 1).join('/');
	return {
		origin: parsed.origin,
		prefix: segments.slice(0, index).join('/'),
		suffix: suffix === '' ? '' : `/${suffix}`,
	};
}

async function getVersions(http: HttpClient, service: ServiceName, url: string, options: {signal?: AbortSignal; isAuthenticated?: boolean} = {}): Promise<VersionEntry[]> {
	const {data} = await http.json({
		service, method: 'GET', url, auth: options.isAuthenticated ?? false, accept: [300], signal: options.signal,
	});
	return parseVersionDocument(data);
}

function failure(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}

/**
Cinder: `https://h:8776/v3/<project>`; the root lists `version` (max) and `min_version`.
*/
export async function discoverCinder(http: HttpClient, catalogUrl: string, projectId: string, signal?: AbortSignal): Promise<Discovered> {
	const parts = splitVersion(catalogUrl, /^v[123]$/v);
	const suffix = parts.suffix === '' ? `/${projectId}` : parts.suffix;
	const endpoint = `${parts.origin}${parts.prefix}/v3${suffix}`;
	const base: Microversion = {min: '3.0', max: '3.0'};
	try {
		// The root answers without a token; some deployments only expose the versioned root (`/v3/`), which needs one.
		const entries = await getVersions(http, 'cinder', `${parts.origin}${parts.prefix}/`, {signal}).catch(async (error: unknown) => {
			if (http.tokens === undefined) {
				throw error;
			}

			return getVersions(http, 'cinder', `${parts.origin}${parts.prefix}/v3/`, {signal, isAuthenticated: true});
		});
		const v3 = entries.find(entry => entry.id.startsWith('v3'));
		return v3 === undefined
			? {endpoint, microversion: base, warning: 'the version document lists no v3 API'}
			: {endpoint, microversion: {min: v3.minVersion ?? '3.0', max: v3.version ?? v3.maxVersion ?? '3.0'}};
	} catch (error) {
		signal?.throwIfAborted();
		return {endpoint, microversion: base, warning: `version discovery failed: ${failure(error)}`};
	}
}

/**
Nova: `https://h:8774/v2.1`; the root lists `v2.1` with `version` (max) and `min_version`.
*/
export async function discoverNova(http: HttpClient, catalogUrl: string, signal?: AbortSignal): Promise<Discovered> {
	const parts = splitVersion(catalogUrl, /^v2(?:\.\d+)?$/v);
	const endpoint = `${parts.origin}${parts.prefix}/v2.1${parts.suffix}`;
	const base: Microversion = {min: '2.1', max: '2.1'};
	try {
		const entries = await getVersions(http, 'nova', `${parts.origin}${parts.prefix}/`, {signal});
		const v21 = entries.find(entry => entry.id === 'v2.1');
		return v21?.version === undefined
			? {endpoint, microversion: base, warning: 'the version document lists no v2.1 microversions'}
			: {endpoint, microversion: {min: v21.minVersion ?? '2.1', max: v21.version}};
	} catch (error) {
		signal?.throwIfAborted();
		return {endpoint, microversion: base, warning: `version discovery failed: ${failure(error)}`};
	}
}

/**
Glance: usually unversioned (`https://h:9292`); minor versions are informational, reported as a range.
*/
export async function discoverGlance(http: HttpClient, catalogUrl: string, signal?: AbortSignal): Promise<Discovered> {
	const parts = splitVersion(catalogUrl, /^v2(?:\.\d+)?$/v);
	const endpoint = `${parts.origin}${parts.prefix}/v2`;
	const base: Microversion = {min: '2.0', max: '2.0'};
	try {
		const entries = await getVersions(http, 'glance', `${parts.origin}${parts.prefix}/`, {signal});
		const v2 = entries
			.map(entry => entry.id.startsWith('v') ? entry.id.slice(1) : entry.id)
			.filter(id => id.startsWith('2') && parseVersion(id) !== undefined)
			.toSorted(compareVersions);
		return v2.length === 0
			? {endpoint, microversion: base, warning: 'the version document lists no v2 API'}
			: {endpoint, microversion: {min: v2[0] ?? '2.0', max: v2.at(-1) ?? '2.0'}};
	} catch (error) {
		signal?.throwIfAborted();
		return {endpoint, microversion: base, warning: `version discovery failed: ${failure(error)}`};
	}
}

/**
Barbican: unversioned (`https://h:9311`); ≥ 1.1 lists `max_version`, 1.0 the `{"versions":{"values":[…]}}` shape.
*/
export async function discoverBarbican(http: HttpClient, catalogUrl: string, signal?: AbortSignal): Promise<Discovered> {
	const parts = splitVersion(catalogUrl, /^v1$/v);
	const endpoint = `${parts.origin}${parts.prefix}/v1`;
	const base: Microversion = {min: '1.0', max: '1.0'};
	try {
		const entries = await getVersions(http, 'barbican', `${parts.origin}${parts.prefix}/`, {signal});
		const v1 = entries.find(entry => entry.id.startsWith('v1'));
		return v1 === undefined
			? {endpoint, microversion: base, warning: 'the version document lists no v1 API'}
			: {endpoint, microversion: {min: v1.minVersion ?? '1.0', max: v1.maxVersion ?? v1.version ?? '1.0'}};
	} catch (error) {
		signal?.throwIfAborted();
		return {endpoint, microversion: base, warning: `version discovery failed: ${failure(error)}`};
	}
}
