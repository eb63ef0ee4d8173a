#!/usr/bin/env bash
# Stops the PostgreSQL cluster that start-test-services.sh started and deletes its directory. Takes the
# directory as the first argument, or from GALAXY_TEST_SERVICES_DIR.
set -euo pipefail

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
services_dir="${1:-${GALAXY_TEST_SERVICES_DIR:-}}"

log() { echo "stop-test-services: $*" >&2; }

if [[ -z "$services_dir" ]]; then
    log "no directory given; pass it as the first argument or set GALAXY_TEST_SERVICES_DIR"
    exit 1
fi
case "$services_dir" in
    /tmp/galaxy-test-services.*) ;;
    *) log "refusing to remove $services_dir: not a directory made by start-test-services.sh"; exit 1 ;;
esac
if [[ ! -d "$services_dir" ]]; then
    log "$services_dir does not exist; nothing to stop"
    exit 0
fi

if [[ -f "$services_dir/pgdata/postmaster.pid" ]]; then
    if [[ "$(id -u)" -eq 0 ]]; then
        runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$services_dir/pgdata" -m fast -w -t 30 stop >/dev/null
    else
        "$PG_BIN/pg_ctl" -D "$services_dir/pgdata" -m fast -w -t 30 stop >/dev/null
    fi
    log "PostgreSQL stopped"
fi
rm -rf "$services_dir"
log "removed $services_dir"
