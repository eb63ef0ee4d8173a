#!/usr/bin/env python3
"""Reconnect storm: N clients on one gateway replica, then that replica killed with SIGKILL.

Every client reconnects to the surviving replica with exponential backoff and full jitter, a random
delay in [0, min(30 s, 1 s * 2^attempt)], as the web client does. The script prints one JSON line: how
long until half, 99 % and all clients were back (welcome received), how many handshakes the survivor
rejected with 503, and the engine's tick duration before and during the storm.

Tokens come from a JSON list of [token, ship id] pairs, as loadgen.py --prepare writes them. Each client
reads and discards its frames after the welcome, so thousands fit in one process.
"""
import argparse
import asyncio
import json
import os
import random
import signal
import statistics
import time
import urllib.parse
import urllib.request


def read_metric(base, name):
    text = urllib.request.urlopen(base + "/metrics", timeout=5).read().decode()
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


async def handshake(base, token):
    """Opens a WebSocket and waits for the welcome; returns (status, reader, writer)."""
    url = urllib.parse.urlsplit(base)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    key = "dGhlIHNhbXBsZSBub25jZQ=="
    writer.write((
        f"GET /ws?token={urllib.parse.quote(token)} HTTP/1.1\r\nHost: {url.hostname}:{url.port}\r\n"
        f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    ).encode())
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    if status != 101:
        writer.close()
        return status, None, None
    seen = b""
    while b'"welcome"' not in seen:
        chunk = await reader.read(65536)
        if not chunk:
            raise ConnectionError("closed before the welcome")
        seen = seen[-64:] + chunk
    return status, reader, writer


async def drain(reader):
    while await reader.read(1 << 20):
        pass


class Storm:
    def __init__(self, args, tokens):
        self.args = args
        self.tokens = tokens
        self.back_at = {}
        self.rejected = 0
        self.attempts = 0
        self.killed_at = None

    async def client(self, index, token, connected):
        _, reader, writer = await handshake(self.args.victim, token)
        connected.release()
        await drain(reader)  # returns when the victim dies
        writer.close()
        attempt = 0
        while True:
            await asyncio.sleep(random.uniform(0, min(30.0, 1.0 * 2 ** attempt)))
            self.attempts += 1
            try:
                status, reader, writer = await handshake(self.args.survivor, token)
            except (ConnectionError, OSError, asyncio.IncompleteReadError):
                status = 0
            if status == 101:
                self.back_at[index] = time.monotonic() - self.killed_at
                await drain(reader)
                return
            self.rejected += status == 503
            attempt += 1

    async def run(self):
        connected = asyncio.Semaphore(0)
        tasks = []
        for index, token in enumerate(self.tokens):
            tasks.append(asyncio.create_task(self.client(index, token, connected)))
            if index % 200 == 199:
                await asyncio.sleep(0.5)  # stay under the victim's own handshake limit while connecting
        for _ in self.tokens:
            await connected.acquire()
        tick_before = await self.sample_ticks(5)
        self.killed_at = time.monotonic()
        os.kill(self.args.victim_pid, signal.SIGKILL)
        ticks_during = []
        deadline = self.killed_at + self.args.timeout
        while len(self.back_at) < len(self.tokens) and time.monotonic() < deadline:
            ticks_during += await self.sample_ticks(1)
        for task in tasks:
            task.cancel()
        return tick_before, ticks_during

    async def sample_ticks(self, seconds):
        values = []
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            values.append(await asyncio.to_thread(read_metric, self.args.engine, "tick_engine_total_duration_ms"))
            await asyncio.sleep(0.25)
        return [v for v in values if v is not None]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--victim", required=True, help="URL of the replica to kill")
    parser.add_argument("--victim-pid", type=int, required=True, help="its process id")
    parser.add_argument("--survivor", required=True, help="URL of the replica that stays")
    parser.add_argument("--engine", required=True, help="URL of the engine, for its tick metrics")
    parser.add_argument("--tokens", required=True, help="JSON file of players' tokens")
    parser.add_argument("--clients", type=int, required=True)
    parser.add_argument("--timeout", type=float, default=120, help="seconds to wait for every client")
    args = parser.parse_args()
    with open(args.tokens) as file:
        tokens = [entry[0] for entry in json.load(file)][: args.clients]
    rejected_before = read_metric(args.survivor, "galaxy_handshakes_rejected_total") or 0
    storm = Storm(args, tokens)
    tick_before, ticks_during = asyncio.run(storm.run())
    back = sorted(storm.back_at.values())

    def at(fraction):
        needed = max(1, int(fraction * len(tokens) + 0.999))
        return round(back[needed - 1], 2) if len(back) >= needed else None

    print(json.dumps({
        "bench": "reconnect_storm", "clients": len(tokens), "reconnected": len(back),
        "seconds_to_50pct": at(0.5), "seconds_to_99pct": at(0.99), "seconds_to_all": at(1.0),
        "handshake_attempts": storm.attempts, "client_saw_503": storm.rejected,
        "survivor_rejected_total": (read_metric(args.survivor, "galaxy_handshakes_rejected_total") or 0) - rejected_before,
        "tick_median_before_ms": statistics.median(tick_before) if tick_before else None,
        "tick_median_during_ms": statistics.median(ticks_during) if ticks_during else None,
        "tick_max_during_ms": max(ticks_during) if ticks_during else None,
    }), flush=True)


if __name__ == "__main__":
    main()
