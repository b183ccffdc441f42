"""A socket's shutdown may run with no event loop (its coroutine closed by the collector)."""

import asyncio

from realtime import runtime as live
from realtime.runtime import KeepAlive


def test_shutdown_outside_a_running_loop_forgets_the_socket_without_error() -> None:
    loop = asyncio.new_event_loop()
    handler = object()
    try:
        keep_alive = loop.run_until_complete(_register(handler))
    finally:
        loop.close()
    # As when the garbage collector closes a dropped handler coroutine after its loop ended:
    # runtime() would raise "no running event loop" here.
    keep_alive.discard(handler)
    assert handler not in keep_alive.handlers and keep_alive.timer is None
    keep_alive.discard(object())  # never registered: nothing to do


async def _register(handler: object) -> KeepAlive:
    keep_alive = live.runtime().keep_alive
    keep_alive.add(handler)  # its rounds' timer is left on the loop
    return keep_alive
