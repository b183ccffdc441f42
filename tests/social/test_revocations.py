"""The per-process record of signed-out sessions: bounded by the access-token lifetime."""

import asyncio
import time
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from realtime import broker
from social import revocations
from social.models import SessionRevocation


@pytest.fixture(autouse=True)
def _fresh() -> Any:
    revocations.forget_all()
    yield
    revocations.forget_all()


@pytest.mark.django_db
def test_start_up_reads_only_the_revocations_that_can_still_match_a_live_token(
    settings: Any,
) -> None:
    settings.ACCESS_TOKEN_TTL = timedelta(minutes=15)
    now = timezone.now()
    recent = SessionRevocation.objects.create(
        key="11111111-1111-1111-1111-111111111111", revoked_at=now - timedelta(minutes=10)
    )
    SessionRevocation.objects.create(
        key="22222222-2222-2222-2222-222222222222", revoked_at=now - timedelta(hours=2)
    )
    assert revocations.is_revoked(str(recent.key))  # the first check reads the database
    assert not revocations.is_revoked("22222222-2222-2222-2222-222222222222")
    assert revocations.size() == 1


@pytest.mark.django_db
def test_entries_are_forgotten_once_no_token_of_theirs_can_be_alive(settings: Any) -> None:
    settings.ACCESS_TOKEN_TTL = timedelta(seconds=1)
    revocations.load_recent()
    long_ago = time.time() - 3600
    revocations.remember(["old"], revoked_at=long_ago)
    revocations._next_prune = 0.0
    revocations.remember(["new"])
    assert revocations.is_revoked("new")
    assert not revocations.is_revoked("old")


@pytest.mark.django_db
async def test_a_revocation_message_reaches_the_listeners_and_a_malformed_one_is_harmless() -> None:
    heard: list[tuple[list[str], int | None]] = []
    revocations.listeners.append(lambda keys, user: heard.append((keys, user)))
    try:
        current = broker.Broker("", asyncio.get_running_loop(), lambda event, listeners: None)
        current.dispatch({"kind": broker.SESSIONS_REVOKED, "sessions": ["k1"], "user": 7})
        current.dispatch({"kind": broker.SESSIONS_REVOKED, "sessions": "nonsense", "user": "x"})
        assert heard == [(["k1"], 7), ([], None)]
        assert "k1" in revocations._revoked
    finally:
        revocations.listeners.pop()
