/*
The flag check of commands/flags.ts without spawning: which flags each command accepts and what a mistake is told.
*/
import {readFile} from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import {
	acceptedFlags,
	editDistance,
	flagTypes,
	typedFlags,
	unknownFlagError,
} from '../../source/commands/flags.js';
import {planUsage} from '../../source/core/plans/commands.js';

const root = path.resolve(import.meta.dirname, '../..');

test('every flag the README usage and the plan usage name is a known flag', async t => {
	const readme = await readFile(path.join(root, 'README.md'), 'utf8');
	const usage = /## Usage\n\n```text\n(?<text>[\s\S]*?)\n```/v.exec(readme)?.groups?.['text'] ?? '';
	const named = new Set(Array.from(`${usage}\n${planUsage}`.matchAll(/--(?<name>[a-z][\-a-z]*)/gv), match => match.groups!['name']!));
	t.true(named.size > 30);
	t.deepEqual([...named].filter(name => flagTypes[name] === undefined), []);
});

test('each plan usage line is accepted by its own command, flags and all', t => {
	const lines = planUsage.split('\n').filter(line => /^\s+backstack (?:restore|backup|verify) /v.test(line));
	t.is(lines.length, 16);
	for (const line of lines) {
		const words = line.trim().split(/\s+/v).slice(1);
		const input = words.slice(0, 2);
		const flags = words.filter(word => word.startsWith('--')).map(word => word.replaceAll(/[\[\]\|]/gv, ''));
		t.is(unknownFlagError(input, [...input, ...flags]), undefined, line);
	}
});

test('the README examples and the tests\' invocations pass', t => {
	for (const argv of [
		['--demo'],
		['check', '--os-cloud', 'mycloud'],
		['audit', '--all-projects', '--format', 'json', '--fail-on', 'warning'],
		['restore', 'backup', 'nightly-db', '--dry-run'],
		['backup', 'volume', 'db-data', '--export-cli'],
		['backup', 'secret', 'secret', 'id', 'db.key', '--hex', '--yes', '--os-cloud', 'demo'],
		['journal', 'resume', 'plan', '--yes', '--os-cloud', 'demo'],
		['demo-cloud', '--scale', 'small', '--port', '0'],
		['audit', '--no-demo', '--format=csv', '--debug-file', 'x.log'],
	]) {
		t.is(unknownFlagError(argv.filter(word => !word.startsWith('-')).slice(0, 2), argv), undefined, argv.join(' '));
	}
});

test('a typo gets the closest flag of that command; a flag of another command is named as such', t => {
	t.regex(unknownFlagError(['backup', 'volume'], ['--dryrun', '--yes']) ?? '', /^backstack: unknown flag --dryrun for 'backup volume'\. Did you mean --dry-run\?/v);
	t.regex(unknownFlagError(['backup', 'secret'], ['--hxe']) ?? '', /Did you mean --hex\?/v);
	t.regex(unknownFlagError(['backup', 'volume'], ['--hex']) ?? '', /--hex is not a flag of 'backup volume'/v);
	t.regex(unknownFlagError(['backup', 'volume'], ['--readonly', '--yes']) ?? '', /--readonly is not a flag of 'backup volume'/v);
	t.notRegex(unknownFlagError(['check'], ['--zzzzzz']) ?? 'missing', /Did you mean/v);
	t.regex(unknownFlagError(['audit'], ['--formt', 'json']) ?? '', /Did you mean --format\?.*\n.*backstack audit --help/v);
});

test('typed flags: --no-X and camelCase name the flag, a lone -- ends them, a negative number is a value', t => {
	t.deepEqual(typedFlags(['--no-demo', '--dryRun', '-x', '-5', '--name=a', '--', '--later']), ['--demo', '--dry-run', '-x', '--name']);
	t.true(acceptedFlags(['backup', 'nonsense']).flags.has('hex'), 'an unknown kind is refused by name later, not for its flags');
	t.is(editDistance('hxe', 'hex'), 1);
	t.is(editDistance('dryrun', 'dry-run'), 1);
	t.is(editDistance('', 'abc'), 3);
});
