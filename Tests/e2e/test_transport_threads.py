"""The transport's service threads: connections dealt out over several loops, frames intact on each,
and the listening socket owned by one server only."""

import concurrent.futures
import json
import subprocess

from support import free_port, receive_until, send_and_reply


def ship_states(server, player, frames):
    """Connects with a view of every ship and returns {tick: {ship id: [p, v, q] as JSON}} of `frames` frames."""
    states = {}
    with server.connect(player.token) as ws:
        reply = send_and_reply(ws, {"type": "view", "seq": 1, "focus": {"body": "Earth"}, "radius_m": 1e13})
        assert reply["type"] == "ack", reply
        # A frame whose encoding began before the view changed may follow the ack (docs/protocol.md), so
        # counting starts at the first frame with the new view.
        receive_until(ws, lambda m: m["type"] == "state" and len(m["ships"]) >= 300, timeout=15)
        while len(states) < frames:
            frame = receive_until(ws, lambda m: m["type"] == "state", timeout=15)
            states[frame["tick"]] = {s["id"]: json.dumps([s["p"], s["v"], s["q"]]) for s in frame["ships"]}
    return states


def test_frames_intact_across_threads(servers):
    # Sixteen clients on four loops, four each, reading at once, with 300 ships in view at 10 ticks a
    # second: their messages point into the same shared buffers, which each loop writes frame headers
    # around in a copy of its own. When the loops wrote into one buffer, this caught the corruption
    # (bad opcodes, reserved bits) in three runs of five.
    server = servers.new(transport_threads=4, ships=300, tick_rate=10)
    players = [server.register() for _ in range(16)]
    with concurrent.futures.ThreadPoolExecutor(len(players)) as pool:
        results = list(pool.map(lambda p: ship_states(server, p, 30), players))
    assert all(len(ships) >= 300 for states in results for ships in states.values())
    # Every client that got a given tick got the same state for each ship.
    for tick in set.union(*(set(states) for states in results)):
        views = [states[tick] for states in results if tick in states]
        for ship_id in set.intersection(*(set(v) for v in views)):
            assert len({v[ship_id] for v in views}) == 1, f"ship {ship_id} differs between clients at tick {tick}"


def test_second_server_same_port_fails(servers, tmp_path):
    first = servers.new()
    argv = [str(first.binary), "serve", "--port", str(first.port), "--bind", "127.0.0.1"]
    argv += ["--data-dir", str(tmp_path / "second-data")]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert f"cannot listen on 127.0.0.1:{first.port}: Address already in use" in result.stderr + result.stdout
    assert first.healthy()


def test_transport_threads_out_of_range(binary, tmp_path):
    argv = [str(binary), "serve", "--port", str(free_port()), "--data-dir", str(tmp_path / "data")]
    result = subprocess.run(argv + ["--transport-threads", "0"], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "--transport-threads must be within 1...16, got 0" in result.stderr
