"""Fixtures for tests that hold WebSocket subscriptions (shared by the notification tests)."""

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.db import connections

from graph.subscription_db import close_subscription_db
from notifications import broker
from social.models import User
from social.services.tokens import access_token_issue


@pytest.fixture(autouse=True)
def _ws_settings(settings: Any) -> None:
    # Redis pub/sub ignores database numbers: a channel of its own per test keeps
    # parallel runs (and other engineers' suites) from hearing each other.
    settings.EVENTS_CHANNEL = f"test-events:{uuid.uuid4().hex}"
    settings.WS_KEEPALIVE_INTERVAL = 0


@pytest.fixture
async def event_broker() -> AsyncIterator[broker.Broker]:
    """This loop's broker, closed at the end (its Redis task must not outlive the loop)."""
    current = broker.get_broker()
    yield current
    await current.close()
    # The ORM threads' connections would keep PostgreSQL from dropping the test database.
    await sync_to_async(connections.close_all, thread_sensitive=True)()
    await close_subscription_db()


@pytest.fixture
def token_for() -> Callable[[User], str]:
    return lambda user: access_token_issue(user=user)
