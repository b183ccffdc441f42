"""A scripted session of four users under every safety rule at once (issue 13, docs/safety.md):

- ann follows bob and dan, asks cat (locked) and is accepted, mutes cat for an hour with
  notifications, reports bob;
- bob asks cat and stays pending, posts spam, then is suspended by a moderator on ann's report;
- cat locks her account, accepts ann, rejects dan, mutes dan without notifications;
- dan asks cat and is rejected, then blocks ann.

Then for each of them, and for someone signed out, what they see in every list and lookup
(home, public and hashtag feeds, `user(...).posts`, `post(id)`, `node(id)` of posts and
notifications, replies, `searchUsers`, notifications, `unreadNotificationCount`,
`followRequests`) is checked whole, through the HTTP API, on SQLite and PostgreSQL; on
PostgreSQL every document runs through the compiled path too and must answer the same.
Last, the mute expires, the block and the suspension are undone, and each rule lets go
of exactly what it hid. The live part: who hears which feed post and notification."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from django.test import Client, TestCase
from django.utils import timezone

from graph import views
from graph.compiled import plan_cache
from graph.compiled.executor import RawJSON
from graph.ids import global_id
from notifications.broker import Broker
from notifications.models import Notification
from social.models import Mute, Post, Report, User
from social.services.moderation import user_suspend, user_unsuspend
from tests.conftest import GqlCall
from tests.factories import PASSWORD, make_user
from tests.websocket.client import TRANSPORT_WS, WSClient, subscribed

NAMES = ("ann", "bob", "cat", "dan")
POST = "body author { username } replyTo { body }"
# Roots the compiled path runs (PostgreSQL), then the ones only the normal executor runs.
FEEDS = f"""
  publicFeed(first: 50) {{ edges {{ node {{ {POST} }} }} }}
  hashtagFeed(tag: "town", first: 50) {{ edges {{ node {{ {POST} }} }} }}
  ann: user(username: "ann") {{ ...profile }}
  bob: user(username: "bob") {{ ...profile }}
  cat: user(username: "cat") {{ ...profile }}
  dan: user(username: "dan") {{ ...profile }}
"""
SIGNED_IN = f"""
  homeFeed(first: 50) {{ edges {{ node {{ {POST} }} }} }}
  notifications(first: 50) {{ edges {{ node {{ kind actor {{ username }} post {{ body }} }} }} }}
"""
PROFILE = f"""fragment profile on User {{
  username isLocked posts(first: 50) {{ edges {{ node {{ {POST} }} }} }}
}}"""
# The viewer's flags on each user (the normal executor's: the compiled path has no flags).
FLAGS = "".join(
    f'{name}: user(username: "{name}") '
    "{ viewerFollows viewerFollowRequested viewerBlocks blocksViewer viewerMutes }\n"
    for name in NAMES
)
OTHERS = """
  unreadNotificationCount
  followRequests(first: 50) { edges { node { username } } }
