"""The bench-only hand-written home feed: same page as GraphQL, off unless BENCH_VIEWS."""

import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from bench.queries import HOME_FEED_QUERY
from bench.seed_media import attach_media
from bench.views import home_feed
from graph.schema import schema
from social import revocations
from social.models import Like, Post, User
from social.seed import SeedConfig, seed
from social.services.tokens import access_token_issue

pytestmark = pytest.mark.django_db


def _viewer() -> User:
    seed(SeedConfig(users=25, posts_per_user=4, follows_per_user=5, seed=2, progress=False))
    # The most-following user has the fullest feed; any seeded user follows five.
    return User.objects.order_by("-following_count", "pk").first()  # type: ignore[return-value]


def _bench_page(viewer: User) -> dict[str, Any]:
    request = RequestFactory().post(
        "/bench/home-feed",
        HTTP_AUTHORIZATION=f"Bearer {access_token_issue(user=viewer)}",
    )
    return json.loads(home_feed(request).content)


def test_bench_view_serves_the_home_feed_page_in_three_queries() -> None:
    viewer = _viewer()
    revocations.load_recent()  # once per process, at its first request
    with CaptureQueriesContext(connection) as queries:
        page = _bench_page(viewer)["data"]["homeFeed"]
    assert len(queries) == 3
    followed = set(viewer.following_links.values_list("followee_id", flat=True)) | {viewer.pk}
    expected = list(Post.objects.filter(author_id__in=followed).order_by("-created_at", "-id")[:20])
    assert [e["node"]["body"] for e in page["edges"]] == [p.body for p in expected]
    liked = set(Like.objects.filter(user=viewer).values_list("post_id", flat=True))
    assert [e["node"]["viewerHasLiked"] for e in page["edges"]] == [p.pk in liked for p in expected]
    assert page["pageInfo"]["hasNextPage"] == (
        Post.objects.filter(author_id__in=followed).count() > 20
    )


def test_bench_view_needs_a_token() -> None:
    response = home_feed(RequestFactory().post("/bench/home-feed"))
    assert json.loads(response.content)["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_bench_routes_are_off_by_default(client: Client) -> None:
    assert client.post("/bench/home-feed").status_code == 404


def test_bench_view_matches_graphql_home_feed(gql: Any) -> None:
    if "homeFeed" not in str(schema):
        pytest.skip("homeFeed is not in the schema yet")
    viewer = _viewer()
    ours = gql(HOME_FEED_QUERY, as_user=viewer)
    assert "errors" not in ours, ours
    bench = _bench_page(viewer)
    for page in (ours, bench):
        # Cursors are opaque and may be encoded differently; the rows must be the same.
        for edge in page["data"]["homeFeed"]["edges"]:
            edge.pop("cursor")
        page["data"]["homeFeed"]["pageInfo"].pop("endCursor")
    assert bench == ours


@pytest.mark.parametrize("root", ["homeFeed", "publicFeed"])
def test_compiled_bench_hand_pages_match_graphql(gql: Any, root: str) -> None:
    from bench.queries import HOME_PAGE_QUERY, PUBLIC_PAGE_QUERY
    from bench.views import home_page, public_page

    viewer = _viewer()
    assert attach_media(every=2) > 0  # one or two images on half the posts
    query, view = (
        (HOME_PAGE_QUERY, home_page) if root == "homeFeed" else (PUBLIC_PAGE_QUERY, public_page)
    )
    ours = gql(query, as_user=viewer)
    assert "errors" not in ours, ours
    media = [edge["node"]["media"] for edge in ours["data"][root]["edges"]]
    assert any(len(images) == 2 for images in media) and [] in media, media
    request = RequestFactory().post(
        "/bench/x", HTTP_AUTHORIZATION=f"Bearer {access_token_issue(user=viewer)}"
    )
    assert json.loads(view(request).content) == ours
