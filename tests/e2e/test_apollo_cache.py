"""Apollo Client's normalized cache (tests/e2e/apollo_cache.mjs) against a live server:
relayStylePagination pages the home feed with no duplicate or gap while new posts arrive,
and each mutation's payload updates every screen showing that post or user, with no
refetch."""

import json
import subprocess
from typing import Any

from tests.e2e.conftest import E2E_DIR, LiveServer, register, require_node_modules

FOLLOW = "mutation ($id: ID!) { followUser(userId: $id) { errors { code } } }"
CREATE = "mutation ($body: String!) { createPost(input: {body: $body}) { errors { code } } }"


def test_mutation_payloads_update_the_cached_screens_and_pages_never_repeat(
    live_server_process: LiveServer,
) -> None:
    require_node_modules(E2E_DIR, "@apollo/client")
    server = live_server_process
    reader = register(server, "cache_reader", "a-long-e2e-password-11")
    author = register(server, "cache_author", "a-long-e2e-password-12")
    server.graphql(FOLLOW, {"id": author["user"]["id"]}, token=reader["accessToken"])
    for n in range(7):
        server.graphql(CREATE, {"body": f"post {n}"}, token=author["accessToken"])
    server.graphql(CREATE, {"body": "the reader's own"}, token=reader["accessToken"])
    done = subprocess.run(
        ["node", "apollo_cache.mjs"],
        cwd=E2E_DIR,
        env=server.env
        | {
            "API_URL": f"{server.url}/graphql",
            "READER_TOKEN": reader["accessToken"],
            "AUTHOR_TOKEN": author["accessToken"],
            "AUTHOR": "cache_author",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])

    pagination = result["pagination"]
    assert pagination["paged"] == pagination["snapshot"], pagination
    assert len(pagination["snapshot"]) == 8 and pagination["pages"] == 3
    assert pagination["pageInfo"]["hasNextPage"] is False

    steps = result["steps"]
    # One request per mutation, and every screen showing the post or the user changed.
    assert {name: step["requests"] for name, step in steps.items()} == dict.fromkeys(steps, 1)
    for screen in ("thread", "homePost"):
        assert steps["like"][screen]["likeCount"] == 1
        assert steps["like"][screen]["viewerHasLiked"] is True
        assert steps["unlike"][screen]["likeCount"] == 0
        assert steps["unlike"][screen]["viewerHasLiked"] is False
    followers = steps["like"]["profile"]["followerCount"]
    assert steps["unfollow"]["profile"]["followerCount"] == followers - 1
    assert steps["unfollow"]["profile"]["viewerFollows"] is False
    assert steps["follow"]["profile"]["followerCount"] == followers
    assert steps["unfollow"]["homePost"]["author"]["viewerFollows"] is False
    assert steps["follow"]["thread"]["author"]["viewerFollows"] is True
    assert steps["edit"]["homeOwn"]["body"] == "edited"
    assert steps["edit"]["homeOwn"]["editedAt"] is not None
    assert steps["rename"]["homeOwn"]["author"]["displayName"] == "Renamed"
    # The cache ends where the server is.
    assert result["cached"]["thread"] == result["now"]["thread"]
    assert result["cached"]["profile"] == result["now"]["profile"]
