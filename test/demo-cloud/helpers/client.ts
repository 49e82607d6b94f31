/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call -- OpenStack JSON bodies are asserted field by field. */
/* eslint-disable @typescript-eslint/naming-convention -- OpenStack's wire format is snake_case. */
/*
A plain-fetch client for the demo cloud tests: log in, find endpoints in the catalog, call with a token.
*/
import {setTimeout as delay} from 'node:timers/promises';
import type {DemoCloud} from '../../../source/demo-cloud/index.js';

export type Session = {
	token: string;
	projectId: string;
	userId: string;
	endpoints: Record<string, string>;
	body: Record<string, unknown>;
};

export type Json = Record<string, any>;

export async function login(cloud: DemoCloud, user: string, project: string): Promise<Session> {
	const response = await fetch(`${cloud.authUrl}/v3/auth/tokens`, {
		method: 'POST',
		headers: {'Content-Type': 'application/json'},
		body: JSON.stringify({
			auth: {
				identity: {methods: ['password'], password: {user: {name: user, domain: {id: 'default'}, password: cloud.users[user]?.password}}},
				scope: {project: {name: project, domain: {name: 'Default'}}},
			},
		}),
	});
	if (response.status !== 201) {
		throw new Error(`login ${user}/${project}: ${response.status} ${await response.text()}`);
	}

	return sessionFrom(response);
}

export async function sessionFrom(response: Response): Promise<Session> {
	const body = await response.json() as Json;
	const token = response.headers.get('x-subject-token') ?? '';
	const endpoints: Record<string, string> = {};
	for (const service of body['token'].catalog ?? []) {
		const endpoint = service.endpoints.find((candidate: Json) => candidate['interface'] === 'public');
		endpoints[service.type] = endpoint.url;
	}

	return {
		token, projectId: body['token'].project?.id, userId: body['token'].user.id, endpoints, body,
	};
}

export type CallResult = {status: number; headers: Headers; json: Json; text: string; bytes: Uint8Array};

export async function call(
	session: Session | undefined,
	method: string,
	url: string,
	options: {body?: unknown; headers?: Record<string, string>; raw?: Uint8Array<ArrayBuffer>} = {},
): Promise<CallResult> {
	const headers: Record<string, string> = {Accept: 'application/json', ...options.headers, ...(session && {'X-Auth-Token': session.token})};

	let body: string | Blob | undefined;
	if (options.raw) {
		body = new Blob([options.raw]);
		headers['Content-Type'] ??= 'application/octet-stream';
	} else if (options.body !== undefined) {
		body = JSON.stringify(options.body);
		headers['Content-Type'] ??= 'application/json';
	}

	const response = await fetch(url, {method, headers, body});
	const bytes = new Uint8Array(await response.arrayBuffer());
	const text = new TextDecoder().decode(bytes);
	let json: Json = {};
	try {
		json = JSON.parse(text) as Json;
	} catch {}

	return {
		status: response.status, headers: response.headers, json, text, bytes,
	};
}

export type CinderCall = (session: Session, method: string, path: string, body?: unknown) => Promise<CallResult>;

/**
Volume API calls at one microversion: `cinderAt('3.46')(session, 'POST', '/volumes', body)`.
*/
export function cinderAt(microversion: string): CinderCall {
	return async (session, method, path, body) => call(session, method, `${session.endpoints['block-storage']}${path}`, {
		body, headers: {'OpenStack-API-Version': `volume ${microversion}`},
	});
}

/**
Volume API call at microversion 3.64.
*/
export const cinder = cinderAt('3.64');

export async function waitFor<T>(what: string, probe: () => Promise<T>, isDone: (value: T) => boolean, timeoutMs = 5000): Promise<T> {
	const start = Date.now();
	for (;;) {
		// eslint-disable-next-line no-await-in-loop -- polling is sequential.
		const value = await probe();
		if (isDone(value)) {
			return value;
		}

		if (Date.now() - start > timeoutMs) {
			throw new Error(`Timed out waiting for ${what}: ${JSON.stringify(value)}`);
		}

		// eslint-disable-next-line no-await-in-loop -- polling is sequential.
		await delay(10);
	}
}

export async function volumeStatus(session: Session, id: string, until: string[]): Promise<Json> {
	const result = await waitFor(`volume ${id} in ${until.join('/')}`, async () => cinder(session, 'GET', `/volumes/${id}`), result => until.includes(result.json['volume']?.status));
	return result.json['volume'] as Json;
}

export async function backupStatus(session: Session, id: string, until: string[]): Promise<Json> {
	const result = await waitFor(`backup ${id} in ${until.join('/')}`, async () => cinder(session, 'GET', `/backups/${id}`), result => until.includes(result.json['backup']?.status));
	return result.json['backup'] as Json;
}

export async function hasSecret(session: Session, id: string): Promise<boolean> {
	const result = await call(session, 'GET', `${session.endpoints['key-manager']}/v1/secrets/${id}`);
	return result.status === 200;
}
