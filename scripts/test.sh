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
  # Redis and PostgreSQL outages, a reconnect, a killed replica and handshake bursts again, with the
  # server built under AddressSanitizer, so a double free or use after free in the hiredis,
  # libwebsockets and connection-greeter paths aborts the test.
  # Leak checks are off: the Swift runtime keeps allocations until exit on purpose.
  swift build --product galaxy --sanitize=address --scratch-path .build-asan
  ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 GALAXY_BIN="$PWD/.build-asan/debug/galaxy" \
    python3 -m pytest -q Tests/e2e/test_scaleout.py Tests/e2e/test_store_outage.py Tests/e2e/test_limits.py \
    -k "outage or killed or reconnect or handshake"
fi
