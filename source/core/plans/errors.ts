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

	const response = record['response'];
	return typeof response === 'object' && response !== null && typeof (response as Record<string, unknown>)['status'] === 'number' ? ((response as Record<string, unknown>)['status'] as number) : undefined;
}

