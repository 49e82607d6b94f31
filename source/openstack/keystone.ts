/*
Keystone v3: issuing and renewing project-scoped tokens, the catalog, the user's projects.

- Token ID from the `X-Subject-Token` header; body `{"token": {...}}`.
- Renewed when fewer than 120 s remain (keystoneauth's rule) and once after a 401 (the HTTP layer asks).
- Application credentials carry their own scope: no `scope` in the request (Keystone answers 401 otherwise).
*/
/* eslint-disable @typescript-eslint/naming-convention -- Keystone's request bodies are snake_case JSON. */
import type {AuthOptions, AuthType} from './config.js';
import {ConfigError, OpenStackError} from './errors.js';
import type {HttpClient, TokenSource} from './http.js';
import type {Endpoint, Project, TokenInfo} from './types.js';
import {
	asArray,
	asObject,
	nameOf,
	nonEmpty,
	trimSlash,
	utcRequired,
	type Json,
} from './util.js';

export const minTokenLifeMs = 120_000;

export type IssuedToken = {
	id: string;
	info: TokenInfo;
	catalog: Endpoint[];
	expiresAtMs: number;
	/**
	Scope-less token (no project): no catalog, no roles.
	*/
	unscoped: boolean;
};

/**
Where Keystone v3 lives: the auth_url with `/v3` when it is unversioned.
*/
export function identityBase(authUrl: string): string {
	const url = new URL(authUrl);
	const path = trimSlash(url.pathname);
	if (/\/v3(?:\.\d+)?$/v.test(path)) {
		url.pathname = path;
	} else if (path.endsWith('/v2.0')) {
		url.pathname = `${path.slice(0, -'/v2.0'.length)}/v3`;
	} else {
		url.pathname = `${path}/v3`;
	}

	return trimSlash(url.href);
}

export type Scope = 'none' | {projectId: string} | {projectName: string; domainId?: string; domainName?: string};

function scopeOf(auth: AuthOptions): Scope {
	if (auth.projectId !== undefined) {
		return {projectId: auth.projectId};
	}

	return auth.projectName === undefined ? 'none' : {projectName: auth.projectName, domainId: auth.projectDomainId, domainName: auth.projectDomainName};
}

function scopeBody(scope: Scope): Json | undefined {
	if (scope === 'none') {
		return undefined;
	}

	if ('projectId' in scope) {
		return {project: {id: scope.projectId}};
	}

	const domain = scope.domainId === undefined ? {name: scope.domainName ?? 'Default'} : {id: scope.domainId};
	return {project: {name: scope.projectName, domain}};
}

function userBody(auth: AuthOptions): Json {
	if (auth.userId !== undefined) {
		return {id: auth.userId};
	}

	const domain = auth.userDomainId === undefined ? {name: auth.userDomainName ?? 'Default'} : {id: auth.userDomainId};
	return {name: auth.username, domain};
}

/**
The `auth` request body. Exported for tests; holds secrets, so never log it.
*/
export function authRequestBody(authType: AuthType | 'rescope', auth: AuthOptions, scope: Scope, currentToken?: string): Json {
	let identity: Json;
	let isScoped = true;
	switch (authType) {
		case 'password':
		case 'v3password': {
			identity = {methods: ['password'], password: {user: {...userBody(auth), password: auth.password}}};
			break;
		}

		case 'v3applicationcredential': {
			const credential: Json = auth.applicationCredentialId === undefined
				? {name: auth.applicationCredentialName, secret: auth.applicationCredentialSecret, user: userBody(auth)}
				: {id: auth.applicationCredentialId, secret: auth.applicationCredentialSecret};
			identity = {methods: ['application_credential'], application_credential: credential};
			isScoped = false;
			break;
		}

		case 'token':
		case 'v3token': {
			identity = {methods: ['token'], token: {id: auth.token}};
			break;
		}

		case 'rescope': {
			identity = {methods: ['token'], token: {id: currentToken}};
			break;
		}
	}

	const body: Json = {identity};
	const scopeJson = isScoped ? scopeBody(scope) : undefined;
	if (scopeJson) {
		body['scope'] = scopeJson;
	}

	return {auth: body};
}

