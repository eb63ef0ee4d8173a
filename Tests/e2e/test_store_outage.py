"""A frozen PostgreSQL (connections open, no replies) must not stall state frames.

The server reaches its database through a TCP proxy in this process that can stop forwarding. While it
is frozen, a WebSocket upgrade with a token the server has not cached makes the server look the token
up in the store. That lookup must not run on the transport thread that writes every client's frames.
The server runs one transport thread, so a lookup there would stall every client's frames.
"""

import asyncio
import subprocess
import threading
import time
import urllib.parse

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect as ws_connect

from conftest import POSTGRES_URL, call_failed
from support import FrameWatcher, GalaxyServer, ping_works, receive_welcome, state_frames, unique_username

pytestmark = pytest.mark.skipif(
    not POSTGRES_URL, reason="GALAXY_TEST_POSTGRES_URL is not set, so there is no PostgreSQL to put the proxy in front of"
)

# At 10 ticks per second a state frame follows the previous one after 0.1 s.
MAX_FRAME_GAP_S = 1.5
# Longer than the store's statement timeout (10 s) plus its connect timeout (5 s), so that a lookup that
# fails only after both timeouts happens inside the freeze.
FREEZE_S = 20
# PostgresStore's statements time out after 10 s, so a register whose INSERT is the first statement to
# wait on the frozen database gets its 503 after about 10 s. The request itself waits longer, so that a
# late response is measured instead of cut off.
REGISTER_LIMIT_S = 15
REGISTER_REQUEST_TIMEOUT_S = 20
HEALTHZ_LIMIT_S = 3
HEALTHZ_EVERY_S = 2
RECOVERY_S = 30
# The key of the engine's world lock (EngineLock.swift).
WORLD_LOCK_KEY = 0x67616C61787901
# Roles of the test that runs the engine without superuser rights.
ENGINE_ROLE = "galaxy_test_engine"
OTHER_ROLE = "galaxy_test_other"


