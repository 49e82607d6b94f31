/*
Plan validation, before a plan runs: refs, outputs and created kinds against what each operation produces.
*/
import {operationOf, outputsOf} from './operations/index.js';
import {collectRefs} from './refs.js';
import type {Plan, Ref, Step} from './types.js';

/**
Refs must point to earlier steps and name an output that step produces (see outputsOf); what a step creates must be
recorded from an output its operation produces, and be the kind of resource the operation creates (its `undo`). Returns the problems found.
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

		const {undo} = operationOf(step.action);
		if (step.creates && step.creates.kind !== undo) {
			problems.push(`Step "${step.id}" says it creates: ${step.creates.kind}; ${step.action.op} creates ${undo ?? 'nothing'}: `
				+ 'cleanup would delete the wrong thing.');
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
