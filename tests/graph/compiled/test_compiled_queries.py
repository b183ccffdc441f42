"""One SQL statement per compiled root field whatever the page size, planned once."""

from typing import Any

import pytest
from django.db import connection

from tests.factories import make_post
from tests.graph.compiled.conftest import Run, World

FEED = """query Feed($first: Int) {
  homeFeed(first: $first) { edges { cursor node { id body createdAt likeCount replyCount
    viewerHasLiked hashtags mentions { username viewerFollows } author { username viewerFollows
    avatarUrl avatar { id url thumbnailUrl width height mimeType altText } }
    media { id url thumbnailUrl width height mimeType altText __typename }
    replyTo { id author { username } } replies(first: 2) { edges { node { id } } } } }
    pageInfo { hasNextPage endCursor } }
  publicFeed(first: $first) { edges { node { id author { username } } } }
  me { username followers(first: 3) { edges { node { username } } } }
}"""


@pytest.mark.parametrize("first", [2, 100])
def test_each_compiled_root_field_is_one_statement_at_any_page_size(
    run: Run, world: World, first: int, django_assert_num_queries: Any
) -> None:
    for n in range(30):
        make_post(world.bob, f"More #world {n}")
    run(FEED, {"first": first}, viewer=world.alice)
    # Viewer checks aside, three root fields: three statements.
    with django_assert_num_queries(3):
        answer = run(FEED, {"first": first}, viewer=world.alice)
    assert len(answer["data"]["homeFeed"]["edges"]) == min(first, 40)
    assert answer == run(FEED, {"first": first}, viewer=world.alice, compiled=False)


def test_a_statement_is_prepared_once_and_planned_generically(run: Run, world: World) -> None:
    query = "query Page($after: String) { publicFeed(first: 3, after: $after) { edges { cursor } pageInfo { endCursor } } }"  # noqa: E501
    after = None
    for _ in range(8):
        page = run(query, {"after": after})["data"]["publicFeed"]
        after = page["pageInfo"]["endCursor"] or after
        if not page["edges"]:
            after = None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE statement LIKE %s",
            ["%FROM social_post p1 JOIN social_user a2%LIMIT 4%"],
        )
        plans = cursor.fetchall()
    assert plans, "the statement was not prepared"
    # PostgreSQL tries custom plans five times, then keeps the generic one.
    assert sum(generic for generic, _ in plans) > 0, plans


@pytest.mark.django_db(transaction=True)
async def test_async_execution_leaves_every_field_to_the_resolvers() -> None:
    from graph.compiled import plan_cache
    from graph.context import Context
    from graph.schema import schema

    context = Context(compiled_document="async-document")
    result = await schema.execute("{ me { id } }", context_value=context)
    # The resolver answered (null when signed out); no statement was compiled or run.
    assert result.errors is None and result.data == {"me": None}
    assert plan_cache.size() == 0


HOME_PAGE = """query Home($first: Int, $after: String) {
  homeFeed(first: $first, after: $after) { edges { cursor node { id author { username } } }
    pageInfo { hasNextPage endCursor } } }"""


@pytest.mark.parametrize("first", [1, 2, 5])
def test_the_home_feed_merged_per_author_pages_like_the_normal_executor(
    run: Run, world: World, first: int
) -> None:
    # Authors' posts interleaved in time, more of them than a page: each author's top-N
    # and the merge must cut exactly where one ORDER BY over all their posts would.
    for n in range(4):
        for author in (world.bob, world.carol, world.alice, world.dave):
            make_post(author, f"Interleaved {n}")
    after, seen = None, []
    for _ in range(40):
        variables = {"first": first, "after": after}
        compiled = run(HOME_PAGE, variables, viewer=world.alice)
        assert compiled == run(HOME_PAGE, variables, viewer=world.alice, compiled=False)
        page = compiled["data"]["homeFeed"]
        seen += [edge["node"]["id"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) > 16


def test_the_home_statement_is_prepared_once_and_planned_generically(
    run: Run, world: World
) -> None:
    for _ in range(8):
        run(HOME_PAGE, {"first": 3}, viewer=world.alice)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%CROSS JOIN LATERAL%LIMIT 4%"],
        )
        plans = cursor.fetchall()
    assert plans, "the statement was not prepared"
    assert sum(generic for (generic,) in plans) > 0, plans
