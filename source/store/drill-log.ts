/*
The local drill log: one JSON line per restore drill (core/drills.ts's DrillRecord) in `drills.jsonl` of the config
directory. Written after every drill, also when the cloud refused the record on the backup's metadata; read back by the
audit and the TUI. It holds what a drill found (IDs, times, results, short reasons), never a token, a secret or a key ID.
*/
import {
	appendFileSync,
	chmodSync,
	closeSync,
	openSync,
	readFileSync,
	statSync,
} from 'node:fs';
import path from 'node:path';
import type {DrillRecord} from '../core/drills.js';
import {ensurePrivateDirectory} from './cache.js';

export const drillLogName = 'drills.jsonl';

/**
The fields a line may carry: anything else (a field a later version adds, or one written by hand) is not copied.
*/
const stringFields = ['backupId', 'at', 'result', 'reason', 'volumeId', 'projectId', 'cloud', 'planId'] as const;

function clean(record: DrillRecord): DrillRecord {
	const line: Record<string, unknown> = {};
	for (const field of stringFields) {
		if (typeof record[field] === 'string') {
			line[field] = record[field];
		}
	}

	if (typeof record.verifiedData === 'boolean') {
		line['verifiedData'] = record.verifiedData;
	}

	if (typeof record.durationMs === 'number' && Number.isFinite(record.durationMs)) {
		line['durationMs'] = Math.round(record.durationMs);
	}

	return line as DrillRecord;
}

/**
Appends one record to `<directory>/drills.jsonl`: the directory 0700, the file 0600 (tightened when it was wider).
One `write` of one line with O_APPEND, so that two drills ending at once never interleave their lines.
*/
export function appendDrillLog(directory: string, record: DrillRecord): string {
	ensurePrivateDirectory(directory);
	const file = path.join(directory, drillLogName);
	// Created 0600 if missing; an existing file keeps its mode until tightened below.
	closeSync(openSync(file, 'a', 0o600));
	// eslint-disable-next-line no-bitwise
	if ((statSync(file).mode & 0o077) !== 0) {
		chmodSync(file, 0o600);
	}

	appendFileSync(file, JSON.stringify(clean(record)) + '\n', {encoding: 'utf8', mode: 0o600});
	return file;
}

function isDrillRecord(value: unknown): value is DrillRecord {
	if (value === null || typeof value !== 'object' || Array.isArray(value)) {
		return false;
	}

	const {backupId, at, result} = value as Partial<DrillRecord>;
	return typeof backupId === 'string' && backupId !== '' && typeof at === 'string' && !Number.isNaN(Date.parse(at))
		&& (result === 'ok' || result === 'failed');
}

/**
Every well-formed record of `<directory>/drills.jsonl`, oldest first; a missing file is an empty log, and a line that is
not a record (cut short by a crash, edited by hand) is skipped.
*/
export function readDrillLog(directory: string): DrillRecord[] {
	let text: string;
	try {
		text = readFileSync(path.join(directory, drillLogName), 'utf8');
	} catch {
		return [];
	}

	const records: DrillRecord[] = [];
	for (const line of text.split('\n')) {
		if (line.trim() === '') {
			continue;
		}

		let value: unknown;
		try {
			value = JSON.parse(line);
		} catch {
			continue;
		}

		if (isDrillRecord(value)) {
			records.push(clean(value));
		}
	}

	return records;
}
