"""Abuse limits: login brute force, registrations per address, writes per user."""

from typing import Any

import pytest
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.utils.str_converters import to_camel_case

from graph.ids import global_id
from graph.schema import schema
from graph.security.ratelimit import MUTATION_LIMITS, RateLimit
from social.models import Post, User
from tests.factories import PASSWORD, make_post, make_user

pytestmark = pytest.mark.django_db

LOGIN = """
mutation($login: String!, $password: String!) {
  login(input: {login: $login, password: $password}) { accessToken errors { code message } }
}
"""
REGISTER = """
mutation($u: String!) {
  register(input: {username: $u, email: "x@example.com", password: "correct horse 42"}) {
    user { id } errors { code }
  }
}
"""
CREATE_POST = """
mutation($body: String!) { createPost(input: {body: $body}) { post { id } errors { field code } } }
"""


def _login(gql: Any, login: str, password: str, address: str = "203.0.113.9", **headers: str):
    payload = gql(LOGIN, {"login": login, "password": password}, REMOTE_ADDR=address, **headers)
    return payload["data"]["login"]


def _codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["errors"]]


def test_five_failed_logins_lock_the_account_even_for_the_right_password(gql: Any) -> None:
    make_user("alice")
    for _ in range(5):
        assert _codes(_login(gql, "alice", "guess")) == ["INVALID_CREDENTIALS"]
    locked = _login(gql, "alice", PASSWORD)
    assert _codes(locked) == ["RATE_LIMITED"] and locked["accessToken"] is None
    # By email too, and from another address: the lock is on the account.
    assert _codes(_login(gql, "ALICE@example.com", PASSWORD, "198.51.100.1")) == ["RATE_LIMITED"]


def test_unknown_accounts_lock_alike(gql: Any) -> None:
    for _ in range(5):
        _login(gql, "ghost", "guess")
    assert _codes(_login(gql, "ghost", "guess")) == ["RATE_LIMITED"]


def test_a_successful_login_spends_nothing(gql: Any) -> None:
    make_user("bob")
    for _ in range(10):
        assert _codes(_login(gql, "bob", PASSWORD)) == []


def test_one_address_trying_many_accounts_is_limited(gql: Any, settings: Any) -> None:
    settings.RATELIMIT_LOGIN_FAILURES_PER_ADDRESS = "3/15m"
    make_user("carl")
    for n in range(3):
        _login(gql, f"victim{n}", "guess")
    assert _codes(_login(gql, "carl", PASSWORD)) == ["RATE_LIMITED"]
    assert _codes(_login(gql, "carl", PASSWORD, "198.51.100.2")) == []


def test_forwarded_for_counts_only_behind_a_trusted_proxy(gql: Any, settings: Any) -> None:
    settings.RATELIMIT_LOGIN_FAILURES_PER_ADDRESS = "2/15m"
    make_user("dora")
    proxy = "10.0.0.2"
    # Untrusted: a forged X-Forwarded-For does not dodge the limit of REMOTE_ADDR.
    for n in range(2):
        _login(gql, f"v{n}", "x", proxy, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    assert _codes(_login(gql, "dora", PASSWORD, proxy, HTTP_X_FORWARDED_FOR="192.0.2.77")) == [
        "RATE_LIMITED"
    ]
    # Trusted: the hop our proxy appended is the client; clients behind it differ.
    settings.TRUSTED_PROXY = True
    forged_then_real = "1.2.3.4, 192.0.2.50"
    assert _codes(_login(gql, "dora", PASSWORD, proxy, HTTP_X_FORWARDED_FOR=forged_then_real)) == []


def test_registrations_are_limited_per_address(gql: Any, settings: Any) -> None:
    settings.RATELIMIT_REGISTRATIONS = "2/h"
    assert gql(REGISTER, {"u": "reg_one"}, REMOTE_ADDR="203.0.113.5")["data"]["register"]["user"]
    gql(REGISTER, {"u": "reg_two"}, REMOTE_ADDR="203.0.113.5")
    limited = gql(REGISTER, {"u": "reg_three"}, REMOTE_ADDR="203.0.113.5")["data"]["register"]
    assert limited == {"user": None, "errors": [{"code": "RATE_LIMITED"}]}
    assert not User.objects.filter(username="reg_three").exists()


def test_writes_are_limited_per_user_and_a_limited_call_writes_nothing(
    gql: Any, settings: Any
) -> None:
    # A day, not a minute: django-ratelimit staggers windows per key, so a minute window
    # can end between the third and fourth call.
    settings.RATELIMIT_WRITES = "3/d"
    user, other = make_user("eve"), make_user("finn")
    for n in range(3):
        assert gql(CREATE_POST, {"body": f"post {n}"}, as_user=user)["data"]["createPost"]["post"]
    limited = gql(CREATE_POST, {"body": "one too many"}, as_user=user)["data"]["createPost"]
    assert limited == {"post": None, "errors": [{"field": None, "code": "RATE_LIMITED"}]}
    assert Post.objects.filter(author=user).count() == 3
    # Every write mutation spends the same budget; other users have their own.
    profile = gql(
        'mutation { updateProfile(input: {bio: "x"}) { user { bio } errors { code } } }',
        as_user=user,
    )["data"]["updateProfile"]
    assert profile == {"user": None, "errors": [{"code": "RATE_LIMITED"}]}
    assert gql(CREATE_POST, {"body": "mine"}, as_user=other)["data"]["createPost"]["post"]


def test_every_write_mutation_of_the_contract_is_limited() -> None:
    mutation = schema.get_type_by_name("Mutation")
    assert isinstance(mutation, StrawberryObjectDefinition)
    limited = {
        field.graphql_name or to_camel_case(field.python_name)
        for field in mutation.fields
        if any(isinstance(e, RateLimit) for e in field.extensions)
    }
    assert limited == set(MUTATION_LIMITS)


def test_editing_another_users_post_is_forbidden(gql: Any) -> None:
    author, intruder = make_user("gus"), make_user("hal")
    post = make_post(author, "original")
    result = gql(
        'mutation($id: ID!) { editPost(input: {id: $id, body: "mine now"}) { post { id } } }',
        {"id": global_id("Post", post.pk)},
        as_user=intruder,
    )
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    post.refresh_from_db()
    assert post.body == "original"
