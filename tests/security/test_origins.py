"""Browser origins: one rule (graph/origins.py) for HTTP CORS and WebSocket handshakes.

Allowed: the server's own origin, CORS_ALLOWED_ORIGINS, and with CORS_ALLOW_LOCALHOST (on
with DEBUG) any http://localhost:<port> / 127.0.0.1:<port> page. ALLOWED_HOSTS patterns
never allow an origin. A socket without Origin (no browser) signs in with a bearer token
only; the session cookie signs a socket in only with an allowed Origin.
"""

import asyncio
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.test import Client

from realtime.broker import Broker
from realtime.runtime import runtime
from social.models import User
from social.services.tokens import access_token_issue
from tests.factories import make_user
from tests.websocket import fixtures
from tests.websocket.client import TRANSPORT_WS, WSClient, until

pytestmark = pytest.mark.django_db(transaction=True)
_ws_settings = fixtures._ws_settings
event_broker = fixtures.event_broker
live_runtime = fixtures.live_runtime

HOST = "api.example.com"
OWN = "https://api.example.com"
CONFIGURED = "https://app.example.com"
DEV_SERVER = "http://localhost:5173"
SUBSCRIPTION = "subscription { notificationAdded { cursor } }"


@pytest.fixture(autouse=True)
def _production_like(settings: Any) -> None:
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = [".example.com", "localhost", "127.0.0.1", "testserver"]
    settings.CORS_ALLOWED_ORIGINS = [CONFIGURED]
    settings.CORS_ALLOW_LOCALHOST = False


def http_allows(origin: str, host: str = HOST) -> bool:
    """Whether a browser would let a page on `origin` read the API's answer (preflight)."""
    response = Client().options(
        "/graphql",
        HTTP_ORIGIN=origin,
        HTTP_HOST=host,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
    )
    return response.headers.get("access-control-allow-origin") == origin


async def ws_outcome(
    *, origin: str | None, token: str | None = None, cookie: str | None = None, host: str = HOST
) -> str:
    """ "refused" (handshake), "signed in" or "anonymous" (what a subscription then gets)."""
    headers = [(b"host", host.encode())]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    if cookie is not None:
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    client = WSClient(TRANSPORT_WS, headers=headers)
    connected, _ = await client.communicator.connect()
    if not connected:
        return "refused"
    client.connected = True
    try:
        await client.connect(token)
        await client.subscribe("1", SUBSCRIPTION)
        deadline = asyncio.get_running_loop().time() + 5
        while await client.communicator.receive_nothing(timeout=0.02):
            if runtime().broker.subscription_count() > 0:
                return "signed in"  # subscribed, waiting for events
            assert asyncio.get_running_loop().time() < deadline, "neither subscribed nor refused"
        message = await client.receive()
        payload = message["payload"]
        errors = payload if isinstance(payload, list) else payload.get("errors", [payload])
        assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED", message
        return "anonymous"
    finally:
        await client.close()
        await until(lambda: runtime().broker.subscription_count() == 0)


@pytest.fixture
def alice(db: None) -> User:
    return make_user("alice")


@pytest.fixture
def session_cookie(alice: User) -> str:
    client = Client()
    client.force_login(alice)
    return str(client.cookies["sessionid"].value)


ORIGINS = [
    (OWN, True),
    (CONFIGURED, True),
    ("https://app.example.com:443", True),  # the same origin, spelled with its default port
    ("http://app.example.com", False),  # another scheme is another origin
    ("https://evil.example.com", False),  # matches ALLOWED_HOSTS' ".example.com": not enough
    ("https://evil.example.net", False),
    (DEV_SERVER, False),  # production: only configured origins
    ("http://127.0.0.1:3000", False),
    ("null", False),
]


@pytest.mark.parametrize(("origin", "allowed"), ORIGINS)
def test_http_cors_follows_the_allow_list(origin: str, allowed: bool) -> None:
    assert http_allows(origin) is allowed


@pytest.mark.parametrize(("origin", "allowed"), ORIGINS)
async def test_websocket_follows_the_same_allow_list_with_a_bearer_token(
    origin: str, allowed: bool, alice: User, event_broker: Broker
) -> None:
    token = access_token_issue(user=alice)
    expected = "signed in" if allowed else "refused"
    assert await ws_outcome(origin=origin, token=token) == expected


