"""The only place that decides what a viewer may see.

Every rule has the forms its readers need, side by side, so a new rule (a block either way,
a mute, a locked account's posts for its approved followers, a suspended account) is one
change here plus its tests:

- a `Q` for ORM querysets (`users_q`, `posts_q`), with a path prefix for related rows;
- a SQL fragment (`users_sql`, `posts_sql`): WHERE text over given table aliases, and its
  parameters, where `VIEWER` stands for the viewer's id (NULL when signed out). The
  hand-written reads (social/reads/posts.py) and any other executor (compiled documents)
  splice it in as it is: `posts_sql(post="p", author="u")` is every condition a row of
  `social_post p JOIN social_user u ON u.id = p.author_id` must meet for the viewer. Its
  SQL holds `%s` placeholders only (a literal percent written `%%`), filled in order by
  `params`: the compiled path turns each into a parameter of its own statement;
- a live check (`hidden_pairs`, `hidden_post_pairs`): which viewers an event would reach
  may not see which of the users (or posts by them) it shows, for the live side, which
  reads an object once, as for a signed-out viewer, then shows it to many viewers.

The rules today: an inactive account (deactivated, or never activated) is gone for
everyone, and so are its posts. A post's parent, mentions and notification actors follow
the same rules as any other post or user: what the viewer may not see is absent.
"""

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from django.db.models import Q


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


def posts_q(*, viewer_id: int | None, prefix: str = "", feed: bool = False) -> Q:
    """Posts the viewer may see; `prefix` is the path to the post ("reply_to__").

    `feed`: the posts of a feed (home, public, hashtag, and their live events), where rules
    that hide a post from feeds only (a mute) apply too; no rule today looks at it."""
    return users_q(viewer_id=viewer_id, prefix=f"{prefix}author__")


def users_sql(*, user: str) -> SqlFragment:
    """`users_q` over the alias `user` of social_user."""
    return SqlFragment(f"{user}.is_active")


def posts_sql(*, post: str, author: str, feed: bool = False) -> SqlFragment:
    """`posts_q` over the alias `post` of social_post and `author`, its author's row
    (`feed` as for `posts_q`)."""
    return users_sql(user=author)


def hidden_pairs(*, viewer_ids: Collection[int], user_ids: Collection[int]) -> set[tuple[int, int]]:
    """The (viewer, user) pairs, among these viewers and users who are visible to everyone,
    where the viewer may still not see the user nor what they wrote: the live check, for an
    object read once and shown to many viewers (social/reads/flags.py `ManyViewers`).

    Today nothing hides a visible user from one viewer only; blocks, mutes and locked
    accounts will answer here, in one query for all the viewers."""
    return set()


def hidden_post_pairs(
    *, viewer_ids: Collection[int], author_ids: Collection[int]
) -> set[tuple[int, int]]:
    """The (viewer, author) pairs, among these viewers and authors whose posts are visible to
    everyone, where the viewer may still not see the author's posts: `hidden_pairs`, and
    posts that reach fewer viewers than their author does (a locked account's).

    Today no post is hidden from one viewer only."""
    return hidden_pairs(viewer_ids=viewer_ids, user_ids=author_ids)
