"""A socket's credential is decided as on HTTP: an `authorization` in connection_init,
even an empty one, is judged alone and never falls back to the session cookie."""

import pytest
from channels.db import database_sync_to_async

from realtime.broker import Broker
from tests.factories import make_user
from tests.websocket.client import TRANSPORT_WS, WSClient

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("authorization", ["", "Token abc", "Bearer not-a-token"])
async def test_unusable_authorization_does_not_fall_back_to_the_cookie(
    authorization: str, event_broker: Broker, client: object
) -> None:
    alice = await database_sync_to_async(make_user)("alice")
    await database_sync_to_async(client.force_login)(alice)  # type: ignore[attr-defined]
    cookie = client.cookies["sessionid"].value  # type: ignore[attr-defined]
    ws = WSClient(TRANSPORT_WS, headers=[(b"cookie", f"sessionid={cookie}".encode())])
    answer = await ws.init({"authorization": authorization})
    assert answer["type"] == "closed" and answer["code"] == 4403
