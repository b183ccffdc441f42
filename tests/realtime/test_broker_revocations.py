"""Sign-outs published while this process's Redis subscription is cut never arrive: the
broker reads them from the database (at each reconnection attempt, and once back) and
closes their sockets, so Redis away for good leaves no signed-out socket open."""

import asyncio
from collections.abc import Callable

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from realtime.broker import Broker
from social import revocations
from social.models import SessionRevocation, User
from social.services.tokens import access_token_claims
from tests.factories import make_user
from tests.security.test_redis_fault import OwnRedis, own_redis
from tests.websocket import fixtures
from tests.websocket.client import WSClient, until

_ws_settings = fixtures._ws_settings
event_broker = fixtures.event_broker
live_runtime = fixtures.live_runtime
token_for = fixtures.token_for
__all__ = ["own_redis"]


@pytest.mark.django_db(transaction=True)
async def test_a_session_signed_out_elsewhere_while_redis_is_away_loses_its_socket(
    own_redis: OwnRedis, event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    alice = await database_sync_to_async(make_user)("alice")
    token = token_for(alice)
    client = WSClient()
    await client.connect(token)
    event_broker.start()
    await asyncio.wait_for(event_broker.ready.wait(), 10)

    await asyncio.to_thread(own_redis.stop)
    await until(lambda: not event_broker.ready.is_set())
    # Another process signs the session out: its message is lost with Redis, its row stays.
    key = access_token_claims(token=token).session_key
    await database_sync_to_async(SessionRevocation.objects.create)(
        key=key, revoked_at=timezone.now()
    )
    assert await client.closed_with(timeout=20) == 4403
    assert revocations.is_revoked(key)  # and its token is refused over HTTP here
