/*
Small helpers shared by the service clients: reading loosely-typed JSON, timestamps, URLs, microversions.
*/
import type {Microversion} from './types.js';

export type Json = Record<string, unknown>;

const noRaw: Readonly<Json> = Object.freeze({});

/**
The item with an empty `raw` (a list read with `keepRaw: false`): the service's body is then garbage, every field
backstack uses having been copied out of it.
*/
export function withoutRaw<T>(item: T): T {
	if (typeof item === 'object' && item !== null && 'raw' in item) {
		(item as {raw: unknown}).raw = noRaw;
	}

	return item;
}

export function asObject(value: unknown): Json | undefined {
	return typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Json : undefined;
}

export function asArray(value: unknown): unknown[] {
	return Array.isArray(value) ? value : [];
}

export function string(value: unknown): string | undefined {
	if (typeof value === 'string') {
		return value;
	}

	return typeof value === 'number' ? String(value) : undefined;
}

/**
A string that may be shown as a name: null/absent become empty.
*/
export function nameOf(value: unknown): string {
	return typeof value === 'string' ? value : '';
}

export function nonEmpty(value: unknown): string | undefined {
	const text = string(value);
	return text === undefined || text === '' ? undefined : text;
}

export function number(value: unknown): number | undefined {
	if (typeof value === 'number' && Number.isFinite(value)) {
		return value;
	}

	return typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : undefined;
}

export function isTrue(value: unknown): boolean {
	if (typeof value === 'boolean') {
		return value;
	}

	return typeof value === 'string' ? value.toLowerCase() === 'true' : false;
}

export function stringRecord(value: unknown): Record<string, string> {
	const result: Record<string, string> = {};
	const object = asObject(value);
	if (!object) {
		return result;
	}

	for (const [key, item] of Object.entries(object)) {
		if (typeof item === 'string') {
			result[key] = item;
		} else if (typeof item === 'number' || typeof item === 'boolean') {
			result[key] = String(item);
		}
	}

	return result;
}

const zoneSuffix = /(?:z|[+\-]\d{2}:?\d{2})$/iv;

/**
The timestamp the slow way: zone added when missing, microseconds cut, parsed and printed by Date.
*/
function utcByDate(value: string): string {
	let text = value.trim().replace(' ', 'T');
	if (!zoneSuffix.test(text)) {
		text += 'Z';
	}

	// Microseconds: JS Date takes milliseconds only.
	text = text.replace(/(?<milliseconds>\.\d{3})\d+/v, '$<milliseconds>');
	const date = new Date(text);
	return Number.isNaN(date.getTime()) ? value : date.toISOString();
}

/**
An OpenStack timestamp as ISO 8601 UTC with `Z`. Cinder and Barbican send naive strings (`2023-06-23T11:56:02.509831`):
they are UTC, so the zone is added before parsing (JS would read them as local time). The common shape is rewritten as
text (a big list has a hundred thousand of them); whatever else is left to Date. Both give the same string.
*/
export function utc(value: unknown): string | undefined {
	return typeof value !== 'string' || value.trim() === '' ? undefined : plainUtc(value) ?? utcByDate(value);
}

function isDigits(text: string, start: number, end: number): boolean {
	for (let index = start; index < end; index++) {
		const code = text.codePointAt(index) ?? 0;
		if (code < 48 || code > 57) {
			return false;
		}
	}

	return true;
}

const plainDigits: Array<[number, number]> = [[0, 4], [5, 7], [8, 10], [11, 13], [14, 16], [17, 19]];

/**
`2023-06-23T11:56:02` (or a space for the T) at the start: digits and separators at their places.
*/
function isPlainShape(value: string): boolean {
	const separator = value[10];
	return value.length >= 19 && value[4] === '-' && value[7] === '-' && (separator === 'T' || separator === ' ') && value[13] === ':' && value[16] === ':'
		&& plainDigits.every(([start, end]) => isDigits(value, start, end));
}

