"""Notification rows written by the social services, and events published only after commit."""

from typing import Any

import pytest
from django.db import transaction

from notifications import broker
from notifications.models import Notification
from social.services.likes import like_create, like_delete
from tests.factories import make_follow, make_post, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(broker, "publish", sent.append)
    return sent


def _kinds(**filters: Any) -> list[tuple[str, str, str]]:
    return [
        (n.kind, n.actor.username, n.recipient.username)
        for n in Notification.objects.filter(**filters).select_related("actor", "recipient")
    ]


def test_nobody_is_notified_of_their_own_actions(
    published: list[dict[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    alice = make_user("alice")
    with django_capture_on_commit_callbacks(execute=True):
        post = make_post(alice, "talking to myself @alice")
        like_create(user=alice, post=post)
        make_post(alice, "and replying to myself", reply_to=post)
    assert _kinds() == []
    # Only the home-feed announcements (to alice herself) went out.
    assert [m["kind"] for m in published] == ["post", "post"]


def test_a_reply_mentioning_the_parent_author_gives_one_reply(
    django_capture_on_commit_callbacks: Any,
) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    make_user("carol")
    parent = make_post(alice, "question")
    make_post(bob, "@alice @carol @alice answer", reply_to=parent)
    assert sorted(_kinds()) == [("MENTION", "bob", "carol"), ("REPLY", "bob", "alice")]


def test_like_unlike_like_notifies_once(published: list[dict[str, Any]]) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    post = make_post(alice)
    like_create(user=bob, post=post)
    like_delete(user=bob, post=post)
    like_create(user=bob, post=post)
    assert _kinds(kind="LIKE") == [("LIKE", "bob", "alice")]


def test_events_go_out_after_commit_and_never_after_a_rollback(
    published: list[dict[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        make_follow(bob, alice)
        assert published == []  # not before the commit
    assert len(callbacks) == 1
    notification = Notification.objects.get(recipient=alice)
    message, unread = published
    assert {k: message[k] for k in ("kind", "id", "users")} == {
        "kind": "notification",
        "id": notification.pk,
        "users": [alice.pk],
    }
    # Then her unread count, on every device.
    assert {k: unread[k] for k in ("kind", "users")} == {"kind": "unread", "users": [alice.pk]}

    published.clear()
    carol = make_user("carol")
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        make_follow(carol, alice)
        raise RuntimeError("the action fails after the notification was written")
    assert published == []
    assert Notification.objects.filter(recipient=alice).count() == 1


def test_a_post_is_announced_to_its_author_and_followers(
    published: list[dict[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    alice, bob, carol, dave = (make_user(n) for n in ("alice", "bob", "carol", "dave"))
    make_follow(bob, alice)
    make_follow(carol, alice)
    with django_capture_on_commit_callbacks(execute=True):
        post = make_post(alice, "hello")
    (message,) = [m for m in published if m["kind"] == "post"]
    assert message["id"] == post.pk
    assert sorted(message["users"]) == sorted([alice.pk, bob.pk, carol.pk])
    assert dave.pk not in message["users"]


def test_a_redis_failure_is_logged_and_swallowed(
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def down(message: dict[str, Any]) -> None:
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(broker, "publish", down)
    alice, bob = make_user("alice"), make_user("bob")
    with django_capture_on_commit_callbacks(execute=True):
        make_follow(bob, alice)
    assert Notification.objects.filter(recipient=alice).count() == 1
    assert "could not publish a notification event" in caplog.text


def test_events_carry_their_commit_time(
    published: list[dict[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    import time

    alice, bob = make_user("alice"), make_user("bob")
    with django_capture_on_commit_callbacks(execute=True):
        make_follow(bob, alice)
    (message,) = [m for m in published if m["kind"] == "notification"]
    # Stamped to 0.1 ms, so it may round up past the clock read after it.
    assert time.time() - 5 < message["at"] <= time.time() + 0.0001
