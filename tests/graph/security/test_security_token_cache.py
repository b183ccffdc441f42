"""Verified access tokens are remembered, but never past their expiry or their signing key."""

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone
from freezegun import freeze_time

# Imported before any test freezes time: the schema must see the real datetime class.
from graph.schema import schema  # noqa: F401
from social.services.tokens import access_token_issue
from tests.factories import make_user

pytestmark = pytest.mark.django_db

ME = "{ me { username } }"


def _signed_in_as(result: dict[str, Any]) -> str | None:
    if result["data"] is None:
        assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        return None
    return str(result["data"]["me"]["username"])


def test_a_token_used_before_is_refused_once_expired(gql: Any) -> None:
    user = make_user("pete")
    issued = timezone.now()
    with freeze_time(issued):
        token = access_token_issue(user=user)
        assert _signed_in_as(gql(ME, token=token)) == "pete"
        assert _signed_in_as(gql(ME, token=token)) == "pete"
    with freeze_time(issued + settings.ACCESS_TOKEN_TTL + timedelta(seconds=1)):
        assert _signed_in_as(gql(ME, token=token)) is None


def test_a_token_used_before_is_refused_under_a_new_signing_key(gql: Any) -> None:
    token = access_token_issue(user=make_user("quin"))
    assert _signed_in_as(gql(ME, token=token)) == "quin"
    with override_settings(JWT_SIGNING_KEY="a-new-signing-key-long-enough-for-hs256-0123"):
        assert _signed_in_as(gql(ME, token=token)) is None
    assert _signed_in_as(gql(ME, token=token)) == "quin"
