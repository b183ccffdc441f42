"""Blocks through the API: the mutations and their bad input, blockedUsers, the flags, and
what each side of a block sees (feeds, profiles, threads, post, node, search)."""

from typing import Any

import pytest

from graph.ids import global_id
from notifications.models import Notification
from social.models import Block, Follow, FollowRequest, Like, Post, User
from social.services.blocks import block_create
from tests.conftest import GqlCall
from tests.factories import make_follow, make_like, make_post, make_user

pytestmark = pytest.mark.django_db


BLOCK = """mutation($id: ID!) { blockUser(userId: $id) {
  user { username viewerBlocks blocksViewer viewerFollows followerCount }
  errors { field code } } }"""
UNBLOCK = """mutation($id: ID!) { unblockUser(userId: $id) {
  user { username viewerBlocks } errors { field code } } }"""
FOLLOW_REQUESTED = """mutation($id: ID!) { followUser(userId: $id) {
  user { viewerFollowRequested } errors { field code } } }"""
REQUESTS = "{ followRequests { edges { node { username } } } }"
ACCEPT = """mutation($id: ID!) { acceptFollowRequest(userId: $id) {
  user { username } errors { field code } } }"""
BLOCKED_USERS = """query($first: Int, $after: String) { blockedUsers(first: $first, after: $after) {
  edges { cursor node { username viewerBlocks blocksViewer followerCount } }
  pageInfo { hasNextPage endCursor } } }"""


def _uid(user: User) -> str:
    return global_id("User", user.pk)


def _pid(post: Post) -> str:
    return global_id("Post", post.pk)


class TestBlockMutations:
    def test_block_removes_follows_and_shows_the_state(self, gql: GqlCall) -> None:
        ann, bob = make_user("ann"), make_user("bob")
        make_follow(ann, bob)
        make_follow(bob, ann)
        data = gql(BLOCK, {"id": _uid(bob)}, as_user=ann)["data"]["blockUser"]
        assert data == {
            "user": {
                "username": "bob",
                "viewerBlocks": True,
                "blocksViewer": False,
                "viewerFollows": False,
                "followerCount": 0,
            },
            "errors": [],
        }
        assert not Follow.objects.exists()
        seen_by_bob = gql(
            '{ user(username: "ann") { viewerBlocks blocksViewer followerCount followingCount '
            "posts(first: 5) { edges { node { id } } } } }",
            as_user=bob,
        )["data"]["user"]
        assert seen_by_bob == {
            "viewerBlocks": False,
            "blocksViewer": True,
            "followerCount": 0,
            "followingCount": 0,
            "posts": {"edges": []},
        }

    def test_blocking_again_and_unblocking_are_idempotent(self, gql: GqlCall) -> None:
        ann, bob = make_user("ann"), make_user("bob")
        for _ in range(2):
            result = gql(BLOCK, {"id": _uid(bob)}, as_user=ann)["data"]["blockUser"]
            assert result["errors"] == []
        assert Block.objects.count() == 1
        for _ in range(2):
            result = gql(UNBLOCK, {"id": _uid(bob)}, as_user=ann)["data"]["unblockUser"]
            assert result == {"user": {"username": "bob", "viewerBlocks": False}, "errors": []}
        assert not Block.objects.exists()

    @pytest.mark.parametrize("blocker_is_target", [True, False])
    def test_block_removes_follow_requests_both_ways(
        self, gql: GqlCall, blocker_is_target: bool
    ) -> None:
        """The contract: blockUser "removes follows and follow requests both ways"."""
        ann, lena = make_user("ann"), make_user("lena", is_locked=True)
        asked = gql(FOLLOW_REQUESTED, {"id": _uid(lena)}, as_user=ann)["data"]["followUser"]
        assert asked == {"user": {"viewerFollowRequested": True}, "errors": []}
        blocker, blocked = (lena, ann) if blocker_is_target else (ann, lena)
        result = gql(BLOCK, {"id": _uid(blocked)}, as_user=blocker)["data"]["blockUser"]
        assert result["errors"] == []
        requests = gql(REQUESTS, as_user=lena)["data"]["followRequests"]
        assert requests == {"edges": []}
        profile = gql('{ user(username: "lena") { viewerFollowRequested } }', as_user=ann)
        assert profile["data"]["user"] == {"viewerFollowRequested": False}
        # Nothing waits to be accepted once the block is lifted.
        gql(UNBLOCK, {"id": _uid(blocked)}, as_user=blocker)
        assert gql(REQUESTS, as_user=lena)["data"]["followRequests"] == {"edges": []}
        accept = gql(ACCEPT, {"id": _uid(ann)}, as_user=lena)["data"]["acceptFollowRequest"]
        assert accept == {"user": None, "errors": [{"field": "userId", "code": "NOT_FOUND"}]}
        assert not Follow.objects.exists()

    @pytest.mark.parametrize("mutation", [BLOCK, UNBLOCK])
    def test_bad_input_writes_nothing(self, gql: GqlCall, mutation: str) -> None:
        ann, gone = make_user("ann"), make_user("gone")
        User.objects.filter(pk=gone.pk).update(is_active=False)
        cases = {
            _uid(ann): "SELF_ACTION",
            _uid(gone): "NOT_FOUND",
            global_id("User", 10**9): "NOT_FOUND",
            global_id("Post", ann.pk): "NOT_FOUND",
            "garbage": "NOT_FOUND",
        }
        for user_id, code in cases.items():
            data = gql(mutation, {"id": user_id}, as_user=ann)["data"]
            payload = next(iter(data.values()))
            assert payload == {"user": None, "errors": [{"field": "userId", "code": code}]}
        assert not Block.objects.exists()

    def test_signed_out_is_unauthenticated(self, gql: GqlCall) -> None:
        bob = make_user("bob")
        for query, variables in ((BLOCK, {"id": _uid(bob)}), (BLOCKED_USERS, {})):
            result = gql(query, variables)
            assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert not Block.objects.exists()


