"""Scale-out: one engine and two gateway replicas over a real redis-server and PostgreSQL on loopback.

Clients on both replicas see the same ticks. A command through either replica reaches the engine and
only the sender gets the ack. A killed replica's clients resume their ships on the other with no
duplicate rows. Redis down for 10 s and 60 s neither crashes a process nor costs the engine a tick,
and frames flow again, full first, once it is back. A command stored while the engine is still
reconnecting runs once it is back, and a command stream of the wrong type is logged and retried.
"""

import contextlib
import json
import time

import pytest

from cluster import Cluster
from conftest import POSTGRES_URL, call_failed
from support import (
    close_code,
    frames_for,
    own_ship,
    ping_works,
    receive_until,
    receive_welcome,
    reply,
    send_and_reply,
    state_frames,
)

pytestmark = pytest.mark.skipif(
    not POSTGRES_URL, reason="GALAXY_TEST_POSTGRES_URL is not set; gateway replicas need the shared PostgreSQL"
)


@pytest.fixture
def cluster(request, binary, tmp_path, postgres):
    cluster = Cluster(binary, tmp_path, postgres)
    cluster.add_gateway()
    cluster.add_gateway()
    yield cluster
    if call_failed(request):
        for process in [cluster.engine, *cluster.gateways]:
            print(f"--- last lines of {process.log_path}:\n{process.log_tail()}")
    cluster.stop()


def wait_until(condition, timeout, message):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(message)


def steer(ship_id, seq, throttle):
    return {"type": "steer", "seq": seq, "ship_id": ship_id, "attitude_mode": "prograde", "throttle": throttle}


def no_reply_with_seq(ws, seq, seconds):
    """True if no ack or error echoing `seq` arrives within `seconds` (state frames are read and dropped)."""
    deadline = time.monotonic() + seconds
    while (remaining := deadline - time.monotonic()) > 0:
        try:
            message = json.loads(ws.recv(timeout=remaining))
        except TimeoutError:
            return True
        if message["type"] in ("ack", "error") and message.get("seq") == seq:
            return False
    return True


def test_replicas_share_ticks(cluster):
    gw_a, gw_b = cluster.gateways
    alice, bob = gw_a.register(), gw_b.register()
    with gw_a.connect(alice.token) as ws_a, gw_b.connect(bob.token) as ws_b, cluster.engine.connect(alice.token) as ws_e:
        for ws in (ws_a, ws_b, ws_e):
            receive_welcome(ws)
        frames = {name: {f["tick"]: f for f in frames_for(ws, 3)} for name, ws in (("a", ws_a), ("b", ws_b), ("e", ws_e))}
    common = set(frames["a"]) & set(frames["b"]) & set(frames["e"])
    assert len(common) >= 15, f"only {len(common)} ticks seen by all three clients in 3 s at 10 Hz"
    for tick in common:
        assert frames["a"][tick]["time_s"] == frames["b"][tick]["time_s"] == frames["e"][tick]["time_s"]
        assert frames["a"][tick]["bodies"] == frames["b"][tick]["bodies"] == frames["e"][tick]["bodies"]


def test_replica_command_acks_only_sender(cluster):
    gw_a, gw_b = cluster.gateways
    player = gw_a.register()
    before = cluster.engine.ship(player)["elements"]["a_m"]
    with gw_a.connect(player.token) as ws_a, gw_b.connect(player.token) as ws_b:
        receive_welcome(ws_a)
        receive_welcome(ws_b)
        assert send_and_reply(ws_a, steer(player.ship_id, 101, 1.0)) == {"type": "ack", "seq": 101}
        burning = receive_until(ws_b, lambda m: m["type"] == "state" and (own_ship(m, player.ship_id) or {}).get("throttle") == 1.0)
        assert own_ship(burning, player.ship_id)["throttle"] == 1.0
        assert no_reply_with_seq(ws_b, 101, 1.0), "the ack for a command sent through replica A reached replica B"
        time.sleep(2)
        assert send_and_reply(ws_b, steer(player.ship_id, 202, 0.0)) == {"type": "ack", "seq": 202}
        receive_until(ws_a, lambda m: m["type"] == "state" and (own_ship(m, player.ship_id) or {}).get("throttle") == 0.0)
        assert no_reply_with_seq(ws_a, 202, 1.0), "the ack for a command sent through replica B reached replica A"
    after = cluster.engine.ship(player)["elements"]["a_m"]
    assert after > before + 500, f"semi-major axis {before:.0f} m -> {after:.0f} m after a 2 s prograde burn"


