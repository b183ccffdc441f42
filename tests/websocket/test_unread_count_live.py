"""unreadNotificationCountChanged: the viewer's unread count on every device, first on
subscribe, then whenever it changes (and only then), equal to `unreadNotificationCount`."""

from collections.abc import Callable

import pytest
from channels.db import database_sync_to_async

from notifications.models import Notification
from notifications.selectors import unread_count
from notifications.services import notifications_mark_read
from realtime.broker import Broker
from realtime.runtime import runtime
from social.models import Post, User
from social.services.blocks import block_create, block_delete
from social.services.deletion import user_delete
from social.services.follows import follow_delete
from social.services.likes import like_delete
from social.services.moderation import user_suspend, user_unsuspend
from social.services.mutes import mute_create, mute_delete
from social.services.posts import post_delete
from tests.factories import make_follow, make_like, make_post, make_user
from tests.websocket.client import WSClient, subscribed

pytestmark = pytest.mark.django_db(transaction=True)

UNREAD = "subscription { unreadNotificationCountChanged }"

user = database_sync_to_async(make_user)
follow = database_sync_to_async(make_follow)
post = database_sync_to_async(make_post)
like = database_sync_to_async(make_like)
count_of = database_sync_to_async(lambda u: unread_count(recipient_id=u.pk))


async def _device(token: str) -> WSClient:
    client = WSClient()
    await client.connect(token)
    await client.subscribe("u", UNREAD)
    return client


async def _count(client: WSClient) -> int:
    return int((await client.next_data("u"))["unreadNotificationCountChanged"])


async def _query_count(viewer: User) -> int:
    """What `unreadNotificationCount` answers the viewer now (its resolver's selector)."""
    return int(await count_of(viewer))


