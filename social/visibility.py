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
- a live check (`hidden_pairs`, `blocked_pairs`, `hidden_post_pairs`): which viewers an
  event would reach may not see which of the users (or posts by them) it shows, for the
  live side, which reads an object once (`posts_sql(..., live=True)`: only what is hidden
  from everyone), then shows it to many viewers, each through this check.

The rules today: an inactive account (deactivated, or never activated) or a suspended one
(a moderator's `suspended_at`) is gone for everyone, and so are its posts; unsuspending
brings both back as they were. A post's parent, mentions and notification actors follow
the same rules as any other post or user: what the viewer may not see is absent.

Blocks: a block, either way, hides each side's posts from the other (every list, thread,
parent, `post`/`node`, live event), leaves each out of the other's lists of users (search,
anyone's followers and following, a post's mentions, live ones included: `blocked_pairs`),
and hides the notifications each caused the other, stored or live, counted or listed, while
it stands (`notifications_q`/`notifications_sql`); the profile itself stays for a lookup of
it (`user`, `node`, `blockedUsers`), so a client can show the block and undo it.

Mutes: an unexpired mute hides the muted user's posts from the muter's feeds only
(`feed=True`: home, public and hashtag feeds and live feed events), never from their
profile, `post(id)` or threads; with `notifications`, also the notifications they caused
(`notifications_q`/`notifications_sql`), which come back when the mute ends. A mute ends
at its `expires_at` because the rule compares it with `NOW`, the time of the read.

Locked accounts: a locked account's posts reach only itself and its approved followers
(the account itself stays visible to everyone).
"""

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Value
from django.utils import timezone

from social.models import Block, Follow, Mute, User

_FOLLOW = Follow._meta.db_table


class _Viewer:
    """Stands for the viewer's id among a fragment's parameters."""

    def __repr__(self) -> str:
        return "VIEWER"


VIEWER: Any = _Viewer()

_BLOCK = Block._meta.db_table


class _Now:
    """Stands for the time of the read among a fragment's parameters."""

    def __repr__(self) -> str:
        return "NOW"


NOW: Any = _Now()


def now_param() -> Any:
    """The value bound for `NOW`: the current time as the database compares it."""
    return connection.ops.adapt_datetimefield_value(timezone.now())


@dataclass(frozen=True)
class SqlFragment:
    """A boolean SQL condition and its parameters (`VIEWER` where the viewer's id goes)."""

    sql: str
    params: tuple[Any, ...] = ()

    def bind(self, viewer_id: int | None) -> tuple[Any, ...]:
        return tuple(
            viewer_id if param is VIEWER else now_param() if param is NOW else param
            for param in self.params
        )


def _unblocked_q(viewer_id: int | None, user_path: str) -> Q:
    """Users at `user_path` ("author__") who neither blocked the viewer nor were blocked."""
    if viewer_id is None:
        return Q()
    blocked = Block.objects.filter(blocker_id=viewer_id).values("blocked_id")
    blockers = Block.objects.filter(blocked_id=viewer_id).values("blocker_id")
    return ~Q(**{f"{user_path}id__in": blocked}) & ~Q(**{f"{user_path}id__in": blockers})


def _unblocked_sql(user_id: str) -> SqlFragment:
    """`_unblocked_q` for the user whose id is at `user_id` (a column reference); true for
    a signed-out viewer. One NOT IN over a small subquery, evaluated once per statement;
    COALESCE keeps a signed-out read from folding it away, so PostgreSQL costs it alike
    for every viewer and settles on one generic plan."""
    return SqlFragment(
        f"{user_id} NOT IN (SELECT blocked_id FROM {_BLOCK} WHERE blocker_id = COALESCE(%s, 0) "  # noqa: S608
        f"UNION ALL SELECT blocker_id FROM {_BLOCK} WHERE blocked_id = COALESCE(%s, 0))",
        (VIEWER, VIEWER),
    )


