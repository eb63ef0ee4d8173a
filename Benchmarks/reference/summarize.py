#!/usr/bin/env python3
"""Prints a Markdown summary of a benchmark run (Benchmarks/results/latest.jsonl)."""
import json
import sys


def main(path):
    rows = [json.loads(line) for line in open(path) if line.startswith("{")]
    by = {}
    for row in rows:
        by.setdefault(row["bench"], []).append(row)
    machine = by.get("machine", [{}])[0]
    print(f"Run {machine.get('date')} on {machine.get('cpu')} ({machine.get('cores')} cores)\n")
    print("| measure | Galaxy | reference | ratio |\n|---|---|---|---|")
    rebound_step = by["rebound_leapfrog_step_1s"][0]["median_us"]
    for row in by.get("nbody_step_1s", []):
        print(f"| 29-body step, 1 s ({row['isa']}) | {row['median_us']:.2f} µs | rebound leapfrog {rebound_step:.2f} µs"
              f" | {rebound_step / row['median_us']:.2f}x |")
    day60 = by["rebound_leapfrog_day_dt60"][0]
    for row in by.get("nbody_day_at_warp", []):
        print(f"| one day at {row['warp']:.0f}x | {row['median_ms']:.2f} ms, Phobos {row['phobos_error_km'] * 1000:.0f} m |"
              f" rebound dt=60 s {day60['median_ms']:.2f} ms, Phobos {day60['phobos_error_km']:.1f} km |"
              f" {day60['median_ms'] / row['median_ms']:.2f}x |")
    for row in by.get("ship_physics", []):
        print(f"| ship physics, {row['ships']} ships, {row['workers']} threads | {row['per_ship_us']:.3f} µs/ship"
              f" ({row['step_median_ms']:.2f} ms/step) | — | |")
    for row in by.get("whole_tick", []):
        print(f"| whole tick, {row['ships']} ships | {row['median_ms']:.3f} ms | — | |")
    ours = by.get("galaxy_simulate_process", [None])[0]
    theirs = by.get("rebound_leapfrog_process", [None])[0]
    if ours and theirs:
        print(f"| simulate --days {ours['days']:.0f} --warp 1, whole process | {ours['median_s']:.2f} s |"
              f" rebound leapfrog {theirs['median_s']:.2f} s | {theirs['median_s'] / ours['median_s']:.2f}x |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "Benchmarks/results/latest.jsonl")
