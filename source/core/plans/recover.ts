/*
After a crash, a kill or a failure: continue a journalled plan, or delete what it created.
*/
import type {CloudSession} from '../../openstack/api.js';
import {systemClock} from './clock.js';
import {PlanError} from './errors.js';
import {removeAll, runPlan, type RunOptions} from './execute.js';
import {JournalWriter, listUnfinished, readJournal} from './journal.js';
import type {PlanEvent} from './types.js';

function loadUnfinished(directory: string, planId: string) {
	const record = readJournal(directory, planId);
	if (!record) {
		throw new PlanError(`No journal for plan ${planId} in ${directory}.`);
	}

	const entry = listUnfinished(directory).find(candidate => candidate.planId === planId);
	if (entry?.running) {
		throw new PlanError(`Plan ${planId} is still running (process ${record.pid}).`);
	}

	return record;
}

/**
Continues a plan from its journal: finished steps are skipped, a step whose call was accepted goes straight to its wait.
@yields The run's events, as `runPlan` reports them.
*/
export async function * resumePlan(directory: string, planId: string, session: CloudSession, options: Omit<RunOptions, 'journal' | 'resume'> = {}): AsyncGenerator<PlanEvent> {
	const record = loadUnfinished(directory, planId);
	if (record.state === 'done' || record.state === 'cleaned') {
		throw new PlanError(`Plan ${planId} is ${record.state}; there is nothing to resume.`);
	}

	yield * runPlan(record.plan, session, {...options, journal: directory, resume: record});
}

/**
Deletes every resource the plan created and nothing removed yet (newest first), naming each one in its events.
@yields cleanup-start, cleanup-done or cleanup-failed for each resource.
*/
export async function * cleanupPlan(directory: string, planId: string, session: CloudSession, options: {clock?: RunOptions['clock']; timeoutMs?: number} = {}): AsyncGenerator<PlanEvent> {
	const record = loadUnfinished(directory, planId);
	if (record.state === 'done') {
		throw new PlanError(`Plan ${planId} finished; what it created is its result and stays (delete it yourself if you must).`);
	}

	const journal = new JournalWriter(directory, record);
	const clock = options.clock ?? systemClock;
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
}
