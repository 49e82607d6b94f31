/*
Issue 15 item 2, the fault matrix: each command as a user runs it (`node dist/cli.js …`, a child process) against a demo
cloud that misbehaves in one way, at the command's central request. Each case asserts its exit code, a one-line message
without a stack trace, and that every resource the cloud gained is the intended result or named (by ID) in the output.
The README's "Safety" table is this suite's observations: `BACKSTACK_WRITE_FAULT_TABLE=1 npx ava test/fault-matrix/`
writes it; without that, the last test fails when the README's table differs from what this run saw.
*/
import {randomBytes} from 'node:crypto';
import {readdirSync} from 'node:fs';
import {readFile, writeFile} from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import test from 'ava';
import {readJournal} from '../../source/core/plans/journal.js';
import {runPlan} from '../../source/core/plans/execute.js';
import {planRestoreBackupToNewVolume} from '../../source/core/plans/restore.js';
import type {Delays, DemoCloud, FaultSpec} from '../../source/demo-cloud/index.js';
import {
	demoCloud,
	fastClock,
	listAll,
	type CloudForTest,
} from '../core/plans/helpers.js';
import {
	account,
	caseHome,
	formatTable,
	gained,
	limited,
	readmePath,
	resourcesOf,
	runCli,
	stackLines,
	startCli,
	tableIn,
	until,
	withTable,
	type CaseHome,
	type CliResult,
	type Observation,
	type Resource,
	type ResourceKind,
} from './harness.js';

type FaultMatch = Omit<Extract<FaultSpec, {kind: 'reset'}>, 'kind'>;

type Fixture = CloudForTest & {home: CaseHome; values: Record<string, string>};

type Command = {
	row: string;
	args: (fixture: Fixture) => string[];
	/**
	The command's central request: where each fault strikes.
	*/
	target: FaultMatch;
	/**
	The kinds a successful run makes (checked: a gained resource of another kind must be named).
	*/
	makes: ResourceKind[];
	/**
	Whether it creates a Cinder resource (then the 413 quota column applies).
	*/
	isQuotaBound?: boolean;
	arrange?: (fixture: Fixture) => Promise<void>;
	/**
	Faults whose cell is left empty: the command never makes the request they strike (e.g. `journal` reads no cloud).
	*/
	without?: string[];
};

const stallMs = 6000;
const uuidPattern = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const encryptedBackup = 'shop-db-data-weekly-full';

/**
Fault columns. `--timeout 4` bounds every request of every case (the machine may be busy: a retry after 1 s must fit);
a stall holds 6 s.
*/
const faults: Record<string, (target: FaultMatch) => FaultSpec[] | 'quota'> = {
	'5xx once': target => [{
		kind: 'error', status: 503, times: 1, ...target,
	}],
	'5xx always': target => [{kind: 'error', status: 503, ...target}],
	'429 Retry-After 1': target => [{
		kind: 'rate-limit', retryAfter: 1, times: 1, ...target,
	}],
	reset: target => [{kind: 'reset', times: 1, ...target}],
	stall: target => [{kind: 'stall', ms: stallMs, ...target}],
	'malformed JSON': target => [{kind: 'malformed', times: 1, ...target}],
	'token expiry': target => [{kind: 'expire-token', times: 1, ...target}],
	'413 quota': () => 'quota',
};
const columns = Object.keys(faults);
const timeout = ['--timeout', '4'];

async function writeRandomFile(fixture: Fixture, name: string, bytes: number): Promise<void> {
	const file = path.join(fixture.home.directory, name);
	await writeFile(file, randomBytes(bytes));
	fixture.values[name] = file;
}

function idOf(cloud: DemoCloud, kind: 'volumes' | 'backups' | 'images' | 'secrets' | 'servers', name: string): string {
	for (const record of cloud.state[kind].values()) {
		if (record.name === name) {
			return record.id;
		}
	}

	throw new Error(`No ${kind} named ${name} in the story seed`);
}

