"""live_notifications: many recipients' notifications in one read, each with its own flags."""

from typing import Any

import pytest

from notifications.models import Notification
from notifications.selectors import latest_notification_ids, live_notifications
from social.models import User
from tests.factories import make_follow, make_like, make_post, make_user

pytestmark = pytest.mark.django_db


def _keys(*recipients: User) -> list[tuple[int, int]]:
    return [(n.pk, n.recipient_id) for n in Notification.objects.filter(recipient__in=recipients)]


def _mention_flags(notification: Notification) -> dict[str, tuple[bool, bool]]:
    assert notification.post is not None
    return {
        link.user.username: (link.user.viewer_follows, link.user.follows_viewer)  # type: ignore[attr-defined]
        for link in notification.post.mention_links.all()
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

    with django_assert_num_queries(5):  # rows, tags, mentions, likes, follows
        loaded = live_notifications(keys=keys)
        [n.post and n.post.hashtag_links.all() for n in loaded.values()]  # prefetched: free

    by_kind = {(n.recipient_id, n.kind): n for n in loaded.values()}
    bob_reply = by_kind[(bob.pk, "REPLY")]
    carol_mention = by_kind[(carol.pk, "MENTION")]
    assert bob_reply.post is not None and carol_mention.post is not None
    # The post as bob sees it ...
    assert bob_reply.post.viewer_has_liked is False  # type: ignore[attr-defined]
    assert bob_reply.post.author.viewer_follows is True  # type: ignore[attr-defined]
    assert bob_reply.post.author.follows_viewer is False  # type: ignore[attr-defined]
    assert bob_reply.post.reply_to is not None
    assert bob_reply.post.reply_to.viewer_has_liked is True  # type: ignore[attr-defined]
    assert bob_reply.actor.viewer_follows is True  # type: ignore[attr-defined]
    assert _mention_flags(bob_reply) == {"bob": (False, False), "carol": (False, True)}
    # ... and as carol sees the same post: her own like, her own follows.
    assert carol_mention.post.viewer_has_liked is True  # type: ignore[attr-defined]
    assert carol_mention.post.author.viewer_follows is False  # type: ignore[attr-defined]
    assert carol_mention.post.author.follows_viewer is True  # type: ignore[attr-defined]
    assert carol_mention.post.reply_to.viewer_has_liked is False  # type: ignore[union-attr,attr-defined]
    assert _mention_flags(carol_mention) == {"bob": (True, False), "carol": (False, False)}
    assert [t.tag for t in carol_mention.post.hashtag_links.all()] == ["tea"]


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
    with django_assert_num_queries(5):
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


def test_each_row_carries_its_recipients_unread_count() -> None:
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    make_follow(bob, alice)
    make_follow(carol, alice)
    make_follow(alice, bob)
    Notification.objects.filter(recipient=bob).update(read_at="2026-01-01T00:00Z")
    loaded = live_notifications(keys=_keys(alice, bob))
    assert sorted((n.recipient_id, n.recipient_unread) for n in loaded.values()) == [  # type: ignore[attr-defined]
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
    with django_assert_num_queries(1):
        loaded = live_notifications(keys=keys, links=False, flags=False)
        for n in loaded.values():
            assert n.actor.username and (n.post is None or n.post.author.username)
    assert {n.kind for n in loaded.values()} == {"LIKE", "MENTION"}


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
