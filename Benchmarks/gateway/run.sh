#!/usr/bin/env bash
# Gateway benchmark, side by side in one run: Galaxy (release build) and the Python asyncio reference
# gateway, each serving 100 and 1,000 WebSocket clients on loopback, Galaxy once more at the largest
# count with clients that do not steer (as the reference's clients), and Galaxy with 10,000 ships where
# each client sees only its view. With LOADGEN=c, Galaxy also serves the largest count of steering
# clients that request compressed state (cloadgen --deflate, label galaxy_full_state_1000_ships_deflate)
# and binary state (cloadgen --binary, labels galaxy_full_state_1000_ships_binary and
# galaxy_view_10000_ships_binary).
# Usage: Benchmarks/gateway/run.sh [seconds per measurement, default 20]
# Environment:
#   CLIENTS (default "100 1000") and VIEW_CLIENTS (default 1000) set the client counts.
#   OUT (default Benchmarks/results/gateway.jsonl) is the output file; lines are appended.
#   SCRATCH_PATH (default .build) is the build directory passed to swift build.
#   STATE_DIR (default $TMPDIR/galaxy-gateway-bench) keeps the two worlds and their players' tokens
#   between runs, because registering 1,000 players (argon2id each) takes minutes.
#   TRANSPORT_THREADS (default: the server's own default) is passed to galaxy serve --transport-threads.
#   LOADGEN (default py) picks the client of the measured runs: py for loadgen.py, c for the C client in cloadgen/,
#   which is compiled into the state directory and takes less CPU from the server under test. Only the C
#   client can request compressed or binary state, so those measurements run only with LOADGEN=c.
#   Registering players (--prepare) always uses loadgen.py.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-20}"
clients_list="${CLIENTS:-100 1000}"
view_clients="${VIEW_CLIENTS:-1000}"
out="${OUT:-Benchmarks/results/gateway.jsonl}"
scratch_path="${SCRATCH_PATH:-.build}"
state="${STATE_DIR:-${TMPDIR:-/tmp}/galaxy-gateway-bench}"
loadgen_kind="${LOADGEN:-py}"
ulimit -n "$(ulimit -Hn)"  # 1,000 clients and the server need well over the default 1,024 descriptors
python3 -m pip install -q -r Benchmarks/gateway/requirements.txt
swift build -c release --product galaxy --scratch-path "$scratch_path" >/dev/null
galaxy="$scratch_path/release/galaxy"
mkdir -p "$(dirname "$out")" "$state/full" "$state/view"
case "$loadgen_kind" in
  py) loadgen=(python3 Benchmarks/gateway/loadgen.py) ;;
  c)
    cc -O2 -Wall -Wextra -o "$state/cloadgen" Benchmarks/gateway/cloadgen/*.c -lpthread -lm -lz
    loadgen=("$state/cloadgen")
    ;;
  *) echo "LOADGEN must be py or c, got '$loadgen_kind'" >&2; exit 2 ;;
esac
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT
max_clients=$(printf '%s\n' $clients_list | sort -n | tail -1)
warmup_s() { python3 -c "print($1 * 0.0025 + 5 + 1)"; }  # loadgen.py: 1 s start, ramp, 5 s

serve() {  # serve DATA_DIR SHIPS PORT
  "$galaxy" serve --port "$3" --bind 127.0.0.1 --data-dir "$1" --ships "$2" --snapshot-interval 600 --log-level warning \
    ${TRANSPORT_THREADS:+--transport-threads "$TRANSPORT_THREADS"} &
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$3/readyz" >/dev/null && return 0; sleep 0.2; done
  echo "server did not become ready" >&2; return 1
}

stop_server() { kill -INT "$1"; wait "$1" 2>/dev/null || true; }

measure_galaxy() {  # measure_galaxy PORT CLIENTS SHIPS TOKENS LABEL [loadgen options...]
  local port=$1 clients=$2 ships=$3 tokens=$4 label=$5
  shift 5
  python3 Benchmarks/gateway/sample_metrics.py --base "http://127.0.0.1:$port" --delay "$(warmup_s "$clients")" \
    --seconds "$seconds" --clients "$clients" --ships "$ships" >> "$out.metrics" &
  local sampler=$!
  "${loadgen[@]}" --base "http://127.0.0.1:$port" --clients "$clients" --seconds "$seconds" \
    --tokens "$tokens" --label "$label" "$@" | tee -a "$out"
  wait "$sampler"
  tail -1 "$out.metrics" | tee -a "$out"
  rm -f "$out.metrics"
}

# Full-state workload: 1,000 ships, each owned by one of 1,000 registered players, and every client's
# view covers all of them (about 200 KB per frame). A new world has no generated ships (--ships 0).
serve "$state/full/data" 0 18481
full_pid=$!
python3 Benchmarks/gateway/loadgen.py --base http://127.0.0.1:18481 --clients "$max_clients" --prepare \
  --tokens "$state/full/tokens.json"
for clients in $clients_list; do
  measure_galaxy 18481 "$clients" 1000 "$state/full/tokens.json" galaxy_full_state_1000_ships --view-radius-m 1e13 --steer
done
# Without steering, like the reference's clients, at the largest client count.
measure_galaxy 18481 "$max_clients" 1000 "$state/full/tokens.json" galaxy_full_state_1000_ships_no_steer --view-radius-m 1e13
# Steering clients as in the first runs, but with every state message as a raw DEFLATE stream.
if [ "$loadgen_kind" = c ]; then
  measure_galaxy 18481 "$max_clients" 1000 "$state/full/tokens.json" galaxy_full_state_1000_ships_deflate \
    --view-radius-m 1e13 --steer --deflate
  measure_galaxy 18481 "$max_clients" 1000 "$state/full/tokens.json" galaxy_full_state_1000_ships_binary \
    --view-radius-m 1e13 --steer --binary
fi
stop_server "$full_pid"

# The reference gateway, one process per client count so that its fan-out figure is per count.
for clients in $clients_list; do
  python3 Benchmarks/gateway/python_gateway.py --port 18482 --ships 1000 \
    --seconds "$(python3 -c "print(int($(warmup_s "$clients") + $seconds + 10))")" 2>>"$state/reference.log" | tee -a "$out" &
  reference=$!
  sleep 2
  "${loadgen[@]}" --base http://127.0.0.1:18482 --clients "$clients" --seconds "$seconds" \
    --no-auth --label "python_asyncio_full_state_1000_ships" | tee -a "$out"
  wait "$reference" 2>/dev/null || true
done

# Interest-filtered workload: 10,000 ships (generated ones plus one per player), each client sees its own
# ship and the default 1,000 km view about it.
serve "$state/view/data" $((10000 - view_clients)) 18483
view_pid=$!
python3 Benchmarks/gateway/loadgen.py --base http://127.0.0.1:18483 --clients "$view_clients" --prepare \
  --tokens "$state/view/tokens.json"
measure_galaxy 18483 "$view_clients" 10000 "$state/view/tokens.json" galaxy_view_10000_ships --steer
if [ "$loadgen_kind" = c ]; then
  measure_galaxy 18483 "$view_clients" 10000 "$state/view/tokens.json" galaxy_view_10000_ships_binary --steer --binary
fi
stop_server "$view_pid"
