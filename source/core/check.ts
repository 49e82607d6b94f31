/*
`backstack check`: what this cloud and this user allow for backups, one line per fact, each with what it means.

Every probe is read-only: the token's own data, the session's discovery results, `GET /backups?limit=1`,
`GET /secrets?limit=1`. Whether payloads can be read is inferred from roles (reading one would touch a real key) and the
line says so.
*/
import type {CloudSession, ServiceStatus} from '../openstack/api.js';
import {isForbidden, isOpenStackError, type OpenStackError} from '../openstack/errors.js';
import type {Microversion, ServiceName} from '../openstack/types.js';

export type CheckState = 'ok' | 'warn' | 'fail' | 'info';

export type CheckLine = {
	state: CheckState;
	topic: string;
	text: string;
	/**
	What it means for backups and restores.
	*/
	meaning: string;
};

export type CheckOptions = {
	signal?: AbortSignal;
	now?: () => Date;
};

const serviceLabels: Record<ServiceName, string> = {
	identity: 'Keystone (identity)',
	cinder: 'Cinder (block-storage)',
	glance: 'Glance (image)',
	nova: 'Nova (compute)',
	barbican: 'Barbican (key-manager)',
};

const missingMeaning: Record<ServiceName, string> = {
	identity: 'nothing works without it',
	cinder: 'no volumes, volume backups or snapshots can be seen or restored',
	glance: 'images (server snapshots, uploaded volumes) cannot be checked or restored',
	nova: 'servers and their disks cannot be linked to their backups',
	barbican: 'keys of encrypted volumes, backups and images cannot be checked or escrowed',
};

function versionParts(version: string): [number, number] {
	const [major, minor] = version.split('.', 2).map(Number);
	return [Number.isFinite(major) ? major ?? 0 : 0, Number.isFinite(minor) ? minor ?? 0 : 0];
}

function isAtLeast(version: string, wanted: string): boolean {
	const [a, b] = versionParts(version);
	const [c, d] = versionParts(wanted);
	return a === c ? b >= d : a > c;
}

function formatDuration(ms: number): string {
	const minutes = Math.round(ms / 60_000);
	return Math.abs(minutes) < 120 ? `${minutes} min` : `${Math.round(minutes / 60)} h`;
}

function describeError(error: unknown): string {
	if (isOpenStackError(error)) {
		const message = error.serviceMessage ?? '';
		return error.status === undefined ? error.message : `${error.status}${message === '' ? '' : ` ${message}`}`;
	}

	return error instanceof Error ? error.message : String(error);
}

function identityLines(session: CloudSession, now: Date): CheckLine[] {
	const token = session.identity.token();
	const user = token.userName === '' ? token.userId : token.userName;
	const project = token.projectName === '' ? token.projectId : token.projectName;
	const region = session.region === undefined || session.region === '' ? '' : `, region ${session.region}`;
	const roles = token.roles.length > 0 ? token.roles.join(', ') : 'none';
	const remaining = Date.parse(token.expiresAt) - now.getTime();
	return [{
		state: 'ok',
		topic: 'identity',
		text: `user ${user} in project ${project} (${token.projectId}) on cloud ${session.cloudName}${region}`,
		meaning: 'everything below is about this project only; other projects need their own check',
	}, {
		state: token.roles.length > 0 ? 'info' : 'warn',
		topic: 'roles',
		text: roles,
		meaning: token.roles.includes('admin')
			? 'admin: every operation is allowed, including on volume types'
			: (token.roles.some(role => role === 'member' || role === '_member_')
				? 'member: backups can be created, restored and deleted'
				: 'without member, backups can be listed but not created or restored'),
	}, {
		state: remaining < 600_000 ? 'warn' : 'info',
		topic: 'token',
		text: `valid until ${token.expiresAt} (${remaining >= 0 ? `in ${formatDuration(remaining)}` : `expired ${formatDuration(-remaining)} ago`})`,
		meaning: 'renewed automatically when less than 2 minutes remain, as long as the credentials still work',
	}];
}

/**
The first item of a list, fetching only its first page.
*/
async function firstItem<T>(iterable: AsyncIterable<T>): Promise<{found: T} | undefined> {
	const iterator = iterable[Symbol.asyncIterator]();
	try {
		const result: IteratorResult<T, unknown> = await iterator.next();
		return result.done === true ? undefined : {found: result.value};
	} finally {
		await iterator.return?.();
	}
}

