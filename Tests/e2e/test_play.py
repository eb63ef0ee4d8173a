"""Playing over the network: accounts, the WebSocket session, steering and reconnecting."""

import concurrent.futures
import http.client
import json
import time

import pytest
from websockets.exceptions import InvalidStatus

from support import (
    PASSWORD,
    close_code,
    frames_for,
    own_ship,
    receive_welcome,
    receive_until,
    send_and_reply,
    state_frames,
    unique_username,
)

SEVEN_DAYS = 7 * 86_400


def test_register_returns_player_ship_and_token(server):
    username = unique_username()
    before = time.time()
    result = server.request("POST", "/api/v1/register", {"username": username, "password": PASSWORD})
    assert result.status == 201
    body = result.json()
    assert body["player"]["username"] == username
    assert isinstance(body["player"]["id"], int)
    assert body["ship"]["name"] == f"{username}-1"
    assert isinstance(body["ship"]["id"], int)
    assert len(body["token"]) >= 32
    assert before + SEVEN_DAYS - 60 <= body["expires_at"] <= time.time() + SEVEN_DAYS + 60


def test_new_ship_visible_after_register(servers):
    # 1000 generated ships slow each tick, so the next broadcast comes well after register returns.
    server = servers.new(ships=1000)
    result = server.request("POST", "/api/v1/register", {"username": unique_username(), "password": PASSWORD})
    assert result.status == 201
    body = result.json()
    ship = server.request("GET", f"/api/v1/ships/{body['ship']['id']}", token=body["token"])
    me = server.request("GET", "/api/v1/me", token=body["token"])
    assert ship.status == 200
    assert me.json()["ships"] == [body["ship"]["id"]]


def test_login_and_me_list_the_ship(server):
    player = server.register()
    first_token = player.token
    result = server.login(player)
    assert result.status == 200
    assert result.json()["player"] == {"id": player.player_id, "username": player.username}
    assert player.token != first_token
    me = server.request("GET", "/api/v1/me", token=player.token)
    assert me.status == 200
    assert me.json()["player"]["id"] == player.player_id
    assert me.json()["ships"] == [player.ship_id]
    ships = server.request("GET", "/api/v1/ships", token=player.token)
    assert ships.status == 200
    assert [ship["id"] for ship in ships.json()["ships"]] == [player.ship_id]


def test_ship_starts_in_parking_orbit(server):
    player = server.register()
    ship = server.ship(player)
    assert ship["id"] == player.ship_id
    assert ship["owner"] == player.player_id
    assert ship["primary"] == "Earth"
    assert ship["mode"] == "hold"
    assert ship["throttle"] == 0
    assert ship["fuel_kg"] > 0
    elements = ship["elements"]
    assert elements["body"] == "Earth"
    # A low circular orbit: between 200 and 2000 km above Earth's 6371 km radius.
    assert 6_571_000 < elements["a_m"] < 8_371_000
    assert elements["e"] < 0.01


def test_welcome_then_state_frames_with_rising_ticks(server):
    player = server.register()
    with server.connect(player.token) as ws:
        welcome = receive_welcome(ws)
        assert welcome["type"] == "welcome"
        assert welcome["player"] == {"id": player.player_id, "username": player.username}
        assert welcome["ships"] == [player.ship_id]
        assert welcome["tick_rate_hz"] == 10
        assert welcome["epoch"]["iso_tdb"] == "2026-01-01T00:00:00"
        names = [body["name"] for body in welcome["bodies"]]
        assert {"Sun", "Earth", "Moon"} <= set(names)
        assert welcome["view"]["focus"] == {"ship": player.ship_id}

        frames = state_frames(ws, 12)
        assert frames[0]["full"] is True
        ticks = [frame["tick"] for frame in frames]
        assert all(later > earlier for earlier, later in zip(ticks, ticks[1:])), ticks
        assert ticks[0] >= welcome["tick"]
        times = [frame["time_s"] for frame in frames]
        assert all(later > earlier for earlier, later in zip(times, times[1:])), times
        for frame in frames:
            assert len(frame["bodies"]) == len(names)
            assert all(len(row) == 6 for row in frame["bodies"])
        ship = own_ship(frames[0], player.ship_id)
        assert ship is not None
        assert ship["owner"] == player.player_id
        assert ship["mode"] == "hold"
        assert ship["primary"] == "Earth"


def test_welcome_is_first_message(servers):
    # A fast tick and many connections make the race between the welcome and the first broadcast
    # show within a second. At 500 Hz, 2 to 3 % of 400 connections got a state frame first here.
    server = servers.new(tick_rate=500)
    player = server.register()

    def first_message_type(_):
        with server.connect(player.token, compression=None) as ws:
            return json.loads(ws.recv(timeout=10))["type"]

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        types = list(pool.map(first_message_type, range(400)))
    assert types.count("welcome") == len(types), f"first messages: {sorted(set(types))}"


def test_prograde_burn_raises_orbit(server):
    player = server.register()
    before = server.ship(player)
    with server.connect(player.token) as ws:
        receive_welcome(ws)
        response = send_and_reply(
            ws,
            {"type": "steer", "seq": 7, "ship_id": player.ship_id, "attitude_mode": "prograde", "throttle": 1},
        )
        assert response == {"type": "ack", "seq": 7}

        burning = receive_until(
            ws,
            lambda m: m["type"] == "state"
            and (own_ship(m, player.ship_id) or {}).get("thrust_n", 0) > 0,
            timeout=5,
        )
        ship = own_ship(burning, player.ship_id)
        assert ship["mode"] == "prograde"
        assert ship["throttle"] == 1

        later = frames_for(ws, 4)[-1]
        assert own_ship(later, player.ship_id)["fuel_kg"] < before["fuel_kg"]

    after = server.ship(player)
    assert after["mode"] == "prograde"
    assert after["fuel_kg"] < before["fuel_kg"]
    # Four seconds at full thrust in low orbit add kilometres to the semi-major axis.
    assert after["elements"]["a_m"] > before["elements"]["a_m"] + 1000
    assert after["elements"]["period_s"] > before["elements"]["period_s"]


