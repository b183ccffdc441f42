"""Metacharacters and bad documents: the compiled path takes every value as a parameter,
and a document that fails fails exactly as with the normal executor."""

from typing import Any

import pytest

from graph.pagination import encode_cursor
from social.models import Post
from tests.factories import make_post, make_user
from tests.graph.compiled.conftest import Run, World

NASTY = [
    "'); DROP TABLE social_post; --",
    '\\"}',
    '"}]}',
    "\\",
    "'",
    "%s %(p0)s {}",
    "emoji 🎉 and \u2028 line separator",
    "tab\tnewline\ncontrol\x01\x1f",
    "E'\\n' $1 $$ quoted $$",
]
POST_FIELDS = "id body createdAt hashtags mentions { username displayName bio } author { username displayName bio }"  # noqa: E501


def test_metacharacters_in_bodies_and_names_come_back_as_written(both: Any, world: World) -> None:
    author = make_user("metachars", display_name="'); DROP \\\"} 🎉", bio='\\"}%s$1')
    for text in NASTY:
        make_post(author, f"{text} #tag @alice")
    page = both(
        f"{{ publicFeed(first: 20) {{ edges {{ node {{ {POST_FIELDS} }} }} }} }}",
        viewer=world.alice,
    )
    bodies = {edge["node"]["body"] for edge in page["data"]["publicFeed"]["edges"]}
    assert {f"{text} #tag @alice" for text in NASTY} <= bodies
    assert Post.objects.exists()


@pytest.mark.parametrize("value", NASTY)
def test_metacharacters_through_every_argument(both: Any, world: World, value: str) -> None:
    query = """query Q($name: String!, $tag: String!, $id: ID!, $after: String, $first: Int) {
      user(username: $name) { username posts(first: $first, after: $after) { edges { node { body } } } }
      hashtagFeed(tag: $tag, first: $first, after: $after) { edges { node { body } } }
      post(id: $id) { body replies(first: $first, after: $after) { edges { cursor } } }
      node(id: $id) { id }
      publicFeed(first: $first, after: $after) { edges { node { body } } }
    }"""  # noqa: E501
    cursors = [
        value,
        encode_cursor("public", [value, 1]),
        encode_cursor("posts", ["2026-01-01T00:00:00+00:00", value]),
    ]
    for after in [*cursors, None]:
        for viewer in (None, world.alice):
            variables = {"name": value, "tag": value, "id": value, "after": after, "first": 2}
            both(query, variables, viewer=viewer)
    for user_text in ("alice" + value, "#" + value):
        both(query, {"name": user_text, "tag": user_text, "id": user_text, "first": 1})


BAD_DOCUMENTS = [
    "{ publicFeed { edges { node { nope } } } }",  # unknown field
    "{ publicFeed(first: 1) { edges { node { body } } }",  # syntax
    "query Q($f: Int) { publicFeed(first: $g) { pageInfo { hasNextPage } } }",  # unknown variable
    "{ a: publicFeed(first: 1) { pageInfo { hasNextPage } } a: homeFeed { pageInfo { hasNextPage } } }",  # noqa: E501
    "{ publicFeed(first: 100) { edges { node { replies(first: 100) { edges { node { replies(first: 100) { edges { node { id } } } } } } } } } }",  # nodes  # noqa: E501
    "{ " + " ".join(f"a{i}: me {{ id }}" for i in range(40)) + " }",  # aliases
    "{ publicFeed { edges { node { replyTo { replyTo { replyTo { replyTo { replyTo { replyTo { replyTo { replyTo { replyTo { replyTo { replyTo { id } } } } } } } } } } } } } } }",  # depth  # noqa: E501
    "{ publicFeed(first: 101) { edges { node { id } } } }",  # bad first
    '{ publicFeed(after: "junk") { edges { node { id } } } }',  # bad cursor
    "{ homeFeed { edges { node { id } } } }",  # needs sign-in
    "{ notifications { edges { node { id } } } }",  # needs sign-in
    "{ publicFeed { edges { node { id } } } homeFeed { edges { node { id } } } }",  # mixed
    "{ me { id } publicFeed(first: 2) { edges { node { author { posts(first: -1) { edges { cursor } } } } } } }",  # noqa: E501
]


