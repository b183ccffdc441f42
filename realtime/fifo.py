"""A FIFO for one reader, as light as an idle one can be.

Thousands of idle sockets each hold a few queues (a broker subscription per GraphQL
subscription, an inbox per socket). An asyncio.Queue holds four deques and an Event,
~3 KB; this holds two empty slots: the deque exists only while items wait, the future
only while the reader does.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any


class LightFifo:
    __slots__ = ("_items", "_waiter")

    def __init__(self) -> None:
        self._items: deque[Any] | None = None
        self._waiter: asyncio.Future[None] | None = None

    def qsize(self) -> int:
        return len(self._items) if self._items is not None else 0

    def put_nowait(self, item: Any) -> None:
        if self._items is None:
            self._items = deque()
        self._items.append(item)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def clear(self) -> None:
        self._items = None

    async def get(self) -> Any:
        while not self._items:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        item = self._items.popleft()
        if not self._items:
            self._items = None
        return item
