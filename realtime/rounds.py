"""Rounds of work from one timer. No Django or app import: uvicorn loads server_ws.py first."""

import asyncio
import math
from collections.abc import Callable, Collection
from typing import Any


class Rounds:
    """Visits every member once an `interval()`, `size` at a time, the slices spread over it
    so that none holds the event loop long. A round takes the members there are as it begins
    (`taken()`) and skips those gone by their turn; one that finds none stops, until `start()`."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        members: Collection[Any],
        visit: Callable[[Any], None],
        interval: Callable[[], float],
        size: int,
    ) -> None:
        self.loop, self.members, self.visit = loop, members, visit
        self.interval, self.size = interval, size
        self.round: list[Any] = []
        self.at, self.delay = 0, 0.0  # the next slice's start, the time between two slices
        self.timer: asyncio.Handle | None = None

    def start(self) -> None:
        if self.timer is None:  # the first round takes every member added in this loop turn
            self.timer = self.loop.call_soon(self._slice)

    def stop(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
        self.timer, self.round = None, []

    def taken(self) -> list[Any]:
        return list(self.members)

    def _slice(self) -> None:
        self.timer = None  # a visit that raises leaves the round to start() again
        for member in self.round[self.at : self.at + self.size]:
            if member in self.members:  # else it left meanwhile
                self.visit(member)
        self.at += self.size
        if self.at >= len(self.round):
            self.round, self.at, interval = self.taken(), 0, self.interval()
            if not self.round or interval <= 0:
                self.stop()
                return
            self.delay = interval / math.ceil(len(self.round) / self.size)
        self.timer = self.loop.call_later(self.delay, self._slice)
