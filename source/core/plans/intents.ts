/*
Intents: how a creating call is made safe against a lost answer (a crash, a kill, a client timeout between the cloud
creating the resource and the journal recording its ID).

Before the call the executor journals a random mark (a UUID) for the step; the call stamps it on the new resource
(`backstack_token` in Cinder metadata, in Glance properties); whoever comes next — a resume, a cleanup, the same run
after a timeout — looks for a resource carrying that mark before creating another one, and adopts it.

Three calls take no metadata, only a name; the mark goes into the name (`markedName`), the one field the cloud keeps
from the request itself, so that the resource carries it from the moment it exists and a lookup after a crash between
the answer and the journal write finds it:
- a Barbican secret (`barbican.storeSecret`): a secret cannot be renamed nor given metadata in its create call, so its
  name keeps the mark for good; the lookup lists secrets by exact name (`name=`).
- a restore into a new volume (`cinder.restoreBackup` without `volume_id`): once the journal knows the volume's ID the
  step renames it to the plan's name (`settle` in execute.ts). Not metadata instead: at the end of the restore Cinder
  merges the backup's volume metadata into the new volume's, and the backed-up volume may carry a mark of its own.
- an upload to image (`cinder.uploadVolumeToImage`): once the journal knows the image's ID the step renames it and sets
  the mark as a property in one JSON patch (Cinder's upload does not rewrite the image's properties), so at every
  moment either the name or a property carries it.

Plans hold no mark (a run makes its own), so previews and exported `openstack` commands do not show one: a script run
by hand has no journal to resume from.
*/
import type {CloudSession} from '../../openstack/api.js';
import {isOpenStackError} from '../../openstack/index.js';
import {isMicroversionAtLeast} from './clock.js';
import type {JournalRecord} from './journal.js';
import type {
	Action,
	CreatedResource,
	OperationName,
	Operations,
} from './types.js';

/**
The metadata key (Cinder) or image property (Glance) that carries a step's mark. The value is random and per run: it
says nothing about the user or the cloud, and it is no credential.
*/
export const intentKey = 'backstack_token';

/**
A step's outputs, as `perform` returns them.
*/
export type IntentOutputs = Record<string, string | number>;

type Marked = {id: string};

type IntentOperation = {
	/**
	Whether the cloud keeps the mark for this call (backup metadata needs Cinder 3.43).
	*/
	isMarkable(session: CloudSession, action: Action): boolean;
	/**
	The outputs of the resource that carries the mark, or undefined when there is none.
	*/
	find(session: CloudSession, mark: string, action: Action, signal?: AbortSignal): Promise<IntentOutputs | undefined>;
};

async function firstMarked<T extends Marked>(items: AsyncIterable<T>, carries: (item: T) => string | undefined, mark: string): Promise<T | undefined> {
	for await (const item of items) {
		if (carries(item) === mark) {
			return item;
		}
	}

	return undefined;
}

const filter = (mark: string) => ({[intentKey]: mark});

/**
The name a call that takes no metadata gives its resource: the plan's name with the step's mark.
*/
export function markedName(name: string | undefined, mark: string): string {
	return name === undefined || name === '' ? `${intentKey}=${mark}` : `${name} [${intentKey}=${mark}]`;
}

function argsOf<K extends OperationName>(action: Action, op: K): Operations[K] | undefined {
	return action.op === op ? action.args as Operations[K] : undefined;
}

async function findImage(session: CloudSession, mark: string, action: Action, signal?: AbortSignal): Promise<IntentOutputs | undefined> {
	if (session.glance === undefined) {
		return undefined;
	}

	// An upload to image carries the mark in its name until the step moves it to a property (see above).
	const name = argsOf(action, 'cinder.uploadVolumeToImage')?.imageName;
	const stamped = name === undefined ? undefined : markedName(name, mark);
	// Client side: Glance takes property filters, but a listing of one's own images is short enough.
	const image = await firstMarked(session.glance.listImages({signal}), item => (stamped !== undefined && item.name === stamped ? mark : item.properties[intentKey]), mark);
	return image === undefined ? undefined : {imageId: image.id};
}

