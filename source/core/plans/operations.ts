/*
What each operation produces and how much it can hurt, whatever a planner wrote: the facts validatePlan and the
readers (previews, confirmation, exported scripts) check a plan against.
*/
import type {
	Action,
	Danger,
	OperationName,
	Operations,
	Plan,
	Step,
} from './types.js';

/**
The outputs `perform()` in execute.ts returns for each operation (keep the two in step). Typed from `Operations`: an
operation without an entry does not compile.
*/
const outputTable: {[K in OperationName]: (args: Operations[K]) => readonly string[]} = {
	'cinder.createVolume': () => ['volumeId'],
	'cinder.restoreBackup': () => ['volumeId'],
	'cinder.createBackup': () => ['backupId'],
	'cinder.createSnapshot': () => ['snapshotId'],
	'cinder.uploadVolumeToImage': () => ['imageId'],
	'cinder.deleteVolume': () => [],
	'cinder.deleteSnapshot': () => [],
	'glance.createImage': () => ['imageId'],
	'glance.uploadImageData': () => ['imageId'],
	'glance.downloadImage': () => ['path', 'bytes'],
	'glance.setImageProperties': () => ['imageId'],
	'glance.removeImageProperties': () => ['imageId'],
	'nova.createServerImage': () => ['imageId'],
	'barbican.storeSecret': () => ['secretId'],
	'barbican.exportSecret': args => args.hexPath === undefined ? ['path'] : ['path', 'hexPath'],
};

export function outputsOf(action: Action): readonly string[] {
	const outputs = outputTable[action.op] as (args: Action['args']) => readonly string[];
	return outputs(action.args);
}

const dangerOrder: readonly Danger[] = ['read', 'create', 'mutate', 'destroy'];

function atLeast(a: Danger, b: Danger): Danger {
	return dangerOrder.indexOf(a) >= dangerOrder.indexOf(b) ? a : b;
}

/**
True when `output` of step `stepId` is the ID of a volume that step creates (not one it was given).
*/
function isVolumeThePlanCreates(plan: Plan, stepId: string, output: string): boolean {
	const producer = plan.steps.find(step => step.id === stepId);
	return producer?.creates?.kind === 'volume' && producer.creates.output === output;
}

const create = (): Danger => 'create';
const mutate = (): Danger => 'mutate';
const destroy = (): Danger => 'destroy';

/**
The least danger of each operation, from what the call does to data the user already has (typed from `Operations`:
an operation without an entry does not compile):
- deleting a volume or snapshot is `destroy`;
- restoring a backup onto a volume is `destroy` (every byte is overwritten), unless the volume is one an earlier step
  of this same plan creates (then nothing the user had is touched: `mutate`); without a target it makes a new volume;
- changing an image's properties is `mutate`;
- everything else makes something new (a resource, or a local file such as an exported key): `create`.
*/
const minimumTable: {[K in OperationName]: (args: Operations[K], plan: Plan) => Danger} = {
	'cinder.createVolume': create,
	'cinder.restoreBackup'(args, plan) {
		const target = args.volumeId;
		if (target === undefined) {
			return 'create';
		}

		return typeof target === 'object' && isVolumeThePlanCreates(plan, target.$ref, target.output) ? 'mutate' : 'destroy';
	},
	'cinder.createBackup': create,
	'cinder.createSnapshot': create,
	'cinder.uploadVolumeToImage': create,
	'cinder.deleteVolume': destroy,
	'cinder.deleteSnapshot': destroy,
	'glance.createImage': create,
	// Glance takes data only into an image that has none yet (a queued one).
	'glance.uploadImageData': create,
	'glance.downloadImage': create,
	'glance.setImageProperties': mutate,
	'glance.removeImageProperties': mutate,
	'nova.createServerImage': create,
	'barbican.storeSecret': create,
	'barbican.exportSecret': create,
};

export function minimumDanger(action: Action, plan: Plan): Danger {
	const minimum = minimumTable[action.op] as (args: Action['args'], plan: Plan) => Danger;
	return minimum(action.args, plan);
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