function parseEndpoint(type: string, serviceName: string | undefined, value: unknown): Endpoint | undefined {
	const endpoint = asObject(value);
	const url = nonEmpty(endpoint?.['url']);
	if (endpoint === undefined || url === undefined) {
		return undefined;
	}

	const region = nonEmpty(endpoint['region_id']) ?? nonEmpty(endpoint['region']);
	return {
		serviceType: type,
		...(serviceName !== undefined && {serviceName}),
		interface: nonEmpty(endpoint['interface']) ?? 'public',
		...(region !== undefined && {region}),
		url,
	};
}

function parseCatalog(value: unknown): Endpoint[] {
	return asArray(value).flatMap(serviceValue => {
		const service = asObject(serviceValue);
		const type = nonEmpty(service?.['type']);
		if (service === undefined || type === undefined) {
			return [];
		}

		const name = nonEmpty(service['name']);
		return asArray(service['endpoints'])
			.map(endpoint => parseEndpoint(type, name, endpoint))
			.filter((endpoint): endpoint is Endpoint => endpoint !== undefined);
	});
}

export function parseToken(id: string, body: unknown): IssuedToken {
	const token = asObject(asObject(body)?.['token']) ?? {};
	const user = asObject(token['user']) ?? {};
	const project = asObject(token['project']);
	const roles = asArray(token['roles']).map(role => nonEmpty(asObject(role)?.['name'])).filter((name): name is string => name !== undefined);
	const expiresAt = utcRequired(token['expires_at']);
	const userDomainId = nonEmpty(asObject(user['domain'])?.['id']);
	const projectDomainId = nonEmpty(asObject(project?.['domain'])?.['id']);
	const info: TokenInfo = {
		userId: nameOf(user['id']),
		userName: nameOf(user['name']),
		...(userDomainId !== undefined && {userDomainId}),
		projectId: nameOf(project?.['id']),
		projectName: nameOf(project?.['name']),
		...(projectDomainId !== undefined && {projectDomainId}),
		roles,
		expiresAt,
		issuedAt: utcRequired(token['issued_at']),
	};

	return {
		id,
		info,
		catalog: parseCatalog(token['catalog']),
		expiresAtMs: Date.parse(expiresAt),
		unscoped: project === undefined,
	};
}

export type Authenticator = {
	/**
	Issues a token for `scope` (or the configured one).
	*/
	issue(scope?: Scope, signal?: AbortSignal): Promise<IssuedToken>;
	/**
	Re-scopes an existing token (method `token`).
	*/
	rescope(tokenId: string, projectId: string, signal?: AbortSignal): Promise<IssuedToken>;
	identityUrl: string;
};

export function createAuthenticator(http: HttpClient, authType: AuthType, auth: AuthOptions, context: {cloud: string; source: string}): Authenticator {
	const identityUrl = identityBase(auth.authUrl);

	async function post(body: Json, signal?: AbortSignal): Promise<IssuedToken> {
		const {data, response} = await http.json({
			service: 'identity', method: 'POST', url: `${identityUrl}/auth/tokens`, json: body, auth: false, signal,
		});
		const id = response.headers.get('x-subject-token');
		if (id === null || id === '') {
			throw new OpenStackError({
				service: 'identity', method: 'POST', path: new URL(`${identityUrl}/auth/tokens`).pathname, status: response.status,
				serviceMessage: 'Keystone answered without an X-Subject-Token header: is auth_url really a Keystone v3 endpoint?',
			});
		}

		return parseToken(id, data);
	}

	return {
		identityUrl,
		async issue(scope, signal) {
			try {
				return await post(authRequestBody(authType, auth, scope ?? scopeOf(auth)), signal);
			} catch (error) {
				if (error instanceof OpenStackError && error.status === 401) {
					throw new OpenStackError({
						service: 'identity', method: 'POST', path: error.path, status: 401, requestId: error.requestId,
						serviceMessage: `${error.serviceMessage ?? 'authentication failed'} — check the credentials of cloud '${context.cloud}' (${context.source})`,
					});
				}

				throw error;
			}
		},
		async rescope(tokenId, projectId, signal) {
			return post(authRequestBody('rescope', auth, {projectId}, tokenId), signal);
		},
	};
}

