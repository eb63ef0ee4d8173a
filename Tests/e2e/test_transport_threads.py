"""The transport's service threads: connections dealt out over several loops, frames intact on each,
and the listening socket owned by one server only."""

import concurrent.futures
import json
import socket
import subprocess
import time

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
    # second: their messages point into the same shared buffers. When the loops wrote frame headers into
    # one such buffer, this caught the corruption (bad opcodes, reserved bits) in three runs of five.
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


def test_slow_reader_frames_stay_whole(servers):
    # A reader that takes one 1.4 MB message a second, while the server sends two, fills the socket's
    # buffer, so sends are partial and libwebsockets keeps the rest of a message. The client's pings
    # make the server owe pongs meanwhile. A pong written inside a state message would break its framing.
    server = servers.new(ships=9000, tick_rate=2)
    player = server.register()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", server.port))
    states, pongs = 0, []
    # max_queue=1: the client stops reading its socket while one received message waits for recv.
    with server.connect(player.token, sock=sock, max_queue=1) as ws:
        reply = send_and_reply(ws, {"type": "view", "seq": 1, "focus": {"body": "Earth"}, "radius_m": 1e13})
        assert reply["type"] == "ack", reply
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline or (not pongs[-1].is_set() and time.monotonic() < deadline + 15):
            if time.monotonic() < deadline:
                pongs.append(ws.ping())
            message = json.loads(ws.recv(timeout=10))
            states += message["type"] == "state" and len(message["ships"]) >= 9000
            time.sleep(1)
    assert all(pong.is_set() for pong in pongs), "a ping got no pong"
    assert states >= 10, f"only {states} whole state messages with every ship in 15 s"
    assert server.metrics()["galaxy_partial_writes_total"] >= 1, "no send was partial, so the test did not test it"


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
