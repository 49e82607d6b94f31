/*
Clouds.yaml / secure.yaml / OS_* read the way the `openstack` CLI (openstacksdk's loader + osc-lib) reads them.

- clouds file: OS_CLIENT_CONFIG_FILE, then cwd, $XDG_CONFIG_HOME/openstack, ~/.config/openstack, /etc/xdg/openstack,
  /etc/openstack; in each `clouds.yaml`, `clouds.yml`, `clouds.json`. The first file that exists wins (no merging between
  files); an unreadable one (EACCES) is skipped, a malformed one is an error (as in openstacksdk, where the parser raises).
- secure file: same search for `secure.*` (OS_CLIENT_SECURE_FILE first), deep-merged over the clouds file.
- OS_* variables: with only OS_* set they form the `envvars` cloud (OS_CLOUD_NAME renames it); with a named cloud, the
  auth options and OS_REGION_NAME / OS_INTERFACE / OS_CACERT / OS_CERT / OS_KEY / OS_INSECURE override the file's values,
  as osc-lib's argparse defaults do.
- Cloud choice: the `cloud` option, else OS_CLOUD, else the envvars cloud, else the only cloud there is.

Differences from OSC, on purpose: `str.format` interpolation of values is not done; `auth_type` is inferred as
`v3applicationcredential` when only application-credential fields are given (OSC would fail later with a vaguer error).
*/
/* eslint-disable @typescript-eslint/naming-convention -- clouds.yaml keys and OS_* variable names are snake_case by definition. */
import {readFile} from 'node:fs/promises';
import process from 'node:process';
import path from 'node:path';
import {parse as parseYaml} from 'yaml';
import {ConfigError} from './errors.js';
import type {ServiceName} from './types.js';

export type AuthType = 'password' | 'v3password' | 'v3applicationcredential' | 'token' | 'v3token';

export const supportedAuthTypes: readonly AuthType[] = ['password', 'v3password', 'v3applicationcredential', 'token', 'v3token'];

export type AuthOptions = {
	authUrl: string;
	username?: string;
	userId?: string;
	password?: string;
	userDomainName?: string;
	userDomainId?: string;
	projectName?: string;
	projectId?: string;
	projectDomainName?: string;
	projectDomainId?: string;
	applicationCredentialId?: string;
	applicationCredentialName?: string;
	applicationCredentialSecret?: string;
	token?: string;
};

export type ResolvedCloudConfig = {
	cloudName: string;
	/**
	Where the values came from, for messages: a file path, or `environment`.
	*/
	source: string;
	/**
	The secure.yaml merged over it, if any.
	*/
	secureFile?: string;
	authType: AuthType;
	auth: AuthOptions;
	regionName?: string;
	/**
	`public` unless configured; legacy `publicURL` forms are normalised.
	*/
	interface: string;
	identityApiVersion?: string;
	/**
	Path of a CA bundle (PEM).
	*/
	cacert?: string;
	cert?: string;
	key?: string;
	/**
	False when `verify: false` / `insecure: true` / OS_INSECURE: TLS certificates are NOT checked. Report it loudly.
	*/
	verify: boolean;
	/**
	`<service>_endpoint_override` from the cloud entry.
	*/
	endpointOverrides: Partial<Record<ServiceName, string>>;
	/**
	`<service>_interface`.
	*/
	interfaceOverrides: Partial<Record<ServiceName, string>>;
	/**
	Seconds, `api_timeout`.
	*/
	apiTimeout?: number;
	/**
	The OS_* variables that overrode or made this cloud (names only, never values).
	*/
	environmentVariables: string[];
};

export type ConfigLocation = {
	cloud?: string;
	env?: Record<string, string | undefined>;
	cwd?: string;
	home?: string;
	/**
	Site-wide directories; default `/etc/xdg/openstack`, `/etc/openstack`. Tests pass `[]`.
	*/
	systemDirs?: string[];
};

export type ConfiguredCloud = {
	name: string;
	/**
	The file that defines it, or `environment` for the cloud made of OS_* variables.
	*/
	source: string;
	regions?: string[];
};

type Dict = Record<string, unknown>;

type LoadedFile = {file: string; data: Dict};

