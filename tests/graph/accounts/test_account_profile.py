"""me, user(username:), node(id:), updateProfile, and who sees an email."""

from typing import Any

import pytest

from graph.ids import global_id
from social.models import User
from tests.factories import make_user

pytestmark = pytest.mark.django_db

UPDATE = """
mutation($input: UpdateProfileInput!) {
  updateProfile(input: $input) {
    user { displayName bio avatarUrl } errors { field code message }
  }
}
"""


def test_me_is_null_when_signed_out(gql: Any) -> None:
    assert gql("{ me { id } }") == {"data": {"me": None}}


def test_me_is_the_viewer(gql: Any) -> None:
    user = make_user("gina")
    result = gql("{ me { id username email } }", as_user=user)
    assert result["data"]["me"] == {
        "id": global_id("User", user.pk),
        "username": "gina",
        "email": "gina@example.com",
    }


def test_user_by_username_ignores_case(gql: Any) -> None:
    make_user("Hank")
    assert gql('{ user(username: "hANK") { username } }')["data"]["user"] == {"username": "Hank"}
    assert gql('{ user(username: "nobody") { username } }')["data"]["user"] is None


def test_node_fetches_a_user(gql: Any) -> None:
    user = make_user("ivy")
    query = "query($id: ID!) { node(id: $id) { id ... on User { username } } }"
    result = gql(query, {"id": global_id("User", user.pk)})
    assert result["data"]["node"] == {"id": global_id("User", user.pk), "username": "ivy"}
    for bad in ["garbage", global_id("User", 999_999), global_id("Nope", user.pk)]:
        assert gql(query, {"id": bad})["data"]["node"] is None


def test_email_is_visible_only_to_its_owner(gql: Any) -> None:
    owner, other = make_user("jack"), make_user("kate")
    query = '{ user(username: "jack") { email } }'
    assert gql(query)["data"]["user"]["email"] is None
    assert gql(query, as_user=other)["data"]["user"]["email"] is None
    assert gql(query, as_user=owner)["data"]["user"]["email"] == "jack@example.com"
    node = gql(
        "query($id: ID!) { node(id: $id) { ... on User { email } } }",
        {"id": global_id("User", owner.pk)},
        as_user=other,
    )
    assert node["data"]["node"]["email"] is None


def test_update_profile_changes_the_given_fields(gql: Any) -> None:
    user = make_user("liam", bio="old")
    payload = gql(
        UPDATE,
        {"input": {"displayName": " Liam L ", "avatarUrl": "https://img.example.com/a.png"}},
        as_user=user,
    )["data"]["updateProfile"]
    assert payload == {
        "user": {
            "displayName": "Liam L",
            "bio": "old",
            "avatarUrl": "https://img.example.com/a.png",
        },
        "errors": [],
    }
    cleared = gql(UPDATE, {"input": {"avatarUrl": ""}}, as_user=user)["data"]["updateProfile"]
    assert cleared["user"]["avatarUrl"] is None


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"displayName": "x" * 51}, ("displayName", "TOO_LONG")),
        ({"displayName": "   "}, ("displayName", "REQUIRED")),
        # Invisible: zero-width space and joiner, a direction mark, a BOM.
        ({"displayName": "\u200b\u200d \u200f\ufeff"}, ("displayName", "REQUIRED")),
        ({"bio": "b" * 301}, ("bio", "TOO_LONG")),
        ({"avatarUrl": "javascript:alert(1)"}, ("avatarUrl", "INVALID")),
        ({"avatarUrl": "JavaScript://%0aalert(1)"}, ("avatarUrl", "INVALID")),
        ({"avatarUrl": "data:image/png;base64,AAAA"}, ("avatarUrl", "INVALID")),
        ({"avatarUrl": "ftp://example.com/a.png"}, ("avatarUrl", "INVALID")),
        ({"avatarUrl": "//example.com/a.png"}, ("avatarUrl", "INVALID")),
        ({"avatarUrl": "https://e.com/" + "a" * 500}, ("avatarUrl", "TOO_LONG")),
        # URLValidator lets a NUL through in the path; PostgreSQL text cannot hold it.
        ({"avatarUrl": "https://e.com/a\x00.png"}, ("avatarUrl", "INVALID")),
    ],
)
def test_invalid_profile_changes_nothing(gql: Any, fields: dict[str, str], expected: Any) -> None:
    user = make_user("mia", bio="kept")
    payload = gql(UPDATE, {"input": {"bio": "new", **fields}}, as_user=user)["data"][
        "updateProfile"
    ]
    assert payload["user"] is None
    assert expected in {(e["field"], e["code"]) for e in payload["errors"]}
    stored = User.objects.get(pk=user.pk)
    assert (stored.bio, stored.display_name, stored.avatar_url) == ("kept", "Mia", None)


def test_profile_text_is_stored_and_returned_as_plain_text(gql: Any) -> None:
    user = make_user("ned")
    html = '<script>alert("x")</script> & <b>bold</b>'
    payload = gql(UPDATE, {"input": {"bio": html, "displayName": html[:50]}}, as_user=user)
    assert payload["data"]["updateProfile"]["user"]["bio"] == html
    assert User.objects.get(pk=user.pk).bio == html


def test_update_profile_needs_sign_in(gql: Any) -> None:
    result = gql(UPDATE, {"input": {"bio": "x"}})
    assert result["data"] is None
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
