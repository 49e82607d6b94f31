/*
The registry: every operation a plan step can perform, each one object (types.ts) in its family's module, and the
removal of each kind of resource the operations create. Adding an operation is one entry in `Operations` (../types.ts)
and one object in its family: the compiler refuses either without the other.
*/
import {PlanError} from '../errors.js';
import {
	type Action,
	type CreatedResource,
	type Danger,
	type OperationName,
	type Plan,
	type PlanResourceKind,
	type Step,
	type Clock,
} from '../types.js';
import type {CloudSession} from '../../../openstack/api.js';
import {barbicanOperations, barbicanRemovers} from './barbican.js';
import {bundleOperations} from './bundle.js';
import {cinderOperations, cinderRemovers} from './cinder.js';
import {fileRemovers} from './files.js';
import {glanceOperations, glanceRemovers} from './glance.js';
import {novaOperations, novaRemovers} from './nova.js';
import {planOperations} from './plan.js';
import type {Operation, RemovableKind, Remover} from './types.js';

export type {
	Operation, RemovableKind, StepContext, StepOutputs,
} from './types.js';

export const operations: {[K in OperationName]: Operation<K>} = {
	...cinderOperations,
	...glanceOperations,
	...novaOperations,
	...barbicanOperations,
	...bundleOperations,
	...planOperations,
};

const removers: Record<RemovableKind, Remover> = {
	...cinderRemovers,
	...glanceRemovers,
	...barbicanRemovers,
	...fileRemovers,
	...novaRemovers,
};

/**
The operation of an action, typed for its arguments.
*/
export function operationOf(action: Action): Operation<OperationName> {
	return operations[action.op];
}

/**
The outputs `perform` resolves with for this action.
*/
export function outputsOf(action: Action): readonly string[] {
	return operationOf(action).outputs(action.args);
}

const dangerOrder: readonly Danger[] = ['read', 'create', 'mutate', 'destroy'];

function atLeast(a: Danger, b: Danger): Danger {
	return dangerOrder.indexOf(a) >= dangerOrder.indexOf(b) ? a : b;
}

export function minimumDanger(action: Action, plan: Plan): Danger {
	return operationOf(action).minimumDanger(action.args, plan);
}

/**
The danger every reader uses: the planner's, raised to the operation's minimum.

Raised rather than rejected: the preview then shows the danger the step really has, and a step raised to `destroy`
needs the plan's typed confirmation like any other (a plan without one never runs, see isConfirmed), so a planner's
mistake can make a prompt stricter but never weaker, and a plan written by an older version stays readable.
*/
export function dangerOf(step: Step, plan: Plan): Danger {
	return atLeast(step.danger, minimumDanger(step.action, plan));
}

/**
How to mark and find what this action creates on this cloud (intents.ts), or undefined when it cannot be marked.
*/
export function intentOf(action: Action, session: CloudSession): {find(session: CloudSession, mark: string, signal?: AbortSignal): Promise<Record<string, string | number> | undefined>} | undefined {
	const {intent} = operationOf(action);
	return intent?.isMarkable(session, action.args) === true ? {find: async (on, mark, signal) => intent.find(on, mark, action.args, signal)} : undefined;
}

function isRemovable(kind: PlanResourceKind): kind is RemovableKind {
	return Object.hasOwn(removers, kind);
}

/**
Deletes one created resource and waits until it is gone (volumes, snapshots, backups) so that what depends on it can go
next; `'gone'` when there was nothing left to remove.
*/
export async function removeResource(session: CloudSession, resource: CreatedResource, clock: Clock, timeoutMs: number): Promise<'gone' | undefined> {
	if (!isRemovable(resource.kind)) {
		throw new PlanError(`backstack does not delete ${resource.kind}s.`);
	}

	return removers[resource.kind](session, resource, clock, clock.now() + timeoutMs);
}
