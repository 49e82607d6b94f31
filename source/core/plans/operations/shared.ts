/*
Helpers the operation families share.
*/
import {httpStatusOf} from '../errors.js';
import type {CloudSession} from '../../../openstack/api.js';
import {firstMarked, intentKey, markedName} from '../intents.js';
import {collectRefs, resolveRef, type Outputs} from '../refs.js';
import type {Danger, Ref} from '../types.js';
import type {StepContext, StepOutputs} from './types.js';

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

/**
The image that carries `mark` in a property, or in its name when the call had to put it there (`stampedName`).
*/
export async function findMarkedImage(session: CloudSession, mark: string, stampedName?: string, signal?: AbortSignal): Promise<StepOutputs | undefined> {
	if (session.glance === undefined) {
		return undefined;
	}

	// Client side: Glance takes property filters, but a listing of one's own images is short enough.
	const image = await firstMarked(session.glance.listImages({signal}), item => (stampedName !== undefined && item.name === stampedName ? mark : item.properties[intentKey]), mark);
	return image === undefined ? undefined : {imageId: image.id};
}
