"""Bad input over WebSocket and HTTP: each gets its precise error code and a message that names the
field, and afterwards the connection (where the protocol lets it stay open) and the server still work.
"""

import http.client
import json
import socket
import time

import pytest
from websockets.exceptions import InvalidStatus

from rawws import OP_TEXT, HandshakeRejected, RawWebSocket, encode_frame
from support import PASSWORD, ping_works, receive_welcome, reply, unique_username


@pytest.fixture(scope="module")
def alice(shared_server):
    return shared_server.register()


@pytest.fixture(scope="module")
def bob(shared_server):
    return shared_server.register()


@pytest.fixture
def alice_ws(shared_server, alice):
    with shared_server.connect(alice.token) as ws:
        receive_welcome(ws)
        yield ws


def case(name, text, code, field, seq, xfail=None):
    """One bad WebSocket message: the error code, text the message must contain, and the seq echoed."""
    marks = [pytest.mark.xfail(strict=True, reason=xfail)] if xfail else []
    return pytest.param(text, code, field, seq, id=name, marks=marks)


# $SHIP stands for Alice's ship id and $OTHER for Bob's.
STEER = '{"type": "steer", "seq": %d, "ship_id": $SHIP, %s}'
WEBSOCKET_CASES = [
    case("malformed_json", '{"type": "ping", "seq": 1', "invalid_json", "JSON", None),
    case("not_an_object", "[1, 2, 3]", "invalid_json", "object", None),
    case("string_at_top", '"ping"', "invalid_json", "object", None),
    case("missing_type", '{"seq": 3}', "missing_field", "type", 3),
    case("missing_seq", '{"type": "ping"}', "missing_field", "seq", None),
    case("fractional_seq", '{"type": "ping", "seq": 1.5}', "invalid_field", "seq", None),
    case("string_seq", '{"type": "ping", "seq": "7"}', "invalid_field", "seq", None),
    case("non_string_type", '{"type": 5, "seq": 4}', "invalid_field", "type", 4),
    case("unknown_type", '{"type": "warp", "seq": 5}', "unknown_type", "warp", 5),
    case("string_throttle", STEER % (6, '"throttle": "1"'), "invalid_field", "throttle", 6),
    case("bool_ship_id", '{"type": "steer", "seq": 7, "ship_id": true}', "invalid_field", "ship_id", 7),
    case("missing_ship_id", '{"type": "steer", "seq": 8, "throttle": 0}', "missing_field", "ship_id", 8),
    case("negative_ship_id", '{"type": "steer", "seq": 9, "ship_id": -3}', "invalid_field", "ship_id", 9),
    case("throttle_above_one", STEER % (10, '"throttle": 1.5'), "invalid_field", "throttle", 10),
    case("throttle_negative", STEER % (11, '"throttle": -0.1'), "invalid_field", "throttle", 11),
    case("rcs_out_of_range", STEER % (12, '"rcs": [0, 2, 0]'), "invalid_field", "rcs", 12),
    case("rcs_wrong_length", STEER % (13, '"rcs": [0, 0]'), "invalid_field", "rcs", 13),
    case("unknown_attitude_mode", STEER % (14, '"attitude_mode": "sideways"'), "invalid_field", "attitude_mode", 14),
    case("unknown_field", STEER % (15, '"bogus": 1'), "invalid_field", "bogus", 15),
    case("unknown_ship", '{"type": "steer", "seq": 16, "ship_id": 987654}', "not_found", "ship_id", 16),
    case(
        "another_players_ship",
        '{"type": "steer", "seq": 17, "ship_id": $OTHER, "throttle": 1}',
        "forbidden",
        "ship_id",
        17,
    ),
    case(
        "view_unknown_body",
        '{"type": "view", "seq": 18, "focus": {"body": "Vulcan"}, "radius_m": 1000}',
        "not_found",
        "focus.body",
        18,
    ),
    case(
        "view_zero_radius",
        '{"type": "view", "seq": 19, "focus": {"body": "Moon"}, "radius_m": 0}',
        "invalid_field",
        "radius_m",
        19,
    ),
    case("view_missing_focus", '{"type": "view", "seq": 20, "radius_m": 1000}', "missing_field", "focus", 20),
    # Python's json module writes NaN as the bare token NaN, and 1e999 overflows a double.
    # The parser rejects these before any field is read, as docs/protocol.md states.
    case("nan_throttle", STEER % (21, '"throttle": NaN'), "invalid_json", "JSON", None),
    case("infinite_throttle", STEER % (22, '"throttle": 1e999'), "invalid_json", "JSON", None),
    # A repeated key would leave it open which value counts, so the parser rejects it and names the key.
    case("repeated_key", STEER % (23, '"throttle": 0.5, "throttle": 1'), "invalid_json", "'throttle' appears twice", None),
    case("cut_short", '{"type": "ping", "seq": 1', "invalid_json", "at byte 25", None),
]


