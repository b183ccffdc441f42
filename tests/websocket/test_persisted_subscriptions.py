"""Persisted documents over graphql-transport-ws: a subscription by its trusted id, and a
trusted-only server refusing any other document without running it."""

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from channels.db import database_sync_to_async

from graph import persisted
from realtime.broker import Broker
from social.models import User
from tests.factories import make_follow, make_user
from tests.websocket.client import WSClient, subscribed

pytestmark = pytest.mark.django_db(transaction=True)

FOLLOWS = "subscription Follows { notificationAdded { notification { kind } } }"
OTHER = "subscription Other { notificationAdded { unreadNotificationCount } }"

user = database_sync_to_async(make_user)
follow = database_sync_to_async(make_follow)


@pytest.fixture
def trusted_only(tmp_path: Path, settings: Any) -> None:
    manifest = tmp_path / "persisted-documents.json"
    manifest.write_text(json.dumps({"follows": FOLLOWS}))
    settings.GRAPHQL_TRUSTED_DOCUMENTS = str(manifest)
    settings.GRAPHQL_TRUSTED_ONLY = True


async def test_trusted_only_refuses_other_subscriptions_and_runs_the_manifests(
    trusted_only: None, event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    alice, bob = await user("alice"), await user("bob")
    client = WSClient()
    await client.connect(token_for(alice))
    await client.subscribe("1", OTHER)
    refused = await client.receive()
    assert refused["type"] == "error" and refused["id"] == "1", refused
    assert refused["payload"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_TRUSTED"

    # The socket stays open; the manifest's document runs by its id.
    await client.send({"id": "2", "type": "subscribe", "payload": {"documentId": "follows"}})
    await subscribed(event_broker, 1)
    await follow(bob, alice)
    data = await client.next_data("2")
    assert data == {"notificationAdded": {"notification": {"kind": "FOLLOW"}}}
    await client.close()


async def test_an_unknown_persisted_hash_over_websocket_is_not_found(
    event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    persisted._stores.clear()
    client = WSClient()
    await client.connect(token_for(await user("carol")))
    sha256 = hashlib.sha256(FOLLOWS.encode()).hexdigest()
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": sha256}}
    await client.send({"id": "1", "type": "subscribe", "payload": {"extensions": extensions}})
    answer = await client.receive()
    assert answer["type"] == "error", answer
    assert answer["payload"][0]["message"] == "PersistedQueryNotFound"
    await client.close()
