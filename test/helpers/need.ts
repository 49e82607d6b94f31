/* eslint-disable ava/no-ignored-test-files -- a helper, not a test file: it registers tests for the test file that calls it. */
/*
The one place a test may be skipped because something it needs (a program, a service) is absent. Outside CI the test is
skipped with the reason and how to get the missing thing in its title; under CI (`CI=true`, as `.ci/run` sets it) it is
registered as a test that fails saying what CI lacks, so a skip can never pass for a pass in the CI count.
*/
import process from 'node:process';
import test, {type ExecutionContext} from 'ava';

/**
How a test is declared: a title and an implementation taking the execution context.
*/
export type Register = (title: string, implementation: (t: ExecutionContext) => PromiseLike<void> | void) => void;

/**
Returns `register` (default: `test`) when the needed thing `isAvailable`; else, under `CI=true`, a register whose tests fail with
"CI needs <what>: install with <howToGet>"; else one whose tests are skipped with the same reason in the title.
*/
export function needOrSkip(isAvailable: boolean, what: string, howToGet: string, register: Register = test): Register {
	if (isAvailable) {
		return register;
	}

	const reason = `${what}: install with ${howToGet}`;
	if (process.env['CI'] === 'true') {
		return title => {
			register(title, t => {
				t.fail(`CI needs ${reason}`);
			});
		};
	}

	return (title, implementation) => {
		// eslint-disable-next-line ava/no-skip-test -- the one skip of the suite: outside CI, when something the test needs is absent.
		test.skip(`${title} (skipped, needs ${reason})`, implementation);
	};
}
