"""The contract: a caller not signed in where sign-in is required gets a top-level error
whose extensions.code is UNAUTHENTICATED, HTTP 200, and nothing is written."""

import pytest

from graph.ids import global_id
from social.models import Block, Follow, Mute, Post, Report
from tests.conftest import GqlCall
from tests.factories import make_post, make_user

pytestmark = pytest.mark.django_db

USER = global_id("User", 1)
POST = global_id("Post", 1)
QUERIES = {
    "homeFeed": "{ homeFeed { edges { cursor } } }",
    "notifications": "{ notifications { edges { cursor } } }",
    "unreadNotificationCount": "{ unreadNotificationCount }",
    "blockedUsers": "{ blockedUsers { edges { cursor } } }",
    "mutedUsers": "{ mutedUsers { edges { cursor } } }",
    "followRequests": "{ followRequests { edges { cursor } } }",
    "sessions": "{ sessions { id } }",
}
MUTATIONS = {
    "logout": "logout { ok }",
    "updateProfile": 'updateProfile(input: {bio: "x"}) { errors { code } }',
    "createPost": 'createPost(input: {body: "x"}) { errors { code } }',
    "editPost": f'editPost(input: {{id: "{POST}", body: "x"}}) {{ errors {{ code }} }}',
    "deletePost": f'deletePost(id: "{POST}") {{ errors {{ code }} }}',
    "likePost": f'likePost(postId: "{POST}") {{ errors {{ code }} }}',
    "unlikePost": f'unlikePost(postId: "{POST}") {{ errors {{ code }} }}',
    "followUser": f'followUser(userId: "{USER}") {{ errors {{ code }} }}',
    "unfollowUser": f'unfollowUser(userId: "{USER}") {{ errors {{ code }} }}',
    "markNotificationsRead": "markNotificationsRead { unreadNotificationCount }",
    "blockUser": f'blockUser(userId: "{USER}") {{ errors {{ code }} }}',
    "unblockUser": f'unblockUser(userId: "{USER}") {{ errors {{ code }} }}',
    "muteUser": f'muteUser(input: {{userId: "{USER}"}}) {{ errors {{ code }} }}',
    "unmuteUser": f'unmuteUser(userId: "{USER}") {{ errors {{ code }} }}',
    "acceptFollowRequest": f'acceptFollowRequest(userId: "{USER}") {{ errors {{ code }} }}',
    "rejectFollowRequest": f'rejectFollowRequest(userId: "{USER}") {{ errors {{ code }} }}',
    "reportUser": f'reportUser(input: {{userId: "{USER}", reason: SPAM}}) {{ ok }}',
    "changePassword": 'changePassword(input: {currentPassword: "a", newPassword: "b"}) { ok }',
    "requestEmailVerification": "requestEmailVerification { ok }",
    "changeEmail": 'changeEmail(input: {newEmail: "a@b.example", password: "b"}) { user { id } }',
    "deleteAccount": 'deleteAccount(password: "x") { ok }',
    "revokeSession": f'revokeSession(id: "{global_id("Session", 1)}") {{ ok }}',
}
# What a signed-out caller may do: sign up or in, and what a token or mail link proves.
SIGNED_OUT_MUTATIONS = {
    "register",
    "login",
    "refreshToken",
    "requestPasswordReset",
    "resetPassword",
    "verifyEmail",
    "uploadMedia",  # multipart: tests/graph/media/test_media_uploads.py
}


@pytest.mark.parametrize(
    "document",
    [*QUERIES.values(), *(f"mutation {{ {field} }}" for field in MUTATIONS.values())],
    ids=[*QUERIES, *MUTATIONS],
)
def test_signed_out_is_unauthenticated_and_writes_nothing(gql: GqlCall, document: str) -> None:
    owner = make_user()
    make_post(owner)
    result = gql(document)
    assert result["data"] is None, result
    assert [error["extensions"]["code"] for error in result["errors"]] == ["UNAUTHENTICATED"]
    assert Post.objects.count() == 1
    assert not (
        Follow.objects.exists()
        or Block.objects.exists()
        or Mute.objects.exists()
        or Report.objects.exists()
    )


def test_every_operation_that_needs_sign_in_is_in_the_table() -> None:
    from graph.schema import schema

    mutation = schema._schema.mutation_type
    assert mutation is not None
    assert set(mutation.fields) == set(MUTATIONS) | SIGNED_OUT_MUTATIONS