def _unlocked_q(*, viewer_id: int | None, author: str) -> Q:
    """The author at the path `author` is not locked, or is the viewer, or the viewer
    follows them."""
    q = Q(**{f"{author}is_locked": False})
    if viewer_id is not None:
        followed = Follow.objects.filter(follower_id=viewer_id, followee_id=OuterRef(f"{author}id"))
        q |= Q(**{f"{author}id": viewer_id}) | Q(Exists(followed))
    return q


def users_q(*, viewer_id: int | None, prefix: str = "", listed: bool = False) -> Q:
    """Users the viewer may see; `prefix` is the path to the user ("follower__").
    `listed`: a list of users (search, followers, following, mentions), which also leaves
    out users blocked either way; a lookup of one (`user`, `node`) shows the profile."""
    visible = Q(**{f"{prefix}is_active": True, f"{prefix}suspended_at__isnull": True})
    return visible & _unblocked_q(viewer_id, prefix) if listed else visible


def unexpired_q() -> Q:
    """Mutes that have not expired at the time of the read."""
    return Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())


def posts_q(
    *, viewer_id: int | None, prefix: str = "", feed: bool = False, blocks: bool = True
) -> Q:
    """Posts the viewer may see; `prefix` is the path to the post ("reply_to__"). `feed`:
    in a feed (home, public, hashtag), where the viewer's mutes hide posts too.
    `blocks=False`: as if no block stood between the viewer and the author, for an action
    (like, reply) whose service then answers BLOCKED rather than NOT_FOUND."""
    author = f"{prefix}author__"
    visible = users_q(viewer_id=viewer_id, prefix=author)
    visible &= _unlocked_q(viewer_id=viewer_id, author=author)
    if blocks:
        visible &= _unblocked_q(viewer_id, author)
    if feed and viewer_id is not None:
        muted = Mute.objects.filter(
            unexpired_q(), muter_id=viewer_id, muted_id=OuterRef(f"{prefix}author_id")
        )
        visible &= ~Q(Exists(muted))
    return visible


def users_sql(*, user: str, listed: bool = False) -> SqlFragment:
    """`users_q` over the alias `user` of social_user."""
    visible = SqlFragment(f"({user}.is_active AND {user}.suspended_at IS NULL)")
    if not listed:
        return visible
    unblocked = _unblocked_sql(f"{user}.id")
    return SqlFragment(f"{visible.sql} AND {unblocked.sql}", unblocked.params)


def _unlocked_sql(*, author: str) -> SqlFragment:
    """`_unlocked_q` over the alias `author` of social_user; never NULL (signed out too)."""
    return SqlFragment(
        # Uncorrelated: read once per statement (PostgreSQL hashes it), not once per row.
        f"(NOT {author}.is_locked OR COALESCE({author}.id = %s, FALSE) OR {author}.id IN ("  # noqa: S608
        f"SELECT lkf.followee_id FROM {_FOLLOW} lkf WHERE lkf.follower_id = %s))",
        (VIEWER, VIEWER),
    )


_MUTE = Mute._meta.db_table


def posts_sql(*, post: str, author: str, feed: bool = False, live: bool = False) -> SqlFragment:
    """`posts_q` over the alias `post` of social_post and `author`, its author's row.

    `live`: for a read shown to many viewers, each through the live check
    (`hidden_post_pairs`, with `feed` there): only the rules that hide a post from
    everyone, so no per-viewer rule (block, mute, locked account) is part of it."""
    visible = users_sql(user=author)
    if live:
        return visible
    unblocked = _unblocked_sql(f"{post}.author_id")
    unlocked = _unlocked_sql(author=author)
    visible = SqlFragment(
        f"{visible.sql} AND {unblocked.sql} AND {unlocked.sql}",
        (*visible.params, *unblocked.params, *unlocked.params),
    )
    if not feed:
        return visible
    # The muter is the viewer: NULL when signed out, which matches no mute.
    return SqlFragment(
        f"{visible.sql} AND NOT EXISTS(SELECT 1 FROM {_MUTE} mf WHERE mf.muter_id = %s "  # noqa: S608
        f"AND mf.muted_id = {post}.author_id "
        "AND (mf.expires_at IS NULL OR mf.expires_at > %s))",
        (*visible.params, VIEWER, NOW),
    )