function endpointLine(service: ServiceName, status: ServiceStatus): CheckLine {
	const label = serviceLabels[service];
	switch (status.state) {
		case 'ok': {
			return {
				state: 'ok', topic: label, text: `endpoint ${status.endpoint}`, meaning: 'found in the catalog and answering',
			};
		}

		case 'missing': {
			return {
				state: service === 'cinder' ? 'fail' : 'warn', topic: label, text: `missing: ${status.reason}`, meaning: missingMeaning[service],
			};
		}

		case 'error': {
			return {
				state: 'warn', topic: label, text: `endpoint found, but ${status.reason}`, meaning: 'requests use the oldest API version; some facts may be missing',
			};
		}
	}
}

function cinderVersionLine(range: Microversion): CheckLine {
	const {max} = range;
	const gaps = [
		isAtLeast(max, '3.64') ? undefined : 'no encryption_key_id on volumes/backups (< 3.64): key links cannot be checked',
		isAtLeast(max, '3.47') ? undefined : 'no volume-from-backup (< 3.47): restores go through a pre-created volume',
		isAtLeast(max, '3.43') ? undefined : 'no backup metadata (< 3.43): the source volume type cannot be recorded with the backup',
	].filter((gap): gap is string => gap !== undefined);

	return {
		state: gaps.length > 0 ? 'warn' : 'ok',
		topic: 'Cinder API',
		text: `microversions ${range.min}–${max}`,
		meaning: gaps.length > 0 ? gaps.join('; ') : 'backup metadata (3.43), volume from backup (3.47) and key IDs (3.64) are all available',
	};
}

function novaVersionLine(range: Microversion): CheckLine {
	const isModern = isAtLeast(range.max, '2.45');
	return {
		state: 'info',
		topic: 'Nova API',
		text: `microversions ${range.min}–${range.max}`,
		meaning: isModern ? 'server snapshots return their image ID directly' : 'server snapshot IDs come from a Location header (< 2.45)',
	};
}

function isBackupServiceMissing(error: OpenStackError): boolean {
	const isMentionsBackup = (error.serviceMessage ?? '').toLowerCase().includes('backup');
	return error.status === 404 || error.status === 501 || (error.status === 503 && isMentionsBackup) || (error.status === 500 && isMentionsBackup);
}

async function backupServiceLine(session: CloudSession, signal?: AbortSignal): Promise<CheckLine> {
	const {cinder} = session;
	if (cinder === undefined) {
		return {
			state: 'fail', topic: 'backup service', text: 'not checked: no Cinder endpoint', meaning: 'volume backups are impossible on this cloud as configured',
		};
	}

	try {
		const first = await firstItem(cinder.listBackups({pageSize: 1, signal}));
		return {
			state: 'ok',
			topic: 'backup service',
			text: `GET /backups answers (${first === undefined ? 'no backups yet' : 'backups exist'})`,
			meaning: 'volume backups can be listed; creating one also needs the cinder-backup service, which only an admin can see',
		};
	} catch (error) {
		if (isOpenStackError(error) && isBackupServiceMissing(error)) {
			return {
				state: 'fail', topic: 'backup service', text: `missing: ${describeError(error)}`, meaning: 'this cloud offers no volume backups: only snapshots (same storage) and image uploads',
			};
		}

		if (isForbidden(error)) {
			return {
				state: 'fail', topic: 'backup service', text: `forbidden: ${describeError(error)}`, meaning: 'this user may not list backups; ask for the reader or member role',
			};
		}

		return {
			state: 'warn', topic: 'backup service', text: `did not answer: ${describeError(error)}`, meaning: 'backups cannot be checked right now; try again later',
		};
	}
}

