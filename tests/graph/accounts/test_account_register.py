"""register: a new account signed in at once, or payload errors and nothing stored."""

from typing import Any

import pytest
from django.db import IntegrityError, transaction

from social.models import RefreshToken, User
from tests.factories import make_user

pytestmark = pytest.mark.django_db

REGISTER = """
mutation($input: RegisterInput!) {
  register(input: $input) {
    user { id username displayName email }
    accessToken refreshToken
    errors { field code message }
  }
}
"""


def _register(gql: Any, **fields: Any) -> dict[str, Any]:
    data = {"username": "ann_1", "email": "ann@example.com", "password": "correct horse 42"}
    data.update(fields)
    return gql(REGISTER, {"input": data})["data"]["register"]


def _codes(payload: dict[str, Any]) -> set[tuple[str | None, str]]:
    return {(e["field"], e["code"]) for e in payload["errors"]}


def test_register_signs_the_new_user_in(gql: Any) -> None:
    payload = _register(gql, displayName="  Ann  ")
    assert payload["errors"] == []
    assert payload["user"]["username"] == "ann_1"
    assert payload["user"]["displayName"] == "Ann"
    assert payload["user"]["email"] == "ann@example.com"  # the new viewer sees their own
    assert payload["accessToken"] and payload["refreshToken"]
    me = gql("{ me { username } }", token=payload["accessToken"])
    assert me["data"]["me"] == {"username": "ann_1"}
    assert User.objects.get(username="ann_1").check_password("correct horse 42")


def test_display_name_defaults_to_the_username(gql: Any) -> None:
    assert _register(gql)["user"]["displayName"] == "ann_1"


def test_an_invisible_display_name_is_the_username(gql: Any) -> None:
    assert _register(gql, displayName="\u200b\u2060")["user"]["displayName"] == "ann_1"


def test_a_bad_username_is_reported_once_not_as_a_display_name_too(gql: Any) -> None:
    # The display name defaults to the username: the client sent none to correct.
    assert _codes(_register(gql, username="ann\x00")) == {("username", "INVALID")}


def test_taken_username_is_case_insensitive(gql: Any) -> None:
    make_user("Ann_1")
    payload = _register(gql, username="aNN_1", email="other@example.com")
    assert _codes(payload) == {("username", "TAKEN")}
    assert payload["user"] is None and payload["accessToken"] is None


def test_taken_email_is_case_insensitive(gql: Any) -> None:
    make_user("someone", email="Ann@Example.com")
    assert _codes(_register(gql)) == {("email", "TAKEN")}


def test_the_database_itself_refuses_a_case_variant_username() -> None:
    make_user("Bob")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="bOB", email="b2@example.com")


def test_the_database_itself_refuses_a_case_variant_email() -> None:
    make_user("bob", email="bob@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="bob2", email="BOB@example.com")


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"email": "not-an-email"}, {("email", "INVALID")}),
        ({"email": ""}, {("email", "REQUIRED")}),
        ({"password": "password"}, {("password", "INVALID")}),
        ({"password": "12345678901"}, {("password", "INVALID")}),
        ({"password": "short"}, {("password", "INVALID")}),
        ({"password": ""}, {("password", "REQUIRED")}),
        ({"username": "a" * 31}, {("username", "TOO_LONG")}),
        ({"username": "ab"}, {("username", "INVALID")}),
        ({"username": "ann smith"}, {("username", "INVALID")}),
        ({"username": "ann@home"}, {("username", "INVALID")}),
        ({"username": "ånn"}, {("username", "INVALID")}),
        ({"username": ""}, {("username", "REQUIRED")}),
        ({"displayName": "d" * 51}, {("displayName", "TOO_LONG")}),
        (
            {"username": "x", "email": "bad", "password": "1"},
            {("username", "INVALID"), ("email", "INVALID"), ("password", "INVALID")},
        ),
    ],
)
def test_bad_input_stores_nothing(
    gql: Any, fields: dict[str, Any], expected: set[tuple[str, str]]
) -> None:
    payload = _register(gql, **fields)
    assert _codes(payload) == expected
    assert payload["user"] is None and payload["accessToken"] is None
    assert payload["refreshToken"] is None
    assert not User.objects.exists()
    assert not RefreshToken.objects.exists()


def test_password_similar_to_the_username_is_refused(gql: Any) -> None:
    payload = _register(gql, username="quartzfish", password="quartzfish1")
    assert _codes(payload) == {("password", "INVALID")}
