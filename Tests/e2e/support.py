"""Helpers for the end-to-end tests: a `galaxy serve` process, HTTP calls and WebSocket replies.

Every request goes to 127.0.0.1 and bypasses any proxy set in the environment.
"""

import json
import math
import os
import re
import signal
import socket
import sqlite3
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as ws_connect

REPO_ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def galaxy_binary():
    """Path of the server binary: $GALAXY_BIN, else .build/debug/galaxy in the repository."""
    configured = os.environ.get("GALAXY_BIN")
    return Path(configured) if configured else REPO_ROOT / ".build" / "debug" / "galaxy"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def unique_username(prefix="p"):
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


@dataclass
class HTTPResult:
    status: int
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)

    @property
    def error_code(self):
        return self.json()["error"]["code"]

    @property
    def error_message(self):
        return self.json()["error"]["message"]


def http_request(port, method, path, body=None, token=None, headers=None, timeout=15):
    """Send one request (Connection: close) and return the status, lower-cased headers and body.

    `body` may be bytes (sent as is) or any JSON value (encoded).
    """
    data = None
    all_headers = {"Connection": "close"}
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        all_headers["Content-Type"] = "application/json"
    if token is not None:
        all_headers["Authorization"] = f"Bearer {token}"
    all_headers.update(headers or {})
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method, headers=all_headers)
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return HTTPResult(response.status, {k.lower(): v for k, v in response.headers.items()}, response.read())
    except urllib.error.HTTPError as error:
        return HTTPResult(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())


@dataclass
class Player:
    username: str
    password: str
    player_id: int
    ship_id: int
    token: str


class PostgresAdmin:
    """Creates and drops throwaway databases on the server named by a libpq URL, through psql."""

    def __init__(self, url):
        self.url = url

    def _psql(self, sql, database_url=None):
        result = subprocess.run(
            ["psql", database_url or self.url, "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql],
            capture_output=True,
            text=True,
            timeout=30,
        )
        if result.returncode != 0:
            raise RuntimeError(f"psql failed ({result.returncode}) on {sql!r}: {result.stderr.strip()}")
        return result.stdout.strip()

    def create_database(self, owner=None):
        """Create a database, owned by role `owner` when given, and return its name and URL. The URL
        connects as `owner` when given, else as the admin URL's user."""
        name = f"galaxy_{uuid.uuid4().hex[:16]}"
        self._psql(f'CREATE DATABASE "{name}"' + (f' OWNER "{owner}"' if owner else ""))
        parts = urllib.parse.urlsplit(self.url)
        if owner:
            parts = parts._replace(netloc=f"{owner}@{parts.netloc.rpartition('@')[2]}")
        return name, urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))

    def ensure_role(self, name):
        """Create a login role without superuser rights and without a password, unless it exists."""
        self._psql(f"DO $$BEGIN CREATE ROLE \"{name}\" LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END$$")

    def drop_database(self, name):
        self._psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def query(self, database_url, sql):
        return self._psql(sql, database_url)


