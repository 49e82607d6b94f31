#!/usr/bin/env bash
# Screenshots for the README (media/*.svg): backstack against the demo cloud in tmux at 100×30. Needs tmux; no network.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PWD/node_modules/.bin:$PATH"
exec node --import tsx test/e2e/make-media.ts "${1:-media}"