/**
An unfinished plan in the child's journal: the encrypted restore whose second step (restore onto the new volume) failed.
*/
async function arrangeFailedRestore(fixture: Fixture): Promise<void> {
	const {cloud, session, home} = fixture;
	const result = await planRestoreBackupToNewVolume(session, {backupId: idOf(cloud, 'backups', encryptedBackup), method: 'create-then-restore'});
	if (result.kind !== 'plan') {
		throw new Error(JSON.stringify(result));
	}

	cloud.setFaults([{
		kind: 'error', status: 500, service: 'volume', method: 'POST', path: /\/restore$/v,
	}]);
	const events = await listAll(runPlan(result.plan, session, {journal: home.journal, clock: fastClock()}));
	cloud.setFaults([]);
	if (events.at(-1)?.type !== 'plan-failed' || readJournal(home.journal, result.plan.id)?.created.length !== 1) {
		throw new Error(`The arranged restore did not fail after its volume: ${JSON.stringify(events.at(-1))}`);
	}

	fixture.values['plan'] = result.plan.id;
}

const commands: Command[] = [
	{
		row: '`audit`',
		args: () => ['audit', '--format', 'json', '--fail-on', 'never'],
		target: {service: 'volume', method: 'GET', path: '/volumes/detail'},
		makes: [],
	},
	{
		row: '`restore backup` (encrypted, create-then-restore)',
		args: () => ['restore', 'backup', encryptedBackup, '--method', 'create-then-restore', '--yes'],
		target: {service: 'volume', method: 'POST', path: /\/volumes$/v},
		makes: ['volume'],
		isQuotaBound: true,
	},
	{
		row: '`restore onto`',
		args: () => ['restore', 'onto', 'shop-web-static-2d', 'shop-web-static', '--confirm', 'shop-web-static', '--yes'],
		target: {service: 'volume', method: 'POST', path: /\/restore$/v},
		makes: [],
	},
	{
		row: '`restore volume-from-image`',
		args: () => ['restore', 'volume-from-image', 'shop-web-01-rescue', '--name', 'from-image', '--yes'],
		target: {service: 'volume', method: 'POST', path: /\/volumes$/v},
		makes: ['volume'],
		isQuotaBound: true,
	},
	{
		row: '`restore image`',
		args: ({values}) => ['restore', 'image', values['disk.raw']!, '--name', 'uploaded-disk', '--yes'],
		target: {service: 'image', method: 'POST', path: /\/images$/v},
		makes: ['image'],
		arrange: async fixture => writeRandomFile(fixture, 'disk.raw', 8192),
	},
	{
		row: '`restore secret`',
		args: ({values}) => ['restore', 'secret', values['db.key']!, '--name', 'db-key', '--yes'],
		target: {service: 'key-manager', method: 'POST', path: /\/secrets$/v},
		makes: ['secret'],
		arrange: async fixture => writeRandomFile(fixture, 'db.key', 32),
	},
	{
		row: '`backup volume`',
		args: () => ['backup', 'volume', 'shop-uploads', '--yes'],
		target: {service: 'volume', method: 'POST', path: /\/backups$/v},
		makes: ['backup'],
		isQuotaBound: true,
	},
	{
		row: '`backup volume-image`',
		args: () => ['backup', 'volume-image', 'shop-redis-aof', '--name', 'redis-image', '--yes'],
		target: {service: 'volume', method: 'POST', path: /\/action$/v},
		makes: ['image'],
	},
	{
		row: '`backup server`',
		// By ID: `backup server` does not look a name up (Nova's GET /servers/<name> is a 404).
		args: ({cloud}) => ['backup', 'server', idOf(cloud, 'servers', 'shop-web-01'), '--name', 'web-now', '--yes'],
		target: {service: 'compute', method: 'POST', path: /\/action$/v},
		makes: ['image', 'snapshot'],
	},
	{
		row: '`backup image-download`',
		args: ({home}) => ['backup', 'image-download', 'shop-web-01-rescue', path.join(home.directory, 'rescue.img'), '--yes'],
		target: {service: 'image', method: 'GET', path: /\/file$/v},
		makes: [],
	},
	{
		row: '`backup secret` (a volume\'s key)',
		args: ({cloud, home}) => ['backup', 'secret', 'volume', idOf(cloud, 'volumes', 'shop-db-data'), path.join(home.directory, 'db.key'), '--yes'],
		target: {service: 'key-manager', method: 'GET', path: /\/payload$/v},
		makes: [],
	},
	{
		row: '`backup protect`',
		args: () => ['backup', 'protect', 'shop-search-index', '--yes'],
		target: {service: 'volume', method: 'POST', path: /\/backups$/v},
		makes: ['backup'],
		isQuotaBound: true,
	},
	{
		row: '`journal` (list)',
		args: () => ['journal'],
		target: {service: 'volume'},
		makes: [],
		arrange: arrangeFailedRestore,
		without: columns.filter(column => column !== '5xx always'),
	},
	{
		row: '`journal resume` (restore step failed before)',
		args: ({values}) => ['journal', 'resume', values['plan']!, '--yes'],
		target: {service: 'volume', method: 'POST', path: /\/restore$/v},
		makes: ['volume'],
		arrange: arrangeFailedRestore,
	},
	{
		row: '`journal cleanup` (restore step failed before)',
		args: ({values}) => ['journal', 'cleanup', values['plan']!, '--yes'],
		target: {service: 'volume', method: 'DELETE', path: new RegExp(`/volumes/${uuidPattern}$`, 'v')},
		makes: [],
		arrange: arrangeFailedRestore,
	},
];

