"""The read model: one form of a post on every path, and what a viewer may see."""

from typing import Any

import pytest
from asgiref.sync import sync_to_async

from notifications.models import Notification
from notifications.selectors import (
    live_notifications,
    notification_by_id,
    notification_page,
    notifications_after,
)
from realtime.delivery import _posts_for_viewers
from social.models import User
from social.reads import posts as post_reads
from social.reads import users as user_reads
from social.reads.views import FULL_SHAPE, PostView
from social.visibility import VIEWER, SqlFragment, posts_sql
from tests.factories import make_follow, make_like, make_post, make_user


def _scene() -> dict[str, Any]:
    """carol follows ann; ann replies to bob's post mentioning carol (a MENTION for carol);
    carol liked the parent."""
    ann, bob, carol = make_user("ann"), make_user("bob"), make_user("carol")
    make_follow(carol, ann)
    make_follow(ann, carol)
    parent = make_post(bob, "the parent #Q")
    make_like(carol, parent)
    post = make_post(ann, "an answer for @carol #Tea", reply_to=parent)
    return {"ann": ann, "bob": bob, "carol": carol, "parent": parent, "post": post}


def _every_path(scene: dict[str, Any]) -> dict[str, PostView | None]:
    carol, post = scene["carol"], scene["post"]
    shape = FULL_SHAPE
    feed = post_reads.post_page(
        source=post_reads.home(carol.pk), viewer_id=carol.pk, shape=shape, size=10
    )
    public = post_reads.post_page(
        source=post_reads.by_user(scene["ann"].pk), viewer_id=carol.pk, shape=shape, size=10
    )
    mention = Notification.objects.get(recipient=carol, kind="MENTION")
    page = notification_page(recipient_id=carol.pk, size=10, shape=shape)
    replay, _ = notifications_after(recipient_id=carol.pk, after_id=0, shape=shape)
    single = notification_by_id(notification_id=mention.pk, recipient_id=carol.pk, shape=shape)
    live, _ = live_notifications(keys=[(mention.pk, carol.pk)], shape=shape)[(mention.pk, carol.pk)]
    return {
        "homeFeed": next(v for v in feed if v.id == post.pk),
        "user.posts": next(v for v in public if v.id == post.pk),
        "post/node": post_reads.post_view(post_id=post.pk, viewer_id=carol.pk, shape=shape),
        "notifications": next(n.post for n in page if n.id == mention.pk),
        "node(Notification)": single.post if single else None,
        "replay": next(n.post for n in replay if n.id == mention.pk),
        "notificationAdded": live.post,
    }


@pytest.mark.django_db
def test_one_post_reads_the_same_on_every_path() -> None:
    scene = _scene()
    views = _every_path(scene)
    expected = views["post/node"]
    assert expected is not None
    for path, view in views.items():
        assert view == expected, path
    # As carol sees it: her follow, her like on the parent, her own email only.
    assert expected.author.viewer_follows and expected.author.follows_viewer
    assert expected.reply_to is not None and expected.reply_to.viewer_has_liked
    assert expected.mentions[0].email == "carol@example.com"
    assert expected.author.email is None
    assert expected.hashtags == ("tea",)


@pytest.mark.django_db(transaction=True)
async def test_a_live_delivery_reads_as_the_feed_does() -> None:
    scene = await sync_to_async(_scene)()
    carol, bob, post = scene["carol"], scene["bob"], scene["post"]
    delivered = await _posts_for_viewers(
        post_id=post.pk, viewer_ids=[carol.pk, bob.pk], shape=FULL_SHAPE
    )
    for viewer in (carol, bob):
        read = await sync_to_async(post_reads.post_view)(
            post_id=post.pk, viewer_id=viewer.pk, shape=FULL_SHAPE
        )
        assert delivered[viewer.pk] == read


@pytest.mark.django_db
def test_an_inactive_author_is_gone_from_every_path() -> None:
    scene = _scene()
    User.objects.filter(pk=scene["ann"].pk).update(is_active=False)
    views = _every_path_without_ann(scene)
    assert views == {"post": None, "feed": [], "actor_notifications": []}