class FreezableProxy:
    """A TCP proxy on 127.0.0.1 in front of one PostgreSQL server, able to play a frozen database.

    While frozen it keeps reading every connection but forwards no bytes in either direction, and it
    accepts new connections without opening their upstream side. Bytes read from the galaxy server in
    that time are kept only so that the test can see which statements were held back. Thawing closes
    every connection that lived through the freeze and drops those bytes, so the server notices its
    connections break and reconnects. Connections opened after the thaw are forwarded normally.
    """

    def __init__(self, upstream_host, upstream_port):
        self.upstream = (upstream_host, upstream_port)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="store-proxy", daemon=True)
        self.frozen = False
        self.links = set()
        self.listener = None
        self.port = None

    def start(self):
        self.thread.start()
        self.listener = self._run(asyncio.start_server(self._serve, "127.0.0.1", 0))
        self.port = self.listener.sockets[0].getsockname()[1]
        return self

    def _run(self, coroutine, timeout=10):
        """Run a coroutine on the proxy's event loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def freeze(self):
        async def set_frozen():
            self.frozen = True

        self._run(set_frozen())

    def thaw(self, upstream_linger_s=0):
        """Forward again. With `upstream_linger_s`, play a network failure that PostgreSQL does not notice:
        the galaxy server's side of every connection that lived through the freeze breaks at once, while
        their PostgreSQL sessions, and any locks they hold, live that many seconds longer."""
        self._run(self._thaw(upstream_linger_s))

    async def _thaw(self, upstream_linger_s):
        if upstream_linger_s > 0:
            for link in list(self.links):
                link.upstream_linger_s = upstream_linger_s
                link.close()
            self.frozen = False
            return
        # The upstream sides close first, and PostgreSQL gets a moment to end those sessions, so the server
        # finds its world lock free when it reconnects. The other order is test_lock_retaken_after_network_failure.
        for link in list(self.links):
            if link.upstream is not None:
                link.upstream.close()
        await asyncio.sleep(0.5)
        # No await between closing the rest and unfreezing, so every connection opened while frozen is closed.
        for link in list(self.links):
            link.close()
        self.frozen = False

    def sever(self):
        """Break every connection on both sides, as when PostgreSQL ends the sessions, and stay frozen."""

        async def close_all():
            for link in list(self.links):
                link.close()

        self._run(close_all())

    def holds(self, fragment):
        """Return whether bytes held back from the galaxy server during the freeze contain `fragment`."""

        async def search():
            return any(fragment in link.held_bytes for link in self.links)

        return self._run(search())

    def stop(self):
        async def shut_down():
            self.listener.close()
            for link in list(self.links):
                link.upstream_linger_s = 0
                link.close()
            tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        self._run(shut_down())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()

    async def _serve(self, client_reader, client_writer):
        link = ProxyLink(client_writer)
        self.links.add(link)
        try:
            if self.frozen:
                # Like a blackholed database, the proxy accepts the connection and sends nothing back.
                await self._pump(client_reader, None, link, from_galaxy=True)
                return
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.upstream)
            link.upstream = upstream_writer
            if link.closed:  # a thaw closed the connection while its upstream side was opening
                upstream_writer.close()
                return
            await asyncio.gather(
                self._pump(client_reader, upstream_writer, link, from_galaxy=True),
                self._pump(upstream_reader, client_writer, link, from_galaxy=False),
            )
        except OSError:
            pass
        finally:
            link.close()
            self.links.discard(link)

    async def _pump(self, reader, writer, link, from_galaxy):
        """Copy bytes from `reader` to `writer` until either side closes, holding them back while frozen."""
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    # While frozen, an end of stream is held back like the bytes, and the thaw closes the link.
                    if not self.frozen:
                        link.close()
                    return
                # The frozen check and the write run with no await in between, so freeze() stops forwarding
                # for every byte read after it.
                if self.frozen or writer is None:
                    if from_galaxy:
                        link.held_bytes += data
                    continue
                writer.write(data)
                await writer.drain()
        except OSError:
            link.close()


class ProxyLink:
    """One proxied connection: the galaxy server's side, the PostgreSQL side once open, and held bytes."""

    def __init__(self, client):
        self.client = client
        self.upstream = None
        self.held_bytes = bytearray()
        self.closed = False
        # Seconds the PostgreSQL side stays open after close(). The delayed close runs on the proxy's event loop.
        self.upstream_linger_s = 0

    def close(self):
        self.closed = True
        self.client.close()
        if self.upstream is None:
            return
        if self.upstream_linger_s > 0:
            asyncio.get_running_loop().call_later(self.upstream_linger_s, self.upstream.close)
        else:
            self.upstream.close()


class Timed(threading.Thread):
    """A thread that runs `call` and keeps its result or exception and how long it took."""

    def __init__(self, name, call):
        super().__init__(name=name, daemon=True)
        self.call = call
        self.result = None
        self.error = None
        self.seconds = None

    def run(self):
        started = time.monotonic()
        try:
            self.result = self.call()
        except Exception as error:  # recorded for the assertions, which run on the test's thread
            self.error = error
        self.seconds = time.monotonic() - started


def largest_gap(arrivals, start, end):
    """Return the longest time between `start` and `end` without a state frame, and its start offset."""
    points = [start] + [t for t in arrivals if start < t < end] + [end]
    gaps = [(later - earlier, earlier - start) for earlier, later in zip(points, points[1:])]
    return max(gaps)


def open_websocket(server, token):
    """Open a WebSocket, read its welcome and close it. Return a short description of the outcome."""
    try:
        # server.connect gives the handshake 10 s, but this one may have to wait out the whole freeze.
        with ws_connect(server.ws_url(token), proxy=None, max_size=None, open_timeout=40) as ws:
            receive_welcome(ws)
        return "connected"
    except InvalidStatus as rejected:
        response = rejected.response
        return f"HTTP {response.status_code} {response.body[:200]!r}"


