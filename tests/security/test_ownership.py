"""A signed-in user cannot change what is another user's: FORBIDDEN, and nothing changes."""

import pytest

from graph.ids import global_id
from social.models import Post
from tests.conftest import GqlCall
from tests.factories import make_post, make_user

pytestmark = pytest.mark.django_db

EDIT = """mutation($input: EditPostInput!) { editPost(input: $input) {
  post { body } errors { field code } } }"""
DELETE = "mutation($id: ID!) { deletePost(id: $id) { deletedId errors { code } } }"


def test_editing_another_users_post_is_forbidden_and_changes_nothing(gql: GqlCall) -> None:
    owner, intruder = make_user("owner"), make_user("intruder")
    post = make_post(owner, "original words")

    result = gql(
        EDIT, {"input": {"id": global_id("Post", post.pk), "body": "defaced"}}, as_user=intruder
    )

    assert result["data"] is None
    assert [e["extensions"]["code"] for e in result["errors"]] == ["FORBIDDEN"]
    post.refresh_from_db()
    assert post.body == "original words" and post.edited_at is None


def test_deleting_another_users_post_is_forbidden_and_keeps_it(gql: GqlCall) -> None:
    owner, intruder = make_user("owner"), make_user("intruder")
    post = make_post(owner, "still here")

    result = gql(DELETE, {"id": global_id("Post", post.pk)}, as_user=intruder)

    assert [e["extensions"]["code"] for e in result["errors"]] == ["FORBIDDEN"]
    assert Post.objects.filter(pk=post.pk).exists()
