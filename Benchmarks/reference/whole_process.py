#!/usr/bin/env python3
"""Times whole processes side by side: `galaxy simulate --days D --warp 1` (D*86,400 ticks of 1 s)
against rebound's leapfrog advancing the same 29 bodies over the same span with dt = 1 s.
Alternates the two, five runs each, and prints the medians as JSON lines."""
import argparse
import json
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]


def wall(command):
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    galaxy = str(ROOT / ".build" / "release" / "galaxy")
    rebound = [sys.executable, str(ROOT / "Benchmarks" / "reference" / "rebound_bench.py"), "simulate",
               "--days", str(args.days)]
    with tempfile.TemporaryDirectory() as scratch:
        ours = [galaxy, "simulate", "--days", str(args.days), "--warp", "1", "--output", f"{scratch}/out.json"]
        galaxy_times, rebound_times = [], []
        for _ in range(args.runs):
            galaxy_times.append(wall(ours))
            rebound_times.append(wall(rebound))
    for name, samples in (("galaxy_simulate_process", galaxy_times), ("rebound_leapfrog_process", rebound_times)):
        print(json.dumps({"bench": name, "days": args.days, "median_s": statistics.median(samples),
                          "min_s": min(samples)}), flush=True)


if __name__ == "__main__":
    main()
