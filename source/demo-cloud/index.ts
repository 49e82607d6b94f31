/*
The embedded demo cloud: Keystone, Cinder, Glance, Nova and Barbican simulated in memory behind one local HTTP server.
Used by `backstack --demo`, by `backstack demo-cloud` (runStandalone) and by tests.
*/
import {writeFile} from 'node:fs/promises';
import {createBarbican} from './barbican.js';
import {createCinder} from './cinder/index.js';
import {createGlance} from './glance.js';
import {createNova} from './nova.js';
import type {FaultSpec} from './faults.js';
import type {DemoService} from './http.js';
import {
	cloudsYamlText,
	seedIdentity,
	type DemoProject,
	type DemoUser,
	type Identity,
} from './identity-seed.js';
import {createKeystone} from './keystone.js';
import {DemoHttpServer} from './server.js';
import {generateScale} from './scale.js';
import {seedBase} from './base-seed.js';
import {seedStory, storyProjects} from './story.js';
import {serveStandalone, type StandaloneOptions, type StandaloneResult} from './standalone.js';
import {DemoState, type Delays, type Quotas} from './state.js';

export type {FaultSpec} from './faults.js';
export type {DemoService} from './http.js';
export type {DemoProject, DemoUser} from './identity-seed.js';
export type {Delays, Quotas} from './state.js';
export {demoPassword} from './identity-seed.js';
export {parseScaleSpec} from './scale.js';
export type {StandaloneOptions, StandaloneResult} from './standalone.js';

export type ScaleSpec = {
	/**
	Projects to fill (the first is `demo`); default 1.
	*/
	projects?: number;
	/**
	Volumes per project.
	*/
	volumes?: number;
	/**
	Backups per volume (the first full, the rest incremental).
	*/
	backupsPerVolume?: number;
	/**
	Snapshots per project.
	*/
	snapshots?: number;
	/**
	Images per project.
	*/
	images?: number;
	/**
	Secrets per project (besides the keys of encrypted resources).
	*/
	secrets?: number;
	/**
	Servers per project.
	*/
	servers?: number;
	/**
	Share of volumes of the encrypted type (0..1); default 0.1.
	*/
	encryptedShare?: number;
};

export type DemoCloudOptions = {
	/**
	0 (default): a free port.
	*/
	port?: number;
	seed?: 'story' | 'empty' | ScaleSpec;
	/**
	Multiplies every status delay; 0.01 makes a 3 s "creating" take 30 ms. Default 1.
	*/
	timeScale?: number;
	delays?: Partial<Delays>;
	/**
	Added to every request.
	*/
	latencyMs?: number;
	/**
	Throttles response bodies.
	*/
	bandwidthBytesPerSecond?: number;
	/**
	Token lifetime; default 3600.
	*/
	tokenTtlSeconds?: number;
};

export type DemoCloud = {
	/**
	`http://127.0.0.1:<port>`
	*/
	url: string;
	/**
	Keystone, unversioned: `<url>/identity`.
	*/
	authUrl: string;
	users: Record<string, DemoUser>;
	projects: Record<string, DemoProject>;
	/**
	The seeded application credential of user demo in project demo.
	*/
	applicationCredential: {id: string; name: string; secret: string};
	close(): Promise<void>;
	cloudsYaml(): string;
	writeCloudsYaml(path: string): Promise<void>;
	setFaults(faults: FaultSpec[]): void;
	requestCount(service?: DemoService): number;
	setLatency(ms: number): void;
	setBandwidth(bytesPerSecond: number | undefined): void;
	/**
	Lifetime of tokens issued from now on.
	*/
	setTokenTtl(seconds: number): void;
	/**
	Every token issued so far expires now (the next call gets 401).
	*/
	expireTokens(): void;
	setQuota(project: string, quotas: Partial<Quotas>): void;
	/**
	The simulator's memory, for tests that need to arrange or inspect what the API cannot.
	*/
	state: DemoState;
};

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
		generateScale(state, scale, projectIds, identity.users['demo']?.id ?? '', base.debianImageId, base.luksType);
	}

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
