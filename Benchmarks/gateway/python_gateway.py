#!/usr/bin/env python3
"""Reference gateway: an asyncio server (websockets from PyPI) in the earlier system's style, which
broadcasts one full-state JSON frame of every ship to every client once per second. Ships move on
circular orbits so that the frame changes every tick. Prints frame build and fan-out times."""
import argparse
import asyncio
import json
import math
import statistics
import time

import websockets

clients = set()


def build_frame(tick, ships):
    t = tick * 1.0
    state = []
    for k in range(ships):
        angle = 0.001 * k + 0.0011 * t
        r = 6.771e6 + 1000.0 * k
        state.append({"id": k + 1, "name": f"ship-{k + 1}", "owner": k + 1,
                      "p": [r * math.cos(angle), r * math.sin(angle), 0.0],
                      "v": [-7670.0 * math.sin(angle), 7670.0 * math.cos(angle), 0.0],
                      "q": [1.0, 0.0, 0.0, 0.0], "mode": "hold", "throttle": 0.0, "fuel_kg": 1000.0})
    return json.dumps({"type": "state", "tick": tick, "server_time_ms": round(time.time() * 1000), "ships": state})


async def handler(ws):
    clients.add(ws)
    try:
        await ws.send(json.dumps({"type": "welcome", "ships": [], "bodies": []}))
        async for _ in ws:
            pass
    finally:
        clients.discard(ws)


async def ticker(ships, duration, report):
    samples = []  # (clients, build ms, fan-out ms) per tick
    tick = 0
    next_tick = time.monotonic()
    end = time.monotonic() + duration
    while time.monotonic() < end:
        next_tick += 1.0
        tick += 1
        started = time.perf_counter()
        frame = build_frame(tick, ships)
        built = time.perf_counter()
        await asyncio.gather(*(ws.send(frame) for ws in list(clients)), return_exceptions=True)
        sent = time.perf_counter()
        if clients:
            samples.append((len(clients), (built - started) * 1000, (sent - built) * 1000))
        await asyncio.sleep(max(0.0, next_tick - time.monotonic()))
    # Only ticks with (nearly) every client connected count, so the load generator's ramp is left out.
    most = max((count for count, _, _ in samples), default=0)
    steady = [(build, fanout) for count, build, fanout in samples if count >= 0.9 * most]
    if steady:
        report.append({"bench": "python_gateway_broadcast", "ships": ships, "clients": most,
                       "build_median_ms": statistics.median(b for b, _ in steady),
                       "fanout_median_ms": statistics.median(f for _, f in steady),
                       "fanout_max_ms": max(f for _, f in steady), "ticks": len(steady)})


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--ships", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=40)
    args = parser.parse_args()
    report = []
    async with websockets.serve(handler, "127.0.0.1", args.port, max_size=2 ** 16, compression=None):
        await ticker(args.ships, args.seconds, report)
    for line in report:
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
