/*
Records real response bodies from the provisioned cloud into test/fixtures/real/<service>-<what>.json.

	node --import=tsx test/real-cloud/record-fixtures.ts

Raw HTTP on purpose (these fixtures are what backstack's client is tested against, so they must not come through it).
Each file is {request, status, headers, body}. Tokens live only in headers, and only a few harmless headers are kept.
Before writing, every file is checked for the tokens and the password used here. Everything the script creates is
named `bs-fixture-…` and deleted at the end.
*/
import {Buffer} from 'node:buffer';
import {mkdir, readFile, writeFile} from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import {setTimeout as sleep} from 'node:timers/promises';
import {fileURLToPath} from 'node:url';
import {parse} from 'yaml';

/* eslint-disable @typescript-eslint/naming-convention -- request bodies are OpenStack's snake_case JSON */

type Json = Record<string, unknown>;

type CloudEntry = {
	auth: {
		auth_url: string;
		username: string;
		password: string;
		project_name: string;
		user_domain_name: string;
		project_domain_name: string;
	};
};

type Session = {
	token: string;
	projectId: string;
	endpoint: (type: string) => string;
};

type Recorded = {
	request: {method: string; url: string; microversion?: string};
	status: number;
	headers: Record<string, string>;
	body: unknown;
};

const here = path.dirname(fileURLToPath(import.meta.url));
// The defaults record the real cloud into the repository; the variables let the same recording run against another
// cloud (e.g. the demo cloud, to compare its answers with the real ones) into another directory.
const outDir = process.env['FIXTURES_OUT'] ?? path.join(here, '..', 'fixtures', 'real');
const cloudsFile = process.env['BACKSTACK_REAL_CLOUDS'] ?? '/etc/backstack-real/clouds.yaml';
const adminCloudName = process.env['FIXTURES_ADMIN_CLOUD'] ?? 'real-admin';
const memberCloudName = process.env['FIXTURES_MEMBER_CLOUD'] ?? 'real-member';
const keptHeaders = new Set(['content-type', 'openstack-api-version', 'retry-after', 'location', 'www-authenticate', 'x-openstack-request-id', 'content-md5']);
const secrets: string[] = [];

/**
Keystone's v3 base, whether clouds.yaml gives it versioned (`…/v3`) or not.
*/
function identityV3(authUrl: string): string {
	const base = authUrl.endsWith('/') ? authUrl.slice(0, -1) : authUrl;
	return base.endsWith('/v3') ? base : `${base}/v3`;
}

async function loadClouds(): Promise<Record<string, CloudEntry>> {
	const parsed = parse(await readFile(cloudsFile, 'utf8')) as {clouds: Record<string, CloudEntry>};
	return parsed.clouds;
}

async function login(cloud: CloudEntry): Promise<{session: Session; recorded: Recorded}> {
	secrets.push(cloud.auth.password);
	const url = `${identityV3(cloud.auth.auth_url)}/auth/tokens`;
	const response = await fetch(url, {
		method: 'POST',
		headers: {'content-type': 'application/json', accept: 'application/json'},
		body: JSON.stringify({
			auth: {
				identity: {methods: ['password'], password: {user: {name: cloud.auth.username, domain: {name: cloud.auth.user_domain_name}, password: cloud.auth.password}}},
				scope: {project: {name: cloud.auth.project_name, domain: {name: cloud.auth.project_domain_name}}},
			},
		}),
	});
	const token = response.headers.get('x-subject-token');
	if (token === null || response.status !== 201) {
		throw new Error(`login as ${cloud.auth.username} failed: HTTP ${response.status}`);
	}

	secrets.push(token);
	const body = await response.json() as {token: {project: {id: string}; catalog: Array<{type: string; endpoints: Array<{interface: string; url: string}>}>}};
	const recorded = {
		request: {method: 'POST', url}, status: response.status, headers: keepHeaders(response.headers), body,
	};
	const session: Session = {
		token,
		projectId: body.token.project.id,
		endpoint(type) {
			const service = body.token.catalog.find(entry => entry.type === type);
			const endpoint = service?.endpoints.find(entry => entry.interface === 'public');
			if (!endpoint) {
				throw new Error(`no ${type} endpoint`);
			}

			return endpoint.url.replace(/\/$/v, '');
		},
	};
	return {session, recorded};
}

function keepHeaders(headers: Headers): Record<string, string> {
	const kept: Record<string, string> = {};
	for (const [name, value] of headers) {
		if (keptHeaders.has(name)) {
			kept[name] = value;
		}
	}

	return kept;
}

