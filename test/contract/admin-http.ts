/*
Calls the suite needs for its setup but backstack's client deliberately does not offer (Cinder quota sets as admin; Nova
server create, attach and delete, Glance image property removal, as the member).
Raw HTTP with a token of our own; the token and password never leave this module (errors carry status and path only).
*/
import type {BackstackSession, ResolvedCloudConfig} from '../../source/openstack/index.js';

type Issued = {token: string; expires: number};

const tokens = new WeakMap<ResolvedCloudConfig, Issued>();

async function adminToken(config: ResolvedCloudConfig): Promise<string> {
	const cached = tokens.get(config);
	if (cached && cached.expires > Date.now() + 60_000) {
		return cached.token;
	}

	const {auth} = config;
	if (auth.password === undefined || (auth.username === undefined && auth.userId === undefined)) {
		throw new Error(`cloud ${config.cloudName}: the contract suite needs a password cloud for admin calls`);
	}

	const user = auth.userId === undefined
		? {name: auth.username, domain: auth.userDomainId === undefined ? {name: auth.userDomainName ?? 'Default'} : {id: auth.userDomainId}, password: auth.password}
		: {id: auth.userId, password: auth.password};
	const project = auth.projectId === undefined
		? {name: auth.projectName, domain: auth.projectDomainId === undefined ? {name: auth.projectDomainName ?? 'Default'} : {id: auth.projectDomainId}}
		: {id: auth.projectId};
	const response = await fetch(`${auth.authUrl.replace(/\/$/v, '')}${auth.authUrl.includes('/v3') ? '' : '/v3'}/auth/tokens`, {
		method: 'POST',
		headers: {'content-type': 'application/json', accept: 'application/json'},
		body: JSON.stringify({auth: {identity: {methods: ['password'], password: {user}}, scope: {project}}}),
	});
	const token = response.headers.get('x-subject-token');
	await response.body?.cancel();
	if (token === null || response.status !== 201) {
		throw new Error(`admin login for ${config.cloudName}: HTTP ${response.status}`);
	}

	tokens.set(config, {token, expires: Date.now() + (30 * 60_000)});
	return token;
}

/**
`METHOD <cinder endpoint of the admin's project>/<path>` as admin; resolves to the parsed JSON body.
*/
export async function adminCinderRequest(admin: BackstackSession, config: ResolvedCloudConfig, request: {method: string; path: string; body?: unknown}): Promise<unknown> {
	const {method, path, body} = request;
	const endpoint = admin.identity.catalog().find(entry => (entry.serviceType === 'block-storage' || entry.serviceType === 'volumev3') && entry.interface === 'public');
	if (!endpoint) {
		throw new Error('the admin catalog has no block-storage endpoint');
	}

	const url = `${endpoint.url.replace(/\/$/v, '')}/${path}`;
	const response = await fetch(url, {
		method,
		headers: {
			accept: 'application/json',
			'x-auth-token': await adminToken(config),
			...(body !== undefined && {'content-type': 'application/json'}),
		},
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	const text = await response.text();
	if (!response.ok) {
		throw new Error(`admin ${method} ${new URL(url).pathname}: HTTP ${response.status} ${text.slice(0, 300)}`);
	}

	return text === '' ? undefined : JSON.parse(text) as unknown;
}

/**
`METHOD <service endpoint>/<path>` as the cloud's user, for calls backstack's client does not offer: Nova's server
create, attach and delete (at compute microversion 2.74, which allows `networks: 'none'`), and Glance's removal of an
image property (a JSON patch). Resolves to the status and the parsed JSON body (a 404 is returned, not thrown).
*/
export async function userRequest(
	session: BackstackSession,
	config: ResolvedCloudConfig,
	request: {service: 'compute' | 'image'; method: string; path: string; body?: unknown; contentType?: string; headers?: Record<string, string>},
): Promise<{status: number; body: unknown}> {
	const {
		service, method, path, body,
	} = request;
	const endpoint = session.identity.catalog().find(entry => entry.serviceType === service && entry.interface === 'public');
	if (!endpoint) {
		throw new Error(`the catalog has no ${service} endpoint`);
	}

	const base = endpoint.url.replace(/\/$/v, '');
	const url = `${service === 'image' && !base.endsWith('/v2') ? `${base}/v2` : base}/${path}`;
	const response = await fetch(url, {
		method,
		headers: {
			accept: 'application/json',
			'x-auth-token': await adminToken(config),
			...(service === 'compute' && {'openstack-api-version': 'compute 2.74'}),
			...(body !== undefined && {'content-type': request.contentType ?? 'application/json'}),
			...request.headers,
		},
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	const text = await response.text();
	if (!response.ok && response.status !== 404) {
		throw new Error(`${method} ${new URL(url).pathname}: HTTP ${response.status} ${text.slice(0, 300)}`);
	}

	return {status: response.status, body: text === '' ? undefined : JSON.parse(text) as unknown};
}