@pytest.mark.parametrize("template, code, field, seq", WEBSOCKET_CASES)
def test_websocket_message_error(shared_server, alice, bob, alice_ws, template, code, field, seq):
    text = template.replace("$SHIP", str(alice.ship_id)).replace("$OTHER", str(bob.ship_id))
    alice_ws.send(text)
    error = reply(alice_ws)
    assert error["type"] == "error"
    assert error["code"] == code
    assert error["seq"] == seq
    assert field in error["message"]
    assert ping_works(alice_ws)
    assert shared_server.healthy()


def test_binary_frame_error(shared_server, alice_ws):
    alice_ws.send(b'{"type": "ping", "seq": 1}')
    error = reply(alice_ws)
    assert error["type"] == "error"
    assert error["code"] == "binary_not_supported"
    assert error["seq"] is None
    assert "binary" in error["message"]
    assert ping_works(alice_ws)


def test_rejected_steer_leaves_ship_unchanged(shared_server, alice, alice_ws):
    alice_ws.send(json.dumps({"type": "steer", "seq": 30, "ship_id": alice.ship_id, "throttle": 2}))
    assert reply(alice_ws, seq=30)["code"] == "invalid_field"
    ship = shared_server.ship(alice)
    assert ship["throttle"] == 0
    assert ship["mode"] == "hold"


def test_invalid_utf8_closes_with_1007(shared_server, alice):
    ws = RawWebSocket.connect(shared_server.port, f"/ws?token={alice.token}")
    try:
        ws.send_raw(encode_frame(OP_TEXT, b'{"type": "ping", "seq": 1, "x": "\xff\xfe"}'))
        assert ws.read_close(timeout=5) == 1007
    finally:
        ws.close()
    assert shared_server.healthy()


# Tokens, rejected before the upgrade.


@pytest.mark.parametrize(
    "path",
    ["/ws", "/ws?token=", "/ws?token=" + "0" * 64, "/ws?token=not-a-token"],
    ids=["no_token", "empty_token", "unknown_token", "garbage_token"],
)
def test_websocket_without_valid_token_gets_401(shared_server, path):
    with pytest.raises(HandshakeRejected) as rejected:
        RawWebSocket.connect(shared_server.port, path)
    assert rejected.value.status == 401
    assert shared_server.healthy()


def test_websocket_unknown_path_gets_404(shared_server, alice):
    with pytest.raises(HandshakeRejected) as rejected:
        RawWebSocket.connect(shared_server.port, f"/socket?token={alice.token}")
    assert rejected.value.status == 404


def test_expired_token_gets_401(servers):
    server = servers.new()
    player = server.register()
    code, _ = server.terminate()
    assert code == 0
    server.expire_sessions()
    server.start()

    with pytest.raises(InvalidStatus) as rejected:
        server.connect(player.token)
    assert rejected.value.response.status_code == 401
    me = server.request("GET", "/api/v1/me", token=player.token)
    assert me.status == 401
    assert me.error_code == "unauthorized"

    # Logging in again issues a fresh token that works.
    assert server.login(player).status == 200
    with server.connect(player.token) as ws:
        assert receive_welcome(ws)["ships"] == [player.ship_id]


