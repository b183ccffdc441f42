"""A suspended account is hidden by the rule book (social/visibility.py) on every read path,
the live ones included, as an inactive one is; unsuspending shows it again."""

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from notifications.models import Notification
from notifications.selectors import live_notifications, notification_page, unread_count
from realtime.delivery import _posts_for_viewers
from social.models import User
from social.reads import posts as post_reads
from social.reads import users as user_reads
from social.reads.views import FULL_SHAPE
from social.visibility import posts_sql, users_q
from tests.factories import make_follow, make_post, make_user


def _suspend(*users: User) -> None:
    User.objects.filter(pk__in=[u.pk for u in users]).update(suspended_at=timezone.now())


def test_the_rule_has_its_q_and_sql_forms() -> None:
    assert "suspended_at__isnull" in str(users_q(viewer_id=None))
    assert "u.suspended_at IS NULL" in posts_sql(post="p", author="u").sql


@pytest.mark.django_db
def test_a_suspended_parent_reads_as_none_and_a_suspended_mention_is_left_out() -> None:
    ann, bob, carol = make_user("ann"), make_user("bob"), make_user("carol")
    parent = make_post(bob, "the parent")
    post = make_post(ann, "an answer for @carol", reply_to=parent)
    _suspend(bob, carol)

    view = post_reads.post_view(post_id=post.pk, viewer_id=ann.pk, shape=FULL_SHAPE)

    assert view is not None
    assert view.reply_to_id == parent.pk and view.reply_to is None
    assert view.mentions == ()
    assert user_reads.user_view(user_id=bob.pk, viewer_id=ann.pk) is None
    assert user_reads.user_by_username(username="bob", viewer_id=None) is None


@pytest.mark.django_db
def test_a_suspended_actor_leaves_the_list_the_count_and_the_live_side() -> None:
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    make_follow(bob, alice)
    make_follow(carol, alice)
    keys = [(n.pk, alice.pk) for n in Notification.objects.filter(recipient=alice)]
    _suspend(bob)

    assert [n.actor.username for n in notification_page(recipient_id=alice.pk, size=10)] == [
        "carol"
    ]
    assert unread_count(recipient_id=alice.pk) == 1
    assert [unread for _, unread in live_notifications(keys=keys).values()] == [1]

    User.objects.filter(pk=bob.pk).update(suspended_at=None)
    assert unread_count(recipient_id=alice.pk) == 2


@pytest.mark.django_db(transaction=True)
async def test_a_live_delivery_of_a_suspended_authors_post_reaches_nobody() -> None:
    ann, carol = await sync_to_async(make_user)("ann"), await sync_to_async(make_user)("carol")
    post = await sync_to_async(make_post)(ann, "hello")
    assert list(
        await _posts_for_viewers(post_id=post.pk, viewer_ids=[carol.pk], shape=FULL_SHAPE)
    ) == [carol.pk]
    await sync_to_async(_suspend)(ann)

    assert await _posts_for_viewers(post_id=post.pk, viewer_ids=[carol.pk], shape=FULL_SHAPE) == {}