class TestBlockedActionsThroughTheApi:
    @pytest.mark.parametrize("ann_blocks", [True, False])
    def test_follow_like_and_reply_across_a_block_are_blocked(
        self, gql: GqlCall, ann_blocks: bool
    ) -> None:
        ann, bob = make_user("ann"), make_user("bob")
        post = make_post(ann, "mine")
        if ann_blocks:
            block_create(blocker=ann, blocked=bob)
        else:
            block_create(blocker=bob, blocked=ann)
        follow = gql(
            "mutation($id: ID!) { followUser(userId: $id) { user { id } errors { field code } } }",
            {"id": _uid(ann)},
            as_user=bob,
        )["data"]["followUser"]
        assert follow == {"user": None, "errors": [{"field": "userId", "code": "BLOCKED"}]}
        like = gql(
            "mutation($id: ID!) { likePost(postId: $id) { post { id } errors { field code } } }",
            {"id": _pid(post)},
            as_user=bob,
        )["data"]["likePost"]
        assert like == {"post": None, "errors": [{"field": "postId", "code": "BLOCKED"}]}
        reply = gql(
            'mutation($p: ID!) { createPost(input: {body: "hi", replyTo: $p}) '
            "{ post { id } errors { field code } } }",
            {"p": _pid(post)},
            as_user=bob,
        )["data"]["createPost"]
        assert reply == {"post": None, "errors": [{"field": "replyTo", "code": "BLOCKED"}]}
        assert not Follow.objects.exists()
        assert Post.objects.count() == 1
        assert not Notification.objects.exists()

    @pytest.mark.parametrize("ann_blocks", [True, False])
    def test_a_like_given_before_a_block_can_still_be_taken_back(
        self, gql: GqlCall, ann_blocks: bool
    ) -> None:
        ann, bob = make_user("ann"), make_user("bob")
        liked, other = make_post(bob, "liked"), make_post(bob, "not liked")
        make_like(ann, liked)
        if ann_blocks:
            block_create(blocker=ann, blocked=bob)
        else:
            block_create(blocker=bob, blocked=ann)
        unlike = (
            "mutation($id: ID!) { unlikePost(postId: $id) { post { id } errors { field code } } }"
        )
        taken_back = gql(unlike, {"id": _pid(liked)}, as_user=ann)["data"]["unlikePost"]
        assert taken_back == {"post": None, "errors": []}  # hidden from ann: absent
        assert not Like.objects.exists()
        liked.refresh_from_db()
        assert liked.like_count == 0
        # Nothing of ann's on it: the post stays unknown to her, as everywhere else.
        never = gql(unlike, {"id": _pid(other)}, as_user=ann)["data"]["unlikePost"]
        assert never == {"post": None, "errors": [{"field": "postId", "code": "NOT_FOUND"}]}

    @pytest.mark.parametrize("ann_blocks", [True, False])
    def test_asking_to_follow_a_locked_account_across_a_block_is_blocked(
        self, gql: GqlCall, ann_blocks: bool
    ) -> None:
        """A locked account takes a request, not a follow: refused alike, nothing stored."""
        ann, lena = make_user("ann"), make_user("lena", is_locked=True)
        if ann_blocks:
            block_create(blocker=ann, blocked=lena)
        else:
            block_create(blocker=lena, blocked=ann)
        result = gql(FOLLOW_REQUESTED, {"id": _uid(lena)}, as_user=ann)["data"]["followUser"]
        assert result == {"user": None, "errors": [{"field": "userId", "code": "BLOCKED"}]}
        assert not FollowRequest.objects.exists() and not Follow.objects.exists()
        assert not Notification.objects.exists()