class GalaxyServer:
    """One `galaxy serve` process on a free loopback port, restartable on the same storage."""

    def __init__(self, binary, work_dir, backend, database_url=None, postgres=None, **options):
        self.binary = Path(binary)
        self.work_dir = Path(work_dir)
        self.backend = backend
        self.data_dir = self.work_dir / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.database_url = database_url
        self.postgres = postgres
        self.options = {"tick_rate": 10, **options}
        self.process = None
        self.port = None
        self.starts = 0
        self.log_path = None

    # Process control

    def command(self):
        argv = [str(self.binary), "serve", "--port", str(self.port), "--bind", "127.0.0.1"]
        argv += ["--data-dir", str(self.data_dir), "--web-root", str(REPO_ROOT / "Web")]
        if self.database_url:
            argv += ["--database", self.database_url]
        for name, value in self.options.items():
            argv += [f"--{name.replace('_', '-')}", str(value)]
        return argv

    def start(self, ready_timeout=60):
        """Start the process and wait until /readyz returns 200.

        Another process may take the chosen free port before the server binds it, so a failed
        listen is retried on a new port.
        """
        assert self.process is None or self.process.poll() is not None, "server already running"
        for _ in range(3):
            self.starts += 1
            self.port = free_port()
            self._spawn(self.work_dir / f"galaxy-{self.starts}.log")
            if self._wait_ready(ready_timeout):
                return self
            if "cannot listen" not in self.log_tail():
                break
        raise RuntimeError(
            f"galaxy serve exited with {self.process.returncode} before it was ready:\n{self.log_tail()}"
        )

    def launch_waiting(self):
        """Start the process on a free port without waiting for it, for a server that is expected to
        wait for another engine's world lock before it listens. Its log is galaxy-waiting.log."""
        self.port = free_port()
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self._spawn(self.work_dir / "galaxy-waiting.log")
        return self

    def _spawn(self, log_path):
        """Start the process on `self.port` with its output in `log_path`, without the caller's GALAXY_
        variables, so that only the command line configures it."""
        self.log_path = log_path
        environment = {k: v for k, v in os.environ.items() if not k.startswith("GALAXY_")}
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT, env=environment, cwd=self.work_dir)

    def wait_for_log(self, text, timeout):
        """Return True once the log contains `text`, False after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while text not in self.log_tail(400):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.2)
        return True

    def _wait_ready(self, timeout):
        """Return True once /readyz returns 200, False if the process exits first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                if http_request(self.port, "GET", "/readyz", timeout=2).status == 200:
                    return True
            except OSError:
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"galaxy serve was not ready within {timeout} s:\n{self.log_tail()}")

    def running(self):
        return self.process is not None and self.process.poll() is None

    def terminate(self, timeout=10):
        """Send SIGTERM and return (exit code, seconds to exit); kill the process if it overstays."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"galaxy serve did not exit within {timeout} s of SIGTERM:\n{self.log_tail()}")
        return code, time.monotonic() - started

    def kill(self):
        """Send SIGKILL, as a crash would, and wait for the process to end."""
        if self.running():
            self.process.kill()
        if self.process is not None:
            self.process.wait()

    def log_tail(self, lines=40):
        if self.log_path is None or not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    # HTTP

    def request(self, method, path, body=None, token=None, headers=None, timeout=15):
        return http_request(self.port, method, path, body=body, token=token, headers=headers, timeout=timeout)

    def register(self, username=None, password=PASSWORD):
        """Register a player; the API lists its new ship as soon as register returns."""
        username = username or unique_username()
        result = self.request("POST", "/api/v1/register", {"username": username, "password": password})
        assert result.status == 201, f"register {username}: HTTP {result.status} {result.body!r}"
        data = result.json()
        player = Player(username, password, data["player"]["id"], data["ship"]["id"], data["token"])
        return player

    def wait_for_ships(self, player, timeout=5):
        """Poll GET /api/v1/me until it lists a ship; return the ship ids."""
        deadline = time.monotonic() + timeout
        while True:
            ships = self.request("GET", "/api/v1/me", token=player.token).json()["ships"]
            if ships or time.monotonic() > deadline:
                return ships
            time.sleep(0.05)

    def login(self, player):
        """Log in again; returns the response and, on success, stores the new token in `player`."""
        result = self.request("POST", "/api/v1/login", {"username": player.username, "password": player.password})
        if result.status == 200:
            player.token = result.json()["token"]
        return result

    def ship(self, player, ship_id=None):
        result = self.request("GET", f"/api/v1/ships/{ship_id or player.ship_id}", token=player.token)
        assert result.status == 200, f"GET ship: HTTP {result.status} {result.body!r}"
        return result.json()

    def metrics_text(self):
        result = self.request("GET", "/metrics")
        assert result.status == 200, f"/metrics: HTTP {result.status}"
        return result.body.decode()

    def metrics(self):
        """Samples without labels, as {name: value}."""
        samples = {}
        for line in self.metrics_text().splitlines():
            if not line or line.startswith("#") or "{" in line:
                continue
            name, value = line.split()[:2]
            samples[name] = float(value)
        return samples

    def healthy(self):
        try:
            return self.request("GET", "/healthz", timeout=5).status == 200
        except OSError:
            return False

    # WebSocket

    def ws_url(self, token):
        return f"ws://127.0.0.1:{self.port}/ws?token={urllib.parse.quote(token)}"

    def connect(self, token, **options):
        return ws_connect(self.ws_url(token), proxy=None, max_size=None, open_timeout=10, **options)

    # Storage

    def latest_snapshot_tick(self):
        """Tick of the newest stored snapshot, read from the database (None when there is none)."""
        sql = "SELECT tick FROM snapshots ORDER BY id DESC LIMIT 1"
        if self.database_url:
            text = self.postgres.query(self.database_url, sql)
            return int(text) if text else None
        with sqlite3.connect(f"file:{self.data_dir / 'galaxy.sqlite'}?mode=ro", uri=True) as db:
            row = db.execute(sql).fetchone()
        return row[0] if row else None

    def expire_sessions(self):
        """Move every stored token's expiry into the past (the server must not be running)."""
        assert not self.running(), "stop the server first: it caches sessions in memory"
        if self.database_url:
            self.postgres.query(self.database_url, "UPDATE sessions SET expires_at = now() - interval '1 hour'")
            return
        with sqlite3.connect(self.data_dir / "galaxy.sqlite") as db:
            db.execute("UPDATE sessions SET expires_at = ?", (time.time() - 3600,))


