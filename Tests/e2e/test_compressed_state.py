"""Compressed state (docs/protocol.md). A client that connects with `encoding=deflate` gets each state
message as a binary raw DEFLATE stream of the JSON text that other clients get. Everything else stays text."""

import http.client
import json
import urllib.parse
import zlib

import pytest
from websockets.sync.client import connect as ws_connect

from rawws import HandshakeRejected, RawWebSocket
from support import receive_welcome, send_and_reply


def connect(server, token, encoding):
    url = f"ws://127.0.0.1:{server.port}/ws?token={urllib.parse.quote(token)}&encoding={encoding}"
    # Without permessage-deflate, so that what arrives is what the server compressed itself.
    return ws_connect(url, proxy=None, max_size=None, open_timeout=10, compression=None)


def inflate(payload):
    inflater = zlib.decompressobj(wbits=-15)
    text = inflater.decompress(payload)
    assert inflater.eof, "the stream has no final block"
    assert inflater.unused_data == b"", "bytes follow the final block"
    return text


def next_state(ws, timeout=10.0):
    """Return the next state message as raw bytes and the other messages seen before it."""
    others = []
    while True:
        message = ws.recv(timeout=timeout)
        if isinstance(message, bytes):
            return message, others
        others.append(json.loads(message))
        assert others[-1]["type"] != "state", "a state message came as text to a compressed client"


def test_state_arrives_compressed_and_commands_still_work(server):
    player = server.register()
    with connect(server, player.token, "deflate") as ws:
        receive_welcome(ws)
        payload, _ = next_state(ws)
        frame = json.loads(inflate(payload))
        assert frame["type"] == "state"
        assert any(ship["id"] == player.ship_id for ship in frame["ships"])
        # Replies stay text, and later frames keep coming compressed.
        reply = send_and_reply(ws, {"type": "view", "seq": 5, "focus": {"body": "Earth"}, "radius_m": 1e13})
        assert reply == {"type": "ack", "seq": 5}
        for _ in range(3):
            payload, _ = next_state(ws)
            assert json.loads(inflate(payload))["tick"] > frame["tick"]


def test_compressed_and_text_clients_see_the_same_frame(servers):
    # Many ships, so that the compressed clients share whole blocks of the frame's compressed bytes.
    server = servers.new(ships=400)
    players = [server.register() for _ in range(2)]
    view = {"type": "view", "seq": 1, "focus": {"body": "Earth"}, "radius_m": 1e13}
    with connect(server, players[0].token, "json") as text_ws, connect(server, players[1].token, "deflate") as deflate_ws:
        for ws in (text_ws, deflate_ws):
            receive_welcome(ws)
            assert send_and_reply(ws, view) == {"type": "ack", "seq": 1}
        texts = {}
        for _ in range(20):
            message = json.loads(text_ws.recv(timeout=10))
            if message["type"] == "state":
                texts[message["tick"]] = message
        matched = 0
        for _ in range(20):
            payload, _ = next_state(deflate_ws)
            text = inflate(payload)
            frame = json.loads(text)
            assert len(payload) < len(text) * 0.75, "the frame is not smaller compressed"
            if frame["tick"] in texts:
                other = texts[frame["tick"]]
                assert frame["bodies"] == other["bodies"]
                positions = {ship["id"]: ship["p"] for ship in frame["ships"]}
                other_positions = {ship["id"]: ship["p"] for ship in other["ships"]}
                common = positions.keys() & other_positions.keys()
                assert len(common) >= 300, (len(positions), len(other_positions))
                assert all(positions[ship] == other_positions[ship] for ship in common)
                matched += 1
        assert matched > 0, "no tick was seen by both clients"


@pytest.mark.parametrize(
    "query",
    ["encoding=gzip", "encoding=", "encoding=DEFLATE", "encoding", "encoding=binary&encoding=json", "encoding=json&encoding=json"],
)
def test_unknown_encoding_gets_400(server, query):
    player = server.register()
    with pytest.raises(HandshakeRejected) as rejected:
        RawWebSocket.connect(server.port, f"/ws?token={player.token}&{query}")
    assert rejected.value.status == 400
    assert server.healthy()


def test_explicit_json_encoding_is_text(server):
    player = server.register()
    with connect(server, player.token, "json") as ws:
        receive_welcome(ws)
        message = ws.recv(timeout=10)
        assert isinstance(message, str)


@pytest.mark.parametrize(
    "query, status, code",
    [("encoding=BINARY", 400, "invalid_request"), ("", 401, "unauthorized")],
    ids=["bad_encoding", "no_token"],
)
def test_refused_upgrade_has_error_body(server, query, status, code):
    player = server.register()
    path = f"/ws?token={player.token}&{query}" if query else "/ws"
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    headers = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
               "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    assert response.status == status
    assert response.getheader("Content-Type") == "application/json"
    body = json.loads(response.read())
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    connection.close()
