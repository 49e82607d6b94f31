/*
Intents: how a creating call is made safe against a lost answer (a crash, a kill, a client timeout between the cloud
creating the resource and the journal recording its ID).

Before the call the executor journals a random mark (a UUID) for the step; the call stamps it on the new resource
(`backstack_token` in Cinder metadata, in Glance properties); whoever comes next — a resume, a cleanup, the same run
after a timeout — looks for a resource carrying that mark before creating another one, and adopts it.

Operations not listed here have no place for a mark the cloud keeps (a restore into a new volume, an upload to image,
a Barbican secret, whose name is the user's): they keep the old behaviour, a resume sends them again.

Plans hold no mark (a run makes its own), so previews and exported `openstack` commands do not show one: a script run
by hand has no journal to resume from.
*/
import type {CloudSession} from '../../openstack/api.js';
import {isOpenStackError} from '../../openstack/index.js';
import {isMicroversionAtLeast} from './clock.js';
import type {JournalRecord} from './journal.js';
import type {CreatedResource, OperationName} from './types.js';

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
	isMarkable(session: CloudSession): boolean;
	/**
	The outputs of the resource that carries the mark, or undefined when there is none.
	*/
	find(session: CloudSession, mark: string, signal?: AbortSignal): Promise<IntentOutputs | undefined>;
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

async function findImage(session: CloudSession, mark: string, signal?: AbortSignal): Promise<IntentOutputs | undefined> {
	if (session.glance === undefined) {
		return undefined;
	}

	// Client side: Glance takes property filters, but a listing of one's own images is short enough.
	const image = await firstMarked(session.glance.listImages({signal}), item => item.properties[intentKey], mark);
	return image === undefined ? undefined : {imageId: image.id};
}

const operations: Partial<Record<OperationName, IntentOperation>> = {
	'cinder.createVolume': {
		isMarkable: session => session.cinder !== undefined,
		async find(session, mark, signal) {
			const volume = await firstMarked(session.cinder!.listVolumes({metadata: filter(mark), signal}), item => item.metadata[intentKey], mark);
			return volume === undefined ? undefined : {volumeId: volume.id};
		},
	},
	'cinder.createBackup': {
		isMarkable: session => session.cinder !== undefined && isMicroversionAtLeast(session.cinder.microversion.max, '3.43'),
		async find(session, mark, signal) {
			// Cinder has no metadata filter on backups for a project member: filtered here.
			const backup = await firstMarked(session.cinder!.listBackups({signal}), item => item.metadata[intentKey], mark);
			return backup === undefined ? undefined : {backupId: backup.id};
		},
	},
	'cinder.createSnapshot': {
		isMarkable: session => session.cinder !== undefined,
		async find(session, mark, signal) {
			const snapshot = await firstMarked(session.cinder!.listSnapshots({metadata: filter(mark), signal}), item => item.metadata[intentKey], mark);
			return snapshot === undefined ? undefined : {snapshotId: snapshot.id};
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
export function intentOf(op: OperationName, session: CloudSession): IntentOperation | undefined {
	const operation = operations[op];
	return operation?.isMarkable(session) === true ? operation : undefined;
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
		const operation = intentOf(step.action.op, session);
		if (operation === undefined || step.creates === undefined || entry?.intent === undefined || entry.requested === true) {
			continue;
		}

		// eslint-disable-next-line no-await-in-loop
		const outputs = await operation.find(session, entry.intent, signal);
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
