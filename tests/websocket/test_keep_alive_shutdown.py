"""A socket's shutdown may run with no event loop (its coroutine closed by the collector)."""

import asyncio

from graph import websocket


def test_shutdown_outside_a_running_loop_forgets_the_socket_without_error() -> None:
    loop = asyncio.new_event_loop()
    handler = object()
    try:
        keep_alive = loop.run_until_complete(_register(handler))
    finally:
        loop.close()
    # As when the garbage collector closes a dropped handler coroutine after its loop ended:
    # keep_alive() would raise "no running event loop" here.
    websocket.keep_alive_discard(handler)
    assert handler not in keep_alive.handlers
    websocket.keep_alive_discard(object())  # never registered: nothing to do


async def _register(handler: object) -> websocket.KeepAlive:
    keep_alive = websocket.keep_alive()
    keep_alive.handlers[handler] = None  # registered without starting its ping task
    return keep_alive
