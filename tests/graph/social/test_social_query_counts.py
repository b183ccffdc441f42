"""Every list costs a fixed number of SQL queries, whatever the page size."""

from typing import Any

import pytest
from django.db import connection

from graph.ids import global_id
from social.models import Follow, User
from tests.conftest import GqlCall
from tests.factories import make_follow, make_like, make_post, make_user

HOME_FEED = """query($first: Int) { homeFeed(first: $first) { edges { cursor node {
  id body createdAt likeCount replyCount viewerHasLiked hashtags
  author { username displayName followerCount viewerFollows }
  mentions { username }
  replyTo { author { username } }
} } pageInfo { hasNextPage endCursor } } }"""

POST_FIELDS = """id body createdAt editedAt likeCount replyCount viewerHasLiked hashtags
  author { id username displayName followerCount followingCount viewerFollows followsViewer }
  mentions { username viewerFollows followsViewer }
  replyTo { id body viewerHasLiked hashtags mentions { username viewerFollows }
    author { username viewerFollows followsViewer } }"""

LISTS: dict[str, str] = {
    "publicFeed": "query($first: Int) { publicFeed(first: $first) { edges { node { %s } } } }",
    "hashtagFeed": 'query($first: Int) { hashtagFeed(tag: "#Tag", first: $first) '
    "{ edges { node { %s } } } }",
    "userPosts": 'query($first: Int) { user(username: "writer0") { posts(first: $first) '
    "{ edges { node { %s } } } } }",
}
USER_FIELDS = "id username followerCount postCount viewerFollows followsViewer"
USER_LISTS: dict[str, str] = {
    "followers": 'query($first: Int) { user(username: "star") { followers(first: $first) '
    "{ edges { node { %s } } pageInfo { hasNextPage } } } }",
    "following": 'query($first: Int) { user(username: "fan0") { following(first: $first) '
    "{ edges { node { %s } } pageInfo { hasNextPage } } } }",
    "searchUsers": 'query($first: Int) { searchUsers(query: "fan", first: $first) '
    "{ edges { node { %s } } pageInfo { hasNextPage } } }",
}


@pytest.fixture
def busy_network(db: None) -> User:
    """A viewer who follows four writers; 120+ posts with tags, mentions, replies and likes."""
    viewer = make_user("viewer")
    writers = [make_user(f"writer{i}") for i in range(4)]
    for writer in writers:
        make_follow(viewer, writer)
        make_follow(writer, viewer)
    previous = None
    for i in range(120):
        writer = writers[i % 4]
        body = f"post {i} #Tag #t{i % 3} @viewer @{writers[(i + 1) % 4].username}"
        post = make_post(writer, body, reply_to=previous if i % 5 == 0 else None)
        if i % 2 == 0:
            make_like(viewer, post)
        previous = post
    return viewer


@pytest.fixture
def follow_network(db: None) -> User:
    """ "star" has 110 followers; "fan0" follows 105 users; the viewer knows some of them."""
    viewer = make_user("viewer")
    star = make_user("star")
    fans = User.objects.bulk_create(
        User(username=f"fan{i}", email=f"fan{i}@example.com") for i in range(110)
    )
    links = [Follow(follower=fan, followee=star) for fan in fans]
    links += [Follow(follower=fans[0], followee=fan) for fan in fans[1:106]]
    links += [Follow(follower=fan, followee=viewer) for fan in fans[1::2]]
    links += [Follow(follower=viewer, followee=fan) for fan in fans[::2]]
    Follow.objects.bulk_create(links)
    return viewer


# Post lists: the rows (posts, authors, parents, flags; on PostgreSQL their tags too), the
# tags of the page and its parents elsewhere, and their mentions.
POST_LIST_QUERIES = 2 if connection.vendor == "postgresql" else 3


def _page(result: dict[str, Any], *path: str) -> list[Any]:
    assert "errors" not in result, result
    data = result["data"]
    for name in path:
        data = data[name]
    return data["edges"]


@pytest.mark.parametrize("first", [5, 100])
def test_home_feed_page_takes_at_most_three_queries(
    gql: GqlCall, busy_network: User, django_assert_max_num_queries: Any, first: int
) -> None:
    with django_assert_max_num_queries(POST_LIST_QUERIES):
        edges = _page(gql(HOME_FEED, {"first": first}, as_user=busy_network), "homeFeed")
    assert len(edges) == first
    assert any(e["node"]["replyTo"] for e in edges)
    assert all(e["node"]["mentions"] for e in edges)


