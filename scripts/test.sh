#!/usr/bin/env bash
# Installs what is missing, starts the servers the tests use on loopback, runs every test (Swift
# unit and integration tests, then the end-to-end suite against real `galaxy serve` processes with a
# Python WebSocket client), and stops the servers. Arguments go to `swift test`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
eval "$(scripts/start-test-services.sh)"
trap 'scripts/stop-test-services.sh || true' EXIT
swift build --build-tests
swift test --skip-build "$@"
if [ -f Tests/e2e/requirements.txt ]; then
  python3 -m pip install -q -r Tests/e2e/requirements.txt
  GALAXY_BIN="$PWD/.build/debug/galaxy" python3 -m pytest -q Tests/e2e Tests/deploy
fi
