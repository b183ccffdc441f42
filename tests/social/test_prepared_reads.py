"""Prepared reads: SQL compiled once per shape, each run binding only its arguments."""

import pytest
from django.db.models import QuerySet

from social.models import Post
from social.selectors.posts import prepared_rows
from tests.factories import make_post, make_user


def _by_author(author_id: int) -> QuerySet[Post]:
    return Post.objects.filter(author_id=author_id).order_by("id").values_list("id", "body")


def test_a_prepared_read_binds_each_runs_arguments(db: None) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    make_post(alice, "from alice")
    make_post(bob, "from bob")
    for user, body in ((alice, "from alice"), (bob, "from bob")):
        names, rows = prepared_rows("test-by-author", _by_author, [user.pk])
        assert names == ("id", "body")
        assert [row[1] for row in rows] == [body]


def test_a_build_that_changes_its_argument_is_refused(db: None) -> None:
    # Its SQL would hold the stand-in value as a constant and answer every run alike.
    with pytest.raises(RuntimeError):
        prepared_rows(
            "test-changed", lambda pk: Post.objects.filter(pk=pk + 1).values_list("id"), [1]
        )
