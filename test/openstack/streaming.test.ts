/*
Issue 16 item 6: an upload streams from disk to the cloud, with or without TLS options (a private CA). Before, a 1 GiB
image upload held the whole file in memory (≈1.1 GB resident over plain HTTP: fetch kept every sent chunk for a possible
redirect; ≈5.3 GB with a CA bundle: the own node:https fetch read the body into a buffer first).
*/
import {spawn} from 'node:child_process';
import {once} from 'node:events';
import {
	mkdtemp,
	rm,
	truncate,
	writeFile,
} from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type {AddressInfo} from 'node:net';
import {tmpdir} from 'node:os';
import path from 'node:path';
import process from 'node:process';
import test, {type ExecutionContext} from 'ava';
import {selfSigned} from '../helpers/tls.js';

const gib = 1024 ** 3;
const rssLimitKb = 150 * 1024;

async function sparseFile(t: ExecutionContext, size: number): Promise<string> {
	const dir = await mkdtemp(path.join(tmpdir(), 'backstack-stream-'));
	t.teardown(async () => {
		await rm(dir, {recursive: true, force: true});
	});
	const file = path.join(dir, 'disk.raw');
	await writeFile(file, '');
	await truncate(file, size);
	return file;
}

/**
A Glance-like endpoint that counts the bytes of each image data PUT and answers 204 after the last one.
*/
async function countingServer(t: ExecutionContext, server: http.Server) {
	const received: number[] = [];
	server.on('request', (request: http.IncomingMessage, response: http.ServerResponse) => {
		let bytes = 0;
		request.on('data', (chunk: Uint8Array) => {
			bytes += chunk.byteLength;
		});
		request.on('end', () => {
			received.push(bytes);
			response.writeHead(request.method === 'PUT' && request.url?.endsWith('/file') === true ? 204 : 404);
			response.end();
		});
	});
	server.listen(0, '127.0.0.1');
	await once(server, 'listening');
	t.teardown(() => {
		server.closeAllConnections();
		server.close();
	});
	return {port: (server.address() as AddressInfo).port, received};
}

type Figures = {
	transferred: number;
	/**
	Peak resident memory while the upload ran (kB), from a baseline taken after the modules loaded.
	*/
	uploadPeakKb: number;
	startRssKb: number;
	processPeakKb: number;
};

function mb(kb: number): number {
	return Math.round(kb / 1024);
}

/**
Runs the upload in its own process, with the V8 flag the installed bin runs with, and returns what it printed.
*/
async function upload(url: string, file: string, ca = ''): Promise<Figures> {
	const child = spawn(process.execPath, [
		'--max-semi-space-size=1',
		'--import=tsx',
		new URL('child/upload-rss.ts', import.meta.url).pathname,
		url,
		file,
		ca,
	], {stdio: ['ignore', 'pipe', 'pipe']});
	let stdout = '';
	let stderr = '';
	child.stdout.on('data', (chunk: Uint8Array) => {
		stdout += String(chunk);
	});
	child.stderr.on('data', (chunk: Uint8Array) => {
		stderr += String(chunk);
	});
	const [code] = await once(child, 'exit') as unknown[];
	if (code !== 0) {
		throw new Error(`upload child exited ${String(code)}: ${stderr}`);
	}

	return JSON.parse(stdout) as Figures;
}

test.serial('a 1 GiB image upload over plain HTTP streams: every byte arrives, peak RSS ≤ 150 MB', async t => {
	const file = await sparseFile(t, gib);
	const server = await countingServer(t, http.createServer());
	const result = await upload(`http://127.0.0.1:${server.port}/v2`, file);
	t.deepEqual(server.received, [gib]);
	t.is(result.transferred, gib);
	t.log(`upload peak RSS ${mb(result.uploadPeakKb)} MB (at start ${mb(result.startRssKb)} MB; whole process ${mb(result.processPeakKb)} MB)`);
	t.true(result.uploadPeakKb <= rssLimitKb, `upload peak RSS ${mb(result.uploadPeakKb)} MB`);
});

test.serial('a 1 GiB image upload to a private-CA endpoint (cacert) streams too: peak RSS ≤ 150 MB', async t => {
	const file = await sparseFile(t, gib);
	const credentials = await selfSigned(t);
	const server = await countingServer(t, https.createServer({cert: credentials.cert, key: credentials.key}));
	const result = await upload(`https://127.0.0.1:${server.port}/v2`, file, credentials.certFile);
	t.deepEqual(server.received, [gib]);
	t.is(result.transferred, gib);
	t.log(`upload peak RSS ${mb(result.uploadPeakKb)} MB (at start ${mb(result.startRssKb)} MB; whole process ${mb(result.processPeakKb)} MB)`);
	t.true(result.uploadPeakKb <= rssLimitKb, `upload peak RSS ${mb(result.uploadPeakKb)} MB`);
});
