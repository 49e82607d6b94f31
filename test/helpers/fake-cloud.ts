/*
A fake OpenStack on the test HTTP server: Keystone that issues and checks tokens, a catalog pointing back at the same
server under path prefixes (/identity, /volume, /compute, /image, /key-manager), and version documents shaped like the
real services'. Service routes are added by each test with `cloud.route(...)`, which rejects a bad token the way
keystonemiddleware does (401, Keystone error JSON) before the handler runs.
*/
/* eslint-disable @typescript-eslint/naming-convention -- the fake services answer in OpenStack's snake_case JSON. */
import {readFileSync} from 'node:fs';
import type {ResolvedCloudConfig} from '../../source/openstack/config.js';
import {
	createHttpServer,
	type Handler,
	type RecordedRequest,
	type Reply,
	type TestServer,
} from './http-server.js';

export const password = 'pw-Secret-42';
export const appCredentialSecret = 'ac-Secret-77';

export type FakeCloudOptions = {
	projectId?: string;
	projectName?: string;
	roles?: string[];
	/**
	Token lifetime; default one hour.
	*/
	tokenLifetimeMs?: number;
	cinderMax?: string;
	novaMax?: string;
	/**
	Services left out of the catalog.
	*/
	without?: Array<'cinder' | 'glance' | 'nova' | 'barbican'>;
	/**
	Extra projects the user may switch to.
	*/
	projects?: Array<{id: string; name: string}>;
	region?: string;
};

export type FakeCloud = {
	server: TestServer;
	url: string;
	config: ResolvedCloudConfig;
	projectId: string;
	/**
	Token IDs issued, in order.
	*/
	issued: string[];
	/**
	Makes every token issued so far invalid (as after expiry): the next service call gets a 401.
	*/
	revokeAll(): void;
	/**
	Keystone auth requests, in order.
	*/
	authRequests(): RecordedRequest[];
	/**
	Adds a service route that first checks X-Auth-Token.
	*/
	route(method: string, path: string, handler: Handler | Reply): void;
	/**
	Base URLs as the catalog announces them.
	*/
	endpoints: {identity: string; cinder: string; nova: string; glance: string; barbican: string};
};

type Teardown = {teardown(fn: () => unknown): void};

export function fixture<T = Record<string, unknown>>(name: string): T {
	return JSON.parse(readFileSync(new URL(`../fixtures/openstack/${name}`, import.meta.url), 'utf8')) as T;
}

function keystoneError(code: number, title: string, message: string): Reply {
	return {
		status: code,
		json: {error: {code, title, message}},
		headers: code === 401 ? {'www-authenticate': 'Keystone uri="http://127.0.0.1/identity"'} : {},
	};
}

