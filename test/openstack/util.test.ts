import {execFileSync} from 'node:child_process';
import process from 'node:process';
import test from 'ava';
import {
	chooseMicroversion,
	compact,
	joinUrl,
	lastSegment,
	utc,
} from '../../source/openstack/util.js';

const naive = [
	'2023-06-23T11:56:02.509831',
	'2026-11-23T11:50:12',
	'2026-11-23 11:50:12',
	'2026-11-23T11:50:44Z',
	'2026-11-23T16:51:03.000000Z',
	'2026-11-23T12:00:00+02:00',
];

/**
`utc()` of each value, computed in a separate Node process whose zone is `zone` (a worker thread cannot change its zone).
*/
function utcIn(zone: string, values: string[]): {offset: number; results: unknown[]} {
	const module = new URL('../../source/openstack/util.ts', import.meta.url).href;
	const script = `const {utc} = await import(${JSON.stringify(module)});
console.log(JSON.stringify({offset: new Date(2026, 0, 1).getTimezoneOffset(), results: ${JSON.stringify(values)}.map(value => utc(value))}));`;
	// eslint-disable-next-line @typescript-eslint/naming-convention -- an environment variable's name.
	const output = execFileSync(process.execPath, ['--import=tsx', '--input-type=module', '-e', script], {env: {...process.env, TZ: zone}, encoding: 'utf8'});
	return JSON.parse(output) as {offset: number; results: unknown[]};
}

test('naive timestamps (Cinder, Barbican) are read as UTC even on a machine far from UTC', t => {
	const expected = [
		'2023-06-23T11:56:02.509Z',
		'2026-11-23T11:50:12.000Z',
		'2026-11-23T11:50:12.000Z',
		'2026-11-23T11:50:44.000Z',
		'2026-11-23T16:51:03.000Z',
		'2026-11-23T10:00:00.000Z',
	];
	const kolkata = utcIn('Asia/Kolkata', naive);
	t.is(kolkata.offset, -330, 'the child process really runs at UTC+05:30');
	t.deepEqual(kolkata.results, expected);
	t.deepEqual(utcIn('America/Los_Angeles', naive).results, expected);
});

test('timestamps: the common shapes rewritten as text, the rest as Date reads them', t => {
	const cases: Array<[string, string]> = [
		['2026-11-23T11:50:12.509831', '2026-11-23T11:50:12.509Z'],
		['2026-11-23T11:50:12', '2026-11-23T11:50:12.000Z'],
		['2026-11-23 11:50:12', '2026-11-23T11:50:12.000Z'],
		['2024-02-29T00:00:00.1', '2024-02-29T00:00:00.100Z'],
		['2026-01-01T00:00:00.9999999Z', '2026-01-01T00:00:00.999Z'],
		['2026-01-02 03:04:05+00:00', '2026-01-02T03:04:05.000Z'],
		['2026-01-02T03:04:05+0000', '2026-01-02T03:04:05.000Z'],
		// Not the common shape: Date decides (other zones, days past the month's end, hour 24).
		['2026-01-02T03:04:05+05:30', '2026-01-01T21:34:05.000Z'],
		['2026-02-29T00:00:00', '2026-03-01T00:00:00.000Z'],
		['2026-04-31T00:00:00', '2026-05-01T00:00:00.000Z'],
		['2026-01-01T24:00:00', '2026-01-02T00:00:00.000Z'],
		['2026-01-01T00:00:00.', '2026-01-01T00:00:00.'],
		['2026-13-01T00:00:00', '2026-13-01T00:00:00'],
	];
	t.deepEqual(cases.map(([value]) => [value, utc(value)]), cases);
	// Every millisecond-precision instant comes out as Date prints it.
	for (let ms = 0; ms < 4e12; ms += 7_777_777_777) {
		const iso = new Date(ms).toISOString();
		t.is(utc(iso.slice(0, 23)), iso);
		t.is(utc(`${iso.slice(0, 23)}456`), iso);
	}
});

test('absent or unreadable timestamps', t => {
	t.is(utc(null), undefined);
	t.is(utc(''), undefined);
	t.is(utc('not a date'), 'not a date');
});

test('URLs: joined without losing the endpoint path; IDs taken from refs, never their host', t => {
	t.is(joinUrl('https://h/volume/v3/p/', '/volumes/detail', {limit: 2, marker: undefined}), 'https://h/volume/v3/p/volumes/detail?limit=2');
	t.is(lastSegment('http://localhost:9311/v1/secrets/abc-123'), 'abc-123');
	t.is(lastSegment('https://glance.internal:9292/v2/images/img-1/'), 'img-1');
	t.is(lastSegment('abc-123'), 'abc-123');
});

test('microversion choice is the lower of the server max and the cap; compact drops undefined only', t => {
	t.is(chooseMicroversion({min: '3.0', max: '3.71'}, '3.70'), '3.70');
	t.is(chooseMicroversion({min: '3.0', max: '3.9'}, '3.70'), '3.9');
	t.is(chooseMicroversion({min: '2.1', max: '2.104'}, '2.96'), '2.96');
	t.deepEqual(compact({
		a: 1, b: undefined, c: null, d: false, e: '',
	}), {
		a: 1, c: null, d: false, e: '',
	});
});