const selectorVariables = new Set(['OS_CLOUD', 'OS_REGION_NAME', 'OS_CLIENT_CONFIG_FILE', 'OS_CLIENT_SECURE_FILE', 'OS_CLOUD_NAME']);
const ignoredPrefixes = ['OS_TEST', 'OS_STD', 'OS_LOG'];

/**
Keys that live under `auth:` (after normalisation).
*/
const authKeys = new Set([
	'auth_url',
	'username',
	'user_id',
	'password',
	'user_domain_name',
	'user_domain_id',
	'project_name',
	'project_id',
	'project_domain_name',
	'project_domain_id',
	'domain_name',
	'domain_id',
	'application_credential_id',
	'application_credential_name',
	'application_credential_secret',
	'token',
	'default_domain_id',
	'default_domain_name',
	'system_scope',
	'trust_id',
]);

/**
For these a value outside `auth:` beats the one inside (openstacksdk `_fix_backwards_project`).
*/
const scopeKeys = new Set(['project_name', 'project_id', 'project_domain_name', 'project_domain_id', 'domain_name', 'domain_id', 'user_domain_name', 'user_domain_id']);

/**
Variables osc-lib reads as argparse defaults, so they override a named cloud's values.
*/
const oscOverrides: Record<string, string> = {
	OS_AUTH_URL: 'auth_url',
	OS_AUTH_TYPE: 'auth_type',
	OS_AUTH_PLUGIN: 'auth_type',
	OS_USERNAME: 'username',
	OS_USER_ID: 'user_id',
	OS_PASSWORD: 'password',
	OS_PROJECT_NAME: 'project_name',
	OS_PROJECT_ID: 'project_id',
	OS_TENANT_NAME: 'project_name',
	OS_TENANT_ID: 'project_id',
	OS_USER_DOMAIN_NAME: 'user_domain_name',
	OS_USER_DOMAIN_ID: 'user_domain_id',
	OS_PROJECT_DOMAIN_NAME: 'project_domain_name',
	OS_PROJECT_DOMAIN_ID: 'project_domain_id',
	OS_DOMAIN_NAME: 'domain_name',
	OS_DOMAIN_ID: 'domain_id',
	OS_APPLICATION_CREDENTIAL_ID: 'application_credential_id',
	OS_APPLICATION_CREDENTIAL_NAME: 'application_credential_name',
	OS_APPLICATION_CREDENTIAL_SECRET: 'application_credential_secret',
	OS_TOKEN: 'token',
	OS_REGION_NAME: 'region_name',
	OS_INTERFACE: 'interface',
	OS_ENDPOINT_TYPE: 'interface',
	OS_IDENTITY_API_VERSION: 'identity_api_version',
	OS_CACERT: 'cacert',
	OS_CERT: 'cert',
	OS_KEY: 'key',
	OS_INSECURE: 'insecure',
};

/**
`<prefix>_endpoint_override` / `<prefix>_interface` prefixes, aliases included (os-service-types).
*/
const servicePrefixes: Record<string, ServiceName> = {
	identity: 'identity',
	block_storage: 'cinder',
	volumev3: 'cinder',
	volumev2: 'cinder',
	volume: 'cinder',
	block_store: 'cinder',
	image: 'glance',
	compute: 'nova',
	key_manager: 'barbican',
};

