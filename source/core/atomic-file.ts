/*
Replacing a local file so that a reader, or the next start after a crash, finds either the old content or the new one,
never a mix: the new content goes into a temporary file of its own in the same directory (created new, 0600, never over
another file), is flushed to the disk, then renamed over the target. The journal and the inventory cache write this way.
*/
import {Buffer} from 'node:buffer';
import {randomBytes} from 'node:crypto';
import {
	closeSync,
	fsyncSync,
	openSync,
	renameSync,
	rmSync,
	writeSync,
} from 'node:fs';
import path from 'node:path';
import process from 'node:process';

/**
Writes `data` to `file` atomically; the file ends with mode 0600 (the temporary file's), whatever it had before.
*/
export function writeFileAtomicSync(file: string, data: string | Uint8Array): void {
	const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
	const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
	// 'wx': created new, or failing; a file (or link) someone put at that name is never written through.
	const descriptor = openSync(temporary, 'wx', 0o600);
	try {
		try {
			let written = 0;
			while (written < bytes.byteLength) {
				written += writeSync(descriptor, bytes, written, bytes.byteLength - written);
			}

			fsyncSync(descriptor);
		} finally {
			closeSync(descriptor);
		}

		renameSync(temporary, file);
	} catch (error) {
		rmSync(temporary, {force: true});
		throw error;
	}
}
