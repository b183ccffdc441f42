"""GraphiQL at /graphql in headless Chromium: a typed query, then a live subscription event."""

import json
import subprocess

from tests.e2e.conftest import (
    E2E_DIR,
    OUTPUT_DIR,
    LiveServer,
    chromium_path,
    register,
    require_node_modules,
)

STAFF_USER = "staffer"
STAFF_PASSWORD = "staff-e2e-password-41"
POST_BODY = "hello from the GraphiQL test"


def test_graphiql_runs_a_typed_query_and_shows_a_live_notification(
    live_server_process: LiveServer,
) -> None:
    require_node_modules(E2E_DIR, "playwright-core")
    chromium = chromium_path()
    server = live_server_process
    recipient = register(server, "grace", "a-long-e2e-password-1")
    follower = register(server, "ada", "a-long-e2e-password-2")
    server.manage_py_python(
        "from social.models import User\n"
        "from social.services.posts import post_create\n"
        f"staff = User(username={STAFF_USER!r}, email='staff@example.com', is_staff=True,"
        " is_superuser=True)\n"
        f"staff.set_password({STAFF_PASSWORD!r}); staff.save()\n"
        f"post_create(author=User.objects.get(username='grace'), body={POST_BODY!r})\n"
    )
    OUTPUT_DIR.mkdir(exist_ok=True)
    screenshot = OUTPUT_DIR / "graphiql-e2e.png"
    screenshot.unlink(missing_ok=True)

    done = subprocess.run(
        ["node", "graphiql.mjs"],
        cwd=E2E_DIR,
        env=server.env
        | {
            "CHROMIUM_PATH": chromium,
            "E2E_BASE_URL": server.url,
            "E2E_SCREENSHOT": str(screenshot),
            "E2E_STAFF_USER": STAFF_USER,
            "E2E_STAFF_PASSWORD": STAFF_PASSWORD,
            "E2E_EXPECT_POST": POST_BODY,
            "E2E_RECIPIENT_TOKEN": recipient["accessToken"],
            "E2E_RECIPIENT_ID": recipient["user"]["id"],
            "E2E_FOLLOWER_TOKEN": follower["accessToken"],
            "E2E_FOLLOWER_NAME": "ada",
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
    # The query was typed into the editor, and ran with the admin session's cookie.
    assert result["typed"].startswith("query Hello { me { username } publicFeed"), context
    assert STAFF_USER in result["query_response"]
    assert POST_BODY in result["query_response"]
    # The follow from the other client arrived as a live event on the subscription.
    assert result["follow"]["data"]["followUser"]["errors"] == [], context
    assert "FOLLOW" in result["event_response"]
    assert "ada" in result["event_response"]
    # Offline and CSP-clean: nothing loaded from elsewhere, nothing refused.
    assert result["foreign_requests"] == []
    assert not [p for p in result["problems"] if "Content Security Policy" in p], context
    assert not [p for p in result["problems"] if p.startswith("page error")], context
    assert screenshot.stat().st_size > 10_000
