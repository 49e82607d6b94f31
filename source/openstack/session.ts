/*
`openSession`: authenticate, read the catalog, discover each service's versions, hand out the service clients.
*/
import type {
	CallOptions,
	CloudSession,
	IdentityApi,
	ServiceStatus,
	SwitchOptions,
} from './api.js';
import {createBarbican} from './barbican.js';
import {createCinder} from './cinder.js';
import type {ResolvedCloudConfig} from './config.js';
import {
	describeMissingEndpoint,
	discoverBarbican,
	discoverCinder,
	discoverGlance,
	discoverNova,
	selectEndpoint,
	type Discovered,
} from './discovery.js';
import {createGlance} from './glance.js';
import {HttpClient, type DebugSink, type FetchFunction} from './http.js';
import {
	createAuthenticator,
	describeMissingProject,
	listCloudProjects,
	listUserProjects,
	TokenManager,
	type Authenticator,
	type IssuedToken,
} from './keystone.js';
import {createNova} from './nova.js';
import type {ServiceContext} from './service.js';
import type {ServiceName} from './types.js';
import {chooseMicroversion} from './util.js';

/**
Highest microversions backstack was written and tested for.
*/
export const cinderMicroversionCap = '3.70';
export const novaMicroversionCap = '2.96';

export type SessionOptions = {
	debug?: DebugSink;
	/**
	Per-request timeout (until response headers), ms. Default: `api_timeout` of the cloud, else 60 000.
	*/
	timeoutMs?: number;
	/**
	What one request may take in all, retries included, ms (see HttpClientOptions.totalTimeoutMs). Default 45 000.
	*/
	totalTimeoutMs?: number;
	signal?: AbortSignal;
	/**
	For tests: the clock used for token expiry, and the wait between retries.
	*/
	now?: () => number;
	sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
	fetch?: FetchFunction;
};

/**
Extra facts about a session that are not part of the `CloudSession` contract.
*/
export type SessionDetails = {
	/**
	TLS certificates are not verified (`verify: false` / `insecure`). Say so loudly.
	*/
	tlsInsecure: boolean;
	identityUrl: string;
	/**
	Per service: the base URL in use and any discovery warning.
	*/
	discovery: Partial<Record<ServiceName, Discovered>>;
};

export type BackstackSession = CloudSession & {details: SessionDetails};

type Built = {
	config: ResolvedCloudConfig;
	http: HttpClient;
	authenticator: Authenticator;
	tokens: TokenManager;
	options: SessionOptions;
	closer: AbortController;
	/**
	Discovery answers by service and catalog URL, shared by a session and the sessions it switches to (a fleet audit
	opens one per project: Glance's, Nova's and Barbican's URLs are the same in each; Cinder's carries the project).
	*/
	discoveries: Map<string, Promise<Discovered | undefined>>;
};

async function discover(built: Built, service: ServiceName, url: string | undefined, signal?: AbortSignal): Promise<Discovered | undefined> {
	if (url === undefined || url === '') {
		return undefined;
	}

	const key = `${service} ${url} ${service === 'cinder' ? built.tokens.current.info.projectId : ''}`;
	const known = built.discoveries.get(key);
	if (known) {
		return known;
	}

	const asked = discoverAt(built, service, url, signal);
	built.discoveries.set(key, asked);
	try {
		const result = await asked;
		if (result?.warning !== undefined) {
			built.discoveries.delete(key);
		}

		return result;
	} catch (error) {
		built.discoveries.delete(key);
		throw error;
	}
}

async function discoverAt(built: Built, service: ServiceName, url: string, signal?: AbortSignal): Promise<Discovered | undefined> {
	const {http} = built;
	switch (service) {
		case 'cinder': {
			return discoverCinder(http, url, built.tokens.current.info.projectId, signal);
		}

		case 'nova': {
			return discoverNova(http, url, signal);
		}

		case 'glance': {
			return discoverGlance(http, url, signal);
		}

		case 'barbican': {
			return discoverBarbican(http, url, signal);
		}

		case 'identity': {
			return undefined;
		}
	}
}

