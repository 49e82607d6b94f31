/*
The executor: runs a plan against a CloudSession and reports what happens as events.

Order of business: validate the plan, refuse a destructive plan without its confirmation text, run every step's
checks (nothing has changed yet), then the steps (one after the other, or a bounded number at a time), waiting for
each resource to reach a done status and stopping at once on a failure status. Whatever happens, temporary resources
are removed at the end; resources a failed or cancelled plan leaves behind are offered for cleanup.
*/
import {randomUUID} from 'node:crypto';
import process from 'node:process';
import type {CloudSession} from '../../openstack/api.js';
import {backoff, systemClock} from './clock.js';
import {evaluateCheck, describeCheck} from './checks.js';
import {InconclusiveError, PlanError, UnansweredCallError} from './errors.js';
import {describeAction, isConfirmed} from './describe.js';
import {isOutcomeUnknown} from './intents.js';
import {JournalWriter, type JournalRecord} from './journal.js';
import {
	intentOf,
	operationOf,
	type StepContext as OperationContext,
	type StepOutputs,
} from './operations/index.js';
import {resolveRefOr} from './operations/shared.js';
import {
	collectRefs,
	isRef,
	type Outputs,
} from './refs.js';
import {removeAll} from './removal.js';
import {messageOf, readStatus} from './status.js';
import type {
	Clock,
	CreatedResource,
	Plan,
	PlanEvent,
	Step,
	StepState,
	Value,
	Wait,
	WaitResource,
} from './types.js';
import {validatePlan} from './validate.js';

export {httpStatusOf, PlanError} from './errors.js';

export type RunOptions = {
	signal?: AbortSignal;
	clock?: Clock;
	/**
	Directory of the journal; without it nothing is written to disk.
	*/
	journal?: string;
	/**
	What the user typed for a destructive plan (see `confirmationFor`).
	*/
	confirmation?: string;
	/**
	Continue a journalled run (see `resumePlan`).
	*/
	resume?: JournalRecord;
	/**
	How long cleanup may wait for a temporary resource to settle.
	*/
	cleanupTimeoutMs?: number;
	/**
	How long a wait keeps polling through failed reads (5xx, resets, timeouts) before the step fails. Default 5 min.
	*/
	pollOutageMs?: number;
};

class CancelledError extends Error {
	constructor() {
		super('Cancelled.');
		this.name = 'CancelledError';
	}
}

/**
A queue the executor pushes to and the consumer iterates.
*/
class EventQueue<T> {
	readonly #items: T[] = [];
	#wake: (() => void) | undefined;
	#closed = false;

	push(item: T): void {
		this.#items.push(item);
		this.#wake?.();
	}

	close(): void {
		this.#closed = true;
		this.#wake?.();
	}

	async * drain(): AsyncGenerator<T> {
		for (;;) {
			const item = this.#items.shift();
			if (item !== undefined) {
				yield item;
				continue;
			}

			if (this.#closed) {
				return;
			}

			// eslint-disable-next-line no-await-in-loop
			await new Promise<void>(resolve => {
				this.#wake = resolve;
			});
			this.#wake = undefined;
		}
	}
}

type StepContext = OperationContext & {
	pollOutageMs: number;
	/**
	Called as soon as the call was accepted (before any wait).
	*/
	accepted: (outputs: StepOutputs) => void;
};

function throwIfAborted(signal: AbortSignal): void {
	if (signal.aborted) {
		throw new CancelledError();
	}
}

/**
Sends the step's call, made safe against a lost answer where the call can be marked (intents.ts): the mark is journalled
(`journalIntent`) before the call; a mark from an earlier run first looks for what that run created (a resume after a
crash); a lost answer looks again. What is found is adopted: its outputs are the call's.
*/
async function sendMarked(step: Step, context: StepContext, earlier: string | undefined, journalIntent: (intent: string) => void): Promise<Record<string, string | number>> {
	const {session, signal} = context;
	const intent = intentOf(step.action, session);
	if (intent !== undefined && earlier !== undefined) {
		const found = await intent.find(session, earlier, signal);
		if (found !== undefined) {
			return found;
		}
	}

	const mark = intent === undefined ? undefined : (earlier ?? randomUUID());
	if (mark !== undefined) {
		journalIntent(mark);
	}

	context.emit({
		type: 'request', stepId: step.id, op: step.action.op, summary: describeAction(step.action, value => showResolved(value, context.outputs)), at: context.clock.now(),
	});
	try {
		return await operationOf(step.action).perform(step.action.args, {...context, intent: mark});
	} catch (error) {
		if (intent === undefined || mark === undefined || signal.aborted || !isOutcomeUnknown(error)) {
			throw error;
		}

		const found = await intent.find(session, mark, signal);
		if (found !== undefined) {
			return found;
		}

		throw new UnansweredCallError(`${messageOf(error)} Nothing this call created was found (yet): \`backstack journal cleanup\` looks for it `
			+ 'again and deletes it if it appeared; `backstack journal resume` adopts it or sends the call again.');
	}
}