def _ids(connection_data: dict[str, Any]) -> list[str]:
    return [edge["node"]["body"] for edge in connection_data["edges"]]


FEEDS = """query($post: ID!, $parent: ID!, $bobPost: ID!) {
  homeFeed(first: 50) { edges { node { body replyTo { body } } } }
  publicFeed(first: 50) { edges { node { body } } }
  hashtagFeed(tag: "tea", first: 50) { edges { node { body } } }
  thread: post(id: $parent) { body replies(first: 50) { edges { node { body } } } }
  reply: post(id: $post) { body replyTo { body } }
  bobs: post(id: $bobPost) { body }
  node(id: $bobPost) { id }
  user(username: "bob") { username posts(first: 50) { edges { node { body } } } }
  searchUsers(query: "bo") { edges { node { username } } }
}"""


@pytest.fixture
def blocked_scene(db: None) -> dict[str, Any]:
    """ann blocked bob; carol, whom both follow, has a thread with replies from each."""
    ann, bob, carol = make_user("ann"), make_user("bob"), make_user("carol")
    make_user("bobby")  # another match for the search
    for user in (ann, bob):
        make_follow(user, carol)
    make_follow(ann, bob)
    parent = make_post(bob, "bob's root #tea")
    carols = make_post(carol, "carol replies to bob #tea", reply_to=parent)
    thread = make_post(carol, "carol's thread #tea")
    make_post(bob, "bob in carol's thread", reply_to=thread)
    make_post(ann, "ann in carol's thread", reply_to=thread)
    make_post(ann, "ann's own #tea")
    block_create(blocker=ann, blocked=bob)
    return {"ann": ann, "bob": bob, "carol": carol, "parent": parent, "carols": carols,
            "thread": thread}  # fmt: skip


def _visible(gql: GqlCall, scene: dict[str, Any], viewer: User) -> dict[str, Any]:
    variables = {
        "post": _pid(scene["carols"]),
        "parent": _pid(scene["thread"]),
        "bobPost": _pid(scene["parent"]),
    }
    data = gql(FEEDS, variables, as_user=viewer)["data"]
    assert data is not None
    return data


def test_the_blocker_sees_nothing_of_the_blocked(
    gql: GqlCall, blocked_scene: dict[str, Any]
) -> None:
    data = _visible(gql, blocked_scene, blocked_scene["ann"])
    assert _ids(data["homeFeed"]) == [
        "ann's own #tea",
        "ann in carol's thread",
        "carol's thread #tea",
        "carol replies to bob #tea",
    ]
    assert data["homeFeed"]["edges"][3]["node"]["replyTo"] is None
    assert _ids(data["publicFeed"]) == ["ann's own #tea", "carol's thread #tea"]
    assert _ids(data["hashtagFeed"]) == [
        "ann's own #tea",
        "carol's thread #tea",
        "carol replies to bob #tea",
    ]
    assert _ids(data["thread"]["replies"]) == ["ann in carol's thread"]
    assert data["reply"] == {"body": "carol replies to bob #tea", "replyTo": None}
    assert data["bobs"] is None
    assert data["node"] is None
    # The profile stays, so a client can show the block; its posts do not.
    assert data["user"] == {"username": "bob", "posts": {"edges": []}}
    assert [e["node"]["username"] for e in data["searchUsers"]["edges"]] == ["bobby"]


def test_the_blocked_sees_nothing_of_the_blocker(
    gql: GqlCall, blocked_scene: dict[str, Any]
) -> None:
    data = gql(
        """query($thread: ID!) {
          publicFeed(first: 50) { edges { node { body } } }
          hashtagFeed(tag: "tea", first: 50) { edges { node { body } } }
          post(id: $thread) { replies(first: 50) { edges { node { body } } } }
          user(username: "ann") { posts(first: 50) { edges { node { body } } } }
          searchUsers(query: "ann") { edges { node { username } } }
        }""",
        {"thread": _pid(blocked_scene["thread"])},
        as_user=blocked_scene["bob"],
    )["data"]
    assert "ann's own #tea" not in _ids(data["publicFeed"])
    assert "ann's own #tea" not in _ids(data["hashtagFeed"])
    assert _ids(data["post"]["replies"]) == ["bob in carol's thread"]
    assert data["user"] == {"posts": {"edges": []}}
    assert data["searchUsers"]["edges"] == []


