"""One database read for the live notifications of every subscription on this process.

Each `notificationAdded` subscription that hears of a new notification asks this loader
for it. Requests that arrive while a read runs wait for the next read, which serves all of
them at once (`live_notifications`: six queries whatever the number). Under load the
batches grow instead of the queue: one read per notification, each on the one database
thread that every subscription shares, made deliveries wait behind one another for
seconds (bench/RESULTS.md, "Subscription latency tuning").
"""

from __future__ import annotations

import asyncio
import weakref

from graph.subscription_db import subscription_db
from notifications.models import Notification
from notifications.selectors import live_notifications, unread_counts

Key = tuple[int, int]  # (notification id, recipient id)
Loaded = tuple[Notification | None, int]  # the notification (None if gone), unread count


@subscription_db
def _read(keys: list[Key]) -> dict[Key, Loaded]:
    rows = live_notifications(keys=keys)
    unread = unread_counts(recipient_ids={recipient for _, recipient in keys})
    return {key: (rows.get(key), unread[key[1]]) for key in keys}


class LiveNotificationLoader:
    """Coalesces the reads of one event loop's subscriptions; one read in flight at a time."""

    def __init__(self) -> None:
        self._waiting: dict[Key, list[asyncio.Future[Loaded]]] = {}
        self._running: asyncio.Task[None] | None = None

    async def load(self, *, notification_id: int, recipient_id: int) -> Loaded:
        """The notification as its recipient sees it, and their fresh unread count."""
        future: asyncio.Future[Loaded] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault((notification_id, recipient_id), []).append(future)
        if self._running is None:
            self._running = asyncio.ensure_future(self._run())
        return await future

    async def _run(self) -> None:
        try:
            # Let the subscriptions woken by the same message join the first read.
            await asyncio.sleep(0)
            while self._waiting:
                batch, self._waiting = self._waiting, {}
                try:
                    loaded = await _read(list(batch))
                except Exception as exc:  # each waiter raises it, as a read of its own would
                    for futures in batch.values():
                        for future in futures:
                            if not future.done():
                                future.set_exception(exc)
                    continue
                for key, futures in batch.items():
                    for future in futures:
                        if not future.done():  # its subscription may have ended meanwhile
                            future.set_result(loaded[key])
        finally:
            self._running = None


_loaders: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LiveNotificationLoader] = (
    weakref.WeakKeyDictionary()
)


def live_loader() -> LiveNotificationLoader:
    """This event loop's loader (each async test runs its own loop)."""
    loop = asyncio.get_running_loop()
    loader = _loaders.get(loop)
    if loader is None:
        loader = _loaders[loop] = LiveNotificationLoader()
    return loader
