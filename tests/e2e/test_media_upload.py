"""Uploads against a real server: apollo-upload-client from Node (then the thumbnail in an
<img> in headless Chromium), `curl -F`, and a body far over the limit cut off early."""

import http.client
import io
import json
import select
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from tests import media_files
from tests.e2e.conftest import (
    E2E_DIR,
    LiveServer,
    chromium_path,
    register,
    require_node_modules,
    start_live_server,
)

UPLOAD = (
    "mutation($file: Upload!) { uploadMedia(file: $file) { "
    "media { id url thumbnailUrl width height mimeType } errors { code } } }"
)
MAX_BYTES = 1_000_000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("media-server")
    with start_live_server(
        folder, MEDIA_ROOT=str(folder / "media"), MEDIA_MAX_BYTES=str(MAX_BYTES)
    ) as live:
        yield live


def _image_file(tmp_path: Path) -> Path:
    path = tmp_path / "photo.jpg"
    path.write_bytes(media_files.jpeg((1200, 800), orientation=6))
    return path


def _fetch(url: str) -> Image.Image:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (our server)
        assert response.headers["Content-Type"] == "image/webp"
        return Image.open(io.BytesIO(response.read()))


def test_apollo_upload_client_uploads_and_chromium_shows_the_thumbnail(
    server: LiveServer, tmp_path: Path
) -> None:
    require_node_modules(E2E_DIR, "apollo-upload-client")
    browser = chromium_path()
    token = register(server, "uploader", "a-long-password-1")["accessToken"]
    done = subprocess.run(
        ["node", "upload_media.mjs"],
        cwd=E2E_DIR,
        env=server.env
        | {
            "API_URL": f"{server.url}/graphql",
            "TOKEN": token,
            "IMAGE_PATH": str(_image_file(tmp_path)),
            "CHROMIUM_PATH": browser,
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    report = json.loads(done.stdout.strip().splitlines()[-1])
    media = report["upload"]["media"]
    assert report["upload"]["errors"] == []
    assert (media["width"], media["height"], media["mimeType"]) == (800, 1200, "image/webp")
    assert media["url"].startswith(f"{server.url}/media/")
    assert report["post"]["errors"] == []
    assert [m["id"] for m in report["post"]["post"]["media"]] == [media["id"]]
    assert report["image"]["loaded"] is True, report["image"]
    assert (report["image"]["width"], report["image"]["height"]) == (267, 400)
    assert "GraphiQL" in report["image"]["graphiqlTitle"]
    assert _fetch(media["url"]).size == (800, 1200)


def test_curl_uploads_with_form_fields(server: LiveServer, tmp_path: Path) -> None:
    token = register(server, "curler", "a-long-password-2")["accessToken"]
    operations = json.dumps({"query": UPLOAD, "variables": {"file": None}})
    done = subprocess.run(
        [
            "curl",
            "-sS",
            f"{server.url}/graphql",
            "-H",
            f"Authorization: Bearer {token}",
            "-F",
            f"operations={operations}",
            "-F",
            'map={"0": ["variables.file"]}',
            "-F",
            f"0=@{_image_file(tmp_path)}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)["data"]["uploadMedia"]
    assert payload["errors"] == []
    assert _fetch(payload["media"]["thumbnailUrl"]).size == (267, 400)


def test_a_huge_chunked_body_is_cut_off_at_the_limit(server: LiveServer) -> None:
    """1 GB offered without a Content-Length: the server answers 413 once the limit is
    passed, long before the client is done, and drops what follows."""
    host, port = server.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.putrequest("POST", "/graphql")
    connection.putheader("Content-Type", "multipart/form-data; boundary=x")
    connection.putheader("Transfer-Encoding", "chunked")
    connection.endheaders()
    assert connection.sock is not None
    chunk = b"x" * 65536
    sent, answered = 0, False
    deadline = time.monotonic() + 60
    try:
        while sent < 1024**3 and time.monotonic() < deadline:
            if select.select([connection.sock], [], [], 0)[0]:
                answered = True
                break
            connection.sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            sent += len(chunk)
    except (BrokenPipeError, ConnectionResetError):
        answered = True
    assert answered
    # Cut off near the limit (what was in flight and the bounded drain aside).
    assert sent < 10 * MAX_BYTES, sent
    response = connection.getresponse()
    assert response.status == 413
    assert json.loads(response.read())["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    connection.close()


def test_the_example_client_posts_a_picture(server: LiveServer) -> None:
    from tests.e2e.test_example_client import EXAMPLES, RunningClient

    require_node_modules(EXAMPLES, "@apollo/client")
    picture = EXAMPLES.parent / "docs" / "graphiql.png"
    running = RunningClient(
        server, USERNAME="painter", PASSWORD="a-long-password-3", PICTURE=str(picture)
    )
    try:
        posted = running.wait_for("posted_picture")
    finally:
        running.process.kill()
    with Image.open(picture) as original:
        longer = max(original.size)
    assert max(posted["width"], posted["height"]) == min(longer, 2048)
    assert _fetch(posted["thumbnailUrl"]).format == "WEBP"