function payloadInference(roles: string[]): CheckLine {
	const hasRole = (role: string) => roles.includes(role);
	let state: CheckState;
	let text: string;
	if (hasRole('admin')) {
		state = 'ok';
		text = 'probably yes (admin role)';
	} else if (hasRole('creator')) {
		state = 'ok';
		text = 'probably yes (creator role: allowed by both the legacy and the new Barbican policies)';
	} else if (hasRole('member') || hasRole('_member_')) {
		state = 'warn';
		text = 'maybe (member role: allowed by the new Barbican policy for your own and non-private secrets; refused by the legacy policy, which needs creator)';
	} else {
		state = 'warn';
		text = `probably not (roles ${roles.length === 0 ? 'none' : roles.join(', ')}: reader/observer cannot decrypt)`;
	}

	return {
		state,
		topic: 'key payloads',
		text: `readable: ${text}; judged from roles, no payload was read`,
		meaning: 'escrowing keys offline needs payload access; without it a deleted key makes its encrypted backups unrecoverable',
	};
}

async function barbicanLines(session: CloudSession, signal?: AbortSignal): Promise<CheckLine[]> {
	const {barbican} = session;
	if (barbican === undefined) {
		return [];
	}

	try {
		const first = await firstItem(barbican.listSecrets({pageSize: 1, signal}));
		return [{
			state: 'ok',
			topic: 'key manager',
			text: `GET /secrets answers (${first === undefined ? 'no secrets visible' : 'secrets visible'})`,
			meaning: 'the keys of encrypted resources can be checked for existence',
		}, payloadInference(session.identity.token().roles)];
	} catch (error) {
		if (isForbidden(error)) {
			return [{
				state: 'warn',
				topic: 'key manager',
				text: `forbidden: ${describeError(error)}`,
				meaning: 'keys cannot be listed; on legacy-policy Barbican a plain member can do nothing (creator is needed)',
			}];
		}

		return [{
			state: 'warn', topic: 'key manager', text: `did not answer: ${describeError(error)}`, meaning: 'keys of encrypted resources cannot be checked right now',
		}];
	}
}

function versionLines(statuses: Record<ServiceName, ServiceStatus>): CheckLine[] {
	const range = (service: ServiceName): Microversion | undefined => {
		const status = statuses[service];
		return status.state === 'ok' ? status.microversion : undefined;
	};

	const cinder = range('cinder');
	const nova = range('nova');
	const glance = range('glance');
	const barbican = range('barbican');
	return [
		...(cinder === undefined ? [] : [cinderVersionLine(cinder)]),
		...(nova === undefined ? [] : [novaVersionLine(nova)]),
		...(glance === undefined
			? []
			: [{
				state: 'info' as const, topic: 'Glance API', text: `v${glance.max}`, meaning: 'image lists include hidden images (two queries)',
			}]),
		...(barbican === undefined
			? []
			: [{
				state: 'info' as const,
				topic: 'Barbican API',
				text: `microversions ${barbican.min}–${barbican.max}`,
				meaning: isAtLeast(barbican.max, '1.1') ? 'secret consumers are supported' : 'no secret consumers (< 1.1)',
			}]),
	];
}

/**
Capability check of one session: identity, endpoints, versions, backup service, key manager, TLS.
*/
export async function checkCloud(session: CloudSession, options: CheckOptions = {}): Promise<CheckLine[]> {
	const now = options.now?.() ?? new Date();
	const statuses = session.services();
	const services = ['cinder', 'glance', 'nova', 'barbican'] as const;
	const [backup, keys] = await Promise.all([backupServiceLine(session, options.signal), barbicanLines(session, options.signal)]);
	const missing = [
		...services.filter(service => statuses[service].state === 'missing').map(service => serviceLabels[service]),
		...(backup.state === 'fail' && backup.text.startsWith('missing') ? ['volume backup service'] : []),
	];
	const isCritical = missing.includes(serviceLabels.cinder) || missing.includes('volume backup service');
	return [
		...(session.insecure === true
			? [{
				state: 'warn' as const,
				topic: 'TLS',
				text: 'certificate verification is OFF (verify: false / insecure)',
				meaning: 'anyone on the network path could read the token and key payloads; fix cacert instead',
			}]
			: []),
		...identityLines(session, now),
		...services.map(service => endpointLine(service, statuses[service])),
		...versionLines(statuses),
		backup,
		...keys,
		missing.length === 0
			? {
				state: 'ok', topic: 'summary', text: 'nothing missing', meaning: 'backups, images, servers and keys can all be audited',
			}
			: {
				state: isCritical ? 'fail' : 'warn',
				topic: 'summary',
				text: `missing: ${missing.join(', ')}`,
				meaning: 'the audit will mark what it cannot see as unknown, never as safe',
			},
	];
}
