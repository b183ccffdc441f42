from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Length, Trim
from django.db.models.lookups import GreaterThan, LessThanOrEqual

from social.models.counters import POST_COUNTERS, fields_to_save

POST_BODY_MAX_LENGTH = 500


class Post(models.Model):
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="posts",
        db_index=False,  # post_author_created_idx leads with it
    )
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    reply_to = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replies",
        db_index=False,  # post_replies_idx leads with it
    )
    # Stays true when the parent is deleted (reply_to becomes null): an orphaned reply is still
    # a reply, not a top-level post for the public feed.
    is_reply = models.BooleanField(default=False)

    # Counters kept by the database's triggers; save() never writes them back (see counters.py).
    like_count = models.PositiveIntegerField(default=0)
    reply_count = models.PositiveIntegerField(default=0)

    # The attached images (Media.as_json, in order), kept beside the post so a page of
    # posts reads them in its one statement; the Media rows stay the source of truth.
    media_json = models.JSONField(default=list, blank=True)
    # A post with images may have an empty body.
    has_media = models.BooleanField(default=False)

    class Meta:
        constraints = [
            # The services trim and check the body; the database refuses what slips past.
            models.CheckConstraint(
                condition=(
                    models.Q(GreaterThan(Length(Trim("body")), 0)) | models.Q(has_media=True)
                )
                & models.Q(LessThanOrEqual(Length("body"), POST_BODY_MAX_LENGTH)),
                name="post_body_length",
            ),
        ]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="post_created_idx"),
            # The public feed: top-level posts only, newest first.
            models.Index(
                fields=["-created_at", "-id"],
                condition=models.Q(reply_to__isnull=True, is_reply=False),
                name="post_top_level_idx",
            ),
            models.Index(fields=["author", "-created_at", "-id"], name="post_author_created_idx"),
            models.Index(fields=["reply_to", "created_at", "id"], name="post_replies_idx"),
        ]

    def __str__(self) -> str:
        return f"Post {self.pk} by {self.author_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        kwargs["update_fields"] = fields_to_save(self, kwargs.get("update_fields"), POST_COUNTERS)
        super().save(*args, **kwargs)


class Like(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="likes",
        db_index=False,  # like_unique_user_post leads with it
    )
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="likes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "post"], name="like_unique_user_post"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} likes {self.post_id}"


class PostHashtag(models.Model):
    """A #tag of a post, lower-cased, in order of appearance (position)."""

    # hashtag_unique_per_post leads with it
    post = models.ForeignKey(
        Post, on_delete=models.CASCADE, related_name="hashtag_links", db_index=False
    )
    tag = models.CharField(max_length=100)
    position = models.PositiveSmallIntegerField()
    # Copied from the post so the hashtag feed is one index range scan.
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["post", "tag"], name="hashtag_unique_per_post"),
        ]
        indexes = [
            models.Index(fields=["tag", "-created_at", "-post"], name="hashtag_feed_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.tag}"


class PostMention(models.Model):
    """An @username of a post that named an existing user, in order of appearance."""

    # mention_unique_per_post leads with it
    post = models.ForeignKey(
        Post, on_delete=models.CASCADE, related_name="mention_links", db_index=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentioned_in"
    )
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["post", "user"], name="mention_unique_per_post"),
        ]

    def __str__(self) -> str:
        return f"@{self.user_id} in {self.post_id}"
