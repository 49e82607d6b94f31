/*
The journal: one JSON file per plan in a directory the caller chooses. It records the plan, each step's state and
outputs (IDs and paths only) and every resource the plan created, the moment it is created. After a crash the plan
can be resumed or its resources removed. No payload, no token, no password ever goes into it: plans do not hold any.
*/
import {
	mkdirSync,
	readdirSync,
	readFileSync,
} from 'node:fs';
import process from 'node:process';
import {writeFileAtomicSync} from '../atomic-file.js';
import {
	isAlive,
	lockHolder,
	ownIdentity,
	planFile,
} from './lock.js';
import type {
	CreatedResource,
	Plan,
	StepState,
} from './types.js';

export type JournalState = 'running' | 'done' | 'failed' | 'cancelled' | 'cleaned';

export type JournalStep = {
	state: StepState;
	/**
	True once the step's call was accepted: a resume waits instead of calling again.
	*/
	requested?: boolean;
	/**
	A random mark (UUID) written here before a creating call and stamped on what it creates (see intents.ts): a resume,
	a cleanup or a timed-out call finds that resource by it instead of creating a second one or losing it.
	*/
	intent?: string;
	/**
	The marked call got no answer and nothing with its mark was found then: the cloud may make it later, so the plan is
	listed as unfinished until a cleanup or a resume looked again.
	*/
	unanswered?: boolean;
	outputs?: Record<string, string | number>;
	error?: string;
};

export type JournalRecord = {
	version: 1;
	plan: Plan;
	state: JournalState;
	/**
	The process that last wrote the record, and its start time (see lock.ts): a PID alone may be reused.
	*/
	pid: number;
	pidStart?: string;
	startedAt: string;
	updatedAt: string;
	steps: Record<string, JournalStep>;
	created: CreatedResource[];
	error?: string;
};

export function journalPath(directory: string, planId: string): string {
	return planFile(directory, planId, '.json');
}

export function readJournal(directory: string, planId: string): JournalRecord | undefined {
	try {
		return JSON.parse(readFileSync(journalPath(directory, planId), 'utf8')) as JournalRecord;
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
			return undefined;
		}

		throw error;
	}
}

/**
Writes are synchronous and atomic (temporary file + rename): what the journal says happened, happened.
*/
export class JournalWriter {
	static start(directory: string, plan: Plan): JournalWriter {
		const now = new Date().toISOString();
		return new JournalWriter(directory, {
			version: 1,
			plan,
			state: 'running',
			pid: process.pid,
			startedAt: now,
			updatedAt: now,
			steps: Object.fromEntries(plan.steps.map(step => [step.id, {state: 'pending'}])),
			created: [],
		});
	}

	readonly #file: string;
	readonly record: JournalRecord;

	constructor(directory: string, record: JournalRecord) {
		mkdirSync(directory, {recursive: true, mode: 0o700});
		this.#file = journalPath(directory, record.plan.id);
		this.record = record;
		this.flush();
	}

	update(change: (record: JournalRecord) => void): void {
		change(this.record);
		this.flush();
	}

	flush(): void {
		this.record.updatedAt = new Date().toISOString();
		const own = ownIdentity();
		this.record.pid = own.pid;
		this.record.pidStart = own.start;

		writeFileAtomicSync(this.#file, JSON.stringify(this.record, undefined, '\t') + '\n');
	}
}

export type UnfinishedPlan = {
	planId: string;
	title: string;
	kind: string;
	state: JournalState;
	/**
	True when a live process holds the plan's lock, or the process that last wrote a running plan's journal still runs
	(same PID and start time): then it is running, not crashed.
	*/
	running: boolean;
	startedAt: string;
	updatedAt: string;
	stepsDone: number;
	stepsTotal: number;
	/**
	What the plan created and nothing removed yet.
	*/
	leftovers: CreatedResource[];
};

/**
Whether a live process runs (or resumes, or cleans up) the plan.
*/
export function isPlanRunning(directory: string, record: JournalRecord): boolean {
	return lockHolder(directory, record.plan.id) !== undefined || isWriterAlive(record);
}

/**
A running plan whose journal writer still runs (same PID and start time; a journal of an older backstack has no start
time, so its PID alone decides).
*/
export function isWriterAlive(record: JournalRecord): boolean {
	return record.state === 'running' && isAlive({pid: record.pid, start: record.pidStart});
}

/**
Plans that did not finish (crashed; failed or cancelled with resources left or a create left unanswered), newest first.
*/
export function listUnfinished(directory: string): UnfinishedPlan[] {
	let names: string[];
	try {
		names = readdirSync(directory);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
			return [];
		}

		throw error;
	}

	const unfinished: UnfinishedPlan[] = [];
	for (const name of names) {
		if (!name.endsWith('.json')) {
			continue;
		}

		const record = readJournal(directory, name.slice(0, -'.json'.length));
		if (!record) {
			continue;
		}

		const leftovers = record.created.filter(resource => !resource.removed);
		const isCrashedOrRunning = record.state === 'running';
		const isUnanswered = Object.values(record.steps).some(step => step.unanswered === true && step.requested !== true);
		const isLeftBehind = (record.state === 'failed' || record.state === 'cancelled') && (leftovers.length > 0 || isUnanswered);
		if (!isCrashedOrRunning && !isLeftBehind) {
			continue;
		}

		const steps = Object.values(record.steps);
		unfinished.push({
			planId: record.plan.id,
			title: record.plan.title,
			kind: record.plan.kind,
			state: record.state,
			running: isPlanRunning(directory, record),
			startedAt: record.startedAt,
			updatedAt: record.updatedAt,
			stepsDone: steps.filter(step => step.state === 'done').length,
			stepsTotal: steps.length,
			leftovers,
		});
	}

	return unfinished.toSorted((a, b) => b.updatedAt.localeCompare(a.updatedAt));
}