@pytest.mark.parametrize("query", BAD_DOCUMENTS)
def test_a_failing_document_fails_as_with_the_normal_executor(
    both: Any, world: World, query: str, settings: Any
) -> None:
    settings.GRAPHQL_MAX_NODES = 5_000
    answer = both(query)
    assert answer.get("errors"), answer


def test_a_limit_changed_in_settings_applies_to_a_cached_document(
    run: Run, world: World, settings: Any
) -> None:
    query = "{ publicFeed(first: 50) { edges { node { id } } } }"
    assert "errors" not in run(query)
    settings.GRAPHQL_MAX_NODES = 10
    refused = run(query)
    assert refused["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert refused == run(query, compiled=False)


def test_a_bad_token_gets_the_same_answer(
    run: Run, world: World, client: Any, settings: Any
) -> None:
    answers = []
    for compiled in (True, False):
        settings.GRAPHQL_COMPILED = compiled
        response = client.post(
            "/graphql",
            {"query": "{ publicFeed { edges { cursor } } }"},
            content_type="application/json",
            HTTP_AUTHORIZATION="Bearer nonsense",
        )
        answers.append(response.json())
    assert answers[0] == answers[1]
    assert answers[0]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_an_unexpected_error_in_a_compiled_field_is_masked_like_any_other(
    run: Run, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(sql: str, values: list[Any], **kwargs: Any) -> str:
        raise RuntimeError("secret detail")

    monkeypatch.setattr("graph.compiled.executor.run", boom)
    answer = run('{ me { id } user(username: "alice") { id } }', viewer=world.alice)
    assert answer["data"] == {"me": None, "user": None}
    assert [e["path"] for e in answer["errors"]] == [["me"], ["user"]]
    assert {e["message"] for e in answer["errors"]} == {"Unexpected error."}
    assert {e["extensions"]["code"] for e in answer["errors"]} == {"INTERNAL_SERVER_ERROR"}
    # A non-null root field takes the whole data with it, as in the normal executor.
    assert run("{ publicFeed { edges { cursor } } }")["data"] is None


@pytest.mark.parametrize("pk", ["99999999999999999999", "-99999999999999999999"])
def test_a_cursor_id_beyond_a_bigint_is_bad_user_input_as_with_the_normal_executor(
    both: Any, world: World, pk: str
) -> None:
    """A cursor's id written as a string of a number too large for PostgreSQL's bigint:
    BAD_USER_INPUT as with the normal executor, never an internal error."""
    query = """query Q($after: String) {
      publicFeed(first: 2, after: $after) { edges { cursor } }
      user(username: "alice") {
        posts(first: 2, after: $after) { edges { cursor } }
        followers(first: 2, after: $after) { edges { cursor } }
      }
      notifications(first: 2, after: $after) { edges { cursor } }
    }"""
    for kind in ("public", "posts", "followers"):
        after = encode_cursor(kind, ["2026-01-01T00:00:00+00:00", pk])
        answer = both(query, {"after": after}, viewer=world.alice)
        codes = {error["extensions"]["code"] for error in answer.get("errors", [])}
        assert codes == {"BAD_USER_INPUT"}, answer
    answer = both(query, {"after": encode_cursor("notifications", [pk])}, viewer=world.alice)
    assert {error["extensions"]["code"] for error in answer["errors"]} == {"BAD_USER_INPUT"}


def test_a_cursor_id_written_as_a_string_reads_as_with_the_normal_executor(
    both: Any, world: World
) -> None:
    """notifications refuses a string id ("12"); post lists take it: both executors alike."""
    query = """query Q($after: String) {
      notifications(first: 2, after: $after) { edges { cursor } }
    }"""
    answer = both(query, {"after": encode_cursor("notifications", ["12"])}, viewer=world.alice)
    assert [error["extensions"]["code"] for error in answer["errors"]] == ["BAD_USER_INPUT"]
    query = "query Q($after: String) { publicFeed(first: 2, after: $after) { edges { cursor } } }"
    after = encode_cursor("public", ["2099-01-01T00:00:00+00:00", "12"])
    assert "errors" not in both(query, {"after": after}, viewer=world.alice)
