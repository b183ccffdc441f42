"""PostgreSQL reads the feeds and the user search from the indexes built for them."""

from typing import Any

from django.db import connection

from social.reads import posts as post_reads
from social.reads.users import SEARCH_ORDER, search_rows
from social.reads.views import FULL_SHAPE
from tests.factories import make_post, make_user
from tests.services import require_postgres_database


def _no_scans() -> None:
    # A table of a few rows is cheaper to scan and sort: make the planner show what it can use.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")


def _plan(sql: str, params: list[Any]) -> str:
    _no_scans()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_user_search_uses_the_trigram_indexes(db: None) -> None:
    require_postgres_database()
    make_user("Ferris", display_name="Rust Crab")
    _no_scans()
    # icontains is UPPER(column) LIKE UPPER(%s) on PostgreSQL: the indexed expression.
    plan = str(search_rows(query="crab", viewer_id=None).order_by(*SEARCH_ORDER)[:21].explain())
    assert "user_username_trgm" in plan
    assert "user_display_name_trgm" in plan


def test_hashtag_feed_pages_along_the_tag_index(db: None) -> None:
    require_postgres_database()
    author = make_user("author")
    for i in range(5):
        make_post(author, f"post {i} #rare")
    sql, params = post_reads.page_statement(
        post_reads.tagged("rare"), viewer_id=author.pk, shape=FULL_SHAPE, size=21
    )
    plan = _plan(sql, params)
    assert "hashtag_feed_idx" in plan
    # The index gives the page's order (a post's tags are sorted in their own subplan).
    assert "Sort Key" not in plan.split("SubPlan")[0]