def test_keepalive_requests_after_rejected_upgrades(servers):
    # Freed session memory left in the gateway's session table once made the stall scan loop for ever
    # after a few rejected upgrades and keep-alive requests. The server then served no more HTTP.
    server = servers.new()
    request = (
        "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    ).encode()
    sockets = [socket.create_connection(("127.0.0.1", server.port), timeout=5) for _ in range(3)]
    for sock in sockets:
        sock.sendall(request)
    for sock in sockets:
        assert sock.recv(4096).startswith(b"HTTP/1.1 401")
        sock.close()

    statuses = []
    for _ in range(5):
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=2)
        try:
            connection.request("GET", "/healthz")  # HTTP/1.1 keep-alive, as browsers send
            response = connection.getresponse()
            response.read()
            statuses.append(response.status)
        except TimeoutError:
            statuses.append("timed out")
            # A service thread stuck in a loop would not stop on SIGTERM either.
            server.kill()
            break
        finally:
            connection.close()
        time.sleep(0.3)
    assert statuses == [200] * 5


def test_keepalive_connection_serves_many_requests(shared_server, alice):
    connection = http.client.HTTPConnection("127.0.0.1", shared_server.port, timeout=5)
    try:
        for _ in range(5):
            connection.request("GET", "/healthz")
            response = connection.getresponse()
            assert response.status == 200
            assert response.read() == b"ok\n"
        connection.request("GET", "/api/v1/me", headers={"Authorization": f"Bearer {alice.token}"})
        response = connection.getresponse()
        assert response.status == 200
        assert json.loads(response.read())["player"]["id"] == alice.player_id
        connection.request("POST", "/api/v1/register", body=b"{}", headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        assert response.status == 400
        assert json.loads(response.read())["error"]["code"] == "invalid_request"
    finally:
        connection.close()


# HTTP API


@pytest.mark.parametrize(
    "body, field",
    [
        ({"username": unique_username(), "password": "short"}, "password"),
        ({"username": unique_username(), "password": "x" * 257}, "password"),
        ({"username": "bad name!", "password": PASSWORD}, "username"),
        ({"username": "ab", "password": PASSWORD}, "username"),
        ({"username": "x" * 33, "password": PASSWORD}, "username"),
        ({"username": "ümlaut", "password": PASSWORD}, "username"),
        ({"password": PASSWORD}, "username"),
        ({"username": unique_username()}, "password"),
        ({"username": 12345, "password": PASSWORD}, "username"),
    ],
    ids=[
        "short_password",
        "long_password",
        "username_bad_characters",
        "username_too_short",
        "username_too_long",
        "username_non_ascii",
        "missing_username",
        "missing_password",
        "numeric_username",
    ],
)
def test_register_invalid_body_gets_400(shared_server, body, field):
    result = shared_server.request("POST", "/api/v1/register", body)
    assert result.status == 400
    assert result.error_code == "invalid_request"
    assert result.error_message.startswith(f"{field}:")


@pytest.mark.parametrize(
    "raw", [b"{not json", b"[1, 2]", b'"ada"', b""], ids=["malformed", "array", "string", "empty"]
)
def test_register_non_object_body_gets_400(shared_server, raw):
    result = shared_server.request("POST", "/api/v1/register", raw)
    assert result.status == 400
    assert result.error_code == "invalid_json"
    assert "body" in result.error_message


def test_register_duplicate_username_gets_409(shared_server, alice):
    result = shared_server.request("POST", "/api/v1/register", {"username": alice.username, "password": PASSWORD})
    assert result.status == 409
    assert result.error_code == "username_taken"
    assert alice.username in result.error_message


@pytest.mark.parametrize("password", [PASSWORD + "!", "wrong password"], ids=["near_miss", "wrong"])
def test_login_wrong_password_gets_401(shared_server, alice, password):
    result = shared_server.request("POST", "/api/v1/login", {"username": alice.username, "password": password})
    assert result.status == 401
    assert result.error_code == "invalid_credentials"


def test_login_unknown_user_gets_401(shared_server):
    result = shared_server.request("POST", "/api/v1/login", {"username": unique_username(), "password": PASSWORD})
    assert result.status == 401
    assert result.error_code == "invalid_credentials"


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer " + "0" * 64}, {"Authorization": "Basic YWRhOmFkYQ=="}],
    ids=["no_header", "unknown_token", "basic_scheme"],
)
def test_api_without_valid_token_gets_401(shared_server, headers):
    result = shared_server.request("GET", "/api/v1/me", headers=headers)
    assert result.status == 401
    assert result.error_code == "unauthorized"
    assert result.headers.get("www-authenticate") == "Bearer"


