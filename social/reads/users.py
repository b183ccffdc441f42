"""Users as a viewer sees them (`UserView`), read through the ORM's public API."""

from collections.abc import Collection, Sequence
from typing import Any

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Lower

from social.models import Follow, FollowRequest, Mute, User
from social.models.users import same_ignoring_case
from social.reads import media as media_reads
from social.reads.flags import (
    blocks_viewer_exists,
    follow_requested_exists,
    follows_viewer_exists,
    viewer_blocks_exists,
    viewer_follows_exists,
)
from social.reads.posts import USER_COLUMNS, user_from_row
from social.reads.views import UserView
from social.visibility import unexpired_q, users_q, viewer_mutes_exists

# The columns of a row of `_values` before its own extra columns (cursor values).
_FLAGS = (
    "viewer_follows_flag",
    "follows_viewer_flag",
    "viewer_mutes_flag",
    "viewer_blocks_flag",
    "blocks_viewer_flag",
    "follow_requested_flag",
)
_WIDTH = len(USER_COLUMNS) + len(_FLAGS)


def _keep(value: Any) -> Any:
    return value


def _values(queryset: QuerySet[Any], *, viewer_id: int | None, prefix: str = "") -> Any:
    """`queryset`'s users (at `prefix`) as rows for `view_of`: USER_COLUMNS, the flags
    (false when signed out), then whatever the caller adds."""
    if viewer_id is None:
        flags: dict[str, Any] = {name: Value(False) for name in _FLAGS}
    else:
        flags = {
            _FLAGS[0]: viewer_follows_exists(viewer_id, f"{prefix}id"),
            _FLAGS[1]: follows_viewer_exists(viewer_id, f"{prefix}id"),
            _FLAGS[2]: viewer_mutes_exists(viewer_id, f"{prefix}id"),
            _FLAGS[3]: viewer_blocks_exists(viewer_id, f"{prefix}id"),
            _FLAGS[4]: blocks_viewer_exists(viewer_id, f"{prefix}id"),
            _FLAGS[5]: follow_requested_exists(viewer_id, f"{prefix}id"),
        }
    return queryset.annotate(**flags), [f"{prefix}{name}" for name in USER_COLUMNS] + list(_FLAGS)


def view_of(row: Sequence[Any], viewer_id: int | None) -> UserView:
    """The UserView of a row of `_values`."""
    return user_from_row(
        row,
        0,
        viewer_id,
        keep_email=False,
        viewer_follows=len(USER_COLUMNS),
        follows_viewer=len(USER_COLUMNS) + 1,
        time=_keep,
        viewer_mutes=len(USER_COLUMNS) + 2,
        viewer_blocks=len(USER_COLUMNS) + 3,
        blocks_viewer=len(USER_COLUMNS) + 4,
        follow_requested=len(USER_COLUMNS) + 5,
    )


def users_by_ids(*, ids: Collection[int], viewer_id: int | None) -> dict[int, UserView]:
    """The users among `ids` the viewer may see, by id."""
    if not ids:
        return {}
    queryset = User.objects.filter(users_q(viewer_id=viewer_id), pk__in=ids)
    annotated, names = _values(queryset, viewer_id=viewer_id)
    views = (view_of(row, viewer_id) for row in annotated.values_list(*names))
    return {view.id: view for view in views}


def user_view(*, user_id: int, viewer_id: int | None) -> UserView | None:
    return users_by_ids(ids=[user_id], viewer_id=viewer_id).get(user_id)


def user_by_username(*, username: str, viewer_id: int | None) -> UserView | None:
    if "\x00" in username:  # no username has one, and PostgreSQL refuses it as a parameter
        return None
    match = same_ignoring_case("username", username.strip())
    queryset = User.objects.filter(users_q(viewer_id=viewer_id), match)
    annotated, names = _values(queryset, viewer_id=viewer_id)
    row = annotated.values_list(*names).first()
    return None if row is None else view_of(row, viewer_id)