export async function createFakeCloud(t: Teardown, options: FakeCloudOptions = {}): Promise<FakeCloud> {
	const server = await createHttpServer(t);
	const {url} = server;
	const projectId = options.projectId ?? '8e1e6f12e0a74026a0698897be8cb876';
	const projectName = options.projectName ?? 'demo';
	const projects = [{id: projectId, name: projectName}, ...(options.projects ?? [])];
	const lifetime = options.tokenLifetimeMs ?? 3_600_000;
	const region = options.region ?? 'RegionOne';
	const valid = new Map<string, string>();
	const issued: string[] = [];
	const without = new Set(options.without);

	const endpoints = {
		identity: `${url}/identity/v3`,
		cinder: `${url}/volume/v3/${projectId}`,
		nova: `${url}/compute/v2.1`,
		glance: `${url}/image`,
		barbican: `${url}/key-manager`,
	};

	function catalog(project: string) {
		const entry = (type: string, name: string, publicUrl: string) => ({
			type,
			name,
			id: `svc-${type}`,
			endpoints: [
				{
					id: `${type}-public`, interface: 'public', region_id: region, region, url: publicUrl,
				},
				{
					id: `${type}-internal`, interface: 'internal', region_id: region, region, url: 'https://internal.invalid:1/',
				},
			],
		});
		const cinderUrl = `${url}/volume/v3/${project}`;
		const services = [
			entry('identity', 'keystone', endpoints.identity),
			...(without.has('cinder') ? [] : [entry('volumev3', 'cinderv3', cinderUrl), entry('block-storage', 'cinder', cinderUrl)]),
			...(without.has('nova') ? [] : [entry('compute', 'nova', endpoints.nova)]),
			...(without.has('glance') ? [] : [entry('image', 'glance', endpoints.glance)]),
			...(without.has('barbican') ? [] : [entry('key-manager', 'barbican', endpoints.barbican)]),
		];
		return services;
	}

	function issue(project: {id: string; name: string}, methods: string[]): Reply {
		const id = `gAAAAAtoken-${issued.length + 1}-${project.id.slice(0, 6)}`;
		issued.push(id);
		valid.set(id, project.id);
		const now = Date.now();
		return {
			status: 201,
			headers: {'x-subject-token': id, 'x-openstack-request-id': `req-auth-${issued.length}`},
			json: {
				token: {
					methods,
					roles: (options.roles ?? ['member', 'reader']).map((name, index) => ({id: `role-${index}`, name})),
					expires_at: new Date(now + lifetime).toISOString().replace('Z', '000Z'),
					issued_at: new Date(now).toISOString().replace('Z', '000Z'),
					project: {id: project.id, name: project.name, domain: {id: 'default', name: 'Default'}},
					user: {id: 'user-7ebf', name: 'demo', domain: {id: 'default', name: 'Default'}},
					catalog: catalog(project.id),
					audit_ids: ['audit'],
				},
			},
		};
	}

	server.route('POST', '/identity/v3/auth/tokens', request => {
		const body = request.json() as {auth: {identity: Record<string, unknown> & {methods: string[]}; scope?: {project?: {id?: string; name?: string}}}};
		const {identity, scope} = body.auth;
		const method = identity.methods[0] ?? '';
		switch (method) {
			case 'password': {
				const {user} = (identity['password'] as {user: {password?: string}});
				if (user.password !== password) {
					return keystoneError(401, 'Unauthorized', 'The request you have made requires authentication.');
				}

				break;
			}

			case 'application_credential': {
				if (scope !== undefined) {
					return keystoneError(401, 'Unauthorized', 'Application credentials cannot request a scope.');
				}

				const credential = identity['application_credential'] as {secret?: string};
				return credential.secret === appCredentialSecret
					? issue(projects[0]!, ['application_credential'])
					: keystoneError(401, 'Unauthorized', 'The request you have made requires authentication.');
			}

			case 'token': {
				const tokenId = (identity['token'] as {id?: string}).id ?? '';
				if (!valid.has(tokenId)) {
					return keystoneError(404, 'Not Found', `Could not find token: ${tokenId.slice(0, 4)}…`);
				}

				break;
			}

			default: {
				return keystoneError(401, 'Unauthorized', `unsupported method ${method}`);
			}
		}

		const wanted = scope?.project;
		if (!wanted) {
			const id = `gAAAAAunscoped-${issued.length + 1}`;
			issued.push(id);
			valid.set(id, '');
			return {
				status: 201,
				headers: {'x-subject-token': id},
				json: {
					token: {
						methods: [method], expires_at: new Date(Date.now() + lifetime).toISOString(), issued_at: new Date().toISOString(),
						user: {id: 'user-7ebf', name: 'demo', domain: {id: 'default', name: 'Default'}},
					},
				},
			};
		}

		const project = projects.find(candidate => candidate.id === wanted.id || candidate.name === wanted.name);
		return project ? issue(project, [method ?? 'password']) : keystoneError(401, 'Unauthorized', 'User has no access to project');
	});

	const checked = (handler: Handler | Reply): Handler => async request => {
		const token = request.header('x-auth-token');
		if (token === undefined || !valid.has(token)) {
			return keystoneError(401, 'Unauthorized', 'The request you have made requires authentication.');
		}

		return typeof handler === 'function' ? handler(request) : handler;
	};

	server.route('GET', '/identity/v3/auth/projects', checked({
		json: {
			projects: projects.map(project => ({
				id: project.id, name: project.name, domain_id: 'default', enabled: true, links: {self: `${url}/identity/v3/projects/${project.id}`},
			})),
			links: {self: `${url}/identity/v3/auth/projects`, previous: null, next: null},
		},
	}));

	// Version documents (no token needed), shaped like the real ones.
	const cinderVersions = fixture<{versions: Array<Record<string, unknown>>}>('cinder-versions.json');
	server.route('GET', '/volume/', () => ({
		status: 300,
		json: {versions: cinderVersions.versions.map(version => ({...version, version: options.cinderMax ?? '3.70'}))},
	}));
	server.route('GET', '/compute/', {
		json: {
			versions: [
				{
					id: 'v2.0', status: 'SUPPORTED', version: '', min_version: '', updated: '2011-01-21T11:33:21Z',
				},
				{
					id: 'v2.1', status: 'CURRENT', version: options.novaMax ?? '2.93', min_version: '2.1', updated: '2013-07-23T11:33:21Z',
				},
			],
		},
	});
	server.route('GET', '/image/', {
		status: 300,
		json: {versions: [{id: 'v2.16', status: 'CURRENT'}, {id: 'v2.15', status: 'SUPPORTED'}, {id: 'v2.0', status: 'SUPPORTED'}]},
	});
	server.route('GET', '/key-manager/', {
		status: 300,
		json: {
			versions: [{
				id: 'v1', status: 'CURRENT', min_version: '1.0', max_version: '1.1', links: [],
			}],
		},
	});

	const config: ResolvedCloudConfig = {
		cloudName: 'fake',
		source: '/tmp/fake/clouds.yaml',
		authType: 'password',
		auth: {
			authUrl: `${url}/identity/v3`,
			username: 'demo',
			password,
			userDomainName: 'Default',
			projectName,
			projectDomainName: 'Default',
		},
		regionName: region,
		interface: 'public',
		verify: true,
		endpointOverrides: {},
		interfaceOverrides: {},
		environmentVariables: [],
	};

	return {
		server,
		url,
		config,
		projectId,
		issued,
		endpoints,
		revokeAll() {
			valid.clear();
		},
		authRequests: () => server.calls('POST', '/identity/v3/auth/tokens'),
		route(method, path, handler) {
			server.route(method, path, checked(handler));
		},
	};
}
