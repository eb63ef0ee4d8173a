#!/usr/bin/env python3
"""Samples a Galaxy server's /metrics during a load run and prints one JSON line with the medians of the
broadcast figures, counting only samples taken while every expected client was connected."""
import argparse
import json
import statistics
import time
import urllib.request


def read_metrics(base):
    text = urllib.request.urlopen(base + "/metrics", timeout=5).read().decode()
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition(" ")
            values[name] = float(value)
    return values


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", required=True, help="server URL")
    parser.add_argument("--seconds", type=float, required=True, help="how long to sample")
    parser.add_argument("--delay", type=float, default=0, help="seconds to wait before sampling")
    parser.add_argument("--clients", type=int, required=True, help="clients the load generator keeps connected")
    parser.add_argument("--ships", type=int, required=True, help="ships in the world, for the output line")
    args = parser.parse_args()
    time.sleep(args.delay)
    rows = []
    end = time.time() + args.seconds
    while time.time() < end:
        values = read_metrics(args.base)
        if values.get("galaxy_connections_active", 0) >= args.clients:
            rows.append(values)
        time.sleep(0.5)
    line = {"bench": "galaxy_broadcast", "ships": args.ships, "clients": args.clients, "samples": len(rows)}
    if rows:
        broadcast = [r["galaxy_broadcast_duration_ms"] for r in rows]
        # Each sample contains the last completed fan-out, so one tick's value can appear in two samples.
        fanout = [r.get("galaxy_fanout_duration_ms", 0) for r in rows]
        line.update({
            "broadcast_median_ms": statistics.median(broadcast), "broadcast_max_ms": max(broadcast),
            "fanout_median_ms": statistics.median(fanout), "fanout_max_ms": max(fanout),
            "bytes_per_tick": statistics.median(r["galaxy_broadcast_message_bytes"] for r in rows),
            "tick_median_ms": statistics.median(r.get("tick_engine_total_duration_ms", 0) for r in rows),
            "frames_replaced": rows[-1].get("galaxy_state_frames_replaced_total", 0),
            "slow_consumer_drops": rows[-1].get("galaxy_slow_consumer_disconnections_total", 0),
        })
    print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
