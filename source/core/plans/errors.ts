/**
A plan could not go on; the message is for the user.
*/
export class PlanError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'PlanError';
	}
}

/**
A step could not decide what it checks, for a reason that says nothing about the thing checked (a key this user may not
read, a format backstack cannot read): the plan stops as on any failure, and whoever reads the outcome (a drill) may
report "could not run" rather than "failed". Its step-failed event says `inconclusive: true`.
*/
export class InconclusiveError extends PlanError {
	constructor(message: string) {
		super(message);
		this.name = 'InconclusiveError';
	}
}

/**
A creating call got no answer and nothing carrying its mark was found (yet): the cloud may still make it, so the plan
stays in `backstack journal` for a cleanup or a resume to look again.
*/
export class UnansweredCallError extends PlanError {
	constructor(message: string) {
		super(message);
		this.name = 'UnansweredCallError';
	}
}

/**
The HTTP status of an error thrown by the client, when it carries one.
*/
export function httpStatusOf(error: unknown): number | undefined {
	if (typeof error !== 'object' || error === null) {
		return undefined;
	}

	const record = error as Record<string, unknown>;
	for (const key of ['status', 'statusCode', 'httpStatus']) {
		if (typeof record[key] === 'number') {
			return record[key];
		}
	}

	const {response} = record;
	if (typeof response !== 'object' || response === null) {
		return undefined;
	}

	const {status} = response as Record<string, unknown>;
	return typeof status === 'number' ? status : undefined;
}