def describe(call):
    if call.is_alive():
        return f"no response yet ({call.name} still running)"
    outcome = repr(call.error) if call.error is not None else call.result
    if hasattr(outcome, "status"):
        outcome = f"HTTP {outcome.status} {outcome.body[:200]!r}"
    return f"{outcome} after {call.seconds:.1f} s"


def with_netloc(url, user=None, address=None):
    """Return `url` with its user or its host:port replaced, keeping the rest."""
    parts = urllib.parse.urlsplit(url)
    old_user, _, old_address = parts.netloc.rpartition("@")
    user = user if user is not None else old_user
    address = address if address is not None else old_address
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{user}@{address}" if user else address))


def proxied_url(database_url, proxy_port):
    """Return `database_url` with its host and port replaced by the proxy's, keeping user and database."""
    return with_netloc(database_url, address=f"127.0.0.1:{proxy_port}")


def direct_url(server, proxy):
    """Return the server's database URL with the proxy's address replaced by PostgreSQL's."""
    upstream_host, upstream_port = proxy.upstream
    return with_netloc(server.database_url, address=f"{upstream_host}:{upstream_port}")


def lock_holder(server, proxy):
    """Return the backend pid whose session holds the world lock in the server's database, or None.

    The query goes straight to PostgreSQL, past the proxy. The engine's key 0x67616c61787901 shows in
    pg_locks as its high half (classid) and low half (objid)."""
    text = server.postgres.query(
        direct_url(server, proxy),
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1"
        f" AND classid = {WORLD_LOCK_KEY >> 32} AND objid = {WORLD_LOCK_KEY & 0xFFFFFFFF}"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    ).strip()
    return int(text) if text else None


def proxied_server(request, binary, tmp_path, postgres, role=None):
    """Yield a server with one transport thread whose database connections all pass through a
    FreezableProxy, connecting as `role` (the admin URL's user when None)."""
    name, database_url = postgres.create_database(owner=role)
    parts = urllib.parse.urlsplit(database_url)
    if not parts.hostname:
        postgres.drop_database(name)
        pytest.skip("GALAXY_TEST_POSTGRES_URL names no TCP host, so no proxy can stand in front of it")
    proxy = FreezableProxy(parts.hostname, parts.port or 5432).start()
    server = GalaxyServer(
        binary,
        tmp_path / "server",
        "postgres",
        database_url=proxied_url(database_url, proxy.port),
        postgres=postgres,
        transport_threads=1,
    )
    failures = []
    try:
        server.start()
        yield server, proxy
    finally:
        if proxy.frozen:
            proxy.thaw()
        if call_failed(request) and server.log_path is not None:
            print(f"--- last lines of {server.log_path}:\n{server.log_tail(80)}")
        if server.running():
            code, _ = server.terminate(timeout=20)
            if code != 0:
                failures.append(f"galaxy serve exited with {code} after SIGTERM:\n{server.log_tail()}")
        proxy.stop()
        postgres.drop_database(name)
    assert not failures, "\n".join(failures)


@pytest.fixture
def outage(request, binary, tmp_path, postgres):
    yield from proxied_server(request, binary, tmp_path, postgres)


@pytest.fixture
def unprivileged_outage(request, binary, tmp_path, postgres):
    """Like `outage`, with the server connecting as a role that is no superuser. Such a role can read only
    part of other roles' sessions in pg_stat_activity."""
    postgres.ensure_role(ENGINE_ROLE)
    yield from proxied_server(request, binary, tmp_path, postgres, role=ENGINE_ROLE)


