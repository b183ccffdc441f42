"""Text no database can store is refused as the contract says, never a 500: a NUL (which
PostgreSQL text cannot hold) as the field's payload error or as no match, and an unpaired
surrogate (JSON's `\\ud800` escape, which UTF-8 cannot hold) as BAD_USER_INPUT."""

from typing import Any

import pytest

from graph.extensions import UNENCODABLE_TEXT_MESSAGE
from social.models import Report, User
from tests.conftest import GqlCall
from tests.factories import PASSWORD, make_user
from tests.security.conftest import only_error

pytestmark = pytest.mark.django_db

NUL = "a\x00b"
REGISTER = """
mutation ($name: String) {
  register(input: {username: "newcomer", email: "newcomer@example.com",
                   password: "a-long-password-1", displayName: $name}) {
    accessToken errors { field code }
  }
}
"""
UPDATE_PROFILE = """
mutation ($name: String, $bio: String) {
  updateProfile(input: {displayName: $name, bio: $bio}) { user { id } errors { field code } }
}
"""
LOGIN = """
mutation ($login: String!, $password: String!) {
  login(input: {login: $login, password: $password}) { accessToken errors { code } }
}
"""
RESET = "mutation ($e: String!) { requestPasswordReset(email: $e) { ok errors { code } } }"
REPORT = """
mutation ($u: ID!, $c: String) {
  reportUser(input: {userId: $u, reason: SPAM, comment: $c}) { ok errors { field code } }
}
"""


def test_a_nul_in_a_display_name_at_registration_is_invalid(gql: GqlCall) -> None:
    payload = gql(REGISTER, {"name": NUL})["data"]["register"]
    assert payload == {
        "accessToken": None,
        "errors": [{"field": "displayName", "code": "INVALID"}],
    }
    assert not User.objects.filter(username="newcomer").exists()


@pytest.mark.parametrize("field", ["name", "bio"])
def test_a_nul_in_the_profile_is_invalid(gql: GqlCall, field: str) -> None:
    alice = make_user("alice")
    payload = gql(UPDATE_PROFILE, {field: NUL}, as_user=alice)["data"]["updateProfile"]
    name = {"name": "displayName", "bio": "bio"}[field]
    assert payload == {"user": None, "errors": [{"field": name, "code": "INVALID"}]}


@pytest.mark.parametrize("login", ["ali\x00ce", "alice@exam\x00ple.com", "\x00"])
def test_a_nul_in_a_login_matches_no_account(gql: GqlCall, login: str) -> None:
    make_user("alice")
    payload = gql(LOGIN, {"login": login, "password": PASSWORD})["data"]["login"]
    assert payload == {"accessToken": None, "errors": [{"code": "INVALID_CREDENTIALS"}]}


def test_a_nul_in_a_reset_address_answers_as_any_other_address(
    gql: GqlCall, mailoutbox: list[Any]
) -> None:
    make_user("alice")
    payload = gql(RESET, {"e": "alice@example.com\x00"})["data"]["requestPasswordReset"]
    assert payload == {"ok": True, "errors": []}
    assert mailoutbox == []


def test_a_nul_in_a_report_comment_is_invalid(gql: GqlCall) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    from graph.ids import global_id

    variables = {"u": global_id("User", bob.pk), "c": NUL}
    payload = gql(REPORT, variables, as_user=alice)["data"]["reportUser"]
    assert payload == {"ok": False, "errors": [{"field": "comment", "code": "INVALID"}]}
    assert not Report.objects.exists()


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("mutation ($b: String!) { createPost(input: {body: $b}) { errors { code } } }", {}),
        (LOGIN, {"login": "alice", "password": "x"}),
        ("query ($b: String!) { user(username: $b) { id } }", {}),
        ("query ($b: String!) { searchUsers(query: $b) { edges { cursor } } }", {}),
    ],
)
def test_unpaired_surrogates_are_bad_user_input(
    gql: GqlCall, query: str, variables: dict[str, str]
) -> None:
    alice = make_user("alice")
    # The first variable holds the surrogate (sent as the JSON escape \ud800).
    name = query.split("$")[1].split(":")[0]
    result = gql(query, {**variables, name: "x\ud800y"}, as_user=alice)
    error = only_error(result)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["message"] == UNENCODABLE_TEXT_MESSAGE
    assert not alice.posts.exists()


def test_an_unpaired_surrogate_in_the_document_is_a_syntax_error(gql: GqlCall) -> None:
    # A character in the document (a JSON escape), not a GraphQL escape.
    query = 'mutation { updateProfile(input: {bio: "\ud800"}) { errors { code } } }'
    error = only_error(gql(query, as_user=make_user("alice")))
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["message"].startswith("Syntax Error")


def test_paired_surrogates_are_text_like_any_other(gql: GqlCall) -> None:
    alice = make_user("alice")
    query = "mutation ($b: String!) { createPost(input: {body: $b}) { post { body } } }"
    result = gql(query, {"b": "party \U0001f389"}, as_user=alice)
    assert result == {"data": {"createPost": {"post": {"body": "party \U0001f389"}}}}
