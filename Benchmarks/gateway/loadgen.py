#!/usr/bin/env python3
"""WebSocket load generator for Galaxy and for the reference gateway (python_gateway.py).

Registers N players over HTTP (or reuses tokens from --tokens), keeps N WebSocket clients connected,
optionally steers every tick, and measures for every state frame its latency: receive time minus the
server's `server_time_ms` stamp (same machine, same clock), and its size. Prints one JSON line with the
percentiles. The frame text is not parsed beyond its first bytes, so the clients' own cost stays small.
"""
import argparse
import asyncio
import json
import re
import statistics
import time
import urllib.error
import urllib.request

import websockets

STAMP = re.compile(rb'"server_time_ms":\s*(\d+)')


def register(base, count, prefix):
    tokens = []
    for k in range(count):
        body = json.dumps({"username": f"{prefix}{k}", "password": "load-test-password"}).encode()
        for path in ("/api/v1/register", "/api/v1/login"):
            request = urllib.request.Request(base + path, data=body, method="POST")
            try:
                reply = json.loads(urllib.request.urlopen(request, timeout=60).read())
                tokens.append((reply["token"], reply.get("ship", {}).get("id")))
                break
            except urllib.error.HTTPError as error:
                if error.code != 409:
                    raise
    return tokens


async def client(url, token, ship, args, samples, sizes, stop_at):
    async with websockets.connect(f"{url}?token={token}", max_size=None, open_timeout=60) as ws:
        welcome = json.loads(await ws.recv())
        ship = ship or (welcome.get("ships") or [None])[0]
        if args.view_radius_m > 0:
            await ws.send(json.dumps({"type": "view", "seq": 1, "focus": {"body": "Earth"}, "radius_m": args.view_radius_m}))
        seq = 2
        while time.time() < stop_at:
            try:
                message = await asyncio.wait_for(ws.recv(), timeout=max(0.1, stop_at - time.time()))
            except asyncio.TimeoutError:
                break
            received = time.time() * 1000
            data = message.encode() if isinstance(message, str) else message
            match = STAMP.search(data[:200])
            if match:
                samples.append(received - int(match.group(1)))
                sizes.append(len(data))
                if args.steer and ship:
                    await ws.send(json.dumps({"type": "steer", "seq": seq, "ship_id": ship, "throttle": 0.0}))
                    seq += 1


async def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", default="http://127.0.0.1:8080")
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--view-radius-m", type=float, default=0)
    parser.add_argument("--steer", action="store_true")
    parser.add_argument("--tokens", help="JSON file of tokens to reuse or create")
    parser.add_argument("--no-auth", action="store_true", help="reference gateway: no registration")
    parser.add_argument("--label", default="galaxy")
    args = parser.parse_args()
    url = args.base.replace("http", "ws", 1) + "/ws"
    if args.no_auth:
        tokens = [("none", None)] * args.clients
    else:
        tokens = []
        if args.tokens:
            try:
                tokens = [tuple(t) for t in json.load(open(args.tokens))]
            except FileNotFoundError:
                pass
        if len(tokens) < args.clients:
            tokens += register(args.base, args.clients - len(tokens), f"load{len(tokens)}x")
            if args.tokens:
                json.dump(tokens, open(args.tokens, "w"))
    samples, sizes = [], []
    start = time.time()
    stop_at = start + args.warmup + args.seconds
    tasks = []
    for token, ship in tokens[: args.clients]:
        tasks.append(asyncio.create_task(client(url, token, ship, args, samples, sizes, stop_at)))
        await asyncio.sleep(0.002)
    await asyncio.sleep(args.warmup)
    warm = len(samples)
    results = await asyncio.gather(*tasks, return_exceptions=True)
    failures = [repr(r) for r in results if isinstance(r, Exception)]
    measured = sorted(samples[warm:])
    if not measured:
        print(json.dumps({"bench": "gateway_latency", "label": args.label, "clients": args.clients,
                          "error": "no state frames measured after the warm-up", "frames_before_warmup": warm,
                          "failures": failures[:3]}))
        return
    def pct(p):
        return measured[min(len(measured) - 1, int(p * len(measured)))]
    print(json.dumps({
        "bench": "gateway_latency", "label": args.label, "clients": args.clients, "frames": len(measured),
        "latency_p50_ms": pct(0.50), "latency_p99_ms": pct(0.99), "latency_max_ms": measured[-1],
        "mean_frame_bytes": statistics.mean(sizes[warm:]) if len(sizes) > warm else 0,
        "failed_clients": len(failures), "first_failure": failures[0] if failures else None,
    }), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
