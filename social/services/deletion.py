"""Deleting an account: the user and everything they own, in one transaction, with every
counter of the users and posts that remain exact afterwards."""

from django.db import transaction
from django.db.models import Count, F, OuterRef, Subquery

from social.models import Follow, Like, Post, User
from social.services.accounts import password_confirm
from social.services.sessions import revoke_user_sessions


def _release_counters(user: User) -> None:
    """Takes the user's follows, likes and replies out of the others' counters."""
    followees = Follow.objects.filter(follower=user).values("followee_id")
    User.objects.filter(pk__in=followees).update(follower_count=F("follower_count") - 1)
    followers = Follow.objects.filter(followee=user).values("follower_id")
    User.objects.filter(pk__in=followers).update(following_count=F("following_count") - 1)
    liked = Like.objects.filter(user=user).values("post_id")
    Post.objects.filter(pk__in=liked).exclude(author=user).update(like_count=F("like_count") - 1)
    replies_by_user = (
        Post.objects.filter(reply_to=OuterRef("pk"), author=user)
        .values("reply_to")
        .annotate(n=Count("*"))
        .values("n")
    )
    parents = Post.objects.filter(author=user, reply_to__isnull=False).values("reply_to_id")
    Post.objects.filter(pk__in=parents).exclude(author=user).update(
        reply_count=F("reply_count") - Subquery(replies_by_user)
    )


def _remove_owned_files(user: User) -> None:
    """The one place where files the user owns (uploads, avatars) are removed: after
    commit, since a rolled-back deletion must keep them. None are stored yet."""


def account_delete(*, user: User, password: str) -> None:
    """The user deletes their own account: needs their password."""
    password_confirm(user=user, password=password, field="password")
    user_delete(user=user)


def user_delete(*, user: User) -> None:
    """Deletes the user with their posts (replies by others stay, with replyTo null),
    likes, follows, notifications caused and received, sessions; signs out everywhere.
    The username and email are free again afterwards."""
    with transaction.atomic():
        # Locked: a concurrent follow or like of this user waits, then finds it gone.
        locked = User.objects.select_for_update().filter(pk=user.pk).first()
        if locked is None:
            return
        revoke_user_sessions(user_id=locked.pk)
        _release_counters(locked)
        _remove_owned_files(locked)
        # The remaining rows go by their foreign keys' CASCADE / SET_NULL.
        locked.delete()
