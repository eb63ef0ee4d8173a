"""The C load generator of the gateway benchmark, run briefly against a real server. The benchmark
figures come from this tool, so a broken build or a wrong count must fail here.

The --deflate tests run it against a small WebSocket server of their own, which sends state messages as
raw DEFLATE streams, so they need no Galaxy server and can send broken streams on purpose."""

import asyncio
import itertools
import json
import random
import shutil
import struct
import subprocess
import time
import zlib
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed

from support import REPO_ROOT

SOURCES = sorted((REPO_ROOT / "Benchmarks" / "gateway" / "cloadgen").glob("*.c"))


@pytest.fixture(scope="module")
def cloadgen(tmp_path_factory):
    compiler = shutil.which("cc")
    if compiler is None:
        pytest.skip("no C compiler (cc) on this machine")
    binary = tmp_path_factory.mktemp("cloadgen") / "cloadgen"
    build = [compiler, "-O2", "-Wall", "-Wextra", "-Werror", "-o", str(binary), *map(str, SOURCES), "-lpthread", "-lm", "-lz"]
    subprocess.run(build, check=True, capture_output=True, text=True)
    return binary


def test_cloadgen_measures_frames(servers, cloadgen, tmp_path):
    server = servers.new(tick_rate=4)
    players = [server.register() for _ in range(3)]
    tokens = tmp_path / "tokens.json"
    tokens.write_text(json.dumps([[p.token, p.ship_id] for p in players]))
    argv = [str(cloadgen), "--base", f"http://127.0.0.1:{server.port}", "--clients", "3", "--seconds", "2"]
    argv += ["--warmup", "1", "--tokens", str(tokens), "--steer", "--view-radius-m", "1e13", "--label", "check"]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    line = json.loads(result.stdout)
    assert line["label"] == "check"
    assert line["failed_clients"] == 0
    # Four ticks a second for two seconds, to three clients, less a tick at either edge of the window.
    assert line["frames"] >= 3 * 6
    assert line["mean_frame_bytes"] > 100
    assert 0 < line["latency_p50_ms"] <= line["latency_p99_ms"] <= line["latency_max_ms"]
    assert line["complete_ticks"] >= 6
    assert line["last_delivery_median_ms"] <= line["last_delivery_max_ms"]


def run_against_galaxy(servers, cloadgen, tmp_path, *options):
    """Run cloadgen with three steering clients against a server of 300 ships; return its output line."""
    server = servers.new(tick_rate=4, ships=300)
    players = [server.register() for _ in range(3)]
    tokens = tmp_path / "tokens.json"
    tokens.write_text(json.dumps([[p.token, p.ship_id] for p in players]))
    argv = [str(cloadgen), "--base", f"http://127.0.0.1:{server.port}", "--clients", "3", "--seconds", "2"]
    argv += ["--warmup", "1", "--tokens", str(tokens), "--steer", "--view-radius-m", "1e13", *options]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    line = json.loads(result.stdout)
    assert line["failed_clients"] == 0, line["first_failure"]
    assert line["frames"] >= 3 * 6
    return line


def test_cloadgen_deflate_against_galaxy(servers, cloadgen, tmp_path):
    # The server's compressed state, checked by cloadgen's sampled full inflation.
    line = run_against_galaxy(servers, cloadgen, tmp_path, "--deflate")
    assert line["deflate_checked"] >= 3
    assert line["deflate_errors"] == 0
    assert line["mean_frame_bytes"] < 0.75 * line["mean_inflated_bytes"]


def test_cloadgen_binary_against_galaxy(servers, cloadgen, tmp_path):
    # The server's binary state, whose layout cloadgen checks in every message.
    line = run_against_galaxy(servers, cloadgen, tmp_path, "--binary")
    assert line["encoding"] == "binary"
    # 300 other ships as 72-byte records, and a head of the bodies and the client's own ship.
    assert 300 * 72 < line["mean_frame_bytes"] < 300 * 72 + 16_000


def test_cloadgen_missing_tokens_file(cloadgen, tmp_path):
    argv = [str(cloadgen), "--clients", "2", "--tokens", str(tmp_path / "absent.json")]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "failed to open tokens file" in result.stderr
    assert "absent.json" in result.stderr


# ---- --deflate, against a fake server ----

STATE_INTERVAL_S = 0.2
FAKE_CLIENTS = 2
# Enough random coordinates that a compressed message is larger than cloadgen's 4 KiB reads, so the
# unchecked messages are partly dropped unread and the checked ones are inflated over several reads.
FAKE_SHIPS = 400


def state_text(tick, rng):
    ships = [{"id": k, "x_m": rng.uniform(-1e11, 1e11), "y_m": rng.uniform(-1e11, 1e11)} for k in range(FAKE_SHIPS)]
    message = {"type": "state", "tick": tick, "server_time_ms": int(time.time() * 1000), "ships": ships}
    return json.dumps(message, separators=(",", ":"))


