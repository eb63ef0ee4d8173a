#!/usr/bin/env python3
"""Samples an engine's /metrics once per tick for a while and prints one JSON line: the median and
high percentiles of the tick's own duration and, when the engine publishes to Redis, of the publisher
thread's encode-and-write time. Each tick is counted once (keyed by tick_engine_current_tick)."""
import argparse
import json
import statistics
import time
import urllib.request


def read_metrics(base):
    text = urllib.request.urlopen(base + "/metrics", timeout=5).read().decode()
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#") and "{" not in line:
            name, _, value = line.partition(" ")
            values[name] = float(value)
    return values


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else None


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", required=True, help="engine URL")
    parser.add_argument("--seconds", type=float, required=True, help="how long to sample")
    parser.add_argument("--label", required=True, help="name of the configuration, for the output line")
    args = parser.parse_args()
    per_tick = {}
    end = time.time() + args.seconds
    while time.time() < end:
        values = read_metrics(args.base)
        tick = values.get("tick_engine_current_tick")
        if tick is not None:
            per_tick[tick] = values
        time.sleep(0.2)
    ticks = [v["tick_engine_total_duration_ms"] for v in per_tick.values()]
    line = {"bench": "engine_tick", "label": args.label, "ticks": len(ticks),
            "tick_median_ms": statistics.median(ticks), "tick_p90_ms": percentile(ticks, 0.9), "tick_max_ms": max(ticks),
            "ships": int(max(v.get("physics_ships_count", 0) for v in per_tick.values()))}
    publish = [v["galaxy_redis_publish_duration_ms"] for v in per_tick.values() if "galaxy_redis_publish_duration_ms" in v]
    if publish:
        last = max(per_tick)
        line.update({"publish_median_ms": statistics.median(publish), "publish_p90_ms": percentile(publish, 0.9),
                     "frames_published": per_tick[last].get("galaxy_redis_frames_published_total"),
                     "frames_dropped": per_tick[last].get("galaxy_redis_frames_dropped_total")})
    print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
