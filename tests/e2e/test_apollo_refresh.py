"""Apollo Client's token refresh as apps write it (tests/e2e/apollo_refresh.mjs), against a
server whose access tokens last two seconds: the auth link sends the expired token with
the refresh too, and the refresh still runs, so the query is retried and answered."""

import json
import subprocess
from pathlib import Path

from tests.e2e.conftest import E2E_DIR, register, require_node_modules, start_live_server

PASSWORD = "a-long-e2e-password-13"


def test_an_expired_token_is_refreshed_through_the_same_client_and_the_query_retried(
    tmp_path: Path,
) -> None:
    require_node_modules(E2E_DIR, "@apollo/client")
    with start_live_server(tmp_path, ACCESS_TOKEN_TTL="2") as server:
        register(server, "refresher", PASSWORD)
        done = subprocess.run(
            ["node", "apollo_refresh.mjs"],
            cwd=E2E_DIR,
            env=server.env
            | {
                "API_URL": f"{server.url}/graphql",
                "USERNAME": "refresher",
                "PASSWORD": PASSWORD,
                "WAIT_MS": "3000",
            },
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert (result.get("me") or {}).get("username") == "refresher", result
    assert result["operations"] == [
        ["Login", 200, []],
        ["Me", 200, ["UNAUTHENTICATED"]],
        ["Refresh", 200, []],
        ["Me", 200, []],
    ], result
