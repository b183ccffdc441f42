"""Reads of posts: feeds, a user's posts, replies, each ready for one viewer.

Every queryset here comes from `annotate_posts_for_viewer`: author and parent
joined, tags and mentions prefetched, and the viewer's flags (`viewer_has_liked`,
`author.viewer_follows`, ...) fetched as annotations, so a page costs a fixed
number of queries whatever its size.
"""

from django.db.models import Exists, F, OuterRef, Prefetch, QuerySet

from social.models import Follow, Like, Post, PostHashtag, PostMention, User
from social.selectors.flags import (
    copying_iterable,
    fetched_flag,
    follows_viewer,
    viewer_follows,
    with_iterable,
)
from social.text import normalize_hashtag

NEWEST_FIRST = ("-created_at", "-id")
OLDEST_FIRST = ("created_at", "id")

_POST_FLAGS = copying_iterable(
    [
        ("author_viewer_follows", "author.viewer_follows"),
        ("author_follows_viewer", "author.follows_viewer"),
        ("reply_to_viewer_has_liked", "reply_to.viewer_has_liked"),
        ("reply_to_author_viewer_follows", "reply_to.author.viewer_follows"),
        ("reply_to_author_follows_viewer", "reply_to.author.follows_viewer"),
    ]
)
_MENTION_FLAGS = copying_iterable(
    [("user_viewer_follows", "user.viewer_follows"), ("user_follows_viewer", "user.follows_viewer")]
)


def _viewer_has_liked(viewer_id: int, post_ref: str) -> Exists:
    return Exists(Like.objects.filter(user_id=viewer_id, post_id=OuterRef(post_ref)))


def _mention_links(viewer_id: int | None) -> QuerySet[PostMention]:
    links = PostMention.objects.select_related("user").order_by("position")
    if viewer_id is not None:
        links = links.annotate(
            user_viewer_follows=viewer_follows(viewer_id, "user_id"),
            user_follows_viewer=follows_viewer(viewer_id, "user_id"),
        )
    return with_iterable(links, _MENTION_FLAGS)


def post_prefetches(
    *,
    viewer_id: int | None,
    hashtags: bool = True,
    mentions: bool = True,
    parent_hashtags: bool = False,
    parent_mentions: bool = False,
) -> list[Prefetch]:
    """One query each for the posts' (or their parents') tags and mentions, as asked."""
    wanted = [
        (hashtags, "hashtag_links", PostHashtag.objects.order_by("position")),
        (mentions, "mention_links", _mention_links(viewer_id)),
        (parent_hashtags, "reply_to__hashtag_links", PostHashtag.objects.order_by("position")),
        (parent_mentions, "reply_to__mention_links", _mention_links(viewer_id)),
    ]
    return [Prefetch(lookup, queryset=links) for want, lookup, links in wanted if want]


def annotate_posts_for_viewer(queryset: QuerySet[Post], *, viewer_id: int | None) -> QuerySet[Post]:
    """Posts ready to be shown to `viewer_id` (None when signed out) in a fixed number of queries:
    one for the rows, one for their hashtags, one for their mentions. Callers that know they
    need fewer (or the parents' too) swap the prefetches: see `post_prefetches`."""
    queryset = queryset.select_related("author", "reply_to__author").prefetch_related(
        *post_prefetches(viewer_id=viewer_id)
    )
    if viewer_id is not None:
        queryset = queryset.annotate(
            viewer_has_liked=_viewer_has_liked(viewer_id, "pk"),
            author_viewer_follows=viewer_follows(viewer_id, "author_id"),
            author_follows_viewer=follows_viewer(viewer_id, "author_id"),
            reply_to_viewer_has_liked=_viewer_has_liked(viewer_id, "reply_to_id"),
            reply_to_author_viewer_follows=viewer_follows(viewer_id, "reply_to__author_id"),
            reply_to_author_follows_viewer=follows_viewer(viewer_id, "reply_to__author_id"),
        )
    return with_iterable(queryset, _POST_FLAGS)


