"""notifications, unreadNotificationCount, markNotificationsRead and node() over HTTP."""

from typing import Any

import pytest

from graph.ids import global_id
from notifications.models import Notification
from tests.conftest import GqlCall
from tests.factories import make_follow, make_like, make_post, make_user

pytestmark = pytest.mark.django_db

NOTIFICATIONS = """
query ($first: Int, $after: String, $unreadOnly: Boolean) {
  notifications(first: $first, after: $after, unreadOnly: $unreadOnly) {
    edges { cursor node { id kind read actor { username viewerFollows }
                          post { body viewerHasLiked author { username } } } }
    pageInfo { hasNextPage endCursor }
  }
  unreadNotificationCount
}
"""
MARK_READ = """
mutation ($ids: [ID!]) {
  markNotificationsRead(ids: $ids) { unreadNotificationCount errors { field code } }
}
"""
NODE = "query ($id: ID!) { node(id: $id) { id ... on Notification { kind } } }"


def _kinds(result: dict[str, Any]) -> list[str]:
    return [e["node"]["kind"] for e in result["data"]["notifications"]["edges"]]


def test_notifications_newest_first_with_keyset_cursors(gql: GqlCall) -> None:
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    make_follow(bob, alice)
    post = make_post(alice, "hello")
    make_like(carol, post)
    make_post(bob, "hi @alice")

    first = gql(NOTIFICATIONS, {"first": 2}, as_user=alice)
    assert _kinds(first) == ["MENTION", "LIKE"]
    assert first["data"]["unreadNotificationCount"] == 3
    page = first["data"]["notifications"]
    assert page["pageInfo"]["hasNextPage"] is True
    like = page["edges"][1]["node"]
    assert like["actor"] == {"username": "carol", "viewerFollows": False}
    assert like["post"] == {
        "body": "hello",
        "viewerHasLiked": False,
        "author": {"username": "alice"},
    }

    # A notification written between pages causes neither a duplicate nor a gap.
    make_follow(carol, alice)
    rest = gql(NOTIFICATIONS, {"first": 5, "after": page["pageInfo"]["endCursor"]}, as_user=alice)
    assert _kinds(rest) == ["FOLLOW"]
    assert rest["data"]["notifications"]["edges"][0]["node"]["actor"]["username"] == "bob"


@pytest.mark.parametrize("first", [5, 20])
def test_notification_query_count_is_flat(
    gql: GqlCall, django_assert_max_num_queries: Any, first: int
) -> None:
    alice = make_user("alice")
    for i in range(6):
        fan = make_user(f"fan{i}")
        make_follow(fan, alice)
        make_post(fan, f"hey @alice {i}")
    # The page (rows, actors and posts in one statement), then the unread count.
    with django_assert_max_num_queries(2):
        result = gql(NOTIFICATIONS, {"first": first}, as_user=alice)
    assert len(_kinds(result)) == min(first, 12)


def test_everything_requires_sign_in(gql: GqlCall) -> None:
    for query in (NOTIFICATIONS, MARK_READ, "{ unreadNotificationCount }"):
        result = gql(query, {})
        assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_mark_read_some_then_all_and_unread_only(gql: GqlCall) -> None:
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    make_follow(bob, alice)
    make_follow(carol, alice)
    bob_follow, _carol_follow = Notification.objects.filter(recipient=alice).order_by("id")

    result = gql(MARK_READ, {"ids": [global_id("Notification", bob_follow.pk)]}, as_user=alice)
    assert result["data"]["markNotificationsRead"] == {"unreadNotificationCount": 1, "errors": []}
    unread = gql(NOTIFICATIONS, {"unreadOnly": True}, as_user=alice)
    assert [e["node"]["actor"]["username"] for e in unread["data"]["notifications"]["edges"]] == [
        "carol"
    ]
    everything = gql(NOTIFICATIONS, {}, as_user=alice)
    assert [e["node"]["read"] for e in everything["data"]["notifications"]["edges"]] == [
        False,
        True,
    ]

    result = gql(MARK_READ, {"ids": None}, as_user=alice)
    assert result["data"]["markNotificationsRead"]["unreadNotificationCount"] == 0


def test_marking_someone_elses_notification_is_not_found_and_changes_nothing(
    gql: GqlCall,
) -> None:
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    make_follow(bob, alice)
    make_follow(alice, carol)
    alices = Notification.objects.get(recipient=alice)
    carols = Notification.objects.get(recipient=carol)

    result = gql(
        MARK_READ,
        {
            "ids": [
                global_id("Notification", carols.pk),
                global_id("Notification", alices.pk),
                global_id("Post", alices.pk),
                "garbage",
            ]
        },
        as_user=alice,
    )
    payload = result["data"]["markNotificationsRead"]
    assert payload["unreadNotificationCount"] == 0
    assert payload["errors"] == [{"field": "ids", "code": "NOT_FOUND"}] * 3
    carols.refresh_from_db()
    assert carols.read_at is None


def test_node_shows_a_notification_only_to_its_recipient(gql: GqlCall) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    make_follow(bob, alice)
    gid = global_id("Notification", Notification.objects.get(recipient=alice).pk)
    assert gql(NODE, {"id": gid}, as_user=alice)["data"]["node"] == {"id": gid, "kind": "FOLLOW"}
    assert gql(NODE, {"id": gid}, as_user=bob)["data"]["node"] is None
    assert gql(NODE, {"id": gid})["data"]["node"] is None


def test_an_empty_list_of_ids_marks_nothing_read(gql: GqlCall) -> None:
    """Only `ids: null` means all of them: `[]` names no notification."""
    alice = make_user("alice")
    make_follow(make_user("bob"), alice)
    result = gql(MARK_READ, {"ids": []}, as_user=alice)
    assert result["data"]["markNotificationsRead"] == {"unreadNotificationCount": 1, "errors": []}
    assert not Notification.objects.filter(read_at__isnull=False).exists()
