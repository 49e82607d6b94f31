/*
Issue 12: the local drill log, one JSON line per drill in the config directory, private like every other file there.
*/
import {
	appendFileSync,
	chmodSync,
	mkdirSync,
	mkdtempSync,
	readFileSync,
	rmSync,
	statSync,
	writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import type {DrillRecord} from '../../source/core/drills.js';
import {appendDrillLog, drillLogName, readDrillLog} from '../../source/store/drill-log.js';

function temporaryDirectory(t: {teardown(fn: () => void): void}): string {
	const directory = mkdtempSync(path.join(os.tmpdir(), 'backstack-drill-log-'));
	t.teardown(() => {
		rmSync(directory, {recursive: true, force: true});
	});
	return directory;
}

function modeOf(file: string): string {
	return (statSync(file).mode % 0o1000).toString(8);
}

const passed: DrillRecord = {
	backupId: 'b-1', at: '2026-12-06T22:00:00.000Z', result: 'ok', reason: 'available, 1 GiB, type luks, key present', planId: 'drill-1', durationMs: 42_000.4,
};
const failed: DrillRecord = {
	backupId: 'b-2', at: '2026-12-06T22:05:00.000Z', result: 'failed', reason: 'its Barbican key is gone', volumeId: 'v-2', projectId: 'p', cloud: 'c',
};

test('records are appended as JSON lines and read back in order; a new directory is 0700 and the log 0600', t => {
	const directory = path.join(temporaryDirectory(t), 'config', 'backstack');
	const file = appendDrillLog(directory, passed);
	appendDrillLog(directory, failed);
	t.is(file, path.join(directory, drillLogName));
	t.is(modeOf(directory), '700');
	t.is(modeOf(file), '600');
	const lines = readFileSync(file, 'utf8').split('\n');
	t.is(lines.length, 3, 'two lines and the final newline');
	t.is(lines[2], '');
	t.deepEqual(JSON.parse(lines[0]!), {...passed, durationMs: 42_000});
	t.deepEqual(readDrillLog(directory), [{...passed, durationMs: 42_000}, failed]);
});

test('a missing log is empty; malformed lines and records are skipped, the rest kept', t => {
	const directory = temporaryDirectory(t);
	t.deepEqual(readDrillLog(directory), []);
	appendDrillLog(directory, passed);
	appendFileSync(path.join(directory, drillLogName), [
		'{"backupId":"b-cut","at":"2026-12-06T22:0', // Cut short by a crash
		'not json',
		'[1,2]',
		JSON.stringify({backupId: 'b-3', at: 'yesterday', result: 'ok'}),
		JSON.stringify({backupId: 'b-4', at: '2026-12-06T23:00:00Z', result: 'maybe'}),
		JSON.stringify({at: '2026-12-06T23:00:00Z', result: 'ok'}),
		'',
	].join('\n'));
	appendDrillLog(directory, failed);
	t.deepEqual(readDrillLog(directory).map(record => record.backupId), ['b-1', 'b-2']);
});

test('only the record\'s own fields are written: nothing else a caller\'s object carries reaches the file', t => {
	const directory = temporaryDirectory(t);
	const withExtras = {...passed, token: 'gAAAAA-secret-token', encryptionKeyId: 'k-1'};
	appendDrillLog(directory, withExtras);
	const text = readFileSync(path.join(directory, drillLogName), 'utf8');
	t.false(text.includes('gAAAAA'), text);
	t.false(text.includes('k-1'), text);
	t.deepEqual(Object.keys(JSON.parse(text) as Record<string, unknown>).toSorted(), ['at', 'backupId', 'durationMs', 'planId', 'reason', 'result']);
});

test('a log left readable by others is tightened to 0600 on the next write', t => {
	const directory = temporaryDirectory(t);
	mkdirSync(directory, {recursive: true});
	const file = path.join(directory, drillLogName);
	writeFileSync(file, `${JSON.stringify(passed)}\n`);
	chmodSync(file, 0o644);
	appendDrillLog(directory, failed);
	t.is(modeOf(file), '600');
	t.is(readDrillLog(directory).length, 2);
});
