"""The broker's per-subscription queue and registration (realtime/broker.py)."""

import asyncio

import pytest

from realtime import broker
from realtime.broker import RESYNC, Broker, Subscription


async def test_events_come_out_in_order_and_a_reader_waits_for_the_next() -> None:
    subscription = Subscription(kind="k", user_id=1)
    subscription.put("a")
    subscription.put("b")
    assert await subscription.get() == "a"
    assert await subscription.get() == "b"
    reader = asyncio.ensure_future(subscription.get())
    await asyncio.sleep(0)
    assert not reader.done()
    subscription.put("c")
    assert await asyncio.wait_for(reader, 1) == "c"
    assert subscription.qsize() == 0


async def test_overflow_drops_the_backlog_and_asks_for_a_resync(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(broker, "QUEUE_SIZE", 3)
    subscription = Subscription(kind="k", user_id=1)
    for n in range(5):
        subscription.put(n)
    assert await subscription.get() is RESYNC
    # What was queued is older than what the resync reads: gone.
    assert subscription.qsize() == 0
    subscription.put("after")
    assert await subscription.get() == "after"


async def test_leaving_removes_only_this_subscription() -> None:
    events = Broker("", asyncio.get_running_loop())
    async with events.subscribe(kind="k", user_id=7) as first:
        async with events.subscribe(kind="k", user_id=7) as second:
            assert events.subscriptions[7] == {first, second}
            events.dispatch({"kind": "other", "users": [7]})
            assert first.qsize() == second.qsize() == 0
        assert events.subscriptions[7] == {first}
    assert events.subscriptions == {}
    assert events.subscription_count() == 0


async def test_a_subscription_cancelled_while_waiting_for_redis_is_removed() -> None:
    events = Broker("redis://127.0.0.1:1/0", asyncio.get_running_loop())
    events._start = lambda: None  # type: ignore[method-assign]  # Redis never confirms

    async def subscriber() -> None:
        async with events.subscribe(kind="k", user_id=3):
            raise AssertionError("not ready: never entered")

    task = asyncio.ensure_future(subscriber())
    await asyncio.sleep(0.05)
    assert events.subscription_count() == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert events.subscriptions == {}