def test_another_players_ship_gets_403(shared_server, alice, bob):
    result = shared_server.request("GET", f"/api/v1/ships/{bob.ship_id}", token=alice.token)
    assert result.status == 403
    assert result.error_code == "forbidden"
    assert str(bob.ship_id) in result.error_message


def test_unknown_ship_gets_404(shared_server, alice):
    result = shared_server.request("GET", "/api/v1/ships/987654", token=alice.token)
    assert result.status == 404
    assert result.error_code == "not_found"
    assert "987654" in result.error_message


def test_non_numeric_ship_id_gets_400(shared_server, alice):
    result = shared_server.request("GET", "/api/v1/ships/abc", token=alice.token)
    assert result.status == 400
    assert result.error_code == "invalid_request"
    assert "abc" in result.error_message


@pytest.mark.parametrize(
    "method, path",
    [
        ("POST", "/metrics"),
        ("DELETE", "/healthz"),
        ("PUT", "/readyz"),
        ("GET", "/api/v1/register"),
        ("PUT", "/api/v1/me"),
    ],
)
def test_wrong_method_gets_405(shared_server, method, path):
    result = shared_server.request(method, path, body=b"{}" if method in ("POST", "PUT") else None)
    assert result.status == 405
    assert result.error_code == "method_not_allowed"
    assert method in result.error_message
    assert path in result.error_message


@pytest.mark.parametrize("path", ["/api/v1/nothing", "/api/v1/ships/1/extra", "/no-such-file.html"])
def test_unknown_path_gets_404(shared_server, path):
    result = shared_server.request("GET", path)
    assert result.status == 404
    assert result.error_code == "not_found"
    assert path.rsplit("/", 1)[-1] in result.error_message


def test_oversize_body_gets_413(shared_server):
    body = json.dumps({"username": unique_username(), "password": "x" * (70 * 1024)}).encode()
    result = shared_server.request("POST", "/api/v1/register", body)
    assert result.status == 413
    assert result.error_code == "payload_too_large"
    assert "body" in result.error_message
    assert shared_server.healthy()


def test_oversize_chunked_body_gets_411(shared_server):
    """Chunked request bodies are refused at once with 411, whatever their size, rather than read."""
    body = json.dumps({"username": unique_username(), "password": "x" * (70 * 1024)}).encode()
    connection = http.client.HTTPConnection("127.0.0.1", shared_server.port, timeout=10)
    connection.request(
        "POST",
        "/api/v1/register",
        body=iter([body[: len(body) // 2], body[len(body) // 2 :]]),
        headers={"Content-Type": "application/json", "Connection": "close"},
        encode_chunked=True,
    )
    response = connection.getresponse()
    payload = json.loads(response.read())
    connection.close()
    assert response.status == 411
    assert payload["error"]["code"] == "length_required"
    assert "Content-Length" in payload["error"]["message"]