def notifications_q(*, prefix: str = "") -> Q:
    """Notifications their recipient may see: not caused by someone the recipient muted with
    `notifications` (while the mute lasts), nor by someone on either side of a block with
    the recipient (while it stands). `prefix` is the path to the notification."""
    recipient, actor = OuterRef(f"{prefix}recipient_id"), OuterRef(f"{prefix}actor_id")
    muted = Mute.objects.filter(
        unexpired_q(), muter_id=recipient, muted_id=actor, notifications=True
    )
    blocked = Block.objects.filter(
        Q(blocker_id=recipient, blocked_id=actor) | Q(blocker_id=actor, blocked_id=recipient)
    )
    return ~Q(Exists(muted)) & ~Q(Exists(blocked))


def notifications_sql(*, notification: str) -> SqlFragment:
    """`notifications_q` over the alias `notification` of notifications_notification."""
    recipient, actor = f"{notification}.recipient_id", f"{notification}.actor_id"
    return SqlFragment(
        f"NOT EXISTS(SELECT 1 FROM {_MUTE} mn WHERE mn.muter_id = {recipient} "  # noqa: S608
        f"AND mn.muted_id = {actor} AND mn.notifications "
        "AND (mn.expires_at IS NULL OR mn.expires_at > %s)) "
        f"AND NOT EXISTS(SELECT 1 FROM {_BLOCK} bn WHERE (bn.blocker_id = {recipient} "
        f"AND bn.blocked_id = {actor}) "
        f"OR (bn.blocker_id = {actor} AND bn.blocked_id = {recipient}))",
        (NOW,),
    )


