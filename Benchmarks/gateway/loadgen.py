#!/usr/bin/env python3
"""WebSocket load generator for Galaxy and for the reference gateway (python_gateway.py).

Registers N players over HTTP (or reuses tokens from --tokens), keeps N WebSocket clients connected,
optionally steers after every state frame, and measures for every state frame its latency: the time
its last byte arrived minus the server's `server_time_ms` stamp (same machine, same clock), and its
size. Prints one JSON line with the percentiles.

The clients are spread over --workers processes, each running an asyncio loop, and their samples are
merged. Each client speaks WebSocket itself (RFC 6455, client side) with a small frame parser that
keeps only the first bytes of every message and counts the rest, so one client costs little more
than the kernel's copy of its frames. `--client websockets` uses the `websockets` library instead.
"""
import argparse
import asyncio
import base64
import concurrent.futures
import json
import multiprocessing
import os
import re
import statistics
import struct
import time
import urllib.error
import urllib.parse
import urllib.request

STAMP = re.compile(rb'"server_time_ms":\s*(\d+)')
STAMP_SEARCH_BYTES = 200  # the stamp is among the first members of a state message
HEADER_WINDOW_BYTES = 14 + 125  # maximum frame header, or a whole control frame (payload at most 125 bytes)
HANDSHAKE_RETRY_SECONDS = 1.0  # the server rejects handshakes over its rate limit with HTTP 503
CONNECT_INTERVAL_SECONDS = 0.0025  # spacing of connection attempts over all workers (400 per second)

OP_CONTINUATION, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


def register_one(base, username):
    """Register `username` (or log in if it exists); return (token, ship id or None)."""
    body = json.dumps({"username": username, "password": "load-test-password"}).encode()
    for path in ("/api/v1/register", "/api/v1/login"):
        request = urllib.request.Request(base + path, data=body, method="POST")
        try:
            reply = json.loads(urllib.request.urlopen(request, timeout=120).read())
            return reply["token"], reply.get("ship", {}).get("id")
        except urllib.error.HTTPError as error:
            if error.code != 409:
                raise
    raise RuntimeError(f"could not register or log in {username}")


def register(base, count, prefix, threads=16):
    """Register `count` players in parallel. Each registration waits for the server to publish the
    new ship, so it is mostly waiting and several at once finish sooner."""
    names = [f"{prefix}{k}" for k in range(count)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(lambda name: register_one(base, name), names))


