#!/usr/bin/env bash
# The fast suite's tests (npm test, after typecheck, lint and build): every test file at once, then the fault matrix on
# its own. Arguments (e.g. --tap) go to both runs; the exit code is the worse of the two.
cd "$(dirname "$0")/.." || exit 1
ava "$@"
first=$?
ava --config test/fault-matrix/ava.config.js "$@"
second=$?
exit $((first > second ? first : second))