def _every_path_without_ann(scene: dict[str, Any]) -> dict[str, Any]:
    carol = scene["carol"]
    feed = post_reads.post_page(
        source=post_reads.home(carol.pk), viewer_id=carol.pk, shape=FULL_SHAPE, size=10
    )
    return {
        "post": post_reads.post_view(
            post_id=scene["post"].pk, viewer_id=carol.pk, shape=FULL_SHAPE
        ),
        "feed": [v.id for v in feed if v.author_id == scene["ann"].pk],
        "actor_notifications": [
            n.id
            for n in notification_page(recipient_id=carol.pk, size=10)
            if n.actor.id == scene["ann"].pk
        ],
    }


@pytest.mark.django_db
def test_a_hidden_parent_reads_as_none_and_a_hidden_mention_is_left_out() -> None:
    scene = _scene()
    User.objects.filter(pk__in=[scene["bob"].pk, scene["carol"].pk]).update(is_active=False)
    view = post_reads.post_view(post_id=scene["post"].pk, viewer_id=None, shape=FULL_SHAPE)
    assert view is not None
    assert view.reply_to_id == scene["parent"].pk and view.reply_to is None
    assert view.mentions == ()
    assert user_reads.user_view(user_id=scene["bob"].pk, viewer_id=None) is None
    assert user_reads.user_by_username(username="bob", viewer_id=None) is None


def test_the_visibility_rules_have_a_sql_form() -> None:
    fragment = posts_sql(post="p", author="u")
    assert isinstance(fragment, SqlFragment) and "u.is_active" in fragment.sql
    assert SqlFragment("x = %s", (VIEWER, 3)).bind(7) == (7, 3)


@pytest.mark.django_db
def test_an_inactive_actor_leaves_the_list_and_the_unread_count() -> None:
    from notifications.selectors import unread_count

    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    make_follow(bob, alice)
    make_follow(carol, alice)
    User.objects.filter(pk=bob.pk).update(is_active=False)
    listed = notification_page(recipient_id=alice.pk, size=10)
    assert [n.actor.username for n in listed] == ["carol"]
    assert unread_count(recipient_id=alice.pk) == 1
    keys = [(n.pk, alice.pk) for n in Notification.objects.filter(recipient=alice)]
    assert [unread for _, unread in live_notifications(keys=keys).values()] == [1]


@pytest.mark.django_db
def test_the_live_side_applies_the_live_check_per_viewer(monkeypatch: pytest.MonkeyPatch) -> None:
    # A rule that hides carol from bob alone (a block, some day) is answered by the live
    # check, and every live read honours it.
    from social.reads import flags

    scene = _scene()
    ann, bob, carol = scene["ann"], scene["bob"], scene["carol"]
    monkeypatch.setattr(
        flags,
        "hidden_pairs",
        lambda *, viewer_ids, user_ids: {(bob.pk, carol.pk)} & {(bob.pk, u) for u in user_ids},
    )
    base = post_reads.post_view(post_id=scene["post"].pk, viewer_id=None, shape=FULL_SHAPE)
    assert base is not None
    seen = flags.many_viewers(
        viewer_ids=[bob.pk, carol.pk], post_ids=flags.posts_of(base), people=flags.people_of(base)
    )
    as_bob = flags.post_with_viewer(base, bob.pk, seen)
    as_carol = flags.post_with_viewer(base, carol.pk, seen)
    assert as_bob is not None and as_carol is not None
    assert [u.username for u in as_bob.mentions] == []  # carol, hidden from bob
    assert [u.username for u in as_carol.mentions] == ["carol"]
    assert seen.key(bob.pk, flags.people_of(base), [base.id]) != seen.key(
        carol.pk, flags.people_of(base), [base.id]
    )
    # Hidden posts: by an author hidden from the viewer, the post itself is gone.
    monkeypatch.setattr(
        flags,
        "hidden_post_pairs",
        lambda *, viewer_ids, author_ids, blocks=None, locked_ids=None: {(bob.pk, ann.pk)},
    )
    seen = flags.many_viewers(
        viewer_ids=[bob.pk], post_ids=flags.posts_of(base), people=flags.people_of(base)
    )
    assert flags.post_with_viewer(base, bob.pk, seen) is None
