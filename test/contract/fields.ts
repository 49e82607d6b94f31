/*
The fields of a resource as the real Zed cloud returns them (recorded in test/fixtures/real), and how another answer
differs from them. The contract suite uses this so that both targets must give backstack the same shapes.
*/
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const realFixtures = fileURLToPath(new URL('../fixtures/real/', import.meta.url));

/**
A response body recorded from the real cloud (`test/fixtures/real/<file>.json`), reached by `keys`.
*/
export function realBody(file: string, ...keys: Array<string | number>): Record<string, unknown> {
	let value: unknown = (JSON.parse(readFileSync(path.join(realFixtures, `${file}.json`), 'utf8')) as {body: unknown}).body;
	for (const key of keys) {
		value = (value as Record<string | number, unknown>)[key];
	}

	if (typeof value !== 'object' || value === null || Array.isArray(value)) {
		throw new TypeError(`${file}.json has no object at ${keys.join('.')}`);
	}

	return value as Record<string, unknown>;
}

/**
Null, string, number, boolean, array, object; or, for a timestamp, its format with the digits masked
(`time dddd-dd-ddTdd:dd:dd.dddddd` is Cinder's naive UTC, `…Z` Glance's).
*/
export function kindOf(value: unknown): string {
	if (value === null) {
		return 'null';
	}

	if (Array.isArray(value)) {
		return 'array';
	}

	const isTimestamp = typeof value === 'string' && /^\d{4}-\d\d-\d\dT\d/v.test(value);
	return isTimestamp ? `time ${value.replaceAll(/\d/gv, 'd')}` : typeof value;
}

/**
How `actual` (a resource's `raw`, as a target returned it) differs from `real`: fields missing or extra, and fields of
another kind. Sorted; empty when the shapes agree. Fields in `nullable` may be null on either side (the real cloud itself
returns null there at times).
*/
export function fieldDifferences(real: Record<string, unknown>, actual: Record<string, unknown>, options: {nullable?: string[]} = {}): string[] {
	const nullable = new Set(options.nullable);
	const differences: string[] = [];
	for (const [key, value] of Object.entries(real)) {
		if (!Object.hasOwn(actual, key)) {
			differences.push(`missing ${key} (real: ${kindOf(value)})`);
		} else if (kindOf(value) !== kindOf(actual[key]) && !(nullable.has(key) && (value === null || actual[key] === null))) {
			differences.push(`${key}: real ${kindOf(value)}, here ${kindOf(actual[key])}`);
		}
	}

	for (const [key, value] of Object.entries(actual)) {
		if (!Object.hasOwn(real, key)) {
			differences.push(`extra ${key} (${kindOf(value)})`);
		}
	}

	return differences.toSorted();
}
