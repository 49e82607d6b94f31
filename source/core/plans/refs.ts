/*
Refs: values a step takes from the outputs of an earlier step.
*/
import type {
	Plan,
	Ref,
	PlanResourceKind,
} from './types.js';

export function ref(stepId: string, output: string): Ref {
	return {$ref: stepId, output};
}

export function isRef(value: unknown): value is Ref {
	return typeof value === 'object' && value !== null && typeof (value as Record<string, unknown>)['$ref'] === 'string'
		&& typeof (value as Record<string, unknown>)['output'] === 'string';
}

export type Outputs = Record<string, Record<string, string | number>>;

export class UnresolvedRefError extends Error {
	constructor(reference: Ref) {
		super(`Step "${reference.$ref}" has not produced "${reference.output}" yet.`);
		this.name = 'UnresolvedRefError';
	}
}

/**
The value of one ref, from the outputs of finished steps.
*/
export function resolveRef(reference: Ref, outputs: Outputs): string | number {
	const value = outputs[reference.$ref]?.[reference.output];
	if (value === undefined) {
		throw new UnresolvedRefError(reference);
	}

	return value;
}

type Resolved<T> = T extends Ref ? string | number
	: T extends Array<infer U> ? Array<Resolved<U>>
		: T extends Record<string, unknown> ? {[K in keyof T]: Resolved<T[K]>}
			: T;

/**
A deep copy of `value` with every ref replaced by its value.
*/
export function resolveAll<T>(value: T, outputs: Outputs): Resolved<T> {
	if (isRef(value)) {
		return resolveRef(value, outputs) as Resolved<T>;
	}

	if (Array.isArray(value)) {
		return value.map(item => resolveAll(item as unknown, outputs)) as Resolved<T>;
	}

	if (typeof value === 'object' && value !== null) {
		const copy: Record<string, unknown> = {};
		for (const [key, item] of Object.entries(value)) {
			copy[key] = resolveAll(item as unknown, outputs);
		}

		return copy as Resolved<T>;
	}

	return value as Resolved<T>;
}

/**
Every ref inside a value, depth first.
*/
export function collectRefs(value: unknown): Ref[] {
	if (isRef(value)) {
		return [value];
	}

	if (Array.isArray(value)) {
		return value.flatMap(item => collectRefs(item));
	}

	return typeof value === 'object' && value !== null ? Object.values(value).flatMap(item => collectRefs(item)) : [];
}

const kindOfOutput: Record<string, PlanResourceKind> = {
	volumeId: 'volume',
	backupId: 'backup',
	snapshotId: 'snapshot',
	imageId: 'image',
	secretId: 'secret',
	serverId: 'server',
	path: 'file',
};

export function outputKind(output: string): PlanResourceKind | undefined {
	return kindOfOutput[output];
}

/**
"<volume from step 2>" (steps are numbered from 1 as in previews).
*/
export function describeRef(reference: Ref, plan: Plan): string {
	const index = plan.steps.findIndex(step => step.id === reference.$ref);
	const kind = outputKind(reference.output) ?? reference.output;
	return index === -1 ? `<${kind} from ${reference.$ref}>` : `<${kind} from step ${index + 1}>`;
}
