"""The only place that decides what a viewer may see.

Every rule has the forms its readers need, side by side, so a new rule (a block either way,
a mute, a locked account's posts for its approved followers, a suspended account) is one
change here plus its tests:

- a `Q` for ORM querysets (`users_q`, `posts_q`), with a path prefix for related rows;
- a SQL fragment (`users_sql`, `posts_sql`): WHERE text over given table aliases, and its
  parameters, where `VIEWER` stands for the viewer's id (NULL when signed out). The
  hand-written reads (social/reads/posts.py) and any other executor (compiled documents)
  splice it in as it is: `posts_sql(post="p", author="u")` is every condition a row of
  `social_post p JOIN social_user u ON u.id = p.author_id` must meet for the viewer;
- a live check (`hidden_pairs`, `hidden_post_pairs`): which viewers an event would reach
  may not see which of the users (or posts by them) it shows, for the live side, which
  reads an object once (`posts_sql(..., live=True)`: only what is hidden from everyone),
  then shows it to many viewers, each through this check.

The rules today: an inactive account (deactivated, or never activated) is gone for
everyone, and so are its posts. A locked account's posts reach only itself and its
approved followers (the account itself stays visible to everyone). A post's parent,
mentions and notification actors follow the same rules as any other post or user: what
the viewer may not see is absent.
"""

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, Value

from social.models import Follow, User

_FOLLOW = Follow._meta.db_table


class _Viewer:
    """Stands for the viewer's id among a fragment's parameters."""

    def __repr__(self) -> str:
        return "VIEWER"


VIEWER: Any = _Viewer()


@dataclass(frozen=True)
class SqlFragment:
    """A boolean SQL condition and its parameters (`VIEWER` where the viewer's id goes)."""

    sql: str
    params: tuple[Any, ...] = ()

    def bind(self, viewer_id: int | None) -> tuple[Any, ...]:
        return tuple(viewer_id if param is VIEWER else param for param in self.params)


def users_q(*, viewer_id: int | None, prefix: str = "") -> Q:
    """Users the viewer may see; `prefix` is the path to the user ("follower__")."""
    return Q(**{f"{prefix}is_active": True})


def _unlocked_q(*, viewer_id: int | None, author: str) -> Q:
    """The author at the path `author` is not locked, or is the viewer, or the viewer
    follows them."""
    q = Q(**{f"{author}is_locked": False})
    if viewer_id is not None:
        followed = Follow.objects.filter(follower_id=viewer_id, followee_id=OuterRef(f"{author}id"))
        q |= Q(**{f"{author}id": viewer_id}) | Q(Exists(followed))
    return q


def posts_q(*, viewer_id: int | None, prefix: str = "") -> Q:
    """Posts the viewer may see; `prefix` is the path to the post ("reply_to__")."""
    author = f"{prefix}author__"
    return users_q(viewer_id=viewer_id, prefix=author) & _unlocked_q(
        viewer_id=viewer_id, author=author
    )


def users_sql(*, user: str) -> SqlFragment:
    """`users_q` over the alias `user` of social_user."""
    return SqlFragment(f"{user}.is_active")


def _unlocked_sql(*, author: str) -> SqlFragment:
    """`_unlocked_q` over the alias `author` of social_user; never NULL (signed out too)."""
    return SqlFragment(
        # Uncorrelated: read once per statement (PostgreSQL hashes it), not once per row.
        f"(NOT {author}.is_locked OR COALESCE({author}.id = %s, FALSE) OR {author}.id IN ("  # noqa: S608
        f"SELECT lkf.followee_id FROM {_FOLLOW} lkf WHERE lkf.follower_id = %s))",
        (VIEWER, VIEWER),
    )


def posts_sql(*, post: str, author: str, live: bool = False) -> SqlFragment:
    """`posts_q` over the alias `post` of social_post and `author`, its author's row.

    `live`: for a read shown to many viewers, each through the live check
    (`hidden_post_pairs`): only the rules that hide a post from everyone."""
    user, unlocked = users_sql(user=author), _unlocked_sql(author=author)
    if live:
        return user
    return SqlFragment(f"{user.sql} AND {unlocked.sql}", (*user.params, *unlocked.params))


def hidden_pairs(*, viewer_ids: Collection[int], user_ids: Collection[int]) -> set[tuple[int, int]]:
    """The (viewer, user) pairs, among these viewers and users who are visible to everyone,
    where the viewer may still not see the user nor what they wrote: the live check, for an
    object read once and shown to many viewers (social/reads/flags.py `ManyViewers`).

    Today nothing hides a visible user from one viewer only; blocks, mutes and locked
    accounts will answer here, in one query for all the viewers."""
    return set()


def hidden_post_pairs(
    *,
    viewer_ids: Collection[int],
    author_ids: Collection[int],
    locked_ids: Collection[int] | None = None,
) -> set[tuple[int, int]]:
    """The (viewer, author) pairs, among these viewers and authors whose posts are visible to
    everyone, where the viewer may still not see the author's posts: `hidden_pairs`, and
    posts that reach fewer viewers than their author does: a locked account's, for all but
    itself and its followers (one query).

    `locked_ids`: the locked accounts among the authors, when the caller read them already
    (a read's UserView.is_locked); then no query at all unless one of them is locked."""
    hidden = hidden_pairs(viewer_ids=viewer_ids, user_ids=author_ids)
    if locked_ids is not None:
        known = set(locked_ids)
        author_ids = [pk for pk in author_ids if pk in known]
    if not viewer_ids or not author_ids:
        return hidden
    # (0, author, author) for each locked author, (1, follower, author) for their followers
    # among the viewers.
    locked = (
        User.objects.filter(pk__in=author_ids, is_locked=True)
        .annotate(what=Value(0), other=F("pk"))
        .values_list("what", "pk", "other")
    )
    followers = (
        Follow.objects.filter(
            follower_id__in=viewer_ids, followee_id__in=author_ids, followee__is_locked=True
        )
        .annotate(what=Value(1))
        .values_list("what", "follower_id", "followee_id")
    )
    locked_authors: set[int] = set()
    allowed: set[tuple[int, int]] = set()
    for what, one, other in locked.union(followers, all=True):
        if what == 0:
            locked_authors.add(one)
        else:
            allowed.add((one, other))
    hidden.update(
        (viewer, author)
        for viewer in viewer_ids
        for author in locked_authors
        if viewer != author and (viewer, author) not in allowed
    )
    return hidden