async def test_the_current_count_comes_first_then_each_new_notification_on_every_device(
    event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    ann, bob, cat = await user("ann"), await user("bob"), await user("cat")
    await follow(bob, ann)
    phone, laptop = await _device(token_for(ann)), await _device(token_for(ann))
    assert [await _count(phone), await _count(laptop)] == [1, 1]
    await subscribed(event_broker, 2)

    anns = await post(ann, "hello")
    await like(bob, anns)
    await like(cat, anns)
    for device in (phone, laptop):
        # Each change is sent, or several at once as one read counts them: the last is 3.
        seen = [await _count(device)]
        while seen[-1] != 3:
            seen.append(await _count(device))
        assert seen in ([2, 3], [3])
    assert await _query_count(ann) == 3
    assert await phone.nothing(0.3) and await laptop.nothing(0.1)
    await phone.close()
    await laptop.close()


async def test_marking_read_on_one_device_clears_the_others_once(
    event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    ann = await user("ann")
    fans = [await user(f"fan{i}") for i in range(5)]
    for fan in fans:
        await follow(fan, ann)
    phone, laptop = await _device(token_for(ann)), await _device(token_for(ann))
    assert [await _count(phone), await _count(laptop)] == [5, 5]
    await subscribed(event_broker, 2)

    # One read on the laptop (what markNotificationsRead calls): the phone hears 4.
    first = await database_sync_to_async(
        lambda: Notification.objects.filter(recipient=ann).order_by("id").first()
    )()
    assert first is not None
    await database_sync_to_async(notifications_mark_read)(recipient=ann, ids=[first.pk])
    assert [await _count(phone), await _count(laptop)] == [4, 4]

    # Mark-all: one event per device, not one per notification.
    await database_sync_to_async(notifications_mark_read)(recipient=ann, ids=None)
    assert [await _count(phone), await _count(laptop)] == [0, 0]
    assert await phone.nothing(0.5) and await laptop.nothing(0.1)
    assert await _query_count(ann) == 0

    # Marking again changes nothing: nothing is sent.
    await database_sync_to_async(notifications_mark_read)(recipient=ann, ids=None)
    assert await phone.nothing(0.5)
    await phone.close()
    await laptop.close()


async def test_a_block_hides_the_blocked_sides_notifications_and_unblocking_restores_them(
    event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    ann, bob, cat = await user("ann"), await user("bob"), await user("cat")
    anns = await post(ann, "hello")
    await like(bob, anns)
    await like(cat, anns)
    client = await _device(token_for(ann))
    assert await _count(client) == 2
    await subscribed(event_broker, 1)

    await database_sync_to_async(block_create)(blocker=ann, blocked=bob)
    assert await _count(client) == 1
    assert await _query_count(ann) == 1
    # Blocked the other way: bob's count drops for the block ann made.
    await database_sync_to_async(block_delete)(blocker=ann, blocked=bob)
    assert await _count(client) == 2
    assert await _query_count(ann) == 2

    # A block by the other side hides them too.
    await database_sync_to_async(block_create)(blocker=bob, blocked=ann)
    assert await _count(client) == 1
    # A block between others: nothing for ann.
    await database_sync_to_async(block_create)(blocker=cat, blocked=bob)
    assert await client.nothing(0.5)
    await client.close()


async def test_a_mute_with_notifications_hides_them_until_unmuted(
    event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    ann, bob, cat = await user("ann"), await user("bob"), await user("cat")
    anns = await post(ann, "hello")
    await like(bob, anns)
    await like(cat, anns)
    client = await _device(token_for(ann))
    assert await _count(client) == 2
    await subscribed(event_broker, 1)

    # A quiet mute (feeds only) changes no count: nothing is sent.
    await database_sync_to_async(mute_create)(muter=ann, muted=bob, notifications=False)
    assert await client.nothing(0.5)
    await database_sync_to_async(mute_create)(muter=ann, muted=bob, notifications=True)
    assert await _count(client) == 1
    assert await _query_count(ann) == 1
    await database_sync_to_async(mute_delete)(muter=ann, muted=bob)
    assert await _count(client) == 2
    await client.close()


async def test_a_timed_mute_that_ends_sends_the_count_again(
    event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    ann, bob = await user("ann"), await user("bob")
    await like(bob, await post(ann, "hello"))
    client = await _device(token_for(ann))
    assert await _count(client) == 1
    await subscribed(event_broker, 1)

    await database_sync_to_async(mute_create)(muter=ann, muted=bob, duration_seconds=1)
    assert await _count(client) == 0
    # Nothing is published when the mute ends; bob's like counts again all the same.
    assert await _count(client) == 1
    assert await _query_count(ann) == 1
    assert await client.nothing(0.5)
    await client.close()


async def test_withdrawn_notifications_lower_the_count(
    event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    ann, bob, cat, dan = await user("ann"), await user("bob"), await user("cat"), await user("dan")
    await database_sync_to_async(User.objects.filter(pk=ann.pk).update)(is_locked=True)
    anns = await post(ann, "hello")
    await like(bob, anns)  # LIKE
    await follow(cat, ann)  # FOLLOW_REQUEST (ann is locked)
    dans = await post(dan, "hi @ann")  # MENTION
    client = await _device(token_for(ann))
    assert await _count(client) == 3
    await subscribed(event_broker, 1)

    await database_sync_to_async(like_delete)(user=bob, post=anns)  # unlike
    assert await _count(client) == 2
    await database_sync_to_async(follow_delete)(follower=cat, followee=ann)  # withdraws
    assert await _count(client) == 1
    await database_sync_to_async(post_delete)(post=dans, actor=dan)  # the post goes
    assert await _count(client) == 0
    assert await _query_count(ann) == 0
    assert not await database_sync_to_async(Post.objects.filter(pk=dans.pk).exists)()
    await client.close()


async def test_a_suspended_or_deleted_actor_takes_their_notifications_with_them(
    event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    ann, bob, cat = await user("ann"), await user("bob"), await user("cat")
    moderator = await user("mod", is_staff=True)
    anns = await post(ann, "hello")
    await like(bob, anns)
    await like(cat, anns)
    client = await _device(token_for(ann))
    assert await _count(client) == 2
    await subscribed(event_broker, 1)

    await database_sync_to_async(user_suspend)(user=bob, moderator=moderator)
    assert await _count(client) == 1
    await database_sync_to_async(user_unsuspend)(user=bob, moderator=moderator)
    assert await _count(client) == 2
    await database_sync_to_async(user_delete)(user=cat)
    assert await _count(client) == 1
    assert await _query_count(ann) == 1
    await client.close()


async def test_signed_out_it_is_refused(event_broker: Broker) -> None:
    client = WSClient()
    await client.connect()
    await client.subscribe("u", UNREAD)
    message = await client.receive()
    payload = message["payload"]
    errors = payload if isinstance(payload, list) else payload.get("errors", [payload])
    assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert event_broker.subscription_count() == 0
    await client.close()


async def test_a_burst_of_changes_is_one_count_per_device_and_no_change_sends_nothing(
    event_broker: Broker, token_for: Callable[[User], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    ann, bob = await user("ann"), await user("bob")
    phone, laptop = await _device(token_for(ann)), await _device(token_for(ann))
    assert [await _count(phone), await _count(laptop)] == [0, 0]
    await subscribed(event_broker, 2)
    reads: list[list[int]] = []
    loader = runtime().loaders.unread_counts
    read = loader._read

    async def counting(keys: list[int]) -> dict[int, int]:
        reads.append(keys)
        return await read(keys)

    monkeypatch.setattr(loader, "_read", counting)

    # Heard but nothing changed: each device counts again, and sends nothing.
    for _ in range(50):
        event_broker.dispatch({"kind": "unread", "users": [ann.pk]})
    assert await phone.nothing(0.5) and await laptop.nothing(0.1)
    # The 100 loads (50 events, two devices) are coalesced: one read in flight, the next takes
    # every load issued meanwhile; how many loop turns the loads take is the machine's load.
    assert reads and len(reads) <= 4 and all(keys == [ann.pk] for keys in reads), reads

    # One change, heard 50 times at once: one count per device.
    anns = await post(ann, "hello")
    await like(bob, anns)
    for _ in range(50):
        event_broker.dispatch({"kind": "unread", "users": [ann.pk]})
    assert [await _count(phone), await _count(laptop)] == [1, 1]
    assert await phone.nothing(0.5) and await laptop.nothing(0.1)
    await phone.close()
    await laptop.close()