async function call(session: Session | undefined, method: string, url: string, options: {body?: unknown; microversion?: string; accept?: string; contentType?: string} = {}): Promise<Recorded> {
	const headers: Record<string, string> = {
		accept: options.accept ?? 'application/json',
		...(session !== undefined && {'x-auth-token': session.token}),
		...(options.microversion !== undefined && {'openstack-api-version': options.microversion}),
	};

	let body: string | undefined;
	if (options.body !== undefined) {
		headers['content-type'] = options.contentType ?? 'application/json';
		body = JSON.stringify(options.body);
	}

	const response = await fetch(url, {method, headers, body});
	const text = await response.text();
	const isJson = (response.headers.get('content-type') ?? '').includes('json');
	const parsed: unknown = isJson && text.length > 0 ? JSON.parse(text) as unknown : text;

	return {
		request: {method, url, ...(options.microversion !== undefined && {microversion: options.microversion})},
		status: response.status,
		headers: keepHeaders(response.headers),
		body: text.length === 0 ? null : parsed,
	};
}

function expectStatus(recorded: Recorded, ...statuses: number[]): Json {
	if (!statuses.includes(recorded.status)) {
		throw new Error(`${recorded.request.method} ${recorded.request.url}: HTTP ${recorded.status} ${JSON.stringify(recorded.body)}`);
	}

	return (recorded.body ?? {}) as Json;
}

async function save(name: string, recorded: Recorded): Promise<void> {
	const text = JSON.stringify(recorded, undefined, '\t') + '\n';
	for (const secret of secrets) {
		if (text.includes(secret)) {
			throw new Error(`refusing to write ${name}: it contains a token or password`);
		}
	}

	await writeFile(path.join(outDir, `${name}.json`), text);
	console.log(`wrote ${name}.json (HTTP ${recorded.status})`);
}

async function waitFor(session: Session, url: string, key: string, statuses: {done: string[]; failed: string[]}): Promise<Json> {
	const {done, failed} = statuses;
	const microversion = 'volume 3.64';
	for (let attempt = 0; attempt < 240; attempt++) {
		// eslint-disable-next-line no-await-in-loop
		const body = expectStatus(await call(session, 'GET', url, {microversion}), 200);
		const resource = body[key] as Json;
		const status = String(resource['status']);
		if (done.includes(status)) {
			return resource;
		}

		if (failed.includes(status)) {
			throw new Error(`${url} ended ${status}`);
		}

		// eslint-disable-next-line no-await-in-loop
		await sleep(500);
	}

	throw new Error(`${url} did not reach ${done.join('/')}`);
}

async function waitGone(session: Session, url: string, microversion?: string): Promise<void> {
	for (let attempt = 0; attempt < 240; attempt++) {
		// eslint-disable-next-line no-await-in-loop
		const recorded = await call(session, 'GET', url, microversion === undefined ? {} : {microversion});
		if (recorded.status === 404) {
			return;
		}

		// eslint-disable-next-line no-await-in-loop
		await sleep(500);
	}

	throw new Error(`${url} still there`);
}

const cleanups: Array<() => Promise<void>> = [];

