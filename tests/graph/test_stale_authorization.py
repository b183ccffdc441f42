"""An auth link sends whatever token it holds on every request: an expired one when the
app goes to refresh it, an empty header when signed out (Apollo's documented recipe,
`authorization: token ? `Bearer ${token}` : ""`). The refresh, a sign-in, a registration
and a logout by refresh token run whatever the header holds; the rest stays refused."""

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from social.models import Post, User
from social.services.tokens import access_token_issue, token_pair_issue
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

REFRESH = (
    "mutation ($t: String!) { refreshToken(refreshToken: $t) { accessToken errors { code } } }"
)
LOGIN = (
    "mutation ($login: String!, $password: String!) { login(input: {login: $login, "
    "password: $password}) { accessToken user { username } errors { code } } }"
)
LOGOUT = "mutation ($t: String) { logout(refreshToken: $t) { ok errors { code } } }"


def _expired(user: User) -> str:
    return f"Bearer {access_token_issue(user=user, now=timezone.now() - timedelta(hours=1))}"


def _post(client: Client, query: str, variables: dict[str, Any], authorization: str) -> Any:
    body = json.dumps({"query": query, "variables": variables})
    response = client.post(
        "/graphql", body, content_type="application/json", HTTP_AUTHORIZATION=authorization
    )
    assert response.status_code == 200
    return response.json()


def _codes(result: Any) -> list[str]:
    return [error["extensions"]["code"] for error in result.get("errors", [])]


def test_the_refresh_runs_with_the_expired_token_it_replaces(client: Client) -> None:
    alice = make_user("alice")
    pair = token_pair_issue(user=alice)
    result = _post(client, REFRESH, {"t": pair.refresh_token}, _expired(alice))
    assert result["data"]["refreshToken"]["errors"] == []
    assert result["data"]["refreshToken"]["accessToken"]


@pytest.mark.parametrize("authorization", ["", "Bearer not.a.token", "Bearer null"])
def test_signing_in_runs_whatever_the_header_holds(client: Client, authorization: str) -> None:
    make_user("alice")
    variables = {"login": "alice", "password": PASSWORD}
    result = _post(client, LOGIN, variables, authorization)
    assert result["data"]["login"]["user"] == {"username": "alice"}
    assert result["data"]["login"]["accessToken"]


def test_registering_runs_with_an_empty_header(client: Client) -> None:
    query = (
        'mutation { register(input: {username: "newbie", email: "newbie@example.com", '
        'password: "a-long-password-1"}) { user { username } errors { code } } }'
    )
    result = _post(client, query, {}, "")
    assert result["data"]["register"] == {"user": {"username": "newbie"}, "errors": []}


def test_a_logout_by_refresh_token_runs_with_an_expired_token_and_revokes_it(
    client: Client,
) -> None:
    alice = make_user("alice")
    pair = token_pair_issue(user=alice)
    result = _post(client, LOGOUT, {"t": pair.refresh_token}, _expired(alice))
    assert result["data"]["logout"] == {"ok": True, "errors": []}
    again = _post(client, REFRESH, {"t": pair.refresh_token}, "")
    assert again["data"]["refreshToken"]["errors"] == [{"code": "INVALID_TOKEN"}]


@pytest.mark.parametrize("refresh_token", [None, "absent"])
def test_a_logout_of_the_viewer_still_needs_a_valid_token(
    client: Client, refresh_token: str | None
) -> None:
    query = "mutation { logout { ok } }" if refresh_token == "absent" else LOGOUT
    result = _post(client, query, {"t": None}, _expired(make_user("alice")))
    assert result["data"] is None
    assert _codes(result) == ["UNAUTHENTICATED"]


def test_a_sign_in_beside_other_fields_is_refused_whole(client: Client) -> None:
    make_user("alice")
    query = (
        f'mutation {{ login(input: {{login: "alice", password: "{PASSWORD}"}}) '
        '{ accessToken } createPost(input: {body: "x"}) { errors { code } } }'
    )
    result = _post(client, query, {}, "Bearer not.a.token")
    assert result["data"] is None
    assert _codes(result) == ["UNAUTHENTICATED"]
    assert not Post.objects.exists()


@pytest.mark.parametrize(
    "query", ["{ publicFeed(first: 1) { edges { cursor } } }", "{ me { username } }"]
)
def test_everything_else_is_still_refused_with_a_stale_token(client: Client, query: str) -> None:
    result = _post(client, query, {}, _expired(make_user("alice")))
    assert result["data"] is None
    assert _codes(result) == ["UNAUTHENTICATED"]


def test_a_sign_in_with_a_bad_header_never_reads_the_session_cookie() -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("cookie_user"))
    make_user("alice")
    query = (
        f'mutation {{ login(input: {{login: "alice", password: "{PASSWORD}"}}) '
        "{ user { username } } __typename }"
    )
    result = _post(client, query, {}, "Bearer not.a.token")
    assert result["data"]["login"] == {"user": {"username": "alice"}}
    # The cookie's user stayed out of it: it signs nothing in on a request with the header.
    me = _post(client, "{ me { username } }", {}, "Bearer not.a.token")
    assert _codes(me) == ["UNAUTHENTICATED"]
