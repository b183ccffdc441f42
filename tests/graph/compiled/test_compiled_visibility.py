"""The compiled path takes every visibility condition from social/visibility.py: what the
rule book hides is hidden alike by both executors, and a rule added there reaches
compiled documents with no change to the compiler."""

import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db.models import Q

from graph.compiled import plan_cache
from graph.ids import global_id
from notifications.models import Notification
from social import visibility
from social.reads import posts as read_posts
from social.services.blocks import block_create
from social.visibility import VIEWER, SqlFragment
from tests.factories import make_follow, make_post, make_user
from tests.graph.compiled.conftest import World

Both = Callable[..., dict[str, Any]]

POST = "id body author { username } mentions { username } replyTo { id author { username } }"
# What anyone may read, then what only a signed-in viewer may (homeFeed, notifications).
ANYONE = f"""
  publicFeed(first: 50) {{ edges {{ node {{ {POST} }} }} }}
  hashtagFeed(tag: "world", first: 50) {{ edges {{ node {{ {POST} }} }} }}
  user(username: $bob) {{ username posts(first: 50) {{ edges {{ node {{ {POST} }} }} }} }}
  alice: user(username: "alice") {{
    followers(first: 50) {{ edges {{ node {{ username }} }} }}
    following(first: 50) {{ edges {{ node {{ username }} }} }}
  }}
  me {{ username }}
"""
SIGNED_IN = f"""
  homeFeed(first: 50) {{ edges {{ node {{ {POST}
    replies(first: 9) {{ edges {{ node {{ id }} }} }} }} }} }}
  notifications(first: 50) {{ edges {{ node {{ kind actor {{ username }} post {{ {POST} }} }} }} }}
"""
EVERYTHING = f"query Everything($bob: String!) {{ {ANYONE} {SIGNED_IN} }}"
SIGNED_OUT = f"query SignedOut($bob: String!) {{ {ANYONE} }}"


