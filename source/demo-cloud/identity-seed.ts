/* eslint-disable @typescript-eslint/naming-convention -- OpenStack's wire format is snake_case. */
/*
The users and projects every seed starts with, and the clouds.yaml that logs in as them.
*/
import {stringify} from 'yaml';
import {region} from './keystone.js';
import type {DemoState} from './state.js';

/**
The demo cloud's one password (it guards nothing but this in-memory simulator).
*/
export const demoPassword = 'backstack-demo';
/**
Secret of the seeded application credential `demo-appcred`.
*/
export const demoAppCredentialSecret = 'backstack-demo-appcred-secret';

export type DemoUser = {id: string; name: string; password: string; roles: Record<string, string[]>};
export type DemoProject = {id: string; name: string};

export type Identity = {
	users: Record<string, DemoUser>;
	projects: Record<string, DemoProject>;
	applicationCredential: {id: string; name: string; secret: string};
};

/**
 Admin (admin everywhere), demo (member+reader+creator: may use Barbican, as on the real cloud), demo-member (member
 without creator: Barbican refuses everything), demo-reader (reader, and Barbican's legacy `audit` role: sees secret
 metadata, never payloads). `extraProjects` get demo as member+reader+creator too.
 */
export function seedIdentity(state: DemoState, extraProjects: Array<{name: string; description: string}> = []): Identity {
	const admin = state.addProject('admin', 'Cloud administration');
	const demo = state.addProject('demo', 'Web shop production');
	const others = extraProjects.map(project => state.addProject(project.name, project.description));

	const adminUser = state.addUser('admin', demoPassword, admin.id);
	const demoUser = state.addUser('demo', demoPassword, demo.id);
	const memberUser = state.addUser('demo-member', demoPassword, demo.id);
	const readerUser = state.addUser('demo-reader', demoPassword, demo.id);

	for (const project of [admin, demo, ...others]) {
		state.grant(adminUser.id, project.id, ['admin', 'member', 'reader']);
	}

	for (const project of [demo, ...others]) {
		state.grant(demoUser.id, project.id, ['member', 'reader', 'creator']);
	}

	state.grant(memberUser.id, demo.id, ['member', 'reader']);
	state.grant(readerUser.id, demo.id, ['reader', 'audit']);

	const credential = {
		id: 'b7d3c0a1e5f24a8c9d6e2f1a3b4c5d6e',
		name: 'demo-appcred',
		secret: demoAppCredentialSecret,
		userId: demoUser.id,
		projectId: demo.id,
		roles: ['member', 'reader', 'creator'],
		description: 'backstack demo application credential',
		unrestricted: false,
	};
	state.applicationCredentials.set(credential.id, credential);

	const users: Record<string, DemoUser> = {};
	for (const user of [adminUser, demoUser, memberUser, readerUser]) {
		const roles: Record<string, string[]> = {};
		for (const project of state.projects.values()) {
			const granted = state.rolesOf(user.id, project.id);
			if (granted.length > 0) {
				roles[project.name] = granted;
			}
		}

		users[user.name] = {
			id: user.id, name: user.name, password: user.password, roles,
		};
	}

	const projects: Record<string, DemoProject> = {};
	for (const project of state.projects.values()) {
		projects[project.name] = {id: project.id, name: project.name};
	}

	return {users, projects, applicationCredential: {id: credential.id, name: credential.name, secret: credential.secret}};
}

/**
Clouds.yaml text: `demo`, `demo-admin`, `demo-member`, `demo-reader`, `demo-appcred`.
*/
export function cloudsYamlText(authUrl: string, identity: Identity): string {
	const passwordCloud = (user: string, project: string): Record<string, unknown> => ({
		auth: {
			auth_url: authUrl,
			username: user,
			password: demoPassword,
			project_name: project,
			user_domain_name: 'Default',
			project_domain_name: 'Default',
		},
		region_name: region,
		interface: 'public',
		identity_api_version: 3,
	});
	const clouds = {
		clouds: {
			demo: passwordCloud('demo', 'demo'),
			'demo-admin': passwordCloud('admin', 'admin'),
			'demo-member': passwordCloud('demo-member', 'demo'),
			'demo-reader': passwordCloud('demo-reader', 'demo'),
			'demo-appcred': {
				auth_type: 'v3applicationcredential',
				auth: {
					auth_url: authUrl,
					application_credential_id: identity.applicationCredential.id,
					application_credential_secret: identity.applicationCredential.secret,
				},
				region_name: region,
				interface: 'public',
				identity_api_version: 3,
			},
		},
	};
	return `# Written by backstack's demo cloud (${authUrl}); an in-memory simulator, safe to delete.\n${stringify(clouds)}`;
}
