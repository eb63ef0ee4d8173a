#!/usr/bin/env bash
# Runs Galaxy's benchmarks side by side with the rebound reference in one session and writes
# Benchmarks/results/latest.jsonl (one JSON object per measurement) plus a Markdown summary on stdout.
# Usage: Benchmarks/run.sh [--quick]
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q -r Benchmarks/reference/requirements.txt
swift build -c release --product galaxy >/dev/null
swift build -c release --product GalaxyBench >/dev/null
mkdir -p Benchmarks/results
out=Benchmarks/results/latest.jsonl
{
  echo "{\"bench\": \"machine\", \"date\": \"$(date -u +%FT%TZ)\", \"cpu\": \"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)\", \"cores\": $(nproc)}"
  # Kernel-level pairs, interleaved so that both see the same machine load.
  .build/release/GalaxyBench nbody
  python3 Benchmarks/reference/rebound_bench.py step
  .build/release/GalaxyBench warp
  python3 Benchmarks/reference/rebound_bench.py day60
  .build/release/GalaxyBench ships tick
  python3 Benchmarks/reference/whole_process.py --days 10
} | tee "$out"
python3 Benchmarks/reference/summarize.py "$out"
