import {setTimeout as delay} from 'node:timers/promises';
import type {Clock} from './types.js';

export const systemClock: Clock = {
	now: () => Date.now(),
	async sleep(ms, signal) {
		await delay(ms, undefined, {signal});
	},
};

/**
Polling intervals: 1 s, then growing by half up to `maxMs` (never more than one request a second).
@yields The next interval in milliseconds, forever.
*/
export function * backoff(startMs = 1000, maxMs = 10_000): Generator<number, never> {
	let interval = Math.max(1000, startMs);
	for (;;) {
		yield interval;
		interval = Math.min(maxMs, Math.round(interval * 1.5));
	}
}

/**
"3.47" → [3, 47]; compares microversions numerically.
*/
export function isMicroversionAtLeast(have: string, want: string): boolean {
	const [haveMajor = 0, haveMinor = 0] = have.split('.').map(Number);
	const [wantMajor = 0, wantMinor = 0] = want.split('.').map(Number);
	return haveMajor > wantMajor || (haveMajor === wantMajor && haveMinor >= wantMinor);
}