def test_replica_bad_input_and_admin(cluster):
    gw = cluster.gateways[0]
    alice, bob = gw.register(), gw.register()
    with gw.connect(alice.token) as ws:
        receive_welcome(ws)
        ws.send("{not json")
        assert reply(ws)["code"] == "invalid_json"
        error = send_and_reply(ws, steer(bob.ship_id, 5, 1.0))
        assert (error["seq"], error["code"]) == (5, "forbidden")
        error = send_and_reply(ws, {"type": "steer", "seq": 6, "ship_id": alice.ship_id, "throttle": "full"})
        assert (error["seq"], error["code"]) == (6, "invalid_field")
        assert ping_works(ws)
    result = gw.request("GET", "/api/v1/admin/status", token="anything")
    assert (result.status, result.error_code) == (501, "not_served_here")
    result = gw.request("POST", "/api/v1/ships/1/maneuver", {"kind": "transfer"}, token=alice.token)
    assert result.status == 403


def test_killed_replica_clients_resume(cluster):
    gw_a, gw_b = cluster.gateways
    players = [gw_a.register() for _ in range(5)]
    with contextlib.ExitStack() as stack:
        for player in players:
            receive_welcome(stack.enter_context(gw_a.connect(player.token)))
        gw_a.kill()
    for player in players:
        assert gw_b.login(player).status == 200
        with gw_b.connect(player.token) as ws:
            welcome = receive_welcome(ws)
            assert welcome["ships"] == [player.ship_id], "a reconnecting player must keep its one ship"
            assert own_ship(state_frames(ws, 1)[0], player.ship_id) is not None
    names = ",".join(f"'{p.username}'" for p in players)
    count = cluster.postgres.query(cluster.database_url, f"SELECT count(*) FROM players WHERE username IN ({names})")
    assert int(count) == len(players), "no duplicate player rows"
    for player in players:
        ships = cluster.engine.request("GET", "/api/v1/me", token=player.token).json()["ships"]
        assert ships == [player.ship_id], "no duplicate ships"


def metric(server, name):
    return server.metrics().get(name)