type Case = {
	command: Command;
	column: string;
	expected: {code: number; word: string};
};

/*
What each cell must be. `recovered`: the command retried or re-authenticated and did its work (exit 0). `failed,
named`: it stopped (exit ≠ 0) and names every resource it left. `failed, nothing made`: it stopped and the cloud gained
nothing. `refused`: the plan's checks stopped it before any change (exit 3).
*/
const recovered: [number, string] = [0, 'recovered'];
const nothingMade: [number, string] = [1, 'failed, nothing made'];
const foundByCleanup: [number, string] = [1, 'failed, journal cleanup finds it'];
/**
A plan whose central request creates something: a write is not retried (but replayed once after a 401), a lost answer
is looked up by the mark the create carried, a stall past --timeout leaves the journal to look again.
*/
const creates: Record<string, [number, string]> = {
	'5xx once': nothingMade,
	'5xx always': nothingMade,
	'429 Retry-After 1': nothingMade,
	reset: nothingMade,
	stall: foundByCleanup,
	'malformed JSON': recovered,
	'token expiry': recovered,
	'413 quota': nothingMade,
};
/**
A command whose central request is a read: retried, then given up on within --timeout.
*/
const reads: Record<string, [number, string]> = {
	'5xx once': recovered,
	'5xx always': nothingMade,
	'429 Retry-After 1': recovered,
	reset: recovered,
	stall: nothingMade,
	'malformed JSON': nothingMade,
	'token expiry': recovered,
};
/**
A restore onto a volume that exists: nothing new to make, so nothing to find when the answer is lost.
*/
const mutates: Record<string, [number, string]> = {...creates, stall: nothingMade, 'malformed JSON': nothingMade};
const expectations: Record<string, Record<string, [number, string]>> = {
	'`audit`': {
		...reads, '5xx always': [0, 'incomplete, said'], stall: [0, 'incomplete, said'], 'malformed JSON': [0, 'incomplete, said'],
	},
	'`restore backup` (encrypted, create-then-restore)': creates,
	'`restore onto`': mutates,
	'`restore volume-from-image`': creates,
	'`restore image`': creates,
	'`restore secret`': creates,
	'`backup volume`': creates,
	'`backup volume-image`': creates,
	'`backup server`': creates,
	'`backup image-download`': reads,
	'`backup secret` (a volume\'s key)': reads,
	'`backup protect`': creates,
	'`journal` (list)': {'5xx always': [0, 'unaffected']},
	// The restore step again: when its answer is lost, Cinder may have given the volume (named) a clone of the backup's key.
	'`journal resume` (restore step failed before)': {...mutates, stall: [1, 'failed, named'], 'malformed JSON': [1, 'failed, named']},
	'`journal cleanup` (restore step failed before)': {...mutates, 'malformed JSON': recovered, 'token expiry': recovered},
};

function expectationOf(command: Command, column: string): {code: number; word: string} | undefined {
	const found = expectations[command.row]?.[column];
	return found === undefined ? undefined : {code: found[0], word: found[1]};
}

function isApplicable(command: Command, column: string): boolean {
	return command.without?.includes(column) !== true && (column !== '413 quota' || command.isQuotaBound === true);
}

function casesOf(): Case[] {
	return commands.flatMap(command => columns.filter(column => isApplicable(command, column)).map(column => ({
		command, column, expected: expectationOf(command, column) ?? {code: -99, word: '(no expectation)'},
	})));
}

type Outcome = Observation & {
	result: CliResult;
	gain: Resource[];
	unreported: Resource[];
	stack: string[];
	hits: number;
	message?: string;
	followUp: string;
};

/**
The line a person reads to learn what went wrong: the first that says so.
*/
function messageOf(result: CliResult): string | undefined {
	const lines = `${result.stderr}\n${result.stdout}`.split('\n');
	return lines.find(line => /fail|error|gave up|refused|could not|cannot|not |no answer|backstack:/iv.test(line) && !/^\s*(?:check|waits|note|WARNING):?/v.test(line));
}

