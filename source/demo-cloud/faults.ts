/*
Faults on demand: which requests they hit and what they do instead of (or on top of) the normal answer.
*/
import type {DemoService} from './http.js';

export type FaultMatch = {
	/**
	Only requests to this service.
	*/
	service?: DemoService;
	/**
	Only this HTTP method (upper case).
	*/
	method?: string;
	/**
	Tested against the request path (with query), e.g. `/volume/v3/<project>/backups/detail?limit=5`.
	*/
	path?: string | RegExp;
	/**
	Probability (0..1) that a matching request is hit; default 1.
	*/
	rate?: number;
	/**
	Stop after hitting this many requests; default unlimited.
	*/
	times?: number;
	/**
	Let this many matching requests pass before the first hit (e.g. a token that expires after N calls); default 0.
	*/
	skip?: number;
};

export type FaultSpec = FaultMatch & (
	/**
	Answer with this status in the service's error format.
	*/
	| {kind: 'error'; status: number; message?: string}
	/**
	429 with `Retry-After` (seconds or an HTTP date), like a gateway's rate limiter.
	*/
	| {kind: 'rate-limit'; retryAfter?: number | string}
	/**
	Hold the request this long before answering normally (longer than a client's timeout).
	*/
	| {kind: 'stall'; ms: number}
	/**
	Do the request (a create really creates), then hold the answer this long (default: until the cloud closes), like a
	gateway that loses the reply: the client times out or dies not knowing what was made.
	*/
	| {kind: 'hold-reply'; ms?: number}
	/**
	Extra latency for matching requests.
	*/
	| {kind: 'latency'; ms: number}
	/**
	Destroy the connection without answering.
	*/
	| {kind: 'reset'}
	/**
	Answer normally but cut the body in half (invalid JSON).
	*/
	| {kind: 'malformed'}
	/**
	The token the request carries expires now, as Keystone's do at the end of their life: this request and every later
	one with that token get keystonemiddleware's 401; a new token works.
	*/
	| {kind: 'expire-token'}
);

type ActiveFault = {spec: FaultSpec; hits: number; passed: number};

export class FaultTable {
	private faults: ActiveFault[] = [];
	private readonly random: () => number;

	constructor(random: () => number = Math.random) {
		this.random = random;
	}

	set(specs: FaultSpec[]): void {
		this.faults = specs.map(spec => ({spec, hits: 0, passed: 0}));
	}

	/**
	How many requests the current faults have hit, all together.
	*/
	hitCount(): number {
		return this.faults.reduce((sum, fault) => sum + fault.hits, 0);
	}

	/**
	The faults that hit this request (each counted).
	*/
	pick(service: DemoService, method: string, path: string): FaultSpec[] {
		const hit: FaultSpec[] = [];
		for (const fault of this.faults) {
			const {spec} = fault;
			if ((spec.service !== undefined && spec.service !== service)
				|| (spec.method !== undefined && spec.method.toUpperCase() !== method)
				|| (spec.path !== undefined && !(typeof spec.path === 'string' ? path.includes(spec.path) : spec.path.test(path)))
				|| (spec.times !== undefined && fault.hits >= spec.times)
				|| (spec.rate !== undefined && this.random() >= spec.rate)) {
				continue;
			}

			if (fault.passed < (spec.skip ?? 0)) {
				fault.passed++;
				continue;
			}

			fault.hits++;
			hit.push(spec);
		}

		return hit;
	}
}
