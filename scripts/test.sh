#!/usr/bin/env bash
# Installs what is missing, starts the servers the tests use on loopback, runs every test, stops them.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
if [ -x scripts/start-test-services.sh ]; then
  eval "$(scripts/start-test-services.sh)"
  trap 'scripts/stop-test-services.sh || true' EXIT
fi
swift build --build-tests
swift test --skip-build "$@"
