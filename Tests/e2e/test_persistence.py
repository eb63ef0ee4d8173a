"""Restarts: a crash (SIGKILL) resumes from the newest snapshot, and SIGTERM closes every client with
1001, writes a final snapshot and exits 0.
"""

import concurrent.futures
import contextlib
import signal
import time

import pytest
from websockets.exceptions import ConnectionClosed

from support import GalaxyServer, receive_json, receive_until, receive_welcome, state_frames


def wait_for_snapshot_after(server, tick, timeout=10):
    """Wait until a snapshot newer than `tick` is written; return its tick."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        written = server.metrics()["tick_engine_last_snapshot_tick"]
        if written > tick:
            return int(written)
        time.sleep(0.2)
    raise AssertionError(f"no snapshot after tick {tick} within {timeout} s:\n{server.log_tail()}")


def first_state_tick(server, player):
    with server.connect(player.token) as ws:
        welcome = receive_welcome(ws)
        frame = receive_until(ws, lambda m: m["type"] == "state")
    return welcome, frame["tick"]


def test_kill9_resumes_from_last_snapshot(servers):
    server = servers.new(snapshot_interval=2)
    players = [server.register() for _ in range(3)]
    registered_at = int(server.metrics()["tick_engine_current_tick"])
    wait_for_snapshot_after(server, registered_at)  # so that the snapshot contains the three ships
    with server.connect(players[0].token) as ws:
        receive_welcome(ws)
        last_seen = state_frames(ws, 3)[-1]["tick"]
    # Registered after the snapshot, so the snapshot may not contain this player's ship.
    late = server.register()
    snapshot_tick = int(server.metrics()["tick_engine_last_snapshot_tick"])

    server.kill()
    assert server.process.returncode == -9
    server.start()

    for player in players:
        assert server.login(player).status == 200
        me = server.request("GET", "/api/v1/me", token=player.token).json()
        assert me["ships"] == [player.ship_id], f"{player.username} lost ship {player.ship_id}"
    assert server.login(late).status == 200
    assert len(server.wait_for_ships(late)) == 1

    welcome, tick = first_state_tick(server, players[0])
    assert welcome["ships"] == [players[0].ship_id]
    assert tick >= snapshot_tick
    assert welcome["tick"] >= snapshot_tick
    # At most one snapshot interval (20 ticks) lost, and not a new world starting again near tick 0.
    assert welcome["tick"] >= last_seen - 20
    assert server.latest_snapshot_tick() >= snapshot_tick


def test_kill9_keeps_steering_state(servers):
    server = servers.new(snapshot_interval=2)
    player = server.register()
    with server.connect(player.token) as ws:
        receive_welcome(ws)
        ws.send('{"type": "steer", "seq": 1, "ship_id": %d, "attitude_mode": "retrograde"}' % player.ship_id)
        assert receive_until(ws, lambda m: m["type"] in ("ack", "error")) == {"type": "ack", "seq": 1}
    steered_at = int(server.metrics()["tick_engine_current_tick"])
    wait_for_snapshot_after(server, steered_at)

    server.kill()
    server.start()

    assert server.login(player).status == 200
    assert server.ship(player)["mode"] == "retrograde"


def test_sigterm_closes_clients_and_saves_final_snapshot(servers):
    server = servers.new()
    players = [server.register() for _ in range(3)]
    last_seen = 0
    codes = []
    with contextlib.ExitStack() as stack:
        clients = [stack.enter_context(server.connect(player.token)) for player in players]
        for ws in clients:
            receive_welcome(ws)
            last_seen = max(last_seen, state_frames(ws, 2)[-1]["tick"])

        server.process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        for ws in clients:
            try:
                while True:
                    message = receive_json(ws, timeout=10)
                    if message["type"] == "state":
                        last_seen = max(last_seen, message["tick"])
            except ConnectionClosed as closed:
                codes.append(closed.rcvd.code if closed.rcvd is not None else None)
        exit_code = server.process.wait(timeout=10)
        exited_after = time.monotonic() - signalled

    assert codes == [1001] * len(players)
    assert exit_code == 0
    assert exited_after < 10
    assert server.latest_snapshot_tick() >= last_seen

    server.start()
    for player in players:
        assert server.login(player).status == 200
        me = server.request("GET", "/api/v1/me", token=player.token).json()
        assert me["ships"] == [player.ship_id]
    welcome, tick = first_state_tick(server, players[0])
    assert welcome["tick"] >= last_seen
    assert tick > last_seen


def test_reconnect_burst_after_restart_keeps_one_ship_each(servers):
    server = servers.new()
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        players = list(pool.map(lambda _: server.register(), range(20)))
    code, _ = server.terminate()
    assert code == 0
    server.start()

    def log_in_twice_and_connect(player):
        # Two log-ins in a row, as a retrying client sends them, while the other players do the same.
        first = server.request("POST", "/api/v1/login", {"username": player.username, "password": player.password})
        second = server.request("POST", "/api/v1/login", {"username": player.username, "password": player.password})
        with server.connect(second.json()["token"]) as ws:
            welcome = receive_welcome(ws)
        return first.status, second.status, welcome["ships"]

    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(log_in_twice_and_connect, players))

    for player, (first, second, ships) in zip(players, results):
        assert first == 200
        assert second == 200
        assert ships == [player.ship_id], f"{player.username} resumed {ships}, not ship {player.ship_id}"
    # The four standard stations and one ship per player: no duplicates.
    assert server.metrics()["physics_ships_count"] == 4 + len(players)


def test_second_engine_waits_or_is_rejected(servers, backend):
    """The engine is the single writer: a second `galaxy serve` on the same store must not tick the
    same world. On SQLite it refuses at once; on PostgreSQL it waits for the first to stop, then
    restores the first one's final snapshot."""
    first = servers.new()
    player = first.register()
    second = GalaxyServer(
        first.binary, first.work_dir.parent / "second", backend, database_url=first.database_url, postgres=first.postgres
    )
    second.data_dir = first.data_dir
    if backend == "sqlite":
        with pytest.raises(RuntimeError, match="another galaxy serve is using the data directory"):
            second.start(ready_timeout=10)
        assert second.process.returncode != 0
        assert first.healthy()
        return
    second.launch_waiting()
    try:
        assert second.wait_for_log("taken by another engine", 15), second.log_tail()
        assert second.running()
        assert first.healthy()
        code, _ = first.terminate(timeout=20)
        assert code == 0
        final_tick = first.latest_snapshot_tick()
        assert second._wait_ready(60), second.log_tail()
        assert second.login(player).status == 200
        _, tick = first_state_tick(second, player)
        assert tick >= final_tick, "the second engine resumed from the first one's final snapshot"
    finally:
        if second.running():
            code, _ = second.terminate(timeout=20)
            assert code == 0
