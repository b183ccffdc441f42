"""Mutes in the services and in the rule book's three forms (social/visibility.py)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from freezegun import freeze_time

from notifications.models import Notification
from notifications.selectors import notification_page, unread_count
from social.errors import ValidationFailed
from social.models import Mute, Post
from social.reads import flags
from social.reads import posts as post_reads
from social.reads.views import FULL_SHAPE
from social.services.mutes import MAX_MUTE, mute_create, mute_delete
from social.visibility import (
    hidden_post_pairs,
    notification_withheld,
    posts_q,
    posts_sql,
)
from tests.factories import make_follow, make_like, make_post, make_user

pytestmark = pytest.mark.django_db


def _feed_ids_sql(viewer_id: int | None) -> set[int]:
    """The post ids the feed form of the SQL fragment keeps for the viewer."""
    fragment = posts_sql(post="p", author="u", feed=True)
    sql = (
        f"SELECT p.id FROM {Post._meta.db_table} p JOIN social_user u ON u.id = p.author_id "  # noqa: S608
        f"WHERE {fragment.sql}"
    )
    with connection.cursor() as db:
        db.execute(sql, fragment.bind(viewer_id))
        return {row[0] for row in db.fetchall()}


def _feed_ids_q(viewer_id: int | None) -> set[int]:
    return set(
        Post.objects.filter(posts_q(viewer_id=viewer_id, feed=True)).values_list("id", flat=True)
    )


def test_every_form_of_the_feed_rule_hides_an_unexpired_mute_and_only_for_the_muter() -> None:
    ann, bob, cat = make_user("ann"), make_user("bob"), make_user("cat")
    by_bob, by_cat = make_post(bob, "bob"), make_post(cat, "cat")
    mute_create(muter=ann, muted=bob)
    everything = {by_bob.pk, by_cat.pk}
    for form in (_feed_ids_sql, _feed_ids_q):
        assert form(ann.pk) == {by_cat.pk}
        assert form(cat.pk) == everything  # not the muter
        assert form(None) == everything  # signed out
    # Outside a feed (profile, post(id), threads) the mute hides nothing.
    assert set(Post.objects.filter(posts_q(viewer_id=ann.pk)).values_list("id", flat=True)) == (
        everything
    )
    assert hidden_post_pairs(viewer_ids=[ann.pk, cat.pk], author_ids=[bob.pk, cat.pk]) == set()
    assert hidden_post_pairs(
        viewer_ids=[ann.pk, cat.pk], author_ids=[bob.pk, cat.pk], feed=True
    ) == {(ann.pk, bob.pk)}


def test_a_timed_mute_ends_by_itself_in_every_form() -> None:
    start = timezone.now()
    with freeze_time(start):
        ann, bob = make_user("ann"), make_user("bob")
        by_bob = make_post(bob, "bob")
        mute_create(muter=ann, muted=bob, duration_seconds=3600)
        assert by_bob.pk not in _feed_ids_sql(ann.pk)
        assert by_bob.pk not in _feed_ids_q(ann.pk)
        assert hidden_post_pairs(viewer_ids=[ann.pk], author_ids=[bob.pk], feed=True)
        assert notification_withheld(actor_id=bob.pk, recipient_ids=[ann.pk]) == {ann.pk}
    with freeze_time(start + timedelta(seconds=3601)):
        assert by_bob.pk in _feed_ids_sql(ann.pk)
        assert by_bob.pk in _feed_ids_q(ann.pk)
        assert not hidden_post_pairs(viewer_ids=[ann.pk], author_ids=[bob.pk], feed=True)
        assert notification_withheld(actor_id=bob.pk, recipient_ids=[ann.pk]) == set()
        page = post_reads.post_page(
            source=post_reads.public(), viewer_id=ann.pk, shape=FULL_SHAPE, size=10
        )
        assert [p.id for p in page] == [by_bob.pk]
    # The row is still there: no job removed it, the rule reads it as over.
    assert Mute.objects.filter(muter=ann, muted=bob).exists()


def test_the_live_feed_check_is_the_rule_of_hidden_post_pairs() -> None:
    ann, bob, cat = make_user("ann"), make_user("bob"), make_user("cat")
    mute_create(muter=ann, muted=bob)
    mute_create(muter=cat, muted=ann, duration_seconds=60)
    viewers, people = [ann.pk, bob.pk, cat.pk], [ann.pk, bob.pk, cat.pk]
    seen = flags.many_viewers(viewer_ids=viewers, post_ids=[], people=people, feed=True)
    assert seen.hidden_in_feed == hidden_post_pairs(
        viewer_ids=viewers, author_ids=people, feed=True
    )
    assert seen.mutes == {(ann.pk, bob.pk), (cat.pk, ann.pk)}


def test_muting_again_replaces_the_duration_and_the_choice() -> None:
    ann, bob = make_user("ann"), make_user("bob")
    first = mute_create(muter=ann, muted=bob, duration_seconds=60, notifications=False)
    again = mute_create(muter=ann, muted=bob)
    assert Mute.objects.count() == 1
    assert again.pk == first.pk
    again.refresh_from_db()
    assert again.expires_at is None
    assert again.notifications is True
    assert mute_delete(muter=ann, muted=bob) is True
    assert mute_delete(muter=ann, muted=bob) is False
    assert not Mute.objects.exists()


@pytest.mark.parametrize(
    ("seconds", "field", "code"),
    [
        (0, "durationSeconds", "INVALID"),
        (-5, "durationSeconds", "INVALID"),
        (int(MAX_MUTE.total_seconds()) + 1, "durationSeconds", "INVALID"),
    ],
)
def test_a_bad_duration_writes_nothing(seconds: int, field: str, code: str) -> None:
    ann, bob = make_user("ann"), make_user("bob")
    with pytest.raises(ValidationFailed) as raised:
        mute_create(muter=ann, muted=bob, duration_seconds=seconds)
    assert [(e.field, e.code) for e in raised.value.errors] == [(field, code)]
    assert not Mute.objects.exists()


def test_ten_years_is_allowed_and_muting_yourself_or_a_gone_user_is_not() -> None:
    ann, bob = make_user("ann"), make_user("bob")
    mute_create(muter=ann, muted=bob, duration_seconds=int(MAX_MUTE.total_seconds()))
    with pytest.raises(ValidationFailed) as raised:
        mute_create(muter=ann, muted=ann)
    assert raised.value.errors[0].code == "SELF_ACTION"
    gone = make_user("gone", is_active=False)
    with pytest.raises(ValidationFailed) as raised:
        mute_create(muter=ann, muted=gone)
    assert raised.value.errors[0].code == "NOT_FOUND"
    assert Mute.objects.count() == 1


def test_a_notifying_mute_stores_nothing_for_the_muter_and_tells_the_muted_nothing() -> None:
    ann, bob = make_user("ann"), make_user("bob")
    by_ann = make_post(ann, "ann's")
    mute_create(muter=ann, muted=bob)
    make_follow(bob, ann)
    make_like(bob, by_ann)
    make_post(bob, "hi @ann", reply_to=by_ann)
    assert not Notification.objects.filter(recipient=ann).exists()
    # The muted user is not told: nothing stored for them either.
    assert not Notification.objects.filter(recipient=bob).exists()
    # Counts stay exact: the follow happened.
    ann.refresh_from_db()
    assert ann.follower_count == 1


def test_a_quiet_mute_keeps_notifications() -> None:
    ann, bob = make_user("ann"), make_user("bob")
    mute_create(muter=ann, muted=bob, notifications=False)
    make_follow(bob, ann)
    assert Notification.objects.filter(recipient=ann).count() == 1
    assert unread_count(recipient_id=ann.pk) == 1


def test_earlier_notifications_hide_while_the_mute_lasts_and_come_back() -> None:
    start = timezone.now()
    with freeze_time(start):
        ann, bob, cat = make_user("ann"), make_user("bob"), make_user("cat")
        make_follow(bob, ann)
        make_follow(cat, ann)
        mute_create(muter=ann, muted=bob, duration_seconds=60)
        listed = notification_page(recipient_id=ann.pk, size=10)
        assert [n.actor.username for n in listed] == ["cat"]
        assert unread_count(recipient_id=ann.pk) == 1
    with freeze_time(start + timedelta(seconds=61)):
        listed = notification_page(recipient_id=ann.pk, size=10)
        assert [n.actor.username for n in listed] == ["cat", "bob"]
        assert unread_count(recipient_id=ann.pk) == 2
    mute_create(muter=ann, muted=bob)
    assert unread_count(recipient_id=ann.pk) == 1
    mute_delete(muter=ann, muted=bob)
    assert unread_count(recipient_id=ann.pk) == 2
