/*
Child process for test/openstack/streaming.test.ts: uploads FILE as Glance image data to the server at URL through
backstack's own HTTP client (a custom CA bundle when CA is given, as on a private-CA cloud), then prints one JSON line:
the bytes the client reported sent and this process's peak resident memory (kB).
*/
import {createReadStream} from 'node:fs';
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
await glance.uploadImageData('11111111-2222-3333-4444-555555555555', createReadStream(file!), {
	size,
	onProgress(progress) {
		transferred = progress.transferred;
	},
});
process.stdout.write(JSON.stringify({transferred, maxRssKb: process.resourceUsage().maxRSS}) + '\n');
