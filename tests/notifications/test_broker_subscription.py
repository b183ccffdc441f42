"""The broker's registry of subscriptions (realtime/broker.py) and a stream's bounded queue
(realtime/delivery.py)."""

import asyncio
from dataclasses import dataclass
from typing import Any

import pytest

from realtime import delivery
from realtime.broker import RESYNC, Broker


@dataclass(eq=False)
class _Listener:
    kind: str
    user_id: int


async def test_a_stream_hands_out_payloads_in_order_and_a_reader_waits_for_the_next() -> None:
    stream = delivery.Stream()
    stream.offer("a")
    stream.offer("b")
    assert await stream.get() == "a"
    assert await stream.get() == "b"
    reader = asyncio.ensure_future(stream.get())
    await asyncio.sleep(0)
    assert not reader.done()
    stream.offer("c")
    assert await asyncio.wait_for(reader, 1) == "c"
    assert stream.qsize() == 0


async def test_a_stream_whose_reader_falls_behind_ends_instead_of_growing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(delivery, "STREAM_QUEUE", 3)
    stream = delivery.Stream()
    for n in range(5):
        stream.offer(n)
    assert stream.qsize() == 3 and stream.overflowed


async def test_events_reach_only_the_subscriptions_of_their_kind_and_users() -> None:
    heard: list[tuple[Any, list[Any]]] = []
    events = Broker("", asyncio.get_running_loop(), lambda e, xs: heard.append((e, xs)))
    first, second, other = _Listener("post", 7), _Listener("post", 7), _Listener("post", 8)
    for listener in (first, second, other):
        await events.register(listener)
    events.dispatch({"kind": "notification", "id": 1, "users": [7]})
    assert heard == []
    events.dispatch({"kind": "post", "id": 1, "users": [7]})
    assert len(heard) == 1 and set(heard[0][1]) == {first, second}
    assert heard[0][0].id == 1 and heard[0][0].local_users == [7]
    events.resync_all()
    assert heard[-1][0] is RESYNC and set(heard[-1][1]) == {first, second, other}


async def test_leaving_removes_only_this_subscription() -> None:
    events = Broker("", asyncio.get_running_loop(), lambda e, xs: None)
    first, second = _Listener("k", 7), _Listener("k", 7)
    await events.register(first)
    await events.register(second)
    assert set(events.subscriptions[7]) == {first, second}
    events.remove(second)
    assert events.subscriptions[7] == [first]
    events.remove(first)
    assert events.subscriptions == {}
    assert events.subscription_count() == 0


async def test_a_subscription_cancelled_while_waiting_for_redis_is_removed() -> None:
    events = Broker("redis://127.0.0.1:1/0", asyncio.get_running_loop(), lambda e, xs: None)
    events.start = lambda: None  # type: ignore[method-assign]  # Redis never confirms

    task = asyncio.ensure_future(events.register(_Listener("k", 3)))
    await asyncio.sleep(0.05)
    assert events.subscription_count() == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert events.subscriptions == {}