def deflate_raw(data):
    compressor = zlib.compressobj(wbits=-15)
    return compressor.compress(data) + compressor.flush()


def deflate_with_stored_start(data, stored_bytes=128):
    """Start with a stored block, as the Galaxy server does, so that the stamp is readable early. The
    stored block ends on a byte boundary, so a separate raw stream of the rest can follow it."""
    header = b"\x00" + struct.pack("<HH", stored_bytes, stored_bytes ^ 0xFFFF)  # BFINAL 0, BTYPE 00, LEN, NLEN
    return header + data[:stored_bytes] + deflate_raw(data[stored_bytes:])


def deflate_without_final_block(data):
    compressor = zlib.compressobj(wbits=-15)
    return compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)


def set_reserved_block_type(data):
    payload = bytearray(deflate_raw(data))
    payload[0] |= 0x06  # BTYPE, bits 1 and 2 of the first byte: 11 is reserved (RFC 1951, section 3.2.3)
    return bytes(payload)


# Name: (index of the broken state message on each connection, how to encode it, text of the failure).
# Index 0 is the first binary message, which cloadgen checks in full. Index 2 is not checked, so its
# error must show while cloadgen inflates the head.
CORRUPTIONS = {
    "reserved_block_type": (2, set_reserved_block_type, "inflate failed: invalid block type"),
    "no_final_block": (0, deflate_without_final_block, "ends without a final block"),
    "trailing_bytes": (0, lambda data: deflate_raw(data) + b"\x00", "continues after the final block"),
    "not_a_state": (
        0,
        lambda data: deflate_raw(data.replace(b'"type":"state"', b'"type":"event"', 1)),
        'does not start with {"type":"state"',
    ),
    "unclosed_object": (0, lambda data: deflate_raw(data[:-1]), "does not end with '}'"),
}


class FakeStateServer:
    """Welcome, then a state message every STATE_INTERVAL_S: raw DEFLATE in binary messages, or JSON text
    if `compress` is false. The state message at `broken_index` is encoded by `encode_broken`."""

    def __init__(self, compress=True, broken_index=None, encode_broken=None, binary=None):
        self.compress = compress
        self.binary = binary
        self.broken_index = broken_index
        self.encode_broken = encode_broken
        self.queries = []
        self.compressed_sizes = []
        self.inflated_sizes = []
        self.rng = random.Random(1)

    def check_request(self, connection, request):
        """Reject what the real server rejects: paths other than /ws and unknown encodings."""
        url = urlsplit(request.path)
        query = parse_qs(url.query)
        self.queries.append(query)
        if url.path != "/ws":
            return connection.respond(HTTPStatus.NOT_FOUND, "not found\n")
        if query.get("encoding", ["json"]) not in (["json"], ["deflate"], ["binary"]):
            return connection.respond(HTTPStatus.BAD_REQUEST, "unknown encoding\n")
        return None

    def encode_state(self, index):
        text = state_text(index, self.rng).encode()
        if self.binary:
            return self.binary(text)
        if not self.compress:
            return text.decode()
        if index == self.broken_index:
            return self.encode_broken(text)
        # The stored block is shorter than the stamp's 200 bytes, so the head spans both kinds of block.
        payload = deflate_with_stored_start(text) if index % 3 == 0 else deflate_raw(text)
        self.compressed_sizes.append(len(payload))
        self.inflated_sizes.append(len(text))
        if index % 2 == 1:  # in three frames, the first too short to inflate the stamp's 200 bytes from
            return [payload[:40], payload[40:300], payload[300:]]
        return payload

    async def handle(self, connection):
        await connection.send(json.dumps({"type": "welcome", "player": {"id": 1}, "ships": [1]}))
        try:
            for index in itertools.count():
                await connection.send(self.encode_state(index))
                await asyncio.sleep(STATE_INTERVAL_S)
        except ConnectionClosed:
            pass


