"""The contract's convention for every mutation: a business failure comes back in the
payload's `errors` (HTTP 200, no top-level error) and the payload's object is null (an
OkPayload's `ok` false)."""

from collections.abc import Callable
from typing import Any

import pytest

from graph.ids import global_id
from social.models import User
from tests.conftest import GqlCall
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

Variables = Callable[[User, User], dict[str, Any]]


def _user(user: User) -> str:
    return global_id("User", user.pk)


def _none(viewer: User, other: User) -> dict[str, Any]:
    return {}


def _self(viewer: User, other: User) -> dict[str, Any]:
    return {"id": _user(viewer)}


def _other(viewer: User, other: User) -> dict[str, Any]:
    return {"id": _user(other)}


def _missing_post(viewer: User, other: User) -> dict[str, Any]:
    return {"id": global_id("Post", 10**9)}


ERRORS = "errors { field code message }"
# (name, document, variables, signed in): each fails for a business reason.
FAILURES: list[tuple[str, str, Variables, bool]] = [
    ("register", 'register(input: {username: "a", email: "x", password: "p"}) '
     f"{{ user {{ id }} accessToken refreshToken {ERRORS} }}", _none, False),
    ("login", f'login(input: {{login: "nobody", password: "p"}}) '
     f"{{ user {{ id }} accessToken refreshToken {ERRORS} }}", _none, False),
    ("refreshToken", f'refreshToken(refreshToken: "bogus") '
     f"{{ user {{ id }} accessToken refreshToken {ERRORS} }}", _none, False),
    ("logout", f'logout(refreshToken: "bogus") {{ ok {ERRORS} }}', _none, True),
    ("updateProfile", f'updateProfile(input: {{bio: "{"x" * 2000}"}}) {{ user {{ id }} {ERRORS} }}',
     _none, True),
    ("createPost", f'createPost(input: {{body: "  "}}) {{ post {{ id }} {ERRORS} }}', _none, True),
    ("editPost", f'editPost(input: {{id: $id, body: "x"}}) {{ post {{ id }} {ERRORS} }}',
     _missing_post, True),
    ("deletePost", f"deletePost(id: $id) {{ deletedId {ERRORS} }}", _missing_post, True),
    ("likePost", f"likePost(postId: $id) {{ post {{ id }} {ERRORS} }}", _missing_post, True),
    ("unlikePost", f"unlikePost(postId: $id) {{ post {{ id }} {ERRORS} }}", _missing_post, True),
    ("followUser", f"followUser(userId: $id) {{ user {{ id }} {ERRORS} }}", _self, True),
    ("unfollowUser", f"unfollowUser(userId: $id) {{ user {{ id }} {ERRORS} }}", _self, True),
    ("blockUser", f"blockUser(userId: $id) {{ user {{ id }} {ERRORS} }}", _self, True),
    ("unblockUser", f"unblockUser(userId: $id) {{ user {{ id }} {ERRORS} }}", _self, True),
    ("muteUser", f"muteUser(input: {{userId: $id}}) {{ user {{ id }} {ERRORS} }}", _self, True),
    ("unmuteUser", f"unmuteUser(userId: $id) {{ user {{ id }} {ERRORS} }}", _self, True),
    ("acceptFollowRequest", f"acceptFollowRequest(userId: $id) {{ user {{ id }} {ERRORS} }}",
     _other, True),
    ("rejectFollowRequest", f"rejectFollowRequest(userId: $id) {{ user {{ id }} {ERRORS} }}",
     _other, True),
    ("reportUser", f"reportUser(input: {{userId: $id, reason: SPAM}}) {{ ok {ERRORS} }}",
     _self, True),
    ("changePassword", 'changePassword(input: {currentPassword: "wrong", '
     f'newPassword: "another-long-pass-77"}}) {{ ok {ERRORS} }}', _none, True),
    ("resetPassword", 'resetPassword(input: {token: "bogus", '
     f'newPassword: "another-long-pass-77"}}) {{ ok {ERRORS} }}', _none, False),
    ("verifyEmail", f'verifyEmail(token: "bogus") {{ user {{ id }} {ERRORS} }}', _none, False),
    ("changeEmail", f'changeEmail(input: {{newEmail: "x@example.com", password: "wrong"}}) '
     f"{{ user {{ id }} {ERRORS} }}", _none, True),
    ("deleteAccount", f'deleteAccount(password: "wrong") {{ ok {ERRORS} }}', _none, True),
    ("revokeSession", f'revokeSession(id: "{global_id("Session", 10**9)}") {{ ok {ERRORS} }}',
     _none, True),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "field", "variables", "signed_in"), FAILURES, ids=[f[0] for f in FAILURES]
)
def test_a_business_failure_is_a_payload_error_with_a_null_object(
    gql: GqlCall, name: str, field: str, variables: Variables, signed_in: bool
) -> None:
    viewer, other = make_user("viewer", password=PASSWORD), make_user("other")
    given = variables(viewer, other)
    signature = "($id: ID!)" if given else ""
    result = gql(f"mutation{signature} {{ {field} }}", given, as_user=viewer if signed_in else None)
    assert "errors" not in result, result
    payload = result["data"][name]
    assert payload["errors"], payload
    assert all(error["code"] and error["message"] for error in payload["errors"]), payload
    others = {key: value for key, value in payload.items() if key != "errors"}
    assert others == {key: False if key == "ok" else None for key in others}, payload


def test_every_mutation_of_the_schema_is_in_the_table() -> None:
    """A new mutation joins FAILURES (or this list, with the reason it cannot fail so)."""
    from graph.schema import schema

    # markNotificationsRead's payload holds a count, not an object; requestPasswordReset
    # and requestEmailVerification answer ok whatever the address; uploadMedia is
    # multipart (tests/graph/media/test_media_uploads.py checks its payload errors).
    without_object = {
        "markNotificationsRead",
        "requestPasswordReset",
        "requestEmailVerification",
        "uploadMedia",
    }
    mutation = schema._schema.mutation_type
    assert mutation is not None
    assert set(mutation.fields) == {f[0] for f in FAILURES} | without_object
