"""The viewer's flags, decided here only: viewerHasLiked, viewerFollows, followsViewer,
viewerMutes, viewerBlocks, blocksViewer, viewerFollowRequested.

Three forms of the same three rules: SQL fragments for the hand-written reads
(social/reads/posts.py), ORM expressions for querysets (social/reads/users.py), and sets
for many viewers at once (`many_viewers`), for the live side, which reads an object once and
shows it to each of its viewers with their own flags (`with_viewer`).
"""

import dataclasses
from collections.abc import Collection
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, Value

from social.models import Block, Follow, FollowRequest, Like
from social.reads.views import PostView, UserView
from social.visibility import (
    VIEWER,
    SqlFragment,
    blocked_pairs,
    blocks_between_q,
    hidden_pairs,
    hidden_post_pairs,
    mutes_among,
)

_LIKE = Like._meta.db_table
_FOLLOW = Follow._meta.db_table
_BLOCK = Block._meta.db_table
_REQUEST = FollowRequest._meta.db_table


def liked_sql(*, post: str) -> SqlFragment:
    """The viewer liked the post whose id is at `post` (a column reference)."""
    return SqlFragment(
        f"EXISTS(SELECT 1 FROM {_LIKE} fl WHERE fl.user_id = %s AND fl.post_id = {post})",  # noqa: S608
        (VIEWER,),
    )


def viewer_follows_sql(*, user: str) -> SqlFragment:
    """The viewer follows the user whose id is at `user`."""
    return SqlFragment(
        f"EXISTS(SELECT 1 FROM {_FOLLOW} ff WHERE ff.follower_id = %s AND ff.followee_id = {user})",  # noqa: S608
        (VIEWER,),
    )


def follows_viewer_sql(*, user: str) -> SqlFragment:
    """The user whose id is at `user` follows the viewer."""
    return SqlFragment(
        f"EXISTS(SELECT 1 FROM {_FOLLOW} fv WHERE fv.follower_id = {user} AND fv.followee_id = %s)",  # noqa: S608
        (VIEWER,),
    )


def viewer_blocks_sql(*, user: str) -> SqlFragment:
    """The viewer blocked the user whose id is at `user`."""
    return SqlFragment(
        f"EXISTS(SELECT 1 FROM {_BLOCK} fb WHERE fb.blocker_id = %s AND fb.blocked_id = {user})",  # noqa: S608
        (VIEWER,),
    )


def follow_requested_sql(*, user: str) -> SqlFragment:
    """The viewer asked to follow the user whose id is at `user`, awaiting approval."""
    return SqlFragment(
        f"EXISTS(SELECT 1 FROM {_REQUEST} fr WHERE fr.requester_id = %s AND fr.target_id = {user})",  # noqa: S608
        (VIEWER,),
    )


def blocks_viewer_sql(*, user: str) -> SqlFragment:
    """The user whose id is at `user` blocked the viewer."""
    return SqlFragment(
        f"EXISTS(SELECT 1 FROM {_BLOCK} bv WHERE bv.blocker_id = {user} AND bv.blocked_id = %s)",  # noqa: S608
        (VIEWER,),
    )


def viewer_blocks_exists(viewer_id: int, user_ref: str) -> Exists:
    """`viewer_blocks_sql` for a queryset."""
    return Exists(Block.objects.filter(blocker_id=viewer_id, blocked_id=OuterRef(user_ref)))


def blocks_viewer_exists(viewer_id: int, user_ref: str) -> Exists:
    """`blocks_viewer_sql` for a queryset."""
    return Exists(Block.objects.filter(blocker_id=OuterRef(user_ref), blocked_id=viewer_id))


def follow_requested_exists(viewer_id: int, user_ref: str) -> Exists:
    """`follow_requested_sql` for a queryset."""
    return Exists(
        FollowRequest.objects.filter(requester_id=viewer_id, target_id=OuterRef(user_ref))
    )


def viewer_follows_exists(viewer_id: int, user_ref: str) -> Exists:
    """`viewer_follows_sql` for a queryset: the user's id is at the path `user_ref`."""
    return Exists(Follow.objects.filter(follower_id=viewer_id, followee_id=OuterRef(user_ref)))


def follows_viewer_exists(viewer_id: int, user_ref: str) -> Exists:
    """`follows_viewer_sql` for a queryset."""
    return Exists(Follow.objects.filter(follower_id=OuterRef(user_ref), followee_id=viewer_id))


