"""The live side's new list reads cost a fixed number of SQL queries, whatever their size:
homeFeedEdgeAdded's replay page and unreadNotificationCountChanged's counts."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications.selectors import unread_count, unread_counts
from social.reads.posts import home_replay_page
from social.reads.views import FULL_SHAPE
from tests.factories import make_follow, make_like, make_post, make_user

pytestmark = pytest.mark.django_db

LONG_AGO = (datetime(2000, 1, 1, tzinfo=UTC), 0)


def _queries(read: object) -> int:
    with CaptureQueriesContext(connection) as captured:
        read()  # type: ignore[operator]
    return len(captured.captured_queries)


def test_the_home_feed_replay_page_costs_the_same_at_two_sizes() -> None:
    viewer = make_user("viewer")
    writers = [make_user(f"writer{i}") for i in range(4)]
    for writer in writers:
        make_follow(viewer, writer)
    root = make_post(writers[0], "root #tag")
    for i in range(40):
        make_post(writers[i % 4], f"post {i} #tag @writer{(i + 1) % 4}", reply_to=root)

    def page(size: int) -> tuple[int, int]:
        found: list[int] = []

        def read() -> None:
            views, _ = home_replay_page(
                viewer_id=viewer.pk, after=LONG_AGO, shape=FULL_SHAPE, size=size
            )
            found.append(len(views))

        return _queries(read), found[0]

    small, small_rows = page(2)
    large, large_rows = page(50)
    assert (small_rows, large_rows) == (2, 41)
    assert small == large <= 3


def test_the_unread_counts_cost_one_query_for_one_recipient_or_many() -> None:
    actor = make_user("actor")
    recipients = [make_user(f"r{i}") for i in range(20)]
    for recipient in recipients:
        liked = make_post(recipient)
        make_like(actor, liked)
    ids = [r.pk for r in recipients]
    assert _queries(lambda: unread_counts(recipient_ids=ids[:1])) == 1
    assert _queries(lambda: unread_counts(recipient_ids=ids)) == 1
    counts = unread_counts(recipient_ids=ids)
    assert counts == {pk: unread_count(recipient_id=pk) for pk in ids} == dict.fromkeys(ids, 1)