# WebSocket message helpers


def receive_json(ws, timeout=10.0):
    return json.loads(ws.recv(timeout=timeout))


def receive_until(ws, predicate, timeout=10.0):
    """Return the first message for which predicate(message) is true, skipping the others."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no matching message within the deadline")
        message = receive_json(ws, timeout=remaining)
        if predicate(message):
            return message


def receive_welcome(ws, timeout=10.0):
    """Return the welcome message, which must be the first message on the connection."""
    message = receive_until(ws, lambda m: True, timeout=timeout)
    assert message["type"] == "welcome", f"first message is {message['type']}, not welcome"
    return message


def reply(ws, seq=None, timeout=10.0):
    """Return the next ack, error or pong, skipping state and event frames.

    With `seq`, also checks that the reply echoes it.
    """
    message = receive_until(ws, lambda m: m["type"] in ("ack", "error", "pong"), timeout=timeout)
    if seq is not None:
        assert message.get("seq") == seq, f"reply {message} does not echo seq {seq}"
    return message


def send_and_reply(ws, message, timeout=10.0):
    ws.send(message if isinstance(message, str) else json.dumps(message))
    return reply(ws, timeout=timeout)


def ping_works(ws, seq=424242):
    """Return True if the connection still replies to a ping with the matching pong."""
    ws.send(json.dumps({"type": "ping", "seq": seq}))
    response = reply(ws)
    return response == {"type": "pong", "seq": seq}


def state_frames(ws, count, timeout=10.0):
    frames = []
    for _ in range(count):
        frames.append(receive_until(ws, lambda m: m["type"] == "state", timeout=timeout))
    return frames


def frames_for(ws, seconds):
    """Read every message for `seconds` and return the state frames among them.

    Reading (not sleeping) keeps the client's queue short, so a later close handshake is not stuck
    behind unread frames.
    """
    frames = []
    deadline = time.monotonic() + seconds
    while (remaining := deadline - time.monotonic()) > 0:
        try:
            message = receive_json(ws, timeout=remaining)
        except TimeoutError:
            break
        if message["type"] == "state":
            frames.append(message)
    return frames


def own_ship(frame, ship_id):
    for ship in frame["ships"]:
        if ship["id"] == ship_id:
            return ship
    return None


def close_code(ws, timeout=10.0):
    """Read until the server closes the connection and return the close code it sent (None if none)."""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ws.recv(timeout=max(0.01, deadline - time.monotonic()))
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd is not None else None
    raise TimeoutError("the server did not close the connection within the deadline")


def norm(vector):
    return math.sqrt(sum(component * component for component in vector))


STATE_PREFIX = re.compile(r'^\{"type":"state","tick":(\d+)')


class FrameWatcher(threading.Thread):
    """Reads a client's messages on a thread and records (arrival time, tick) of each state frame.

    Only the frame's prefix is parsed, so 20 watchers cost little CPU.
    """

    def __init__(self, ws):
        super().__init__(daemon=True)
        self.ws = ws
        self.arrivals = []
        self.closed = None
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.is_set():
            try:
                text = self.ws.recv(timeout=0.2)
            except TimeoutError:
                continue
            except ConnectionClosed as closed:
                self.closed = closed
                return
            match = STATE_PREFIX.match(text)
            if match:
                self.arrivals.append((time.monotonic(), int(match.group(1))))

    def stop(self):
        self.stopping.set()
        self.join(timeout=5)

    def ticks_between(self, start, end):
        return [tick for arrived, tick in self.arrivals if start <= arrived <= end]
