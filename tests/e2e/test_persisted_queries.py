"""Apollo Client's persisted-queries link (tests/e2e/persisted_queries.mjs) against a live
server: automatic persisted queries over GET, then a trusted-only server whose manifest
holds what the link sent."""

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import (
    E2E_DIR,
    LiveServer,
    register,
    require_node_modules,
    start_live_server,
)

CREATE_POST = "mutation P($body: String!) { createPost(input: {body: $body}) { errors { code } } }"


def run_link(server: LiveServer, **env: str) -> dict[str, Any]:
    require_node_modules(E2E_DIR, "@apollo/client")
    done = subprocess.run(
        ["node", "persisted_queries.mjs"],
        cwd=E2E_DIR,
        env=server.env | {"API_URL": f"{server.url}/graphql", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def requests_of(run: dict[str, Any], operation: str) -> list[tuple[str, bool, int]]:
    return [
        (r["method"], r["sentQuery"], r["status"])
        for r in run["requests"]
        if r["operationName"] == operation
    ]


@pytest.fixture(scope="module")
def apq_run(live_server_process: LiveServer) -> dict[str, Any]:
    author = register(live_server_process, "hasher", "a-long-example-password-3")
    live_server_process.graphql(CREATE_POST, {"body": "hashed"}, token=author["accessToken"])
    return run_link(live_server_process)


def test_the_link_retries_an_unknown_hash_with_the_query_then_sends_the_hash_alone(
    apq_run: dict[str, Any],
) -> None:
    outcomes = {o["name"]: o for o in apq_run["outcomes"]}
    assert outcomes["feed"]["error"] is None
    assert outcomes["feed"]["data"]["publicFeed"]["edges"][0]["node"]["body"] == "hashed"
    assert outcomes["feed again"] == outcomes["feed"] | {"name": "feed again"}
    assert requests_of(apq_run, "Feed") == [
        ("GET", False, 200),  # PersistedQueryNotFound
        ("POST", True, 200),  # the link's retry, which registers the query
        ("GET", False, 200),  # from then on the hash alone, over GET
    ]
    assert all(r["sha256Hash"] for r in apq_run["requests"])


def test_an_anonymous_hashed_get_may_be_cached_and_a_not_found_never(
    apq_run: dict[str, Any],
) -> None:
    first, _, hit = [r for r in apq_run["requests"] if r["operationName"] == "Feed"]
    assert "no-store" in first["cacheControl"]
    assert set(hit["cacheControl"].split(", ")) == {"public", "max-age=10"}


def test_mutations_go_by_post_and_use_the_hash_once_registered(apq_run: dict[str, Any]) -> None:
    outcomes = {o["name"]: o for o in apq_run["outcomes"]}
    for name in ("login", "login again"):
        errors = outcomes[name]["data"]["login"]["errors"]
        assert [e["code"] for e in errors] == ["INVALID_CREDENTIALS"], outcomes[name]
    assert requests_of(apq_run, "Login") == [
        ("POST", False, 200),
        ("POST", True, 200),
        ("POST", False, 200),
    ]


def test_a_trusted_only_server_runs_the_manifest_by_hash_and_refuses_the_rest(
    apq_run: dict[str, Any], tmp_path: Path
) -> None:
    # The manifest holds exactly the documents the link sent in full: what a build step
    # (GraphQL Codegen, Relay) writes from the client's own documents.
    manifest = tmp_path / "persisted-documents.json"
    manifest.write_text(json.dumps(apq_run["sentInFull"]))
    settings = {"GRAPHQL_TRUSTED_DOCUMENTS": str(manifest), "GRAPHQL_TRUSTED_ONLY": "true"}
    (tmp_path / "server").mkdir()
    with start_live_server(tmp_path / "server", **settings) as server:
        run = run_link(server, WITH_ME="1")
    outcomes = {o["name"]: o for o in run["outcomes"]}
    for name in ("feed", "feed again", "login", "login again"):
        assert outcomes[name]["error"] is None, outcomes[name]
    assert outcomes["me"]["data"] is None
    assert outcomes["me"]["error"]["codes"] == ["PERSISTED_QUERY_NOT_TRUSTED"]
    # Nothing went in full: the manifest answered every hash; `me` was refused at once.
    assert [r["sentQuery"] for r in run["requests"]] == [False] * len(run["requests"])
    assert requests_of(run, "Me") == [("GET", False, 400)]
