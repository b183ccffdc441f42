"""CPU per request of the HTTP handler alone, in-process: Django's stock ASGIHandler against
config/asgi_http.py, on a request that passes every middleware and no database (a 404).

    python -m bench.handler_cpu --requests 2000 --rounds 3

The two handlers take turns, each round; CPU is this process's (all its threads), so the
machine's other load moves it far less than it moves requests per second.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from typing import Any

from bench import common

SCOPE = {
    "type": "http",
    "method": "GET",
    "path": "/no-such-page",
    "root_path": "",
    "scheme": "http",
    "query_string": b"",
    "headers": [(b"host", b"127.0.0.1")],
    "client": ("127.0.0.1", 5000),
    "server": ("127.0.0.1", 8000),
}


async def _one(app: Any) -> None:
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()
        raise AssertionError

    async def send(message: dict[str, Any]) -> None:
        return None

    await app(dict(SCOPE), receive, send)


async def _cpu_ms_per_request(app: Any, requests: int) -> float:
    started = time.process_time()
    for _ in range(requests):
        await _one(app)
    return (time.process_time() - started) * 1000 / requests


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="false",
        SECRET_KEY=common.BENCH_SECRET,
        ALLOWED_HOSTS="127.0.0.1",
        LOG_LEVEL="WARNING",
    )
    import django

    django.setup(set_prefix=False)
    from django.core.handlers.asgi import ASGIHandler

    from config.asgi_http import OneHopHTTPHandler

    handlers = {"django ASGIHandler": ASGIHandler(), "config/asgi_http.py": OneHopHTTPHandler()}
    figures: dict[str, list[float]] = {name: [] for name in handlers}

    async def run() -> None:
        for app in handlers.values():
            await _cpu_ms_per_request(app, 50)  # warm-up
        for _ in range(args.rounds):
            for name, app in handlers.items():
                figures[name].append(await _cpu_ms_per_request(app, args.requests))

    asyncio.run(run())
    for name, values in figures.items():
        rounded = [round(v, 3) for v in values]
        print(f"{name:22} {statistics.median(values):.3f} ms CPU per request {rounded}")


if __name__ == "__main__":
    main(sys.argv[1:])
