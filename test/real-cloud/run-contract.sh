#!/usr/bin/env bash
# `npm run test:real`: make sure the real OpenStack of provision.sh is up (provision it when it is not), then run the
# contract suite against it with ava. Arguments go to ava, e.g. `npm run test:real -- --tap`.
# Provisioning output is printed as TAP comments ("# ..."), so a TAP consumer can still count the tests.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
export PATH="$PWD/node_modules/.bin:$PATH"

if bash test/real-cloud/provision.sh status > /dev/null 2>&1; then
	echo "# real cloud: already running"
else
	echo "# real cloud: provisioning (full log in /var/log/backstack-real/provision.log)"
	mkdir -p /var/log/backstack-real
	bash test/real-cloud/provision.sh 2>&1 | tee /var/log/backstack-real/provision.log | sed -u 's/^/# /'
	if [ "${PIPESTATUS[0]}" -ne 0 ]; then
		echo "not ok 1 - provisioning the real cloud failed (see /var/log/backstack-real/provision.log)"
		exit 1
	fi
fi

# The kill tests run backstack as installed (dist/cli.js): build it when it is missing or older than the sources.
if [ ! -f dist/cli.js ] || [ -n "$(find source -newer dist/cli.js -print -quit)" ]; then
	echo "# building dist/ for the CLI tests"
	npm run build --silent 2>&1 | sed -u 's/^/# /'
fi

exec ava --config test/real-cloud/ava.config.js "$@"