def test_signed_out_and_others_still_see_both(gql: GqlCall, blocked_scene: dict[str, Any]) -> None:
    for viewer in (None, blocked_scene["carol"]):
        data = gql(
            FEEDS.replace("homeFeed(first: 50) { edges { node { body replyTo { body } } } }", ""),
            {
                "post": _pid(blocked_scene["carols"]),
                "parent": _pid(blocked_scene["thread"]),
                "bobPost": _pid(blocked_scene["parent"]),
            },
            as_user=viewer,
        )["data"]
        assert data["reply"]["replyTo"] == {"body": "bob's root #tea"}
        assert data["bobs"] == {"body": "bob's root #tea"}
        assert len(data["thread"]["replies"]["edges"]) == 2


def test_unblocking_restores_visibility_not_follows(
    gql: GqlCall, blocked_scene: dict[str, Any]
) -> None:
    ann, bob = blocked_scene["ann"], blocked_scene["bob"]
    gql(UNBLOCK, {"id": _uid(bob)}, as_user=ann)
    data = _visible(gql, blocked_scene, ann)
    assert data["bobs"] == {"body": "bob's root #tea"}
    assert data["reply"]["replyTo"] == {"body": "bob's root #tea"}
    assert len(data["user"]["posts"]["edges"]) == 2
    # ann followed bob before the block: the follow stays removed, so his root post is
    # not in her home feed.
    assert "bob's root #tea" not in _ids(data["homeFeed"])
    assert not Follow.objects.filter(follower=ann, followee=bob).exists()


def test_a_page_of_a_feed_is_full_under_blocks(gql: GqlCall, db: None) -> None:
    ann, bob, carol = make_user("ann"), make_user("bob"), make_user("carol")
    for i in range(30):
        make_post(carol if i % 3 == 0 else bob, f"post {i}")
    block_create(blocker=ann, blocked=bob)
    query = """query($after: String) { publicFeed(first: 4, after: $after) {
      edges { node { body } } pageInfo { hasNextPage endCursor } } }"""
    seen: list[str] = []
    after = None
    while True:
        page = gql(query, {"after": after}, as_user=ann)["data"]["publicFeed"]
        seen += _ids(page)
        if not page["pageInfo"]["hasNextPage"]:
            break
        assert len(page["edges"]) == 4
        after = page["pageInfo"]["endCursor"]
    assert seen == [f"post {i}" for i in range(27, -1, -3)]


