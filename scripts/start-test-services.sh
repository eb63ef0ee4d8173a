#!/usr/bin/env bash
# Starts a throwaway PostgreSQL 15 cluster on 127.0.0.1 for the tests and prints the shell lines that
# point the tests at it:
#
#   eval "$(scripts/start-test-services.sh)"
#   swift test
#   scripts/stop-test-services.sh
#
# The cluster lives in a new directory under /tmp (trust authentication, loopback only, fsync off
# because the data is thrown away). Running as root, the server runs as the `postgres` user, since
# PostgreSQL refuses to run as root. Set PG_BIN to use other PostgreSQL binaries.
set -euo pipefail

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"

log() { echo "start-test-services: $*" >&2; }

for tool in initdb pg_ctl pg_isready; do
    if [[ ! -x "$PG_BIN/$tool" ]]; then
        log "missing $PG_BIN/$tool; install the postgresql package or set PG_BIN"
        exit 1
    fi
done

run_as_owner() {
    if [[ "$(id -u)" -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

services_dir="$(mktemp -d /tmp/galaxy-test-services.XXXXXX)"
chmod 755 "$services_dir"
data_dir="$services_dir/pgdata"
mkdir "$data_dir"
if [[ "$(id -u)" -eq 0 ]]; then
    # The server writes its log and socket here as well as the data directory.
    chown postgres:postgres "$services_dir" "$data_dir"
fi

log "initializing a cluster in $data_dir"
if ! run_as_owner "$PG_BIN/initdb" -D "$data_dir" -U postgres -A trust -E UTF8 --no-sync >"$services_dir/initdb.log" 2>&1; then
    log "initdb failed; its output follows"
    cat "$services_dir/initdb.log" >&2
    exit 1
fi

# Another process can take the chosen port before the server binds it, so try a few ports.
started=""
for attempt in 1 2 3 4 5; do
    port="$(free_port)"
    if run_as_owner "$PG_BIN/pg_ctl" -D "$data_dir" -l "$services_dir/postgres.log" -w -t 30 start \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $services_dir -c fsync=off -c max_connections=200" >/dev/null 2>&1; then
        started="$port"
        break
    fi
    log "start on port $port failed (attempt $attempt); retrying"
done
if [[ -z "$started" ]]; then
    log "PostgreSQL did not start; server log follows"
    cat "$services_dir/postgres.log" >&2 || true
    exit 1
fi

"$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$started" -t 10
url="postgresql://postgres@127.0.0.1:$started/postgres"
echo "$url" >"$services_dir/postgres.url"
log "PostgreSQL is running at $url"
echo "export GALAXY_TEST_POSTGRES_URL=$url"
echo "export GALAXY_TEST_SERVICES_DIR=$services_dir"
