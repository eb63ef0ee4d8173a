#!/usr/bin/env bash
# Scale-out benchmark, side by side in one run (release build, PostgreSQL and redis-server on loopback):
#   1. the engine's tick at 10,000 ships without Redis and with Redis publishing (one gateway
#      subscribed), sampled once per tick;
#   2. one process serving CLIENTS WebSocket clients itself, then one engine and two gateway replicas
#      serving CLIENTS clients each at the same time. Frame latency p50/p99 is reported per process.
#   3. a reconnect storm: CLIENTS clients on one replica, that replica killed, all of them reconnecting
#      to the other with full-jitter backoff.
# Every client sees its own ship and the default 1,000 km view (the interest-filtered workload).
# Usage: Benchmarks/scaleout/run.sh [seconds per measurement, default 30]
# Environment: CLIENTS (default 1000) per process; STEPS (default "1 2 3"; step 3 needs step 2);
# OUT (default Benchmarks/results/scaleout.jsonl); SCRATCH_PATH (default .build). Each run registers
# its players afresh in a throwaway PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-30}"
clients="${CLIENTS:-1000}"
steps="${STEPS:-1 2 3}"
out="${OUT:-Benchmarks/results/scaleout.jsonl}"
scratch_path="${SCRATCH_PATH:-.build}"
state="$(mktemp -d)"
ulimit -n "$(ulimit -Hn)"
python3 -m pip install -q -r Benchmarks/gateway/requirements.txt
swift build -c release --product galaxy --scratch-path "$scratch_path" >/dev/null
galaxy="$scratch_path/release/galaxy"
mkdir -p "$(dirname "$out")" "$state"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; scripts/stop-test-services.sh >/dev/null 2>&1 || true; rm -rf "$state"' EXIT

eval "$(scripts/start-test-services.sh)"
database="${GALAXY_TEST_POSTGRES_URL%/*}/galaxy_scaleout_$$"
psql "$GALAXY_TEST_POSTGRES_URL" -qc "CREATE DATABASE galaxy_scaleout_$$"
redis_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no >/dev/null &
pids+=($!)
redis="redis://127.0.0.1:$redis_port"

wait_ready() {  # wait_ready PORT
  for _ in $(seq 300); do curl -sf "http://127.0.0.1:$1/readyz" >/dev/null && return 0; sleep 0.2; done
  echo "process on port $1 did not become ready" >&2; return 1
}

engine() {  # engine PORT DATABASE SHIPS [extra flags]; SHIPS are generated when the world is new
  local port=$1 db=$2 ships=$3
  shift 3
  "$galaxy" serve --port "$port" --bind 127.0.0.1 --database "$db" --ships "$ships" \
    --snapshot-interval 600 --log-level warning "$@" &
  engine_pid=$!
  wait_ready "$port"
}

gateway() {  # gateway PORT ID
  "$galaxy" gateway --port "$1" --bind 127.0.0.1 --database "$database" --redis "$redis" --gateway-id "$2" \
    --log-level warning &
  pids+=($!)
  wait_ready "$1"
}

stop() { kill -INT "$1"; wait "$1" 2>/dev/null || true; }

load() {  # load PORT TOKENS LABEL: keeps CLIENTS clients on PORT for the measured seconds
  python3 Benchmarks/gateway/loadgen.py --base "http://127.0.0.1:$1" --clients "$clients" --seconds "$seconds" \
    --steer --tokens "$2" --label "$3"
}

# 1. Tick cost of publishing at 10,000 ships, on the same restored world each time, alternating without
#    and with Redis twice, so that drift in the machine's load shows up as a spread, not a difference.
if [[ " $steps " == *" 1 "* ]]; then
  psql "$GALAXY_TEST_POSTGRES_URL" -qc "CREATE DATABASE galaxy_ticks_$$"
  ticks_db="${GALAXY_TEST_POSTGRES_URL%/*}/galaxy_ticks_$$"
  engine 18581 "$ticks_db" 10000
  stop "$engine_pid"
  for round in 1 2; do
    engine 18581 "$ticks_db" 10000
    python3 Benchmarks/scaleout/tick_cost.py --base http://127.0.0.1:18581 --seconds "$seconds" --label "without_redis_$round" | tee -a "$out"
    stop "$engine_pid"
    engine 18581 "$ticks_db" 10000 --redis "$redis"
    gateway 18582 gw0  # a subscriber, so that Redis really sends every frame
    python3 Benchmarks/scaleout/tick_cost.py --base http://127.0.0.1:18581 --seconds "$seconds" --label "with_redis_$round" | tee -a "$out"
    stop "$engine_pid"
    stop "${pids[-1]}"
  done
fi
[[ " $steps " == *" 2 "* ]] || exit 0

# 2. The world of steps 2 and 3: 10,000 ships once every player has registered.
engine 18581 "$database" $((10000 - 3 * clients)) --redis "$redis"
gateway 18582 gw0
gateway 18583 gw1
gw1_pid=${pids[-1]}

# Distinct players for step 2: registered once, then split into one token file per process.
python3 Benchmarks/gateway/loadgen.py --base http://127.0.0.1:18581 --clients $((3 * clients)) --prepare \
  --tokens "$state/all-tokens.json"
python3 - "$state" "$clients" <<'SPLIT'
import json, sys
state, clients = sys.argv[1], int(sys.argv[2])
tokens = json.load(open(f"{state}/all-tokens.json"))
for k, port in enumerate((18581, 18582, 18583)):
    json.dump(tokens[k * clients:(k + 1) * clients], open(f"{state}/tokens-{port}.json", "w"))
SPLIT

# 2a. One process serves CLIENTS clients itself.
load 18581 "$state/tokens-18581.json" "single_process_${clients}_clients" | tee -a "$out"

# 2b. Two replicas serve CLIENTS clients each, at the same time.
load 18582 "$state/tokens-18582.json" "replica_gw0_of_2" > "$state/gw0.jsonl" &
first=$!
load 18583 "$state/tokens-18583.json" "replica_gw1_of_2" > "$state/gw1.jsonl"
wait "$first"
cat "$state/gw0.jsonl" "$state/gw1.jsonl" | tee -a "$out"
for port in 18582 18583; do
  curl -s "http://127.0.0.1:$port/metrics" | awk -v port="$port" '
    $1 == "galaxy_broadcast_duration_ms" { b = $2 } $1 == "galaxy_redis_frame_age_ms" { a = $2 }
    END { printf "{\"bench\": \"replica_metrics\", \"port\": %s, \"broadcast_ms\": %s, \"redis_frame_age_ms\": %s}\n", port, b, a }' |
    tee -a "$out"
done

# 3. Reconnect storm: the clients of step 2b's second replica reconnect to the first after it is killed.
[[ " $steps " == *" 3 "* ]] || { stop "$engine_pid"; exit 0; }
python3 Benchmarks/scaleout/storm.py --victim http://127.0.0.1:18583 --victim-pid "$gw1_pid" \
  --survivor http://127.0.0.1:18582 --engine http://127.0.0.1:18581 --tokens "$state/tokens-18583.json" \
  --clients "$clients" | tee -a "$out"
stop "$engine_pid"