def masked_frame(opcode, payload):
    """Encode one final client frame; clients must mask what they send (RFC 6455 section 5.3)."""
    mask = os.urandom(4)
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | length)
    elif length < 65536:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, length)
    repeated = (mask * (length // 4 + 1))[:length]
    body = (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(length, "big") if length else b""
    return header + mask + body


class Recorder:
    """Samples of one worker: (arrival Unix s, latency ms, message bytes)."""

    def __init__(self):
        self.samples = []

    def message(self, head, size, arrived):
        match = STAMP.search(head[:STAMP_SEARCH_BYTES])
        if match:
            self.samples.append((arrived, arrived * 1000 - int(match.group(1)), size))
            return True
        return False


class RawClient(asyncio.BufferedProtocol):
    """One WebSocket client that parses frame headers, keeps each message's first bytes and skips
    the rest of the payload without copying it."""

    BUFFER_BYTES = 256 * 1024

    def __init__(self, host, path, args, ship, recorder, done):
        self.request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
        self.args, self.ship, self.recorder, self.done = args, ship, recorder, done
        self.buffer = bytearray(self.BUFFER_BYTES)
        self.pending = bytearray()  # received bytes of a header or control frame that is not complete yet
        self.handshake = bytearray()
        self.upgraded = False
        self.messages = 0
        self.seq = 1
        self.skip = 0  # payload bytes of the current data frame still to arrive
        self.keep = 0  # how many of those to keep in `head`
        self.head = bytearray()  # first bytes of the current message
        self.size = 0  # payload bytes of the current message so far
        self.final = False  # the current frame ends its message
        self.data_frame = False  # the last header parsed was a text, binary or continuation frame
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport
        transport.write(self.request)

    def get_buffer(self, sizehint):
        return self.buffer

    def buffer_updated(self, nbytes):
        data = memoryview(self.buffer)[:nbytes]
        if not self.upgraded:
            self.handshake += data
            end = self.handshake.find(b"\r\n\r\n")
            if end < 0:
                return
            status = self.handshake.split(b" ", 2)[1] if b" " in self.handshake else b"?"
            if status != b"101":
                self.finish(f"upgrade rejected with HTTP {status.decode(errors='replace')}")
                return
            self.upgraded = True
            data = memoryview(bytes(self.handshake[end + 4 :]))
        self.parse(data)

    def parse(self, data):
        while len(data):
            if self.skip:
                take = min(self.skip, len(data))
                if self.keep:
                    kept = min(self.keep, take)
                    self.head += data[:kept]
                    self.keep -= kept
                data = data[take:]
                self.skip -= take
                if not self.skip and self.final:
                    self.complete()
                continue
            carried = len(self.pending)
            window = bytes(self.pending) + bytes(data[:HEADER_WINDOW_BYTES])
            used = self.parse_header(window)
            if used is None:
                self.pending += data
                return
            self.pending.clear()
            data = data[used - carried :]
            if self.data_frame and not self.skip and self.final:
                self.complete()

    def parse_header(self, window):
        """Parse one frame header at the start of `window`, and the whole frame if it is a control
        frame. Return the bytes used, or None when `window` does not hold enough of them yet."""
        if len(window) < 2:
            return None
        first, second = window[0], window[1]
        length, offset = second & 0x7F, 2
        if length == 126:
            if len(window) < 4:
                return None
            length, offset = struct.unpack_from("!H", window, 2)[0], 4
        elif length == 127:
            if len(window) < 10:
                return None
            length, offset = struct.unpack_from("!Q", window, 2)[0], 10
        opcode = first & 0x0F
        self.data_frame = opcode < OP_CLOSE
        if not self.data_frame:
            if len(window) < offset + length:
                return None
            self.control(opcode, window[offset : offset + length])
            return offset + length
        if opcode != OP_CONTINUATION:
            self.head.clear()
            self.size = 0
        self.final = bool(first & 0x80)
        self.skip = length
        self.size += length
        self.keep = max(0, min(length, STAMP_SEARCH_BYTES - len(self.head))) if self.messages else length
        return offset

    def control(self, opcode, payload):
        if opcode == OP_PING:
            self.transport.write(masked_frame(OP_PONG, payload))
        elif opcode == OP_CLOSE:
            code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
            self.finish(f"server closed the connection with code {code}")

    def complete(self):
        arrived = time.time()
        self.messages += 1
        if self.messages == 1:
            self.welcome(bytes(self.head))
        elif self.recorder.message(bytes(self.head), self.size, arrived) and self.args.steer and self.ship:
            self.send({"type": "steer", "seq": self.seq, "ship_id": self.ship, "throttle": 0.0})
        self.head.clear()
        self.size = 0

    def welcome(self, text):
        if not self.ship:
            try:
                self.ship = (json.loads(text).get("ships") or [None])[0]
            except ValueError:
                self.ship = None
        if self.args.view_radius_m > 0:
            self.send({"type": "view", "seq": self.seq, "focus": {"body": "Earth"}, "radius_m": self.args.view_radius_m})

    def send(self, message):
        self.transport.write(masked_frame(OP_TEXT, json.dumps(message).encode()))
        self.seq += 1

    def close(self):
        """Send a close frame (1000, normal closure) and close the connection."""
        if self.upgraded and not self.transport.is_closing():
            self.transport.write(masked_frame(OP_CLOSE, struct.pack("!H", 1000)))
        self.finish()

    def finish(self, error=None):
        if not self.done.done():
            self.done.set_result(error)
        if self.transport:
            self.transport.close()

    def connection_lost(self, exc):
        self.finish(f"connection lost: {exc!r}" if exc else None)


async def raw_client(url, token, ship, args, recorder, stop_at):
    parts = urllib.parse.urlsplit(url)
    path = f"{parts.path}?token={urllib.parse.quote(token)}"
    loop = asyncio.get_running_loop()
    while True:
        done = loop.create_future()
        _, client = await loop.create_connection(
            lambda: RawClient(parts.netloc, path, args, ship, recorder, done), parts.hostname, parts.port
        )
        try:
            error = await asyncio.wait_for(asyncio.shield(done), timeout=max(0.1, stop_at - time.time()))
        except asyncio.TimeoutError:
            error = None
            client.close()
        if error and "HTTP 503" in error and time.time() + HANDSHAKE_RETRY_SECONDS < stop_at:
            await asyncio.sleep(HANDSHAKE_RETRY_SECONDS)
            continue
        if not done.done():
            done.set_result(None)
        if error and time.time() < stop_at - 0.5:
            raise ConnectionError(error)
        return


async def websockets_client(url, token, ship, args, recorder, stop_at):
    import websockets

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
            arrived = time.time()
            data = message.encode() if isinstance(message, str) else message
            if recorder.message(data[:STAMP_SEARCH_BYTES], len(data), arrived) and args.steer and ship:
                await ws.send(json.dumps({"type": "steer", "seq": seq, "ship_id": ship, "throttle": 0.0}))
                seq += 1


async def run_worker(url, clients, args, start, stop_at):
    """Connect this worker's share of the clients at their slots and wait until `stop_at`."""
    recorder = Recorder()
    connect = raw_client if args.client == "raw" else websockets_client
    tasks = []
    for slot, token, ship in clients:
        await asyncio.sleep(max(0.0, start + slot * CONNECT_INTERVAL_SECONDS - time.time()))
        tasks.append(asyncio.create_task(connect(url, token, ship, args, recorder, stop_at)))
    results = await asyncio.gather(*tasks, return_exceptions=True)
    failures = [repr(r) for r in results if isinstance(r, BaseException)]
    return recorder.samples, failures


def worker_main(url, clients, args, start, stop_at, output):
    samples, failures = asyncio.run(run_worker(url, clients, args, start, stop_at))
    output.put((samples, failures))


def load_tokens(args):
    if args.no_auth:
        return [("none", None)] * args.clients
    tokens = []
    if args.tokens:
        try:
            with open(args.tokens) as file:
                tokens = [tuple(t) for t in json.load(file)]
        except FileNotFoundError:
            pass
    if len(tokens) < args.clients:
        tokens += register(args.base, args.clients - len(tokens), f"load{len(tokens)}x")
        if args.tokens:
            with open(args.tokens, "w") as file:
                json.dump(tokens, file)
    return tokens[: args.clients]


def summarize(args, samples, failures, warm_until, workers):
    measured = sorted(latency for arrived, latency, _ in samples if arrived >= warm_until)
    sizes = [size for arrived, _, size in samples if arrived >= warm_until]
    base = {"bench": "gateway_latency", "label": args.label, "clients": args.clients, "workers": workers,
            "client": args.client}
    if not measured:
        return {**base, "error": "no state frames measured after the warm-up", "frames_before_warmup": len(samples),
                "failed_clients": len(failures), "first_failure": failures[0] if failures else None}

    def percentile(p):
        return measured[min(len(measured) - 1, int(p * len(measured)))]

    return {**base, "frames": len(measured), "latency_p50_ms": percentile(0.50), "latency_p99_ms": percentile(0.99),
            "latency_max_ms": measured[-1], "mean_frame_bytes": statistics.mean(sizes),
            "failed_clients": len(failures), "first_failure": failures[0] if failures else None}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", default="http://127.0.0.1:8080", help="server URL")
    parser.add_argument("--clients", type=int, default=100, help="WebSocket clients to keep connected")
    parser.add_argument("--seconds", type=float, default=20, help="measured seconds after the warm-up")
    parser.add_argument("--warmup", type=float, help="seconds before measuring (default: 5 s after the last connect)")
    parser.add_argument("--workers", type=int, default=0, help="client processes (default: one per 250 clients)")
    parser.add_argument("--client", choices=("raw", "websockets"), default="raw", help="WebSocket client code")
    parser.add_argument("--view-radius-m", type=float, default=0, help="view radius about Earth, m (0: default view)")
    parser.add_argument("--steer", action="store_true", help="send a steer message after every state frame")
    parser.add_argument("--tokens", help="JSON file of tokens to reuse or create")
    parser.add_argument("--no-auth", action="store_true", help="reference gateway: no registration")
    parser.add_argument("--label", default="galaxy", help="label of the output line")
    parser.add_argument("--prepare", action="store_true", help="only register players into --tokens, then exit")
    args = parser.parse_args()
    url = args.base.replace("http", "ws", 1) + "/ws"
    tokens = load_tokens(args)
    if args.prepare:
        return
    workers = args.workers or max(1, min(os.cpu_count() or 1, (args.clients + 249) // 250))
    ramp = args.clients * CONNECT_INTERVAL_SECONDS
    warmup = args.warmup if args.warmup is not None else ramp + 5
    start = time.time() + 1  # time for the workers to start
    stop_at = start + warmup + args.seconds
    context = multiprocessing.get_context("spawn")
    output = context.Queue()
    processes = []
    for w in range(workers):
        share = [(slot, token, ship) for slot, (token, ship) in enumerate(tokens) if slot % workers == w]
        process = context.Process(target=worker_main, args=(url, share, args, start, stop_at, output))
        process.start()
        processes.append(process)
    samples, failures = [], []
    for _ in processes:
        worker_samples, worker_failures = output.get()
        samples += worker_samples
        failures += worker_failures
    for process in processes:
        process.join()
    print(json.dumps(summarize(args, samples, failures, start + warmup, workers)), flush=True)


if __name__ == "__main__":
    main()
