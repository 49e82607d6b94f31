/* eslint-disable @typescript-eslint/naming-convention -- OpenStack's wire format is snake_case. */
/*
Cinder v3 under /volume: volumes, backups (with Cinder's encrypted-restore rule), snapshots, volume types and their
encryption, user messages, quotas; microversions 3.0-3.70 as the Zed cloud reports them. One module per resource
registers its routes here, in the order the router tries them.
*/
import {authenticate} from '../auth.js';
import {
	HttpError,
	Router,
	faultReply,
	type Reply,
} from '../http.js';
import type {ServiceModule} from '../server.js';
import type {DemoState} from '../state.js';
import {addVolumeActionRoutes} from './actions.js';
import {addBackupRoutes} from './backups.js';
import {addMessageRoutes} from './messages.js';
import {addQuotaRoutes} from './quotas.js';
import {createCinderShared, type Call} from './shared.js';
import {addSnapshotRoutes} from './snapshots.js';
import {addTypeRoutes} from './types.js';
import {versionDocument, volumeMicroversion} from './version.js';
import {addVolumeRoutes} from './volumes.js';

export {createSnapshotRecord} from './snapshots.js';
export {cinderMaxMinor, volumeMicroversion} from './version.js';

const collections = new Set(['volumes', 'backups', 'snapshots', 'types', 'messages', 'os-quota-sets', 'limits', 'extensions', 'os-availability-zone']);

export function createCinder(state: DemoState): ServiceModule {
	const router = new Router<Call>();
	const cinder = createCinderShared(state);
	addVolumeRoutes(router, cinder);
	addVolumeActionRoutes(router, cinder);
	addBackupRoutes(router, cinder);
	addSnapshotRoutes(router, cinder);
	addTypeRoutes(router, cinder);
	addMessageRoutes(router, cinder);
	addQuotaRoutes(router, cinder);

	const versionHeaders = (mv: number): Record<string, string> => ({'OpenStack-API-Version': `volume 3.${mv}`, Vary: 'OpenStack-API-Version'});

	return {
		service: 'volume',
		prefix: '/volume',
		async handle(context) {
			const {segments, origin} = context;
			// Real Cinder labels its version documents `volume 3.0`, whatever the request asked for.
			const documentHeaders = {'OpenStack-API-Version': 'volume 3.0'};
			if (segments.length === 0) {
				return {status: 300, json: {versions: [versionDocument(origin)]}, headers: documentHeaders};
			}

			if (segments[0] !== 'v3') {
				throw new HttpError(404, 'The resource could not be found.');
			}

			if (segments.length === 1) {
				return {status: 200, json: {versions: [versionDocument(origin)]}, headers: documentHeaders};
			}

			const auth = authenticate(state, context);
			const mv = volumeMicroversion(context);
			let projectId = segments[1] ?? '';
			let rest = segments.slice(2);
			if (collections.has(projectId) && mv >= 67) {
				projectId = auth.project.id;
				rest = segments.slice(1);
			}

			if (projectId !== auth.project.id) {
				throw new HttpError(400, `Malformed request URL: URL's project_id '${projectId}' doesn't match Context's project_id '${auth.project.id}'`);
			}

			const call: Call = {
				context, auth, mv, projectId, base: `${origin}/volume/v3/${projectId}`,
			};
			const match = router.resolve(context.method, rest);

			return withHeaders(match.handler(call, match.parameters), versionHeaders(mv));
		},
		errorReply(error, context) {
			let versionHeaders_: Record<string, string> = {};
			try {
				versionHeaders_ = versionHeaders(volumeMicroversion(context));
			} catch {}

			return faultReply(error.status, error.message, {...versionHeaders_, ...error.headers});
		},
	};
}

async function withHeaders(reply: Reply | Promise<Reply>, headers: Record<string, string>): Promise<Reply> {
	const resolved = await reply;
	return {...resolved, headers: {...headers, ...resolved.headers}};
}