async def run_cloadgen_against(fake, cloadgen, options):
    async with serve(
        fake.handle, "127.0.0.1", 0, process_request=fake.check_request, compression=None, ping_interval=None
    ) as server:
        port = server.sockets[0].getsockname()[1]
        argv = [str(cloadgen), "--base", f"http://127.0.0.1:{port}", "--clients", str(FAKE_CLIENTS), "--no-auth"]
        process = await asyncio.create_subprocess_exec(
            *argv, *options, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode, stdout.decode(), stderr.decode()


def test_cloadgen_deflate_measures_frames(cloadgen):
    fake = FakeStateServer()
    options = ["--warmup", "0.5", "--seconds", "1.5", "--deflate", "--label", "deflate_check"]
    code, stdout, stderr = asyncio.run(run_cloadgen_against(fake, cloadgen, options))
    assert code == 0, stderr
    line = json.loads(stdout)
    assert line["label"] == "deflate_check"
    assert line["encoding"] == "deflate"
    assert line["failed_clients"] == 0, line["first_failure"]
    assert line["deflate_errors"] == 0
    # Only each client's first binary message is checked: the 51st would come after 10 s.
    assert line["deflate_checked"] == FAKE_CLIENTS
    # Five messages a second for 1.5 s, to two clients, less one at either edge of the window.
    assert line["frames"] >= FAKE_CLIENTS * 5
    assert min(fake.compressed_sizes) <= line["mean_frame_bytes"] <= max(fake.compressed_sizes)
    assert min(fake.inflated_sizes) <= line["mean_inflated_bytes"] <= max(fake.inflated_sizes)
    assert 0 <= line["latency_p50_ms"] <= line["latency_max_ms"] < 1000
    assert fake.queries
    for query in fake.queries:
        assert query["encoding"] == ["deflate"]
        assert query["token"] == ["none"]


@pytest.mark.parametrize("corruption", CORRUPTIONS)
def test_cloadgen_deflate_reports_broken_stream(cloadgen, corruption):
    broken_index, encode_broken, failure_text = CORRUPTIONS[corruption]
    fake = FakeStateServer(broken_index=broken_index, encode_broken=encode_broken)
    # Every client fails at its broken message, at most 0.4 s after it connects, and cloadgen stops then.
    # The good messages before it all come in the long warm-up, so none is measured.
    options = ["--warmup", "2", "--seconds", "5", "--deflate"]
    code, stdout, stderr = asyncio.run(run_cloadgen_against(fake, cloadgen, options))
    line = json.loads(stdout)
    assert line["deflate_errors"] == FAKE_CLIENTS, stderr
    assert line["deflate_checked"] == FAKE_CLIENTS
    assert line["failed_clients"] == FAKE_CLIENTS
    assert f"binary message {broken_index + 1}: " in line["first_failure"]
    assert failure_text in line["first_failure"]
    assert code == 1  # no state message arrived after the warm-up


def test_cloadgen_deflate_rejects_text_state(cloadgen):
    fake = FakeStateServer(compress=False)
    options = ["--warmup", "0.5", "--seconds", "5", "--deflate"]
    code, stdout, stderr = asyncio.run(run_cloadgen_against(fake, cloadgen, options))
    line = json.loads(stdout)
    assert code == 1
    assert line["failed_clients"] == FAKE_CLIENTS, stderr
    assert "text state message although encoding=deflate was requested" in line["first_failure"]
    assert line["deflate_errors"] == 0


def test_cloadgen_without_deflate_sends_no_encoding(cloadgen):
    fake = FakeStateServer(compress=False)
    options = ["--warmup", "0.5", "--seconds", "1"]
    code, stdout, stderr = asyncio.run(run_cloadgen_against(fake, cloadgen, options))
    assert code == 0, stderr
    line = json.loads(stdout)
    assert line["failed_clients"] == 0, line["first_failure"]
    assert line["frames"] >= FAKE_CLIENTS * 3
    for key in ("encoding", "deflate_checked", "deflate_errors", "mean_inflated_bytes"):
        assert key not in line
    assert fake.queries
    for query in fake.queries:
        assert "encoding" not in query


# ---- --binary, against the fake server ----


def binary_state(head, records=2, extra_bytes=0):
    """A binary state message as docs/protocol.md lays it out, with `extra_bytes` of junk at the end."""
    head += b" " * (-(len(head) + 8) % 8)
    return struct.pack("<I", len(head)) + head + struct.pack("<I", records) + bytes(72 * records + extra_bytes)


def test_cloadgen_binary_checks_layout(cloadgen):
    fake = FakeStateServer(binary=binary_state)
    options = ["--warmup", "0.5", "--seconds", "1.5", "--binary"]
    code, stdout, stderr = asyncio.run(run_cloadgen_against(fake, cloadgen, options))
    assert code == 0, stderr
    line = json.loads(stdout)
    assert line["encoding"] == "binary"
    assert line["failed_clients"] == 0, line["first_failure"]
    assert line["frames"] >= FAKE_CLIENTS * 5
    for query in fake.queries:
        assert query["encoding"] == ["binary"]


@pytest.mark.parametrize(
    "encode, failure_text",
    [
        (lambda text: binary_state(text, extra_bytes=5), "does not fit its"),
        (lambda text: struct.pack("<I", 1 << 30) + text, "does not fit its"),
        (lambda text: text.decode(), "text state message although encoding=binary was requested"),
    ],
    ids=["partial_record", "head_longer_than_message", "text"],
)
def test_cloadgen_binary_reports_wrong_messages(cloadgen, encode, failure_text):
    fake = FakeStateServer(binary=encode)
    options = ["--warmup", "2", "--seconds", "5", "--binary"]
    code, stdout, stderr = asyncio.run(run_cloadgen_against(fake, cloadgen, options))
    line = json.loads(stdout)
    assert code == 1
    assert line["failed_clients"] == FAKE_CLIENTS, stderr
    assert failure_text in line["first_failure"]


def test_cloadgen_rejects_two_encodings(cloadgen):
    result = subprocess.run([str(cloadgen), "--no-auth", "--deflate", "--binary"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "--deflate and --binary" in result.stderr