"""
SEARCH = "".join(
    f'{name}: searchUsers(query: "{name}", first: 10) {{ edges {{ node {{ username }} }} }}\n'
    for name in NAMES
)


def _bodies(connection: dict[str, Any] | None) -> list[str]:
    return [] if connection is None else [edge["node"]["body"] for edge in connection["edges"]]


@dataclass
class Session:
    gql: GqlCall
    client: Client
    settings: Any
    users: dict[str, User] = field(default_factory=dict)
    posts: dict[str, Post] = field(default_factory=dict)
    compiled_roots: set[str] = field(default_factory=set)

    # -- acting --------------------------------------------------------------------------
    def act(self, who: str, mutation: str, variables: dict[str, Any]) -> dict[str, Any]:
        answer = self.gql(mutation, variables, as_user=self.users[who])
        assert "errors" not in answer, answer
        payload = next(iter(answer["data"].values()))
        return payload

    def ok(self, who: str, mutation: str, variables: dict[str, Any]) -> dict[str, Any]:
        payload = self.act(who, mutation, variables)
        assert payload["errors"] == [], payload
        return payload

    def uid(self, name: str) -> str:
        return global_id("User", self.users[name].pk)

    def pid(self, key: str) -> str:
        return global_id("Post", self.posts[key].pk)

    def follow(self, who: str, whom: str) -> dict[str, Any]:
        return self.ok(
            who,
            "mutation($id: ID!) { followUser(userId: $id) { user { viewerFollows "
            "viewerFollowRequested followerCount } errors { field code } } }",
            {"id": self.uid(whom)},
        )["user"]

    def post(self, key: str, who: str, body: str, reply_to: str | None = None) -> None:
        payload = self.ok(
            who,
            "mutation($input: CreatePostInput!) { createPost(input: $input) { post { id } "
            "errors { field code } } }",
            {"input": {"body": body, "replyTo": self.pid(reply_to) if reply_to else None}},
        )
        self.posts[key] = Post.objects.get(body=body)
        assert payload["post"]["id"] == self.pid(key)

    def like(self, who: str, key: str) -> list[dict[str, Any]]:
        payload = self.act(
            who,
            "mutation($id: ID!) { likePost(postId: $id) { errors { field code } } }",
            {"id": self.pid(key)},
        )
        return payload["errors"]

    # -- reading -------------------------------------------------------------------------
    def read(self, document: str, viewer: str | None) -> dict[str, Any]:
        """The document's data as `viewer` sees it; on PostgreSQL the compiled path must
        give the very same answer as the normal executor."""
        user = self.users[viewer] if viewer else None
        self.settings.GRAPHQL_COMPILED = False
        normal = self.gql(document, as_user=user)
        assert "errors" not in normal, normal
        if connection.vendor == "postgresql":
            self.settings.GRAPHQL_COMPILED = True
            plan_cache.clear()
            compiled = self.gql(document, as_user=user)
            assert compiled == normal, f"{document}\nviewer={viewer}"
        return normal["data"]

    def sees(self, viewer: str | None) -> dict[str, Any]:
        """Everything the viewer sees, by surface."""
        signed_in = viewer is not None
        roots = FEEDS + (SIGNED_IN if signed_in else "")
        data = self.read(f"query {{ {roots} }}\n{PROFILE}", viewer)
        seen: dict[str, Any] = {
            "home": _bodies(data.get("homeFeed")) if signed_in else None,
            "public": _bodies(data["publicFeed"]),
            "hashtag": _bodies(data["hashtagFeed"]),
        }
        flags = self.read(f"query {{ {FLAGS} }}", viewer)
        for name in NAMES:
            profile = data[name]
            seen[f"user:{name}"] = None if profile is None else _bodies(profile["posts"])
            if profile is not None:
                on = {k for k, v in flags[name].items() if v}
                seen[f"flags:{name}"] = on | ({"isLocked"} if profile["isLocked"] else set())
        seen["replyTo"] = sorted(
            {
                (node["node"]["body"], (node["node"]["replyTo"] or {}).get("body"))
                for key in ("homeFeed", "publicFeed", *NAMES)
                if isinstance(data.get(key), dict)
                for node in (data[key].get("edges") or data[key]["posts"]["edges"])
                if node["node"]["body"].startswith("re:")
            }
        )
        seen["post"], seen["node"], seen["replies"] = self.lookups(viewer)
        search = self.read(f"query {{ {SEARCH} }}", viewer)
        seen["search"] = sorted(
            {e["node"]["username"] for name in NAMES for e in search[name]["edges"]}
        )
        if signed_in:
            seen["notifications"] = sorted(
                (
                    n["node"]["kind"],
                    n["node"]["actor"]["username"],
                    (n["node"]["post"] or {}).get("body"),
                )
                for n in data["notifications"]["edges"]
            )
            # node(id) of each notification stored for the viewer shows exactly the listed.
            stored = Notification.objects.filter(recipient=self.users[viewer]).values_list(
                "pk", flat=True
            )
            nodes = " ".join(
                f'n{pk}: node(id: "{global_id("Notification", pk)}") '
                "{ ... on Notification { kind actor { username } post { body } } }"
                for pk in stored
            )
            by_node = self.read(f"query {{ {nodes} }}", viewer) if nodes else {}
            assert seen["notifications"] == sorted(
                (n["kind"], n["actor"]["username"], (n["post"] or {}).get("body"))
                for n in by_node.values()
                if n is not None
            )
            others = self.read(f"query {{ {OTHERS} }}", viewer)
            seen["unread"] = others["unreadNotificationCount"]
            seen["followRequests"] = [
                e["node"]["username"] for e in others["followRequests"]["edges"]
            ]
        return seen

    def lookups(self, viewer: str | None) -> tuple[list[str], list[str], dict[str, list[str]]]:
        """The posts `post(id)` and `node(id)` return to the viewer, and each one's replies."""
        parts = []
        for key in self.posts:
            parts.append(
                f'p_{key}: post(id: "{self.pid(key)}") {{ body '
                "replies(first: 20) { edges { node { body } } } }"
            )
            parts.append(f'n_{key}: node(id: "{self.pid(key)}") {{ ... on Post {{ body }} }}')
        data = self.read("query { " + "\n".join(parts) + " }", viewer)
        found = [data[f"p_{key}"]["body"] for key in self.posts if data[f"p_{key}"]]
        nodes = [data[f"n_{key}"]["body"] for key in self.posts if data[f"n_{key}"]]
        replies = {
            data[f"p_{key}"]["body"]: _bodies(data[f"p_{key}"]["replies"])
            for key in self.posts
            if data[f"p_{key}"] and data[f"p_{key}"]["replies"]["edges"]
        }
        return found, nodes, replies


