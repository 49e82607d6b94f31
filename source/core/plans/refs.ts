/*
Refs: values a step takes from the outputs of an earlier step.
*/
import {outputsOf} from './operations.js';
import type {
	Plan,
	Ref,
	ResourceKind,
	Step,
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

const kindOfOutput: Record<string, ResourceKind> = {
	volumeId: 'volume',
	backupId: 'backup',
	snapshotId: 'snapshot',
	imageId: 'image',
	secretId: 'secret',
	path: 'file',
};

export function outputKind(output: string): ResourceKind | undefined {
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

/**
Refs must point to earlier steps and name an output that step produces (see outputsOf); what a step creates must be
recorded from an output its operation produces. Returns the problems found.
*/
export function validatePlan(plan: Plan): string[] {
	const problems: string[] = [];
	const seen = new Map<string, Step>();
	const producesOutput = (reference: Ref, producer: Step) => {
		if (!outputsOf(producer.action).includes(reference.output)) {
			problems.push(`Step "${reference.$ref}" (${producer.action.op}) produces no "${reference.output}" (it produces: ${listOutputs(producer)}).`);
		}
	};

	for (const step of plan.steps) {
		if (seen.has(step.id)) {
			problems.push(`Step id "${step.id}" is used twice.`);
		}

		// A wait may name the step's own output (the resource it just created).
		const allRefs = collectRefs(step.action.args);
		const waitRefs = collectRefs(step.wait?.id);
		for (const reference of waitRefs) {
			if (reference.$ref === step.id) {
				producesOutput(reference, step);
			} else {
				allRefs.push(reference);
			}
		}

		for (const reference of allRefs) {
			const producer = seen.get(reference.$ref);
			if (producer) {
				producesOutput(reference, producer);
			} else {
				problems.push(`Step "${step.id}" uses "${reference.$ref}", which does not come before it.`);
			}
		}

		const missing = (step.after ?? []).filter(dependency => !seen.has(dependency));
		problems.push(...missing.map(dependency => `Step "${step.id}" waits for "${dependency}", which does not come before it.`));
		if (step.creates && !outputsOf(step.action).includes(step.creates.output)) {
			problems.push(`Step "${step.id}" records what it creates from "${step.creates.output}", which ${step.action.op} does not produce `
				+ `(it produces: ${listOutputs(step)}): it would never be journalled.`);
		}

		seen.set(step.id, step);
	}

	for (const [label, reference] of Object.entries(plan.results ?? {})) {
		const producer = seen.get(reference.$ref);
		if (producer) {
			producesOutput(reference, producer);
		} else {
			problems.push(`Result "${label}" uses unknown step "${reference.$ref}".`);
		}
	}

	return problems;
}

function listOutputs(step: Step): string {
	const outputs = outputsOf(step.action);
	return outputs.length === 0 ? 'nothing' : outputs.join(', ');
}