def test_frozen_store_keeps_frames_flowing(outage):
    server, proxy = outage
    alice = server.register()
    bob = server.register()
    # A new process starts with an empty token cache, so Bob's first upgrade must ask the store.
    code, _ = server.terminate()
    assert code == 0
    server.start()

    with server.connect(alice.token) as alice_ws:
        receive_welcome(alice_ws)
        assert len(state_frames(alice_ws, 3)) == 3
        recorder = FrameWatcher(alice_ws)
        recorder.start()

        proxy.freeze()
        frozen_at = time.monotonic()
        new_player = {"username": unique_username(), "password": alice.password}
        register = Timed(
            "register",
            lambda: server.request("POST", "/api/v1/register", new_player, timeout=REGISTER_REQUEST_TIMEOUT_S),
        )
        register.start()
        # Bob connects once the register's INSERT waits in the proxy. The accounts store has one connection,
        # so the INSERT takes it first and the register's 503 comes after one statement timeout, not after
        # Bob's lookup and a reconnect as well.
        deadline = time.monotonic() + 10
        while not proxy.holds(b"INSERT INTO players") and register.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        bob_upgrade = Timed("Bob's upgrade", lambda: open_websocket(server, bob.token))
        bob_upgrade.start()

        health = []
        while time.monotonic() - frozen_at < FREEZE_S:
            sent_at = time.monotonic()
            try:
                response = server.request("GET", "/healthz", timeout=HEALTHZ_LIMIT_S)
                health.append((response.status, time.monotonic() - sent_at))
            except OSError as error:
                health.append((repr(error), time.monotonic() - sent_at))
            time.sleep(max(0.0, sent_at + HEALTHZ_EVERY_S - time.monotonic()))
        register.join(timeout=REGISTER_REQUEST_TIMEOUT_S + 5)
        proxy.thaw()
        thawed_at = time.monotonic()
        bob_upgrade.join(timeout=45)
        time.sleep(1)
        arrivals = [arrived for arrived, _ in recorder.arrivals]
        gap, gap_began = largest_gap(arrivals, frozen_at, time.monotonic())

        summary = (
            f"largest gap {gap:.2f} s, starting {gap_began:.1f} s after the freeze; thawed after "
            f"{thawed_at - frozen_at:.1f} s; Bob's upgrade: {describe(bob_upgrade)}; "
            f"register: {describe(register)}; /healthz (status, seconds): {health}"
        )
        print(summary)
        assert gap < MAX_FRAME_GAP_S, f"Alice's state frames stalled while the store was frozen: {summary}"
        assert health, "no /healthz request ran during the freeze"
        for status, seconds in health:
            assert status == 200, f"/healthz during the freeze: {status} after {seconds:.1f} s"

        assert not register.is_alive(), f"register got no response: {summary}"
        assert register.error is None, f"register failed: {register.error!r}"
        assert register.result.status == 503, f"register during the freeze: {describe(register)}"
        assert register.result.error_code == "store_unavailable"
        assert register.seconds < REGISTER_LIMIT_S, f"register took {register.seconds:.1f} s to get its 503"

        assert not bob_upgrade.is_alive(), f"Bob's upgrade got no response: {summary}"
        assert bob_upgrade.error is None, f"Bob's upgrade failed: {bob_upgrade.error!r}"
        assert bob_upgrade.result == "connected" or bob_upgrade.result.startswith("HTTP 503"), summary
        if bob_upgrade.result != "connected":
            assert "store_unavailable" in bob_upgrade.result, f"Bob's 503 names another cause: {summary}"

        # After the thaw the store reconnects, so a new player can register and Bob can connect.
        statuses = []
        deadline = time.monotonic() + RECOVERY_S
        while time.monotonic() < deadline:
            response = server.request("POST", "/api/v1/register", {"username": unique_username(), "password": alice.password})
            statuses.append(response.status)
            if response.status == 201:
                break
            time.sleep(0.5)
        assert statuses[-1] == 201, f"register after the thaw: statuses {statuses}"

        rejections = []
        deadline = time.monotonic() + RECOVERY_S
        while True:
            try:
                bob_ws = server.connect(bob.token)
                break
            except InvalidStatus as rejected:
                rejections.append(rejected.response.status_code)
                assert rejected.response.status_code == 503, f"Bob's upgrade after the thaw: {rejections}"
                assert time.monotonic() < deadline, f"Bob still rejected {RECOVERY_S} s after the thaw: {rejections}"
                time.sleep(0.5)
        with bob_ws:
            assert receive_welcome(bob_ws)["ships"] == [bob.ship_id]
            assert len(state_frames(bob_ws, 2)) == 2

        recorder.stop()
        assert recorder.closed is None, f"Alice's WebSocket closed: {recorder.closed}"
        assert len(state_frames(alice_ws, 2)) == 2
        assert ping_works(alice_ws)


