"""The home-feed page written by hand: what plain Django does for the same JSON.

Only routed when settings.BENCH_VIEWS is on. It answers the bench query's shape
(bench.queries.HOME_FEED_QUERY) from the same tables with three queries, so the
HTTP benchmark can compare the GraphQL stack with the framework underneath it.
"""

from collections import defaultdict
from typing import Any

from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from graph.auth import bearer_token, token_user_id
from graph.ids import global_id
from graph.pagination import DEFAULT_PAGE_SIZE, encode_cursor
from social.media.storage import media_url, request_origin
from social.models import Follow, Like, Post, PostHashtag, PostMention, User
from social.services.media import MAX_MEDIA_PER_POST
from social.services.tokens import InvalidAccessToken

FEED_CURSOR_KIND = "home"


def _unauthenticated() -> JsonResponse:
    return JsonResponse(
        {
            "data": None,
            "errors": [{"message": "Sign in first.", "extensions": {"code": "UNAUTHENTICATED"}}],
        }
    )


@csrf_exempt
def home_feed(request: HttpRequest) -> JsonResponse:
    token = bearer_token(request.headers.get("Authorization"))
    if not token:
        return _unauthenticated()
    try:
        # The API's own check (a token verified once until its expiry), as ours pays.
        viewer_id = token_user_id(token)
    except InvalidAccessToken:
        return _unauthenticated()
    size = DEFAULT_PAGE_SIZE
    # One IN over a UNION ALL: "author = viewer OR author IN (followed)" makes PostgreSQL walk
    # the whole created_at index instead of each author's newest posts.
    authors = (
        Follow.objects.filter(follower_id=viewer_id)
        .values("followee_id")
        .union(User.objects.filter(pk=viewer_id).values("pk"), all=True)
    )
    rows = list(
        Post.objects.filter(author_id__in=authors)
        .order_by("-created_at", "-id")
        .values_list(
            "id",
            "body",
            "created_at",
            "like_count",
            "reply_count",
            "author_id",
            "author__username",
            "author__display_name",
        )[: size + 1]
    )
    has_next = len(rows) > size
    rows = rows[:size]
    ids = [row[0] for row in rows]
    liked = set(
        Like.objects.filter(user_id=viewer_id, post_id__in=ids).values_list("post_id", flat=True)
    )
    tags: dict[int, list[str]] = defaultdict(list)
    for post_id, tag in (
        PostHashtag.objects.filter(post_id__in=ids)
        .order_by("post_id", "position")
        .values_list("post_id", "tag")
    ):
        tags[post_id].append(tag)
    edges = []
    for pk, body, created_at, likes, replies, author_id, username, display_name in rows:
        edges.append(
            {
                "cursor": encode_cursor(FEED_CURSOR_KIND, [created_at, pk]),
                "node": {
                    "id": global_id("Post", pk),
                    "body": body,
                    "createdAt": created_at.isoformat(),
                    "likeCount": likes,
                    "replyCount": replies,
                    "viewerHasLiked": pk in liked,
                    "hashtags": tags.get(pk, []),
                    "author": {
                        "id": global_id("User", author_id),
                        "username": username,
                        "displayName": display_name,
                    },
                },
            }
        )
    page_info = {"hasNextPage": has_next, "endCursor": edges[-1]["cursor"] if edges else None}
    return JsonResponse({"data": {"homeFeed": {"edges": edges, "pageInfo": page_info}}})


# The compiled-path bench's feeds (bench/queries.py HOME_PAGE_QUERY, PUBLIC_PAGE_QUERY):
# the bench page above plus mentions and media, for the home feed and the public feed.
def _feed_page(request: HttpRequest, *, root: str) -> JsonResponse:
    try:
        origin = request.build_absolute_uri("/")  # relative media URLs, as the API's view
    except DisallowedHost:
        origin = ""
    with request_origin(origin):
        return _feed_page_json(request, root=root)


def _media(images: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"url": media_url(image["file"]), "width": image["width"], "height": image["height"]}
        for image in images[:MAX_MEDIA_PER_POST]
    ]


def _feed_page_json(request: HttpRequest, *, root: str) -> JsonResponse:
    token = bearer_token(request.headers.get("Authorization"))
    if not token:
        return _unauthenticated()
    try:
        viewer_id = token_user_id(token)
    except InvalidAccessToken:
        return _unauthenticated()
    size = DEFAULT_PAGE_SIZE
    posts = Post.objects.filter(author__is_active=True)
    if root == "homeFeed":
        authors = (
            Follow.objects.filter(follower_id=viewer_id)
            .values("followee_id")
            .union(User.objects.filter(pk=viewer_id).values("pk"), all=True)
        )
        posts = posts.filter(author_id__in=authors)
        kind = "home"
    else:
        posts = posts.filter(reply_to__isnull=True, is_reply=False)
        kind = "public"
    rows = list(
        posts.order_by("-created_at", "-id").values_list(
            "id", "body", "created_at", "like_count", "reply_count",
            "author_id", "author__username", "author__display_name", "media_json",
        )[: size + 1]
    )  # fmt: skip
    has_next = len(rows) > size
    rows = rows[:size]
    ids = [row[0] for row in rows]
    liked = set(
        Like.objects.filter(user_id=viewer_id, post_id__in=ids).values_list("post_id", flat=True)
    )
    tags: dict[int, list[str]] = defaultdict(list)
    for post_id, tag in (
        PostHashtag.objects.filter(post_id__in=ids)
        .order_by("post_id", "position")
        .values_list("post_id", "tag")
    ):
        tags[post_id].append(tag)
    mentions: dict[int, list[dict[str, str]]] = defaultdict(list)
    for post_id, user_id, username, display_name in (
        PostMention.objects.filter(post_id__in=ids)
        .order_by("post_id", "position")
        .values_list("post_id", "user_id", "user__username", "user__display_name")
    ):
        mentions[post_id].append(
            {"id": global_id("User", user_id), "username": username, "displayName": display_name}
        )
    edges = [
        {
            "cursor": encode_cursor(kind, [created_at, pk]),
            "node": {
                "id": global_id("Post", pk),
                "body": body,
                "createdAt": created_at.isoformat(),
                "likeCount": likes,
                "replyCount": replies,
                "viewerHasLiked": pk in liked,
                "hashtags": tags.get(pk, []),
                "author": {
                    "id": global_id("User", author_id),
                    "username": username,
                    "displayName": display_name,
                },
                "mentions": mentions.get(pk, []),
                "media": _media(images),
            },
        }
        for pk, body, created_at, likes, replies, author_id, username, display_name, images in rows
    ]
    page_info = {"hasNextPage": has_next, "endCursor": edges[-1]["cursor"] if edges else None}
    return JsonResponse({"data": {root: {"edges": edges, "pageInfo": page_info}}})


@csrf_exempt
def home_page(request: HttpRequest) -> JsonResponse:
    return _feed_page(request, root="homeFeed")


@csrf_exempt
def public_page(request: HttpRequest) -> JsonResponse:
    return _feed_page(request, root="publicFeed")
