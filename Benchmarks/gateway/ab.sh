#!/usr/bin/env bash
# Compares two release builds of galaxy on the full-state workload (1,000 ships, every client sees all,
# clients steer after every frame), alternating them so that both see the same machine noise. With
# WORKLOAD=view it uses run.sh's view workload instead: 10,000 ships, each client with its default view.
# Usage: Benchmarks/gateway/ab.sh BINARY_A BINARY_B [rounds, default 3] [seconds per measurement, default 20]
# Environment: CLIENTS (default 1000), STATE_DIR and TRANSPORT_THREADS as in run.sh, OUT (default
# Benchmarks/results/gateway-ab.jsonl). Each loadgen line and metrics line gets a "build" field, A or B.
# LOADGEN_ARGS adds options to every cloadgen run, split at spaces: LOADGEN_ARGS=--deflate measures
# clients that request compressed state, and their lines then have "encoding": "deflate".
# The C load generator is used; the worlds and their players are shared with run.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -ge 2 ] || { sed -n 2,9p "$0" >&2; exit 2; }
binaries=("$(realpath "$1")" "$(realpath "$2")")
rounds="${3:-3}"
seconds="${4:-20}"
clients="${CLIENTS:-1000}"
state="${STATE_DIR:-${TMPDIR:-/tmp}/galaxy-gateway-bench}"
out="${OUT:-Benchmarks/results/gateway-ab.jsonl}"
read -r -a loadgen_args <<< "${LOADGEN_ARGS:-}"
port=18481
workload="${WORKLOAD:-full}"
case "$workload" in
  full) ships=0 total_ships=1000 view_args=(--view-radius-m 1e13) ;;
  view) ships=$((10000 - clients)) total_ships=10000 view_args=() ;;
  *) echo "WORKLOAD must be full or view, got '$workload'" >&2; exit 2 ;;
esac
ulimit -n "$(ulimit -Hn)"
mkdir -p "$state/$workload" "$(dirname "$out")"
cc -O2 -Wall -Wextra -o "$state/cloadgen" Benchmarks/gateway/cloadgen/*.c -lpthread -lm -lz
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT

serve() {  # serve BINARY
  "$1" serve --port "$port" --bind 127.0.0.1 --data-dir "$state/$workload/data" --ships "$ships" --snapshot-interval 600 \
    --log-level warning ${TRANSPORT_THREADS:+--transport-threads "$TRANSPORT_THREADS"} &
  server=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && return 0; sleep 0.2; done
  echo "server did not become ready" >&2; return 1
}

stop_server() { kill -INT "$server"; wait "$server" 2>/dev/null || true; }

tag() { python3 -c "import json,sys; [print(json.dumps(dict(json.loads(l), build='$1'))) for l in sys.stdin if l.strip()]"; }

if [ ! -s "$state/$workload/tokens.json" ]; then
  serve "${binaries[0]}"
  python3 Benchmarks/gateway/loadgen.py --base "http://127.0.0.1:$port" --clients "$clients" --prepare \
    --tokens "$state/$workload/tokens.json"
  stop_server
fi

warmup=$(python3 -c "print($clients * 0.0025 + 6)")
for round in $(seq "$rounds"); do
  for build in A B; do
    binary="${binaries[$([ $build = A ] && echo 0 || echo 1)]}"
    serve "$binary"
    python3 Benchmarks/gateway/sample_metrics.py --base "http://127.0.0.1:$port" --delay "$warmup" \
      --seconds "$seconds" --clients "$clients" --ships "$total_ships" > "$state/ab-metrics.jsonl" &
    sampler=$!
    "$state/cloadgen" --base "http://127.0.0.1:$port" --clients "$clients" --seconds "$seconds" \
      --tokens "$state/$workload/tokens.json" --label "ab_${workload}_round_$round" "${view_args[@]}" --steer "${loadgen_args[@]}" \
      | tag "$build" | tee -a "$out"
    wait "$sampler"
    tag "$build" < "$state/ab-metrics.jsonl" | tee -a "$out"
    stop_server
  done
done