# Logins sent at once while the store is frozen.
LOGIN_BURST = 8


def test_frozen_store_login_burst_fails_fast(outage):
    """Requests that need the store share its one connection. While the database does not respond, each
    must get its 503 within about one statement timeout, not after the timeouts of the requests queued
    before it."""
    server, proxy = outage
    player = server.register()
    credentials = {"username": player.username, "password": player.password}
    proxy.freeze()
    logins = [
        Timed(f"login {k}", lambda: server.request("POST", "/api/v1/login", credentials, timeout=LOGIN_BURST * 15))
        for k in range(LOGIN_BURST)
    ]
    for login in logins:
        login.start()
    for login in logins:
        login.join(timeout=LOGIN_BURST * 15 + 5)
    outcomes = [describe(login) for login in logins]
    proxy.thaw()

    for login in logins:
        assert not login.is_alive(), f"a login got no response: {outcomes}"
        assert login.error is None, f"a login failed: {outcomes}"
        assert login.result.status == 503, f"a login during the freeze: {outcomes}"
        assert login.result.error_code == "store_unavailable", outcomes
        assert login.seconds < REGISTER_LIMIT_S, f"a login took {login.seconds:.1f} s to get its 503: {outcomes}"

    deadline = time.monotonic() + RECOVERY_S
    while server.login(player).status != 200:
        assert time.monotonic() < deadline, f"login still fails {RECOVERY_S} s after the thaw"
        time.sleep(0.5)


# The engine's lock watcher looks every 5 s and its query times out after 10 s, so after the thaw it
# reconnects within about 15 s, while the old session still holds the lock.
LINGER_S = 25
RELOCK_S = 60


def test_lock_retaken_after_network_failure(outage, binary, tmp_path):
    """A network failure can leave the engine's old session, with the world lock, alive in PostgreSQL.
    The engine must recognise that session as its own and take the lock back instead of exiting, and an
    engine that waits for the lock meanwhile must not get it."""
    server, proxy = outage
    first_holder = lock_holder(server, proxy)
    assert first_holder is not None, f"no session holds the world lock:\n{server.log_tail()}"
    waiting = GalaxyServer(binary, tmp_path / "waiting", "postgres", database_url=direct_url(server, proxy), postgres=server.postgres)
    waiting.launch_waiting()
    try:
        assert waiting.wait_for_log("taken by another engine", 15), waiting.log_tail()
        proxy.freeze()
        time.sleep(FREEZE_S)
        proxy.thaw(upstream_linger_s=LINGER_S)
        thawed_at = time.monotonic()
        holder = first_holder
        while time.monotonic() - thawed_at < RELOCK_S and holder in (first_holder, None):
            assert server.running(), f"galaxy serve exited after the thaw:\n{server.log_tail()}"
            time.sleep(0.5)
            holder = lock_holder(server, proxy)
        relocked_s = time.monotonic() - thawed_at
        print(f"world lock held by a new session {relocked_s:.1f} s after the thaw")
        assert holder not in (first_holder, None), f"no new session holds the world lock {RELOCK_S} s after the thaw"
        assert relocked_s < LINGER_S, f"the lock came back only after the old session ended by itself ({relocked_s:.0f} s)"
        assert "world lock taken again" in server.log_tail(200)

        # The waiting engine polls every second, so a few seconds show whether the lock changed hands.
        time.sleep(3)
        assert server.running(), f"galaxy serve exited after taking its lock back:\n{server.log_tail()}"
        assert lock_holder(server, proxy) == holder
        assert "world lock taken" not in waiting.log_tail(400), f"the waiting engine took the lock:\n{waiting.log_tail()}"
        deadline = time.monotonic() + RECOVERY_S
        while server.request("GET", "/readyz").status != 200:
            assert time.monotonic() < deadline, f"/readyz not 200 {RECOVERY_S} s after the lock came back"
            time.sleep(0.5)
    finally:
        # An engine still waiting for the lock has written nothing, and SIGTERM ends it with no clean-up.
        if waiting.running():
            waiting.terminate(timeout=20)


