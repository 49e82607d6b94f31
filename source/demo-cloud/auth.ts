/*
What keystonemiddleware does in front of every service: the X-Auth-Token must name a live, project-scoped token,
otherwise 401 in Keystone's JSON format before the service's own code runs.
*/
import {HttpError, header, type RequestContext} from './http.js';
import type {
	DemoState,
	ProjectRecord,
	TokenRecord,
	UserRecord,
} from './state.js';

export type AuthInfo = {
	token: TokenRecord;
	user: UserRecord;
	project: ProjectRecord;
	roles: Set<string>;
	/**
	`admin` role in the token's project: admin everywhere (the legacy rule all these services use).
	*/
	isAdmin: boolean;
};

/**
401 in Keystone's format, whichever service raised it.
*/
export class AuthError extends HttpError {
	constructor(message = 'The request you have made requires authentication.') {
		super(401, message);
		this.name = 'AuthError';
	}
}

export function isTokenLive(state: DemoState, token: TokenRecord | undefined): token is TokenRecord {
	return token !== undefined && token.expiresAt > state.now();
}

export function authenticate(state: DemoState, context: RequestContext): AuthInfo {
	const id = header(context, 'x-auth-token');
	const token = id === undefined ? undefined : state.tokens.get(id);
	if (!isTokenLive(state, token) || token.projectId === undefined) {
		throw new AuthError();
	}

	const user = state.users.get(token.userId);
	const project = state.projects.get(token.projectId);
	if (!user || !project) {
		throw new AuthError();
	}

	const roles = new Set(tokenRoles(state, token));
	if (roles.size === 0) {
		throw new AuthError();
	}

	return {
		token, user, project, roles, isAdmin: roles.has('admin'),
	};
}

/**
Roles a token carries: the user's in the project, narrowed to an application credential's roles.
*/
export function tokenRoles(state: DemoState, token: TokenRecord): string[] {
	if (token.projectId === undefined) {
		return [];
	}

	const roles = state.rolesOf(token.userId, token.projectId);
	if (token.applicationCredentialId !== undefined) {
		const credential = state.applicationCredentials.get(token.applicationCredentialId);
		return roles.filter(role => credential?.roles.includes(role));
	}

	return roles;
}

/**
Project member or admin: what writes need in Cinder, Glance and Nova.
*/
export function requireMember(auth: AuthInfo, action: string): void {
	if (!auth.isAdmin && !auth.roles.has('member')) {
		throw new HttpError(403, `Policy doesn't allow ${action} to be performed.`);
	}
}

export function requireAdmin(auth: AuthInfo, action: string): void {
	if (!auth.isAdmin) {
		throw new HttpError(403, `Policy doesn't allow ${action} to be performed.`);
	}
}

export function requireReader(auth: AuthInfo, action: string): void {
	if (!auth.isAdmin && !auth.roles.has('member') && !auth.roles.has('reader')) {
		throw new HttpError(403, `Policy doesn't allow ${action} to be performed.`);
	}
}
