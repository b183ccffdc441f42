"""Posts: publishing, editing and deleting, with their tags and mentions.

The counters (the author's post_count, the parent's reply_count) follow from the rows,
kept by the database's triggers (social/migrations/0006_counters_kept_by_triggers.py).
"""

from collections.abc import Sequence

from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from notifications.services import notify_post_created, unread_changed_by_post
from social.errors import ErrorCode, PermissionDenied, ValidationFailed
from social.models import Post, PostHashtag, PostMention, User
from social.models.posts import POST_BODY_MAX_LENGTH
from social.services import media as media_services
from social.services.guards import ensure_not_blocked
from social.text import (
    MAX_HASHTAGS_PER_POST,
    MAX_MENTIONS_PER_POST,
    parse_hashtags,
    parse_mentions,
    trimmed,
)


def _clean_body(body: str, *, may_be_empty: bool = False) -> str:
    body = trimmed(body)
    if not body and not may_be_empty:
        raise ValidationFailed(
            field="body", code=ErrorCode.REQUIRED, message="Write something first."
        )
    if len(body) > POST_BODY_MAX_LENGTH:
        raise ValidationFailed(
            field="body",
            code=ErrorCode.TOO_LONG,
            message=f"Use at most {POST_BODY_MAX_LENGTH} characters.",
        )
    if "\x00" in body:
        # PostgreSQL text cannot hold NUL; refuse it everywhere alike.
        raise ValidationFailed(
            field="body", code=ErrorCode.INVALID, message="The text contains a NUL character."
        )
    if len(parse_mentions(body)) > MAX_MENTIONS_PER_POST:
        raise ValidationFailed(
            field="body",
            code=ErrorCode.INVALID,
            message=f"Mention at most {MAX_MENTIONS_PER_POST} people in one post.",
        )
    if len(parse_hashtags(body)) > MAX_HASHTAGS_PER_POST:
        raise ValidationFailed(
            field="body",
            code=ErrorCode.INVALID,
            message=f"Use at most {MAX_HASHTAGS_PER_POST} hashtags in one post.",
        )
    return body


def _mentioned_users(body: str) -> list[User]:
    """Existing active users named as @username, in order of appearance."""
    names = parse_mentions(body)
    if not names:
        return []
    found = {
        u.username.lower(): u
        for u in User.objects.annotate(username_lower=Lower("username")).filter(
            username_lower__in=names, is_active=True
        )
    }
    return [found[name] for name in names if name in found]


def _attach_tags_and_mentions(post: Post) -> list[User]:
    """Replaces the post's hashtag and mention rows from its body; returns the mentioned users."""
    PostHashtag.objects.filter(post=post).delete()
    PostMention.objects.filter(post=post).delete()
    PostHashtag.objects.bulk_create(
        PostHashtag(post=post, tag=tag, position=i, created_at=post.created_at)
        for i, tag in enumerate(parse_hashtags(post.body))
    )
    mentioned = _mentioned_users(post.body)
    PostMention.objects.bulk_create(
        PostMention(post=post, user=user, position=i) for i, user in enumerate(mentioned)
    )
    return mentioned


def _not_found(field: str) -> ValidationFailed:
    return ValidationFailed(
        field=field, code=ErrorCode.NOT_FOUND, message="That post does not exist."
    )


def post_create(
    *,
    author: User,
    body: str,
    reply_to: Post | None = None,
    media_ids: Sequence[int] | None = None,
) -> Post:
    """Publishes a post; with `media_ids` (the author's unattached uploads, at most 4) the
    body may be empty."""
    body = _clean_body(body, may_be_empty=bool(media_ids))
    with transaction.atomic():
        media = media_services.media_for_post(owner=author, ids=media_ids)
        # Locks the parent, so it cannot be deleted before this reply commits.
        if reply_to is not None:
            ensure_not_blocked(user_id=author.pk, other_id=reply_to.author_id, field="replyTo")
            parent = Post.objects.select_for_update().filter(pk=reply_to.pk)
            if parent.values_list("pk", flat=True).first() is None:
                raise _not_found("replyTo")
        post = Post.objects.create(
            author=author,
            body=body,
            reply_to=reply_to,
            is_reply=reply_to is not None,
            has_media=bool(media),
            media_json=[item.as_json() for item in media],
        )
        media_services.attach_to_post(post=post, media=media)
        mentioned = _attach_tags_and_mentions(post)
        notify_post_created(post=post, mentioned=mentioned)
    return post


def post_edit(*, post: Post, editor: User, body: str) -> Post:
    """Author only: replaces the body, sets edited_at, re-reads tags and mentions. The same
    body again (after trimming) changes nothing: the post was not edited."""
    if post.author_id != editor.pk:
        raise PermissionDenied("Only the author can edit this post.")
    body = _clean_body(body, may_be_empty=post.has_media)
    with transaction.atomic():
        locked = Post.objects.select_for_update().filter(pk=post.pk).first()
        if locked is None:
            raise _not_found("id")
        if locked.body == body:
            return locked
        locked.body = body
        locked.edited_at = timezone.now()
        locked.save(update_fields=["body", "edited_at"])
        _attach_tags_and_mentions(locked)
    return locked


def post_delete(*, post: Post, actor: User) -> int:
    """Author only. Replies stay, with reply_to null. Returns the deleted post's id."""
    if post.author_id != actor.pk:
        raise PermissionDenied("Only the author can delete this post.")
    with transaction.atomic():
        # The lock makes a second, concurrent delete find nothing, so counters drop once.
        locked = Post.objects.select_for_update().filter(pk=post.pk).first()
        if locked is None:
            raise _not_found("id")
        post_id = locked.pk
        # Its notifications go with it (CASCADE): their recipients' counts drop.
        unread_changed_by_post(post_id=post_id)
        # The rows go with the post (CASCADE); their files once that commits.
        media_services.delete_files_after_commit(media_services.files_of(locked.media.all()))
        locked.delete()
    return post_id
