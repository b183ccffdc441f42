"""The one plain form of each thing a viewer reads: a post, a user, as this viewer sees them.

Every path (HTTP lists and nested fields, `node`, `post`, `user`, notifications, live
deliveries) gets these from the functions of this package; a resolver reads attributes and
never asks which kind of object it holds. A view is complete for what its read was asked to
load (a `PostShape`): the API derives the shape from the selection, so it never reads a part
that was left out.
"""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class UserFlags:
    """Which of the viewer's flags to read with a user."""

    viewer_follows: bool = True
    follows_viewer: bool = True
    viewer_mutes: bool = False
    viewer_blocks: bool = False
    blocks_viewer: bool = False
    follow_requested: bool = False  # viewerFollowRequested


@dataclass(frozen=True)
class PostShape:
    """What a read loads of each post beyond its own and its author's columns.

    Each part costs a subquery or a query, so a read loads only the parts a selection
    shows; a part left out reads as empty (False, (), None)."""

    viewer_has_liked: bool = True
    author: UserFlags | None = UserFlags()  # None: no follow flags on the author
    hashtags: bool = True
    mentions: UserFlags | None = UserFlags()  # None: the mentions are not read
    reply_to: "PostShape | None" = None  # None: the parent is not read


# Everything one level deep: the post, its parent (without the parent's tags and mentions).
FULL_SHAPE = PostShape(reply_to=PostShape(hashtags=False, mentions=None))


@dataclass(slots=True)
class MediaView:
    """An uploaded image as a client reads it: absolute URLs of both renditions."""

    id: int
    url: str
    thumbnail_url: str
    width: int
    height: int
    mime_type: str
    alt_text: str

    @property
    def pk(self) -> int:
        return self.id


# Views are never changed once built (`dataclasses.replace` makes another): one view may be
# shared by many viewers' executions (realtime/delivery.py). Not frozen=True: its __init__
# sets each field through object.__setattr__, paid for every row of every page
# (bench/RESULTS.md, section 10).
@dataclass(slots=True)
class UserView:
    """A user as the viewer sees them: `email` only for themself, flags false when signed out."""

    id: int
    username: str
    email: str | None
    display_name: str
    bio: str
    avatar_url: str | None
    date_joined: datetime
    follower_count: int
    following_count: int
    post_count: int
    viewer_follows: bool = False
    follows_viewer: bool = False
    email_verified: bool | None = None  # like `email`: only for themself
    viewer_mutes: bool = False
    # A block either way hides each side's posts from the other, so an author shown with a
    # post reads false for both; profiles, lists and mentions read them.
    viewer_blocks: bool = False
    blocks_viewer: bool = False
    is_locked: bool = False
    # The viewer asked to follow this locked user and awaits approval.
    viewer_follow_requested: bool = False
    # The uploaded profile picture; avatar_url is then its thumbnail's URL.
    avatar: MediaView | None = None

    @property
    def pk(self) -> int:
        return self.id


@dataclass(slots=True, weakref_slot=True)
class PostView:
    """A post as the viewer sees it. `reply_to` is None when there is no parent, when the
    viewer may not see it, or when the read's shape left it out."""

    id: int
    author_id: int
    body: str
    created_at: datetime
    edited_at: datetime | None
    reply_count: int
    like_count: int
    reply_to_id: int | None
    author: UserView
    viewer_has_liked: bool = False
    hashtags: tuple[str, ...] = ()
    mentions: tuple[UserView, ...] = ()
    reply_to: "PostView | None" = None
    # Attached images, in order.
    media: tuple[MediaView, ...] = ()

    @property
    def pk(self) -> int:
        return self.id
