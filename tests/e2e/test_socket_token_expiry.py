"""Sockets follow sessions, with the real client (tests/e2e/socket_token_expiry.mjs, the
README's recipe: Apollo Client over graphql-ws, connectionParams fetching a fresh token):
access tokens live three seconds, so the socket closes with 4403 mid-stream, graphql-ws
retries by default, and the subscription resumes with `after`: every notification arrives,
once, in order."""

import json
import subprocess
import time
from collections.abc import Iterator

import pytest

from graph.pagination import encode_cursor
from tests.e2e.conftest import (
    E2E_DIR,
    LiveServer,
    register,
    require_node_modules,
    start_live_server,
)

PASSWORD = "a-long-example-password-8"
LOGIN = (
    "mutation ($l: String!, $p: String!) "
    "{ login(input: {login: $l, password: $p}) { accessToken } }"
)
FOLLOW = "mutation ($id: ID!) { followUser(userId: $id) { errors { code } } }"
TTL_SECONDS = 3


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with start_live_server(
        tmp_path_factory.mktemp("server"),
        RATELIMIT_ENABLE="false",
        ACCESS_TOKEN_TTL=str(TTL_SECONDS),
    ) as live:
        yield live


def fresh_token(server: LiveServer, username: str) -> str:
    result = server.graphql(LOGIN, {"l": username, "p": PASSWORD})
    return str(result["data"]["login"]["accessToken"])


def test_a_token_that_expires_mid_stream_loses_no_notification(server: LiveServer) -> None:
    require_node_modules(E2E_DIR, "graphql-ws")
    alice = register(server, "alice", PASSWORD)
    fans = [f"fan{i}" for i in range(6)]
    for fan in fans:
        register(server, fan, PASSWORD)
    client = subprocess.Popen(
        ["node", "socket_token_expiry.mjs"],
        cwd=E2E_DIR,
        env=server.env
        | {
            "API_URL": f"{server.url}/graphql",
            "LOGIN": "alice",
            "PASSWORD": PASSWORD,
            "AFTER": encode_cursor("notifications", [0]),
            "COUNT": str(len(fans)),
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # One follow every 1.5 s: the six span three token lifetimes, so the socket is closed
    # and reopened between them (and maybe while one is being delivered).
    for fan in fans:
        time.sleep(1.5)
        done = server.graphql(FOLLOW, {"id": alice["user"]["id"]}, token=fresh_token(server, fan))
        assert done["data"]["followUser"]["errors"] == [], done
    out, err = client.communicate(timeout=90)
    assert client.returncode == 0, err
    run = json.loads(out.strip().splitlines()[-1])
    assert run["error"] is None, run
    assert [e["actor"] for e in run["events"]] == fans, (run, err)
    assert 4403 in run["closes"], run
    assert run["connects"] >= 2, run
