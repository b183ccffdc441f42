"""A page of a long list (an author's posts, a popular user's followers, a viral post's
replies) reads about a page of rows, also under the generic plan PostgreSQL keeps for a
prepared statement, which knows only the average list's length."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from graph.ids import global_id
from social.models import Follow, Post, User
from tests.factories import make_user
from tests.graph.compiled.conftest import Run

LONG = 400
EDGES = "(first: 5) { edges { node { id } } }"
PAGES = {
    "posts": f'query {{ user(username: "star") {{ posts{EDGES} }} }}',
    "followers": f'query {{ user(username: "star") {{ followers{EDGES} }} }}',
    "replies": f"query($id: ID!) {{ post(id: $id) {{ replies{EDGES} }} }}",
}


@pytest.fixture
def star() -> User:
    star = make_user("star")
    fans = User.objects.bulk_create(
        User(username=f"fan{n}", email=f"fan{n}@example.com", display_name="Fan")
        for n in range(LONG)
    )
    now = timezone.now()
    Follow.objects.bulk_create(
        Follow(follower=fan, followee=star, created_at=now - timedelta(seconds=n))
        for n, fan in enumerate(fans)
    )
    posts = Post.objects.bulk_create(
        Post(author=star, body=f"post {n}", created_at=now - timedelta(seconds=n))
        for n in range(LONG)
    )
    Post.objects.bulk_create(
        Post(author=fan, body="re", created_at=now, reply_to=posts[0], is_reply=True)
        for fan in fans
    )
    # The rest of the network: many short lists, so the average list is short.
    Post.objects.bulk_create(Post(author=fan, body="hi", created_at=now) for fan in fans)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE social_post, social_follow, social_user")
    return star


def _rows_read(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0)"
            " FROM pg_stat_xact_user_tables WHERE relname = %s",
            [table],
        )
        return int(cursor.fetchone()[0])


@pytest.mark.parametrize(
    ("page", "table"),
    [("posts", "social_post"), ("followers", "social_user"), ("replies", "social_post")],
)
def test_a_page_of_a_long_list_reads_a_page_of_rows_under_the_generic_plan(
    run: Run, star: User, page: str, table: str
) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
    variables = {"id": global_id("Post", Post.objects.get(author=star, body="post 0").pk)}
    run(PAGES[page], variables)  # prepared at its first run (graph/compiled/database.py)
    before = _rows_read(table)
    answer = run(PAGES[page], variables)
    owner = answer["data"]["post" if page == "replies" else "user"]
    assert len(owner[page]["edges"]) == 5
    assert _rows_read(table) - before < 50
