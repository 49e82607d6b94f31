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
  step renames it to the plan's name (the operation's `settle`). Not metadata instead: at the end of the restore Cinder
  merges the backup's volume metadata into the new volume's, and the backed-up volume may carry a mark of its own.
- an upload to image (`cinder.uploadVolumeToImage`): once the journal knows the image's ID the step renames it and sets
  the mark as a property in one JSON patch (Cinder's upload does not rewrite the image's properties), so at every
  moment either the name or a property carries it.

Each operation that can be marked says how in its `intent` (operations/<family>.ts): whether this cloud keeps the mark,
and how to find the resource that carries it.

Plans hold no mark (a run makes its own), so previews and exported `openstack` commands do not show one: a script run
by hand has no journal to resume from.
*/
import {isOpenStackError} from '../../openstack/index.js';

/**
The metadata key (Cinder) or image property (Glance) that carries a step's mark. The value is random and per run: it
says nothing about the user or the cloud, and it is no credential.
*/
export const intentKey = 'backstack_token';

type Marked = {id: string};

export async function firstMarked<T extends Marked>(items: AsyncIterable<T>, carries: (item: T) => string | undefined, mark: string): Promise<T | undefined> {
	for await (const item of items) {
		if (carries(item) === mark) {
			return item;
		}
	}

	return undefined;
}

/**
A metadata filter for the resources that carry `mark`.
*/
export const markFilter = (mark: string) => ({[intentKey]: mark});

/**
The name a call that takes no metadata gives its resource: the plan's name with the step's mark.
*/
export function markedName(name: string | undefined, mark: string): string {
	return name === undefined || name === '' ? `${intentKey}=${mark}` : `${name} [${intentKey}=${mark}]`;
}

/**
A call whose answer was lost: no answer (timeout, reset), a gateway's 5xx, or a 2xx whose body could not be read (cut
short, not JSON): the cloud may have done it (after a 2xx, it did).
*/
export function isOutcomeUnknown(error: unknown): boolean {
	return isOpenStackError(error) && (error.status === undefined || error.status >= 500 || (error.status >= 200 && error.status < 300));
}
