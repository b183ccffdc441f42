"""The compiled path answers every generated document exactly as the normal executor does.

Each document runs through the HTTP view twice, with GRAPHQL_COMPILED on and off, for
several viewers, and the parsed JSON (data and errors) must be equal.
"""

import random
from typing import Any

import pytest

from graph.compiled import executor as compiled_executor
from graph.ids import global_id
from notifications.models import Notification
from tests.graph.compiled.conftest import Run, World
from tests.graph.compiled.documents import Generator

DOCUMENTS = 240
# Cursor kinds and a document that reads a page of each, for the cursor pool.
PAGES = {
    "public": "{ c: publicFeed(first: 3) { edges { cursor } } }",
    "home": "{ c: homeFeed(first: 3) { edges { cursor } } }",
    "hashtag": '{ c: hashtagFeed(tag: "world", first: 3) { edges { cursor } } }',
    "notifications": "{ c: notifications(first: 3) { edges { cursor } } }",
    "posts": '{ c: user(username: "alice") { c: posts(first: 3) { edges { cursor } } } }',
    "followers": '{ c: user(username: "alice") { c: followers(first: 3) { edges { cursor } } } }',
    "following": '{ c: user(username: "alice") { c: following(first: 3) { edges { cursor } } } }',
    "search": '{ c: searchUsers(query: "a", first: 3) { edges { cursor } } }',
}


def _cursors(run: Run, world: World) -> dict[str, list[str]]:
    pool: dict[str, list[str]] = {}
    for kind, query in PAGES.items():
        data = run(query, viewer=world.alice, compiled=False)["data"]["c"]
        if kind in ("posts", "followers", "following"):
            data = data["c"]
        pool[kind] = [edge["cursor"] for edge in data["edges"]]
    replies = run(
        '{ post(id: "%s") { replies(first: 2) { edges { cursor } } } }'  # noqa: UP031
        % global_id("Post", world.posts[0].pk),
        compiled=False,
    )
    pool["replies"] = [e["cursor"] for e in replies["data"]["post"]["replies"]["edges"]]
    return pool


def _ids(world: World) -> list[str]:
    notifications = list(Notification.objects.order_by("id").values_list("id", flat=True)[:6])
    return [
        *(global_id("Post", post.pk) for post in world.posts[:6]),
        global_id("Post", world.replies[0].pk),
        global_id("Post", world.posts[3].pk),  # by the inactive user
        global_id("User", world.alice.pk),
        global_id("User", world.dave.pk),
        *(global_id("Notification", pk) for pk in notifications),
        "UG9zdDow",  # Post:0
        "garbage",
        global_id("Unknown", 1),
        global_id("Post", 999_999),
    ]


def test_generated_documents_answer_alike_compiled_or_not(
    run: Run, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    statements: list[str] = []
    real_run = compiled_executor.run

    def counting_run(sql: str, values: list[Any], **kwargs: Any) -> str:
        statements.append(sql)
        return real_run(sql, values, **kwargs)

    monkeypatch.setattr(compiled_executor, "run", counting_run)
    generator = Generator(
        rng=random.Random(16),
        cursors=_cursors(run, world),
        ids=_ids(world),
        # Non-ASCII: the UPPER form alone (\u017f, long s, upper-cases to "S").
        usernames=["alice", "BOB", " carol ", "dave", "nobody", "x\x00y", "\u017fTRANGE", "ERİN"],
        tags=["world", "#World", "fun", "sql", "", "  #FUN ", "nope", "a\x00"],
    )
    answered = 0
    with_errors = 0
    for index in range(DOCUMENTS):
        viewer = world.viewers[index % len(world.viewers)]
        document = generator.document(signed_in=viewer is not None)
        normal = run(document.query, document.variables, viewer=viewer, compiled=False)
        compiled = run(document.query, document.variables, viewer=viewer, compiled=True)
        assert compiled == normal, (
            f"document {index} as {viewer}:\n{document.query}\n{document.variables}"
        )
        answered += normal.get("data") is not None
        with_errors += "errors" in normal
    print(f"answered={answered} errors={with_errors} statements={len(statements)}")
    # The test proves something only if most documents ran, and most through SQL.
    assert answered > DOCUMENTS * 0.6, answered
    assert 0 < with_errors < DOCUMENTS * 0.4, with_errors
    assert len(statements) > DOCUMENTS * 0.6, len(statements)
