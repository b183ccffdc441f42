"""Media URLs are absolute on the live side too (the contract's url and thumbnailUrl), made
from the socket's or the stream's own scheme and host when MEDIA_BASE_URL is not set."""

import io
from collections.abc import Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async

from realtime.broker import Broker
from social.models import Post, User
from social.services import media, posts
from tests import media_files
from tests.factories import make_follow, make_user
from tests.websocket.client import WSClient, subscribed
from tests.websocket.test_http_streams import SSE, Stream, _subscribed

pytestmark = pytest.mark.django_db(transaction=True)

HOME_FEED = (
    "subscription { homeFeedPostAdded { body media { url thumbnailUrl } author { avatarUrl } } }"
)


@database_sync_to_async
def _post_with_an_image(author: User) -> Post:
    data = media_files.png()
    upload = media.media_upload(owner=author, file=io.BytesIO(data), size=len(data))
    return posts.post_create(author=author, body="look", media_ids=[upload.pk])


@database_sync_to_async
def _pair() -> tuple[User, User]:
    alice, bob = make_user("alice"), make_user("bob")
    make_follow(alice, bob)
    return alice, bob


def _assert_absolute(post: dict[str, Any], origin: str) -> None:
    assert post["body"] == "look"
    [image] = post["media"]
    assert image["url"].startswith(f"{origin}/media/"), image
    assert image["thumbnailUrl"].startswith(f"{origin}/media/"), image


@pytest.mark.parametrize(
    ("headers", "origin"),
    [
        ([(b"host", b"testserver")], "http://testserver"),
        (
            [(b"host", b"testserver:8443"), (b"x-forwarded-proto", b"https")],
            "http://testserver:8443",
        ),
    ],
)
async def test_a_socket_gets_absolute_media_urls_of_its_own_host(
    headers: list[tuple[bytes, bytes]],
    origin: str,
    event_broker: Broker,
    token_for: Callable[[User], str],
) -> None:
    alice, bob = await _pair()
    client = WSClient(headers=headers)
    await client.connect(token_for(alice))
    await client.subscribe("feed", HOME_FEED)
    await subscribed(event_broker, 1)
    await _post_with_an_image(bob)
    _assert_absolute((await client.next_data("feed"))["homeFeedPostAdded"], origin)
    await client.close()


async def test_a_trusted_proxys_https_is_the_media_scheme(
    event_broker: Broker, token_for: Callable[[User], str], settings: Any
) -> None:
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    alice, bob = await _pair()
    client = WSClient(headers=[(b"host", b"testserver"), (b"x-forwarded-proto", b"https")])
    await client.connect(token_for(alice))
    await client.subscribe("feed", HOME_FEED)
    await subscribed(event_broker, 1)
    await _post_with_an_image(bob)
    _assert_absolute((await client.next_data("feed"))["homeFeedPostAdded"], "https://testserver")
    await client.close()


async def test_media_base_url_wins_over_the_sockets_host(
    event_broker: Broker, token_for: Callable[[User], str], settings: Any
) -> None:
    settings.MEDIA_BASE_URL = "https://cdn.example.com"
    alice, bob = await _pair()
    client = WSClient(headers=[(b"host", b"testserver")])
    await client.connect(token_for(alice))
    await client.subscribe("feed", HOME_FEED)
    await subscribed(event_broker, 1)
    await _post_with_an_image(bob)
    post = (await client.next_data("feed"))["homeFeedPostAdded"]
    _assert_absolute(post, "https://cdn.example.com")
    await client.close()


async def test_a_stream_over_http_gets_absolute_media_urls(
    event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    alice, bob = await _pair()
    stream = Stream(SSE, {"query": HOME_FEED}, authorization=f"Bearer {token_for(alice)}")
    assert await stream.status() == 200
    await _subscribed(event_broker)
    await _post_with_an_image(bob)
    await stream.text(lambda t: "event: next" in t)
    [data] = stream.data()
    _assert_absolute(data["data"]["homeFeedPostAdded"], "http://testserver")
    await stream.close()
