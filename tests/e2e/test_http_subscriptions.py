"""Subscriptions over HTTP with the real clients (tests/e2e/http_subscriptions.mjs) against
the Procfile's server: Apollo Client's HttpLink (multipart subscriptions) and the
graphql-sse client (distinct connections) receive live notifications, then resume with
`after` from a cursor they received, with no gap and no duplicate."""

import json
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest

from graph.pagination import encode_cursor
from tests.e2e.conftest import (
    E2E_DIR,
    LiveServer,
    register,
    require_node_modules,
    start_live_server,
)

PASSWORD = "a-long-example-password-7"
FOLLOW = "mutation ($id: ID!) { followUser(userId: $id) { errors { code } } }"
CLIENTS = ["apollo", "sse"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    # Registering a dozen users from one address is what the sign-up limit stops.
    with start_live_server(tmp_path_factory.mktemp("server"), RATELIMIT_ENABLE="false") as live:
        yield live


def start_client(server: LiveServer, client: str, token: str, after: str, count: int) -> Any:
    require_node_modules(E2E_DIR, "graphql-sse")
    require_node_modules(E2E_DIR, "@apollo/client")
    return subprocess.Popen(
        ["node", "http_subscriptions.mjs"],
        cwd=E2E_DIR,
        env=server.env
        | {
            "CLIENT": client,
            "API_URL": f"{server.url}/graphql",
            "TOKEN": token,
            "AFTER": after,
            "COUNT": str(count),
            "TIMEOUT_MS": "30000",
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: Any) -> dict[str, Any]:
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    return dict(json.loads(out.strip().splitlines()[-1]))


def follow(server: LiveServer, token: str, user_id: str) -> None:
    result = server.graphql(FOLLOW, {"id": user_id}, token=token)
    assert result["data"]["followUser"]["errors"] == [], result


@pytest.mark.parametrize("client", CLIENTS)
def test_a_real_client_gets_live_events_then_resumes_with_after(
    server: LiveServer, client: str
) -> None:
    alice = register(server, f"alice_{client}", PASSWORD)
    fans = [register(server, f"fan{i}_{client}", PASSWORD) for i in range(4)]
    alice_id = alice["user"]["id"]
    follow(server, fans[0]["accessToken"], alice_id)  # before the stream opens

    # From the start: the one before, then three live ones, in order.
    running = start_client(
        server, client, alice["accessToken"], encode_cursor("notifications", [0]), 4
    )
    time.sleep(2)  # the client connects meanwhile; the early ones come live or replayed
    for fan in fans[1:]:
        follow(server, fan["accessToken"], alice_id)
    first = finish(running)
    assert first["error"] is None, first
    names = [e["actor"] for e in first["events"]]
    assert names == [f"fan{i}_{client}" for i in range(4)]

    # Resumed from the second event's cursor: the last two only.
    resumed = finish(
        start_client(server, client, alice["accessToken"], first["events"][1]["cursor"], 2)
    )
    assert resumed["error"] is None, resumed
    assert [e["actor"] for e in resumed["events"]] == names[2:]


@pytest.mark.parametrize("client", CLIENTS)
def test_a_real_client_sees_a_bad_cursor_as_an_error(server: LiveServer, client: str) -> None:
    alice = register(server, f"carol_{client}", PASSWORD)
    run = finish(
        start_client(server, client, alice["accessToken"], encode_cursor("posts", [1, 2]), 1)
    )
    assert run["events"] == []
    assert "not a valid cursor" in run["error"]
