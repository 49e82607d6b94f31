/*
The real cloud's provisioning script decides "is this daemon already running?" from a pid file. A PID alone is not enough:
after a restart that keeps /run, the old PID can belong to some other live process, and the daemon is then never started
(CI saw "glance not ready after 60s" that way). These tests run the script's own helpers in bash.
*/
import {execFileSync, spawn} from 'node:child_process';
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import test from 'ava';

const script = path.resolve('test/real-cloud/provision.sh');

// Runs `body` in bash with the script's pid-file helpers defined and PIDS set; returns stdout.
function withHelpers(pids: string, body: string): string {
	const helpers = execFileSync('sed', ['-n', '/^start_time_of()/,/^running()/p', script], {encoding: 'utf8'});
	return execFileSync('bash', ['-c', `${helpers}\nPIDS=${JSON.stringify(pids)}\n${body}`], {encoding: 'utf8'});
}

function startSleeper() {
	const child = spawn('sleep', ['60'], {stdio: 'ignore'});
	return child;
}

const state = (pids: string, name: string) => withHelpers(pids, `if running ${name}; then echo running; else echo stopped; fi`).trim();

test('a pid file naming the process with its start time is running; the same PID with another start time is not', t => {
	const pids = mkdtempSync(path.join(tmpdir(), 'bs-pids-'));
	const sleeper = startSleeper();
	t.teardown(() => sleeper.kill('SIGKILL'));
	const pid = sleeper.pid!;
	const afterName = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ', 2)[1]!;
	const started = afterName.split(' ', 20)[19]!;

	writeFileSync(path.join(pids, 'glance.pid'), `${pid} ${started}\n`);
	t.is(state(pids, 'glance'), 'running');

	// The reused-PID case: the PID is alive, but it is not the process the file was written for.
	writeFileSync(path.join(pids, 'glance.pid'), `${pid} ${Number(started) - 1}\n`);
	t.is(state(pids, 'glance'), 'stopped');

	// A pid file of the old format (a PID alone) proves nothing either.
	writeFileSync(path.join(pids, 'glance.pid'), `${pid}\n`);
	t.is(state(pids, 'glance'), 'stopped');
});

test('a dead PID and a missing pid file are not running', t => {
	const pids = mkdtempSync(path.join(tmpdir(), 'bs-pids-'));
	t.is(state(pids, 'keystone'), 'stopped');
	writeFileSync(path.join(pids, 'keystone.pid'), '999999999 12345\n');
	t.is(state(pids, 'keystone'), 'stopped');
});

test('daemon writes the PID with its start time, and running then agrees', t => {
	const pids = mkdtempSync(path.join(tmpdir(), 'bs-pids-'));
	const logs = mkdtempSync(path.join(tmpdir(), 'bs-logs-'));
	const daemon = execFileSync('sed', ['-n', '/^daemon()/,/^}/p', script], {encoding: 'utf8'});
	const body = [
		`LOGS=${JSON.stringify(logs)}; log() { :; }`,
		daemon,
		'daemon sleeper sleep 60',
		'read -r pid started < "$PIDS/sleeper.pid"',
		'if running sleeper; then echo "running $pid $started"; fi',
		'kill "$pid"',
	].join('\n');
	const out = withHelpers(pids, body);
	t.regex(out.trim(), /^running \d+ \d+$/v);
});