def _usernames(value: Any) -> set[str]:
    """Every username anywhere in an answer."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "username" and isinstance(item, str):
                found.add(item)
            else:
                found |= _usernames(item)
    elif isinstance(value, list):
        for item in value:
            found |= _usernames(item)
    return found


def _node(both: Both, world: World, viewer: Any, type_name: str, pk: int) -> Any:
    query = (
        'query { node(id: "ID") { id ... on Post { body replyTo { id } } '
        "... on User { username } ... on Notification { actor { username } post { id } } } }"
    ).replace("ID", global_id(type_name, pk))
    return both(query, viewer=viewer)["data"]["node"]


def test_inactive_mentions_parents_and_actors_are_hidden_alike(both: Both, world: World) -> None:
    answer = both(EVERYTHING, {"bob": "bob"}, viewer=world.alice)
    assert answer["data"]["homeFeed"]["edges"]
    assert {"dave", "frank"} & _usernames(answer) == set()
    assert answer["data"]["notifications"]["edges"]  # alice has others' notifications
    # The reply to dave's post is there, its parent reads null.
    carol = both(EVERYTHING, {"bob": "carol"}, viewer=world.erin)["data"]["user"]
    answers = [e["node"] for e in carol["posts"]["edges"] if e["node"]["body"].startswith("Carol")]
    assert answers and answers[0]["replyTo"] is None
    mentions = both(
        '{ post(id: "ID") { mentions { username } } }'.replace(
            "ID", global_id("Post", world.posts[0].pk)
        )
    )["data"]["post"]["mentions"]
    assert mentions == [{"username": "bob"}]  # "@bob and @dave": dave is inactive
    # Node: a notification from frank is gone, as are his and dave's posts and accounts.
    from_frank = Notification.objects.filter(actor=world.frank, recipient=world.alice).first()
    assert from_frank is not None
    assert _node(both, world, world.alice, "Notification", from_frank.pk) is None
    assert _node(both, world, world.alice, "User", world.frank.pk) is None
    assert _node(both, world, None, "Post", world.posts[3].pk) is None


def test_every_viewer_reads_the_rules_alike(both: Both, world: World) -> None:
    for viewer in (world.alice, world.bob, world.carol, world.erin):
        both(EVERYTHING, {"bob": "bob"}, viewer=viewer)
    signed_out = both(SIGNED_OUT, {"bob": "carol"})
    assert signed_out["data"]["publicFeed"]["edges"] and "errors" not in signed_out
    assert {"dave", "frank"} & _usernames(signed_out) == set()


def test_a_block_leaves_each_side_out_of_the_others_lists_of_users_alike(
    both: Both, world: World
) -> None:
    ana, ben, cy = make_user("ana"), make_user("ben"), make_user("cy")
    for one, other in ((ana, cy), (ben, cy), (cy, ana), (cy, ben)):
        make_follow(one, other)
    make_post(cy, "hi @ana and @ben #world")
    block_create(blocker=ben, blocked=ana)
    query = """query Lists($bob: String!) { user(username: $bob) {
      followers(first: 50) { edges { node { username } } }
      following(first: 50) { edges { node { username } } } }
      hashtagFeed(tag: "world", first: 50) { edges { node { mentions { username } } } } }"""
    for viewer, hidden in ((ana, {"ben"}), (ben, {"ana"}), (cy, set()), (None, set())):
        answer = both(query, {"bob": "cy"}, viewer=viewer)
        assert {"ana", "ben"} - _usernames(answer) == hidden


def _replace_everywhere(monkeypatch: pytest.MonkeyPatch, original: Any, new: Any) -> None:
    """A rule changed in social/visibility.py, as every module that imported it sees it."""
    for module in list(sys.modules.values()):
        for name, value in list(vars(module).items()):
            if value is original:
                monkeypatch.setattr(module, name, new)


def _clear_statement_caches() -> None:
    # Statements built under one rule book must not serve another.
    plan_cache.clear()
    for cached in (
        read_posts._list_statement,
        read_posts._ids_statement,
        read_posts._host_statement,
    ):
        cached.cache.clear()  # type: ignore[attr-defined]


def _hide_bob_from_alice(monkeypatch: pytest.MonkeyPatch, world: World) -> None:
    """A new rule, written only in social/visibility.py: alice may not see bob (his account
    nor his posts), a condition on the viewer in every form (Q and VIEWER fragments)."""
    alice, bob = world.alice.pk, world.bob.pk
    users_q, users_sql = visibility.users_q, visibility.users_sql
    posts_q, posts_sql = visibility.posts_q, visibility.posts_sql

    def hidden_sql(user: str) -> SqlFragment:
        return SqlFragment(f"({user}.id <> %s OR coalesce(%s, 0) <> %s)", (bob, VIEWER, alice))

    def and_sql(first: SqlFragment, second: SqlFragment) -> SqlFragment:
        return SqlFragment(f"{first.sql} AND {second.sql}", first.params + second.params)

    def new_users_q(*, viewer_id: int | None, prefix: str = "", listed: bool = False) -> Q:
        rule = users_q(viewer_id=viewer_id, prefix=prefix, listed=listed)
        return rule & ~Q(**{f"{prefix}pk": bob}) if viewer_id == alice else rule

    def new_posts_q(*, viewer_id: int | None, prefix: str = "", feed: bool = False) -> Q:
        rule = posts_q(viewer_id=viewer_id, prefix=prefix, feed=feed)
        return rule & ~Q(**{f"{prefix}author_id": bob}) if viewer_id == alice else rule

    def new_users_sql(*, user: str, listed: bool = False) -> SqlFragment:
        return and_sql(users_sql(user=user, listed=listed), hidden_sql(user))

    def new_posts_sql(
        *, post: str, author: str, feed: bool = False, live: bool = False
    ) -> SqlFragment:
        # The live base read keeps out per-viewer rules: the live check applies them.
        base = posts_sql(post=post, author=author, feed=feed, live=live)
        return base if live else and_sql(base, hidden_sql(author))

    _clear_statement_caches()
    for original, new in [
        (users_q, new_users_q),
        (users_sql, new_users_sql),
        (posts_q, new_posts_q),
        (posts_sql, new_posts_sql),
    ]:
        _replace_everywhere(monkeypatch, original, new)


@pytest.fixture
def rule_book(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Rules changed through this are undone after the test, with what was built on them."""
    yield monkeypatch
    monkeypatch.undo()
    _clear_statement_caches()


def test_a_viewer_rule_added_to_the_rule_book_changes_both_answers_alike(
    both: Both, world: World, rule_book: pytest.MonkeyPatch
) -> None:
    before = both(EVERYTHING, {"bob": "bob"}, viewer=world.alice)
    assert before["data"]["user"]["username"] == "bob"
    _hide_bob_from_alice(rule_book, world)

    hidden = both(EVERYTHING, {"bob": "bob"}, viewer=world.alice)
    assert "bob" not in _usernames(hidden)
    assert hidden["data"]["user"] is None
    assert hidden["data"]["homeFeed"]["edges"]  # the rest of alice's home feed is there
    assert _node(both, world, world.alice, "Post", world.posts[1].pk) is None
    # Only alice: erin and a signed-out reader still see bob.
    assert "bob" in _usernames(both(EVERYTHING, {"bob": "bob"}, viewer=world.erin))
    assert "bob" in _usernames(both(SIGNED_OUT, {"bob": "bob"}))
