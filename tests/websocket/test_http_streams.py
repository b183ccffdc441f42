"""Subscriptions over HTTP (graph/http_streams.py), through the ASGI handler production runs
(config/asgi_http.py): graphql-sse's distinct-connections mode and Apollo's multipart
subscriptions, with the WebSocket path's auth, limits, resume and delivery."""

import asyncio
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.test import Client

from config.asgi_http import OneHopHTTPHandler
from graph.pagination import encode_cursor
from notifications.models import Notification
from realtime.broker import Broker
from realtime.runtime import runtime
from social import revocations
from social.models import Post, User
from tests.factories import make_follow, make_user
from tests.websocket.client import until

pytestmark = pytest.mark.django_db(transaction=True)

SSE = "text/event-stream"
MULTIPART = 'multipart/mixed;boundary="graphql";subscriptionSpec=1.0,application/json'
NOTIFICATION_ADDED = (
    "subscription ($after: String) { notificationAdded(after: $after) "
    "{ cursor notification { kind actor { username } } } }"
)


class Stream:
    """One HTTP request to the ASGI handler, read as the server writes it."""

    def __init__(self, accept: str, body: Any, *, method: str = "POST", **headers: str) -> None:
        self.raw = json.dumps(body).encode() if method == "POST" else b""
        query = b""
        if method == "GET":
            from urllib.parse import urlencode

            query = urlencode(
                {k: json.dumps(v) if isinstance(v, dict) else v for k, v in body.items()}
            ).encode()
        self.scope = {
            "type": "http",
            "method": method,
            "path": "/graphql",
            "root_path": "",
            "scheme": "http",
            "query_string": query,
            "headers": [
                (b"host", b"testserver"),
                (b"content-type", b"application/json"),
                (b"accept", accept.encode()),
                *((k.replace("_", "-").lower().encode(), v.encode()) for k, v in headers.items()),
            ],
            "client": ("127.0.0.1", 5000),
            "server": ("testserver", 80),
        }
        self.start: dict[str, Any] | None = None
        self.body = b""
        self.finished = False
        self.stall = False
        self.changed = asyncio.Event()
        self.gone = asyncio.Event()
        self.task = asyncio.ensure_future(
            OneHopHTTPHandler()(self.scope, self._receive, self._send)
        )

    async def _receive(self) -> dict[str, Any]:
        if self.raw is not None:
            body, self.raw = self.raw, None  # type: ignore[assignment]
            return {"type": "http.request", "body": body, "more_body": False}
        await self.gone.wait()
        return {"type": "http.disconnect"}

    async def _send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.start = message
        else:
            if self.stall:
                await asyncio.Event().wait()  # a client that stopped reading
            self.body += message.get("body", b"")
            self.finished = not message.get("more_body", False)
        self.changed.set()

    def header(self, name: str) -> bytes:
        assert self.start is not None
        return {k.lower(): v for k, v in self.start["headers"]}.get(name.encode(), b"")

    async def status(self) -> int:
        await until(lambda: self.start is not None)
        assert self.start is not None
        return int(self.start["status"])

    async def text(self, condition: Callable[[str], bool], timeout: float = 5) -> str:
        await until(lambda: condition(self.body.decode()) or self.finished, timeout)
        return self.body.decode()

    def events(self) -> list[tuple[str, Any]]:
        """SSE: (event, data) pairs; multipart: ("part", JSON) pairs."""
        text = self.body.decode()
        if b"event-stream" in self.header("content-type"):
            found = []
            for block in text.split("\r\n\r\n"):
                fields = dict(
                    line.split(": ", 1) for line in block.split("\r\n") if ": " in line[1:]
                )
                if "event" in fields:
                    found.append((fields["event"], json.loads(fields["data"] or "null")))
            return found
        parts = []
        for chunk in text.split("\r\n--graphql"):
            _, _, payload = chunk.partition("\r\n\r\n")
            if payload.strip():
                parts.append(("part", json.loads(payload)))
        return parts

    def data(self) -> list[Any]:
        return [value for kind, value in self.events() if kind == "next"]

    async def close(self) -> None:
        self.gone.set()
        await asyncio.wait_for(self.task, 5)


