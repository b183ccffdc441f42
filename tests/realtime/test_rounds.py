"""realtime/rounds.py: work on many members spread over an interval from one timer, and the
server's pings built on it (realtime/server_ws.py)."""

import asyncio
from types import SimpleNamespace
from typing import Any

from realtime.rounds import Rounds
from realtime.server_ws import LeanWSProtocol, ServerPings
from tests.websocket.client import until


def _rounds(members: Any, visited: list[Any], size: int = 2) -> Rounds:
    return Rounds(asyncio.get_running_loop(), members, visited.append, lambda: 0.4, size)


async def test_a_round_skips_who_left_and_the_next_takes_who_came() -> None:
    members = {1: None, 2: None, 3: None, 4: None}
    visited: list[int] = []
    rounds = _rounds(members, visited)
    rounds.start()
    await until(lambda: len(visited) >= 2)  # the first slice of two
    assert visited == [1, 2]
    del members[3]
    members[5] = None
    await until(lambda: len(visited) >= 3)
    assert visited == [1, 2, 4]
    await until(lambda: len(visited) >= 7)
    assert visited == [1, 2, 4, 1, 2, 4, 5]
    rounds.stop()
    assert rounds.timer is None


async def test_a_round_that_finds_no_members_stops_until_started_again() -> None:
    members: set[str] = {"a"}
    visited: list[str] = []
    rounds = _rounds(members, visited)
    rounds.start()
    await until(lambda: visited == ["a"])
    members.clear()
    await until(lambda: rounds.timer is None)
    members.add("b")
    rounds.start()
    await until(lambda: visited == ["a", "b"])
    rounds.stop()


async def test_no_interval_no_round() -> None:
    visited: list[str] = []
    rounds = Rounds(asyncio.get_running_loop(), {"a"}, visited.append, lambda: 0, 1)
    rounds.start()
    await until(lambda: rounds.timer is None)
    assert visited == []


class _Socket(LeanWSProtocol):
    __slots__ = ("pinged",)

    def __init__(self) -> None:
        self.pinged: list[float] = []

    def ping(self, payload: bytes, now: float, tolerance: float) -> None:
        self.pinged.append(tolerance)


async def test_server_pings_ping_the_websockets_alone_and_stop_with_the_last() -> None:
    sockets = [_Socket() for _ in range(3)]
    http = object()  # an HTTP connection of the same server
    connections: set[Any] = {http, *sockets}
    pings = ServerPings(
        SimpleNamespace(  # type: ignore[arg-type]
            loop=asyncio.get_running_loop(),
            connections=connections,
            ping_interval=0.2,
            ping_timeout=0.1,
        )
    )
    pings.start()
    # Rounds as often as the timeout, every socket in one slice (under PING_SLICE).
    await until(lambda: all(s.pinged for s in sockets))
    assert [s.pinged for s in sockets] == [[0.1]] * 3
    connections.difference_update(sockets)
    await until(lambda: pings.timer is None)  # the HTTP connection alone keeps no rounds