function isDict(value: unknown): value is Dict {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function normaliseKey(key: string): string {
	return key.replaceAll('-', '_').toLowerCase();
}

function normaliseKeys(value: Dict): Dict {
	const result: Dict = {};
	for (const [key, item] of Object.entries(value)) {
		result[normaliseKey(key)] = isDict(item) ? normaliseKeys(item) : item;
	}

	return result;
}

function deepMerge(base: Dict, over: Dict): Dict {
	const result: Dict = {...base};
	for (const [key, value] of Object.entries(over)) {
		const current = result[key];
		result[key] = isDict(current) && isDict(value) ? deepMerge(current, value) : value;
	}

	return result;
}

type Where = {env: Record<string, string | undefined>; cwd: string; home: string; systemDirs: string[]};

function resolveWhere(options: ConfigLocation): Where {
	const env = options.env ?? process.env;
	return {
		env,
		cwd: options.cwd ?? process.cwd(),
		home: options.home ?? env['HOME'] ?? process.env['HOME'] ?? '/',
		systemDirs: options.systemDirs ?? ['/etc/xdg/openstack', '/etc/openstack'],
	};
}

function searchDirectories(where: Where): string[] {
	const xdg = where.env['XDG_CONFIG_HOME'];
	const dirs = [
		where.cwd,
		...(xdg === undefined || xdg === '' ? [] : [path.join(xdg, 'openstack')]),
		path.join(where.home, '.config', 'openstack'),
		...where.systemDirs,
	];
	return [...new Set(dirs)];
}

function candidates(where: Where, base: 'clouds' | 'secure', override: string | undefined): string[] {
	const files: string[] = override === undefined || override === '' ? [] : [path.resolve(where.cwd, override)];
	for (const dir of searchDirectories(where)) {
		for (const extension of ['yaml', 'yml', 'json']) {
			files.push(path.join(dir, `${base}.${extension}`));
		}
	}

	return files;
}

/**
A file that is absent, unreadable (as openstacksdk: EACCES) or not a file is skipped.
*/
const skippedErrors = new Set(['ENOENT', 'EACCES', 'EISDIR', 'ENOTDIR']);

async function readFirst(files: string[]): Promise<LoadedFile | undefined> {
	for (const file of files) {
		let content: string;
		try {
			// eslint-disable-next-line no-await-in-loop -- the search order matters: first found wins.
			content = await readFile(file, 'utf8');
		} catch (error) {
			const {code} = (error as NodeJS.ErrnoException);
			if (code !== undefined && skippedErrors.has(code)) {
				continue;
			}

			throw new ConfigError(`cannot read ${file}: ${(error as Error).message}`, {file});
		}

		return {file, data: parseConfigText(content, file)};
	}

	return undefined;
}

function parseConfigText(content: string, file: string): Dict {
	let parsed: unknown;
	try {
		parsed = file.endsWith('.json') ? JSON.parse(content) as unknown : parseYaml(content, {prettyErrors: true}) as unknown;
	} catch (error) {
		const detail = (error as Error).message.split('\n', 1)[0] ?? '';
		throw new ConfigError(`${file} is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${detail}. Fix the file, or point OS_CLIENT_CONFIG_FILE at another one.`, {file});
	}

	if (parsed === null || parsed === undefined) {
		return {};
	}

	if (!isDict(parsed)) {
		throw new ConfigError(`${file} must hold a mapping with a "clouds:" key at the top, not a ${Array.isArray(parsed) ? 'list' : typeof parsed}.`, {file});
	}

	return parsed;
}

function cloudsOf(loaded: LoadedFile | undefined): Dict {
	if (!loaded) {
		return {};
	}

	const {clouds} = loaded.data;
	if (clouds === undefined || clouds === null) {
		return {};
	}

	if (!isDict(clouds)) {
		throw new ConfigError(`"clouds:" in ${loaded.file} must be a mapping of cloud names to settings.`, {file: loaded.file, field: 'clouds'});
	}

	return clouds;
}

/**
OS_* variables that would make up the envvars cloud (selectors and ignored prefixes left out).
*/
function environmentCloudVariables(env: Record<string, string | undefined>): string[] {
	return Object.keys(env)
		.filter(name => name.startsWith('OS_') && env[name] !== undefined && env[name] !== '')
		.filter(name => !selectorVariables.has(name) && ignoredPrefixes.every(prefix => !name.startsWith(prefix)))
		.toSorted();
}

function environmentCloudName(env: Record<string, string | undefined>): string {
	const name = env['OS_CLOUD_NAME'];
	return name === undefined || name === '' ? 'envvars' : name;
}

type Sources = {
	cloudsFile?: LoadedFile;
	secureFile?: LoadedFile;
	clouds: Dict;
	secureClouds: Dict;
	envVariables: string[];
	envCloudName: string;
};

async function readSources(where: Where): Promise<Sources> {
	const cloudsFile = await readFirst(candidates(where, 'clouds', where.env['OS_CLIENT_CONFIG_FILE']));
	const secureFile = await readFirst(candidates(where, 'secure', where.env['OS_CLIENT_SECURE_FILE']));
	const clouds = cloudsOf(cloudsFile);
	const secureClouds = cloudsOf(secureFile);
	const envVariables = environmentCloudVariables(where.env);
	const envCloudName = environmentCloudName(where.env);
	if (envVariables.length > 0 && Object.hasOwn(clouds, envCloudName)) {
		throw new ConfigError(
			`${cloudsFile?.file ?? 'clouds.yaml'} defines a cloud called '${envCloudName}', the name reserved for the cloud made of OS_* variables; `
			+ 'rename it, or set OS_CLOUD_NAME to another name.',
			{file: cloudsFile?.file, cloud: envCloudName},
		);
	}

	return {
		cloudsFile, secureFile, clouds, secureClouds, envVariables, envCloudName,
	};
}

function regionNames(entry: Dict): string[] {
	const {regions} = entry;
	if (Array.isArray(regions)) {
		return regions
			.map(region => typeof region === 'string' ? region : (isDict(region) && typeof region['name'] === 'string' ? region['name'] : undefined))
			.filter((name): name is string => name !== undefined);
	}

	const regionName = entry['region_name'];
	if (Array.isArray(regionName)) {
		return regionName.filter((name): name is string => typeof name === 'string');
	}

	return typeof regionName === 'string' && regionName !== '' ? [regionName] : [];
}

/**
Cloud names for a picker: the clouds file's entries, plus the OS_* cloud when those variables are set.
*/
export async function listConfiguredClouds(options: ConfigLocation = {}): Promise<ConfiguredCloud[]> {
	const where = resolveWhere(options);
	const sources = await readSources(where);
	const result: ConfiguredCloud[] = [];
	for (const [name, value] of Object.entries(sources.clouds)) {
		const secure = sources.secureClouds[name];
		const entry = normaliseKeys(deepMerge(isDict(value) ? value : {}, isDict(secure) ? secure : {}));
		const regions = regionNames(entry);
		result.push({name, source: sources.cloudsFile?.file ?? 'clouds.yaml', ...((regions.length > 0) && {regions})});
	}

	if (sources.envVariables.length > 0) {
		const regionName = where.env['OS_REGION_NAME'];
		result.push({name: sources.envCloudName, source: 'environment', ...(regionName !== undefined && regionName !== '' && {regions: [regionName]})});
	}

	return result;
}

function text(value: unknown): string | undefined {
	if (typeof value === 'string') {
		return value === '' ? undefined : value;
	}

	return typeof value === 'number' ? String(value) : undefined;
}

function bool(value: unknown): boolean | undefined {
	if (typeof value === 'boolean') {
		return value;
	}

	if (typeof value === 'string') {
		const lower = value.trim().toLowerCase();
		if (['1', 'true', 'yes', 'on'].includes(lower)) {
			return true;
		}

		if (['0', 'false', 'no', 'off', ''].includes(lower)) {
			return false;
		}
	}

	return undefined;
}

/**
Renames legacy keys the way openstacksdk does.
*/
function fixLegacy(entry: Dict): Dict {
	const result: Dict = {...entry};
	const rename = (from: string, to: string, target: Dict) => {
		if (!Object.hasOwn(target, from)) {
			return;
		}

		if (!Object.hasOwn(target, to)) {
			target[to] = target[from];
		}

		Reflect.deleteProperty(target, from);
	};

	rename('auth_plugin', 'auth_type', result);
	rename('endpoint_type', 'interface', result);
	rename('tenant_name', 'project_name', result);
	rename('tenant_id', 'project_id', result);
	for (const key of Object.keys(result)) {
		if (key.endsWith('_endpoint_type')) {
			rename(key, `${key.slice(0, -'_endpoint_type'.length)}_interface`, result);
		}
	}

	if (isDict(result['auth'])) {
		const auth = {...result['auth']};
		rename('tenant_name', 'project_name', auth);
		rename('tenant_id', 'project_id', auth);
		result['auth'] = auth;
	}

	return result;
}

/**
Moves auth options written at the top level into `auth:` (scope keys at the top level win; others lose to `auth:`).
*/
function liftAuth(entry: Dict): {top: Dict; auth: Dict} {
	const top: Dict = {};
	const auth: Dict = isDict(entry['auth']) ? {...entry['auth']} : {};
	for (const [key, value] of Object.entries(entry)) {
		if (key === 'auth') {
			continue;
		}

		if (authKeys.has(key)) {
			if (scopeKeys.has(key) || !Object.hasOwn(auth, key)) {
				auth[key] = value;
			}

			continue;
		}

		top[key] = value;
	}

	return {top, auth};
}

function normaliseInterface(value: string): string {
	const lower = value.toLowerCase();
	return lower.endsWith('url') ? lower.slice(0, -3) : lower;
}

function pickRegion(entry: Dict, requested: string | undefined, context: {file: string; cloud: string}): {regionName?: string; values: Dict} {
	const {regions} = entry;
	const names = regionNames(entry);
	const chosen = requested ?? names[0];
	if (requested !== undefined && names.length > 0 && !names.includes(requested)) {
		throw new ConfigError(
			`region '${requested}' is not one of cloud '${context.cloud}''s regions in ${context.file} (${names.join(', ')}); `
			+ 'pick one of those or fix OS_REGION_NAME.',
			{...context, field: 'region_name'},
		);
	}

	let values: Dict = {};
	if (Array.isArray(regions)) {
		const match: unknown = regions.find(region => isDict(region) && region['name'] === chosen);
		if (isDict(match) && isDict(match['values'])) {
			values = normaliseKeys(match['values']);
		}
	}

	return {regionName: chosen, values};
}

type Context = {file: string; cloud: string};

function chooseCloudName(options: ConfigLocation, where: Where, sources: Sources): string {
	const osCloud = where.env['OS_CLOUD'];
	const requested = options.cloud ?? (osCloud === '' ? undefined : osCloud);
	if (requested !== undefined) {
		return requested;
	}

	if (sources.envVariables.length > 0) {
		return sources.envCloudName;
	}

	const names = Object.keys(sources.clouds);
	const cloudsFile = sources.cloudsFile?.file;
	const [only] = names;
	if (only !== undefined && names.length === 1) {
		return only;
	}

	if (names.length === 0) {
		const searched = cloudsFile ?? `clouds.yaml (looked in ${searchDirectories(where).join(', ')})`;
		throw new ConfigError(
			`no cloud configured: no ${searched} and no OS_* variables. Create a clouds.yaml (e.g. ~/.config/openstack/clouds.yaml, downloadable from Horizon) or source an openrc file.`,
			{file: cloudsFile},
		);
	}

	throw new ConfigError(`${cloudsFile} defines several clouds (${names.join(', ')}); choose one with --os-cloud NAME or OS_CLOUD=NAME.`, {file: cloudsFile});
}

/**
The cloud made of OS_* variables: `OS_FOO` becomes key `foo`.
*/
function environmentEntry(env: Record<string, string | undefined>, sources: Sources): {entry: Dict; variables: string[]} {
	const entry: Dict = {};
	const variables = [...sources.envVariables];
	for (const name of sources.envVariables) {
		entry[normaliseKey(name.slice(3))] = env[name];
	}

	const region = env['OS_REGION_NAME'];
	if (region !== undefined && region !== '') {
		entry['region_name'] = region;
		variables.push('OS_REGION_NAME');
	}

	return {entry, variables};
}

/**
A named cloud of the clouds file, with its secure.yaml part merged in.
*/
function fileEntry(cloudName: string, where: Where, sources: Sources): {entry: Dict; source: string} {
	const cloudsFile = sources.cloudsFile?.file;
	const raw = sources.clouds[cloudName];
	if (raw === undefined) {
		const known = [...Object.keys(sources.clouds), ...(sources.envVariables.length > 0 ? [sources.envCloudName] : [])];
		const searched = cloudsFile ?? `clouds.yaml (looked in ${searchDirectories(where).join(', ')})`;
		throw new ConfigError(`cloud '${cloudName}' not found in ${searched}; known clouds: ${known.length > 0 ? known.join(', ') : 'none'}.`, {file: cloudsFile, cloud: cloudName});
	}

	if (!isDict(raw)) {
		throw new ConfigError(`cloud '${cloudName}' in ${cloudsFile} must be a mapping of settings (auth:, region_name:…).`, {file: cloudsFile, cloud: cloudName});
	}

	const secure = sources.secureClouds[cloudName];
	const entry = normaliseKeys(isDict(secure) ? deepMerge(raw, secure) : raw);
	const source = cloudsFile ?? 'clouds.yaml';
	// Vendor profiles (clouds-public.yaml) are not read; say so rather than fail obscurely later.
	const profile = text(entry['profile']) ?? text(entry['cloud']);
	if (profile !== undefined && !isDict(entry['auth'])) {
		throw new ConfigError(
			`cloud '${cloudName}' in ${source} uses vendor profile '${profile}', which backstack does not read; `
			+ 'write auth_url and region_name into the cloud entry.',
			{file: source, cloud: cloudName, field: 'profile'},
		);
	}

	return {entry, source};
}

/**
Osc-lib: auth options and a few connection options from the environment override a named cloud.
*/
function applyEnvironmentOverrides(entry: Dict, env: Record<string, string | undefined>): {entry: Dict; variables: string[]} {
	const result: Dict = {...entry};
	const authOverride: Dict = {};
	const variables: string[] = [];
	for (const [variable, key] of Object.entries(oscOverrides)) {
		const value = env[variable];
		if (value === undefined || value === '') {
			continue;
		}

		variables.push(variable);
		if (variable === 'OS_REGION_NAME') {
			// Checked against the cloud's regions later, as openstacksdk does.
			continue;
		}

		if (authKeys.has(key)) {
			authOverride[key] = value;
			// A top-level scope key would otherwise beat the environment in liftAuth.
			Reflect.deleteProperty(result, key);
		} else {
			result[key] = value;
		}
	}

	if (Object.keys(authOverride).length > 0) {
		result['auth'] = {...(isDict(result['auth']) && result['auth']), ...authOverride};
	}

	return {entry: result, variables};
}

function resolveAuthType(top: Dict, auth: Dict, context: Context): AuthType {
	const raw = text(top['auth_type'])?.toLowerCase().replaceAll('-', '_');
	if (raw === undefined) {
		const hasPassword = text(auth['password']) !== undefined;
		if (!hasPassword && text(auth['application_credential_secret']) !== undefined) {
			return 'v3applicationcredential';
		}

		return !hasPassword && text(auth['token']) !== undefined ? 'token' : 'password';
	}

	if ((supportedAuthTypes as readonly string[]).includes(raw)) {
		return raw as AuthType;
	}

	throw new ConfigError(
		`cloud '${context.cloud}' in ${context.file} uses auth_type '${raw}', which backstack does not support; `
		+ `use one of ${supportedAuthTypes.join(', ')} (an application credential works for most federated/SSO accounts).`,
		{...context, field: 'auth_type'},
	);
}

function checkAuthUrl(auth: Dict, context: Context): string {
	const authUrl = text(auth['auth_url']);
	if (authUrl === undefined) {
		throw new ConfigError(
			`cloud '${context.cloud}' in ${context.file} has no auth.auth_url; `
			+ 'add it (e.g. auth_url: https://keystone.example.com:5000/v3) or set OS_AUTH_URL.',
			{...context, field: 'auth.auth_url'},
		);
	}

	let protocol = '';
	try {
		({protocol} = new URL(authUrl));
	} catch {
		// Reported below.
	}

	if (protocol !== 'http:' && protocol !== 'https:') {
		throw new ConfigError(`cloud '${context.cloud}' in ${context.file}: auth.auth_url '${authUrl}' is not an http(s) URL.`, {...context, field: 'auth.auth_url'});
	}

	return authUrl;
}

const authFields: Array<[keyof AuthOptions, string]> = [
	['username', 'username'],
	['userId', 'user_id'],
	['password', 'password'],
	['userDomainName', 'user_domain_name'],
	['userDomainId', 'user_domain_id'],
	['projectName', 'project_name'],
	['projectId', 'project_id'],
	['projectDomainName', 'project_domain_name'],
	['projectDomainId', 'project_domain_id'],
	['applicationCredentialId', 'application_credential_id'],
	['applicationCredentialName', 'application_credential_name'],
	['applicationCredentialSecret', 'application_credential_secret'],
	['token', 'token'],
];

/**
Domain shorthand: `domain_*` fills the user and project domains that are not set.
*/
function applyDomainShorthand(options: AuthOptions, auth: Dict): void {
	const domainId = text(auth['domain_id']);
	const domainName = text(auth['domain_name']);
	if (domainId === undefined && domainName === undefined) {
		return;
	}

	const domain = domainId === undefined ? {name: domainName} : {id: domainId};
	if (options.userDomainId === undefined && options.userDomainName === undefined) {
		options.userDomainId = domain.id;
		options.userDomainName = domain.name;
	}

	const isProjectScoped = options.projectName !== undefined || options.projectId !== undefined;
	if (!(isProjectScoped && options.projectDomainId === undefined && options.projectDomainName === undefined)) {
		return;
	}

	options.projectDomainId = domain.id;
	options.projectDomainName = domain.name;
}

function buildAuthOptions(authUrl: string, auth: Dict, authType: AuthType, env: Record<string, string | undefined>): AuthOptions {
	const options: AuthOptions = {authUrl};
	for (const [key, from] of authFields) {
		const value = text(auth[from]);
		if (value !== undefined) {
			options[key] = value;
		}
	}

	applyDomainShorthand(options, auth);
	if (authType === 'password' || authType === 'v3password') {
		// Osc-lib: OS_DEFAULT_DOMAIN (default `default`) fills the domains a v3 password login needs.
		const defaultDomain = text(auth['default_domain_id']) ?? env['OS_DEFAULT_DOMAIN'] ?? 'default';
		if (options.userDomainId === undefined && options.userDomainName === undefined && options.userId === undefined) {
			options.userDomainId = defaultDomain;
		}

		if (options.projectDomainId === undefined && options.projectDomainName === undefined && options.projectName !== undefined && options.projectId === undefined) {
			options.projectDomainId = defaultDomain;
		}
	}

	// Drop the keys the shorthand left undefined.
	return compactAuth(options);
}

function compactAuth(options: AuthOptions): AuthOptions {
	const result: AuthOptions = {authUrl: options.authUrl};
	for (const [key] of authFields) {
		const value = options[key];
		if (value !== undefined) {
			result[key] = value;
		}
	}

	return result;
}

function checkCredentials(options: AuthOptions, authType: AuthType, context: Context): void {
	const missing = (field: string, hint: string) => new ConfigError(`cloud '${context.cloud}' in ${context.file} has no ${field}; ${hint}.`, {...context, field});
	switch (authType) {
		case 'password':
		case 'v3password': {
			if (options.username === undefined && options.userId === undefined) {
				throw missing('auth.username', 'add username (or user_id) under auth:, or set OS_USERNAME');
			}

			if (options.password === undefined) {
				throw missing('auth.password', 'add it to secure.yaml next to clouds.yaml, or set OS_PASSWORD');
			}

			break;
		}

		case 'v3applicationcredential': {
			if (options.applicationCredentialSecret === undefined) {
				throw missing('auth.application_credential_secret', 'add it (secure.yaml is a good place), or set OS_APPLICATION_CREDENTIAL_SECRET');
			}

			if (options.applicationCredentialId === undefined && options.applicationCredentialName === undefined) {
				throw missing('auth.application_credential_id', 'add application_credential_id (or _name with username), or set OS_APPLICATION_CREDENTIAL_ID');
			}

			if (options.applicationCredentialId === undefined && options.username === undefined && options.userId === undefined) {
				throw missing('auth.username', 'an application credential given by name also needs username (or user_id) and user_domain_name');
			}

			break;
		}

		case 'token':
		case 'v3token': {
			if (options.token === undefined) {
				throw missing('auth.token', 'add token under auth:, or set OS_TOKEN (e.g. from `openstack token issue`)');
			}

			break;
		}
	}
}

/**
`<service>_endpoint_override` and `<service>_interface`, service aliases included.
*/
function serviceOverrides(top: Dict): {endpointOverrides: Partial<Record<ServiceName, string>>; interfaceOverrides: Partial<Record<ServiceName, string>>} {
	const endpointOverrides: Partial<Record<ServiceName, string>> = {};
	const interfaceOverrides: Partial<Record<ServiceName, string>> = {};
	for (const [key, value] of Object.entries(top)) {
		const valueText = text(value);
		if (valueText === undefined) {
			continue;
		}

		const serviceOfOverride = key.endsWith('_endpoint_override') ? servicePrefixes[key.slice(0, -'_endpoint_override'.length)] : undefined;
		if (serviceOfOverride !== undefined) {
			endpointOverrides[serviceOfOverride] = valueText;
		}

		const serviceOfInterface = key.endsWith('_interface') ? servicePrefixes[key.slice(0, -'_interface'.length)] : undefined;
		if (serviceOfInterface !== undefined) {
			interfaceOverrides[serviceOfInterface] = normaliseInterface(valueText);
		}
	}

	return {endpointOverrides, interfaceOverrides};
}

/**
TLS files (resolved from cwd), verification and the request timeout.
*/
function connectionOptions(top: Dict, cwd: string): Pick<ResolvedCloudConfig, 'cacert' | 'cert' | 'key' | 'verify' | 'apiTimeout'> {
	const insecure = bool(top['insecure']);
	const apiTimeout = Number(text(top['api_timeout']) ?? NaN);
	const resolvePath = (value: string | undefined) => value === undefined ? undefined : path.resolve(cwd, value);
	const cacert = resolvePath(text(top['cacert']));
	const cert = resolvePath(text(top['cert']));
	const key = resolvePath(text(top['key']));
	return {
		...(cacert !== undefined && {cacert}),
		...(cert !== undefined && {cert}),
		...(key !== undefined && {key}),
		verify: insecure === undefined ? bool(top['verify']) ?? true : !insecure,
		...(Number.isFinite(apiTimeout) && apiTimeout > 0 && {apiTimeout}),
	};
}

/**
Loads the cloud the `openstack` CLI would use, with the same files and OS_* variables.
*/
export async function loadCloudConfig(options: ConfigLocation = {}): Promise<ResolvedCloudConfig> {
	const where = resolveWhere(options);
	const {env} = where;
	const sources = await readSources(where);
	const cloudName = chooseCloudName(options, where, sources);
	const isEnvCloud = sources.envVariables.length > 0 && cloudName === sources.envCloudName;
	let entry: Dict;
	let source: string;
	let environmentVariables: string[];
	if (isEnvCloud) {
		({entry, variables: environmentVariables} = environmentEntry(env, sources));
		source = 'environment';
		entry = fixLegacy(entry);
	} else {
		({entry, source} = fileEntry(cloudName, where, sources));
		({entry, variables: environmentVariables} = applyEnvironmentOverrides(fixLegacy(entry), env));
	}

	const context: Context = {file: source, cloud: cloudName};
	const region = pickRegion(entry, isEnvCloud ? undefined : text(env['OS_REGION_NAME']), context);
	const {top, auth} = liftAuth({...entry, ...region.values});
	const authType = resolveAuthType(top, auth, context);
	const identityApiVersion = text(top['identity_api_version']);
	if (identityApiVersion !== undefined && !identityApiVersion.startsWith('3')) {
		throw new ConfigError(
			`cloud '${cloudName}' in ${source} sets identity_api_version ${identityApiVersion}; `
			+ 'backstack speaks Keystone v3 only: set it to 3.',
			{...context, field: 'identity_api_version'},
		);
	}

	const authOptions = buildAuthOptions(checkAuthUrl(auth, context), auth, authType, env);
	checkCredentials(authOptions, authType, context);

	const secureFile = !isEnvCloud && isDict(sources.secureClouds[cloudName]) ? sources.secureFile?.file : undefined;
	return {
		cloudName,
		source,
		...(secureFile !== undefined && {secureFile}),
		authType,
		auth: authOptions,
		...(region.regionName !== undefined && {regionName: region.regionName}),
		interface: normaliseInterface(text(top['interface']) ?? 'public'),
		...(identityApiVersion !== undefined && {identityApiVersion}),
		...connectionOptions(top, where.cwd),
		...serviceOverrides(top),
		environmentVariables: [...new Set(environmentVariables)].toSorted(),
	};
}

/**
The config without secrets, for logs and the "raw" view.
*/
export function redactConfig(config: ResolvedCloudConfig): ResolvedCloudConfig {
	const auth = {...config.auth};
	for (const key of ['password', 'applicationCredentialSecret', 'token'] as const) {
		if (auth[key] !== undefined) {
			auth[key] = '<redacted>';
		}
	}

	return {...config, auth};
}