def posts_visible(*, viewer_id: int | None = None) -> QuerySet[Post]:
    return annotate_posts_for_viewer(
        Post.objects.filter(author__is_active=True), viewer_id=viewer_id
    )


def post_by_id(*, post_id: int, viewer_id: int | None = None) -> Post | None:
    """One post for the viewer. Its tags and mentions load only when read: prefetching them
    would cost two queries even when the client asked for neither."""
    return posts_visible(viewer_id=viewer_id).prefetch_related(None).filter(pk=post_id).first()


def home_feed(*, viewer_id: int) -> QuerySet[Post]:
    """The viewer's own posts and those of everyone they follow; page with NEWEST_FIRST."""
    # One IN over a UNION ALL, not "author = viewer OR author IN (followed)": with the OR,
    # PostgreSQL walks the whole created_at index and filters row by row, ten times the
    # buffers at 100,000 posts (EXPLAIN ANALYZE in bench/RESULTS.md).
    authors = (
        Follow.objects.filter(follower_id=viewer_id)
        .values("followee_id")
        .union(User.objects.filter(pk=viewer_id).values("pk"), all=True)
    )
    return posts_visible(viewer_id=viewer_id).filter(author_id__in=authors)


def public_feed(*, viewer_id: int | None = None) -> QuerySet[Post]:
    """Top-level posts: no replies, not even those whose parent was deleted; NEWEST_FIRST."""
    # Both conditions: rows written in bulk (seeds) may set reply_to without is_reply.
    return posts_visible(viewer_id=viewer_id).filter(reply_to__isnull=True, is_reply=False)


# The tag row's copy of the post's date and its post id: the order of hashtag_feed_idx.
HASHTAG_FEED_ORDER = ("-tag_created_at", "-tag_post_id")


def hashtag_feed(*, tag: str, viewer_id: int | None = None) -> QuerySet[Post]:
    """Posts carrying #tag, case-insensitive, with or without '#'; page with HASHTAG_FEED_ORDER.

    Sorted on the PostHashtag row, not the post, so a page is one range scan of
    hashtag_feed_idx (tag, -created_at, -post) however rare the tag; the annotations reuse the
    filter's join, and their values equal the post's (created_at, id)."""
    tag = normalize_hashtag(tag)
    tagged = (
        posts_visible(viewer_id=viewer_id)
        .filter(hashtag_links__tag=tag)
        .annotate(
            tag_created_at=F("hashtag_links__created_at"), tag_post_id=F("hashtag_links__post_id")
        )
    )
    # NUL: no tag has one, and PostgreSQL refuses it. Empty, the annotations stay for the order.
    return tagged if tag and "\x00" not in tag else tagged.none()


def user_posts(*, user_id: int, viewer_id: int | None = None) -> QuerySet[Post]:
    """Everything the user wrote, replies included; page with NEWEST_FIRST."""
    return posts_visible(viewer_id=viewer_id).filter(author_id=user_id)


def post_replies(*, post_id: int, viewer_id: int | None = None) -> QuerySet[Post]:
    """Direct replies to the post; page with OLDEST_FIRST so a thread reads top to bottom."""
    return posts_visible(viewer_id=viewer_id).filter(reply_to_id=post_id)


def post_viewer_has_liked(post: Post, *, viewer_id: int | None) -> bool:
    """The `viewer_has_liked` flag fetched with the post, else one query."""
    if viewer_id is None:
        return False
    return fetched_flag(
        post,
        "viewer_has_liked",
        lambda: Like.objects.filter(user_id=viewer_id, post_id=post.pk).exists(),
    )


def post_hashtags(post: Post) -> list[str]:
    """Lower-cased tags in order of appearance (prefetched by the selectors)."""
    return [link.tag for link in post.hashtag_links.all()]


def post_mentions(post: Post) -> list[User]:
    """Mentioned users in order of appearance (prefetched by the selectors)."""
    links = post.mention_links.all()
    if "mention_links" not in getattr(post, "_prefetched_objects_cache", {}):
        links = links.select_related("user")
    return [link.user for link in links]
