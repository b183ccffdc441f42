"""Attacks on sign-in: forged, unsigned, expired and refresh-replayed tokens; reading
another user's email."""

import base64
import json
from datetime import timedelta
from typing import Any

import jwt
import pytest
from django.conf import settings
from django.utils import timezone
from freezegun import freeze_time

# Imported before any test freezes time: the schema must see the real datetime class.
from graph.schema import schema  # noqa: F401
from social.services.tokens import access_token_issue, token_pair_issue
from tests.factories import make_user

pytestmark = pytest.mark.django_db

ME = "{ me { username } }"
REFRESH = """
mutation($t: String!) {
  refreshToken(refreshToken: $t) { user { username } accessToken refreshToken errors { code } }
}
"""


def _unauthenticated(result: dict[str, Any]) -> bool:
    return result["data"] is None and result["errors"][0]["extensions"]["code"] == (
        "UNAUTHENTICATED"
    )


def test_access_token_expires(gql: Any) -> None:
    user = make_user("pete")
    issued = timezone.now()
    with freeze_time(issued):
        token = access_token_issue(user=user)
    with freeze_time(issued + settings.ACCESS_TOKEN_TTL - timedelta(seconds=5)):
        assert gql(ME, token=token)["data"]["me"] == {"username": "pete"}
    with freeze_time(issued + settings.ACCESS_TOKEN_TTL + timedelta(seconds=5)):
        assert _unauthenticated(gql(ME, token=token))


def test_forged_token_is_refused(gql: Any) -> None:
    user = make_user("quin")
    claims = jwt.decode(access_token_issue(user=user), options={"verify_signature": False})
    forged = jwt.encode(claims, "not-the-server-key-but-long-enough-32b", algorithm="HS256")
    assert _unauthenticated(gql(ME, token=forged))


def test_alg_none_token_is_refused(gql: Any) -> None:
    user = make_user("rosa")
    claims = jwt.decode(access_token_issue(user=user), options={"verify_signature": False})

    def b64(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    unsigned = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."
    assert _unauthenticated(gql(ME, token=unsigned))


def test_reused_refresh_token_revokes_the_family(gql: Any) -> None:
    user = make_user("tina")
    stolen = token_pair_issue(user=user).refresh_token
    other_login = token_pair_issue(user=user).refresh_token
    rotated = gql(REFRESH, {"t": stolen})["data"]["refreshToken"]["refreshToken"]
    # The old token comes back: someone copied it. Its whole family is revoked.
    replay = gql(REFRESH, {"t": stolen})["data"]["refreshToken"]
    assert replay["errors"] == [{"code": "INVALID_TOKEN"}] and replay["accessToken"] is None
    assert gql(REFRESH, {"t": rotated})["data"]["refreshToken"]["errors"] == [
        {"code": "INVALID_TOKEN"}
    ]
    # Another device's login is a different family and keeps working.
    assert gql(REFRESH, {"t": other_login})["data"]["refreshToken"]["errors"] == []


def test_token_signed_with_another_algorithm_is_refused(gql: Any) -> None:
    user = make_user("ursa")
    claims = jwt.decode(access_token_issue(user=user), options={"verify_signature": False})
    key = settings.SECRET_KEY + "-padding-for-hs512-" * 4
    assert _unauthenticated(gql(ME, token=jwt.encode(claims, key, algorithm="HS512")))


def test_a_refresh_token_is_not_an_access_token(gql: Any) -> None:
    user = make_user("vic")
    assert _unauthenticated(gql(ME, token=token_pair_issue(user=user).refresh_token))


def test_another_users_email_is_null(gql: Any) -> None:
    owner, reader = make_user("wren"), make_user("xavi")
    result = gql('{ user(username: "wren") { username email } }', as_user=reader)
    assert result["data"]["user"] == {"username": "wren", "email": None}
    assert owner.email