const operations: Partial<Record<OperationName, IntentOperation>> = {
	'cinder.createVolume': {
		isMarkable: session => session.cinder !== undefined,
		async find(session, mark, _action, signal) {
			const volume = await firstMarked(session.cinder!.listVolumes({metadata: filter(mark), signal}), item => item.metadata[intentKey], mark);
			return volume === undefined ? undefined : {volumeId: volume.id};
		},
	},
	'cinder.createBackup': {
		isMarkable: session => session.cinder !== undefined && isMicroversionAtLeast(session.cinder.microversion.max, '3.43'),
		async find(session, mark, _action, signal) {
			// Cinder has no metadata filter on backups for a project member: filtered here.
			const backup = await firstMarked(session.cinder!.listBackups({signal}), item => item.metadata[intentKey], mark);
			return backup === undefined ? undefined : {backupId: backup.id};
		},
	},
	'cinder.createSnapshot': {
		isMarkable: session => session.cinder !== undefined,
		async find(session, mark, _action, signal) {
			const snapshot = await firstMarked(session.cinder!.listSnapshots({metadata: filter(mark), signal}), item => item.metadata[intentKey], mark);
			return snapshot === undefined ? undefined : {snapshotId: snapshot.id};
		},
	},
	'cinder.restoreBackup': {
		// Only a restore that creates its volume: one onto a given volume creates nothing.
		isMarkable: (session, action) => session.cinder !== undefined && argsOf(action, 'cinder.restoreBackup')?.volumeId === undefined,
		async find(session, mark, action, signal) {
			const name = markedName(argsOf(action, 'cinder.restoreBackup')?.name, mark);
			// Client side: Cinder's `name` filter is not one every release and policy lets a member use.
			const volume = await firstMarked(session.cinder!.listVolumes({signal}), item => (item.name === name ? mark : undefined), mark);
			return volume === undefined ? undefined : {volumeId: volume.id};
		},
	},
	'cinder.uploadVolumeToImage': {
		isMarkable: session => session.cinder !== undefined && session.glance !== undefined,
		find: findImage,
	},
	'barbican.storeSecret': {
		isMarkable: session => session.barbican !== undefined,
		async find(session, mark, action, signal) {
			const name = markedName(argsOf(action, 'barbican.storeSecret')?.name, mark);
			const secret = await firstMarked(session.barbican!.listSecrets({name, signal}), item => (item.name === name ? mark : undefined), mark);
			return secret === undefined ? undefined : {secretId: secret.id};
		},
	},
	'glance.createImage': {
		isMarkable: session => session.glance !== undefined,
		find: findImage,
	},
	'nova.createServerImage': {
		// Nova copies the request's metadata into the new image's properties.
		isMarkable: session => session.nova !== undefined && session.glance !== undefined,
		find: findImage,
	},
};

/**
How to mark and find what this step's call creates on this cloud, or undefined when it cannot be marked.
*/
export function intentOf(action: Action, session: CloudSession): IntentOperation | undefined {
	const operation = operations[action.op];
	return operation?.isMarkable(session, action) === true ? operation : undefined;
}

/**
A call whose answer was lost: no answer (timeout, reset) or a gateway's 5xx. The cloud may have done it.
*/
export function isOutcomeUnknown(error: unknown): boolean {
	return isOpenStackError(error) && (error.status === undefined || error.status >= 500);
}

/**
What the journalled run created without hearing of it: for each step with a mark and no recorded answer, the resource
that carries the mark (for `journal cleanup`, which then deletes it with the rest).
*/
export async function findUnrecorded(session: CloudSession, record: JournalRecord, signal?: AbortSignal): Promise<CreatedResource[]> {
	const found: CreatedResource[] = [];
	for (const step of record.plan.steps) {
		const entry = record.steps[step.id];
		const operation = intentOf(step.action, session);
		if (operation === undefined || step.creates === undefined || entry?.intent === undefined || entry.requested === true) {
			continue;
		}

		// eslint-disable-next-line no-await-in-loop
		const outputs = await operation.find(session, entry.intent, step.action, signal);
		const id = outputs?.[step.creates.output];
		if (id === undefined || record.created.some(resource => resource.kind === step.creates?.kind && resource.id === String(id))) {
			continue;
		}

		found.push({
			kind: step.creates.kind, id: String(id), name: step.creates.name, stepId: step.id, temporary: step.creates.temporary,
		});
	}

	return found;
}
