"""Binary state (docs/protocol.md). A client that connects with `encoding=binary` gets each state message
as a binary message: a length-prefixed JSON head, then a 72-byte record per other visible ship. This
decodes the layout as the protocol describes it and compares it with what a text client gets."""

import contextlib
import json
import struct
import urllib.parse

import pytest
from websockets.sync.client import connect as ws_connect

from support import receive_welcome

RECORD = struct.Struct("<Q3d3d4f")
assert RECORD.size == 72


def connect(server, token, encoding):
    url = f"ws://127.0.0.1:{server.port}/ws?token={urllib.parse.quote(token)}&encoding={encoding}"
    return ws_connect(url, proxy=None, max_size=None, open_timeout=10, compression=None)


def decode(payload):
    """Return the head as a dict and the records as {id: (p, v, q)}, checking the layout."""
    (json_length,) = struct.unpack_from("<I", payload, 0)
    head = json.loads(payload[4:4 + json_length].decode("utf-8"))
    (count,) = struct.unpack_from("<I", payload, 4 + json_length)
    start = 8 + json_length
    assert start % 8 == 0, f"records start at byte {start}, not on an 8-byte boundary"
    assert len(payload) == start + count * RECORD.size, (len(payload), start, count)
    records = {}
    for k in range(count):
        ship_id, *numbers = RECORD.unpack_from(payload, start + k * RECORD.size)
        assert ship_id not in records, f"ship {ship_id} has two records"
        records[ship_id] = (numbers[0:3], numbers[3:6], numbers[6:10])
    return head, records


def send_and_reply(ws, message, timeout=10.0):
    """Send a command and return its text reply, skipping binary state messages and events."""
    ws.send(json.dumps(message))
    while True:
        received = ws.recv(timeout=timeout)
        if isinstance(received, str) and json.loads(received)["type"] in ("ack", "error", "pong"):
            return json.loads(received)


def next_binary_state(ws, timeout=10.0):
    while True:
        message = ws.recv(timeout=timeout)
        if isinstance(message, bytes):
            return decode(message)
        assert json.loads(message)["type"] != "state", "a state message came as text to a binary client"


def test_binary_matches_text_ships(servers):
    server = servers.new(ships=300)
    players = [server.register() for _ in range(2)]
    view = {"type": "view", "seq": 1, "focus": {"body": "Earth"}, "radius_m": 1e13}
    with connect(server, players[0].token, "json") as text_ws, connect(server, players[1].token, "binary") as binary_ws:
        for ws in (text_ws, binary_ws):
            receive_welcome(ws)
            assert send_and_reply(ws, view) == {"type": "ack", "seq": 1}
        texts = {}
        for _ in range(12):
            message = json.loads(text_ws.recv(timeout=10))
            if message["type"] == "state":
                texts[message["tick"]] = {ship["id"]: ship for ship in message["ships"]}
        matched = 0
        for _ in range(12):
            head, records = next_binary_state(binary_ws)
            assert head["type"] == "state"
            assert [ship["id"] for ship in head["ships"]] == [players[1].ship_id]
            assert "fuel_kg" in head["ships"][0], "the own ship lacks its private fields"
            assert players[1].ship_id not in records, "the own ship also came as a record"
            if head["tick"] not in texts:
                continue
            text_ships = texts[head["tick"]]
            assert records.keys() | {players[1].ship_id} == text_ships.keys()
            for ship_id, (p, v, q) in records.items():
                other = text_ships[ship_id]
                assert p == other["p"], ship_id
                assert v == other["v"], ship_id
                # The attitude is sent as 32-bit floats.
                assert all(abs(a - b) <= 1e-7 for a, b in zip(q, other["q"])), (q, other["q"])
            matched += 1
        assert matched > 0, "no tick was seen by both clients"


@contextlib.contextmanager
def binary_client_seeing_all(server):
    """Yield a registered player and its binary connection, with a view that covers every ship."""
    player = server.register()
    with connect(server, player.token, "binary") as ws:
        receive_welcome(ws)
        view = {"type": "view", "seq": 1, "focus": {"body": "Earth"}, "radius_m": 1e13}
        assert send_and_reply(ws, view) == {"type": "ack", "seq": 1}
        yield player, ws


def test_left_ships_listed_removed(servers):
    server = servers.new(ships=50)
    with binary_client_seeing_all(server) as (player, ws):
        head, records = next_binary_state(ws)
        while len(records) < 50:
            head, records = next_binary_state(ws)
        seen = set(records)
        # A view about the player's own ship only: the others leave and are listed as removed.
        view = {"type": "view", "seq": 2, "focus": {"ship": player.ship_id}, "radius_m": 1}
        assert send_and_reply(ws, view) == {"type": "ack", "seq": 2}
        removed = set()
        for _ in range(5):
            head, records = next_binary_state(ws)
            removed |= set(head["removed"])
            if not records:
                break
        assert records == {}
        assert removed == seen, "ships that left the view were not all listed in removed"


def test_new_ships_carry_static(servers):
    server = servers.new(ships=20)
    with binary_client_seeing_all(server) as (_, ws):
        known = set()
        frames_with_new_ships = 0
        for _ in range(6):
            head, records = next_binary_state(ws)
            statics = {entry["id"]: entry for entry in head["static"]}
            new = set(records) if head["full"] else set(records) - known
            assert set(statics) == new, (sorted(statics), sorted(new))
            for entry in statics.values():
                assert set(entry) == {"id", "name", "kind", "owner"}, entry
            frames_with_new_ships += bool(new)
            known = set(records)
        assert frames_with_new_ships > 0


@pytest.mark.parametrize("encoding", ["binary", "json"])
def test_replies_stay_text(server, encoding):
    player = server.register()
    with connect(server, player.token, encoding) as ws:
        receive_welcome(ws)
        reply = send_and_reply(ws, {"type": "ping", "seq": 4})
        assert reply == {"type": "pong", "seq": 4}