function problemsOf(result: CliResult, unreported: Resource[], stack: string[]): string[] {
	return [
		...(stack.length > 0 ? ['STACK TRACE'] : []),
		...(unreported.length > 0 ? [`UNREPORTED ${unreported.map(resource => resource.kind).join('+')}`] : []),
		...(result.signal === undefined ? [] : ['HUNG']),
	];
}

function wordOf(result: CliResult, gain: Resource[], found: {isFoundByJournal: boolean; isIncomplete: boolean; isUnaffected: boolean}): string {
	if (result.code === 0 && found.isUnaffected) {
		return 'unaffected';
	}

	if (result.code === 0) {
		return found.isIncomplete ? 'incomplete, said' : 'recovered';
	}

	if (result.code === 3) {
		return 'refused';
	}

	if (found.isFoundByJournal) {
		return 'failed, journal cleanup finds it';
	}

	return gain.length > 0 ? 'failed, named' : 'failed, nothing made';
}

async function arrangeQuota(cloud: DemoCloud): Promise<void> {
	// No room left: Cinder answers 413 overLimit with Retry-After: 0 to any create.
	cloud.setQuota('demo', {
		// eslint-disable-next-line @typescript-eslint/naming-convention -- Cinder's quota names.
		volumes: 0, gigabytes: 0, snapshots: 0, backups: 0, backup_gigabytes: 0,
	});
}

async function settle(ms: number): Promise<void> {
	await new Promise(resolve => {
		setTimeout(resolve, ms);
	});
}

function planIdsIn(journal: string): string[] {
	try {
		return readdirSync(journal).filter(name => name.endsWith('.json')).map(name => name.slice(0, -'.json'.length));
	} catch {
		return [];
	}
}

/**
A create whose answer never came (a stall past --timeout) may be made by the cloud after the command gave up, so no
output can hold its ID; the command says `backstack journal cleanup` looks for it again. Holding it to that: the
cleanup a user would run next must find and delete each such resource.
*/
async function removedByJournalCleanup(context: Fixture, unreported: Resource[]): Promise<{isRemoved: boolean; output: string}> {
	const [planId] = planIdsIn(context.home.journal);
	if (planId === undefined || unreported.length === 0) {
		return {isRemoved: false, output: ''};
	}

	const cleanup = await runCli(context.home, ['journal', 'cleanup', planId, '--yes', ...timeout]);
	await settle(100);
	const left = new Set(resourcesOf(context.cloud).map(resource => resource.id));
	return {
		isRemoved: cleanup.code === 0 && unreported.every(resource => !left.has(resource.id)),
		output: `--- journal cleanup afterwards: exit ${cleanup.code}\n${cleanup.stdout}${cleanup.stderr}`,
	};
}

async function fixtureFor(t: Parameters<typeof demoCloud>[0], options?: Parameters<typeof demoCloud>[1]): Promise<Fixture> {
	const context = await demoCloud(t, {seed: 'story', ...options});
	return {...context, home: await caseHome(context.directory, context.cloud), values: {}};
}

async function runCase(t: Parameters<typeof demoCloud>[0], item: Case): Promise<Outcome> {
	return limited(async () => {
		const fixture = await fixtureFor(t);
		const {cloud} = fixture;
		await item.command.arrange?.(fixture);
		const before = resourcesOf(cloud);
		const spec = faults[item.column]!(item.command.target);
		if (spec === 'quota') {
			await arrangeQuota(cloud);
		} else {
			cloud.setFaults(spec);
		}

		const result = await runCli(fixture.home, [...item.command.args(fixture), ...timeout]);
		const hits = cloud.faultHits();
		cloud.setFaults([]);
		// What a stalled request does after the client left, the cloud does now: wait for it.
		await settle(item.column === 'stall' ? stallMs + 300 : 100);
		const now = resourcesOf(cloud);
		const gain = gained(before, now);
		const output = result.stdout + result.stderr;
		let {unreported} = account(gain, output, {isSuccess: result.code === 0, makes: item.command.makes, now});
		const followUp = result.code !== 0 && output.includes('backstack journal cleanup') ? await removedByJournalCleanup(fixture, unreported) : undefined;
		const isFoundByJournal = followUp?.isRemoved === true;
		if (isFoundByJournal) {
			unreported = [];
		}

		const stack = stackLines(output);
		const problems = problemsOf(result, unreported, stack);
		const found = {isFoundByJournal, isIncomplete: result.stdout.includes('"state": "error"'), isUnaffected: hits === 0 && item.command.without !== undefined};
		return {
			row: item.command.row,
			column: item.column,
			code: result.signal ?? result.code,
			word: problems.length > 0 ? problems.join(', ') : wordOf(result, gain, found),
			result,
			gain,
			unreported,
			stack,
			hits,
			message: messageOf(result),
			followUp: followUp?.output ?? '',
		};
	});
}

