"""Access tokens, refresh-token rotation, logout, and CSRF (attacks: tests/security)."""

import json
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from freezegun import freeze_time

# Imported before any test freezes time: the schema must see the real datetime class.
from graph.schema import schema  # noqa: F401
from social.models import RefreshToken
from social.services.tokens import access_token_issue, token_pair_issue
from tests.factories import make_user

pytestmark = pytest.mark.django_db

REFRESH = """
mutation($t: String!) {
  refreshToken(refreshToken: $t) { user { username } accessToken refreshToken errors { code } }
}
"""
LOGOUT = "mutation($t: String) { logout(refreshToken: $t) { ok errors { code } } }"
ME = "{ me { username } }"


def _post_me(client: Client, **headers: str) -> Any:
    """POSTs the ME query with `client` as it is (its cookies, its CSRF checks)."""
    return client.post(
        "/graphql",
        json.dumps({"query": ME}),
        content_type="application/json",
        **headers,  # type: ignore[arg-type]
    )


def _unauthenticated(result: dict[str, Any]) -> bool:
    return result["data"] is None and result["errors"][0]["extensions"]["code"] == (
        "UNAUTHENTICATED"
    )


def test_access_token_signs_in(gql: Any) -> None:
    user = make_user("olga")
    assert gql(ME, token=access_token_issue(user=user))["data"]["me"] == {"username": "olga"}


@pytest.mark.parametrize("header", ["Bearer not.a.jwt", "Basic dXNlcjpwdw==", "Bearer a b"])
def test_malformed_authorization_is_refused(client: Client, header: str) -> None:
    response = _post_me(client, HTTP_AUTHORIZATION=header)
    assert response.status_code == 200
    assert _unauthenticated(response.json())


def test_refresh_token_rotates(gql: Any) -> None:
    user = make_user("sam")
    first = token_pair_issue(user=user).refresh_token
    payload = gql(REFRESH, {"t": first})["data"]["refreshToken"]
    assert payload["errors"] == [] and payload["user"] == {"username": "sam"}
    assert payload["refreshToken"] != first
    assert gql(ME, token=payload["accessToken"])["data"]["me"] == {"username": "sam"}
    second = gql(REFRESH, {"t": payload["refreshToken"]})["data"]["refreshToken"]
    assert second["errors"] == []


def test_expired_or_unknown_refresh_token_is_refused(gql: Any) -> None:
    user = make_user("ugo")
    token = token_pair_issue(user=user).refresh_token
    with freeze_time(timezone.now() + settings.REFRESH_TOKEN_TTL + timedelta(minutes=1)):
        expired = gql(REFRESH, {"t": token})["data"]["refreshToken"]
    assert expired["errors"] == [{"code": "INVALID_TOKEN"}]
    assert gql(REFRESH, {"t": "made-up"})["data"]["refreshToken"]["errors"] == [
        {"code": "INVALID_TOKEN"}
    ]


def test_refresh_tokens_are_stored_hashed() -> None:
    user = make_user("vera")
    raw = token_pair_issue(user=user).refresh_token
    assert not RefreshToken.objects.filter(token_hash=raw).exists()


def test_logout_with_a_token_revokes_it(gql: Any) -> None:
    user = make_user("walt")
    token = token_pair_issue(user=user).refresh_token
    assert gql(LOGOUT, {"t": token})["data"]["logout"] == {"ok": True, "errors": []}
    assert gql(REFRESH, {"t": token})["data"]["refreshToken"]["errors"] == [
        {"code": "INVALID_TOKEN"}
    ]


def test_logout_without_a_token_revokes_every_token_of_the_viewer(gql: Any) -> None:
    user, other = make_user("xena"), make_user("yuri")
    tokens = [token_pair_issue(user=user).refresh_token for _ in range(3)]
    others = token_pair_issue(user=other).refresh_token
    assert gql(LOGOUT, as_user=user)["data"]["logout"] == {"ok": True, "errors": []}
    for token in tokens:
        assert gql(REFRESH, {"t": token})["data"]["refreshToken"]["errors"]
    assert gql(REFRESH, {"t": others})["data"]["refreshToken"]["errors"] == []


def test_logout_without_a_token_needs_sign_in(gql: Any) -> None:
    assert _unauthenticated(gql(LOGOUT))


def _session_client(csrf_checks: bool = True) -> tuple[Client, Any]:
    client = Client(enforce_csrf_checks=csrf_checks)
    user = make_user("zed")
    client.force_login(user)
    return client, user


def test_session_post_without_csrf_token_is_refused() -> None:
    client, _ = _session_client()
    response = _post_me(client)
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_session_post_with_csrf_token_works() -> None:
    client, _ = _session_client()
    client.get("/admin/login/")  # sets the csrftoken cookie
    token = client.cookies["csrftoken"].value
    response = _post_me(client, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200
    assert response.json() == {"data": {"me": {"username": "zed"}}}


def test_bearer_post_needs_no_csrf_token() -> None:
    client = Client(enforce_csrf_checks=True)
    user = make_user("bea")
    response = _post_me(client, HTTP_AUTHORIZATION=f"Bearer {access_token_issue(user=user)}")
    assert response.status_code == 200
    assert response.json() == {"data": {"me": {"username": "bea"}}}
