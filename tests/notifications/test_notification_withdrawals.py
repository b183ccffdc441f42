"""Notifications that no longer stand are removed: an unliked like's, a deleted post's;
and follow -> unfollow -> follow notifies once within NOTIFICATION_REPEAT_WINDOW."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from freezegun import freeze_time

from notifications.models import Notification
from notifications.selectors import unread_count
from notifications.services import notifications_mark_read
from social.admin import PostAdmin
from social.models import Post
from social.services.follows import follow_create, follow_delete
from social.services.likes import like_create, like_delete
from social.services.posts import post_delete
from tests.factories import make_post, make_user

pytestmark = pytest.mark.django_db


def _kinds(recipient: Any) -> list[str]:
    return sorted(Notification.objects.filter(recipient=recipient).values_list("kind", flat=True))


def test_follow_unfollow_follow_notifies_once_within_the_window(settings: Any) -> None:
    settings.NOTIFICATION_REPEAT_WINDOW = 3600
    alice, bob = make_user("alice"), make_user("bob")
    follow_create(follower=bob, followee=alice)
    follow_delete(follower=bob, followee=alice)
    follow_create(follower=bob, followee=alice)
    assert _kinds(alice) == ["FOLLOW"]
    assert unread_count(recipient_id=alice.pk) == 1


def test_following_again_after_the_window_notifies_again(settings: Any) -> None:
    settings.NOTIFICATION_REPEAT_WINDOW = 3600
    alice, bob = make_user("alice"), make_user("bob")
    with freeze_time(timezone.now() - timedelta(hours=2)):
        follow_create(follower=bob, followee=alice)
        follow_delete(follower=bob, followee=alice)
    follow_create(follower=bob, followee=alice)
    assert _kinds(alice) == ["FOLLOW", "FOLLOW"]


def test_unlike_removes_the_unread_like_notification() -> None:
    alice, bob = make_user("alice"), make_user("bob")
    post = make_post(alice)
    like_create(user=bob, post=post)
    assert unread_count(recipient_id=alice.pk) == 1
    like_delete(user=bob, post=post)
    assert _kinds(alice) == []
    assert unread_count(recipient_id=alice.pk) == 0


def test_unlike_keeps_a_like_notification_already_read() -> None:
    alice, bob = make_user("alice"), make_user("bob")
    post = make_post(alice)
    like_create(user=bob, post=post)
    notifications_mark_read(recipient=alice, ids=None)
    like_delete(user=bob, post=post)
    like_create(user=bob, post=post)
    assert _kinds(alice) == ["LIKE"]
    assert unread_count(recipient_id=alice.pk) == 0


def _post_with_every_notification() -> tuple[Any, Any, Post]:
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    post = make_post(bob, "hello @carol")  # MENTION to carol
    like_create(user=alice, post=post)  # LIKE to bob
    parent = make_post(alice, "parent")
    reply = make_post(bob, "a reply @carol", reply_to=parent)  # REPLY to alice, MENTION to carol
    return bob, carol, reply


def test_deleting_a_post_removes_the_notifications_that_point_at_it() -> None:
    bob, carol, reply = _post_with_every_notification()
    post_delete(post=reply, actor=bob)
    assert not Notification.objects.filter(post_id=reply.pk).exists()
    assert unread_count(recipient_id=carol.pk) == 1  # the first post's mention stays


@pytest.mark.parametrize("path", ["model", "queryset", "author cascade", "admin action"])
def test_every_delete_path_removes_the_post_notifications(path: str, rf: Any) -> None:
    bob, _carol, reply = _post_with_every_notification()
    if path == "model":
        Post.objects.get(pk=reply.pk).delete()
    elif path == "queryset":
        Post.objects.filter(author=bob).delete()
    elif path == "author cascade":
        bob.delete()
    else:
        from django.contrib.admin.sites import site
        from django.contrib.messages.storage.fallback import FallbackStorage

        request = rf.post("/admin/social/post/")
        request.user = make_user("root", is_staff=True, is_superuser=True)
        request.session = {}
        request._messages = FallbackStorage(request)
        PostAdmin(Post, site).delete_posts(request, Post.objects.filter(pk=reply.pk))
    assert not Notification.objects.filter(post_id=reply.pk).exists()
    assert not Notification.objects.filter(post__isnull=True).exclude(kind="FOLLOW").exists()


def test_like_unlike_like_within_the_window_brings_back_the_same_notification(
    monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    """Under its own id and date: a live subscription that delivered it skips it."""
    from notifications import broker

    settings.NOTIFICATION_REPEAT_WINDOW = 3600
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(broker, "publish", sent.append)
    alice, bob = make_user("alice"), make_user("bob")
    post = make_post(alice)
    with django_capture_on_commit_callbacks(execute=True):
        like_create(user=bob, post=post)
    first = Notification.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        like_delete(user=bob, post=post)
    assert not Notification.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        like_create(user=bob, post=post)
    again = Notification.objects.get()
    assert (again.pk, again.created_at, again.read_at) == (first.pk, first.created_at, None)
    assert unread_count(recipient_id=alice.pk) == 1
    assert {m["id"] for m in sent if m["kind"] == "notification"} == {first.pk}


def test_like_unlike_like_after_the_window_is_a_new_notification(settings: Any) -> None:
    settings.NOTIFICATION_REPEAT_WINDOW = 3600
    alice, bob = make_user("alice"), make_user("bob")
    post = make_post(alice)
    with freeze_time(timezone.now() - timedelta(hours=2)):
        like_create(user=bob, post=post)
        first = Notification.objects.get()
        like_delete(user=bob, post=post)
    from django.core.cache import cache

    cache.clear()  # what the window's expiry does
    like_create(user=bob, post=post)
    assert Notification.objects.get().pk != first.pk


def test_request_withdraw_request_notifies_once_within_the_window(settings: Any) -> None:
    # The follow rule's sibling for a locked account: asking, withdrawing and asking again
    # does not tell the target twice, even once they read the first one.
    from social.services.accounts import user_update_profile
    from social.services.follow_requests import follow_request_create, follow_request_withdraw

    settings.NOTIFICATION_REPEAT_WINDOW = 3600
    alice, bob = make_user("alice"), make_user("bob")
    user_update_profile(user=alice, is_locked=True)
    for _ in range(3):
        assert follow_request_create(requester=bob, target=alice)
        notifications_mark_read(
            recipient=alice, ids=list(Notification.objects.values_list("pk", flat=True))
        )
        assert follow_request_withdraw(requester=bob, target=alice)
    assert follow_request_create(requester=bob, target=alice)
    assert _kinds(alice) == ["FOLLOW_REQUEST"]
