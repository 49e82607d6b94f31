import test from 'ava';
import {fieldDifferences, kindOf, realBody} from './fields.js';

test('the real volume fixture compares equal to itself', t => {
	const volume = realBody('cinder-volume-encrypted-3.70', 'volume');
	t.deepEqual(fieldDifferences(volume, structuredClone(volume)), []);
	t.true(volume['encrypted']);
});

test('missing, extra and differently typed fields are all reported', t => {
	const real = realBody('cinder-backup-encrypted-incremental-3.70', 'backup');
	const changed = Object.fromEntries([
		...Object.entries(real).filter(([key]) => key !== 'encryption_key_id'),
		['description', ''],
		['zone', 'nova'],
		['created_at', '2026-11-23T12:16:56Z'],
	]);
	t.deepEqual(fieldDifferences(real, changed), [
		'created_at: real time dddd-dd-ddTdd:dd:dd.dddddd, here time dddd-dd-ddTdd:dd:ddZ',
		'description: real null, here string',
		'extra zone (string)',
		'missing encryption_key_id (real: string)',
	]);
});

test('a nullable field may be null on either side, but must be there', t => {
	const real = realBody('cinder-volume-encrypted-3.70', 'volume');
	const withNull = Object.fromEntries([...Object.entries(real), ['service_uuid', null]]);
	t.deepEqual(fieldDifferences(real, withNull, {nullable: ['service_uuid']}), []);
	t.deepEqual(fieldDifferences(real, withNull), ['service_uuid: real string, here null']);
	const without = Object.fromEntries(Object.entries(real).filter(([key]) => key !== 'service_uuid'));
	t.deepEqual(fieldDifferences(real, without, {nullable: ['service_uuid']}), ['missing service_uuid (real: string)']);
});

test('kinds tell arrays, nulls and timestamp formats apart', t => {
	t.is(kindOf([]), 'array');
	t.is(kindOf(null), 'null');
	t.is(kindOf({}), 'object');
	t.is(kindOf('2026-11-23T12:17:06Z'), 'time dddd-dd-ddTdd:dd:ddZ');
	t.is(kindOf('not a time'), 'string');
});

test('a path that does not lead to an object is an error', t => {
	t.throws(() => realBody('cinder-messages', 'messages', 5), {message: /no object at messages\.5/v});
});
