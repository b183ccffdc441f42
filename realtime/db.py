"""The database thread of the live side: one thread per process that keeps its connection,
so that its reads never wait in the pool's queue behind the HTTP requests (bench/RESULTS.md,
"Subscription latency tuning"). A connection that breaks is replaced on the next call.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

from asgiref.sync import SyncToAsync
from channels.db import database_sync_to_async
from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, connections

P = ParamSpec("P")
R = TypeVar("R")


def _broken() -> bool:
    """Whether a connection of this thread no longer works (it is closed if so)."""
    broken = False
    for connection in connections.all(initialized_only=True):
        if connection.connection is not None and not connection.is_usable():
            connection.close()
            broken = True
    return broken


class _KeepingConnection(SyncToAsync[P, R]):
    def thread_handler(self, loop: Any, *args: Any, **kwargs: Any) -> Any:
        # Closes a connection that failed (or changed its autocommit) in the last call.
        close_old_connections()
        try:
            return super().thread_handler(loop, *args, **kwargs)
        except (OperationalError, InterfaceError):
            # A kept connection is not health-checked (the pool would, but it is never given
            # back): if it broke while idle, the call, which only reads, runs again.
            if not _broken():
                raise
            return super().thread_handler(loop, *args, **kwargs)
        finally:
            for connection in connections.all(initialized_only=True):
                if connection.connection is not None:
                    # Not closed for its age (CONN_MAX_AGE is 0 with the pool): kept.
                    connection.close_at = None
            close_old_connections()


class LiveDatabase:
    """The thread itself (one per Runtime). One worker: the calls are short, CPU-bound under
    the GIL, and each holds a connection."""

    def __init__(self) -> None:
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="subscription-db")
        self._calls: dict[Callable[..., Any], _KeepingConnection[Any, Any]] = {}

    def call(self, func: Callable[P, R]) -> _KeepingConnection[P, R]:
        """`func` as run on this thread (made once per function)."""
        kept = self._calls.get(func)
        if kept is None:
            kept = self._calls[func] = _KeepingConnection(
                func, thread_sensitive=False, executor=self.executor
            )
        return kept

    async def close(self) -> None:
        """Gives the thread's connection back and ends the thread (a test database must
        have no sessions left)."""
        await SyncToAsync(connections.close_all, thread_sensitive=False, executor=self.executor)()
        self.executor.shutdown(wait=False)

    def retire(self) -> None:
        """As `close`, without an event loop (its Runtime's loop is gone)."""
        self.executor.submit(connections.close_all)
        self.executor.shutdown(wait=False)


def _pooled() -> bool:
    # From the settings, not `connections[...]`: on the event loop that would make a
    # connection object in each socket's task context.
    return bool(settings.DATABASES["default"].get("OPTIONS", {}).get("pool"))


def subscription_db(func: Callable[P, R]) -> Callable[P, Coroutine[Any, Any, R]]:
    """`func`, which only reads, run on the live side's database thread; without a pool
    there is no queue to wait in, and SQLite's in-memory test database lets one thread in,
    so the calls stay on Channels' database thread."""
    shared = database_sync_to_async(func)

    @functools.wraps(func)
    async def call(*args: P.args, **kwargs: P.kwargs) -> R:
        if not _pooled():
            return await shared(*args, **kwargs)
        from realtime.runtime import runtime

        return await runtime().db.call(func)(*args, **kwargs)

    return call
