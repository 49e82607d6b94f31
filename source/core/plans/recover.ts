/*
After a crash, a kill or a failure: continue a journalled plan, or delete what it created. Both hold the plan's lock
(lock.ts) from before they read the journal until they end, so that no two processes work on one plan.
*/
import type {CloudSession} from '../../openstack/api.js';
import {systemClock} from './clock.js';
import {PlanError} from './errors.js';
import {runPlan, type RunOptions} from './execute.js';
import {removeAll} from './removal.js';
import {intentOf} from './operations/index.js';
import {
	isWriterAlive,
	JournalWriter,
	readJournal,
	type JournalRecord,
} from './journal.js';
import {acquirePlanLock, lockPath, type PlanLock} from './lock.js';
import type {CreatedResource, Plan, PlanEvent} from './types.js';

export type RecoverOptions = {
	/**
	The plan's lock, when the caller took it already (before connecting); otherwise it is taken here.
	*/
	lock?: PlanLock;
};

function loadUnfinished(directory: string, planId: string) {
	const record = readJournal(directory, planId);
	if (!record) {
		throw new PlanError(`No journal for plan ${planId} in ${directory}.`);
	}

	// A run that holds no lock (an older backstack, or a run in progress elsewhere in this process).
	if (isWriterAlive(record)) {
		throw new PlanError(`Plan ${planId} is still running (process ${record.pid}).`);
	}

	return record;
}

/**
Runs `work` under the plan's lock: the caller's, or one taken now and released when `work` ends however it ends.
@yields What `work` yields.
*/
async function * locked(directory: string, planId: string, options: RecoverOptions, work: () => AsyncGenerator<PlanEvent>): AsyncGenerator<PlanEvent> {
	if (options.lock !== undefined && options.lock.file !== lockPath(directory, planId)) {
		throw new PlanError(`The lock given is not plan ${planId}'s.`);
	}

	const lock = options.lock ?? acquirePlanLock(directory, planId);
	try {
		yield * work();
	} finally {
		if (options.lock === undefined) {
			lock.release();
		}
	}
}

/**
`runPlan` under the plan's lock when it is journalled, so that `journal resume` elsewhere sees it running from its
first moment (before its checks) and refuses.
@yields The run's events, as `runPlan` reports them.
*/
export async function * runPlanLocked(plan: Plan, session: CloudSession, options: RunOptions = {}): AsyncGenerator<PlanEvent> {
	if (options.journal === undefined) {
		yield * runPlan(plan, session, options);
		return;
	}

	yield * locked(options.journal, plan.id, {}, () => runPlan(plan, session, options));
}

/**
Continues a plan from its journal: finished steps are skipped, a step whose call was accepted goes straight to its wait.
@yields The run's events, as `runPlan` reports them.
*/
export async function * resumePlan(directory: string, planId: string, session: CloudSession, options: Omit<RunOptions, 'journal' | 'resume'> & RecoverOptions = {}): AsyncGenerator<PlanEvent> {
	const {lock, ...run} = options;
	yield * locked(directory, planId, {lock}, async function * () {
		const record = loadUnfinished(directory, planId);
		if (record.state === 'done' || record.state === 'cleaned') {
			throw new PlanError(`Plan ${planId} is ${record.state}; there is nothing to resume.`);
		}

		yield * runPlan(record.plan, session, {...run, journal: directory, resume: record});
	});
}

/**
Deletes every resource the plan created and nothing removed yet (newest first), naming each one in its events.
@yields cleanup-start, cleanup-done or cleanup-failed for each resource.
*/
export async function * cleanupPlan(
	directory: string,
	planId: string,
	session: CloudSession,
	options: {clock?: RunOptions['clock']; timeoutMs?: number} & RecoverOptions = {},
): AsyncGenerator<PlanEvent> {
	yield * locked(directory, planId, options, async function * () {
		const record = loadUnfinished(directory, planId);
		if (record.state === 'done') {
			throw new PlanError(`Plan ${planId} finished; what it created is its result and stays (delete it yourself if you must).`);
		}

		const journal = new JournalWriter(directory, record);
		const clock = options.clock ?? systemClock;
		// A call whose answer was lost (a crash, a timeout): what it created is found by its mark and journalled first.
		const unrecorded = await findUnrecorded(session, record);
		if (unrecorded.length > 0) {
			journal.update(entry => {
				entry.created.push(...unrecorded.map(resource => ({...resource})));
			});
		}

		const leftovers = record.created.filter(resource => !resource.removed);
		const failed = yield * removeAll(session, leftovers, {
			clock,
			timeoutMs: options.timeoutMs ?? (15 * 60_000),
			onRemoved(resource) {
				journal.update(entry => {
					const match = entry.created.find(item => item.id === resource.id && item.kind === resource.kind);
					if (match) {
						match.removed = true;
					}
				});
			},
		});
		journal.update(entry => {
			if (failed.length === 0) {
				entry.state = 'cleaned';
			} else if (entry.state === 'running') {
				entry.state = 'failed';
			}
		});
	});
}

/**
What the journalled run created without hearing of it: for each step with a mark and no recorded answer, the resource
that carries the mark (for `journal cleanup`, which then deletes it with the rest).
*/
async function findUnrecorded(session: CloudSession, record: JournalRecord, signal?: AbortSignal): Promise<CreatedResource[]> {
	const found: CreatedResource[] = [];
	for (const step of record.plan.steps) {
		const entry = record.steps[step.id];
		const operation = intentOf(step.action, session);
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