const outcomes = new Map<string, Promise<Outcome>>();

async function memo<T>(map: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
	let found = map.get(key);
	if (found === undefined) {
		found = make();
		map.set(key, found);
	}

	return found;
}

const cases = casesOf();

function transcriptOf(code: number | string, result: CliResult): string {
	return `exit ${String(code)} in ${result.ms} ms\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
}

for (const item of cases) {
	test(`${item.command.row} × ${item.column}`, async t => {
		const outcome = await memo(outcomes, `${item.command.row}|${item.column}`, async () => runCase(t, item));
		const {result} = outcome;
		const transcript = `${transcriptOf(outcome.code, result)}\n${outcome.followUp}`;
		t.log(`${outcome.code} ${outcome.word}${outcome.message === undefined ? '' : ` — ${outcome.message}`}`);
		t.deepEqual(outcome.stack, [], transcript);
		const unreported = outcome.unreported.map(resource => `${resource.kind} ${resource.id} ${resource.name} ${resource.status}`);
		t.deepEqual(unreported, [], `every resource the cloud gained is the result or named\n${transcript}`);
		t.true(item.command.without !== undefined || outcome.hits > 0 || item.column === '413 quota', 'the fault struck the command');
		const isClean = outcome.word === 'recovered' || outcome.word === 'unaffected';
		t.true(isClean || outcome.message !== undefined, `a message that says what went wrong\n${transcript}`);

		t.is(outcome.code, item.expected.code, transcript);
		t.is(outcome.word, item.expected.word, transcript);
	});
}

/*
SIGKILL at each step of the encrypted restore into a new volume of the backup's (non-default) type, create-then-restore:
the child is killed at the moment named, then `journal resume` must end with ONE restored volume, and (separately)
`journal cleanup` with nothing the run made left in the cloud.
*/
type KillPoint = {
	name: string;
	faults: FaultSpec[];
	delays?: Partial<Delays>;
	/**
	True once the child is where it is to be killed.
	*/
	isReady: (fixture: Fixture, gain: Resource[]) => boolean;
};

const restoredName = `restore-${encryptedBackup}`;

function restored(gain: Resource[]): Resource[] {
	return gain.filter(resource => resource.kind === 'volume' && resource.name.startsWith(restoredName));
}

function hasJournalled(fixture: Fixture): boolean {
	return planIdsIn(fixture.home.journal).some(id => (readJournal(fixture.home.journal, id)?.created.length ?? 0) > 0);
}

const killPoints: KillPoint[] = [
	{
		name: 'step 1, the volume made but its answer lost',
		faults: [{
			kind: 'hold-reply', service: 'volume', method: 'POST', path: /\/volumes$/v, times: 1,
		}],
		isReady: (_fixture, gain) => restored(gain).length > 0,
	},
	{
		name: 'step 1, waiting for the volume',
		faults: [],
		delays: {volumeCreate: 300_000},
		isReady: (fixture, gain) => restored(gain).some(volume => volume.status === 'creating') && hasJournalled(fixture),
	},
	{
		name: 'step 2, the restore accepted but its answer lost',
		faults: [{
			kind: 'hold-reply', service: 'volume', method: 'POST', path: /\/restore$/v, times: 1,
		}],
		delays: {restore: 600_000},
		isReady: (_fixture, gain) => restored(gain).some(volume => volume.status === 'restoring-backup'),
	},
	{
		name: 'step 2, waiting for the restore',
		faults: [],
		delays: {restore: 600_000},
		isReady: (fixture, gain) => restored(gain).some(volume => volume.status === 'restoring-backup')
			&& planIdsIn(fixture.home.journal).some(id => {
				const record = readJournal(fixture.home.journal, id);
				return record?.steps[record.plan.steps[1]?.id ?? '']?.requested === true;
			}),
	},
];

const followUps = ['journal resume', 'journal cleanup'] as const;

type KillOutcome = Observation & {result: CliResult; gain: Resource[]; unreported: Resource[]; stack: string[]; killedOutput: string};

async function runKillCase(t: Parameters<typeof demoCloud>[0], point: KillPoint, followUp: typeof followUps[number]): Promise<KillOutcome> {
	return limited(async () => {
		const fixture = await fixtureFor(t, {delays: point.delays});
		const {cloud, home} = fixture;
		const before = resourcesOf(cloud);
		cloud.setFaults(point.faults);
		const child = startCli(home, ['restore', 'backup', encryptedBackup, '--method', 'create-then-restore', '--yes', ...timeout]);
		let isEnded = false;
		void child.done.then(() => {
			isEnded = true;
		});
		await until(() => isEnded || point.isReady(fixture, gained(before, resourcesOf(cloud))), 30_000, `the kill point "${point.name}"`);
		child.kill();
		const killed = await child.done;
		cloud.setFaults([]);
		if (killed.signal !== 'SIGKILL') {
			throw new Error(`The restore ended before the kill point "${point.name}":\n${child.output()}`);
		}

		const [planId] = planIdsIn(home.journal);
		if (planId === undefined) {
			throw new Error(`No journal after the kill:\n${child.output()}`);
		}

		const result = await runCli(home, [...followUp.split(' '), planId, '--yes', ...timeout]);
		await settle(100);
		const now = resourcesOf(cloud);
		const gain = gained(before, now);
		const output = result.stdout + result.stderr;
		const {unreported} = account(gain, output, {isSuccess: result.code === 0 && followUp === 'journal resume', makes: ['volume'], now});
		const stack = stackLines(output);
		const problems = problemsOf(result, unreported, stack);
		const volumes = restored(gain);
		let word = problems.join(', ');
		if (problems.length === 0 && result.code !== 0) {
			word = `FAILED, ${volumes.length} volume${volumes.length === 1 ? '' : 's'}`;
		} else if (problems.length === 0) {
			word = followUp === 'journal resume'
				? `${volumes.length === 1 && volumes[0]?.status === 'available' ? 'resumed' : 'NOT RESUMED'}, ${volumes.length} volume${volumes.length === 1 ? '' : 's'}`
				: (gain.length === 0 ? 'cleaned, nothing left' : `NOT CLEANED, ${gain.map(resource => resource.kind).join('+')} left`);
		}

		return {
			row: point.name, column: followUp, code: result.signal ?? result.code, word, result, gain, unreported, stack, killedOutput: child.output(),
		};
	});
}

const killOutcomes = new Map<string, Promise<KillOutcome>>();

for (const point of killPoints) {
	for (const followUp of followUps) {
		test(`SIGKILL at ${point.name}, then ${followUp}`, async t => {
			const outcome = await memo(killOutcomes, `${point.name}|${followUp}`, async () => runKillCase(t, point, followUp));
			const transcript = `${transcriptOf(outcome.code, outcome.result)}\n--- the killed run\n${outcome.killedOutput}`;
			t.log(`${outcome.code} ${outcome.word}`);
			t.deepEqual(outcome.stack, [], transcript);
			t.deepEqual(outcome.unreported.map(resource => `${resource.kind} ${resource.id} ${resource.name} ${resource.status}`), [], transcript);
			t.is(outcome.code, 0, transcript);
			t.is(outcome.word, followUp === 'journal resume' ? 'resumed, 1 volume' : 'cleaned, nothing left', transcript);
		});
	}
}

test('README "Safety" holds the tables this run observed', async t => {
	const observed = await Promise.all(cases.map(async item => memo(outcomes, `${item.command.row}|${item.column}`, async () => runCase(t, item))));
	const killed = await Promise.all(killPoints.flatMap(point => followUps.map(async followUp => memo(killOutcomes, `${point.name}|${followUp}`, async () => runKillCase(t, point, followUp)))));
	const table = `${formatTable('command', columns, observed)}\n\n${formatTable('SIGKILL of the encrypted restore at', [...followUps], killed)}`;
	const readme = await readFile(readmePath, 'utf8');
	if (process.env['BACKSTACK_WRITE_FAULT_TABLE'] === '1') {
		await writeFile(readmePath, withTable(readme, table));
	}

	t.is(tableIn(await readFile(readmePath, 'utf8')), table, 'run BACKSTACK_WRITE_FAULT_TABLE=1 npx ava test/fault-matrix/ and review the diff');
});
