"""GraphiQL at /graphql in headless Chromium, signed in as its welcome text says: a Login
mutation, its token in the headers editor, a mutation with variables; then the Docs
explorer (tests/e2e/graphiql_token.mjs). tests/e2e/test_graphiql.py covers the session
cookie and a subscription."""

import json
import subprocess

from tests.e2e.conftest import E2E_DIR, LiveServer, chromium_path, register, require_node_modules

PASSWORD = "a-long-e2e-password-9"


def test_graphiql_runs_a_mutation_with_a_bearer_token_and_shows_the_schema_docs(
    live_server_process: LiveServer,
) -> None:
    require_node_modules(E2E_DIR, "playwright-core")
    chromium = chromium_path()
    server = live_server_process
    liker = register(server, "graphiql_liker", PASSWORD)
    author = register(server, "graphiql_author", "a-long-e2e-password-10")
    created = server.graphql(
        'mutation { createPost(input: {body: "like me"}) { post { id } } }',
        token=author["accessToken"],
    )
    post_id = created["data"]["createPost"]["post"]["id"]

    done = subprocess.run(
        ["node", "graphiql_token.mjs"],
        cwd=E2E_DIR,
        env=server.env
        | {
            "CHROMIUM_PATH": chromium,
            "E2E_BASE_URL": server.url,
            "E2E_USERNAME": "graphiql_liker",
            "E2E_PASSWORD": PASSWORD,
            "E2E_POST_ID": post_id,
        },
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )

    assert done.stdout.strip(), f"no result from the browser script:\n{done.stderr}"
    result = json.loads(done.stdout.strip().splitlines()[-1])
    context = json.dumps(result, indent=2) + "\n" + server.log.read_text()[-4000:]
    assert result["ok"], context
    assert result["token_found"], context
    # The headers editor's token signed the mutation in: the like is the liker's.
    assert result["liked"]["data"]["likePost"] == {
        "post": {"id": post_id, "likeCount": 1, "viewerHasLiked": True},
        "errors": [],
    }, context
    liked_by = server.graphql(
        "query ($id: ID!) { post(id: $id) { likeCount viewerHasLiked } }",
        {"id": post_id},
        token=liker["accessToken"],
    )
    assert liked_by["data"]["post"] == {"likeCount": 1, "viewerHasLiked": True}
    # Without it, the pane shows the error's code.
    [error] = result["signed_out"]["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED", context
    docs = result["docs"]
    for root in ("query: Query", "mutation: Mutation", "subscription: Subscription"):
        assert root in docs["root"], context
    for field in ("likePost", "followUser", "markNotificationsRead", "uploadMedia"):
        assert field in docs["mutation"], context
    assert "Idempotent" in docs["like_post"], context
    assert "postId" in docs["like_post"] and "PostPayload" in docs["like_post"], context
    assert not [p for p in result["problems"] if p.startswith("page error")], context
