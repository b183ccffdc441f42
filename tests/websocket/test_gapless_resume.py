"""notificationAdded(after:): backlog oldest first, then live: no gap or duplicate."""

import asyncio
from collections.abc import Callable

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.db import connection

import notifications.selectors as selectors
import realtime.delivery as subscriptions
from graph.pagination import encode_cursor
from notifications.models import Notification
from realtime.broker import Broker
from social.models import User
from tests.factories import make_follow, make_user
from tests.websocket.client import PROTOCOLS, WSClient, subscribed
from tests.websocket.test_subscriptions import NOTIFICATION_ADDED

pytestmark = pytest.mark.django_db(transaction=True)


def _ids(recipient: User) -> list[int]:
    return list(
        Notification.objects.filter(recipient=recipient).order_by("id").values_list("id", flat=True)
    )


def _cursor(pk: int) -> str:
    return encode_cursor("notifications", [pk])


def _pk_of(event: dict[str, object]) -> int:
    from graph.ids import parse_global_id

    parsed = parse_global_id(event["notification"]["id"])  # type: ignore[index]
    assert parsed is not None
    return parsed[1]


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_replay_then_live_with_a_concurrent_writer(
    protocol: str,
    event_broker: Broker,
    token_for: Callable[[User], str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Small replay pages, so the writer's rows land while the replay is still paging.
    monkeypatch.setattr(selectors, "REPLAY_PAGE", 2)
    monkeypatch.setattr(subscriptions, "REPLAY_PAGE", 2)
    alice = await database_sync_to_async(make_user)("alice")
    fans = [await database_sync_to_async(make_user)(f"fan{i}") for i in range(30)]
    for fan in fans[:6]:
        await database_sync_to_async(make_follow)(fan, alice)
    before = await database_sync_to_async(_ids)(alice)
    resume_from = before[1]

    def write_more() -> None:
        try:
            for fan in fans[6:]:
                make_follow(fan, alice)
        finally:
            connection.close()

    async def write_more_between_reads() -> None:
        # SQLite's shared in-memory test database locks whole tables across threads, so
        # there the writer takes turns with the replay's reads on the ORM thread.
        for fan in fans[6:]:
            await database_sync_to_async(make_follow)(fan, alice)
            await asyncio.sleep(0)

    client = WSClient(protocol)
    await client.connect(token_for(alice))
    await client.subscribe("1", NOTIFICATION_ADDED, {"after": _cursor(resume_from)})
    if connection.vendor == "postgresql":
        writer = asyncio.ensure_future(sync_to_async(write_more, thread_sensitive=False)())
    else:
        writer = asyncio.ensure_future(write_more_between_reads())

    received: list[int] = []
    cursors: list[str] = []
    expected_count = len(before) - 2 + 24
    while len(received) < expected_count:
        event = (await client.next_data("1", timeout=10))["notificationAdded"]
        received.append(_pk_of(event))
        cursors.append(event["cursor"])
    await writer
    assert await client.nothing(0.5)

    everything = await database_sync_to_async(_ids)(alice)
    assert sorted(received) == [pk for pk in everything if pk > resume_from]
    assert len(set(received)) == len(received)
    # The backlog that existed before subscribing comes first, oldest first.
    assert received[:4] == before[2:]
    assert cursors == [_cursor(pk) for pk in received]
    await client.close()


async def test_reconnecting_with_the_last_cursor_misses_nothing(
    event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    alice = await database_sync_to_async(make_user)("alice")
    fans = [await database_sync_to_async(make_user)(f"fan{i}") for i in range(6)]
    client = WSClient()
    await client.connect(token_for(alice))
    await client.subscribe("1", NOTIFICATION_ADDED)
    await subscribed(event_broker, 1)
    for fan in fans[:2]:
        await database_sync_to_async(make_follow)(fan, alice)
    events = [(await client.next_data("1"))["notificationAdded"] for _ in range(2)]
    await client.close()

    # Offline meanwhile: these must arrive on reconnect.
    for fan in fans[2:]:
        await database_sync_to_async(make_follow)(fan, alice)

    again = WSClient()
    await again.connect(token_for(alice))
    await again.subscribe("1", NOTIFICATION_ADDED, {"after": events[-1]["cursor"]})
    replayed = [(await again.next_data("1"))["notificationAdded"] for _ in range(4)]
    assert [e["notification"]["actor"]["username"] for e in replayed] == [
        "fan2",
        "fan3",
        "fan4",
        "fan5",
    ]
    assert [e["unreadNotificationCount"] for e in replayed] == [6, 6, 6, 6]
    assert await again.nothing(0.3)
    await again.close()


@pytest.mark.parametrize(
    "after",
    [
        _cursor(1)[:-2] + "xx",
        # Well-formed cursors of the right kind whose id is not an integer: refused as the
        # notifications query refuses them, not an internal error (nor taken as "12").
        encode_cursor("notifications", ["x"]),
        encode_cursor("notifications", ["12"]),
    ],
    ids=["garbage", "string-id", "numeric-string-id"],
)
async def test_a_bad_cursor_is_refused(
    after: str, event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    alice = await database_sync_to_async(make_user)("alice")
    client = WSClient()
    await client.connect(token_for(alice))
    await client.subscribe("1", NOTIFICATION_ADDED, {"after": after})
    message = await client.receive()
    payload = message["payload"]
    errors = payload if isinstance(payload, list) else payload.get("errors", [payload])
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert event_broker.subscription_count() == 0
    await client.close()
