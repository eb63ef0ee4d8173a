"""An open WebSocket ends with its session: after a log-out or an account deletion, the server closes it
with 1008 within seconds, while the player's other sessions stay connected."""

import sqlite3
import time

from support import close_code, receive_welcome, state_frames

# The server checks open WebSockets' tokens every 5 s, and a log-out on the same server drops the cached
# session at once.
CLOSE_WITHIN_S = 15


def test_logout_closes_websocket(server):
    player = server.register()
    first_token = player.token
    assert server.login(player).status == 200
    with server.connect(first_token) as ended, server.connect(player.token) as kept:
        receive_welcome(ended)
        receive_welcome(kept)
        assert server.request("POST", "/api/v1/logout", token=first_token).status == 204
        assert close_code(ended, CLOSE_WITHIN_S) == 1008
        # The session that was not logged out still gets frames.
        assert len(state_frames(kept, 2)) == 2
    assert server.healthy()


def test_expired_token_closes_websocket(server):
    player = server.register()
    with server.connect(player.token) as ws:
        receive_welcome(ws)
        # Expire every stored session while the server runs. Its cache trusts a session for 15 s.
        if server.database_url:
            server.postgres.query(server.database_url, "UPDATE sessions SET expires_at = now() - interval '1 hour'")
        else:
            with sqlite3.connect(server.data_dir / "galaxy.sqlite") as db:
                db.execute("UPDATE sessions SET expires_at = ?", (time.time() - 3600,))
        assert close_code(ws, CLOSE_WITHIN_S + 15) == 1008
    assert server.healthy()