def notification_withheld(*, actor_id: int, recipient_ids: Collection[int]) -> set[int]:
    """The recipients, among these, who may not be notified of what `actor_id` does: the
    live check of `notifications_q` (a mute with `notifications`, a block either way),
    applied before a notification of any kind is stored or pushed."""
    if not recipient_ids:
        return set()
    muters = set(
        Mute.objects.filter(
            unexpired_q(), muted_id=actor_id, muter_id__in=recipient_ids, notifications=True
        ).values_list("muter_id", flat=True)
    )
    return muters | blocked_between(user_id=actor_id, other_ids=recipient_ids)


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

    Today nothing hides a visible user from one viewer only: a block, a mute and a locked
    account hide posts (`hidden_post_pairs`) and leave the profile."""
    return set()


def blocks_between_q(*, viewer_ids: Collection[int], user_ids: Collection[int]) -> Q:
    """The Block rows between any of the viewers and any of the users, either way: what
    `hidden_post_pairs` reads, for a caller that reads them with its own query."""
    return Q(blocker_id__in=viewer_ids, blocked_id__in=user_ids) | Q(
        blocker_id__in=user_ids, blocked_id__in=viewer_ids
    )


def blocked_pairs(
    *, viewer_ids: Collection[int], user_ids: Collection[int], blocks: Iterable[tuple[int, int]]
) -> set[tuple[int, int]]:
    """The (viewer, user) pairs with a block between them, either way, from the (blocker,
    blocked) rows of `blocks_between_q`: the users left out of the viewers' lists of users
    (`users_q(listed=True)`), and whose posts they may not see."""
    viewers, users = set(viewer_ids), set(user_ids)
    pairs = set()
    for blocker, blocked in blocks:
        if blocker in viewers and blocked in users:
            pairs.add((blocker, blocked))
        if blocked in viewers and blocker in users:
            pairs.add((blocked, blocker))
    return pairs


def hidden_post_pairs(
    *,
    viewer_ids: Collection[int],
    author_ids: Collection[int],
    feed: bool = False,
    blocks: Iterable[tuple[int, int]] | None = None,
    locked_ids: Collection[int] | None = None,
) -> set[tuple[int, int]]:
    """The (viewer, author) pairs, among these viewers and authors whose posts are visible to
    everyone, where the viewer may still not see the author's posts: `hidden_pairs`, a
    block either way (which hides the posts, not the user), and a locked account's posts
    for all but itself and its followers. `feed`: as `posts_q`, with the viewers' mutes
    too. `blocks`: the (blocker, blocked) rows of `blocks_between_q`, when the caller read
    them already. `locked_ids`: the locked accounts among the authors, when the caller read
    them already (a read's UserView.is_locked); then no query for them unless one is."""
    pairs = hidden_pairs(viewer_ids=viewer_ids, user_ids=author_ids)
    if not viewer_ids or not author_ids:
        return pairs
    if blocks is None:
        between = blocks_between_q(viewer_ids=viewer_ids, user_ids=author_ids)
        blocks = Block.objects.filter(between).values_list("blocker_id", "blocked_id")
    pairs |= blocked_pairs(viewer_ids=viewer_ids, user_ids=author_ids, blocks=blocks)
    if feed:
        pairs |= muted_pairs(viewer_ids=viewer_ids, user_ids=author_ids)
    pairs |= _locked_pairs(viewer_ids=viewer_ids, author_ids=author_ids, locked_ids=locked_ids)
    return pairs


def _locked_pairs(
    *, viewer_ids: Collection[int], author_ids: Collection[int], locked_ids: Collection[int] | None
) -> set[tuple[int, int]]:
    """The (viewer, author) pairs where the author is locked and the viewer is neither them
    nor an approved follower (one query)."""
    if locked_ids is not None:
        known = set(locked_ids)
        author_ids = [pk for pk in author_ids if pk in known]
    if not viewer_ids or not author_ids:
        return set()
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
    return {
        (viewer, author)
        for viewer in viewer_ids
        for author in locked_authors
        if viewer != author and (viewer, author) not in allowed
    }


# The viewer's mutes as a flag (User.viewerMutes), in the three forms: the same
# "unexpired" condition as the rules above.
def viewer_mutes_sql(*, user: str) -> SqlFragment:
    """The viewer has an unexpired mute of the user whose id is at `user`."""
    return SqlFragment(
        f"EXISTS(SELECT 1 FROM {_MUTE} mv WHERE mv.muter_id = %s AND mv.muted_id = {user} "  # noqa: S608
        "AND (mv.expires_at IS NULL OR mv.expires_at > %s))",
        (VIEWER, NOW),
    )


def viewer_mutes_exists(viewer_id: int, user_ref: str) -> Exists:
    """`viewer_mutes_sql` for a queryset: the user's id is at the path `user_ref`."""
    return Exists(
        Mute.objects.filter(unexpired_q(), muter_id=viewer_id, muted_id=OuterRef(user_ref))
    )


def mutes_among(*, viewer_ids: Collection[int], user_ids: Collection[int]) -> QuerySet[Mute]:
    """The unexpired mutes of these users by these viewers (for a read that joins it to
    others, as social/reads/flags.py `many_viewers` does)."""
    return Mute.objects.filter(unexpired_q(), muter_id__in=viewer_ids, muted_id__in=user_ids)


def muted_pairs(*, viewer_ids: Collection[int], user_ids: Collection[int]) -> set[tuple[int, int]]:
    """The (viewer, user) pairs, among these, where the viewer has an unexpired mute of the user."""
    if not viewer_ids or not user_ids:
        return set()
    mutes = mutes_among(viewer_ids=viewer_ids, user_ids=user_ids)
    return set(mutes.values_list("muter_id", "muted_id"))
