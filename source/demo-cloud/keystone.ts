/* eslint-disable unicorn/prefer-iterator-helpers, unicorn/prefer-iterator-to-array -- the project's TypeScript lib has no iterator helpers. */
/* eslint-disable @typescript-eslint/naming-convention -- OpenStack's wire format is snake_case. */
/*
Keystone v3 under /identity: version documents, token issue (password, application credential, token re-scope),
validation/revocation, the user's projects and the service catalog that points back at this server.
*/
import {createHash, randomBytes} from 'node:crypto';
import {isTokenLive, tokenRoles} from './auth.js';
import {
	HttpError,
	Router,
	header,
	hexId,
	isRecord,
	jsonBody,
	keystoneErrorReply,
	keystoneTime,
	type Reply,
	type RequestContext,
} from './http.js';
import type {ServiceModule} from './server.js';
import type {
	DemoState,
	ProjectRecord,
	TokenRecord,
	UserRecord,
} from './state.js';

export const region = 'RegionOne';

type CatalogService = {type: string; name: string; path: (projectId: string) => string};

const catalogServices: CatalogService[] = [
	{type: 'identity', name: 'keystone', path: () => '/identity'},
	{type: 'volumev3', name: 'cinderv3', path: projectId => `/volume/v3/${projectId}`},
	{type: 'block-storage', name: 'cinder', path: projectId => `/volume/v3/${projectId}`},
	{type: 'image', name: 'glance', path: () => '/image'},
	{type: 'compute', name: 'nova', path: () => '/compute/v2.1'},
	{type: 'key-manager', name: 'barbican', path: () => '/key-manager'},
];

function stableId(text: string): string {
	return createHash('md5').update(text).digest('hex');
}

export function buildCatalog(origin: string, projectId: string): unknown[] {
	return catalogServices.map(service => ({
		id: stableId(`service:${service.type}`),
		type: service.type,
		name: service.name,
		endpoints: ['public', 'internal'].map(anInterface => ({
			id: stableId(`endpoint:${service.type}:${anInterface}`),
			interface: anInterface,
			region_id: region,
			region,
			url: `${origin}${service.path(projectId)}`,
		})),
	}));
}

function unauthorized(message = 'The request you have made requires authentication.'): HttpError {
	return new HttpError(401, message);
}

function versionEntry(origin: string): Record<string, unknown> {
	return {
		id: 'v3.14',
		status: 'stable',
		updated: '2020-04-07T00:00:00Z',
		links: [{rel: 'self', href: `${origin}/identity/v3/`}],
		'media-types': [{base: 'application/json', type: 'application/vnd.openstack.identity-v3+json'}],
	};
}

function projectView(origin: string, project: ProjectRecord): Record<string, unknown> {
	return {
		id: project.id,
		name: project.name,
		domain_id: project.domainId,
		description: project.description,
		enabled: project.enabled,
		parent_id: project.domainId,
		is_domain: false,
		tags: [],
		options: {},
		links: {self: `${origin}/identity/v3/projects/${project.id}`},
	};
}