function showResolved(value: Value<string | number> | undefined, outputs: Outputs): string {
	if (value === undefined) {
		return '?';
	}

	const resolved = isRef(value) ? outputs[value.$ref]?.[value.output] ?? `<${value.output} of ${value.$ref}>` : value;
	return String(resolved);
}

async function failureReason(session: CloudSession, step: Step, ended: {resource: WaitResource; id: string; status: string}): Promise<string> {
	const {resource, id, status} = ended;
	let reason = `${resource} ${id} ended ${status}.`;
	const {cinder} = session;
	if (cinder && resource !== 'image') {
		const ids = [id, ...(operationOf(step.action).messageIds?.(step.action.args) ?? [])];

		for (const uuid of ids) {
			try {
				// eslint-disable-next-line no-await-in-loop
				const messages = await cinder.listMessages({resourceUuid: uuid});
				const latest = messages.toSorted((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
				if (latest) {
					reason += ` Cinder says: ${latest.userMessage}`;
					break;
				}
			} catch {
				// Messages are a courtesy; the status already says it failed.
			}
		}
	}

	return reason;
}

async function waitFor(wait: Wait, context: StepContext): Promise<void> {
	const id = String(resolveRefOr(wait.id, context.outputs));
	const deadline = context.clock.now() + wait.timeoutMs;
	const intervals = backoff();
	const outage: Outage = {limitMs: context.pollOutageMs};
	let last: string | undefined;
	for (;;) {
		throwIfAborted(context.signal);
		// eslint-disable-next-line no-await-in-loop
		const status = await readThroughOutage(wait, id, context, outage);
		if (status === 'no-answer') {
			// The next real status is shown again after the "no answer" line.
			last = undefined;
			// eslint-disable-next-line no-await-in-loop
			await pause(context, intervals.next().value);
			continue;
		}

		if (status === undefined) {
			throw new PlanError(`${wait.resource} ${id} disappeared while waiting for ${wait.until.join(' or ')}.`);
		}

		if (status !== last) {
			last = status;
			context.emit({
				type: 'status', stepId: context.step.id, resource: wait.resource, id, status, at: context.clock.now(),
			});
		}

		if (wait.until.includes(status)) {
			return;
		}

		if (wait.failOn.includes(status)) {
			// eslint-disable-next-line no-await-in-loop
			throw new PlanError(await failureReason(context.session, context.step, {resource: wait.resource, id, status}));
		}

		if (context.clock.now() >= deadline) {
			throw new PlanError(`${wait.resource} ${id} is still ${status} after ${Math.round(wait.timeoutMs / 1000)} s.`);
		}

		// eslint-disable-next-line no-await-in-loop
		await pause(context, intervals.next().value);
	}
}

async function pause(context: StepContext, ms: number): Promise<void> {
	try {
		await context.clock.sleep(ms, context.signal);
	} catch {
		throw new CancelledError();
	}
}

type Outage = {
	limitMs: number;
	/**
	When the reads started failing (clock time); undefined while they succeed.
	*/
	since?: number;
};

/**
One status read of a wait. A read whose answer was lost (5xx after the client's retries, a reset, a timeout) is not the
resource's status: the wait polls on ('no-answer') until the cloud has not answered for `limitMs`, then the step fails.
*/
async function readThroughOutage(wait: Wait, id: string, context: StepContext, outage: Outage): Promise<string | undefined | 'no-answer'> {
	try {
		const status = await readStatus(context.session, wait.resource, id, context.signal);
		outage.since = undefined;
		return status;
	} catch (error) {
		if (context.signal.aborted || !isOutcomeUnknown(error)) {
			throw error;
		}

		outage.since ??= context.clock.now();
		const silentMs = context.clock.now() - outage.since;
		if (silentMs >= outage.limitMs) {
			throw new PlanError(`No answer about ${wait.resource} ${id} for ${Math.round(silentMs / 1000)} s while waiting for ${wait.until.join(' or ')} `
				+ `(last: ${messageOf(error)}). It may still get there: \`backstack journal resume\` waits again.`);
		}

		context.emit({
			type: 'status', stepId: context.step.id, resource: wait.resource, id, status: `no answer (${messageOf(error)})`, at: context.clock.now(),
		});
		return 'no-answer';
	}
}

/**
A journalled run, ready to continue. When cleanup already removed temporaries (a cancelled or failed run), the
steps from the first one that created a removed resource onwards run again from scratch.
*/
function normaliseResume(record: JournalRecord): JournalRecord {
	const copy = structuredClone(record);
	const removedBy = new Set(copy.created.filter(resource => resource.removed).map(resource => resource.stepId));
	const restartAt = copy.plan.steps.findIndex(step => removedBy.has(step.id));
	if (restartAt !== -1) {
		for (const step of copy.plan.steps.slice(restartAt)) {
			copy.steps[step.id] = {state: 'pending'};
		}
	}

	copy.created = copy.created.filter(resource => !resource.removed);
	return copy;
}

function dependenciesOf(plan: Plan, step: Step, index: number): string[] {
	if (plan.concurrency === undefined) {
		const previous = plan.steps[index - 1];
		return previous ? [previous.id] : [];
	}

	const fromRefs = collectRefs(step.action.args).map(reference => reference.$ref);
	return [...new Set([...(step.after ?? []), ...fromRefs])].filter(id => id !== step.id);
}

/**
Runs a plan. The iterable ends with exactly one of plan-done, plan-failed or plan-cancelled.
@yields The run's progress events, in order.
*/
export async function * runPlan(plan: Plan, session: CloudSession, options: RunOptions = {}): AsyncGenerator<PlanEvent> {
	const clock = options.clock ?? systemClock;
	const queue = new EventQueue<PlanEvent>();
	const internal = new AbortController();
	const onAbort = () => {
		internal.abort();
	};

	options.signal?.addEventListener('abort', onAbort, {once: true});
	if (options.signal?.aborted) {
		internal.abort();
	}

	const driving = drive({
		plan,
		session,
		options,
		clock,
		signal: internal.signal,
		emit(event) {
			queue.push(event);
		},
	}).catch((error: unknown) => {
		queue.push({type: 'plan-failed', reason: `Internal error: ${messageOf(error)}`, at: clock.now()});
	}).finally(() => {
		queue.close();
	});
	try {
		yield * queue.drain();
	} finally {
		options.signal?.removeEventListener('abort', onAbort);
		// A consumer that stops listening stops the plan (safely: cleanup still runs).
		internal.abort();
		await driving;
	}
}

type Run = {
	plan: Plan;
	session: CloudSession;
	options: RunOptions;
	clock: Clock;
	signal: AbortSignal;
	emit: (event: PlanEvent) => void;
};

/**
Validation, confirmation and every check, before anything changes; false when the plan must not run.
*/
async function canRun(run: Run, resumed: JournalRecord | undefined): Promise<boolean> {
	const {
		plan, session, options, clock, signal, emit,
	} = run;
	const problems = validatePlan(plan);
	if (problems.length > 0) {
		emit({type: 'plan-failed', reason: `The plan is invalid: ${problems.join(' ')}`, at: clock.now()});
		return false;
	}

	if (!isConfirmed(plan, options.confirmation)) {
		const expected = plan.confirmation ? `type "${plan.confirmation.text}" to confirm` : 'it has no confirmation text';
		emit({type: 'plan-failed', reason: `Refused: this plan destroys data and was not confirmed (${expected}). Nothing was changed.`, at: clock.now()});
		return false;
	}

	// Checks: before anything changes. On resume, steps that already started are past their checks.
	const failures: string[] = [];
	const toCheck = plan.steps
		.filter(step => !resumed || resumed.steps[step.id]?.state === 'pending')
		.flatMap(step => step.checks.map(check => ({step, check})));
	for (const {step, check} of toCheck) {
		if (signal.aborted) {
			emit({type: 'plan-cancelled', at: clock.now()});
			return false;
		}

		let reason: string | undefined;
		try {
			// eslint-disable-next-line no-await-in-loop
			reason = await evaluateCheck(check, session, signal);
		} catch (error) {
			reason = `Could not check that ${describeCheck(check)}: ${messageOf(error)}`;
		}

		if (reason === undefined) {
			continue;
		}

		failures.push(reason);
		emit({
			type: 'check-failed', stepId: step.id, check, reason, at: clock.now(),
		});
	}

	if (failures.length > 0) {
		emit({type: 'plan-failed', reason: `Nothing was changed: ${failures.join(' ')}`, at: clock.now()});
		return false;
	}

	return true;
}

async function drive(run: Run): Promise<void> {
	const {
		plan, session, options, clock, signal, emit,
	} = run;
	const resumed = options.resume ? normaliseResume(options.resume) : undefined;
	emit({
		type: 'plan-start', planId: plan.id, at: clock.now(), resumed: resumed !== undefined,
	});
	if (!await canRun(run, resumed)) {
		return;
	}

	const states = new Map<string, StepState>(plan.steps.map(step => [step.id, resumed?.steps[step.id]?.state === 'done' ? 'done' : 'pending']));
	const outputs: Outputs = {};
	const created: CreatedResource[] = resumed ? resumed.created.map(resource => ({...resource})) : [];
	for (const [id, step] of Object.entries(resumed?.steps ?? {})) {
		if (step.outputs) {
			outputs[id] = {...step.outputs};
		}
	}

	emit({type: 'checks-passed', at: clock.now()});

	const journal = options.journal === undefined
		? undefined
		: (resumed ? new JournalWriter(options.journal, {...resumed, state: 'running', pid: process.pid}) : JournalWriter.start(options.journal, plan));

	const record = (stepId: string, change: Partial<{state: StepState; requested: boolean; outputs: Record<string, string | number>; error: string; intent: string; unanswered: boolean}>) => {
		journal?.update(entry => {
			entry.steps[stepId] = {...entry.steps[stepId], state: entry.steps[stepId]?.state ?? 'pending', ...change};
		});
	};

	let failure: {reason: string; stepId?: string} | undefined;

	const runStep = async (step: Step): Promise<void> => {
		states.set(step.id, 'running');
		record(step.id, {state: 'running'});
		emit({type: 'step-start', stepId: step.id, at: clock.now()});
		const previous = resumed?.steps[step.id];
		const context: StepContext = {
			step,
			pollOutageMs: options.pollOutageMs ?? (5 * 60_000),
			session,
			outputs,
			signal,
			clock,
			emit,
			accepted(values) {
				outputs[step.id] = {...outputs[step.id], ...values};
				record(step.id, {requested: true, outputs: outputs[step.id]});
				const {creates} = step;
				if (!creates) {
					return;
				}

				const id = values[creates.output];
				if (id === undefined || created.some(resource => resource.id === String(id) && resource.kind === creates.kind)) {
					return;
				}

				const resource: CreatedResource = {
					kind: creates.kind, id: String(id), name: creates.name, stepId: step.id, temporary: creates.temporary,
				};
				created.push(resource);
				journal?.update(entry => {
					entry.created.push(resource);
				});
				emit({
					type: 'created', stepId: step.id, resource, at: clock.now(),
				});
			},
			createdFile(file, identity, movedFrom) {
				const isKnown = (resource: CreatedResource) => resource.kind === 'file' && resource.id === (movedFrom ?? file) && !resource.removed;
				const update = (resource: CreatedResource) => {
					Object.assign(resource, {id: file, name: file, file: identity});
				};

				const known = created.find(resource => isKnown(resource));
				if (known) {
					update(known);
					journal?.update(entry => {
						const match = entry.created.find(resource => isKnown(resource));
						if (match) {
							update(match);
						}
					});
					return;
				}

				const resource: CreatedResource = {
					kind: 'file', id: file, name: file, stepId: step.id, temporary: false, file: identity,
				};
				created.push(resource);
				journal?.update(entry => {
					entry.created.push({...resource});
				});
				emit({
					type: 'created', stepId: step.id, resource, at: clock.now(),
				});
			},
		};
		try {
			throwIfAborted(signal);
			let mark = previous?.intent;
			if (!previous?.requested) {
				context.accepted(await sendMarked(step, context, previous?.intent, intent => {
					mark = intent;
					record(step.id, {intent});
				}));
				throwIfAborted(signal);
			}

			// A resource that carries the mark in its name gets the plan's name back, now that the journal knows it.
			if (mark !== undefined) {
				await operationOf(step.action).settle?.(step.action.args, {...context, intent: mark});
			}

			if (step.wait) {
				await waitFor(step.wait, context);
			}

			states.set(step.id, 'done');
			record(step.id, {state: 'done'});
			emit({
				type: 'step-done', stepId: step.id, outputs: outputs[step.id] ?? {}, at: clock.now(),
			});
		} catch (error) {
			const isCancelled = signal.aborted;
			states.set(step.id, isCancelled ? 'cancelled' : 'failed');
			record(step.id, {
				state: isCancelled ? 'cancelled' : 'failed', error: isCancelled ? 'cancelled' : messageOf(error), ...(error instanceof UnansweredCallError && {unanswered: true}),
			});
			if (!isCancelled) {
				failure ??= {reason: `Step "${step.title}" failed: ${messageOf(error)}`, stepId: step.id};
				emit({
					type: 'step-failed', stepId: step.id, reason: messageOf(error), ...(error instanceof InconclusiveError && {inconclusive: true as const}), at: clock.now(),
				});
			}
		}
	};

	const limit = plan.concurrency ?? 1;
	const running = new Map<string, Promise<void>>();
	const startReady = () => {
		for (const [index, step] of plan.steps.entries()) {
			if (running.size >= limit) {
				return;
			}

			if (states.get(step.id) !== 'pending') {
				continue;
			}

			const dependencies = dependenciesOf(plan, step, index);
			if (dependencies.some(id => states.get(id) === 'failed' || states.get(id) === 'skipped')) {
				states.set(step.id, 'skipped');
				record(step.id, {state: 'skipped'});
			} else if (dependencies.every(id => states.get(id) === 'done')) {
				running.set(step.id, runStep(step).finally(() => {
					running.delete(step.id);
				}));
			}
		}
	};

	for (;;) {
		// One after the other, a failure stops the plan; side by side (protect-now), it only stops what depends on it.
		const isStopped = signal.aborted || (failure !== undefined && plan.concurrency === undefined);
		if (!isStopped) {
			startReady();
		}

		if (running.size === 0) {
			break;
		}

		// eslint-disable-next-line no-await-in-loop
		await Promise.race(running.values());
	}

	await finish(run, {
		states, created, outputs, journal, failure,
	});
}

type Outcome = {
	states: Map<string, StepState>;
	created: CreatedResource[];
	outputs: Outputs;
	journal: JournalWriter | undefined;
	failure: {reason: string; stepId?: string} | undefined;
};

/**
Removes temporaries, offers what is left and reports how the plan ended.
*/
async function finish(run: Run, outcome: Outcome): Promise<void> {
	const {
		plan, session, options, clock, signal, emit,
	} = run;
	const {
		states, created, outputs, journal, failure,
	} = outcome;
	// Cleanup of temporaries happens whatever the outcome, with its own time budget (not the cancelled signal).
	const temporaries = created.filter(resource => resource.temporary && !resource.removed);
	const cleanup = removeAll(session, temporaries, {
		clock,
		timeoutMs: options.cleanupTimeoutMs ?? (15 * 60_000),
		onRemoved(resource) {
			journal?.update(entry => {
				const match = entry.created.find(item => item.id === resource.id && item.kind === resource.kind);
				if (match) {
					match.removed = true;
				}
			});
		},
	});
	let step = await cleanup.next();
	while (!step.done) {
		emit(step.value);
		// eslint-disable-next-line no-await-in-loop
		step = await cleanup.next();
	}

	const cleanupFailed = step.value;
	const isIncomplete = plan.steps.some(candidate => states.get(candidate.id) !== 'done');
	if (isIncomplete && signal.aborted) {
		const leftovers = created.filter(resource => !resource.removed);
		if (leftovers.length > 0) {
			emit({type: 'cleanup-offered', resources: leftovers, at: clock.now()});
		}

		journal?.update(entry => {
			entry.state = 'cancelled';
		});
		emit({type: 'plan-cancelled', at: clock.now()});
		return;
	}

	if (failure !== undefined || isIncomplete) {
		const leftovers = created.filter(resource => !resource.removed);
		if (leftovers.length > 0) {
			emit({type: 'cleanup-offered', resources: leftovers, at: clock.now()});
		}

		const reason = failure?.reason ?? 'The plan stopped before all steps ran.';
		journal?.update(entry => {
			entry.state = 'failed';
			entry.error = reason;
		});
		emit({
			type: 'plan-failed', reason, stepId: failure?.stepId, at: clock.now(),
		});
		return;
	}

	const results: Record<string, string | number> = {};
	for (const [label, reference] of Object.entries(plan.results ?? {})) {
		const value = outputs[reference.$ref]?.[reference.output];
		if (value !== undefined) {
			results[label] = value;
		}
	}

	journal?.update(entry => {
		entry.state = cleanupFailed.length > 0 ? 'failed' : 'done';
		if (cleanupFailed.length > 0) {
			entry.error = `Temporary resources could not be removed: ${cleanupFailed.map(resource => `${resource.kind} ${resource.id}`).join(', ')}`;
		}
	});
	if (cleanupFailed.length > 0) {
		emit({type: 'cleanup-offered', resources: cleanupFailed, at: clock.now()});
	}

	emit({type: 'plan-done', results, at: clock.now()});
}
