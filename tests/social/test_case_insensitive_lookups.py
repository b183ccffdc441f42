"""Usernames and emails are found through the case-insensitive unique indexes (lower() of both
sides), never by `iexact`'s UPPER() form, which reads every user on PostgreSQL."""

import contextlib
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.db import connection
from django.test.utils import CaptureQueriesContext

from social.errors import ValidationFailed
from social.models import User
from social.models.users import same_ignoring_case
from social.reads.users import user_by_username
from social.services.accounts import user_authenticate, user_register
from social.services.emails import email_change
from social.services.passwords import password_reset_request
from tests.factories import PASSWORD, make_user
from tests.services import require_postgres_database

pytestmark = pytest.mark.django_db


def _quietly(action: Callable[[], Any]) -> None:
    with contextlib.suppress(ValidationFailed):  # refused as taken: the lookup ran
        action()


LOOKUPS: dict[str, Callable[[User], Any]] = {
    "user(username:)": lambda u: user_by_username(username="ALICE", viewer_id=None),
    "login by username": lambda u: user_authenticate(login="ALICE", password=PASSWORD),
    "login by email": lambda u: user_authenticate(login="ALICE@example.com", password=PASSWORD),
    "register": lambda u: _quietly(
        lambda: user_register(username="Alice", email="ALICE@EXAMPLE.COM", password=PASSWORD)
    ),
    "requestPasswordReset": lambda u: password_reset_request(
        email="Alice@Example.com", client_address="10.0.0.1"
    ),
    "changeEmail": lambda u: _quietly(
        lambda: email_change(
            user=make_user("bob"), new_email="ALICE@example.com", password=PASSWORD
        )
    ),
    "session sign-in": lambda u: authenticate(username="ALICE", password=PASSWORD),
}


@pytest.mark.parametrize("name", LOOKUPS)
def test_no_lookup_compares_upper_case(name: str) -> None:
    alice = make_user("alice")
    with CaptureQueriesContext(connection) as queries:
        LOOKUPS[name](alice)
    user_reads = [q["sql"] for q in queries.captured_queries if '"social_user"' in q["sql"]]
    assert user_reads
    for sql in user_reads:
        assert 'UPPER("social_user"."username"' not in sql, sql
        assert 'UPPER("social_user"."email"' not in sql, sql


def test_the_lookups_find_the_user_in_any_case() -> None:
    alice = make_user("alice")
    assert user_by_username(username=" aLiCe ", viewer_id=None) is not None
    assert user_authenticate(login="ALICE@EXAMPLE.COM", password=PASSWORD) == alice
    assert authenticate(username="Alice", password=PASSWORD) == alice


def test_text_beyond_ascii_matches_only_what_iexact_matches() -> None:
    make_user("kate")
    # U+212A KELVIN SIGN lower-cases to "k", but is no case of "K" for iexact.
    assert not User.objects.filter(same_ignoring_case("username", "\u212aate")).exists()
    assert User.objects.filter(same_ignoring_case("username", "KATE")).exists()


@pytest.mark.parametrize("field", ["username", "email"])
def test_postgresql_reads_the_case_insensitive_unique_index(field: str) -> None:
    require_postgres_database()
    make_user("alice")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = User.objects.filter(same_ignoring_case(field, "ALICE@example.com")).explain()
    assert f"user_{field}_ci_unique" in plan
