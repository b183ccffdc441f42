"""The notification rule of social/visibility.py: a block either way hides the notifications
each side caused the other (listed, counted, live) while it stands, and every kind, follow
requests and acceptances too, is withheld from a recipient who muted the actor with
notifications or stands on either side of a block with them."""

import pytest

from notifications.models import Notification, NotificationKind
from notifications.selectors import live_notifications, notification_page, unread_count
from social.models import User
from social.services.blocks import block_create, block_delete
from social.services.follow_requests import follow_request_accept
from social.services.follows import follow_create
from social.services.likes import like_create
from social.services.mutes import mute_create
from tests.factories import make_post, make_user


def _seen(user: User) -> set[tuple[str, str]]:
    """(actor, kind) of every notification the user is shown, listed and live, checked to
    agree with the unread count."""
    listed = notification_page(recipient_id=user.pk, size=50)
    keys = {
        (pk, user.pk)
        for pk in Notification.objects.filter(recipient=user).values_list("pk", flat=True)
    }
    live = live_notifications(keys=keys)
    assert {v.id for v, _ in live.values()} == {v.id for v in listed}
    assert all(count == unread_count(recipient_id=user.pk) for _, count in live.values())
    assert unread_count(recipient_id=user.pk) == len([v for v in listed if not v.read])
    return {(v.actor.username, v.kind) for v in listed}


@pytest.mark.django_db
@pytest.mark.parametrize("ann_blocks", [True, False])
def test_a_block_hides_the_notifications_of_both_sides_until_it_ends(ann_blocks: bool) -> None:
    ann, bob, cat = make_user("ann"), make_user("bob"), make_user("cat")
    like_create(user=bob, post=make_post(ann, "ann's"))
    follow_create(follower=bob, followee=ann)
    follow_create(follower=ann, followee=bob)
    make_post(ann, "hi @bob")
    follow_create(follower=cat, followee=ann)
    follow_create(follower=cat, followee=bob)
    before_ann, before_bob = _seen(ann), _seen(bob)
    assert ("bob", "LIKE") in before_ann and ("ann", "MENTION") in before_bob
    assert (unread_count(recipient_id=ann.pk), unread_count(recipient_id=bob.pk)) == (3, 3)

    blocker, blocked = (ann, bob) if ann_blocks else (bob, ann)
    block_create(blocker=blocker, blocked=blocked)
    # Stored rows stay; neither side is shown the other's, counted or live.
    assert _seen(ann) == {("cat", "FOLLOW")}
    assert _seen(bob) == {("cat", "FOLLOW")}
    assert (unread_count(recipient_id=ann.pk), unread_count(recipient_id=bob.pk)) == (1, 1)

    block_delete(blocker=blocker, blocked=blocked)
    assert (_seen(ann), _seen(bob)) == (before_ann, before_bob)
    assert (unread_count(recipient_id=ann.pk), unread_count(recipient_id=bob.pk)) == (3, 3)


@pytest.mark.django_db
def test_follow_requests_and_acceptances_respect_mutes_with_notifications() -> None:
    lena, fan, quiet, loud = (make_user(n) for n in ("lena", "fan", "quiet", "loud"))
    User.objects.filter(pk=lena.pk).update(is_locked=True)
    lena.refresh_from_db()
    mute_create(muter=lena, muted=fan)  # notifications: true
    mute_create(muter=lena, muted=loud, notifications=False)
    mute_create(muter=quiet, muted=lena)
    for asker in (fan, quiet, loud):
        follow_create(follower=asker, followee=lena)
    requests = Notification.objects.filter(kind=NotificationKind.FOLLOW_REQUEST)
    assert set(requests.values_list("actor__username", flat=True)) == {"quiet", "loud"}
    for asker in (fan, quiet, loud):
        follow_request_accept(target=lena, requester=asker)
    accepted = Notification.objects.filter(kind=NotificationKind.FOLLOW_ACCEPTED)
    assert set(accepted.values_list("recipient__username", flat=True)) == {"fan", "loud"}
    assert _seen(quiet) == set()


@pytest.mark.django_db
def test_a_stored_follow_request_leaves_the_list_and_count_under_a_later_mute() -> None:
    lena, fan = make_user("lena", is_locked=True), make_user("fan")
    follow_create(follower=fan, followee=lena)
    assert _seen(lena) == {("fan", "FOLLOW_REQUEST")}
    mute_create(muter=lena, muted=fan)
    assert _seen(lena) == set()
    assert unread_count(recipient_id=lena.pk) == 0