@pytest.mark.parametrize("outage_seconds", [10, 60])
def test_redis_outage_recovers(cluster, outage_seconds):
    engine = cluster.engine
    gw = cluster.gateways[0]
    player = gw.register()
    skipped_before = metric(engine, "tick_engine_skipped_ticks_total")
    with gw.connect(player.token) as ws, engine.connect(player.token) as ws_engine:
        receive_welcome(ws)
        receive_welcome(ws_engine)
        state_frames(ws, 2)
        cluster.redis.kill()
        wait_until(lambda: gw.request("GET", "/readyz").status == 503, 10, "/readyz stayed 200 with Redis down")
        assert "Redis" in gw.request("GET", "/readyz").body.decode()
        assert metric(gw, "galaxy_redis_connected") == 0
        wait_until(lambda: metric(engine, "galaxy_redis_connected") == 0, 10, "engine gauge stayed 1")
        engine_ticks = [f["tick"] for f in frames_for(ws_engine, outage_seconds - 5)]
        assert ping_works(ws), "a replica's client must stay connected while Redis is down"
        error = send_and_reply(ws, steer(player.ship_id, 77, 0.5), timeout=15)
        assert (error["type"], error["seq"]) == ("error", 77)
        assert error["code"] in ("engine_unavailable", "engine_timeout")
        assert engine.request("GET", "/readyz").status == 200, "the engine serves its own clients without Redis"
        cluster.redis.start()
        full = receive_until(ws, lambda m: m["type"] == "state", timeout=20)
        assert full["full"] is True, "the first frame after a reconnect must be full"
        assert own_ship(full, player.ship_id) is not None
        wait_until(lambda: gw.request("GET", "/readyz").status == 200, 10, "/readyz did not recover")
        assert send_and_reply(ws, steer(player.ship_id, 78, 0.0), timeout=15) == {"type": "ack", "seq": 78}
    assert len(engine_ticks) >= (outage_seconds - 5) * 10 * 0.8, "the engine's own client kept getting frames"
    assert metric(engine, "tick_engine_skipped_ticks_total") == skipped_before, "the engine skipped ticks"
    assert metric(gw, "galaxy_redis_reconnects_total") >= 1
    wait_until(lambda: metric(engine, "galaxy_redis_connected") == 1, 10, "the engine did not reconnect")


def test_command_during_reconnect_runs(cluster):
    """The engine keeps its place in the command stream, so a command a gateway stores while the engine
    is still reconnecting to a restarted Redis runs once the engine is back instead of being skipped."""
    engine = cluster.engine
    assert metric(engine, "galaxy_redis_commands_total") == 0
    cluster.redis.kill()
    wait_until(lambda: metric(engine, "galaxy_redis_connected") == 0, 10, "engine gauge stayed 1")
    time.sleep(3)  # the engine's reconnect backoff grows to over a second
    cluster.redis.start()
    command = json.dumps({"op": "remove_ships", "player": 999999})
    entry = cluster.redis.cli("XADD", "galaxy:commands", "*", "gw", "probe", "req", "1", "cmd", command)
    assert entry.split("-")[0].isdigit(), f"XADD answered {entry!r}"
    wait_until(
        lambda: metric(engine, "galaxy_redis_commands_total") == 1,
        15,
        "the engine never executed the command stored while it was reconnecting",
    )


def test_command_stream_wrong_type_logged(cluster):
    """A key of the wrong type in place of the command stream makes the engine log the error and retry.
    Once the key is gone, commands run again."""
    engine, gw = cluster.engine, cluster.gateways[0]
    assert cluster.redis.cli("DEL", "galaxy:commands") in ("0", "1")
    assert cluster.redis.cli("SET", "galaxy:commands", "not a stream") == "OK"
    wait_until(
        lambda: "rejected a read of the command stream" in engine.log_tail(200),
        10,
        "the engine did not log the error reply",
    )
    assert engine.request("GET", "/healthz").status == 200
    assert cluster.redis.cli("DEL", "galaxy:commands") == "1"
    player = gw.register()
    assert gw.login(player).status == 200


def test_logout_reaches_other_replica(cluster):
    gw_a, gw_b = cluster.gateways
    player = gw_a.register()
    assert gw_b.request("GET", "/api/v1/me", token=player.token).status == 200  # now cached on replica B
    assert gw_a.request("POST", "/api/v1/logout", token=player.token).status == 204
    wait_until(
        lambda: gw_b.request("GET", "/api/v1/me", token=player.token).status == 401,
        20,
        "replica B still accepted the token 20 s after a log-out on replica A",
    )


def test_deletion_closes_other_replica_websocket(cluster):
    gw_a, gw_b = cluster.gateways
    player = gw_a.register()
    with gw_b.connect(player.token) as ws:
        receive_welcome(ws)
        assert gw_a.request("DELETE", "/api/v1/me", token=player.token).status == 204
        # Replica B trusts its cached session for up to 15 s, and checks open WebSockets every 5 s.
        assert close_code(ws, 30) == 1008
