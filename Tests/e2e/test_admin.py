"""The operators' API under /api/v1/admin: token checks, pause and resume, warp, players, ships, kick."""
import pytest
from websockets.exceptions import ConnectionClosed

from support import receive_until, receive_welcome

ADMIN_TOKEN = "operator-secret-token"


@pytest.fixture
def admin_server(servers):
    return servers.new(admin_token=ADMIN_TOKEN)


def admin(server, method, path, body=None, token=ADMIN_TOKEN):
    return server.request(method, f"/api/v1/admin/{path}", body=body, token=token)


def test_admin_api_disabled_without_token(server):
    result = admin(server, "GET", "status")
    assert result.status == 403
    assert "--admin-token" in result.json()["error"]["message"]


@pytest.mark.parametrize("token", [None, "wrong", ADMIN_TOKEN + "x", ""])
def test_admin_rejects_bad_token(admin_server, token):
    result = admin(admin_server, "GET", "status", token=token)
    assert result.status == 401
    assert result.json()["error"]["code"] == "unauthorized"


def test_player_token_is_not_admin(admin_server):
    player = admin_server.register()
    assert admin(admin_server, "GET", "status", token=player.token).status == 401


def test_status_reports_engine_and_connections(admin_server):
    player = admin_server.register()
    with admin_server.connect(player.token) as ws:
        receive_welcome(ws)
        status = admin(admin_server, "GET", "status").json()
    assert status["tick"] > 0
    assert status["paused"] is False
    assert status["effective_warp"] == 1
    assert status["connections"] == 1
    assert status["ships"] >= 5


def test_pause_and_resume_reach_state_frames(admin_server):
    player = admin_server.register()
    with admin_server.connect(player.token) as ws:
        receive_welcome(ws)
        assert admin(admin_server, "POST", "pause").status == 204
        paused = receive_until(ws, lambda m: m["type"] == "state" and m["paused"], timeout=5)
        later = receive_until(ws, lambda m: m["type"] == "state", timeout=5)
        assert later["time_s"] == paused["time_s"]
        assert admin(admin_server, "POST", "resume").status == 204
        resumed = receive_until(ws, lambda m: m["type"] == "state" and not m["paused"], timeout=5)
        moving = receive_until(ws, lambda m: m["type"] == "state", timeout=5)
        assert moving["time_s"] > resumed["time_s"] - 1e-9


def test_warp_changes_game_seconds_per_tick(admin_server):
    player = admin_server.register()
    assert admin(admin_server, "POST", "warp", {"warp": 100}).status == 204
    with admin_server.connect(player.token) as ws:
        receive_welcome(ws)
        first = receive_until(ws, lambda m: m["type"] == "state" and m["warp"] == 100, timeout=5)
        second = receive_until(ws, lambda m: m["type"] == "state", timeout=5)
    # 10 ticks a second at 100x: 10 game seconds per tick.
    assert second["time_s"] - first["time_s"] == pytest.approx(10.0 * (second["tick"] - first["tick"]))


@pytest.mark.parametrize(
    "body, field",
    [({"warp": 0.5}, "warp"), ({"warp": 1e9}, "warp"), ({"warp": "fast"}, "warp"), ({"warp": True}, "warp"), ({}, "warp")],
)
def test_warp_rejects_bad_values(admin_server, body, field):
    result = admin(admin_server, "POST", "warp", body)
    assert result.status == 400
    assert field in result.json()["error"]["message"]


def test_players_lists_online_players_with_search(admin_server):
    alice = admin_server.register("alice_admin_test")
    bob = admin_server.register("bob_admin_test")
    with admin_server.connect(alice.token) as a, admin_server.connect(bob.token) as b:
        receive_welcome(a)
        receive_welcome(b)
        everyone = admin(admin_server, "GET", "players").json()["players"]
        only_alice = admin(admin_server, "GET", "players?search=ALICE").json()["players"]
    assert {p["username"] for p in everyone} == {"alice_admin_test", "bob_admin_test"}
    assert [p["id"] for p in only_alice] == [alice.player_id]
    assert only_alice[0]["ships"] == [alice.ship_id]


def test_inspect_any_ship(admin_server):
    player = admin_server.register()
    ship = admin(admin_server, "GET", f"ships/{player.ship_id}").json()
    assert ship["id"] == player.ship_id
    assert ship["owner"] == player.player_id
    assert admin(admin_server, "GET", "ships/999999").status == 404
    assert admin(admin_server, "GET", "ships/abc").status == 400


def test_kick_closes_player_connections(admin_server):
    player = admin_server.register()
    with admin_server.connect(player.token) as ws:
        receive_welcome(ws)
        result = admin(admin_server, "POST", "kick", {"player_id": player.player_id})
        assert result.status == 200
        assert result.json()["closed_connections"] == 1
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                ws.recv(timeout=5)
    assert closed.value.rcvd.code == 1008
    assert admin(admin_server, "POST", "kick", {"player_id": player.player_id}).status == 404
    assert admin(admin_server, "POST", "kick", {"player_id": "x"}).status == 400
    assert admin_server.healthy()


def test_wrong_method_on_admin_path(admin_server):
    assert admin(admin_server, "GET", "pause").status == 405
    assert admin(admin_server, "GET", "nothing").status == 404
