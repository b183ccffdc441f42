"""A Redis that stops answering (a stuck server, a partition) is asked once, not by every
request: after the failure the rate limits go unchecked for a few seconds without waiting
for it again, so it does not hold every request thread of the process."""

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from social import cache_outage
from social.ratelimits import Attempt, attempt_count, limit_hit


class SilentServer:
    """A TCP listener that lets clients connect and never answers; counts who connected."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(64)
        self.socket.setblocking(False)
        self.url = f"redis://127.0.0.1:{self.socket.getsockname()[1]}/0"
        self.accepted: list[socket.socket] = []

    def connections(self) -> int:
        while True:
            try:
                self.accepted.append(self.socket.accept()[0])
            except BlockingIOError:
                return len(self.accepted)

    def close(self) -> None:
        for connection in self.accepted:
            connection.close()
        self.socket.close()


@pytest.fixture
def silent_redis_cache(settings: Any) -> Iterator[SilentServer]:
    server = SilentServer()
    settings.RATELIMIT_ENABLE = True
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": server.url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    try:
        yield server
    finally:
        server.close()


def test_a_silent_cache_is_asked_once_then_skipped(silent_redis_cache: SilentServer) -> None:
    assert attempt_count(scope="login", key="alice", rate="5/m") == Attempt(allowed=True)
    asked = silent_redis_cache.connections()
    assert asked >= 1  # it was tried, and failed open
    for n in range(5):
        assert attempt_count(scope="login", key=f"user{n}", rate="5/m") == Attempt(allowed=True)
        assert not limit_hit(scope="writes", key=f"user{n}", rate="60/m")
    assert silent_redis_cache.connections() == asked  # nobody waited for it again


def test_the_cache_is_tried_again_once_the_pause_is_over(
    silent_redis_cache: SilentServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache_outage, "RETRY_AFTER_SECONDS", 0.0)
    attempt_count(scope="login", key="alice", rate="5/m")
    asked = silent_redis_cache.connections()
    attempt_count(scope="login", key="alice", rate="5/m")
    assert silent_redis_cache.connections() > asked


def test_the_servers_redis_cache_gives_up_on_a_silent_redis() -> None:
    # Without timeouts redis-py waits on a silent server until TCP gives up, and the first
    # call holds its request thread that long before the pause above can begin.
    import json
    import os
    import subprocess
    import sys

    env = {**os.environ, "DEBUG": "true", "REDIS_URL": "redis://127.0.0.1:6379/0"}
    code = "import json; from config import settings; print(json.dumps(settings.CACHES))"
    printed = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    options = json.loads(printed)["default"]["OPTIONS"]
    assert 0 < options["socket_connect_timeout"] <= 1
    assert 0 < options["socket_timeout"] <= 1
