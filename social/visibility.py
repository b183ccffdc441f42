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
  reads an object once, as for a signed-out viewer, then shows it to many viewers.

The rules today: an inactive account (deactivated, or never activated) is gone for
everyone, and so are its posts. A block, either way, hides each side's posts from the
other (every list, thread, parent, `post`/`node`, live event) and leaves each out of the
other's user search; the profile itself stays, so a client can show the block. A post's
parent, mentions and notification actors follow the same rules as any other post or user:
what the viewer may not see is absent.
"""

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from social.models import Block


class _Viewer:
    """Stands for the viewer's id among a fragment's parameters."""

    def __repr__(self) -> str:
        return "VIEWER"


VIEWER: Any = _Viewer()

_BLOCK = Block._meta.db_table


@dataclass(frozen=True)
class SqlFragment:
    """A boolean SQL condition and its parameters (`VIEWER` where the viewer's id goes)."""

    sql: str
    params: tuple[Any, ...] = ()

    def bind(self, viewer_id: int | None) -> tuple[Any, ...]:
        return tuple(viewer_id if param is VIEWER else param for param in self.params)


def _unblocked_q(viewer_id: int | None, user_path: str) -> Q:
    """Users at `user_path` ("author__") who neither blocked the viewer nor were blocked."""
    if viewer_id is None:
        return Q()
    blocked = Block.objects.filter(blocker_id=viewer_id).values("blocked_id")
    blockers = Block.objects.filter(blocked_id=viewer_id).values("blocker_id")
    return ~Q(**{f"{user_path}id__in": blocked}) & ~Q(**{f"{user_path}id__in": blockers})


def _unblocked_sql(user: str) -> SqlFragment:
    """`_unblocked_q` over the alias `user` of social_user; true for a signed-out viewer.
    One NOT IN over a small subquery, evaluated once per statement, not per row."""
    return SqlFragment(
        f"{user}.id NOT IN (SELECT blocked_id FROM {_BLOCK} WHERE blocker_id = %s "  # noqa: S608
        f"UNION ALL SELECT blocker_id FROM {_BLOCK} WHERE blocked_id = %s)",
        (VIEWER, VIEWER),
    )


def users_q(*, viewer_id: int | None, prefix: str = "", search: bool = False) -> Q:
    """Users the viewer may see; `prefix` is the path to the user ("follower__").
    `search`: the user search, which also leaves out users blocked either way."""
    visible = Q(**{f"{prefix}is_active": True})
    return visible & _unblocked_q(viewer_id, prefix) if search else visible


def posts_q(*, viewer_id: int | None, prefix: str = "", blocks: bool = True) -> Q:
    """Posts the viewer may see; `prefix` is the path to the post ("reply_to__").
    `blocks=False`: as if no block stood between the viewer and the author, for an action
    (like, reply) whose service then answers BLOCKED rather than NOT_FOUND."""
    author = f"{prefix}author__"
    visible = users_q(viewer_id=viewer_id, prefix=author)
    return visible & _unblocked_q(viewer_id, author) if blocks else visible


def users_sql(*, user: str, search: bool = False) -> SqlFragment:
    """`users_q` over the alias `user` of social_user."""
    if not search:
        return SqlFragment(f"{user}.is_active")
    unblocked = _unblocked_sql(user)
    return SqlFragment(f"{user}.is_active AND {unblocked.sql}", unblocked.params)


def posts_sql(*, post: str, author: str) -> SqlFragment:
    """`posts_q` over the alias `post` of social_post and `author`, its author's row."""
    visible = users_sql(user=author)
    unblocked = _unblocked_sql(author)
    return SqlFragment(f"{visible.sql} AND {unblocked.sql}", (*visible.params, *unblocked.params))


def blocked_between(*, user_id: int, other_ids: Collection[int]) -> set[int]:
    """Those of `other_ids` who blocked the user or whom the user blocked: the check of
    the services (follow, like, reply: BLOCKED) and of notification recipients."""
    if not other_ids:
        return set()
    found: set[int] = set()
    for blocker, blocked in Block.objects.filter(
        Q(blocker_id=user_id, blocked_id__in=other_ids)
        | Q(blocker_id__in=other_ids, blocked_id=user_id)
    ).values_list("blocker_id", "blocked_id"):
        found.add(blocked if blocker == user_id else blocker)
    return found


def hidden_pairs(*, viewer_ids: Collection[int], user_ids: Collection[int]) -> set[tuple[int, int]]:
    """The (viewer, user) pairs, among these viewers and users who are visible to everyone,
    where the viewer may still not see the user nor what they wrote: the live check, for an
    object read once and shown to many viewers (social/reads/flags.py `ManyViewers`).

    Today nothing hides a visible user from one viewer only (a block hides the posts, in
    `hidden_post_pairs`, and leaves the profile); mutes and locked accounts will answer
    here, in one query for all the viewers."""
    return set()


def blocks_between_q(*, viewer_ids: Collection[int], user_ids: Collection[int]) -> Q:
    """The Block rows between any of the viewers and any of the users, either way: what
    `hidden_post_pairs` reads, for a caller that reads them with its own query."""
    return Q(blocker_id__in=viewer_ids, blocked_id__in=user_ids) | Q(
        blocker_id__in=user_ids, blocked_id__in=viewer_ids
    )


def hidden_post_pairs(
    *,
    viewer_ids: Collection[int],
    author_ids: Collection[int],
    blocks: Iterable[tuple[int, int]] | None = None,
) -> set[tuple[int, int]]:
    """The (viewer, author) pairs, among these viewers and authors whose posts are visible to
    everyone, where the viewer may still not see the author's posts: `hidden_pairs`, and
    posts that reach fewer viewers than their author does (a locked account's).

    A block either way hides the posts (not the user). `blocks`: the (blocker, blocked)
    rows of `blocks_between_q`, when the caller read them already."""
    pairs = hidden_pairs(viewer_ids=viewer_ids, user_ids=author_ids)
    if not viewer_ids or not author_ids:
        return pairs
    viewers, authors = set(viewer_ids), set(author_ids)
    if blocks is None:
        between = blocks_between_q(viewer_ids=viewers, user_ids=authors)
        blocks = Block.objects.filter(between).values_list("blocker_id", "blocked_id")
    for blocker, blocked in blocks:
        if blocker in viewers and blocked in authors:
            pairs.add((blocker, blocked))
        if blocked in viewers and blocker in authors:
            pairs.add((blocked, blocker))
    return pairs
