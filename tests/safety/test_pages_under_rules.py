"""Keyset pages stay exact under every rule at once: with a block either way, a mute with
notifications, a locked account and a suspended one hiding rows between the visible ones,
a page of N holds N rows while N visible rows remain, and `hasNextPage` is exact, in the
feeds and the notifications, on both executors (PostgreSQL runs the compiled path too)."""

from typing import Any

import pytest
from django.db import connection

from graph.compiled import plan_cache
from social.models import User
from social.services.blocks import block_create
from social.services.follows import follow_create
from social.services.moderation import user_suspend
from social.services.mutes import mute_create
from tests.conftest import GqlCall
from tests.factories import make_post, make_user

ROWS = 12
PAGE = 5
LISTS = {
    "homeFeed": "homeFeed(first: $first, after: $after)",
    "publicFeed": "publicFeed(first: $first, after: $after)",
    "hashtagFeed": 'hashtagFeed(tag: "paged", first: $first, after: $after)',
    "notifications": "notifications(first: $first, after: $after)",
}
NODE = {
    "notifications": "kind actor { username }",
}


def _document(name: str) -> str:
    node = NODE.get(name, "body author { username }")
    return (
        f"query($first: Int, $after: String) {{ {LISTS[name]} {{ "
        f"edges {{ node {{ {node} }} }} pageInfo {{ hasNextPage endCursor }} }} }}"
    )


def _page(gql: GqlCall, settings: Any, name: str, viewer: User, after: str | None) -> Any:
    variables = {"first": PAGE, "after": after}
    settings.GRAPHQL_COMPILED = False
    normal = gql(_document(name), variables, as_user=viewer)
    assert "errors" not in normal, normal
    if connection.vendor == "postgresql":
        settings.GRAPHQL_COMPILED = True
        plan_cache.clear()
        assert gql(_document(name), variables, as_user=viewer) == normal, name
    return normal["data"][name]


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(LISTS))
def test_pages_are_full_and_has_next_page_exact_under_every_rule(
    gql: GqlCall, settings: Any, name: str
) -> None:
    val = make_user("val")
    friend, blocked, blocker, muted, locked, gone = (
        make_user(n) for n in ("friend", "blocked", "blocker", "muted", "locked", "gone")
    )
    hidden = (blocked, blocker, muted, locked, gone)
    User.objects.filter(pk=locked.pk).update(is_locked=True)  # val only asks to follow
    for author in (friend, *hidden):
        follow_create(follower=val, followee=author)
    for i in range(ROWS):
        # Interleaved: each visible row has one of every hidden kind around it.
        for author in (friend, *hidden):
            make_post(author, f"#paged {i} by @val")
    # The rules come after the rows (notifications stored before them are hidden too).
    block_create(blocker=val, blocked=blocked)
    block_create(blocker=blocker, blocked=val)
    mute_create(muter=val, muted=muted)
    user_suspend(user=gone, moderator=make_user("mod"))

    seen, after, sizes = [], None, []
    while True:
        page = _page(gql, settings, name, val, after)
        sizes.append((len(page["edges"]), page["pageInfo"]["hasNextPage"]))
        seen += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert sizes == [(5, True), (5, True), (2, False)]
    if name == "notifications":
        assert seen == [{"kind": "MENTION", "actor": {"username": "friend"}}] * ROWS
    else:
        assert seen == [
            {"body": f"#paged {i} by @val", "author": {"username": "friend"}}
            for i in reversed(range(ROWS))
        ]
