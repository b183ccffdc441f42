"""live_notifications: many recipients' notifications in one read, each with its own flags."""

from typing import Any

import pytest
from django.db import connection

from notifications.models import Notification
from notifications.selectors import NotificationView, latest_notification_ids, live_notifications
from social.models import User
from social.reads.views import PostShape
from social.services.blocks import block_create
from tests.factories import make_follow, make_like, make_post, make_user

pytestmark = pytest.mark.django_db

# The rows with actors and posts, the tags (in the rows on PostgreSQL), mentions, flags.
FULL_READ = 3 if connection.vendor == "postgresql" else 4


def _keys(*recipients: User) -> list[tuple[int, int]]:
    return [(n.pk, n.recipient_id) for n in Notification.objects.filter(recipient__in=recipients)]


def _mention_flags(notification: NotificationView) -> dict[str, tuple[bool, bool]]:
    assert notification.post is not None
    return {
        user.username: (user.viewer_follows, user.follows_viewer)
        for user in notification.post.mentions
    }


def test_each_recipient_sees_the_shared_post_with_their_own_flags(
    django_assert_num_queries: Any,
) -> None:
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    make_follow(bob, alice)  # bob follows alice; carol does not
    make_follow(alice, carol)  # alice follows carol
    make_follow(carol, bob)  # carol follows bob: the mention flags differ per recipient
    parent = make_post(bob, "the parent")
    make_like(bob, parent)
    reply = make_post(alice, "hi @bob and @carol #Tea", reply_to=parent)
    make_like(carol, reply)
    keys = _keys(bob, carol)  # bob: FOLLOW, REPLY; carol: FOLLOW, MENTION

    with django_assert_num_queries(FULL_READ):
        loaded = live_notifications(keys=keys)

    by_kind = {(key[1], view.kind): view for key, (view, _) in loaded.items()}
    bob_reply = by_kind[(bob.pk, "REPLY")]
    carol_mention = by_kind[(carol.pk, "MENTION")]
    assert bob_reply.post is not None and carol_mention.post is not None
    # The post as bob sees it ...
    assert bob_reply.post.viewer_has_liked is False
    assert bob_reply.post.author.viewer_follows is True
    assert bob_reply.post.author.follows_viewer is False
    assert bob_reply.post.reply_to is not None
    assert bob_reply.post.reply_to.viewer_has_liked is True
    assert bob_reply.actor.viewer_follows is True
    assert _mention_flags(bob_reply) == {"bob": (False, False), "carol": (False, True)}
    # ... and as carol sees the same post: her own like, her own follows.
    assert carol_mention.post.viewer_has_liked is True
    assert carol_mention.post.author.viewer_follows is False
    assert carol_mention.post.author.follows_viewer is True
    assert carol_mention.post.reply_to is not None
    assert carol_mention.post.reply_to.viewer_has_liked is False
    assert _mention_flags(carol_mention) == {"bob": (True, False), "carol": (False, False)}
    assert carol_mention.post.hashtags == ("tea",)
    # Each sees their own email only.
    assert [u.email for u in bob_reply.post.mentions] == ["bob@example.com", None]
    assert [u.email for u in carol_mention.post.mentions] == [None, "carol@example.com"]
    assert bob_reply.post.reply_to.author.email == "bob@example.com"
    assert carol_mention.post.reply_to.author.email is None


def test_the_query_count_does_not_grow_with_the_batch(django_assert_num_queries: Any) -> None:
    author = make_user("author")
    readers = [make_user(f"reader{i}") for i in range(8)]
    for reader in readers:
        make_follow(reader, author)
    post = make_post(author, "to " + " ".join(f"@{r.username}" for r in readers))
    for reader in readers:
        make_like(reader, post)
    keys = _keys(author, *readers)
    assert len(keys) == 24  # the author: 8 FOLLOW and 8 LIKE; each reader: a MENTION
    with django_assert_num_queries(FULL_READ):
        loaded = live_notifications(keys=keys)
    assert len(loaded) == len(keys)


def test_a_key_with_another_recipient_is_left_out() -> None:
    alice, bob = make_user("alice"), make_user("bob")
    make_follow(bob, alice)
    notification = Notification.objects.get()
    assert live_notifications(keys=[(notification.pk, bob.pk)]) == {}
    assert list(live_notifications(keys=[(notification.pk, alice.pk)])) == [
        (notification.pk, alice.pk)
    ]


def test_a_deleted_post_takes_its_notification_along() -> None:
    alice, bob = make_user("alice"), make_user("bob")
    post = make_post(alice, "soon gone")
    make_like(bob, post)
    keys = _keys(alice)
    post.delete()
    assert live_notifications(keys=keys) == {}


def test_an_inactive_actor_leaves_the_notification_out() -> None:
    alice, bob = make_user("alice"), make_user("bob")
    make_follow(bob, alice)
    User.objects.filter(pk=bob.pk).update(is_active=False)
    assert live_notifications(keys=_keys(alice)) == {}


def test_each_row_carries_its_recipients_unread_count() -> None:
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    make_follow(bob, alice)
    make_follow(carol, alice)
    make_follow(alice, bob)
    Notification.objects.filter(recipient=bob).update(read_at="2026-01-01T00:00Z")
    loaded = live_notifications(keys=_keys(alice, bob))
    assert sorted((key[1], unread) for key, (_, unread) in loaded.items()) == [
        (alice.pk, 2),
        (alice.pk, 2),
        (bob.pk, 0),
    ]


def test_a_selection_without_tags_mentions_or_flags_costs_one_query(
    django_assert_num_queries: Any,
) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    post = make_post(alice, "hello @bob #tea")
    make_like(bob, post)
    keys = _keys(alice, bob)
    bare = PostShape(viewer_has_liked=False, author=None, hashtags=False, mentions=None)
    with django_assert_num_queries(1):
        loaded = live_notifications(keys=keys, shape=bare, flags=False)
        for n, _ in loaded.values():
            assert n.actor.username and (n.post is None or n.post.author.username)
    assert {n.kind for n, _ in loaded.values()} == {"LIKE", "MENTION"}


def test_latest_notification_ids(django_assert_num_queries: Any) -> None:
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    make_follow(bob, alice)
    make_follow(carol, alice)
    make_follow(alice, bob)
    newest = {
        user.pk: Notification.objects.filter(recipient=user).order_by("-id")[0].pk
        for user in (alice, bob)
    }
    with django_assert_num_queries(1):
        assert latest_notification_ids(recipient_ids=[alice.pk, bob.pk, carol.pk]) == {
            **newest,
            carol.pk: 0,
        }


@pytest.mark.parametrize("flags", [True, False])
def test_a_live_notification_shows_its_recipient_nothing_of_whom_they_block(flags: bool) -> None:
    """A mention by a third user, in a reply to the blocked: the parent reads null and the
    blocked is left out of the mentions, with or without the flags' query."""
    ann, bob, cat = make_user("ann"), make_user("bob"), make_user("cat")
    bobs = make_post(bob, "bob's root")
    block_create(blocker=ann, blocked=bob)
    make_post(cat, "hi @ann and @bob", reply_to=bobs)
    shape = PostShape(reply_to=PostShape(hashtags=False, mentions=None))
    loaded = live_notifications(keys=_keys(ann), shape=shape, flags=flags)
    ((notification, _),) = loaded.values()
    assert notification.kind == "MENTION" and notification.post is not None
    assert [user.username for user in notification.post.mentions] == ["ann"]
    assert notification.post.reply_to is None
