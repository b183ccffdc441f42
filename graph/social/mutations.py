from collections.abc import Callable
from typing import cast

import strawberry

from graph.context import Info
from graph.errors import payload_errors
from graph.ids import global_id, pk_of
from graph.permissions import require_viewer
from graph.social.types import (
    CreatePostInput,
    DeletePayload,
    EditPostInput,
    FollowPayload,
    PostPayload,
)
from graph.types.selection import selected_post_shape
from social.errors import ErrorCode, ValidationFailed
from social.models import Post, User
from social.reads import posts as post_reads
from social.reads import users as user_reads
from social.reads.views import PostView, UserView
from social.selectors.posts import visible_post
from social.selectors.users import visible_user
from social.services import follows, likes, posts


def _post(value: str | None, field: str, viewer_id: int, *, blocks: bool = True) -> Post:
    """The post behind a global ID, or NOT_FOUND on `field` (garbage and other types alike).
    `blocks=False` for an action whose service decides across a block (like, unlike, reply)."""
    pk = pk_of(value, "Post")
    post = None if pk is None else visible_post(post_id=pk, viewer_id=viewer_id, blocks=blocks)
    if post is None:
        raise ValidationFailed(field=field, code=ErrorCode.NOT_FOUND, message="No such post.")
    return post


def _user(value: str, field: str, viewer_id: int) -> User:
    pk = pk_of(value, "User")
    user = None if pk is None else visible_user(user_id=pk, viewer_id=viewer_id)
    if user is None:
        raise ValidationFailed(field=field, code=ErrorCode.NOT_FOUND, message="No such user.")
    return user


def _fresh_post(info: Info, post_id: int, viewer_id: int) -> PostView | None:
    """The post as the viewer now sees it: counters and flags read after the write."""
    shape = selected_post_shape(info, "post")
    return post_reads.post_view(post_id=post_id, viewer_id=viewer_id, shape=shape)


def _fresh_user(user_id: int, viewer_id: int) -> UserView | None:
    return user_reads.user_view(user_id=user_id, viewer_id=viewer_id)


def _on_post(
    info: Info, post_id: str, act: Callable[[User, Post], object], *, blocks: bool = True
) -> PostPayload:
    """`act(viewer, post)` on the post `postId` names; the payload shows the post after it."""
    viewer = require_viewer(info)
    payload = PostPayload()
    with payload_errors(payload):
        post = _post(post_id, "postId", viewer.pk, blocks=blocks)
        act(viewer, post)
        payload.post = _fresh_post(info, post.pk, viewer.pk)  # type: ignore[assignment]
    return payload


def _on_user(info: Info, user_id: str, act: Callable[[User, User], object]) -> FollowPayload:
    """`act(viewer, user)` on the user `userId` names; the payload shows the user after it."""
    viewer = require_viewer(info)
    payload = FollowPayload()
    with payload_errors(payload):
        user = _user(user_id, "userId", viewer.pk)
        act(viewer, user)
        payload.user = _fresh_user(user.pk, viewer.pk)  # type: ignore[assignment]
    return payload


def _media_ids(values: list[strawberry.ID] | None) -> list[int] | None:
    """The uploads' pks; an id that is not a Media's is NOT_FOUND, like someone else's."""
    if values is None:
        return None
    pks = [pk_of(value, "Media") for value in values]
    if any(pk is None for pk in pks):
        raise ValidationFailed(
            field="mediaIds", code=ErrorCode.NOT_FOUND, message="That upload does not exist."
        )
    return cast(list[int], pks)


@strawberry.type
class SocialMutation:
    @strawberry.mutation
    def create_post(self, info: Info, input: CreatePostInput) -> PostPayload:
        viewer = require_viewer(info)
        payload = PostPayload()
        with payload_errors(payload):
            reply_to = (
                None
                if input.reply_to is None
                else _post(input.reply_to, "replyTo", viewer.pk, blocks=False)
            )
            post = posts.post_create(
                author=viewer,
                body=input.body,
                reply_to=reply_to,
                media_ids=_media_ids(input.media_ids),
            )
            payload.post = _fresh_post(info, post.pk, viewer.pk)  # type: ignore[assignment]
        return payload

    @strawberry.mutation(description="Author only.")
    def edit_post(self, info: Info, input: EditPostInput) -> PostPayload:
        viewer = require_viewer(info)
        payload = PostPayload()
        with payload_errors(payload):
            post = posts.post_edit(
                post=_post(input.id, "id", viewer.pk), editor=viewer, body=input.body
            )
            payload.post = _fresh_post(info, post.pk, viewer.pk)  # type: ignore[assignment]
        return payload

    @strawberry.mutation(description="Author only. Replies stay, with replyTo null.")
    def delete_post(self, info: Info, id: strawberry.ID) -> DeletePayload:
        viewer = require_viewer(info)
        payload = DeletePayload()
        with payload_errors(payload):
            post = _post(id, "id", viewer.pk)
            payload.reply_to_id = post.reply_to_id
            deleted = posts.post_delete(post=post, actor=viewer)
            payload.deleted_id = strawberry.ID(global_id("Post", deleted))
        return payload

    @strawberry.mutation(
        description="Idempotent: liking twice leaves one like and one notification."
    )
    def like_post(self, info: Info, post_id: strawberry.ID) -> PostPayload:
        return _on_post(
            info,
            post_id,
            lambda viewer, post: likes.like_create(user=viewer, post=post),
            blocks=False,
        )

    @strawberry.mutation(
        description="Idempotent. Also takes back a like of a post a block now hides (the "
        "payload's post is then null)."
    )
    def unlike_post(self, info: Info, post_id: strawberry.ID) -> PostPayload:
        return _on_post(
            info,
            post_id,
            lambda viewer, post: likes.like_delete(user=viewer, post=post),
            blocks=False,
        )

    @strawberry.mutation(description="Idempotent. Following yourself is a SELF_ACTION error.")
    def follow_user(self, info: Info, user_id: strawberry.ID) -> FollowPayload:
        return _on_user(
            info,
            user_id,
            lambda viewer, user: follows.follow_create(follower=viewer, followee=user),
        )

    @strawberry.mutation
    def unfollow_user(self, info: Info, user_id: strawberry.ID) -> FollowPayload:
        return _on_user(
            info,
            user_id,
            lambda viewer, user: follows.follow_delete(follower=viewer, followee=user),
        )