def own_view(user: User) -> UserView:
    """The user as they see themselves, from the instance at hand (no query)."""
    picture = media_reads.avatar(user.avatar_json)
    return UserView(
        user.pk,
        user.username,
        user.email,
        user.display_name,
        user.bio,
        user.avatar_url if picture is None else picture.thumbnail_url,
        user.date_joined,
        user.follower_count,
        user.following_count,
        user.post_count,
        email_verified=user.email_verified_at is not None,
        is_locked=user.is_locked,
        avatar=picture,
    )


FOLLOW_ORDER = ("-created_at", "-id")


def link_rows(
    queryset: QuerySet[Any], side: str, viewer_id: int | None, *, listed: bool = False
) -> QuerySet[Any]:
    """The users at `side` of each link row (a follow, a block) as rows: `view_of`, then
    the link's created_at and id. `listed`: as visibility.users_q (anyone's follows; the
    viewer's own blocks and mutes list whom they concern)."""
    queryset = queryset.filter(users_q(viewer_id=viewer_id, prefix=f"{side}__", listed=listed))
    annotated, names = _values(queryset, viewer_id=viewer_id, prefix=f"{side}__")
    return annotated.values_list(*names, "created_at", "id")


def follower_rows(*, user_id: int, viewer_id: int | None) -> QuerySet[Any]:
    """The user's followers as rows (`view_of`, then the link's created_at and id): page
    with FOLLOW_ORDER, reading the keys with `row_keys`."""
    return link_rows(Follow.objects.filter(followee_id=user_id), "follower", viewer_id, listed=True)


def following_rows(*, user_id: int, viewer_id: int | None) -> QuerySet[Any]:
    """The users the user follows, as `follower_rows`."""
    return link_rows(Follow.objects.filter(follower_id=user_id), "followee", viewer_id, listed=True)


REQUEST_ORDER = ("created_at", "id")


def follow_request_rows(*, user_id: int, viewer_id: int | None) -> QuerySet[Any]:
    """The users waiting for the user to accept their follow request, as `follower_rows`
    (page with REQUEST_ORDER: oldest first)."""
    queryset = FollowRequest.objects.filter(
        users_q(viewer_id=viewer_id, prefix="requester__"), target_id=user_id
    )
    annotated, names = _values(queryset, viewer_id=viewer_id, prefix="requester__")
    return annotated.values_list(*names, "created_at", "id")


def row_keys(row: Sequence[Any]) -> Sequence[Any]:
    """A row's cursor values: what follows the user's columns and flags."""
    return row[_WIDTH:]


def muted_rows(*, viewer_id: int) -> QuerySet[Any]:
    """The users the viewer has unexpired mutes of, as `follower_rows` (the mute's
    created_at and id): page with FOLLOW_ORDER, reading the keys with `row_keys`."""
    mutes = Mute.objects.filter(unexpired_q(), muter_id=viewer_id)
    return link_rows(mutes, "muted", viewer_id)


SEARCH_ORDER = ("search_rank", "username_key", "id")


def search_rows(*, query: str, viewer_id: int | None) -> QuerySet[Any]:
    """Case-insensitive match on username or display name, as rows (`view_of`, then the
    SEARCH_ORDER values): 0 the exact username, 1 a prefix of either, 2 anywhere."""
    query = query.strip()
    # On PostgreSQL icontains is UPPER(column) LIKE UPPER('%query%'): the expression of the
    # trigram indexes on User (user_username_trgm, user_display_name_trgm).
    matches = Q(username__icontains=query) | Q(display_name__icontains=query)
    ranked = (
        User.objects.filter(users_q(viewer_id=viewer_id, listed=True))
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
    ranked = ranked if query and "\x00" not in query else ranked.none()
    annotated, names = _values(ranked, viewer_id=viewer_id)
    return annotated.values_list(*names, *SEARCH_ORDER)