export function createKeystone(state: DemoState): ServiceModule {
	const router = new Router();

	const liveToken = (id: string | undefined): TokenRecord => {
		const token = id === undefined ? undefined : state.tokens.get(id);
		if (!isTokenLive(state, token)) {
			throw unauthorized();
		}

		return token;
	};

	const callerToken = (context: RequestContext): TokenRecord => liveToken(header(context, 'x-auth-token'));

	const findUser = (spec: unknown): UserRecord => {
		if (!isRecord(spec)) {
			throw new HttpError(400, 'Expecting to find user in identity. The server could not comply with the '
				+ 'request since it is either malformed or otherwise incorrect. The client is assumed to be in error.');
		}

		if (typeof spec['id'] === 'string') {
			const user = state.users.get(spec['id']);
			if (user) {
				return user;
			}
		} else if (typeof spec['name'] === 'string') {
			const domain = isRecord(spec['domain']) ? spec['domain'] : undefined;
			if (!domain || (domain['id'] !== state.domain.id && domain['name'] !== state.domain.name)) {
				throw unauthorized();
			}

			const user = state.userByName(spec['name']);
			if (user) {
				return user;
			}
		}

		throw unauthorized();
	};

	const scopedProject = (scope: unknown, user: UserRecord): ProjectRecord | undefined => {
		if (scope === undefined || scope === 'unscoped') {
			return scope === undefined && user.defaultProjectId !== undefined && state.rolesOf(user.id, user.defaultProjectId).length > 0 ? state.projects.get(user.defaultProjectId) : undefined;
		}

		if (!isRecord(scope) || !isRecord(scope['project'])) {
			throw unauthorized('The demo cloud only supports project scope.');
		}

		const spec = scope['project'];
		let project: ProjectRecord | undefined;
		if (typeof spec['id'] === 'string') {
			project = state.projects.get(spec['id']);
		} else if (typeof spec['name'] === 'string') {
			const domain = isRecord(spec['domain']) ? spec['domain'] : undefined;
			if (domain && (domain['id'] === state.domain.id || domain['name'] === state.domain.name)) {
				project = state.projectByName(spec['name']);
			}
		}

		if (!project) {
			throw unauthorized(`Could not find project: ${JSON.stringify(spec['id'] ?? spec['name'])}.`);
		}

		if (state.rolesOf(user.id, project.id).length === 0) {
			throw unauthorized(`User ${user.id} has no access to project ${project.id}`);
		}

		return project;
	};

	const tokenBody = (context: RequestContext, token: TokenRecord, hasCatalog: boolean): Record<string, unknown> => {
		const user = state.users.get(token.userId);
		const body: Record<string, unknown> = {
			methods: token.methods,
			user: {
				domain: {id: state.domain.id, name: state.domain.name},
				id: token.userId,
				name: user?.name,
				password_expires_at: null,
			},
			audit_ids: [token.auditId],
			expires_at: keystoneTime(token.expiresAt),
			issued_at: keystoneTime(token.issuedAt),
		};
		if (token.projectId !== undefined) {
			const project = state.projects.get(token.projectId);
			body['project'] = {domain: {id: state.domain.id, name: state.domain.name}, id: token.projectId, name: project?.name};
			body['is_domain'] = false;
			body['roles'] = tokenRoles(state, token).map(name => ({id: state.roles.get(name), name}));
			if (hasCatalog) {
				body['catalog'] = buildCatalog(context.origin, token.projectId);
			}
		}

		if (token.applicationCredentialId !== undefined) {
			const credential = state.applicationCredentials.get(token.applicationCredentialId);
			body['application_credential'] = {id: credential?.id, name: credential?.name, restricted: !credential?.unrestricted};
		}

		return body;
	};

	const issue = (fields: {userId: string; projectId?: string; methods: string[]; applicationCredentialId?: string; expiresAt?: number}): TokenRecord => {
		const issuedAt = state.now();
		const token: TokenRecord = {
			id: `gAAAAAB${randomBytes(132).toString('base64url')}`,
			userId: fields.userId,
			projectId: fields.projectId,
			methods: fields.methods,
			issuedAt,
			expiresAt: Math.min(fields.expiresAt ?? Infinity, issuedAt + (state.tokenTtlSeconds * 1000)),
			auditId: randomBytes(16).toString('base64url').slice(0, 22),
			applicationCredentialId: fields.applicationCredentialId,
		};
		state.tokens.set(token.id, token);
		return token;
	};

	router.add('GET', '', context => ({status: 300, json: {versions: {values: [versionEntry(context.origin)]}}}));
	router.add('GET', 'v3', context => ({status: 200, json: {version: versionEntry(context.origin)}}));

	const passwordToken = (auth: Record<string, unknown>, identity: Record<string, unknown>): TokenRecord => {
		const password = isRecord(identity['password']) ? identity['password'] : {};
		const user = findUser(password['user']);
		const given = isRecord(password['user']) ? password['user']['password'] : undefined;
		if (given !== user.password) {
			throw unauthorized();
		}

		return issue({userId: user.id, projectId: scopedProject(auth['scope'], user)?.id, methods: ['password']});
	};

	const credentialToken = (auth: Record<string, unknown>, identity: Record<string, unknown>): TokenRecord => {
		if (auth['scope'] !== undefined) {
			throw unauthorized('Application credentials cannot request a scope.');
		}

		const spec = isRecord(identity['application_credential']) ? identity['application_credential'] : {};
		let credential = typeof spec['id'] === 'string' ? state.applicationCredentials.get(spec['id']) : undefined;
		if (!credential && typeof spec['name'] === 'string') {
			const user = findUser(spec['user']);
			credential = [...state.applicationCredentials.values()].find(candidate => candidate.userId === user.id && candidate.name === spec['name']);
		}

		if (!credential || spec['secret'] !== credential.secret || (credential.expiresAt !== undefined && credential.expiresAt <= state.now())) {
			throw unauthorized();
		}

		return issue({
			userId: credential.userId, projectId: credential.projectId, methods: ['application_credential'], applicationCredentialId: credential.id, expiresAt: credential.expiresAt,
		});
	};

	const tokenToken = (auth: Record<string, unknown>, identity: Record<string, unknown>): TokenRecord => {
		const spec = isRecord(identity['token']) ? identity['token'] : {};
		const previous = liveToken(typeof spec['id'] === 'string' ? spec['id'] : undefined);
		if (previous.applicationCredentialId !== undefined) {
			throw new HttpError(403, 'You are not authorized to perform the requested action: Application credentials cannot re-scope tokens.');
		}

		const user = state.users.get(previous.userId);
		if (!user) {
			throw unauthorized();
		}

		return issue({
			userId: user.id, projectId: scopedProject(auth['scope'], user)?.id, methods: [...new Set([...previous.methods, 'token'])], expiresAt: previous.expiresAt,
		});
	};

	const tokenIssuers = new Map<string, (auth: Record<string, unknown>, identity: Record<string, unknown>) => TokenRecord>([
		['password', passwordToken],
		['application_credential', credentialToken],
		['token', tokenToken],
	]);

	router.add('POST', 'v3/auth/tokens', context => {
		const body = jsonBody(context);
		const auth = isRecord(body['auth']) ? body['auth'] : undefined;
		const identity = auth && isRecord(auth['identity']) ? auth['identity'] : undefined;
		const methods = identity?.['methods'];
		if (!auth || !identity || !Array.isArray(methods) || methods.length === 0) {
			throw new HttpError(400, 'Expecting to find identity in auth. The server could not comply with the '
				+ 'request since it is either malformed or otherwise incorrect. The client is assumed to be in error.');
		}

		const method = String(methods[0]);
		const token = tokenIssuers.get(method)?.(auth, identity);
		if (!token) {
			throw unauthorized(`Attempted to authenticate with an unsupported method: ${method}.`);
		}

		return {
			status: 201,
			headers: {'X-Subject-Token': token.id},
			json: {token: tokenBody(context, token, !context.query.has('nocatalog'))},
		};
	});

	router.add('GET', 'v3/auth/tokens', context => {
		callerToken(context);
		const subject = state.tokens.get(header(context, 'x-subject-token') ?? '');
		if (!isTokenLive(state, subject)) {
			throw new HttpError(404, 'Could not find token.');
		}

		return {status: 200, headers: {'X-Subject-Token': subject.id}, json: {token: tokenBody(context, subject, !context.query.has('nocatalog'))}};
	});

	router.add('DELETE', 'v3/auth/tokens', context => {
		callerToken(context);
		const id = header(context, 'x-subject-token') ?? '';
		if (!state.tokens.delete(id)) {
			throw new HttpError(404, 'Could not find token.');
		}

		return {status: 204};
	});

	const userProjects = (context: RequestContext, userId: string): Reply => {
		const projects = [...state.projects.values()].filter(project => state.rolesOf(userId, project.id).length > 0);
		return {
			status: 200,
			json: {
				projects: projects.map(project => projectView(context.origin, project)),
				links: {self: `${context.origin}/identity/v3/auth/projects`, previous: null, next: null},
			},
		};
	};

	router.add('GET', 'v3/auth/projects', context => userProjects(context, callerToken(context).userId));

	router.add('GET', 'v3/auth/catalog', context => {
		const token = callerToken(context);
		if (token.projectId === undefined) {
			throw new HttpError(403, 'You are not authorized to perform the requested action: the catalog needs a scoped token.');
		}

		return {status: 200, json: {catalog: buildCatalog(context.origin, token.projectId), links: {self: `${context.origin}/identity/v3/auth/catalog`, previous: null, next: null}}};
	});

	router.add('GET', 'v3/users/:id/projects', (context, {id = ''}) => {
		const token = callerToken(context);
		const isAdmin = token.projectId !== undefined && tokenRoles(state, token).includes('admin');
		if (!isAdmin && token.userId !== id) {
			throw new HttpError(403, 'You are not authorized to perform the requested action: identity:list_user_projects.');
		}

		return userProjects(context, id);
	});

	router.add('GET', 'v3/projects', context => {
		const token = callerToken(context);
		if (token.projectId === undefined || !tokenRoles(state, token).includes('admin')) {
			throw new HttpError(403, 'You are not authorized to perform the requested action: identity:list_projects.');
		}

		const name = context.query.get('name');
		const projects = [...state.projects.values()].filter(project => name === null || project.name === name);
		return {status: 200, json: {projects: projects.map(project => projectView(context.origin, project)), links: {self: `${context.origin}/identity/v3/projects`, previous: null, next: null}}};
	});

	router.add('GET', 'v3/projects/:id', (context, {id = ''}) => {
		const token = callerToken(context);
		const project = state.projects.get(id);
		const allowed = tokenRoles(state, token).includes('admin') || token.projectId === id || (project && state.rolesOf(token.userId, project.id).length > 0);
		if (!allowed) {
			throw new HttpError(403, 'You are not authorized to perform the requested action: identity:get_project.');
		}

		if (!project) {
			throw new HttpError(404, `Could not find project: ${id}.`);
		}

		return {status: 200, json: {project: projectView(context.origin, project)}};
	});

	router.add('GET', 'v3/users/:id', (context, {id = ''}) => {
		const token = callerToken(context);
		if (token.userId !== id && !tokenRoles(state, token).includes('admin')) {
			throw new HttpError(403, 'You are not authorized to perform the requested action: identity:get_user.');
		}

		const user = state.users.get(id);
		if (!user) {
			throw new HttpError(404, `Could not find user: ${id}.`);
		}

		return {
			status: 200, json: {
				user: {
					id: user.id, name: user.name, domain_id: user.domainId, enabled: true, email: user.email, default_project_id: user.defaultProjectId,
					password_expires_at: null, options: {}, links: {self: `${context.origin}/identity/v3/users/${user.id}`},
				},
			},
		};
	});

	router.add('POST', 'v3/users/:id/application_credentials', (context, {id = ''}) => {
		const token = callerToken(context);
		if (token.userId !== id || token.projectId === undefined) {
			throw new HttpError(403, 'You are not authorized to perform the requested action: identity:create_application_credential.');
		}

		if (token.applicationCredentialId !== undefined) {
			throw new HttpError(403, 'You are not authorized to perform the requested action: Using method \'application_credential\' is not allowed for managing additional application credentials.');
		}

		const body = jsonBody(context);
		const spec = isRecord(body['application_credential']) ? body['application_credential'] : undefined;
		if (!spec || typeof spec['name'] !== 'string') {
			throw new HttpError(400, 'Invalid input for field \'name\': a name is required.');
		}

		const {name} = spec;
		if ([...state.applicationCredentials.values()].some(candidate => candidate.userId === id && candidate.name === name)) {
			throw new HttpError(409, 'Conflict occurred attempting to store application_credential - Duplicate entry found with name ' + name + '.');
		}

		const roles = tokenRoles(state, token);
		const expiresAt = typeof spec['expires_at'] === 'string' ? Date.parse(spec['expires_at']) : undefined;
		const credential = {
			id: hexId(),
			name,
			secret: typeof spec['secret'] === 'string' ? spec['secret'] : randomBytes(48).toString('base64url'),
			userId: id,
			projectId: token.projectId,
			roles,
			description: typeof spec['description'] === 'string' ? spec['description'] : null,
			unrestricted: spec['unrestricted'] === true,
			expiresAt: Number.isFinite(expiresAt) ? expiresAt : undefined,
		};
		state.applicationCredentials.set(credential.id, credential);
		return {
			status: 201,
			json: {
				application_credential: {
					id: credential.id,
					name: credential.name,
					secret: credential.secret,
					description: credential.description,
					project_id: credential.projectId,
					user_id: id,
					roles: roles.map(role => ({id: state.roles.get(role), name: role, domain_id: null})),
					expires_at: credential.expiresAt === undefined ? null : keystoneTime(credential.expiresAt),
					unrestricted: credential.unrestricted,
					access_rules: [],
					links: {self: `${context.origin}/identity/v3/users/${id}/application_credentials/${credential.id}`},
				},
			},
		};
	});

	return {
		service: 'identity',
		prefix: '/identity',
		async handle(context) {
			const match = router.resolve(context.method, context.segments, 'The method is not allowed for the requested URL.');

			return match.handler(context, match.parameters);
		},
		errorReply(error, context) {
			const reply = keystoneErrorReply(error.status, error.message, `${context.origin}/identity`);
			return {...reply, headers: {...error.headers, ...reply.headers}};
		},
	};
}
