/*
Helpers the operation families share.
*/
import {httpStatusOf} from '../errors.js';
import {intentKey, markedName} from '../intents.js';
import {collectRefs, resolveRef, type Outputs} from '../refs.js';
import type {Danger, Ref} from '../types.js';
import type {StepContext} from './types.js';

export const create = (): Danger => 'create';
export const mutate = (): Danger => 'mutate';
export const destroy = (): Danger => 'destroy';

/**
`metadata` with the step's mark added (unchanged without one).
*/
export function marked(metadata: Record<string, string> | undefined, intent: string | undefined): Record<string, string> | undefined {
	return intent === undefined ? metadata : {...metadata, [intentKey]: intent};
}

/**
`name` with the step's mark in it (unchanged without one), for the calls that take no metadata (intents.ts).
*/
export function withMark(name: string, intent: string | undefined): string;
export function withMark(name: string | undefined, intent: string | undefined): string | undefined;
export function withMark(name: string | undefined, intent: string | undefined): string | undefined {
	return intent === undefined ? name : markedName(name, intent);
}

/**
A value that may be a ref, resolved.
*/
export function resolveRefOr<T>(value: T | Ref, outputs: Outputs): T | string | number {
	return collectRefs(value).length > 0 ? resolveRef(value as Ref, outputs) : value as T;
}

/**
Reports bytes at most four times a second, with a rate over the last interval.
*/
export function byteReporter(context: StepContext, total: number | undefined) {
	let lastAt = context.clock.now();
	let lastBytes = 0;
	let rate: number | undefined;
	return (transferred: number, isFinal = false) => {
		const now = context.clock.now();
		if (!isFinal && now - lastAt < 250) {
			return;
		}

		if (now > lastAt) {
			rate = Math.round((transferred - lastBytes) * 1000 / (now - lastAt));
		}

		lastAt = now;
		lastBytes = transferred;
		context.emit({
			type: 'bytes', stepId: context.step.id, transferred, total, rate, at: now,
		});
	};
}

/**
Runs a delete call; a 404 (someone else deleted it) is success.
*/
export async function ignoreMissing(call: () => Promise<void>): Promise<void> {
	try {
		await call();
	} catch (error) {
		if (httpStatusOf(error) !== 404) {
			throw error;
		}
	}
}