@dataclass(frozen=True)
class ManyViewers:
    """Many viewers' flags on a few posts and people, from one query for all of them."""

    likes: frozenset[tuple[int, int]]  # (viewer, post)
    follows: frozenset[tuple[int, int]]  # (follower, followee), viewers and people either side
    hidden: frozenset[tuple[int, int]] = frozenset()  # (viewer, user): visibility.hidden_pairs
    # (viewer, author) whose posts the viewer may not see: visibility.hidden_post_pairs
    hidden_posts: frozenset[tuple[int, int]] = frozenset()
    mutes: frozenset[tuple[int, int]] = frozenset()  # (viewer, user): unexpired mutes
    # (viewer, author) whose posts the viewer may not see in a feed (read with `feed`)
    hidden_in_feed: frozenset[tuple[int, int]] = frozenset()
    blocks: frozenset[tuple[int, int]] = frozenset()  # (blocker, blocked), as `follows`
    requests: frozenset[tuple[int, int]] = frozenset()  # (requester, target), viewer requesting
    # (viewer, user) left out of the viewer's lists of users (mentions): visibility.blocked_pairs
    unlisted: frozenset[tuple[int, int]] = frozenset()

    def key(
        self, viewer_id: int, people: Collection[int], post_ids: Collection[int]
    ) -> tuple[frozenset[int], ...]:
        """Equal for two viewers exactly when they see these posts and people alike."""
        return (
            frozenset(p for p in post_ids if (viewer_id, p) in self.likes),
            frozenset(u for u in people if (viewer_id, u) in self.follows),
            frozenset(u for u in people if (u, viewer_id) in self.follows),
            frozenset(u for u in people if (viewer_id, u) in self.hidden),
            frozenset(u for u in people if (viewer_id, u) in self.hidden_posts),
            frozenset(u for u in people if (viewer_id, u) in self.mutes),
            frozenset(u for u in people if (viewer_id, u) in self.hidden_in_feed),
            frozenset(u for u in people if (viewer_id, u) in self.blocks),
            frozenset(u for u in people if (u, viewer_id) in self.blocks),
            frozenset(u for u in people if (viewer_id, u) in self.requests),
            frozenset(u for u in people if (viewer_id, u) in self.unlisted),
        )


def many_viewers(
    *,
    viewer_ids: Collection[int],
    post_ids: Collection[int],
    people: Collection[int],
    feed: bool = False,
    locked: Collection[int] | None = None,
    flags: bool = True,
    blocks_checked: bool = False,
) -> ManyViewers:
    """`feed`: the posts are shown in a feed (visibility.posts_q), for `post_with_viewer`.
    `locked`: the locked accounts among `people`, as read (`locked_of`). Without `flags`
    only what the viewers may not see is read; every flag reads false; `blocks_checked`:
    no block can stand between a viewer and the people shown to them (the caller knows)."""
    if not viewer_ids:
        return ManyViewers(frozenset(), frozenset())
    hidden = frozenset(hidden_pairs(viewer_ids=viewer_ids, user_ids=people))
    if not flags:
        # Only what the viewers may not see: the blocks between them and the people shown
        # (one query, unless `blocks_checked`), and a locked author (known from the read).
        rows: set[tuple[int, int]] = set()
        if not blocks_checked:
            between = Block.objects.filter(blocks_between_q(viewer_ids=viewer_ids, user_ids=people))
            rows = set(between.values_list("blocker_id", "blocked_id"))
        hidden_posts = frozenset(
            hidden_post_pairs(
                viewer_ids=viewer_ids, author_ids=people, blocks=rows, locked_ids=locked
            )
        )
        unlisted = frozenset(blocked_pairs(viewer_ids=viewer_ids, user_ids=people, blocks=rows))
        return ManyViewers(frozenset(), frozenset(), hidden, hidden_posts, unlisted=unlisted)
    likes = Like.objects.filter(user_id__in=viewer_ids, post_id__in=post_ids)
    follows = Follow.objects.filter(
        Q(follower_id__in=viewer_ids, followee_id__in=people)
        | Q(follower_id__in=people, followee_id__in=viewer_ids)
    )
    mutes_of = mutes_among(viewer_ids=viewer_ids, user_ids=people)
    blocks = Block.objects.filter(blocks_between_q(viewer_ids=viewer_ids, user_ids=people))
    requests = FollowRequest.objects.filter(requester_id__in=viewer_ids, target_id__in=people)
    # One query for all: (1, viewer, post) likes, (2, follower, followee) follows,
    # (3, viewer, user) unexpired mutes, (4, blocker, blocked) blocks and
    # (5, requester, target) follow requests.
    pairs = (
        likes.annotate(what=Value(1))
        .values_list("what", "user_id", "post_id")
        .union(
            follows.annotate(what=Value(2)).values_list("what", "follower_id", "followee_id"),
            mutes_of.annotate(what=Value(3)).values_list("what", "muter_id", "muted_id"),
            blocks.annotate(what=Value(4)).values_list("what", "blocker_id", "blocked_id"),
            requests.annotate(what=Value(5)).values_list("what", "requester_id", "target_id"),
            all=True,
        )
    )
    found: tuple[set[tuple[int, int]], ...] = (set(), set(), set(), set(), set())
    for what, one, other in pairs:
        found[what - 1].add((one, other))
    hidden_posts = frozenset(
        hidden_post_pairs(
            viewer_ids=viewer_ids, author_ids=people, blocks=found[3], locked_ids=locked
        )
    )
    mutes = frozenset(found[2])
    return ManyViewers(
        frozenset(found[0]),
        frozenset(found[1]),
        hidden,
        hidden_posts,
        mutes,
        # hidden_post_pairs(feed=True), from the parts already read
        # (tests/social/test_mutes.py pins the equality).
        hidden_posts | mutes if feed else frozenset(),
        frozenset(found[3]),
        frozenset(found[4]),
        frozenset(blocked_pairs(viewer_ids=viewer_ids, user_ids=people, blocks=found[3])),
    )


