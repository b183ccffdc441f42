"""`make run`'s demo: a lively network for the demo accounts, and the start-up banner."""

from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from config.backend import backend_description, describe
from notifications.models import Notification, NotificationKind
from social.demo import (
    DEMO_PASSWORD,
    DEMO_STAFF_USERNAME,
    DEMO_USERNAMES,
    VISITORS,
    load_demo_data,
)
from social.mail import wait_until_sent
from social.models import Post, User

pytestmark = pytest.mark.django_db

SIGNED_IN_VIEW = """
{
  homeFeed(first: 20) { edges { node { body replyCount author { username } } } }
  notifications(first: 50) { edges { node { kind read } } }
  unreadNotificationCount
}
"""


@pytest.mark.parametrize("username", DEMO_USERNAMES)
def test_each_demo_account_signs_in_to_a_feed_threads_and_unread_notifications(
    username: str, settings: Any, gql: Any
) -> None:
    settings.DEBUG = True
    load_demo_data()
    user = User.objects.get(username=username)
    data = gql(SIGNED_IN_VIEW, as_user=user)["data"]
    feed = [edge["node"] for edge in data["homeFeed"]["edges"]]
    assert len(feed) == 20
    assert any(post["replyCount"] > 0 for post in feed)  # threads to open
    kinds = {edge["node"]["kind"] for edge in data["notifications"]["edges"]}
    assert kinds >= {"FOLLOW", "LIKE", "REPLY", "MENTION"}
    assert data["unreadNotificationCount"] >= 4
    assert Post.objects.filter(author=user, reply_to__isnull=False).exists() or (
        Post.objects.filter(reply_to__author=user).exists()
    )


def test_the_fresh_activity_went_through_the_services_so_counters_are_exact() -> None:
    load_demo_data()
    for user in User.objects.all():
        assert user.follower_count == user.follower_links.count()  # type: ignore[attr-defined]
        assert user.post_count == Post.objects.filter(author=user).count()
    for post in Post.objects.all():
        assert post.like_count == post.likes.count()  # type: ignore[attr-defined]
        assert post.reply_count == Post.objects.filter(reply_to=post).count()
    mentions = Notification.objects.filter(kind=NotificationKind.MENTION)
    assert mentions.filter(recipient__username__in=DEMO_USERNAMES).count() >= len(DEMO_USERNAMES)


def test_loading_the_demo_prints_no_mail(
    settings: Any,
    capsys: pytest.CaptureFixture[str],
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    # make run's terminal shows the backend and the accounts, not a confirmation mail for
    # each of today's newcomers (the console mail backend prints every mail there).
    settings.DEBUG = True
    with django_capture_on_commit_callbacks(execute=True):
        call_command("demo_data")
    wait_until_sent()
    assert mailoutbox == []
    assert "Subject:" not in capsys.readouterr().out
    for name in VISITORS:  # the README: "same password"
        visitor = User.objects.get(username=name)
        assert visitor.email_verified and visitor.check_password(DEMO_PASSWORD)


def test_with_debug_a_demo_staff_account_opens_the_admin(settings: Any) -> None:
    settings.DEBUG = True
    load_demo_data()
    client = Client()
    assert client.login(username=DEMO_STAFF_USERNAME, password=DEMO_PASSWORD)
    assert client.get("/admin/").status_code == 200


def test_without_debug_no_staff_account_with_a_known_password_is_made(settings: Any) -> None:
    settings.DEBUG = False
    load_demo_data()
    assert not User.objects.filter(is_staff=True).exists()


def test_the_command_prints_the_backend_and_the_demo_passwords_with_debug_only(
    settings: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.DEBUG = True
    call_command("demo_data")
    out = capsys.readouterr().out
    assert f"Backend: {backend_description()}" in out
    assert f"alice, bob, carol (password: {DEMO_PASSWORD!r})" in out
    assert f"Admin (/admin/): {DEMO_STAFF_USERNAME} (password: {DEMO_PASSWORD!r})" in out

    settings.DEBUG = False
    call_command("demo_data")
    out = capsys.readouterr().out
    assert "already has users" in out
    assert DEMO_PASSWORD not in out


def test_a_database_of_other_users_is_left_alone_and_no_demo_account_is_named(
    settings: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.DEBUG = True
    User.objects.create_user(username="someone", email="someone@example.com")
    call_command("demo_data")
    out = capsys.readouterr().out
    assert "already has users" in out
    assert "alice" not in out and DEMO_PASSWORD not in out
    assert not User.objects.filter(username__in=DEMO_USERNAMES).exists()


@pytest.mark.parametrize(
    ("engine", "redis_url", "expected"),
    [
        ("django.db.backends.sqlite3", "", "SQLite + in-process events"),
        ("django.db.backends.postgresql", "redis://127.0.0.1:6379/0", "PostgreSQL + Redis"),
        ("django.db.backends.postgresql", "", "PostgreSQL + in-process events"),
    ],
)
def test_the_banner_names_the_backend(engine: str, redis_url: str, expected: str) -> None:
    assert describe(engine=engine, redis_url=redis_url) == expected


def test_the_banner_describes_this_run(settings: Any) -> None:
    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    expected = ("PostgreSQL" if on_postgres else "SQLite") + (
        " + Redis" if settings.REDIS_URL else " + in-process events"
    )
    assert backend_description() == expected
