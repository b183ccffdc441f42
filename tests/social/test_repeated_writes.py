"""A repeated follow or block changes nothing and tries no INSERT: under the pair's locks
the row is found first, so PostgreSQL's log gets no duplicate-key ERROR for every retry."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from social.models import Block, Follow
from social.services.blocks import block_create
from social.services.follows import follow_create
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _inserts(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().startswith("INSERT")]


def test_a_repeated_follow_tries_no_insert() -> None:
    ana, ben = make_user("ana"), make_user("ben")
    assert follow_create(follower=ana, followee=ben) is True
    with CaptureQueriesContext(connection) as queries:
        assert follow_create(follower=ana, followee=ben) is False
    assert _inserts(queries) == []
    assert Follow.objects.filter(follower=ana, followee=ben).count() == 1


def test_a_repeated_block_tries_no_insert() -> None:
    ana, ben = make_user("ana"), make_user("ben")
    assert block_create(blocker=ana, blocked=ben) is True
    with CaptureQueriesContext(connection) as queries:
        assert block_create(blocker=ana, blocked=ben) is False
    assert _inserts(queries) == []
    assert Block.objects.filter(blocker=ana, blocked=ben).count() == 1
