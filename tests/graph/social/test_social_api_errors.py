"""Permissions and bad input: clear payload or top-level errors, nothing partial saved."""

import base64
import json
from typing import Any

import pytest

from graph.ids import global_id
from social.models import Follow, Like, Post
from social.services.moderation import user_suspend
from tests.conftest import GqlCall
from tests.factories import make_post, make_user

pytestmark = pytest.mark.django_db

CREATE = """mutation($input: CreatePostInput!) { createPost(input: $input) {
  post { id body replyTo { id } } errors { field code message } } }"""
EDIT = """mutation($input: EditPostInput!) { editPost(input: $input) {
  post { body } errors { field code } } }"""
DELETE = "mutation($id: ID!) { deletePost(id: $id) { deletedId errors { field code } } }"
LIKE = "mutation($id: ID!) { likePost(postId: $id) { post { id } errors { field code } } }"
UNLIKE = "mutation($id: ID!) { unlikePost(postId: $id) { post { id } errors { field code } } }"
FOLLOW = "mutation($id: ID!) { followUser(userId: $id) { user { id } errors { field code } } }"
UNFOLLOW = "mutation($id: ID!) { unfollowUser(userId: $id) { user { id } errors { field code } } }"
PUBLIC = """query($first: Int, $after: String) { publicFeed(first: $first, after: $after) {
  edges { cursor node { body } }
  pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""


def _codes(result: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in result.get("errors", [])]


def _cursor(*values: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode().rstrip("=")


class TestSignIn:
    @pytest.mark.parametrize(
        ("query", "variables"),
        [
            ("query { homeFeed { edges { cursor } } }", {}),
            (CREATE, {"input": {"body": "hi"}}),
            (EDIT, {"input": {"id": "UG9zdDox", "body": "hi"}}),
            (DELETE, {"id": "UG9zdDox"}),
            (LIKE, {"id": "UG9zdDox"}),
            (UNLIKE, {"id": "UG9zdDox"}),
            (FOLLOW, {"id": "VXNlcjox"}),
            (UNFOLLOW, {"id": "VXNlcjox"}),
        ],
    )
    def test_signed_out_callers_are_unauthenticated(
        self, gql: GqlCall, query: str, variables: dict[str, Any]
    ) -> None:
        make_post(make_user())
        result = gql(query, variables)
        assert _codes(result) == ["UNAUTHENTICATED"]
        assert Post.objects.count() == 1 and not Like.objects.exists()

    def test_signed_out_flags_are_false(self, gql: GqlCall) -> None:
        ann, bob = make_user(), make_user()
        post = make_post(ann)
        Follow.objects.create(follower=bob, followee=ann)
        Like.objects.create(user=bob, post=post)
        result = gql(
            "query { publicFeed { edges { node { viewerHasLiked "
            "author { viewerFollows followsViewer email } } } } }"
        )
        node = result["data"]["publicFeed"]["edges"][0]["node"]
        assert node == {
            "viewerHasLiked": False,
            "author": {"viewerFollows": False, "followsViewer": False, "email": None},
        }

    def test_only_the_author_may_edit_or_delete(self, gql: GqlCall) -> None:
        ann, bob = make_user(), make_user()
        post = make_post(ann, "mine")
        pid = global_id("Post", post.pk)
        edited = gql(EDIT, {"input": {"id": pid, "body": "yours"}}, as_user=bob)
        assert _codes(edited) == ["FORBIDDEN"] and edited["data"] is None
        assert _codes(gql(DELETE, {"id": pid}, as_user=bob)) == ["FORBIDDEN"]
        post.refresh_from_db()
        assert post.body == "mine" and post.edited_at is None


class TestBadInput:
    @pytest.mark.parametrize(
        ("body", "code"),
        [("", "REQUIRED"), ("   \n\t", "REQUIRED"), ("x" * 501, "TOO_LONG"), ("a\x00", "INVALID")],
    )
    def test_bad_bodies_come_back_in_the_payload(self, gql: GqlCall, body: str, code: str) -> None:
        ann = make_user()
        result = gql(CREATE, {"input": {"body": body}}, as_user=ann)
        payload = result["data"]["createPost"]
        assert payload["post"] is None
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [("body", code)]
        ann.refresh_from_db()
        assert not Post.objects.exists() and ann.post_count == 0

    def test_html_and_sql_are_stored_and_returned_as_given(self, gql: GqlCall) -> None:
        body = '<img src=x onerror=alert(1)> Robert\'); DROP TABLE social_post;-- "q" &lt;'
        result = gql(CREATE, {"input": {"body": body}}, as_user=make_user())
        assert result["data"]["createPost"]["post"]["body"] == body
        assert Post.objects.get().body == body

    @pytest.mark.parametrize("kind", ["garbage", "user", "deleted", "huge"])
    def test_unknown_posts_are_not_found_in_the_payload(self, gql: GqlCall, kind: str) -> None:
        ann = make_user()
        post = make_post(ann)
        gone = make_post(ann, "gone")
        Post.objects.filter(pk=gone.pk).delete()
        bad_id = {
            "garbage": "not an id';--",
            "user": global_id("User", ann.pk),
            "deleted": global_id("Post", gone.pk),
            "huge": global_id("Post", 2**70),
        }[kind]
        created = gql(CREATE, {"input": {"body": "hi", "replyTo": bad_id}}, as_user=ann)
        assert created["data"]["createPost"] == {
            "post": None,
            "errors": [{"field": "replyTo", "code": "NOT_FOUND", "message": "No such post."}],
        }
        for mutation, name in ((LIKE, "likePost"), (UNLIKE, "unlikePost")):
            result = gql(mutation, {"id": bad_id}, as_user=ann)
            assert result["data"][name]["errors"] == [{"field": "postId", "code": "NOT_FOUND"}]
        edited = gql(EDIT, {"input": {"id": bad_id, "body": "x"}}, as_user=ann)
        assert edited["data"]["editPost"]["errors"] == [{"field": "id", "code": "NOT_FOUND"}]
        deleted = gql(DELETE, {"id": bad_id}, as_user=ann)
        assert deleted["data"]["deletePost"] == {
            "deletedId": None,
            "errors": [{"field": "id", "code": "NOT_FOUND"}],
        }
        assert gql("query($id: ID!) { post(id: $id) { id } }", {"id": bad_id}) == {
            "data": {"post": None}
        }
        assert list(Post.objects.values_list("pk", flat=True)) == [post.pk]
        assert not Like.objects.exists()

    @pytest.mark.parametrize("hidden_by", ["locked", "suspended"])
    def test_a_post_the_caller_may_not_see_is_not_found_never_forbidden(
        self, gql: GqlCall, hidden_by: str
    ) -> None:
        """FORBIDDEN would confirm that the post exists: what the viewer may not see is
        absent, for every mutation that names a post as for post(id:)."""
        owner, bob = make_user(is_locked=hidden_by == "locked"), make_user()
        post = make_post(owner, "not for bob")
        if hidden_by == "suspended":
            user_suspend(user=owner, moderator=make_user(is_staff=True))
        pid = global_id("Post", post.pk)
        assert gql("query($id: ID!) { post(id: $id) { id } }", {"id": pid}, as_user=bob) == {
            "data": {"post": None}
        }
        answers = {
            "editPost": gql(EDIT, {"input": {"id": pid, "body": "mine now"}}, as_user=bob),
            "deletePost": gql(DELETE, {"id": pid}, as_user=bob),
            "likePost": gql(LIKE, {"id": pid}, as_user=bob),
            "unlikePost": gql(UNLIKE, {"id": pid}, as_user=bob),
            "createPost": gql(CREATE, {"input": {"body": "hi", "replyTo": pid}}, as_user=bob),
        }
        field = {"editPost": "id", "deletePost": "id", "createPost": "replyTo"}
        for name, answer in answers.items():
            assert "errors" not in answer, answer
            payload = answer["data"][name]
            assert [(e["field"], e["code"]) for e in payload["errors"]] == [
                (field.get(name, "postId"), "NOT_FOUND")
            ], name
            assert payload.get("post", payload.get("deletedId")) is None, name
        post.refresh_from_db()
        assert post.body == "not for bob" and post.edited_at is None
        assert Post.objects.count() == 1 and not Like.objects.exists()

    @pytest.mark.parametrize("kind", ["garbage", "post", "missing"])
    def test_unknown_users_are_not_found_in_the_payload(self, gql: GqlCall, kind: str) -> None:
        ann = make_user()
        post = make_post(ann)
        bad_id = {
            "garbage": "%%%",
            "post": global_id("Post", post.pk),
            "missing": global_id("User", 10**9),
        }[kind]
        for mutation, name in ((FOLLOW, "followUser"), (UNFOLLOW, "unfollowUser")):
            result = gql(mutation, {"id": bad_id}, as_user=ann)
            assert result["data"][name] == {
                "user": None,
                "errors": [{"field": "userId", "code": "NOT_FOUND"}],
            }
        assert not Follow.objects.exists()

    def test_unfollowing_yourself_is_a_self_action(self, gql: GqlCall) -> None:
        ann = make_user()
        result = gql(UNFOLLOW, {"id": global_id("User", ann.pk)}, as_user=ann)
        assert result["data"]["unfollowUser"]["errors"] == [
            {"field": "userId", "code": "SELF_ACTION"}
        ]

    @pytest.mark.parametrize("first", [-1, 101])
    def test_page_size_out_of_range_is_bad_user_input(self, gql: GqlCall, first: int) -> None:
        result = gql(PUBLIC, {"first": first})
        assert _codes(result) == ["BAD_USER_INPUT"]

    @pytest.mark.parametrize(
        "cursor",
        [
            "garbage",
            "",
            "!!!",
            _cursor("home", "2024-01-01T00:00:00+00:00", 1),
            _cursor("public", "2024-01-01T00:00:00+00:00"),
            _cursor("public", "not a date", 1),
            _cursor("public", "2024-01-01T00:00:00+00:00", "1; DROP TABLE social_post"),
            _cursor("public", None, 1),
            _cursor("public", True, 1),
            _cursor("public", "2024-01-01T00:00:00+00:00", 2**80),
            _cursor("public", "2024-01-01\x00", 1),
            _cursor("search", "\x00", "a", 1),
        ],
    )
    def test_malformed_cursors_are_bad_user_input(self, gql: GqlCall, cursor: str) -> None:
        make_post(make_user())
        result = gql(PUBLIC, {"first": 2, "after": cursor})
        assert _codes(result) == ["BAD_USER_INPUT"], result

    def test_a_cursor_of_another_list_is_bad_user_input(self, gql: GqlCall) -> None:
        ann = make_user()
        make_post(ann, "#a one")
        make_post(ann, "#a two")
        cursor = gql(PUBLIC, {"first": 1})["data"]["publicFeed"]["pageInfo"]["endCursor"]
        result = gql(
            'query($after: String) { hashtagFeed(tag: "a", after: $after) { edges { cursor } } }',
            {"after": cursor},
        )
        assert _codes(result) == ["BAD_USER_INPUT"]

    def test_nested_page_size_is_checked_too(self, gql: GqlCall) -> None:
        make_user("ann")
        result = gql('query { user(username: "ann") { posts(first: 101) { edges { cursor } } } }')
        assert _codes(result) == ["BAD_USER_INPUT"]


def test_first_zero_gives_an_empty_page_with_an_exact_has_next_page(gql: GqlCall) -> None:
    page = gql(PUBLIC, {"first": 0})["data"]["publicFeed"]
    assert page["edges"] == [] and page["pageInfo"]["hasNextPage"] is False
    make_post(make_user())
    assert gql(PUBLIC, {"first": 0})["data"]["publicFeed"]["pageInfo"]["hasNextPage"] is True