async function main(): Promise<void> {
	await mkdir(outDir, {recursive: true});
	const clouds = await loadClouds();
	const adminCloud = clouds[adminCloudName];
	const memberCloud = clouds[memberCloudName];
	if (!adminCloud || !memberCloud) {
		throw new Error(`${cloudsFile} lacks ${adminCloudName} or ${memberCloudName}`);
	}

	const {session: admin} = await login(adminCloud);
	const {session: member, recorded: tokenRecord} = await login(memberCloud);
	await save('keystone-token', tokenRecord);
	await save('keystone-401', await call(undefined, 'POST', `${identityV3(memberCloud.auth.auth_url)}/auth/tokens`, {
		body: {auth: {identity: {methods: ['password'], password: {user: {name: memberCloud.auth.username, domain: {name: 'Default'}, password: 'not-the-password'}}}}},
	}));
	await save('keystone-auth-projects', await call(member, 'GET', `${identityV3(memberCloud.auth.auth_url)}/auth/projects`));

	const cinder = member.endpoint('block-storage');
	const cinderRoot = cinder.replace(/\/v3\/[^\/]+$/v, '');
	const adminCinder = admin.endpoint('block-storage');
	const glance = member.endpoint('image');
	const barbican = member.endpoint('key-manager');
	const mv = 'volume 3.64';

	await save('cinder-versions', await call(undefined, 'GET', `${cinderRoot}/`));
	await save('cinder-v3-root', await call(member, 'GET', `${cinderRoot}/v3/`));
	await save('glance-versions', await call(undefined, 'GET', `${glance}/`));
	await save('barbican-versions', await call(undefined, 'GET', `${barbican}/`));

	// An encrypted volume type (admin).
	const typeBody = expectStatus(await call(admin, 'POST', `${adminCinder}/types`, {
		microversion: mv,
		body: {volume_type: {name: 'bs-fixture-luks', description: 'fixture recording', 'os-volume-type-access:is_public': true}},
	}), 200);
	const typeId = String((typeBody['volume_type'] as Json)['id']);
	cleanups.push(async () => {
		await call(admin, 'DELETE', `${adminCinder}/types/${typeId}`);
	});
	expectStatus(await call(admin, 'POST', `${adminCinder}/types/${typeId}/encryption`, {
		body: {
			encryption: {
				provider: 'luks', cipher: 'aes-xts-plain64', key_size: 256, control_location: 'front-end',
			},
		},
	}), 200);
	await save('cinder-volume-type', await call(admin, 'GET', `${adminCinder}/types/${typeId}`, {microversion: mv}));
	await save('cinder-volume-type-encryption', await call(admin, 'GET', `${adminCinder}/types/${typeId}/encryption`, {microversion: mv}));
	await save('cinder-volume-types', await call(member, 'GET', `${cinder}/types`, {microversion: mv}));

	// An encrypted volume with backups.
	const volumeBody = expectStatus(await call(member, 'POST', `${cinder}/volumes`, {
		microversion: mv, body: {
			volume: {
				size: 1, name: 'bs-fixture-encrypted', volume_type: 'bs-fixture-luks', metadata: {purpose: 'fixture'},
			},
		},
	}), 202);
	const volumeId = String((volumeBody['volume'] as Json)['id']);
	const volumeIds = [volumeId];
	cleanups.push(async () => {
		for (const id of volumeIds) {
			// eslint-disable-next-line no-await-in-loop
			await call(member, 'DELETE', `${cinder}/volumes/${id}`);
			// eslint-disable-next-line no-await-in-loop
			await waitGone(member, `${cinder}/volumes/${id}`);
		}
	});
	await save('cinder-volume-create', {
		request: {method: 'POST', url: `${cinder}/volumes`, microversion: mv}, status: 202, headers: {}, body: volumeBody,
	});
	await waitFor(member, `${cinder}/volumes/${volumeId}`, 'volume', {done: ['available'], failed: ['error']});
	await save('cinder-volume-encrypted', await call(member, 'GET', `${cinder}/volumes/${volumeId}`, {microversion: mv}));
	await save('cinder-volume-encrypted-3.63', await call(member, 'GET', `${cinder}/volumes/${volumeId}`, {microversion: 'volume 3.63'}));
	await save('cinder-volume-encrypted-3.70', await call(member, 'GET', `${cinder}/volumes/${volumeId}`, {microversion: 'volume 3.70'}));
	await save('cinder-volume-encryption-metadata', await call(member, 'GET', `${cinder}/volumes/${volumeId}/encryption`, {microversion: mv}));

	const backupIds: string[] = [];
	cleanups.push(async () => {
		for (const id of backupIds.toReversed()) {
			// eslint-disable-next-line no-await-in-loop
			await call(member, 'DELETE', `${cinder}/backups/${id}`);
			// eslint-disable-next-line no-await-in-loop
			await waitGone(member, `${cinder}/backups/${id}`);
		}
	});
	const fullCreate = await call(member, 'POST', `${cinder}/backups`, {
		microversion: mv,
		body: {backup: {volume_id: volumeId, name: 'bs-fixture-full', metadata: {'backstack:source-type': 'bs-fixture-luks'}}},
	});
	await save('cinder-backup-create', fullCreate);
	const fullId = String(((expectStatus(fullCreate, 202))['backup'] as Json)['id']);
	backupIds.push(fullId);
	await waitFor(member, `${cinder}/backups/${fullId}`, 'backup', {done: ['available'], failed: ['error']});
	await waitFor(member, `${cinder}/volumes/${volumeId}`, 'volume', {done: ['available'], failed: ['error']});
	const incrementalCreate = await call(member, 'POST', `${cinder}/backups`, {
		microversion: mv, body: {
			backup: {
				volume_id: volumeId, name: 'bs-fixture-incremental', incremental: true, metadata: {'backstack:source-type': 'bs-fixture-luks'},
			},
		},
	});
	const incrementalId = String(((expectStatus(incrementalCreate, 202))['backup'] as Json)['id']);
	backupIds.push(incrementalId);
	await waitFor(member, `${cinder}/backups/${incrementalId}`, 'backup', {done: ['available'], failed: ['error']});
	await waitFor(member, `${cinder}/volumes/${volumeId}`, 'volume', {done: ['available'], failed: ['error']});
	await save('cinder-backup-encrypted-full', await call(member, 'GET', `${cinder}/backups/${fullId}`, {microversion: mv}));
	await save('cinder-backup-encrypted-incremental', await call(member, 'GET', `${cinder}/backups/${incrementalId}`, {microversion: mv}));
	await save('cinder-backup-encrypted-incremental-3.70', await call(member, 'GET', `${cinder}/backups/${incrementalId}`, {microversion: 'volume 3.70'}));
	const firstPage = await call(member, 'GET', `${cinder}/backups/detail?limit=1`, {microversion: mv});
	await save('cinder-backups-detail-page1', firstPage);
	const next = (((expectStatus(firstPage, 200))['backups_links'] as Json[] | undefined) ?? [])[0]?.['href'];
	if (typeof next !== 'string') {
		throw new TypeError('no backups_links on a page of 1');
	}

	await save('cinder-backups-detail-page2', await call(member, 'GET', next, {microversion: mv}));
	await save('cinder-backups-detail-count', await call(member, 'GET', `${cinder}/backups/detail?with_count=true`, {microversion: mv}));

	// Restore to a new volume: the path that ends error_restoring.
	const restore = await call(member, 'POST', `${cinder}/backups/${fullId}/restore`, {microversion: mv, body: {restore: {name: 'bs-fixture-restore-new'}}});
	await save('cinder-backup-restore-new', restore);
	const restoredId = String(((expectStatus(restore, 202))['restore'] as Json)['volume_id']);
	volumeIds.push(restoredId);
	await waitFor(member, `${cinder}/volumes/${restoredId}`, 'volume', {done: ['error_restoring', 'error'], failed: []});
	await waitFor(member, `${cinder}/backups/${fullId}`, 'backup', {done: ['available'], failed: ['error']});
	await save('cinder-volume-error-restoring', await call(member, 'GET', `${cinder}/volumes/${restoredId}`, {microversion: mv}));
	await save('cinder-messages', await call(member, 'GET', `${cinder}/messages?resource_uuid=${fullId}`, {microversion: mv}));

	// Restore onto a pre-created volume of the source type.
	const targetBody = expectStatus(await call(member, 'POST', `${cinder}/volumes`, {microversion: mv, body: {volume: {size: 1, name: 'bs-fixture-target', volume_type: 'bs-fixture-luks'}}}), 202);
	const targetId = String((targetBody['volume'] as Json)['id']);
	volumeIds.push(targetId);
	await waitFor(member, `${cinder}/volumes/${targetId}`, 'volume', {done: ['available'], failed: ['error']});
	await save('cinder-backup-restore-existing', await call(member, 'POST', `${cinder}/backups/${fullId}/restore`, {microversion: mv, body: {restore: {volume_id: targetId}}}));
	await waitFor(member, `${cinder}/volumes/${targetId}`, 'volume', {done: ['available'], failed: ['error_restoring', 'error']});
	await save('cinder-volume-restored', await call(member, 'GET', `${cinder}/volumes/${targetId}`, {microversion: mv}));
	await waitFor(member, `${cinder}/backups/${fullId}`, 'backup', {done: ['available'], failed: ['error']});

	// Error bodies.
	await save('cinder-404', await call(member, 'GET', `${cinder}/volumes/00000000-0000-4000-8000-000000000000`, {microversion: mv}));
	await save('cinder-400', await call(member, 'POST', `${cinder}/backups/${fullId}/restore`, {microversion: mv, body: {restore: {volume_type: 'bs-fixture-luks'}}}));
	await save('cinder-413', await call(member, 'POST', `${cinder}/volumes`, {microversion: mv, body: {volume: {size: 100_000, name: 'bs-fixture-too-big'}}}));
	await save('cinder-406', await call(member, 'GET', `${cinder}/volumes`, {microversion: 'volume 3.999'}));
	await save('cinder-401', await call({...member, token: 'not-a-token'}, 'GET', `${cinder}/volumes`, {microversion: mv}));

	// Upload the encrypted volume to an image.
	const upload = await call(member, 'POST', `${cinder}/volumes/${volumeId}/action`, {
		microversion: mv, body: {
			'os-volume_upload_image': {
				image_name: 'bs-fixture-from-volume', disk_format: 'raw', container_format: 'bare', force: false,
			},
		},
	});
	await save('cinder-volume-upload-image', upload);
	const imageId = String(((expectStatus(upload, 202))['os-volume_upload_image'] as Json)['image_id']);
	const imageIds = [imageId];
	cleanups.push(async () => {
		for (const id of imageIds) {
			// eslint-disable-next-line no-await-in-loop
			await call(member, 'DELETE', `${glance}/v2/images/${id}`);
		}
	});
	await waitImage(member, `${glance}/v2/images/${imageId}`);
	await waitFor(member, `${cinder}/volumes/${volumeId}`, 'volume', {done: ['available'], failed: ['error']});
	await save('glance-image-from-encrypted-volume', await call(member, 'GET', `${glance}/v2/images/${imageId}`));

	// A second image with data, then a page of one.
	const created = await call(member, 'POST', `${glance}/v2/images`, {
		body: {
			name: 'bs-fixture-small', disk_format: 'raw', container_format: 'bare', backstack_note: 'fixture',
		},
	});
	await save('glance-image-create', created);
	const smallId = String((expectStatus(created, 201))['id']);
	imageIds.push(smallId);
	const put = await fetch(`${glance}/v2/images/${smallId}/file`, {
		method: 'PUT',
		headers: {'x-auth-token': member.token, 'content-type': 'application/octet-stream'},
		body: Buffer.from('backstack fixture image bytes\n'),
	});
	if (put.status !== 204) {
		throw new Error(`image upload: HTTP ${put.status}`);
	}

	await save('glance-image-active', await call(member, 'GET', `${glance}/v2/images/${smallId}`));
	await save('glance-images-page', await call(member, 'GET', `${glance}/v2/images?limit=1`));
	await save('glance-404-json', await call(member, 'GET', `${glance}/v2/images/00000000-0000-4000-8000-000000000000`));
	await save('glance-404-any', await call(member, 'GET', `${glance}/v2/images/00000000-0000-4000-8000-000000000000`, {accept: '*/*'}));

	// Barbican: the keys Cinder made, and an error.
	const secretsPage = await call(member, 'GET', `${barbican}/v1/secrets?limit=2`);
	await save('barbican-secrets-page', secretsPage);
	const volumeKey = String(((expectStatus(await call(member, 'GET', `${cinder}/volumes/${volumeId}`, {microversion: mv}), 200))['volume'] as Json)['encryption_key_id']);
	await save('barbican-secret', await call(member, 'GET', `${barbican}/v1/secrets/${volumeKey}`));
	await save('barbican-secret-metadata', await call(member, 'GET', `${barbican}/v1/secrets/${volumeKey}/metadata`));
	await save('barbican-404', await call(member, 'GET', `${barbican}/v1/secrets/00000000-0000-4000-8000-000000000000`));
	await save('barbican-secret-store', await call(member, 'POST', `${barbican}/v1/secrets`, {
		body: {
			name: 'bs-fixture-secret', secret_type: 'opaque', payload: Buffer.from('fixture').toString('base64'), payload_content_type: 'application/octet-stream', payload_content_encoding: 'base64',
		},
	}).then(async recorded => {
		const ref = String((recorded.body as Json)['secret_ref']);
		cleanups.push(async () => {
			await call(member, 'DELETE', `${barbican}/v1/secrets/${ref.split('/').pop()}`);
		});
		return recorded;
	}));
}

async function waitImage(session: Session, url: string): Promise<void> {
	for (let attempt = 0; attempt < 240; attempt++) {
		// eslint-disable-next-line no-await-in-loop
		const body = expectStatus(await call(session, 'GET', url), 200);
		if (body['status'] === 'active') {
			return;
		}

		// eslint-disable-next-line no-await-in-loop
		await sleep(500);
	}

	throw new Error(`${url} not active`);
}

try {
	await main();
} finally {
	for (const cleanup of cleanups.toReversed()) {
		try {
			// eslint-disable-next-line no-await-in-loop
			await cleanup();
		} catch (error) {
			console.error('cleanup failed:', error);
		}
	}
}

/* eslint-enable @typescript-eslint/naming-convention */
