/*
One process at a time per journalled plan: `<journal>/<plan id>.lock`, created exclusively (link(2) of a file that
already holds the owner), naming the owner by PID and the process's start time (field 22 of /proc/PID/stat, clock ticks
since boot). A lock whose process is gone, or whose PID now belongs to a process that started at another time (a reused
PID), is stale and is taken over. Released when the work ends, and on exit (Ctrl+C twice, SIGTERM, SIGHUP).
*/
import {randomUUID} from 'node:crypto';
import {
	linkSync,
	lstatSync,
	mkdirSync,
	readFileSync,
	renameSync,
	unlinkSync,
	writeFileSync,
} from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import {PlanError} from './errors.js';

export type ProcessIdentity = {
	pid: number;
	/**
	Start time of the process in clock ticks since boot; undefined where /proc does not tell.
	*/
	start?: string;
};

type LockContent = ProcessIdentity & {since: string};

/**
Field 22 of /proc/PID/stat, or undefined when the process does not exist or the system has no /proc.
*/
export function processStartTime(pid: number): string | undefined {
	let stat: string;
	try {
		stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
	} catch {
		return undefined;
	}

	// The command name (field 2) is in parentheses and may hold spaces or parentheses itself: count from the last ')'.
	const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	return fields[22 - 3];
}

let ownStart: string | undefined;

export function ownIdentity(): ProcessIdentity {
	ownStart ??= processStartTime(process.pid);
	return ownStart === undefined ? {pid: process.pid} : {pid: process.pid, start: ownStart};
}

function hasProcFs(): boolean {
	return ownIdentity().start !== undefined;
}

