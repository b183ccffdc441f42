"""Sockets of an account closed from `manage.py shell` (`is_active = False`, then save()):
open ones close with 4403 at once, and its token opens no new one."""

import pytest
from channels.db import database_sync_to_async

from realtime.broker import Broker
from social.models import User
from tests.websocket.client import PROTOCOLS, TRANSPORT_WS, WSClient
from tests.websocket.test_signed_out_sockets import _listening, _login, user

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def _deactivate_in_shell(account: User) -> None:
    row = User.objects.get(pk=account.pk)
    row.is_active = False
    row.save()


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_deactivating_in_the_shell_closes_the_users_sockets(
    protocol: str, event_broker: Broker
) -> None:
    alice = await user("alice")
    client = await _listening(protocol, (await _login(alice))["accessToken"], event_broker)
    await _deactivate_in_shell(alice)
    assert await client.closed_with() == 4403


async def test_a_token_of_an_account_closed_by_update_opens_no_socket(
    event_broker: Broker,
) -> None:
    # update() skips save(): nothing is signed out, but connection_init loads the account.
    alice = await user("alice")
    token = (await _login(alice))["accessToken"]
    await database_sync_to_async(User.objects.filter(pk=alice.pk).update)(is_active=False)
    answer = await WSClient(TRANSPORT_WS).init({"authorization": f"Bearer {token}"})
    assert answer["type"] == "closed" and answer["code"] == 4403
