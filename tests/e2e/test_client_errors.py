"""What Apollo Client 4 (tests/e2e/client_errors.mjs) hands an app for each failure the API
answers: a GraphQL error with its `extensions.code`, whether the server answered 200 (auth,
bad arguments) or 4xx (a body over the limit, a batch), never an opaque server error."""

import json
import subprocess

from tests.e2e.conftest import E2E_DIR, LiveServer, register, require_node_modules


def test_apollo_client_reads_the_code_of_every_error_the_api_answers(
    live_server_process: LiveServer,
) -> None:
    require_node_modules(E2E_DIR, "@apollo/client")
    server = live_server_process
    owner = register(server, "errors_owner", "a-long-e2e-password-7")
    other = register(server, "errors_other", "a-long-e2e-password-8")
    done = subprocess.run(
        ["node", "client_errors.mjs"],
        cwd=E2E_DIR,
        env=server.env
        | {
            "API_URL": f"{server.url}/graphql",
            "OWNER_TOKEN": owner["accessToken"],
            "OTHER_TOKEN": other["accessToken"],
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])

    def graphql_error(code: str) -> dict[str, object]:
        return {"class": "CombinedGraphQLErrors", "codes": [code], "status": None}

    assert result["signedOut"] == graphql_error("UNAUTHENTICATED"), result
    assert result["badToken"] == graphql_error("UNAUTHENTICATED"), result
    assert result["notTheAuthor"] == graphql_error("FORBIDDEN"), result
    assert result["pageTooLarge"] == graphql_error("BAD_USER_INPUT"), result
    # Answered 413 and 400: read as GraphQL responses, not as ServerErrors.
    assert result["bodyTooLarge"] == graphql_error("BAD_USER_INPUT"), result
    assert result["batch"] == graphql_error("BAD_USER_INPUT"), result
    assert result["fine"] == {"class": None, "codes": None, "status": None}, result
