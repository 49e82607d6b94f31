/*
Keystone v3: issuing and renewing project-scoped tokens, the catalog, the user's projects.

- Token ID from the `X-Subject-Token` header; body `{"token": {...}}`.
- Renewed when fewer than 120 s remain (keystoneauth's rule) and once after a 401 (the HTTP layer asks).
- Application credentials carry their own scope: no `scope` in the request (Keystone answers 401 otherwise).
*/
import type {AuthOptions, AuthType} from './config.js';
import {ConfigError, OpenStackError} from './errors.js';
import type {HttpClient, TokenSource} from './http.js';
import type {Endpoint, Project, TokenInfo} from './types.js';
import {
	asArray,
	asObject,
	nameOf,
	string,
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
	if (/\/v3(?:\.\d+)?$/.test(path)) {
		url.pathname = path;
		return trimSlash(url.toString());
	}

	if (path.endsWith('/v2.0')) {
		url.pathname = path.replace(/\/v2\.0$/, '/v3');
		return trimSlash(url.toString());
	}

	url.pathname = `${path}/v3`;
	return trimSlash(url.toString());
}

export type Scope = 'none' | {projectId: string} | {projectName: string; domainId?: string; domainName?: string};

function scopeOf(auth: AuthOptions): Scope {
	if (auth.projectId) {
		return {projectId: auth.projectId};
	}

	return auth.projectName ? {projectName: auth.projectName, domainId: auth.projectDomainId, domainName: auth.projectDomainName} : 'none';
}

function scopeBody(scope: Scope): Json | undefined {
	if (scope === 'none') {
		return undefined;
	}

	if ('projectId' in scope) {
		return {project: {id: scope.projectId}};
	}

	const domain = scope.domainId ? {id: scope.domainId} : {name: scope.domainName ?? 'Default'};
	return {project: {name: scope.projectName, domain}};
}

function userBody(auth: AuthOptions): Json {
	if (auth.userId) {
		return {id: auth.userId};
	}

	const domain = auth.userDomainId ? {id: auth.userDomainId} : {name: auth.userDomainName ?? 'Default'};
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
			const credential: Json = auth.applicationCredentialId
				? {id: auth.applicationCredentialId, secret: auth.applicationCredentialSecret}
				: {name: auth.applicationCredentialName, secret: auth.applicationCredentialSecret, user: userBody(auth)};
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

function parseCatalog(value: unknown): Endpoint[] {
	const endpoints: Endpoint[] = [];
	for (const serviceValue of asArray(value)) {
		const service = asObject(serviceValue);
		const type = string(service?.['type']);
		if (!service || !type) {
			continue;
		}

		for (const endpointValue of asArray(service['endpoints'])) {
			const endpoint = asObject(endpointValue);
			const url = string(endpoint?.['url']);
			if (!endpoint || !url) {
				continue;
			}

			const item: Endpoint = {serviceType: type, interface: string(endpoint['interface']) ?? 'public', url};
			const name = string(service['name']);
			if (name) {
				item.serviceName = name;
			}

			const region = string(endpoint['region_id']) ?? string(endpoint['region']);
			if (region) {
				item.region = region;
			}

			endpoints.push(item);
		}
	}

	return endpoints;
}

export function parseToken(id: string, body: unknown): IssuedToken {
	const token = asObject(asObject(body)?.['token']) ?? {};
	const user = asObject(token['user']) ?? {};
	const project = asObject(token['project']);
	const roles = asArray(token['roles']).map(role => string(asObject(role)?.['name'])).filter((name): name is string => Boolean(name));
	const expiresAt = utcRequired(token['expires_at']);
	const info: TokenInfo = {
		userId: nameOf(user['id']),
		userName: nameOf(user['name']),
		projectId: nameOf(project?.['id']),
		projectName: nameOf(project?.['name']),
		roles,
		expiresAt,
		issuedAt: utcRequired(token['issued_at']),
	};
	const userDomain = string(asObject(user['domain'])?.['id']);
	if (userDomain) {
		info.userDomainId = userDomain;
	}

	const projectDomain = string(asObject(project?.['domain'])?.['id']);
	if (projectDomain) {
		info.projectDomainId = projectDomain;
	}

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
		if (!id) {
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

export async function listUserProjects(http: HttpClient, identityUrl: string, signal?: AbortSignal): Promise<Project[]> {
	const projects: Project[] = [];
	let url: string | undefined = `${identityUrl}/auth/projects`;
	const seen = new Set<string>();
	while (url && !seen.has(url)) {
		seen.add(url);
		// eslint-disable-next-line no-await-in-loop -- pages are sequential.
		const {data} = await http.json({
			service: 'identity', method: 'GET', url, signal,
		});
		const body = asObject(data);
		for (const value of asArray(body?.['projects'])) {
			const project = asObject(value);
			if (!project) {
				continue;
			}

			const item: Project = {id: nameOf(project['id']), name: nameOf(project['name']), enabled: project['enabled'] !== false};
			const domainId = string(project['domain_id']);
			if (domainId) {
				item.domainId = domainId;
			}

			projects.push(item);
		}

		const next = string(asObject(body?.['links'])?.['next']);
		// Keystone's next link carries its own host; keep only path + query on our identity endpoint.
		url = next ? rebase(next, identityUrl) : undefined;
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
	return base.toString();
}

export function describeMissingProject(cloud: string, source: string, projects: Project[]): ConfigError {
	const names = projects.map(project => project.name).join(', ');
	return new ConfigError(`cloud '${cloud}' in ${source} names no project and the user has ${projects.length === 0 ? 'none' : `several (${names})`}; add auth.project_name (or OS_PROJECT_NAME).`, {cloud, file: source, field: 'auth.project_name'});
}
