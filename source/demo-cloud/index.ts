/*
The embedded demo cloud: Keystone, Cinder, Glance, Nova and Barbican simulated in memory behind one local HTTP server.
Used by `backstack --demo`, by `backstack demo-cloud` (runStandalone) and by tests.
*/
import {writeFile} from 'node:fs/promises';
import {createBarbican} from './barbican.js';
import {createCinder} from './cinder/index.js';
import {createGlance} from './glance.js';
import {createNova} from './nova.js';
import {cloudsYamlText, seedIdentity, type Identity} from './identity-seed.js';
import {createKeystone} from './keystone.js';
import {DemoHttpServer} from './server.js';
import {generateScale} from './scale.js';
import {seedBase} from './base-seed.js';
import {seedStory, storyProjects} from './story.js';
import {serveStandalone, type StandaloneOptions, type StandaloneResult} from './standalone.js';
import {DemoState} from './state.js';
import type {DemoCloud, DemoCloudOptions} from './types.js';

export type {FaultSpec} from './faults.js';
export type {DemoService} from './http.js';
export type {DemoProject, DemoUser} from './identity-seed.js';
export type {Delays, Quotas} from './state.js';
export {demoPassword} from './identity-seed.js';
export {parseScaleSpec} from './scale.js';
export type {StandaloneOptions, StandaloneResult} from './standalone.js';
export type {DemoCloud, DemoCloudOptions, ScaleSpec} from './types.js';

export async function startDemoCloud(options: DemoCloudOptions = {}): Promise<DemoCloud> {
	const state = new DemoState({tokenTtlSeconds: options.tokenTtlSeconds, timeScale: options.timeScale, delays: options.delays});
	const server = new DemoHttpServer({latencyMs: options.latencyMs, bandwidthBytesPerSecond: options.bandwidthBytesPerSecond});
	server.use(createKeystone(state));
	server.use(createCinder(state));
	server.use(createGlance(state));
	server.use(createNova(state));
	server.use(createBarbican(state));

	const seed = options.seed ?? 'story';
	// Like the real cloud's member user, demo has a second project in every seed (the story has three).
	const emptyProjects = [{name: 'sandbox', description: 'Second project of user demo'}];
	const scale = typeof seed === 'object' ? seed : undefined;
	const extraProjects = Array.from({length: Math.max(0, (scale?.projects ?? 1) - 1)}, (_, index) => ({name: `scale-${String(index + 2).padStart(2, '0')}`, description: 'Generated load'}));
	const identity: Identity = seedIdentity(state, scale ? extraProjects : (seed === 'story' ? storyProjects : emptyProjects));
	const base = seedBase(state, identity, seed === 'empty');
	if (seed === 'story' && base) {
		seedStory(state, identity, base);
	}

	if (scale && base) {
		const projectIds = ['demo', ...extraProjects.map(project => project.name)].map(name => identity.projects[name]?.id ?? '');
		generateScale(state, {
			spec: scale, projectIds, userId: identity.users['demo']?.id ?? '', baseImageId: base.debianImageId, encryptedType: base.luksType,
		});
	}

	server.expireToken = tokenId => {
		const token = state.tokens.get(tokenId);
		if (token) {
			token.expiresAt = Math.min(token.expiresAt, state.now() - 1);
		}
	};

	const url = await server.listen(options.port ?? 0);
	const authUrl = `${url}/identity`;
	const cloudsYaml = (): string => cloudsYamlText(authUrl, identity);

	return {
		url,
		authUrl,
		users: identity.users,
		projects: identity.projects,
		applicationCredential: identity.applicationCredential,
		async close() {
			state.stop();
			await server.close();
		},
		cloudsYaml,
		async writeCloudsYaml(path) {
			await writeFile(path, cloudsYaml(), {mode: 0o600});
		},
		setFaults(faults) {
			server.faults.set(faults);
		},
		requestCount: service => server.requestCount(service),
		requestLog: () => server.requestLog(),
		faultHits: () => server.faults.hitCount(),
		setLatency(ms) {
			server.latencyMs = ms;
		},
		setBandwidth(bytesPerSecond) {
			server.bandwidthBytesPerSecond = bytesPerSecond;
		},
		setTokenTtl(seconds) {
			state.tokenTtlSeconds = seconds;
		},
		expireTokens() {
			const now = state.now();
			for (const token of state.tokens.values()) {
				token.expiresAt = Math.min(token.expiresAt, now - 1);
			}
		},
		setQuota(project, quotas) {
			const id = state.projects.has(project) ? project : state.projectByName(project)?.id;
			if (id === undefined) {
				throw new Error(`No demo project ${project}`);
			}

			state.quotas.set(id, {...state.quotaOf(id), ...quotas});
		},
		state,
	};
}

/**
`backstack demo-cloud`: serve until `options.signal` aborts; prints where the clouds.yaml is and how to use it.
*/
export async function runStandalone(options: StandaloneOptions): Promise<StandaloneResult> {
	return serveStandalone(options, startDemoCloud);
}