async function buildSession(built: Built, signal?: AbortSignal, only?: readonly ServiceName[]): Promise<BackstackSession> {
	const {config, tokens} = built;
	const token = tokens.current;
	const region = config.regionName;
	const services = (['cinder', 'glance', 'nova', 'barbican'] as const).filter(service => only === undefined || only.includes(service));
	const statuses: Record<ServiceName, ServiceStatus> = {
		identity: {state: 'ok', endpoint: built.authenticator.identityUrl},
		cinder: {state: 'missing', reason: ''},
		glance: {state: 'missing', reason: ''},
		nova: {state: 'missing', reason: ''},
		barbican: {state: 'missing', reason: ''},
	};
	const discovered: Partial<Record<ServiceName, Discovered>> = {};
	await Promise.all(services.map(async service => {
		const selection = {interface: config.interfaceOverrides[service] ?? config.interface, region};
		const endpoint = selectEndpoint(token.catalog, service, selection);
		const result = await discover(built, service, config.endpointOverrides[service] ?? endpoint?.url, signal);
		if (result) {
			discovered[service] = result;
			statuses[service] = result.warning !== undefined && result.warning !== ''
				? {state: 'error', reason: result.warning}
				: {state: 'ok', endpoint: result.endpoint, microversion: result.microversion};
		} else {
			statuses[service] = {state: 'missing', reason: describeMissingEndpoint(token.catalog, service, selection)};
		}
	}));

	const context = (service: ServiceName, headers: Record<string, string>): ServiceContext | undefined => {
		const result = discovered[service];
		if (!result) {
			return undefined;
		}

		return {
			service, http: built.http, endpoint: result.endpoint, microversion: result.microversion, headers, projectId: token.info.projectId,
		};
	};

	const cinderResult = discovered.cinder;
	const cinderVersion = cinderResult ? chooseMicroversion(cinderResult.microversion, cinderMicroversionCap) : undefined;
	const cinderContext = context('cinder', cinderVersion === undefined ? {} : {'OpenStack-API-Version': `volume ${cinderVersion}`});
	const novaResult = discovered.nova;
	const novaVersion = novaResult ? chooseMicroversion(novaResult.microversion, novaMicroversionCap) : undefined;
	const novaContext = context('nova', novaVersion === undefined ? {} : {'OpenStack-API-Version': `compute ${novaVersion}`, 'X-OpenStack-Nova-API-Version': novaVersion});
	const glanceContext = context('glance', {});
	const barbicanContext = context('barbican', {});

	const identity: IdentityApi = {
		token: () => structuredClone(tokens.current.info),
		catalog: () => structuredClone(tokens.current.catalog),
		listProjects: async (options?: CallOptions) => listUserProjects(built.http, built.authenticator.identityUrl, options?.signal),
		listAllProjects: async (options?: CallOptions) => listCloudProjects(built.http, built.authenticator.identityUrl, options?.signal),
	};

	const session: BackstackSession = {
		cloudName: config.cloudName,
		...(region !== undefined && {region}),
		identity,
		services: () => structuredClone(statuses),
		async switchProject(projectId: string, options?: SwitchOptions) {
			return openScoped(built, projectId, options?.signal, options?.services);
		},
		close() {
			built.closer.abort(new DOMException('Session closed', 'AbortError'));
		},
		insecure: built.http.tlsInsecure,
		...(cinderContext !== undefined && {cinder: createCinder(cinderContext)}),
		...(glanceContext !== undefined && {glance: createGlance(glanceContext)}),
		...(novaContext !== undefined && {nova: createNova(novaContext)}),
		...(barbicanContext !== undefined && {barbican: createBarbican(barbicanContext)}),
		details: {
			tlsInsecure: built.http.tlsInsecure,
			identityUrl: built.authenticator.identityUrl,
			discovery: discovered,
		},
	};
	return session;
}

function makeHttp(config: ResolvedCloudConfig, options: SessionOptions, closer: AbortController, tokens?: TokenManager): HttpClient {
	return new HttpClient({
		tokens,
		debug: options.debug,
		timeoutMs: options.timeoutMs ?? (config.apiTimeout === undefined ? undefined : config.apiTimeout * 1000),
		totalTimeoutMs: options.totalTimeoutMs,
		tls: {
			cacert: config.cacert, verify: config.verify, cert: config.cert, key: config.key,
		},
		sleep: options.sleep,
		fetch: options.fetch,
		closeSignal: closer.signal,
	});
}

/**
A session on another project of the same user: the current token re-scoped (no password asked again).
*/
async function openScoped(parent: Built, projectId: string, signal?: AbortSignal, only?: readonly ServiceName[]): Promise<BackstackSession> {
	const current = await parent.tokens.token(signal);
	const first = await parent.authenticator.rescope(current, projectId, signal);
	const canReissue = parent.config.authType === 'password' || parent.config.authType === 'v3password';
	const renew = async (renewSignal?: AbortSignal): Promise<IssuedToken> => canReissue
		? parent.authenticator.issue({projectId}, renewSignal)
		: parent.authenticator.rescope(await parent.tokens.token(renewSignal), projectId, renewSignal);
	const tokens = new TokenManager(first, renew, parent.options.now);
	const closer = new AbortController();
	const built: Built = {
		...parent, tokens, closer, http: parent.http.withTokens(tokens, closer.signal),
	};
	return buildSession(built, signal, only);
}

/**
Authenticates with the configured cloud and returns a project-scoped session.
*/
export async function openSession(config: ResolvedCloudConfig, options: SessionOptions = {}): Promise<BackstackSession> {
	const closer = new AbortController();
	const plain = makeHttp(config, options, closer);
	const authenticator = createAuthenticator(plain, config.authType, config.auth, {cloud: config.cloudName, source: config.source});
	let first = await authenticator.issue(undefined, options.signal);
	let scope: {projectId: string} | undefined;
	if (first.unscoped && config.authType !== 'v3applicationcredential') {
		// No project configured: use the user's only project, else ask for one.
		const probe = plain.withTokens({
			token: async () => first.id,
			reauthenticate: async () => first.id,
		});
		const projects = await listUserProjects(probe, authenticator.identityUrl, options.signal);
		const only = projects.length === 1 ? projects[0] : undefined;
		if (!only) {
			throw describeMissingProject(config.cloudName, config.source, projects);
		}

		scope = {projectId: only.id};
		first = await authenticator.rescope(first.id, only.id, options.signal);
	}

	const renew = async (signal?: AbortSignal): Promise<IssuedToken> => authenticator.issue(scope, signal);
	const tokens = new TokenManager(first, renew, options.now);
	const http = plain.withTokens(tokens);
	return buildSession({
		config, http, authenticator, tokens, options, closer, discoveries: new Map(),
	}, options.signal);
}