/**
Keeps a valid token: renews it when < 120 s remain, or on demand after a 401. Concurrent callers share one renewal.
*/
export class TokenManager implements TokenSource {
	#current: IssuedToken;
	readonly #renew: (signal?: AbortSignal) => Promise<IssuedToken>;
	readonly #now: () => number;
	#pending?: Promise<IssuedToken>;
	readonly #listeners = new Set<(token: IssuedToken) => void>();

	constructor(initial: IssuedToken, renew: (signal?: AbortSignal) => Promise<IssuedToken>, now: () => number = Date.now) {
		this.#current = initial;
		this.#renew = renew;
		this.#now = now;
	}

	get current(): IssuedToken {
		return this.#current;
	}

	onRenew(listener: (token: IssuedToken) => void): void {
		this.#listeners.add(listener);
	}

	async token(signal?: AbortSignal): Promise<string> {
		return this.#current.expiresAtMs - this.#now() < minTokenLifeMs ? this.reauthenticate(signal) : this.#current.id;
	}

	async reauthenticate(signal?: AbortSignal): Promise<string> {
		this.#pending ??= this.#renew(signal).then(token => {
			this.#current = token;
			for (const listener of this.#listeners) {
				listener(token);
			}

			return token;
		}).finally(() => {
			this.#pending = undefined;
		});
		const token = await this.#pending;
		return token.id;
	}
}

function toProject(value: unknown): Project | undefined {
	const project = asObject(value);
	if (project === undefined) {
		return undefined;
	}

	const domainId = nonEmpty(project['domain_id']);
	return {
		id: nameOf(project['id']),
		name: nameOf(project['name']),
		...(domainId !== undefined && {domainId}),
		enabled: project['enabled'] !== false,
	};
}

export async function listUserProjects(http: HttpClient, identityUrl: string, signal?: AbortSignal): Promise<Project[]> {
	return listProjectsAt(http, `${identityUrl}/auth/projects`, identityUrl, signal);
}

/**
`GET /v3/projects`: every project of the cloud (Keystone's `identity:list_projects`, admin only by default: 403 otherwise).
*/
export async function listCloudProjects(http: HttpClient, identityUrl: string, signal?: AbortSignal): Promise<Project[]> {
	return listProjectsAt(http, `${identityUrl}/projects`, identityUrl, signal);
}

async function listProjectsAt(http: HttpClient, first: string, identityUrl: string, signal?: AbortSignal): Promise<Project[]> {
	const projects: Project[] = [];
	let url: string | undefined = first;
	const seen = new Set<string>();
	while (url !== undefined && !seen.has(url)) {
		seen.add(url);
		// eslint-disable-next-line no-await-in-loop -- pages are sequential.
		const {data} = await http.json({
			service: 'identity', method: 'GET', url, signal,
		});
		const body = asObject(data);
		projects.push(...asArray(body?.['projects']).map(value => toProject(value)).filter((project): project is Project => project !== undefined));
		const next = nonEmpty(asObject(body?.['links'])?.['next']);
		// Keystone's next link carries its own host; keep only path + query on our identity endpoint.
		url = next === undefined ? undefined : rebase(next, identityUrl);
	}

	return projects;
}

function rebase(link: string, identityUrl: string): string {
	const parsed = new URL(link, identityUrl);
	const base = new URL(identityUrl);
	const basePath = trimSlash(base.pathname);
	const v3 = parsed.pathname.indexOf('/v3/');
	const rest = v3 === -1 ? parsed.pathname : parsed.pathname.slice(v3 + 3);
	base.pathname = `${basePath}${rest}`;
	base.search = parsed.search;
	return base.href;
}

export function describeMissingProject(cloud: string, source: string, projects: Project[]): ConfigError {
	const names = projects.map(project => project.name).join(', ');
	return new ConfigError(
		`cloud '${cloud}' in ${source} names no project and the user has ${projects.length === 0 ? 'none' : `several (${names})`}; `
		+ 'add auth.project_name (or OS_PROJECT_NAME).',
		{cloud, file: source, field: 'auth.project_name'},
	);
}