def _bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def _subscribed(broker: Broker, count: int = 1) -> None:
    await until(lambda: broker.subscription_count() >= count and broker.ready.is_set())
    # Its starting point read too: SQLite's shared in-memory test database refuses a read
    # beside another thread's write instead of waiting.
    await until(lambda: runtime().loaders.latest_ids._running is None)


def _kinds(stream: Stream) -> list[str]:
    return [
        d["data"]["notificationAdded"]["notification"]["actor"]["username"] for d in stream.data()
    ]


async def test_sse_delivers_a_notification_as_next_events(
    event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    alice = await database_sync_to_async(make_user)("alice")
    bob = await database_sync_to_async(make_user)("bob")
    stream = Stream(SSE, {"query": NOTIFICATION_ADDED}, **_bearer(token_for(alice)))
    assert await stream.status() == 200
    assert stream.header("content-type") == b"text/event-stream"
    await _subscribed(event_broker)
    await database_sync_to_async(make_follow)(bob, alice)
    await stream.text(lambda t: "event: next" in t)
    assert _kinds(stream) == ["bob"]
    await stream.close()
    await until(lambda: event_broker.subscription_count() == 0)


async def test_multipart_delivers_payload_parts_and_heartbeats(
    event_broker: Broker, token_for: Callable[[User], str], settings: Any
) -> None:
    settings.HTTP_STREAM_KEEPALIVE_INTERVAL = 0.05
    alice = await database_sync_to_async(make_user)("alice")
    bob = await database_sync_to_async(make_user)("bob")
    stream = Stream(MULTIPART, {"query": NOTIFICATION_ADDED}, **_bearer(token_for(alice)))
    assert await stream.status() == 200
    content_type = stream.header("content-type")
    assert content_type.startswith(b"multipart/mixed;boundary=graphql;subscriptionSpec=1.0")
    await _subscribed(event_broker)
    await database_sync_to_async(make_follow)(bob, alice)
    await stream.text(lambda t: "payload" in t)
    await asyncio.sleep(0.2)
    parts = [value for _, value in stream.events()]
    assert {} in parts  # heartbeats
    payloads = [p["payload"] for p in parts if p]
    assert payloads[0]["data"]["notificationAdded"]["notification"]["actor"]["username"] == "bob"
    await stream.close()


async def test_sse_heartbeat_keeps_an_idle_stream_alive(
    event_broker: Broker, token_for: Callable[[User], str], settings: Any
) -> None:
    settings.HTTP_STREAM_KEEPALIVE_INTERVAL = 0.05
    alice = await database_sync_to_async(make_user)("alice")
    stream = Stream(SSE, {"query": NOTIFICATION_ADDED}, **_bearer(token_for(alice)))
    assert (await stream.text(lambda t: t.count(": ping") >= 2)).count(": ping") >= 2
    await stream.close()


async def test_resume_with_after_replays_what_came_since(
    event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    alice = await database_sync_to_async(make_user)("alice")
    fans = [await database_sync_to_async(make_user)(f"fan{i}") for i in range(3)]
    for fan in fans:
        await database_sync_to_async(make_follow)(fan, alice)
    first = await database_sync_to_async(
        lambda: Notification.objects.filter(recipient=alice).order_by("id").first()
    )()
    after = encode_cursor("notifications", [first.pk])
    stream = Stream(
        MULTIPART,
        {"query": NOTIFICATION_ADDED, "variables": {"after": after}},
        **_bearer(token_for(alice)),
    )
    await stream.text(lambda t: t.count('"payload"') >= 2)
    names = [
        p["payload"]["data"]["notificationAdded"]["notification"]["actor"]["username"]
        for _, p in stream.events()
        if p
    ]
    assert names == ["fan1", "fan2"]
    await stream.close()


@pytest.mark.parametrize("accept", [SSE, MULTIPART])
async def test_a_cursor_of_another_type_or_another_user_is_bad_user_input(
    accept: str, event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    alice = await database_sync_to_async(make_user)("alice")
    bob = await database_sync_to_async(make_user)("bob")
    carol = await database_sync_to_async(make_user)("carol")
    await database_sync_to_async(make_follow)(carol, bob)
    bobs = await database_sync_to_async(lambda: Notification.objects.get(recipient=bob).pk)()
    for cursor in (encode_cursor("posts", [1, 2]), encode_cursor("notifications", [bobs])):
        stream = Stream(
            accept,
            {"query": NOTIFICATION_ADDED, "variables": {"after": cursor}},
            **_bearer(token_for(alice)),
        )
        await stream.text(lambda t: "BAD_USER_INPUT" in t)
        assert await stream.status() == 200
        [result] = [v.get("payload", v) for _, v in stream.events() if v]
        assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        await until(lambda s=stream: s.finished)  # type: ignore[misc]
        await stream.close()
    assert event_broker.subscription_count() == 0


@pytest.mark.parametrize("accept", [SSE, MULTIPART])
@pytest.mark.parametrize(
    "query",
    ["{ viewer { username } }", 'mutation { createPost(input: {body: "x"}) { errors { code } } }'],
)
async def test_a_query_or_mutation_asking_for_a_stream_is_refused_and_never_runs(
    accept: str, query: str, event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    alice = await database_sync_to_async(make_user)("alice")
    stream = Stream(accept, {"query": query}, **_bearer(token_for(alice)))
    assert await stream.status() == 400
    await stream.text(lambda t: False, timeout=0.5) if not stream.finished else None
    assert json.loads(stream.body)["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert not await database_sync_to_async(Post.objects.exists)()
    await stream.close()


async def test_a_stream_refused_is_a_graphql_response_for_apollo(event_broker: Broker) -> None:
    # What Apollo Client 4's HttpLink sends for a subscription: it reads a 4xx body as a
    # GraphQL response (errors with their codes) only under application/graphql-response+json.
    accept = (
        'multipart/mixed;boundary="graphql";subscriptionSpec=1.0,'
        "application/graphql-response+json,application/json;q=0.9"
    )
    stream = Stream(accept, {"query": "{ viewer { username } }"})
    assert await stream.status() == 400
    assert stream.header("content-type") == b"application/graphql-response+json"
    await until(lambda: stream.finished)
    assert json.loads(stream.body)["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    await stream.close()


@pytest.mark.parametrize("accept", ["text/plain", "multipart/mixed", "image/png, text/csv"])
async def test_an_accept_nothing_serves_is_406(accept: str, event_broker: Broker) -> None:
    stream = Stream(accept, {"query": "{ viewer { username } }"})
    assert await stream.status() == 406
    await until(lambda: stream.finished)
    assert json.loads(stream.body)["errors"][0]["extensions"]["code"] == "NOT_ACCEPTABLE"
    await stream.close()


async def test_an_invalid_token_streams_unauthenticated_and_ends(event_broker: Broker) -> None:
    stream = Stream(SSE, {"query": NOTIFICATION_ADDED}, authorization="Bearer not.a.token")
    await until(lambda: stream.finished)
    [(_, result)] = [e for e in stream.events() if e[0] == "next"]
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "access token is invalid or expired" in result["errors"][0]["message"]
    assert event_broker.subscription_count() == 0
    await stream.close()


def _cookie_session(user: User) -> dict[str, str]:
    client = Client()
    client.force_login(user)
    client.get("/admin/login/")  # sets the csrftoken cookie
    return {name: morsel.value for name, morsel in client.cookies.items()}


async def test_a_cookie_stream_needs_the_csrf_token_on_post(event_broker: Broker) -> None:
    alice = await database_sync_to_async(make_user)("alice")
    cookies = await sync_to_async(_cookie_session)(alice)
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    refused = Stream(SSE, {"query": NOTIFICATION_ADDED}, cookie=cookie)
    assert await refused.status() == 403
    await refused.close()
    allowed = Stream(
        SSE,
        {"query": NOTIFICATION_ADDED},
        cookie=cookie,
        x_csrftoken=cookies["csrftoken"],
        referer="http://testserver/",
    )
    assert await allowed.status() == 200
    await _subscribed(event_broker)
    bob = await database_sync_to_async(make_user)("bob")
    await database_sync_to_async(make_follow)(bob, alice)
    await allowed.text(lambda t: "event: next" in t)
    assert _kinds(allowed) == ["bob"]
    await allowed.close()


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 403),
        ({"origin": "https://evil.example"}, 403),
        ({"sec_fetch_site": "cross-site"}, 403),
        ({"sec_fetch_site": "same-origin"}, 200),
    ],
)
async def test_a_cookie_get_streams_only_to_a_page_of_ours(
    headers: dict[str, str], status: int, event_broker: Broker
) -> None:
    alice = await database_sync_to_async(make_user)("alice")
    cookies = await sync_to_async(_cookie_session)(alice)
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    stream = Stream(SSE, {"query": NOTIFICATION_ADDED}, method="GET", cookie=cookie, **headers)
    assert await stream.status() == status
    await stream.close()


async def test_a_stream_ends_unauthenticated_when_its_token_expires(
    event_broker: Broker, settings: Any
) -> None:
    from social.services.tokens import access_token_issue

    # Long enough for the stream to subscribe first on a loaded machine (CI's second pass
    # once timed out at 1 s: the token expired before the stream was subscribed).
    settings.ACCESS_TOKEN_TTL = timedelta(seconds=3)
    alice = await database_sync_to_async(make_user)("alice")
    token = await database_sync_to_async(access_token_issue)(user=alice)
    stream = Stream(SSE, {"query": NOTIFICATION_ADDED}, **_bearer(token))
    await _subscribed(event_broker)
    await stream.text(lambda t: "event: complete" in t, timeout=8)
    [(_, result)] = [e for e in stream.events() if e[0] == "next"]
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "expired" in result["errors"][0]["message"]
    await until(lambda: event_broker.subscription_count() == 0)
    assert runtime().signed_in.count(alice.pk) == 0
    await stream.close()


async def test_a_stream_ends_when_its_user_is_signed_out(
    event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    alice = await database_sync_to_async(make_user)("alice")
    stream = Stream(MULTIPART, {"query": NOTIFICATION_ADDED}, **_bearer(token_for(alice)))
    await _subscribed(event_broker)
    revocations.announce([], alice.pk)
    await stream.text(lambda t: "UNAUTHENTICATED" in t)
    await until(lambda: stream.finished)
    assert stream.body.decode().endswith("--graphql--\r\n")
    await stream.close()


async def test_a_client_that_stops_reading_is_dropped(
    event_broker: Broker, token_for: Callable[[User], str], settings: Any
) -> None:
    settings.HTTP_STREAM_SEND_TIMEOUT = 0.2
    settings.HTTP_STREAM_KEEPALIVE_INTERVAL = 0.05
    alice = await database_sync_to_async(make_user)("alice")
    stream = Stream(SSE, {"query": NOTIFICATION_ADDED}, **_bearer(token_for(alice)))
    await _subscribed(event_broker)
    stream.stall = True
    # The handler returns (the server then closes the connection) and lets go of all of it.
    await asyncio.wait_for(stream.task, 5)
    await until(lambda: event_broker.subscription_count() == 0)
    assert runtime().signed_in.count(alice.pk) == 0


async def test_streams_count_against_the_connections_per_user(
    event_broker: Broker, token_for: Callable[[User], str], settings: Any
) -> None:
    settings.WS_MAX_CONNECTIONS_PER_USER = 1
    alice = await database_sync_to_async(make_user)("alice")
    first = Stream(SSE, {"query": NOTIFICATION_ADDED}, **_bearer(token_for(alice)))
    await _subscribed(event_broker)
    second = Stream(SSE, {"query": NOTIFICATION_ADDED}, **_bearer(token_for(alice)))
    assert await second.status() == 429
    await second.close()
    await first.close()
    await until(lambda: runtime().signed_in.count(alice.pk) == 0)


async def test_a_body_over_the_limit_is_413_before_anything_runs(
    event_broker: Broker, settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    stream = Stream(SSE, {"query": NOTIFICATION_ADDED + " " * 2000})
    assert await stream.status() == 413
    await stream.close()


async def test_a_trusted_only_server_streams_no_document_outside_its_manifest(
    event_broker: Broker, token_for: Callable[[User], str], settings: Any, tmp_path: Any
) -> None:
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"other": "query Other { me { username } }"}))
    settings.GRAPHQL_TRUSTED_DOCUMENTS = str(manifest)
    settings.GRAPHQL_TRUSTED_ONLY = True
    alice = await database_sync_to_async(make_user)("alice")
    stream = Stream(SSE, {"query": NOTIFICATION_ADDED}, **_bearer(token_for(alice)))
    assert await stream.status() == 400
    await until(lambda: stream.finished)
    assert json.loads(stream.body)["errors"][0]["extensions"]["code"] == (
        "PERSISTED_QUERY_NOT_TRUSTED"
    )
    assert event_broker.subscription_count() == 0
    await stream.close()


async def test_a_query_that_prefers_json_to_a_stream_gets_json(
    event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    # urql's default Accept: every type it reads, JSON first.
    accept = (
        "application/graphql-response+json, application/graphql+json, application/json, "
        "text/event-stream, multipart/mixed"
    )
    alice = await database_sync_to_async(make_user)("alice")
    stream = Stream(accept, {"query": "{ me { username } }"}, **_bearer(token_for(alice)))
    assert await stream.status() == 200
    await until(lambda: stream.finished)
    assert json.loads(stream.body) == {"data": {"me": {"username": "alice"}}}
    await stream.close()


@pytest.mark.parametrize("accept", [SSE, MULTIPART])
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("subscription {", "Syntax Error"),
        (
            "subscription A { unreadNotificationCountChanged } "
            "subscription B { unreadNotificationCountChanged }",
            "The document holds several operations",
        ),
    ],
)
async def test_a_stream_that_cannot_run_is_a_400_with_the_reason(
    accept: str, query: str, message: str, event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    # A stream answers 200 before its first event: a document refused before it runs says
    # why in a JSON answer instead of an empty stream.
    alice = await database_sync_to_async(make_user)("alice")
    stream = Stream(accept, {"query": query}, **_bearer(token_for(alice)))
    assert await stream.status() == 400
    await until(lambda: stream.finished)
    error = json.loads(stream.body)["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["message"].startswith(message)
    assert runtime().broker.subscription_count() == 0
    await stream.close()


async def test_a_streams_document_is_parsed_once(
    event_broker: Broker, token_for: Callable[[User], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The stream's type is read from the schema's document cache: its execution parses nothing.
    from graphql.language.parser import Parser

    parses: list[str] = []
    real_parse = Parser.parse_document

    def counting_parse(parser: Parser) -> Any:
        parses.append(parser._lexer.source.body)
        return real_parse(parser)

    monkeypatch.setattr(Parser, "parse_document", counting_parse)
    alice = await database_sync_to_async(make_user)("alice")
    query = "subscription OnlyOnce { unreadNotificationCountChanged }"
    stream = Stream(SSE, {"query": query}, **_bearer(token_for(alice)))
    assert await stream.status() == 200
    await _subscribed(event_broker)
    assert parses == [query]
    await stream.close()
