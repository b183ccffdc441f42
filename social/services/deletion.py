"""Deleting an account: the user and everything they own, in one transaction. The counters
of the users and posts that remain follow from the rows (the database's triggers,
social/models/counters.py), so they are exact afterwards."""

from django.db import transaction

from notifications.services import unread_changed_by_actor
from social.models import Media, User
from social.services import media
from social.services.accounts import password_confirm
from social.services.guards import follow_partners, lock_user_and_partners
from social.services.sessions import revoke_user_sessions


def _remove_owned_files(user: User) -> None:
    """The one place where files the user owns (uploads, avatars) are removed: after
    commit, since a rolled-back deletion must keep them."""
    media.delete_files_after_commit(media.files_of(Media.objects.filter(owner_id=user.pk)))


def account_delete(*, user: User, password: str) -> None:
    """The user deletes their own account: needs their password."""
    password_confirm(user=user, password=password, field="password")
    user_delete(user=user)


def user_delete(*, user: User) -> None:
    """Deletes the user with their posts (replies by others stay, with replyTo null),
    likes, follows, notifications caused and received, sessions; signs out everywhere.
    The username and email are free again afterwards."""
    with transaction.atomic():
        # Locked: a concurrent follow or like of this user waits, then finds it gone. With
        # the people it follows or is followed by, in the global order: their counters
        # change below, so a block or unfollow by one of them waits instead of deadlocking.
        lock_user_and_partners(user_id=user.pk, partners=lambda: follow_partners(user.pk))
        locked = User.objects.select_for_update().filter(pk=user.pk).first()
        if locked is None:
            return
        revoke_user_sessions(user_id=locked.pk)
        # The notifications it caused go with it (CASCADE): their recipients' counts drop.
        unread_changed_by_actor(actor_id=locked.pk)
        _remove_owned_files(locked)
        # The remaining rows go by their foreign keys' CASCADE / SET_NULL.
        locked.delete()
