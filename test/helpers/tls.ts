import {execFileSync} from 'node:child_process';
import {mkdtemp, readFile, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';

/**
A throwaway self-signed certificate for 127.0.0.1, made for this run only (never stored in the repository).
*/
export async function selfSigned(t: {teardown(fn: () => unknown): void}): Promise<{cert: string; key: string; certFile: string}> {
	const dir = await mkdtemp(path.join(tmpdir(), 'backstack-tls-'));
	t.teardown(async () => {
		await rm(dir, {recursive: true, force: true});
	});
	const certFile = path.join(dir, 'cert.pem');
	const keyFile = path.join(dir, 'key.pem');
	execFileSync('openssl', [
		'req',
		'-x509',
		'-newkey',
		'rsa:2048',
		'-nodes',
		'-days',
		'1',
		'-subj',
		'/CN=127.0.0.1',
		'-addext',
		'subjectAltName=IP:127.0.0.1',
		'-keyout',
		keyFile,
		'-out',
		certFile,
	], {stdio: 'ignore'});
	return {cert: await readFile(certFile, 'utf8'), key: await readFile(keyFile, 'utf8'), certFile};
}
