"""Reads of users, with the viewer's follow flags as annotations (no query per row)."""

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Lower

from social.models import Follow, User
from social.selectors.flags import (
    copying_iterable,
    fetched_flag,
    follows_viewer,
    viewer_follows,
    with_iterable,
)


def annotate_users_for_viewer(queryset: QuerySet[User], *, viewer_id: int | None) -> QuerySet[User]:
    """Adds `viewer_follows` and `follows_viewer` (absent when signed out: both false)."""
    if viewer_id is None:
        return queryset
    return queryset.annotate(
        viewer_follows=viewer_follows(viewer_id, "pk"),
        follows_viewer=follows_viewer(viewer_id, "pk"),
    )


def users_visible(*, viewer_id: int | None = None) -> QuerySet[User]:
    return annotate_users_for_viewer(User.objects.filter(is_active=True), viewer_id=viewer_id)


def user_by_id(*, user_id: int, viewer_id: int | None = None) -> User | None:
    return users_visible(viewer_id=viewer_id).filter(pk=user_id).first()


def user_by_username(*, username: str, viewer_id: int | None = None) -> User | None:
    if "\x00" in username:  # no username has one, and PostgreSQL refuses it as a parameter
        return None
    return users_visible(viewer_id=viewer_id).filter(username__iexact=username.strip()).first()


# Follow rows whose `user` side (follower or followee) carries the viewer's flags.
_FOLLOWER_FLAGS = copying_iterable(
    [
        ("user_viewer_follows", "follower.viewer_follows"),
        ("user_follows_viewer", "follower.follows_viewer"),
    ]
)
_FOLLOWEE_FLAGS = copying_iterable(
    [
        ("user_viewer_follows", "followee.viewer_follows"),
        ("user_follows_viewer", "followee.follows_viewer"),
    ]
)


def _follow_links(
    queryset: QuerySet[Follow], *, side: str, viewer_id: int | None
) -> QuerySet[Follow]:
    queryset = queryset.filter(**{f"{side}__is_active": True}).select_related(side)
    if viewer_id is not None:
        queryset = queryset.annotate(
            user_viewer_follows=viewer_follows(viewer_id, f"{side}_id"),
            user_follows_viewer=follows_viewer(viewer_id, f"{side}_id"),
        )
    return with_iterable(queryset, _FOLLOWER_FLAGS if side == "follower" else _FOLLOWEE_FLAGS)


def follower_links(*, user_id: int, viewer_id: int | None = None) -> QuerySet[Follow]:
    """Follow rows of the user's followers (`link.follower`), to page newest first."""
    return _follow_links(
        Follow.objects.filter(followee_id=user_id), side="follower", viewer_id=viewer_id
    )


def following_links(*, user_id: int, viewer_id: int | None = None) -> QuerySet[Follow]:
    """Follow rows of the users the user follows (`link.followee`), to page newest first."""
    return _follow_links(
        Follow.objects.filter(follower_id=user_id), side="followee", viewer_id=viewer_id
    )


FOLLOW_ORDER = ("-created_at", "-id")


def search_users(*, query: str, viewer_id: int | None = None) -> QuerySet[User]:
    """Case-insensitive match on username or display name, ranked by `search_rank`:
    0 the exact username, 1 a prefix of either, 2 anywhere; then by username."""
    query = query.strip()
    # On PostgreSQL icontains is UPPER(column) LIKE UPPER('%query%'): the expression of the
    # trigram indexes on User (user_username_trgm, user_display_name_trgm).
    matches = Q(username__icontains=query) | Q(display_name__icontains=query)
    ranked = (
        users_visible(viewer_id=viewer_id)
        .filter(matches)
        .annotate(
            search_rank=Case(
                When(username__iexact=query, then=Value(0)),
                When(
                    Q(username__istartswith=query) | Q(display_name__istartswith=query),
                    then=Value(1),
                ),
                default=Value(2),
                output_field=IntegerField(),
            ),
            username_key=Lower("username"),
        )
    )
    # A blank query matches nothing (not everyone); the annotations stay for the ordering.
    # NUL: no name has one, and PostgreSQL refuses it as a parameter.
    return ranked if query and "\x00" not in query else ranked.none()


SEARCH_ORDER = ("search_rank", "username_key", "id")


def user_viewer_follows(user: User, *, viewer_id: int | None) -> bool:
    """The `viewer_follows` flag fetched with the user, else one query."""
    if viewer_id is None or viewer_id == user.pk:
        return False
    return fetched_flag(
        user,
        "viewer_follows",
        lambda: Follow.objects.filter(follower_id=viewer_id, followee_id=user.pk).exists(),
    )


def user_follows_viewer(user: User, *, viewer_id: int | None) -> bool:
    """The `follows_viewer` flag fetched with the user, else one query."""
    if viewer_id is None or viewer_id == user.pk:
        return False
    return fetched_flag(
        user,
        "follows_viewer",
        lambda: Follow.objects.filter(follower_id=user.pk, followee_id=viewer_id).exists(),
    )
