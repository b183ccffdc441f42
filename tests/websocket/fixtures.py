"""Fixtures for tests that hold WebSocket subscriptions (shared by the notification tests)."""

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.db import connections

from realtime import broker
from realtime.runtime import Runtime, runtime
from social.models import User
from social.services.tokens import access_token_issue


@pytest.fixture(autouse=True)
def _ws_settings(settings: Any) -> None:
    # Redis pub/sub ignores database numbers: a channel of its own per test keeps
    # parallel runs (and other engineers' suites) from hearing each other.
    settings.EVENTS_CHANNEL = f"test-events:{uuid.uuid4().hex}"
    settings.WS_KEEPALIVE_INTERVAL = 0


@pytest.fixture
async def live_runtime() -> AsyncIterator[Runtime]:
    """This loop's runtime (the process's live side), closed at the end: its Redis task must
    not outlive the loop, and its database thread gives its connection back."""
    current = runtime()
    yield current
    await current.close()
    # The ORM threads' connections would keep PostgreSQL from dropping the test database.
    await sync_to_async(connections.close_all, thread_sensitive=True)()


@pytest.fixture
def event_broker(live_runtime: Runtime) -> broker.Broker:
    """This loop's broker (its runtime's)."""
    return live_runtime.broker


@pytest.fixture
def token_for() -> Callable[[User], str]:
    return lambda user: access_token_issue(user=user)
