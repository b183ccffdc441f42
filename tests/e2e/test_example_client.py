"""examples/client.mjs against a real server, so the example cannot rot."""

import json
import queue
import subprocess
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.e2e.conftest import ROOT, LiveServer, free_port, register, require_node_modules

EXAMPLES = ROOT / "examples"
FOLLOW = "mutation F($id: ID!) { followUser(userId: $id) { errors { code } } }"
CREATE_POST = "mutation P($body: String!) { createPost(input: {body: $body}) { errors { code } } }"


class RunningClient:
    """The example client as a child process, read line by line."""

    def __init__(self, server: LiveServer, **env: str) -> None:
        self.lines: queue.Queue[dict[str, Any]] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        self.process = subprocess.Popen(
            ["node", "client.mjs"],
            cwd=EXAMPLES,
            env=server.env | {"API_URL": f"{server.url}/graphql", **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            try:
                self.lines.put(json.loads(line))
            except json.JSONDecodeError:
                self.lines.put({"event": "output", "text": line.rstrip()})

    def wait_for(self, event: str, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no {event!r} line; saw {self.seen}"
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                continue
            self.seen.append(line)
            assert line["event"] != "error", self.seen
            if line["event"] == event:
                return line

    def finish(self) -> int:
        try:
            return self.process.wait(timeout=30)
        finally:
            if self.process.poll() is None:
                self.process.kill()


def test_example_client_signs_in_reads_the_feed_follows_and_prints_live_notifications(
    live_server_process: LiveServer,
) -> None:
    require_node_modules(EXAMPLES, "@apollo/client")
    server = live_server_process
    other = register(server, "brook", "a-long-example-password-2")
    server.graphql(CREATE_POST, {"body": "brook's first post"}, token=other["accessToken"])
    account = {"USERNAME": "river", "PASSWORD": "a-long-example-password-1", "FOLLOW": "brook"}

    # First run: registers, follows brook, then hears brook follow back.
    first = RunningClient(server, EXIT_AFTER_EVENTS="1", **account)
    assert first.wait_for("registered")["username"] == "river"
    signed_in = first.wait_for("signed_in")
    assert first.wait_for("home_feed")["count"] == 0
    assert first.wait_for("followed") == {"event": "followed", "username": "brook", "followers": 1}
    first.wait_for("listening")
    first.wait_for("connected")
    time.sleep(1)  # the subscribe message follows connection_ack
    result = server.graphql(FOLLOW, {"id": signed_in["id"]}, token=other["accessToken"])
    assert result["data"]["followUser"]["errors"] == []
    event = first.wait_for("notification")
    assert (event["kind"], event["actor"], event["unread"]) == ("FOLLOW", "brook", 1)
    assert first.finish() == 0

    # Second run: logs in; the feed has brook's post; a mention arrives live.
    second = RunningClient(server, EXIT_AFTER_EVENTS="1", **account)
    second.wait_for("signed_in")
    feed = second.wait_for("home_feed")
    assert [post["body"] for post in feed["posts"]] == ["brook's first post"]
    assert "registered" not in [line["event"] for line in second.seen]
    second.wait_for("listening")
    second.wait_for("connected")
    time.sleep(1)
    server.graphql(CREATE_POST, {"body": "hello @river"}, token=other["accessToken"])
    event = second.wait_for("notification")
    assert (event["kind"], event["actor"], event["post"]) == ("MENTION", "brook", "hello @river")
    assert event["unread"] == 2
    assert second.finish() == 0


def _run_to_the_end(server: LiveServer, **env: str) -> tuple[int, list[dict[str, Any]]]:
    done = subprocess.run(
        ["node", "client.mjs"],
        cwd=EXAMPLES,
        env=server.env | {"API_URL": f"{server.url}/graphql", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done.returncode, [json.loads(line) for line in done.stdout.splitlines() if line]


def test_example_client_reports_a_wrong_password_as_such_with_exit_code_2(
    live_server_process: LiveServer,
) -> None:
    require_node_modules(EXAMPLES, "@apollo/client")
    register(live_server_process, "marsh", "a-long-example-password-3")
    code, lines = _run_to_the_end(
        live_server_process, USERNAME="marsh", PASSWORD="not-the-password-of-marsh"
    )
    assert code == 2, lines
    assert lines[-1]["event"] == "error"
    assert lines[-1]["message"].startswith("wrong password for marsh"), lines
    assert "taken" not in lines[-1]["message"].lower()


def test_example_client_reports_an_unreachable_server_with_exit_code_3(
    live_server_process: LiveServer,
) -> None:
    require_node_modules(EXAMPLES, "@apollo/client")
    nobody = f"http://127.0.0.1:{free_port()}/graphql"
    code, lines = _run_to_the_end(live_server_process, API_URL=nobody)
    assert code == 3, lines
    assert lines == [
        {
            "event": "error",
            "message": f"cannot reach API_URL {nobody} (ECONNREFUSED): is the server running?",
        }
    ]


def test_example_client_reports_a_url_that_is_not_the_api_with_exit_code_3(
    live_server_process: LiveServer,
) -> None:
    require_node_modules(EXAMPLES, "@apollo/client")
    # The server's address without /graphql: something answers, but not the API.
    wrong_path = f"{live_server_process.url}/"
    code, lines = _run_to_the_end(live_server_process, API_URL=wrong_path)
    assert code == 3, lines
    assert lines == [
        {
            "event": "error",
            "message": f"API_URL {wrong_path} answered HTTP 404, not as the GraphQL API: is it "
            "the server's /graphql URL (e.g. http://127.0.0.1:8000/graphql)?",
        }
    ]


class _RefusingAPI(BaseHTTPRequestHandler):
    """Answers every request as the API does when it refuses a request before running it."""

    content_type = "application/json"

    def do_POST(self) -> None:
        body = json.dumps(
            {"data": None, "errors": [{"message": "Too large.", "extensions": {"code": "X"}}]}
        ).encode()
        self.send_response(413)
        self.send_header("Content-Type", self.content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.mark.parametrize(
    ("content_type", "message"),
    [
        ("application/json", "the API answered HTTP 413: X: Too large."),
        # What the API answers Apollo Client 4, which reads it as a GraphQL error.
        ("application/graphql-response+json", "X: Too large."),
    ],
)
def test_example_client_reports_the_apis_own_http_error_with_its_message(
    live_server_process: LiveServer, content_type: str, message: str
) -> None:
    require_node_modules(EXAMPLES, "@apollo/client")
    handler = type("Refusing", (_RefusingAPI,), {"content_type": content_type})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/graphql"
        code, lines = _run_to_the_end(live_server_process, API_URL=url)
    finally:
        server.shutdown()
        server.server_close()
    assert code == 1, lines
    assert lines == [{"event": "error", "message": message}]


def test_example_client_says_why_a_new_account_cannot_be_registered(
    live_server_process: LiveServer,
) -> None:
    require_node_modules(EXAMPLES, "@apollo/client")
    code, lines = _run_to_the_end(live_server_process, USERNAME="fen", PASSWORD="short")
    assert code == 2, lines
    assert lines[-1]["event"] == "error"
    assert lines[-1]["message"].startswith(
        "cannot register fen (no account by that name yet): password: "
    ), lines


def _proxy_without_websockets(target: str) -> ThreadingHTTPServer:
    """Passes POSTs on to `target` and answers a WebSocket upgrade with 400, as a proxy
    configured without the upgrade headers does."""

    class Proxy(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            headers = {k: v for k, v in self.headers.items() if k.lower() in PASSED_HEADERS}
            request = urllib.request.Request(target, body, headers)  # noqa: S310 - 127.0.0.1
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                answer = response.read()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def do_GET(self) -> None:
            self.send_response(400)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    return ThreadingHTTPServer(("127.0.0.1", 0), Proxy)


PASSED_HEADERS = {"content-type", "authorization"}


def test_example_client_reports_a_refused_websocket_with_exit_code_3(
    live_server_process: LiveServer,
) -> None:
    require_node_modules(EXAMPLES, "@apollo/client")
    register(live_server_process, "wade", "a-long-example-password-4")
    proxy = _proxy_without_websockets(f"{live_server_process.url}/graphql")
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{proxy.server_address[1]}/graphql"
        code, lines = _run_to_the_end(
            live_server_process, API_URL=url, USERNAME="wade", PASSWORD="a-long-example-password-4"
        )
    finally:
        proxy.shutdown()
        proxy.server_close()
    assert code == 3, lines
    assert [line["event"] for line in lines] == ["signed_in", "home_feed", "listening", "error"]
    ws_url = url.replace("http://", "ws://")
    assert lines[-1]["message"] == (
        f"cannot open a WebSocket to {ws_url} (Unexpected server response: 400): HTTP works, "
        "so the server, or a proxy before it, does not take WebSocket upgrades there"
    )
