"""Reads of users. `viewer_id` lets later selectors annotate viewer-specific flags."""

from django.db.models import QuerySet

from social.models import User


def users_visible(*, viewer_id: int | None = None) -> QuerySet[User]:
    return User.objects.filter(is_active=True)


def user_by_id(*, user_id: int, viewer_id: int | None = None) -> User | None:
    return users_visible(viewer_id=viewer_id).filter(pk=user_id).first()


def user_by_username(*, username: str, viewer_id: int | None = None) -> User | None:
    return users_visible(viewer_id=viewer_id).filter(username__iexact=username.strip()).first()