def test_reconnect_resumes_same_ship(server):
    player = server.register()
    with server.connect(player.token) as ws:
        first = receive_welcome(ws)
        state_frames(ws, 2)
    with server.connect(player.token) as ws:
        second = receive_welcome(ws)
        frame = state_frames(ws, 1)[0]
    assert first["ships"] == [player.ship_id]
    assert second["ships"] == [player.ship_id]
    assert second["tick"] >= first["tick"]
    assert own_ship(frame, player.ship_id) is not None

    # A new log-in (a new session) keeps the same ship and adds none.
    assert server.login(player).status == 200
    with server.connect(player.token) as ws:
        third = receive_welcome(ws)
    assert third["ships"] == [player.ship_id]
    ships = server.request("GET", "/api/v1/ships", token=player.token).json()["ships"]
    assert [ship["id"] for ship in ships] == [player.ship_id]


def test_view_shows_and_removes_other_ships(server):
    alice = server.register()
    bob = server.register()
    with server.connect(bob.token) as ws:
        receive_welcome(ws)
        response = send_and_reply(
            ws, {"type": "view", "seq": 1, "focus": {"ship": alice.ship_id}, "radius_m": 1000}
        )
        assert response == {"type": "ack", "seq": 1}
        seen = receive_until(ws, lambda m: m["type"] == "state" and own_ship(m, alice.ship_id), timeout=5)
        other = own_ship(seen, alice.ship_id)
        assert len(other["p"]) == 3
        assert len(other["v"]) == 3
        assert len(other["q"]) == 4
        # Other players' ships carry no steering or fuel detail.
        assert "fuel_kg" not in other
        assert "throttle" not in other

        response = send_and_reply(ws, {"type": "view", "seq": 2, "focus": {"body": "Sun"}, "radius_m": 1000})
        assert response == {"type": "ack", "seq": 2}
        removal = receive_until(
            ws, lambda m: m["type"] == "state" and alice.ship_id in m.get("removed", []), timeout=5
        )
        assert own_ship(removal, alice.ship_id) is None
        later = state_frames(ws, 3)
        assert all(own_ship(frame, alice.ship_id) is None for frame in later)


def test_logout_invalidates_token(server):
    player = server.register()
    other_session = server.request(
        "POST", "/api/v1/login", {"username": player.username, "password": player.password}
    ).json()["token"]

    result = server.request("POST", "/api/v1/logout", token=player.token)
    assert result.status == 204

    me = server.request("GET", "/api/v1/me", token=player.token)
    assert me.status == 401
    assert me.error_code == "unauthorized"
    assert me.headers.get("www-authenticate") == "Bearer"
    with pytest.raises(InvalidStatus) as rejected:
        server.connect(player.token)
    assert rejected.value.response.status_code == 401
    again = server.request("POST", "/api/v1/logout", token=player.token)
    assert again.status == 401

    # Logging out ends one session, not the player's others.
    assert server.request("GET", "/api/v1/me", token=other_session).status == 200


def test_delete_account_removes_player_and_ship(server):
    player = server.register()
    witness = server.register()
    with server.connect(player.token) as ws:
        receive_welcome(ws)
        result = server.request("DELETE", "/api/v1/me", token=player.token)
        assert result.status == 204
        assert close_code(ws, timeout=5) == 1008

    assert server.request("GET", "/api/v1/me", token=player.token).status == 401
    login = server.request("POST", "/api/v1/login", {"username": player.username, "password": player.password})
    assert login.status == 401
    assert login.error_code == "invalid_credentials"

    # The ship leaves the world: another player now gets 404, not 403 (someone else's ship).
    deadline = time.monotonic() + 5
    status = None
    while time.monotonic() < deadline:
        status = server.request("GET", f"/api/v1/ships/{player.ship_id}", token=witness.token).status
        if status == 404:
            break
        time.sleep(0.2)
    assert status == 404

    # The username is free again.
    assert server.register(player.username).username == player.username


def test_register_with_chunked_body_gets_411(server):
    """The server reads only Content-Length bodies and rejects a chunked one at once instead of waiting for a chunked one."""
    body = json.dumps({"username": unique_username(), "password": PASSWORD}).encode()
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request(
        "POST",
        "/api/v1/register",
        body=iter([body[:10], body[10:]]),
        headers={"Content-Type": "application/json", "Connection": "close"},
        encode_chunked=True,
    )
    response = connection.getresponse()
    payload = json.loads(response.read())
    connection.close()
    assert response.status == 411, payload
    assert payload["error"]["code"] == "length_required"
    assert server.healthy()


def test_bodiless_post_is_handled_once(server):
    before = server.metrics()["galaxy_http_requests_total"]
    unauthorized = server.request("POST", "/api/v1/logout", token="0" * 64)
    after = server.metrics()["galaxy_http_requests_total"]
    assert unauthorized.status == 401
    # The POST, plus the second /metrics request, which counts itself.
    assert after - before == 2

    players = [server.register() for _ in range(20)]
    statuses = [server.request("POST", "/api/v1/logout", token=player.token).status for player in players]
    assert statuses == [204] * len(players)
