/*
Pretty JSON written piece by piece: the same text as `JSON.stringify(value, undefined, 2)`, without ever holding all of
it in one string. An audit of a big project is megabytes of JSON; built whole it costs its size twice over (the parts
and the joined string) on top of the report itself.
*/
import {once} from 'node:events';
import type {Writable} from 'node:stream';

const indentUnit = '  ';

type Options = {
	/**
	Below this depth a value is written by JSON.stringify in one piece (re-indented). Default 4: in an audit report that is
	one finding per piece.
	*/
	wholeFromDepth?: number;
};

function isSkipped(value: unknown): boolean {
	return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}

function isContainer(value: unknown): value is Record<string, unknown> | unknown[] {
	return typeof value === 'object' && value !== null && typeof (value as {toJSON?: unknown}).toJSON !== 'function';
}

function whole(value: unknown, prefix: string): string {
	const text = JSON.stringify(value, undefined, indentUnit.length) ?? 'null';
	return prefix === '' ? text : text.replaceAll('\n', () => `\n${prefix}`);
}

function * pieces(value: unknown, depth: number, wholeFrom: number): Generator<string> {
	const prefix = indentUnit.repeat(depth);
	if (!isContainer(value) || depth >= wholeFrom) {
		yield whole(value, prefix);
		return;
	}

	const inner = `${prefix}${indentUnit}`;
	const entries: Array<[string | undefined, unknown]> = Array.isArray(value)
		? value.map(item => [undefined, isSkipped(item) ? null : item])
		: Object.entries(value).filter(([, item]) => !isSkipped(item));
	const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
	if (entries.length === 0) {
		yield `${open}${close}`;
		return;
	}

	yield `${open}\n`;
	for (const [index, [key, item]] of entries.entries()) {
		yield key === undefined ? inner : `${inner}${JSON.stringify(key)}: `;
		yield * pieces(item, depth + 1, wholeFrom);
		yield index < entries.length - 1 ? ',\n' : '\n';
	}

	yield `${prefix}${close}`;
}

/**
The pieces of `JSON.stringify(value, undefined, 2)`, in order.
*/
export function prettyJsonPieces(value: unknown, options: Options = {}): Iterable<string> {
	return pieces(value, 0, options.wholeFromDepth ?? 4);
}

/**
Writes pieces to a stream in chunks of about `chunkSize` characters, waiting whenever the stream asks to.
*/
export async function writePieces(output: Writable, values: Iterable<string>, chunkSize = 64 * 1024): Promise<void> {
	let buffer = '';
	const flush = async () => {
		if (buffer !== '' && !output.write(buffer)) {
			await once(output, 'drain');
		}

		buffer = '';
	};

	for (const piece of values) {
		buffer += piece;
		if (buffer.length >= chunkSize) {
			// eslint-disable-next-line no-await-in-loop
			await flush();
		}
	}

	await flush();
}
