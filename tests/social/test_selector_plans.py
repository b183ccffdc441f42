"""PostgreSQL reads the feeds and the user search from the indexes built for them."""

from django.db import connection

from social.selectors.posts import HASHTAG_FEED_ORDER, hashtag_feed
from social.selectors.users import SEARCH_ORDER, search_users
from tests.factories import make_post, make_user
from tests.services import require_postgres_database


def _plan(queryset: object) -> str:
    # A table of a few rows is cheaper to scan and sort: make the planner show what it can use.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
    return str(queryset.explain())  # type: ignore[attr-defined]


def test_user_search_uses_the_trigram_indexes(db: None) -> None:
    require_postgres_database()
    make_user("Ferris", display_name="Rust Crab")
    # icontains is UPPER(column) LIKE UPPER(%s) on PostgreSQL: the indexed expression.
    plan = _plan(search_users(query="crab").order_by(*SEARCH_ORDER)[:21])
    assert "user_username_trgm" in plan
    assert "user_display_name_trgm" in plan


def test_hashtag_feed_pages_along_the_tag_index(db: None) -> None:
    require_postgres_database()
    author = make_user("author")
    for i in range(5):
        make_post(author, f"post {i} #rare")
    plan = _plan(hashtag_feed(tag="#rare").order_by(*HASHTAG_FEED_ORDER)[:21])
    assert "hashtag_feed_idx" in plan
    assert "Sort Key" not in plan  # the index gives the page's order
