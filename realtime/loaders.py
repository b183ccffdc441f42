"""Database reads of the live side, shared by every subscription on this process: keys
asked for while a read runs wait for the next read, which serves them all at once, so under
load the batches grow instead of the queue (bench/RESULTS.md, "Subscription latency tuning").
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

from notifications.selectors import (
    NotificationView,
    latest_notification_ids,
    live_notifications,
    next_mute_expiries,
    unread_counts,
)
from realtime.db import subscription_db
from social.reads.views import PostShape

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# (notification id, recipient id, what is read of its post, viewer flags wanted)
NotificationKey = tuple[int, int, PostShape, bool]
Loaded = tuple[NotificationView | None, int]  # the notification (None if gone), unread count


class CoalescingLoader(Generic[K, V]):
    """Reads the keys asked for together: one read in flight, the next takes all who wait."""

    def __init__(self, read: Callable[[list[K]], Awaitable[dict[K, V]]]) -> None:
        self._read = read
        self._waiting: dict[K, list[asyncio.Future[V]]] = {}
        self._running: asyncio.Future[None] | None = None

    async def load(self, key: K) -> V:
        future: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(key, []).append(future)
        if self._running is None:
            # Named: it is the process's, not the socket's (tests count tasks per socket).
            self._running = asyncio.get_running_loop().create_task(self._run(), name="live-read")
        return await future

    async def _run(self) -> None:
        try:
            # Let the subscriptions woken by the same message join the first read.
            await asyncio.sleep(0)
            while self._waiting:
                batch, self._waiting = self._waiting, {}
                try:
                    values = await self._read(list(batch))
                except Exception as exc:  # each waiter raises it, as a read of its own would
                    for futures in batch.values():
                        for future in futures:
                            if not future.done():
                                future.set_exception(exc)
                    continue
                for key, futures in batch.items():
                    for future in futures:
                        if not future.done():  # its subscription may have ended meanwhile
                            future.set_result(values[key])
        finally:
            self._running = None


@subscription_db
def _read_notifications(keys: list[NotificationKey]) -> dict[NotificationKey, Loaded]:
    """One read per distinct selection among the keys (usually one for all of them)."""
    groups: dict[tuple[PostShape, bool], list[NotificationKey]] = {}
    for key in keys:
        groups.setdefault(key[2:], []).append(key)
    loaded: dict[NotificationKey, Loaded] = {}
    for (shape, flags), group in groups.items():
        rows = live_notifications(
            keys={(pk, recipient) for pk, recipient, _, _ in group}, shape=shape, flags=flags
        )
        for key in group:
            loaded[key] = rows.get(key[:2], (None, 0))
    return loaded


@subscription_db
def _read_latest_ids(recipient_ids: list[int]) -> dict[int, int]:
    return latest_notification_ids(recipient_ids=recipient_ids)


@subscription_db
def _read_unread_counts(recipient_ids: list[int]) -> dict[int, tuple[int, float | None]]:
    counts, ends = (
        unread_counts(recipient_ids=recipient_ids),
        next_mute_expiries(recipient_ids=recipient_ids),
    )
    return {pk: (counts[pk], ends.get(pk)) for pk in recipient_ids}


class LiveLoaders:
    """The loaders of one process (its Runtime's): a notification as its recipient sees it,
    with their fresh unread count; a recipient's newest notification id (0 for none: where
    a subscription starts); a recipient's unread count (a mark-all heard by all their
    devices is one read) and when their next timed mute of notifications ends."""

    def __init__(self) -> None:
        self.notifications: CoalescingLoader[NotificationKey, Loaded]
        self.notifications = CoalescingLoader(_read_notifications)
        self.latest_ids: CoalescingLoader[int, int] = CoalescingLoader(_read_latest_ids)
        self.unread_counts: CoalescingLoader[int, tuple[int, float | None]]
        self.unread_counts = CoalescingLoader(_read_unread_counts)