/**
The common shape, naive or UTC, rewritten as text: `2023-06-23T11:56:02`, an optional fraction, an optional `Z` or
`+00:00`. Undefined for anything else (Date decides those).
*/
function plainUtc(value: string): string | undefined {
	if (!isPlainShape(value)) {
		return undefined;
	}

	let end = 19;
	let milliseconds = '000';
	if (value[end] === '.') {
		let digitsEnd = end + 1;
		while (digitsEnd < value.length && isDigits(value, digitsEnd, digitsEnd + 1)) {
			digitsEnd++;
		}

		if (digitsEnd === end + 1 || digitsEnd - end - 1 > 9) {
			return undefined;
		}

		// Milliseconds are truncated, as Date does with more digits than three.
		milliseconds = `${value.slice(end + 1, Math.min(digitsEnd, end + 4))}00`.slice(0, 3);
		end = digitsEnd;
	}

	const zone = value.slice(end);
	if (zone !== '' && zone !== 'Z' && zone !== 'z' && zone !== '+00:00' && zone !== '+0000') {
		return undefined;
	}

	return isPlainValid(value) ? `${value.slice(0, 10)}T${value.slice(11, 19)}.${milliseconds}Z` : undefined;
}

const daysInMonth = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
The number written by the (checked) digits from `start` to `end`.
*/
function digitsValue(text: string, start: number, end: number): number {
	let value = 0;
	for (let index = start; index < end; index++) {
		value = (value * 10) + (text.codePointAt(index) ?? 48) - 48;
	}

	return value;
}

/**
The fields are in range (Feb 29 only in leap years; hour 24 is left to Date, which reads it as the next day's midnight).
*/
function isPlainValid(value: string): boolean {
	const year = digitsValue(value, 0, 4);
	const month = digitsValue(value, 5, 7);
	const day = digitsValue(value, 8, 10);
	const isLeap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
	const monthDays = month === 2 && !isLeap ? 28 : daysInMonth[month - 1];
	return monthDays !== undefined && day >= 1 && day <= monthDays
		&& digitsValue(value, 11, 13) < 24 && digitsValue(value, 14, 16) < 60 && digitsValue(value, 17, 19) < 60;
}

/**
`utc()` for required fields: an absent timestamp becomes the epoch rather than `undefined`.
*/
export function utcRequired(value: unknown): string {
	return utc(value) ?? new Date(0).toISOString();
}

export function trimSlash(url: string): string {
	let end = url.length;
	while (end > 0 && url[end - 1] === '/') {
		end--;
	}

	return url.slice(0, end);
}

function trimLeadingSlash(path: string): string {
	let start = 0;
	while (start < path.length && path[start] === '/') {
		start++;
	}

	return path.slice(start);
}

/**
Joins an endpoint and a path (the path's leading slash does not reset the endpoint's own path).
*/
export function joinUrl(base: string, path: string, query?: Record<string, string | number | boolean | undefined>): string {
	const url = new URL(`${trimSlash(base)}/${trimLeadingSlash(path)}`);
	if (query !== undefined) {
		for (const [key, value] of Object.entries(query)) {
			if (value !== undefined) {
				url.searchParams.set(key, String(value));
			}
		}
	}

	return url.href;
}

/**
The last path segment of a URL or a bare ID (for `secret_ref`, Nova's `Location`…): never the host.
*/
export function lastSegment(reference: string): string {
	const path = reference.includes('://') ? new URL(reference).pathname : reference.split('?', 1)[0] ?? reference;
	const segments = path.split('/').filter(Boolean);
	return segments.at(-1) ?? '';
}

export function parseVersion(version: string): [number, number] | undefined {
	const match = /^v?(?<major>\d+)(?:\.(?<minor>\d+))?$/v.exec(version.trim());
	const groups = match?.groups;
	return groups === undefined ? undefined : [Number(groups['major']), Number(groups['minor'] ?? '0')];
}

export function compareVersions(a: string, b: string): number {
	const left = parseVersion(a) ?? [0, 0];
	const right = parseVersion(b) ?? [0, 0];
	return left[0] === right[0] ? left[1] - right[1] : left[0] - right[0];
}

/**
The microversion to request: the server's max, capped at what the client was written for.
*/
export function chooseMicroversion(range: Microversion, cap: string): string {
	return compareVersions(range.max, cap) < 0 ? range.max : cap;
}

export function encodeId(id: string): string {
	if (id === '') {
		throw new TypeError('empty ID');
	}

	return encodeURIComponent(id);
}

/**
The entries whose value is not `undefined` (optional request fields are left out rather than sent as null).
*/
export function compact(entries: Record<string, unknown>): Json {
	return Object.fromEntries(Object.entries(entries).filter(([, value]) => value !== undefined));
}

/**
A setter for the optional fields of `target`: an `undefined` value leaves the field out (absent, not `undefined`), as the
result types promise.
*/
export function optionalSetter<T extends Record<string, unknown>>(target: T): <K extends keyof T>(key: K, value: T[K] | undefined) => void {
	return (key, value) => {
		if (value !== undefined) {
			target[key] = value;
		}
	};
}
