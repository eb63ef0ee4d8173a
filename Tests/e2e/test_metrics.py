"""Probes and Prometheus metrics, including every metric name the earlier system exported."""

import re
import time

import pytest

from rawws import HandshakeRejected, RawWebSocket
from support import receive_welcome, state_frames

# Names kept from the earlier system so that its dashboards and alerts still work.
REQUIRED_METRICS = [
    "physics_tick_duration_ms",
    "physics_bodies_duration_ms",
    "physics_ships_duration_ms",
    "physics_gravity_duration_ms",
    "physics_attitude_duration_ms",
    "physics_thrust_duration_ms",
    "physics_ships_count",
    "tick_engine_total_duration_ms",
    "tick_engine_actual_rate",
    "tick_engine_ticks_behind",
    "tick_engine_snapshot_duration_ms",
    "galaxy_connections_active",
    "galaxy_connections_total",
    "galaxy_disconnections_total",
    "galaxy_broadcast_duration_ms",
    "galaxy_broadcast_message_bytes",
    "galaxy_slow_consumer_disconnections_total",
]


def test_probes_return_200(shared_server):
    health = shared_server.request("GET", "/healthz")
    assert health.status == 200
    assert health.body.strip() == b"ok"
    ready = shared_server.request("GET", "/readyz")
    assert ready.status == 200
    assert ready.body.strip() == b"ready"


@pytest.mark.parametrize("name", REQUIRED_METRICS)
def test_metric_has_help_type_and_sample(shared_server, name):
    text = shared_server.metrics_text()
    assert re.search(rf"^# HELP {name} \S", text, re.MULTILINE), f"no HELP line for {name}"
    assert re.search(rf"^# TYPE {name} (gauge|counter)$", text, re.MULTILINE), f"no TYPE line for {name}"
    assert re.search(rf"^{name} [-+0-9.eE]+$", text, re.MULTILINE), f"no sample for {name}"


def test_metrics_content_type(shared_server):
    result = shared_server.request("GET", "/metrics")
    assert result.status == 200
    assert result.headers["content-type"].startswith("text/plain; version=0.0.4")


def test_engine_metrics_follow_the_world(server):
    player = server.register()
    time.sleep(1.5)
    metrics = server.metrics()
    # The four standard stations plus the player's ship.
    assert metrics["physics_ships_count"] == 5
    assert 9 <= metrics["tick_engine_actual_rate"] <= 11
    assert metrics["tick_engine_ticks_behind"] == 0
    assert metrics["physics_tick_duration_ms"] > 0
    assert metrics["tick_engine_total_duration_ms"] >= metrics["physics_tick_duration_ms"]
    assert metrics["tick_engine_current_tick"] > 0
    assert server.metrics()["tick_engine_current_tick"] >= metrics["tick_engine_current_tick"]
    assert player.ship_id > 0


def wait_for_metrics(server, expected, timeout=5):
    """Poll until every metric in `expected` has its value; return the last sample."""
    deadline = time.monotonic() + timeout
    while True:
        metrics = server.metrics()
        if all(metrics[name] == value for name, value in expected.items()):
            return metrics
        if time.monotonic() > deadline:
            wrong = {name: metrics[name] for name, value in expected.items() if metrics[name] != value}
            raise AssertionError(f"expected {expected}, got {wrong}")
        time.sleep(0.1)


def test_connection_counters_move(server):
    player = server.register()
    before = server.metrics()
    assert before["galaxy_connections_active"] == 0

    with server.connect(player.token) as first, server.connect(player.token) as second:
        receive_welcome(first)
        receive_welcome(second)
        state_frames(first, 2)
        state_frames(second, 2)
        during = wait_for_metrics(
            server,
            {
                "galaxy_connections_active": 2,
                "galaxy_connections_total": before["galaxy_connections_total"] + 2,
                "galaxy_disconnections_total": before["galaxy_disconnections_total"],
            },
        )
        assert during["galaxy_broadcast_message_bytes"] > 0
        assert during["galaxy_broadcast_duration_ms"] > 0

    wait_for_metrics(
        server,
        {
            "galaxy_connections_active": 0,
            "galaxy_connections_total": before["galaxy_connections_total"] + 2,
            "galaxy_disconnections_total": before["galaxy_disconnections_total"] + 2,
        },
    )


def test_rejected_upgrade_not_counted(server):
    before = server.metrics()
    with pytest.raises(HandshakeRejected) as rejected:
        RawWebSocket.connect(server.port, "/ws?token=" + "0" * 64)
    assert rejected.value.status == 401
    after = server.metrics()
    assert after["galaxy_connections_total"] == before["galaxy_connections_total"]
    assert after["galaxy_connections_active"] == 0


def test_fanout_counted_only_with_clients(server):
    player = server.register()
    idle = server.metrics()
    time.sleep(2.5)
    before = server.metrics()
    assert before["galaxy_fanouts_completed_total"] == idle["galaxy_fanouts_completed_total"]
    with server.connect(player.token) as ws:
        receive_welcome(ws)
        state_frames(ws, 3)
        after = server.metrics()
    # Every broadcast to a client that reads completes, within the 1 s tick.
    assert after["galaxy_fanouts_completed_total"] >= before["galaxy_fanouts_completed_total"] + 2
    assert after["galaxy_fanout_duration_ms"] > 0
    assert after["galaxy_fanout_duration_ms"] < 1000
