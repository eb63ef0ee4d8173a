#!/usr/bin/env bash
# Gateway benchmark, side by side in one run: Galaxy (release build) and the Python asyncio reference
# gateway, each serving 100 and 1,000 WebSocket clients on loopback, plus Galaxy with 10,000 ships
# where each client sees only its view. Writes Benchmarks/results/gateway.jsonl.
# Usage: Benchmarks/gateway/run.sh [seconds per measurement, default 20]
# CLIENTS (default "100 1000") and VIEW_CLIENTS (default 1000) set the client counts.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-20}"
ulimit -n "$(ulimit -Hn)"  # 1,000 clients and the server need well over the default 1,024 descriptors
python3 -m pip install -q -r Benchmarks/gateway/requirements.txt
swift build -c release --product galaxy >/dev/null
out=Benchmarks/results/gateway.jsonl
mkdir -p Benchmarks/results
: > "$out"
scratch="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$scratch"' EXIT

serve() {  # serve SHIPS PORT
  .build/release/galaxy serve --port "$2" --bind 127.0.0.1 --data-dir "$scratch/data-$1" --ships "$1" \
    --snapshot-interval 600 --log-level warning &
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$2/readyz" >/dev/null && return 0; sleep 0.2; done
  echo "server did not become ready" >&2; return 1
}

metric() { curl -s "http://127.0.0.1:$1/metrics" | awk -v name="$2" '$1 == name { print $2 }'; }

# Full-state workload: 1,000 ships, every client's view covers all of them (about 200 KB per frame).
serve 1000 18481
for clients in ${CLIENTS:-100 1000}; do
  python3 Benchmarks/gateway/loadgen.py --base http://127.0.0.1:18481 --clients "$clients" --seconds "$seconds" \
    --view-radius-m 1e13 --steer --tokens "$scratch/tokens.json" --label "galaxy_full_state_1000_ships" | tee -a "$out"
  echo "{\"bench\": \"galaxy_broadcast\", \"ships\": 1000, \"clients\": $clients, \"broadcast_ms\": $(metric 18481 galaxy_broadcast_duration_ms), \"bytes_per_tick\": $(metric 18481 galaxy_broadcast_message_bytes), \"tick_ms\": $(metric 18481 tick_engine_total_duration_ms)}" | tee -a "$out"
done
kill %1; wait %1 2>/dev/null || true

python3 Benchmarks/gateway/python_gateway.py --port 18482 --ships 1000 --seconds $((2 * seconds + 40)) | tee -a "$out" &
sleep 2
for clients in ${CLIENTS:-100 1000}; do
  python3 Benchmarks/gateway/loadgen.py --base http://127.0.0.1:18482 --clients "$clients" --seconds "$seconds" \
    --no-auth --label "python_asyncio_full_state_1000_ships" | tee -a "$out"
done
wait %2 2>/dev/null || true

# Interest-filtered workload: 10,000 ships, each client sees its own ship and a 1,000 km view.
serve 10000 18483
python3 Benchmarks/gateway/loadgen.py --base http://127.0.0.1:18483 --clients "${VIEW_CLIENTS:-1000}" --seconds "$seconds" --steer \
  --tokens "$scratch/tokens2.json" --label "galaxy_view_10000_ships" | tee -a "$out"
echo "{\"bench\": \"galaxy_broadcast\", \"ships\": 10000, \"clients\": ${VIEW_CLIENTS:-1000}, \"broadcast_ms\": $(metric 18483 galaxy_broadcast_duration_ms), \"bytes_per_tick\": $(metric 18483 galaxy_broadcast_message_bytes), \"tick_ms\": $(metric 18483 tick_engine_total_duration_ms)}" | tee -a "$out"
