/*
The demo cloud's public types, in a module of their own so that index.ts, scale.ts and standalone.ts can all use them
without importing one another in a circle.
*/
import type {FaultSpec} from './faults.js';
import type {DemoService} from './http.js';
import type {DemoProject, DemoUser} from './identity-seed.js';
import type {Delays, DemoState, Quotas} from './state.js';

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
	/**
	The newest requests, oldest first (time, method, path).
	*/
	requestLog(): Array<{at: number; method: string; path: string}>;
	/**
	How many requests the faults of the last `setFaults` have hit.
	*/
	faultHits(): number;
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
