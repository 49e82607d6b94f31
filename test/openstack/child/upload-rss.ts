/*
Child process for test/openstack/streaming.test.ts: uploads FILE as Glance image data to the server at URL through
backstack's own HTTP client (a custom CA bundle when CA is given, as on a private-CA cloud), then prints one JSON line:
the bytes the client reported sent and the process's peak resident memory (kB) while it uploaded.

The peak is the upload's own: Linux's high-water mark is reset (/proc/self/clear_refs, 5) once the modules are loaded, so
what tsx needs to compile them on the fly under a loaded CI (it reached 156 MB there, before the first byte was sent) is not
counted as the upload's. The whole process's peak is printed beside it.
*/
import {createReadStream, readFileSync, writeFileSync} from 'node:fs';
import {stat} from 'node:fs/promises';
import process from 'node:process';
import {createGlance} from '../../../source/openstack/glance.js';
import {HttpClient, type TokenSource} from '../../../source/openstack/http.js';

const [url, file, ca] = process.argv.slice(2);
const tokens: TokenSource = {
	token: async () => 'token-for-the-test',
	reauthenticate: async () => 'token-for-the-test',
};
const http = new HttpClient({
	tokens,
	...(ca !== undefined && ca !== '' && {tls: {cacert: ca}}),
});
const glance = createGlance({
	service: 'glance', http, endpoint: url!, microversion: {min: '', max: ''}, headers: {}, projectId: 'p',
});
const {size} = await stat(file!);
let transferred = 0;

function statusKb(field: string): number {
	const match = new RegExp(String.raw`^${field}:\s+(\d+) kB$`, 'mv').exec(readFileSync('/proc/self/status', 'utf8'));
	if (match === null) {
		throw new Error(`/proc/self/status has no ${field}`);
	}

	return Number(match[1]);
}

writeFileSync('/proc/self/clear_refs', '5');
const startRssKb = statusKb('VmRSS');
await glance.uploadImageData('11111111-2222-3333-4444-555555555555', createReadStream(file!), {
	size,
	onProgress(progress) {
		transferred = progress.transferred;
	},
});
process.stdout.write(JSON.stringify({
	transferred, uploadPeakKb: statusKb('VmHWM'), startRssKb, processPeakKb: process.resourceUsage().maxRSS,
}) + '\n');