@pytest.fixture
def session(
    gql: GqlCall, client: Client, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> Session:
    plan_cache.clear()
    found = Session(gql=gql, client=client, settings=settings)
    encode = views.encode_response

    def spy(response: object) -> str:
        data = response.get("data") if isinstance(response, dict) else None
        if isinstance(data, dict):
            found.compiled_roots |= {k for k, v in data.items() if isinstance(v, RawJSON)}
        return encode(response)

    monkeypatch.setattr(views, "encode_response", spy)
    found.users = {name: make_user(name) for name in NAMES}
    return found


def _script(s: Session) -> Report:
    """Everything the four do before the rules are checked."""
    s.ok("cat", "mutation { updateProfile(input: {isLocked: true}) { errors { code } } }", {})
    for who, whom in [("ann", "bob"), ("bob", "ann"), ("ann", "dan"), ("dan", "ann"),
                      ("dan", "bob"), ("cat", "dan"), ("cat", "ann")]:  # fmt: skip
        assert s.follow(who, whom)["viewerFollows"]
    for asker in ("ann", "bob", "dan"):
        asked = s.follow(asker, "cat")
        assert (asked["viewerFollows"], asked["viewerFollowRequested"]) == (False, True)
        assert asked["followerCount"] == 0
    answer = "mutation($id: ID!) { %s(userId: $id) { user { username } errors { code } } }"
    s.ok("cat", answer % "acceptFollowRequest", {"id": s.uid("ann")})
    s.ok("cat", answer % "rejectFollowRequest", {"id": s.uid("dan")})

    s.post("A1", "ann", "ann hello #town")
    s.post("A2", "ann", "ann hi @dan #town")
    s.post("B1", "bob", "bob spam #town")
    s.post("B2", "bob", "re: bob to ann", reply_to="A1")
    s.post("C1", "cat", "cat private #town")
    s.post("C2", "cat", "re: cat to ann", reply_to="A1")
    s.post("D1", "dan", "dan here @cat #town")
    s.post("D2", "dan", "re: dan to ann", reply_to="A1")
    for who, key in [("bob", "A1"), ("dan", "A1"), ("cat", "A1"), ("ann", "C1")]:
        assert s.like(who, key) == []

    mute = "mutation($input: MuteUserInput!) { muteUser(input: $input) { errors { code } } }"
    s.ok("ann", mute, {"input": {"userId": s.uid("cat"), "durationSeconds": 3600}})
    s.ok("cat", mute, {"input": {"userId": s.uid("dan"), "notifications": False}})
    block = "mutation($id: ID!) { %s(userId: $id) { user { viewerBlocks } errors { code } } }"
    assert s.ok("dan", block % "blockUser", {"id": s.uid("ann")})["user"]["viewerBlocks"]
    s.ok(
        "ann",
        "mutation($input: ReportInput!) { reportUser(input: $input) { ok errors { code } } }",
        {"input": {"userId": s.uid("bob"), "reason": "SPAM", "postIds": [s.pid("B1")]}},
    )
    report = Report.objects.get()
    moderator = make_user("mod", is_staff=True)
    # As after a commit: the revocation reaches every process (here, this one).
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert user_suspend(user=s.users["bob"], moderator=moderator, report=report)

    # After the rules: what a mute or a block forbids is refused or not notified.
    assert s.like("cat", "A2") == []  # ann muted cat with notifications: nothing stored
    assert [e["code"] for e in s.like("dan", "A2")] == ["BLOCKED"]
    assert [e["code"] for e in s.like("ann", "D1")] == ["BLOCKED"]
    refused = s.act(
        "ann",
        "mutation($id: ID!) { followUser(userId: $id) { errors { code } } }",
        {"id": s.uid("dan")},
    )
    assert [e["code"] for e in refused["errors"]] == ["BLOCKED"]
    return report


PUBLIC_FOR_ANN = ["ann hi @dan #town", "ann hello #town"]
A_POSTS = ["ann hi @dan #town", "ann hello #town"]
C_POSTS = ["re: cat to ann", "cat private #town"]
D_POSTS = ["re: dan to ann", "dan here @cat #town"]


def _expected() -> dict[str | None, dict[str, Any]]:
    """What each one sees once every rule stands (the table of docs/safety.md)."""
    return {
        "ann": {
            # cat's posts muted out of her feeds, dan's blocked, bob's suspended.
            "home": A_POSTS,
            "public": A_POSTS,
            "hashtag": A_POSTS,
            "user:ann": A_POSTS,
            "user:bob": None,
            "user:cat": C_POSTS,  # her profile still shows them: ann is approved
            "user:dan": [],  # blocked: the profile, no posts
            "flags:ann": set(),
            "flags:cat": {"isLocked", "viewerFollows", "viewerMutes"},
            "flags:dan": {"blocksViewer"},
            "replyTo": [("re: cat to ann", "ann hello #town")],
            "post": [*reversed(A_POSTS), *reversed(C_POSTS)],
            "node": [*reversed(A_POSTS), *reversed(C_POSTS)],
            "replies": {"ann hello #town": ["re: cat to ann"]},
            "search": ["ann", "cat"],
            # bob's suspended, dan's blocked, cat's muted: nothing left.
            "notifications": [],
            "unread": 0,
            "followRequests": [],
        },
        "cat": {
            # dan's posts muted out of her feeds.
            "home": [*C_POSTS, *A_POSTS],
            "public": ["cat private #town", *A_POSTS],
            "hashtag": ["cat private #town", *A_POSTS],
            "user:ann": A_POSTS,
            "user:bob": None,
            "user:cat": C_POSTS,
            "user:dan": D_POSTS,  # muted: the profile still shows them
            "flags:ann": {"viewerFollows"},
            "flags:cat": {"isLocked"},
            "flags:dan": {"viewerFollows", "viewerMutes"},
            "replyTo": [
                ("re: cat to ann", "ann hello #town"),
                ("re: dan to ann", "ann hello #town"),
            ],
            "post": [*reversed(A_POSTS), *reversed(C_POSTS), *reversed(D_POSTS)],
            "node": [*reversed(A_POSTS), *reversed(C_POSTS), *reversed(D_POSTS)],
            "replies": {"ann hello #town": ["re: cat to ann", "re: dan to ann"]},
            "search": ["ann", "cat", "dan"],
            # dan muted without notifications: his mention still shows; bob's request gone.
            "notifications": [
                ("FOLLOW_REQUEST", "ann", None),
                ("FOLLOW_REQUEST", "dan", None),
                ("LIKE", "ann", "cat private #town"),
                ("MENTION", "dan", "dan here @cat #town"),
            ],
            "unread": 4,
            "followRequests": [],
        },
        "dan": {
            # ann blocked, bob suspended, cat locked (rejected).
            "home": D_POSTS,
            "public": ["dan here @cat #town"],
            "hashtag": ["dan here @cat #town"],
            "user:ann": [],
            "user:bob": None,
            "user:cat": [],
            "user:dan": D_POSTS,
            "flags:ann": {"viewerBlocks"},
            "flags:cat": {"isLocked"},
            "flags:dan": set(),
            "replyTo": [("re: dan to ann", None)],
            "post": list(reversed(D_POSTS)),
            "node": list(reversed(D_POSTS)),
            "replies": {},
            "search": ["cat", "dan"],
            "notifications": [("FOLLOW", "cat", None)],
            "unread": 1,
            "followRequests": [],
        },
        None: {
            "home": None,
            "public": ["dan here @cat #town", *A_POSTS],
            "hashtag": ["dan here @cat #town", *A_POSTS],
            "user:ann": A_POSTS,
            "user:bob": None,
            "user:cat": [],
            "user:dan": D_POSTS,
            "flags:ann": set(),
            "flags:cat": {"isLocked"},
            "flags:dan": set(),
            "replyTo": [("re: dan to ann", "ann hello #town")],
            "post": [*reversed(A_POSTS), *reversed(D_POSTS)],
            "node": [*reversed(A_POSTS), *reversed(D_POSTS)],
            "replies": {"ann hello #town": ["re: dan to ann"]},
            "search": ["ann", "cat", "dan"],
        },
    }


def _check(s: Session, expected: dict[str | None, dict[str, Any]]) -> None:
    for viewer, wanted in expected.items():
        seen = s.sees(viewer)
        assert {k: seen[k] for k in wanted} == wanted, viewer
        assert set(seen) - set(wanted) == set(), (viewer, set(seen) - set(wanted))


@pytest.mark.django_db
def test_four_users_see_exactly_what_the_rules_allow(session: Session) -> None:
    s = session
    login = """mutation($password: String!) { login(input: {login: "bob", password: $password}) {
      accessToken errors { code } } }"""
    bob_token = s.gql(login, {"password": PASSWORD})["data"]["login"]["accessToken"]
    report = _script(s)
    expected = _expected()
    _check(s, expected)
    if connection.vendor == "postgresql":
        # The compiled path answered the feeds, profiles, lookups and notifications.
        assert {
            "publicFeed",
            "hashtagFeed",
            "homeFeed",
            "notifications",
            "ann",
        } <= s.compiled_roots, sorted(s.compiled_roots)
        assert {"p_A1", "n_A1"} <= s.compiled_roots
    # bob, suspended: his token stops at once, and he cannot sign in again.
    me = s.gql("{ me { username } }", token=bob_token)
    assert me["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert s.gql(login, {"password": PASSWORD})["data"]["login"]["errors"] == [
        {"code": "SUSPENDED"}
    ]
    report.refresh_from_db()
    assert report.status == "ACTIONED"

    # The timed mute ends by itself: cat's posts and notifications are ann's again.
    Mute.objects.filter(muter=s.users["ann"]).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    ann = s.sees("ann")
    assert ann["home"] == [*C_POSTS, *A_POSTS]
    assert ann["public"] == ann["hashtag"] == ["cat private #town", *A_POSTS]
    assert "viewerMutes" not in ann["flags:cat"]
    from_cat = [
        ("FOLLOW", "cat", None),
        ("FOLLOW_ACCEPTED", "cat", None),
        ("LIKE", "cat", "ann hello #town"),
        ("REPLY", "cat", "re: cat to ann"),
    ]
    assert ann["notifications"] == from_cat
    assert ann["unread"] == 4

    # The block undone: posts and notifications both ways again, the follows stay gone.
    s.ok(
        "dan",
        "mutation($id: ID!) { unblockUser(userId: $id) { errors { code } } }",
        {"id": s.uid("ann")},
    )
    ann, dan = s.sees("ann"), s.sees("dan")
    assert ann["home"] == [*C_POSTS, *A_POSTS]  # ann no longer follows dan
    assert ann["user:dan"] == D_POSTS and dan["user:ann"] == A_POSTS
    assert "dan" in ann["search"] and "ann" in dan["search"]
    assert ann["notifications"] == sorted(
        [
            *from_cat,
            ("FOLLOW", "dan", None),
            ("LIKE", "dan", "ann hello #town"),
            ("REPLY", "dan", "re: dan to ann"),
        ]
    )
    assert dan["notifications"] == [
        ("FOLLOW", "ann", None),
        ("FOLLOW", "cat", None),
        ("MENTION", "ann", "ann hi @dan #town"),
    ]
    assert (ann["unread"], dan["unread"]) == (7, 3)

    # The suspension undone: bob is back as he was, his pending request too.
    user_unsuspend(user=s.users["bob"], moderator=User.objects.get(username="mod"))
    ann, cat = s.sees("ann"), s.sees("cat")
    assert ann["user:bob"] == ["re: bob to ann", "bob spam #town"]
    assert "bob spam #town" in ann["public"] and "bob spam #town" in ann["home"]
    assert ("REPLY", "bob", "re: bob to ann") in ann["notifications"]
    assert cat["followRequests"] == ["bob"]
    assert ("FOLLOW_REQUEST", "bob", None) in cat["notifications"]


LIVE_FEED = "subscription { homeFeedPostAdded { body author { username } } }"
LIVE_NOTES = """subscription { notificationAdded {
  unreadNotificationCount notification { kind actor { username } post { body } } } }"""


async def _heard(client: WSClient) -> dict[str, list[Any]]:
    """Every event the client received until none comes for 1.5 s, by subscription."""
    heard: dict[str, list[Any]] = {"feed": [], "notes": [], "unread": []}
    # receive_nothing, not a timed-out receive: that would cancel the app.
    while not await client.communicator.receive_nothing(1.5):
        message = await client.receive()
        assert message["type"] in {"next", "data"}, message
        data = message["payload"]["data"]
        if message["id"] == "feed":
            heard["feed"].append(data["homeFeedPostAdded"]["body"])
        else:
            event = data["notificationAdded"]
            note = event["notification"]
            heard["notes"].append(
                (note["kind"], note["actor"]["username"], (note["post"] or {}).get("body"))
            )
            # Counted when delivered: a later notification may be in it already.
            heard["unread"].append(event["unreadNotificationCount"])
    return heard


@pytest.mark.django_db(transaction=True)
async def test_four_users_hear_live_only_what_the_rules_allow(
    session: Session, event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    s = session
    # bob listens from before his suspension: it closes his socket (4403), on every process.
    bob = WSClient(TRANSPORT_WS)
    await bob.connect(token_for(s.users["bob"]))
    await bob.subscribe("notes", LIVE_NOTES)
    await subscribed(event_broker, 1)
    await sync_to_async(_script)(s)
    assert await bob.closed_with() == 4403
    clients = {}
    for name in ("ann", "cat", "dan"):
        clients[name] = WSClient(TRANSPORT_WS)
        await clients[name].connect(token_for(s.users[name]))
        await clients[name].subscribe("feed", LIVE_FEED)
        await clients[name].subscribe("notes", LIVE_NOTES)
    await subscribed(event_broker, 6)

    publish = sync_to_async(s.post)
    # cat is locked: only ann (approved, but muting cat) may see it, and dan may not.
    await publish("L1", "cat", "cat live @ann @dan #town")
    # dan is muted by cat without notifications, and blocks ann.
    await publish("L2", "dan", "dan live @ann @cat")
    # ann is followed by cat and bob (suspended); dan blocks her.
    await publish("L3", "ann", "ann live @dan @cat")

    heard = {name: await _heard(client) for name, client in clients.items()}
    # cat had 4 unread; each event counts what is stored when it is delivered.
    assert heard["cat"].pop("unread") in ([5, 6], [6, 6])
    assert [heard[name].pop("unread") for name in ("ann", "dan")] == [[], []]
    assert heard == {
        "ann": {"feed": ["ann live @dan @cat"], "notes": []},
        "cat": {
            "feed": ["cat live @ann @dan #town", "ann live @dan @cat"],
            "notes": [
                ("MENTION", "dan", "dan live @ann @cat"),
                ("MENTION", "ann", "ann live @dan @cat"),
            ],
        },
        "dan": {"feed": ["dan live @ann @cat"], "notes": []},
    }
    for client in clients.values():
        await client.close()