@pytest.mark.parametrize("name", sorted(LISTS))
@pytest.mark.parametrize("first", [5, 100])
@pytest.mark.parametrize("signed_in", [True, False])
def test_post_lists_have_flat_query_counts(
    gql: GqlCall,
    busy_network: User,
    django_assert_max_num_queries: Any,
    name: str,
    first: int,
    signed_in: bool,
) -> None:
    viewer = busy_network if signed_in else None
    # user(username:) adds the user's row.
    with django_assert_max_num_queries(POST_LIST_QUERIES + (name == "userPosts")):
        result = gql(LISTS[name] % POST_FIELDS, {"first": first}, as_user=viewer)
    path = ("user", "posts") if name == "userPosts" else (name,)
    # 120 posts, every fifth a reply; writer0 wrote a quarter of them.
    total = {"publicFeed": 96 + 1, "hashtagFeed": 120, "userPosts": 30}[name]
    assert len(_page(result, *path)) == min(first, total)


@pytest.mark.parametrize("name", sorted(USER_LISTS))
@pytest.mark.parametrize("first", [5, 100])
def test_user_lists_have_flat_query_counts(
    gql: GqlCall, follow_network: User, django_assert_max_num_queries: Any, name: str, first: int
) -> None:
    with django_assert_max_num_queries(1 if name == "searchUsers" else 2):
        result = gql(USER_LISTS[name] % USER_FIELDS, {"first": first}, as_user=follow_network)
    path = (name,) if name == "searchUsers" else ("user", name)
    assert len(_page(result, *path)) == first


@pytest.mark.parametrize("first", [5, 100])
def test_replies_have_flat_query_counts(
    gql: GqlCall, db: None, django_assert_max_num_queries: Any, first: int
) -> None:
    author = make_user("author")
    root = make_post(author, "root")
    for i in range(101):
        make_post(
            make_user(f"replier{i}") if i < 3 else author, f"reply {i} #x @author", reply_to=root
        )
    query = (
        "query($id: ID!, $first: Int) { post(id: $id) { replies(first: $first) { edges { node { "
        + POST_FIELDS
        + " } } } } }"
    )
    # post(id:) reads the root post, then its replies.
    with django_assert_max_num_queries(1 + POST_LIST_QUERIES):
        result = gql(query, {"id": global_id("Post", root.pk), "first": first}, as_user=author)
    assert len(_page(result, "post", "replies")) == first


@pytest.mark.parametrize("first", [5, 100])
def test_a_feed_without_tags_or_mentions_is_one_query(
    gql: GqlCall, busy_network: User, django_assert_num_queries: Any, first: int
) -> None:
    query = """query($first: Int) { publicFeed(first: $first) { edges { node {
      id body createdAt likeCount replyCount viewerHasLiked
      author { username displayName viewerFollows }
      replyTo { author { username } }
    } } } }"""
    with django_assert_num_queries(1):
        edges = _page(gql(query, {"first": first}, as_user=busy_network), "publicFeed")
    assert len(edges) == min(first, 97)


def test_fragments_are_seen_when_choosing_prefetches(
    gql: GqlCall, busy_network: User, django_assert_num_queries: Any
) -> None:
    query = """query { homeFeed(first: 50) { ...Page } }
    fragment Page on PostConnection { edges { node { ... on Post { hashtags } } } }"""
    # On PostgreSQL the tags come in the page's rows (an ARRAY subquery).
    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 2):
        edges = _page(gql(query, as_user=busy_network), "homeFeed")
    assert all(e["node"]["hashtags"][0] == "tag" for e in edges)


def test_the_bench_page_is_one_query_on_postgresql_and_two_elsewhere(
    gql: GqlCall, busy_network: User, django_assert_num_queries: Any
) -> None:
    from bench.queries import HOME_FEED_QUERY

    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 2):
        edges = _page(gql(HOME_FEED_QUERY, as_user=busy_network), "homeFeed")
    assert len(edges) == 20
    assert any(e["node"]["hashtags"] for e in edges)
