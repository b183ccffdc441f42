"""A session signed out through one process stops working on another within a second:
its access token is refused over HTTP and its open socket is closed, whichever way it was
signed out (logout, revokeSession from another device, a password change there, deletion).

Runs in both CI passes: two real web processes (the Procfile's line) on a throw-away
PostgreSQL database and the machine's Redis, whatever DATABASE_URL says.
"""

import asyncio
import contextlib
import json
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.services import redis_url
from tests.websocket import servers
from tests.websocket.test_multiprocess import _server_url

# Its servers run on databases of their own: the same in both passes of .ci/run.
pytestmark = pytest.mark.own_servers

LOGIN = """
mutation ($login: String!) {
  login(input: {login: $login, password: "a-long-test-password-9"}) { accessToken refreshToken }
}
"""
LOGOUT = "mutation ($t: String) { logout(refreshToken: $t) { ok } }"
SESSIONS = "{ sessions { id userAgent } }"
REVOKE = "mutation ($id: ID!) { revokeSession(id: $id) { ok } }"
CHANGE_PASSWORD = """
mutation { changePassword(input: {currentPassword: "a-long-test-password-9",
  newPassword: "another-long-secret-77"}) { ok } }
"""
DELETE = 'mutation { deleteAccount(password: "a-long-test-password-9") { ok } }'

HOME_FEED = "{ homeFeed(first: 1) { edges { cursor } } }"
NOTIFICATION_ADDED = "subscription { notificationAdded { notification { kind } } }"


@pytest.fixture(scope="module")
def two_servers() -> Iterator[tuple[int, int]]:
    pg, redis = _server_url(), redis_url()
    with servers.throwaway_database(pg) as database_url:
        env = servers.server_env(database_url, redis)
        servers.migrate(env)
        ports = (servers.free_port(), servers.free_port())
        processes = [servers.start_web(env, port) for port in ports]
        try:
            for process, port in zip(processes, ports, strict=True):
                servers.wait_ready(process, port)
            yield ports
        finally:
            for process in processes:
                servers.stop(process)


def _post(
    port: int, query: str, variables: dict[str, Any], token: str = "", agent: str = "Test"
) -> Any:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query, "variables": variables}).encode(),
        headers={"Content-Type": "application/json", "User-Agent": agent}
        | ({"Authorization": f"Bearer {token}"} if token else {}),
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - http only
        return json.loads(response.read())


def _refused(result: dict[str, Any]) -> bool:
    errors = result.get("errors") or []
    return bool(errors) and errors[0]["extensions"]["code"] == "UNAUTHENTICATED"


def _sign_out(way: str, port: int, phone: dict[str, str], laptop: dict[str, str]) -> None:
    """Signs the phone's session out through process `port`, `way`."""
    if way == "logout":
        result = _post(port, LOGOUT, {"t": phone["refreshToken"]}, phone["accessToken"])
        assert result["data"]["logout"]["ok"], result
        return
    if way == "revokeSession":
        sessions = _post(port, SESSIONS, {}, laptop["accessToken"])["data"]["sessions"]
        (other,) = [s["id"] for s in sessions if s["userAgent"] == "Phone"]
        result = _post(port, REVOKE, {"id": other}, laptop["accessToken"])
        assert result["data"]["revokeSession"]["ok"], result
        return
    document = {"changePassword": CHANGE_PASSWORD, "deleteAccount": DELETE}[way]
    result = _post(port, document, {}, laptop["accessToken"])
    assert result["data"][way]["ok"], result


@pytest.mark.parametrize("way", ["logout", "revokeSession", "changePassword", "deleteAccount"])
async def test_a_session_signed_out_on_one_process_stops_on_the_other_within_a_second(
    two_servers: tuple[int, int], way: str
) -> None:
    one, two = two_servers
    username = f"alice_{way.lower()}"
    await asyncio.to_thread(servers.register, one, username)
    phone, laptop = [
        (await asyncio.to_thread(_post, one, LOGIN, {"login": username}, "", agent))["data"][
            "login"
        ]
        for agent in ("Phone", "Laptop")
    ]
    token = phone["accessToken"]
    # Process two knows the token: its signature check is remembered there.
    assert "errors" not in await asyncio.to_thread(_post, two, HOME_FEED, {}, token)
    ws = await servers.ws_subscribe(two, token, NOTIFICATION_ADDED)
    try:
        await asyncio.sleep(0.5)  # the subscription registers
        await asyncio.to_thread(_sign_out, way, one, phone, laptop)
        signed_out = time.monotonic()

        refused_after = None
        while time.monotonic() - signed_out < 1.0:
            if _refused(await asyncio.to_thread(_post, two, HOME_FEED, {}, token)):
                refused_after = time.monotonic() - signed_out
                break
            await asyncio.sleep(0.02)
        assert refused_after is not None, "process two still accepts the token after 1 s"
        print(f"{way}: refused on process two after {refused_after * 1000:.0f} ms")

        left = max(0.05, 1.0 - (time.monotonic() - signed_out))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(ws.wait_closed(), left)
        assert ws.close_code == 4403, "the socket on process two is still open after 1 s"
    finally:
        with contextlib.suppress(Exception):
            await ws.close()
