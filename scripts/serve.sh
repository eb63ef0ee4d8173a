#!/usr/bin/env bash
# Installs what is missing, builds Galaxy in release mode and runs `galaxy serve` on embedded defaults.
# Extra arguments go to `galaxy serve` (see `galaxy serve --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release --product galaxy
exec .build/release/galaxy serve "$@"
