#!/usr/bin/env bash
# Installs the Debian packages Galaxy builds and tests with, skipping those already present.
# Needs root (apt-get). Safe to run repeatedly.
set -euo pipefail
# prometheus brings promtool, which the deploy tests use to check the alert rules.
packages=(pkg-config libopenblas-dev libsqlite3-dev libpq-dev libwebsockets-dev libhiredis-dev libsodium-dev zlib1g-dev
          postgresql redis-server python3-pip chromium chromium-driver prometheus)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ! command -v swift >/dev/null; then
  echo "install-deps: the Swift 6 toolchain (swift) is not on PATH; install it first" >&2
  exit 1
fi
