"""Post and User fields also resolve in async execution (WebSocket subscriptions)."""

from typing import Any

import pytest
from asgiref.sync import sync_to_async

from graph.context import Context
from graph.ids import global_id
from graph.schema import schema
from social.models import Post, User
from social.reads.posts import post_view
from social.reads.views import FULL_SHAPE
from tests.factories import make_follow, make_like, make_post, make_user

QUERY = """query($id: ID!) { post(id: $id) {
  body likeCount replyCount viewerHasLiked hashtags
  author { username viewerFollows followsViewer posts(first: 1) { edges { node { body } } } }
  mentions { username viewerFollows }
  replyTo { body author { username } }
  replies(first: 5) { edges { node { body } } }
} }"""


def _thread() -> tuple[User, Post]:
    ann, bob = make_user("ann"), make_user("bob")
    make_follow(bob, ann)
    root = make_post(ann, "root")
    reply = make_post(ann, "reply @bob #Async", reply_to=root)
    make_post(bob, "deeper", reply_to=reply)
    make_like(bob, reply)
    return bob, reply


@pytest.mark.django_db(transaction=True)
async def test_post_fields_resolve_in_async_execution() -> None:
    bob, reply = await sync_to_async(_thread)()
    result = await schema.execute(
        QUERY,
        variable_values={"id": global_id("Post", reply.pk)},
        context_value=Context(viewer_id=bob.pk),
    )
    assert result.errors is None, result.errors
    data: Any = result.data
    assert data["post"] == {
        "body": "reply @bob #Async",
        "likeCount": 1,
        "replyCount": 1,
        "viewerHasLiked": True,
        "hashtags": ["async"],
        "author": {
            "username": "ann",
            "viewerFollows": True,
            "followsViewer": False,
            "posts": {"edges": [{"node": {"body": "reply @bob #Async"}}]},
        },
        "mentions": [{"username": "bob", "viewerFollows": False}],
        "replyTo": {"body": "root", "author": {"username": "ann"}},
        "replies": {"edges": [{"node": {"body": "deeper"}}]},
    }


@pytest.mark.django_db
def test_a_post_view_carries_the_viewer_flags_of_its_related_users() -> None:
    bob, reply = _thread()
    post = post_view(post_id=reply.pk, viewer_id=bob.pk, shape=FULL_SHAPE)
    assert post is not None and post.reply_to is not None
    assert post.viewer_has_liked is True
    assert post.author.viewer_follows is True
    assert post.reply_to.viewer_has_liked is False
    (mention,) = post.mentions
    assert mention.id == bob.pk and mention.viewer_follows is False
