/*
`needOrSkip` (test/helpers/need.ts), in a child ava on a fixture with one met and one unmet need: under CI=true the unmet one fails with what CI lacks
and how to get it; without CI it is skipped, the reason in its title.
*/
import {execFile} from 'node:child_process';
import path from 'node:path';
import process from 'node:process';
import test from 'ava';

const root = path.resolve(import.meta.dirname, '../..');
const ava = path.join(root, 'node_modules/ava/entrypoints/cli.js');

async function runFixture(isCi: boolean): Promise<{code: number; tap: string}> {
	const environment: Record<string, string | undefined> = {...process.env};
	delete environment['CI'];
	if (isCi) {
		environment['CI'] = 'true';
	}

	return new Promise(resolve => {
		execFile(process.execPath, [ava, '--config', 'test/fixtures/need/ava.config.js', '--tap'], {cwd: root, env: environment, timeout: 120_000}, (error, stdout) => {
			resolve({code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, tap: stdout});
		});
	});
}

test('under CI=true an unmet need is a failing test that says what CI needs and how to get it', async t => {
	const {code, tap} = await runFixture(true);
	t.not(code, 0);
	t.regex(tap, /^ok \d+ - a test whose need is met$/mv);
	t.regex(tap, /^not ok \d+ - a test whose need is not met$/mv);
	t.true(tap.includes('CI needs the absent program: install with apt-get install absent-program'));
	t.regex(tap, /^# fail 1$/mv);
	t.notRegex(tap, /# skip/iv);
});

test('without CI an unmet need is a skipped test whose title gives the reason', async t => {
	const {code, tap} = await runFixture(false);
	t.is(code, 0);
	t.regex(tap, /^ok \d+ - a test whose need is met$/mv);
	t.regex(tap, /^ok \d+ - a test whose need is not met \(skipped, needs the absent program: install with apt-get install absent-program\) # SKIP$/mv);
	t.regex(tap, /^# skip 1$/mv);
	t.regex(tap, /^# fail 0$/mv);
});