def people_of(post: PostView) -> set[int]:
    """The users a post shows: author, mentioned users, and its parents' likewise."""
    people: set[int] = set()
    current: PostView | None = post
    while current is not None:
        people.add(current.author_id)
        people.update(user.id for user in current.mentions)
        current = current.reply_to
    return people


def locked_of(post: PostView) -> set[int]:
    """The locked accounts among the authors of the post and of its parents (as read)."""
    locked: set[int] = set()
    current: PostView | None = post
    while current is not None:
        if current.author.is_locked:
            locked.add(current.author_id)
        current = current.reply_to
    return locked


def posts_of(post: PostView) -> list[int]:
    """The ids of the post and of its parents (as read)."""
    ids = []
    current: PostView | None = post
    while current is not None:
        ids.append(current.id)
        current = current.reply_to
    return ids


def user_with_viewer(user: UserView, viewer_id: int, flags: ManyViewers) -> UserView | None:
    """`user`, read for everyone with emails kept, as `viewer_id` sees them; None when
    hidden from them."""
    if (viewer_id, user.id) in flags.hidden:
        return None
    own = user.id == viewer_id
    return dataclasses.replace(
        user,
        email=user.email if own else None,
        email_verified=user.email_verified if own else None,
        viewer_follows=not own and (viewer_id, user.id) in flags.follows,
        follows_viewer=not own and (user.id, viewer_id) in flags.follows,
        viewer_mutes=(viewer_id, user.id) in flags.mutes,
        viewer_blocks=(viewer_id, user.id) in flags.blocks,
        blocks_viewer=(user.id, viewer_id) in flags.blocks,
        viewer_follow_requested=not own and (viewer_id, user.id) in flags.requests,
    )


def post_with_viewer(
    post: PostView, viewer_id: int, flags: ManyViewers, *, feed: bool = False
) -> PostView | None:
    """`post`, read for everyone with emails kept, as `viewer_id` sees it; None when hidden
    from them. `feed`: shown in a feed (`flags` read with `feed`); its parent is not."""
    author = user_with_viewer(post.author, viewer_id, flags)
    if author is None or (viewer_id, post.author_id) in flags.hidden_posts:
        return None
    if feed and (viewer_id, post.author_id) in flags.hidden_in_feed:
        return None
    parent = post.reply_to
    mentions = (
        user_with_viewer(user, viewer_id, flags)
        for user in post.mentions
        if (viewer_id, user.id) not in flags.unlisted
    )
    return dataclasses.replace(
        post,
        author=author,
        viewer_has_liked=(viewer_id, post.id) in flags.likes,
        mentions=tuple(user for user in mentions if user is not None),
        reply_to=None if parent is None else post_with_viewer(parent, viewer_id, flags),
    )