def describe_process(process, name):
    """Describe a helper process for a failure message: running, or its exit code and error output."""
    if process.poll() is None:
        return f"{name} is running"
    return f"{name} exited with {process.returncode}: {process.stderr.read().decode(errors='replace')}"


def lose_lock_and_expect_exit(server, proxy, first_holder, taker_alive, taker_log):
    """Break the engine's connections while the proxy stays frozen, wait until a session other than
    `first_holder` holds the world lock, thaw, and check that the engine exits with code 3.
    `taker_alive` reports whether the taker still runs, and `taker_log` describes it for failures."""
    proxy.freeze()
    proxy.sever()
    deadline = time.monotonic() + 20
    while lock_holder(server, proxy) in (first_holder, None):
        assert taker_alive(), f"the lock's taker stopped:\n{taker_log()}"
        assert time.monotonic() < deadline, f"the lock's taker did not take it:\n{taker_log()}"
        time.sleep(0.5)
    proxy.thaw()
    try:
        code = server.process.wait(timeout=40)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the engine kept running after losing the world lock:\n{server.log_tail()}")
    assert code == 3, server.log_tail()
    assert "another engine took the world lock" in server.log_tail()
    assert "without a final snapshot" in server.log_tail()


def test_engine_exits_when_lock_taken(outage, binary, tmp_path):
    """While the engine's connection is down and its session gone, a waiting engine may take the world
    lock. The first engine must then stop at once, with exit code 3 and no final snapshot."""
    server, proxy = outage
    first_holder = lock_holder(server, proxy)
    second = GalaxyServer(binary, tmp_path / "second", "postgres", database_url=direct_url(server, proxy), postgres=server.postgres)
    second.launch_waiting()
    try:
        assert second.wait_for_log("taken by another engine", 15), second.log_tail()
        lose_lock_and_expect_exit(server, proxy, first_holder, second.running, second.log_tail)
        assert second._wait_ready(60), second.log_tail()
    finally:
        if second.running():
            code, _ = second.terminate(timeout=20)
            assert code == 0, second.log_tail()


def test_engine_exits_when_other_role_takes_lock(unprivileged_outage):
    """While the engine's connection is down, a session of another role takes the world lock. The engine's
    role cannot read that session's start time, and the engine must still exit with code 3."""
    server, proxy = unprivileged_outage
    first_holder = lock_holder(server, proxy)
    server.postgres.ensure_role(OTHER_ROLE)
    other_url = with_netloc(direct_url(server, proxy), user=OTHER_ROLE)
    # psql as the other role takes the lock as soon as it is free and keeps it for the rest of the test.
    grab = (
        f"DO $$BEGIN WHILE NOT pg_try_advisory_lock({WORLD_LOCK_KEY}) LOOP PERFORM pg_sleep(0.2); END LOOP; END$$;"
        " SELECT pg_sleep(120)"
    )
    holder = subprocess.Popen(["psql", other_url, "-qAt", "-c", grab], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        lose_lock_and_expect_exit(
            server, proxy, first_holder, lambda: holder.poll() is None, lambda: describe_process(holder, f"psql as {OTHER_ROLE}")
        )
    finally:
        holder.kill()
        holder.wait()