/**
True when the process that recorded `owner` still runs: same PID and, where known, the same start time.
*/
export function isAlive(owner: ProcessIdentity): boolean {
	if (!Number.isSafeInteger(owner.pid) || owner.pid <= 0) {
		return false;
	}

	if (hasProcFs()) {
		const start = processStartTime(owner.pid);
		return start !== undefined && (owner.start === undefined || owner.start === start);
	}

	try {
		process.kill(owner.pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
}

const planIdPattern = /^[\w\-.]+$/v;

/**
`<directory>/<plan id><extension>`; throws for an ID that cannot name a file.
*/
export function planFile(directory: string, planId: string, extension: '.json' | '.lock'): string {
	if (!planIdPattern.test(planId)) {
		throw new Error(`Plan id "${planId}" cannot name a journal file.`);
	}

	return path.join(directory, `${planId}${extension}`);
}

export function lockPath(directory: string, planId: string): string {
	return planFile(directory, planId, '.lock');
}

function readLock(file: string): {content: LockContent | undefined; ino: bigint} {
	const {ino} = lstatSync(file, {bigint: true});
	let content: LockContent | undefined;
	try {
		const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockContent>;
		content = typeof parsed.pid === 'number' ? {pid: parsed.pid, start: parsed.start, since: String(parsed.since)} : undefined;
	} catch {
		// Unreadable or not ours: it names no live process.
	}

	return {content, ino};
}

/**
The live process holding the plan's lock, or undefined (no lock, or a stale one).
*/
export function lockHolder(directory: string, planId: string): LockContent | undefined {
	try {
		const {content} = readLock(lockPath(directory, planId));
		return content && isAlive(content) ? content : undefined;
	} catch {
		return undefined;
	}
}

export class PlanLockedError extends PlanError {
	readonly holder: LockContent;

	constructor(planId: string, holder: LockContent) {
		const who = holder.pid === process.pid ? 'this backstack itself' : `process ${holder.pid}`;
		super(`Plan ${planId} is being run by ${who} (since ${holder.since}); wait until it ends or stop that process, then try again.`);
		this.name = 'PlanLockedError';
		this.holder = holder;
	}
}

export type PlanLock = {
	readonly file: string;
	release(): void;
};

const held = new Set<() => void>();

function releaseAll(): void {
	for (const release of held) {
		release();
	}
}

function onSignal(signal: NodeJS.Signals): void {
	releaseAll();
	process.removeListener(signal, onSignal);
	// Nobody else handles it: end the way the signal would have without us.
	if (process.listenerCount(signal) === 0) {
		process.kill(process.pid, signal);
	}
}

const exitSignals: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP'];

function watchExit(isHolding: boolean): void {
	if (isHolding && held.size === 1) {
		process.on('exit', releaseAll);
		for (const signal of exitSignals) {
			process.on(signal, onSignal);
		}
	} else if (!isHolding && held.size === 0) {
		process.removeListener('exit', releaseAll);
		for (const signal of exitSignals) {
			process.removeListener(signal, onSignal);
		}
	}
}

function isCode(error: unknown, code: string): boolean {
	return (error as NodeJS.ErrnoException).code === code;
}

/**
Takes the plan's lock or throws PlanLockedError naming the live process that holds it. Synchronous and local: call it
before anything reaches the network.
*/
export function acquirePlanLock(directory: string, planId: string): PlanLock {
	mkdirSync(directory, {recursive: true, mode: 0o700});
	const file = lockPath(directory, planId);
	const own: LockContent = {...ownIdentity(), since: new Date().toISOString()};
	const unique = `${process.pid}.${randomUUID()}`;
	const fresh = `${file}.${unique}.tmp`;
	writeFileSync(fresh, JSON.stringify(own) + '\n', {mode: 0o600, flag: 'wx'});
	try {
		for (let attempt = 0; attempt < 10; attempt++) {
			try {
				// Link, not rename: it fails when a lock exists, and the lock never exists without its owner in it.
				linkSync(fresh, file);
				return heldLock(file, lstatSync(fresh, {bigint: true}).ino);
			} catch (error) {
				if (!isCode(error, 'EEXIST')) {
					throw error;
				}
			}

			let existing: ReturnType<typeof readLock>;
			try {
				existing = readLock(file);
			} catch (error) {
				if (isCode(error, 'ENOENT')) {
					continue;
				}

				throw error;
			}

			if (existing.content && isAlive(existing.content)) {
				throw new PlanLockedError(planId, existing.content);
			}

			takeOverStale(file, existing.ino, `${file}.${unique}.stale`);
		}
	} finally {
		unlinkSync(fresh);
	}

	throw new PlanError(`Could not take the lock of plan ${planId} (${file}): other processes keep taking it. Try again.`);
}

/**
Moves the stale lock out of the way. When another process replaced it by its own (live) lock in the meantime, that lock
is put back; either way the caller tries to link its own again.
*/
function takeOverStale(file: string, staleIno: bigint, aside: string): void {
	try {
		renameSync(file, aside);
	} catch (error) {
		if (isCode(error, 'ENOENT')) {
			return;
		}

		throw error;
	}

	try {
		if (lstatSync(aside, {bigint: true}).ino !== staleIno) {
			try {
				linkSync(aside, file);
			} catch (error) {
				if (!isCode(error, 'EEXIST')) {
					throw error;
				}
			}
		}
	} finally {
		unlinkSync(aside);
	}
}

function heldLock(file: string, ino: bigint): PlanLock {
	let isHeld = true;
	const release = () => {
		if (!isHeld) {
			return;
		}

		isHeld = false;
		held.delete(release);
		watchExit(false);
		try {
			// Only our own lock: a lock taken over after ours was judged stale belongs to someone else.
			if (lstatSync(file, {bigint: true}).ino === ino) {
				unlinkSync(file);
			}
		} catch {
			// Already gone.
		}
	};

	held.add(release);
	watchExit(true);
	return {file, release};
}

/**
Runs `work` under the plan's lock (see acquirePlanLock), released when the iteration ends however it ends.
@yields What `work` yields.
*/
export async function * withPlanLock<T>(directory: string, planId: string, work: () => AsyncIterable<T>): AsyncGenerator<T> {
	const lock = acquirePlanLock(directory, planId);
	try {
		yield * work();
	} finally {
		lock.release();
	}
}
