import {Writable} from 'node:stream';
import {Buffer} from 'node:buffer';
import test from 'ava';
import {prettyJsonPieces, writePieces} from '../../source/core/json-stream.js';

const samples: Record<string, unknown> = {
	'nested objects and arrays': {
		a: 1, b: [1, [2, [3, [4, {deep: ['x']}]]]], c: {d: {e: {f: {g: {h: 'deep'}}}}}, empty: {}, none: [],
	},
	'undefined, functions and symbols': {
		skipped: undefined, fn: () => 0, symbol: Symbol('s'), list: [undefined, () => 1, Symbol('t'), null], kept: null,
	},
	'strings that need escaping': {
		newline: 'a\nb', quote: 'say "hi"', escape: '\u{1B}[31m', unicode: '名前 🚀', 'key "quoted"\n': true,
	},
	'dates and numbers': {
		at: new Date('2026-12-06T12:00:00Z'), nan: NaN, infinity: Infinity, negative: -0.5, big: 1e21,
	},
	'a bare array': [[], {}, [[]], 'x'],
	'a bare string': 'just text',
	null: null,
};

for (const [name, value] of Object.entries(samples)) {
	for (const wholeFromDepth of [0, 1, 2, 4, 100]) {
		test(`pieces join to JSON.stringify(value, undefined, 2): ${name}, whole from depth ${wholeFromDepth}`, t => {
			t.is([...prettyJsonPieces(value, {wholeFromDepth})].join(''), JSON.stringify(value, undefined, 2));
		});
	}
}

test('a big array comes in many pieces, none of them the whole', t => {
	const findings = Array.from({length: 1000}, (_, index) => ({code: 'volume.unprotected', id: `v-${index}`}));
	const pieces = [...prettyJsonPieces({projects: [{findings}]})];
	const text = JSON.stringify({projects: [{findings}]}, undefined, 2);
	t.is(pieces.join(''), text);
	t.true(pieces.length > 1000);
	t.true(Math.max(...pieces.map(piece => piece.length)) < 200);
});

test('writePieces writes every piece in order, in chunks, and waits when the stream asks it to', async t => {
	const chunks: string[] = [];
	let waits = 0;
	const output = new Writable({
		highWaterMark: 16,
		write(chunk: Uint8Array, _encoding, callback) {
			chunks.push(Buffer.from(chunk).toString('utf8'));
			setImmediate(callback);
		},
	});
	output.on('drain', () => {
		waits++;
	});
	const pieces = Array.from({length: 500}, (_, index) => `piece ${index};`);
	await writePieces(output, pieces, 100);
	t.is(chunks.join(''), pieces.join(''));
	t.true(chunks.length > 10, `${chunks.length} chunks`);
	t.true(chunks.slice(0, -1).every(chunk => chunk.length >= 100));
	t.true(waits > 0, 'a full stream was waited for');
});