class TestBlockedUsers:
    def test_most_recent_first_with_exact_pages(self, gql: GqlCall) -> None:
        ann = make_user("ann")
        targets = [make_user(f"target{i}") for i in range(5)]
        for target in targets:
            block_create(blocker=ann, blocked=target)
        block_create(blocker=targets[0], blocked=ann)  # who blocked ann is not listed
        seen: list[str] = []
        after = None
        while True:
            page = gql(BLOCKED_USERS, {"first": 2, "after": after}, as_user=ann)["data"][
                "blockedUsers"
            ]
            seen += [edge["node"]["username"] for edge in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                break
            assert len(page["edges"]) == 2
            after = page["pageInfo"]["endCursor"]
        assert seen == [f"target{i}" for i in range(4, -1, -1)]
        first = gql(BLOCKED_USERS, {"first": 5}, as_user=ann)["data"]["blockedUsers"]
        flags = {e["node"]["username"]: (e["node"]["viewerBlocks"], e["node"]["blocksViewer"])
                 for e in first["edges"]}  # fmt: skip
        assert flags["target0"] == (True, True)
        assert flags["target1"] == (True, False)

    def test_query_count_is_flat(self, gql: GqlCall, django_assert_num_queries: Any) -> None:
        ann = make_user("ann")
        for i in range(30):
            target = make_user(f"target{i}")
            make_follow(target, make_user(f"fan{i}"))
            block_create(blocker=ann, blocked=target)
        for first in (5, 30):
            # The viewer's sign-in check, then the page with its flags in one statement.
            with django_assert_num_queries(1) as captured:
                page = gql(BLOCKED_USERS, {"first": first}, as_user=ann)["data"]["blockedUsers"]
            assert len(page["edges"]) == first, captured


LISTS = """{ user(username: "cat") {
  followers(first: 50) { edges { node { username } } }
  following(first: 50) { edges { node { username } } }
  posts(first: 5) { edges { node { mentions { username viewerBlocks blocksViewer } } } } }
  ann: user(username: "ann") { username viewerBlocks blocksViewer }
  bob: user(username: "bob") { username viewerBlocks blocksViewer } }"""


def test_a_block_leaves_each_side_out_of_the_others_lists_of_users(gql: GqlCall, db: None) -> None:
    """The contract's "blocks hide both sides from each other": a post's mentions and
    anyone's followers and following leave the other side out; a lookup of the profile
    still shows it, with the flags, so a client can show the block and undo it."""
    ann, bob, cat = make_user("ann"), make_user("bob"), make_user("cat")
    for one, other in ((ann, cat), (bob, cat), (cat, ann), (cat, bob)):
        make_follow(one, other)
    make_post(cat, "hi @ann and @bob")
    block_create(blocker=ann, blocked=bob)
    for viewer, listed in (
        (ann, ["ann"]),
        (bob, ["bob"]),
        (cat, ["ann", "bob"]),
        (None, ["ann", "bob"]),
    ):
        data = gql(LISTS, as_user=viewer)["data"]
        user = data["user"]
        for side in ("followers", "following"):
            assert sorted(e["node"]["username"] for e in user[side]["edges"]) == listed
        mentions = user["posts"]["edges"][0]["node"]["mentions"]
        assert [m["username"] for m in mentions] == listed
        assert not any(m["viewerBlocks"] or m["blocksViewer"] for m in mentions)
        assert {data["ann"]["username"], data["bob"]["username"]} == {"ann", "bob"}
    as_ann, as_bob = gql(LISTS, as_user=ann)["data"], gql(LISTS, as_user=bob)["data"]
    assert (as_ann["bob"]["viewerBlocks"], as_ann["bob"]["blocksViewer"]) == (True, False)
    assert (as_bob["ann"]["viewerBlocks"], as_bob["ann"]["blocksViewer"]) == (False, True)
    blocked = gql("{ blockedUsers { edges { node { username } } } }", as_user=ann)["data"]
    assert [e["node"]["username"] for e in blocked["blockedUsers"]["edges"]] == ["bob"]


NOTIFICATIONS = """query($unread: Boolean) {
  notifications(first: 50, unreadOnly: $unread) { edges { node { kind actor { username } } } }
  unreadNotificationCount }"""


def _notifications(gql: GqlCall, viewer: User, unread: bool = False) -> dict[str, Any]:
    data = gql(NOTIFICATIONS, {"unread": unread}, as_user=viewer)["data"]
    return {
        "listed": [(e["node"]["kind"], e["node"]["actor"]["username"])
                   for e in data["notifications"]["edges"]],
        "unread": data["unreadNotificationCount"],
    }  # fmt: skip


@pytest.mark.parametrize("ann_blocks", [True, False])
def test_a_block_hides_the_notifications_each_side_caused_the_other(
    gql: GqlCall, db: None, ann_blocks: bool
) -> None:
    """Notifications from before the block: gone from the list, the unread count, unreadOnly
    and node(id:) on both sides while it stands, and back when it is lifted."""
    ann, bob, carol = make_user("ann"), make_user("bob"), make_user("carol")
    anns, bobs = make_post(ann, "ann's"), make_post(bob, "bob's")
    make_follow(bob, ann)
    make_like(bob, anns)
    make_post(bob, "hi @ann")
    make_post(bob, "a reply", reply_to=anns)
    make_like(ann, bobs)
    make_follow(carol, ann)
    before = {user.username: _notifications(gql, user) for user in (ann, bob)}
    assert before["ann"]["unread"] == 5 and before["bob"]["unread"] == 1
    from_bob = Notification.objects.filter(recipient=ann, actor=bob).first()
    assert from_bob is not None
    node_query = "query($id: ID!) { node(id: $id) { id } }"
    node_id = {"id": global_id("Notification", from_bob.pk)}
    assert gql(node_query, node_id, as_user=ann)["data"]["node"] == node_id

    blocker, blocked = (ann, bob) if ann_blocks else (bob, ann)
    block_create(blocker=blocker, blocked=blocked)

    for unread in (False, True):
        assert _notifications(gql, ann, unread) == {"listed": [("FOLLOW", "carol")], "unread": 1}
        assert _notifications(gql, bob, unread) == {"listed": [], "unread": 0}
    assert gql(node_query, node_id, as_user=ann)["data"]["node"] is None

    gql(UNBLOCK, {"id": _uid(blocked)}, as_user=blocker)
    assert {user.username: _notifications(gql, user) for user in (ann, bob)} == before