@pytest.mark.parametrize(("origin", "allowed"), ORIGINS)
async def test_the_session_cookie_signs_a_socket_in_only_from_an_allowed_origin(
    origin: str, allowed: bool, session_cookie: str, event_broker: Broker
) -> None:
    expected = "signed in" if allowed else "refused"
    assert await ws_outcome(origin=origin, cookie=session_cookie) == expected


async def test_without_origin_a_bearer_token_signs_in_and_the_cookie_does_not(
    alice: User, session_cookie: str, event_broker: Broker
) -> None:
    token = access_token_issue(user=alice)
    # Native apps and servers send no Origin: a bearer token is their credential.
    assert await ws_outcome(origin=None, token=token) == "signed in"
    assert await ws_outcome(origin=None, token=token, cookie=session_cookie) == "signed in"
    # A cookie alone is ambient authority: without an allowed Origin it signs nobody in.
    assert await ws_outcome(origin=None, cookie=session_cookie) == "anonymous"
    assert await ws_outcome(origin=None) == "anonymous"


LOCAL_ORIGINS = [
    "http://localhost:5173",
    "http://localhost:3000",
    "http://127.0.0.1:8080",
    "http://localhost",
    "http://[::1]:4200",
]


@pytest.mark.parametrize("origin", LOCAL_ORIGINS)
async def test_with_debug_any_local_dev_server_may_call_over_http_and_websocket(
    origin: str, settings: Any, alice: User, event_broker: Broker
) -> None:
    settings.DEBUG = True
    settings.CORS_ALLOW_LOCALHOST = True  # what DEBUG gives it in config/settings.py
    settings.CORS_ALLOWED_ORIGINS = []
    token = access_token_issue(user=alice)
    assert await database_sync_to_async(http_allows)(origin, host="127.0.0.1:8000")
    assert await ws_outcome(origin=origin, token=token, host="127.0.0.1:8000") == "signed in"
    # Not a page on this machine: still refused.
    assert not await database_sync_to_async(http_allows)("http://localhost.evil.test:5173")
    assert await ws_outcome(origin="http://localhost.evil.test", token=token) == "refused"


def test_with_debug_a_dev_server_page_reads_the_answer_of_a_signed_in_post(
    settings: Any, alice: User
) -> None:
    settings.DEBUG = True
    settings.CORS_ALLOW_LOCALHOST = True
    response = Client().post(
        "/graphql",
        '{"query": "{ me { username } }"}',
        content_type="application/json",
        HTTP_ORIGIN=DEV_SERVER,
        HTTP_HOST="127.0.0.1:8000",
        HTTP_AUTHORIZATION=f"Bearer {access_token_issue(user=alice)}",
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"me": {"username": "alice"}}}
    assert response.headers["access-control-allow-origin"] == DEV_SERVER


@pytest.mark.parametrize("origin", LOCAL_ORIGINS)
async def test_without_debug_local_dev_servers_need_configuring(
    origin: str, alice: User, event_broker: Broker
) -> None:
    token = access_token_issue(user=alice)
    assert not await database_sync_to_async(http_allows)(origin, host="127.0.0.1:8000")
    assert await ws_outcome(origin=origin, token=token, host="127.0.0.1:8000") == "refused"


def test_debug_turns_the_localhost_rule_on_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    import config.settings

    try:
        monkeypatch.setenv("DEBUG", "true")
        monkeypatch.delenv("CORS_ALLOW_LOCALHOST", raising=False)
        assert importlib.reload(config.settings).CORS_ALLOW_LOCALHOST is True
        monkeypatch.setenv("DEBUG", "false")
        assert importlib.reload(config.settings).CORS_ALLOW_LOCALHOST is False
        monkeypatch.setenv("CORS_ALLOW_LOCALHOST", "true")
        assert importlib.reload(config.settings).CORS_ALLOW_LOCALHOST is True
    finally:
        monkeypatch.undo()
        importlib.reload(config.settings)


def test_an_allowed_page_may_send_the_headers_apollo_client_adds() -> None:
    # Apollo Client sends these when the app names itself (`clientAwareness`); a header the
    # preflight does not allow fails the whole request in the browser.
    requested = (
        "authorization, content-type, apollographql-client-name, apollographql-client-version,"
        " apollographql-library-name, apollographql-library-version"
    )
    response = Client().options(
        "/graphql",
        HTTP_ORIGIN=CONFIGURED,
        HTTP_HOST=HOST,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS=requested,
    )
    assert response.headers["access-control-allow-origin"] == CONFIGURED
    allowed = {h.strip() for h in response.headers["access-control-allow-headers"].split(",")}
    assert {h.strip() for h in requested.split(",")} <= allowed
