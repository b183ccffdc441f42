"""A socket's credential is decided as on HTTP: an `authorization` in connection_init,
even an empty one, is judged alone and never falls back to the session cookie; a blank one
(Apollo's recipe when signed out) signs nobody in."""

from collections.abc import Callable

import pytest
from channels.db import database_sync_to_async
from django.conf import settings

from graph import auth
from realtime.broker import Broker
from social.models import User
from tests.factories import make_user
from tests.websocket.client import TRANSPORT_WS, WSClient

pytestmark = pytest.mark.django_db(transaction=True)


async def _socket_with_alices_cookie(client: object) -> WSClient:
    alice = await database_sync_to_async(make_user)("alice")
    await database_sync_to_async(client.force_login)(alice)  # type: ignore[attr-defined]
    cookie = client.cookies["sessionid"].value  # type: ignore[attr-defined]
    return WSClient(TRANSPORT_WS, headers=[(b"cookie", f"sessionid={cookie}".encode())])


@pytest.mark.parametrize("authorization", ["Token abc", "Bearer not-a-token", "Bearer x y"])
async def test_unusable_authorization_does_not_fall_back_to_the_cookie(
    authorization: str, event_broker: Broker, client: object
) -> None:
    ws = await _socket_with_alices_cookie(client)
    answer = await ws.init({"authorization": authorization})
    assert answer["type"] == "closed" and answer["code"] == 4403


@pytest.mark.parametrize("authorization", ["", "  ", "Bearer "])
async def test_a_blank_authorization_is_a_signed_out_socket_without_the_cookie(
    authorization: str, event_broker: Broker, client: object
) -> None:
    ws = await _socket_with_alices_cookie(client)
    assert (await ws.init({"authorization": authorization}))["type"] == "connection_ack"
    await ws.subscribe("me", "{ me { username } }")
    assert await ws.next_data("me") == {"me": None}
    await ws.close()


async def test_a_sockets_token_is_verified_without_an_entry_in_the_token_cache(
    event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    # Each socket presents its token once: an entry would only hold memory per socket.
    alice = await database_sync_to_async(make_user)("alice")
    token = token_for(alice)
    key = (token, getattr(settings, "JWT_SIGNING_KEY", None) or settings.SECRET_KEY)
    ws = WSClient(TRANSPORT_WS)
    await ws.connect(token)
    assert auth._verified.get(key) is None
    # HTTP keeps its cache: the same token over HTTP is remembered.
    await database_sync_to_async(auth.token_claims)(token)
    assert auth._verified.get(key) is not None
    await ws.close()
