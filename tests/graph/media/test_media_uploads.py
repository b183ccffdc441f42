"""uploadMedia over the GraphQL multipart request spec: processing, limits, bad input."""

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from social.models import Media
from social.services.tokens import access_token_issue
from tests import media_files
from tests.factories import make_user

pytestmark = pytest.mark.django_db

UPLOAD = """mutation($file: Upload!, $alt: String) {
  uploadMedia(file: $file, altText: $alt) {
    media { id url thumbnailUrl width height mimeType altText }
    errors { field code message }
  }
}"""


def stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture(autouse=True)
def _empty_media_root() -> None:
    for path in stored_files():
        path.unlink()


def upload(
    client: Client,
    data: bytes,
    *,
    name: str = "photo.jpg",
    content_type: str = "image/jpeg",
    user: Any = None,
    alt: str | None = None,
    status: int = 200,
    **headers: Any,
) -> dict[str, Any]:
    """What apollo-upload-client sends: operations, map, then the file part "1"."""
    if user is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {access_token_issue(user=user)}"
    operations = {"query": UPLOAD, "variables": {"file": None, "alt": alt}}
    response = client.post(
        "/graphql",
        {
            "operations": json.dumps(operations),
            "map": json.dumps({"1": ["variables.file"]}),
            "1": SimpleUploadedFile(name, data, content_type=content_type),
        },
        **headers,
    )
    assert response.status_code == status, response.content
    return response.json()  # type: ignore[no-any-return]


def _payload(result: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in result, result
    return result["data"]["uploadMedia"]  # type: ignore[no-any-return]


def _fetch(client: Client, url: str) -> Image.Image:
    assert url.startswith("http://testserver/media/"), url
    response = client.get(url.removeprefix("http://testserver"))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    body = b"".join(response.streaming_content) if response.streaming else response.content  # type: ignore[attr-defined]
    return Image.open(io.BytesIO(body))


def test_a_jpeg_is_stored_as_webp_upright_and_without_its_metadata(client: Client) -> None:
    user = make_user("ann")
    # Orientation 6: the camera was turned; the stored image is upright, 200 x 300.
    data = media_files.jpeg((300, 200), orientation=6)
    assert media_files.GPS_MARK in data
    media = _payload(upload(client, data, user=user, alt="  A red flag  "))["media"]
    assert (media["width"], media["height"], media["mimeType"]) == (200, 300, "image/webp")
    assert media["altText"] == "A red flag"
    stored = _fetch(client, media["url"])
    assert stored.format == "WEBP" and stored.size == (200, 300)
    assert not stored.getexif() and "icc_profile" not in stored.info and "exif" not in stored.info
    # The green third was on the left; turned upright it is at the top.
    assert stored.convert("RGB").getpixel((100, 10))[1] > 150
    assert stored.convert("RGB").getpixel((100, 290))[0] > 150
    for path in stored_files():
        assert media_files.GPS_MARK not in path.read_bytes()
        assert b"CameraMaker" not in path.read_bytes()
        # Random names: nothing of the client's file name.
        assert "photo" not in path.name
    thumbnail = _fetch(client, media["thumbnailUrl"])
    assert thumbnail.size == (200, 300)


def test_a_big_image_is_fitted_to_2048_and_its_thumbnail_to_400(client: Client) -> None:
    media = _payload(upload(client, media_files.jpeg((3000, 1000)), user=make_user()))["media"]
    assert (media["width"], media["height"]) == (2048, 683)
    assert _fetch(client, media["thumbnailUrl"]).size == (400, 133)


@pytest.mark.parametrize(
    ("data", "size"),
    [
        (media_files.png(), (64, 48)),
        (media_files.png(mode="RGB"), (64, 48)),
        (media_files.webp(), (80, 60)),
        (media_files.gif(frames=3), (40, 30)),
        (media_files.jpeg_with_icc_profile(), (120, 80)),
        (media_files.cmyk_jpeg(), (90, 70)),
    ],
    ids=["png-alpha", "png", "webp", "gif-animated", "jpeg-icc", "jpeg-cmyk"],
)
def test_png_webp_and_gif_are_accepted_by_content(
    client: Client, data: bytes, size: tuple[int, int]
) -> None:
    # The declared name and type say nothing true; the content decides.
    result = upload(client, data, user=make_user(), name="x.txt", content_type="text/plain")
    media = _payload(result)["media"]
    assert (media["width"], media["height"]) == size
    stored = _fetch(client, media["url"])
    assert stored.format == "WEBP"
    assert stored.mode in ("RGB", "RGBA")
    assert "icc_profile" not in stored.info and "exif" not in stored.info


def test_a_16_bit_grayscale_png_keeps_its_tones(client: Client) -> None:
    # Its samples run to 65,535: taken as 8-bit values, every grey above 255 came out white.
    data = media_files.png_16bit_gray(level=32768)
    media = _payload(upload(client, data, user=make_user()))["media"]
    assert (media["width"], media["height"]) == (60, 40)
    for url in (media["url"], media["thumbnailUrl"]):
        red, green, blue = _fetch(client, url).convert("RGB").getpixel((10, 10))  # type: ignore[misc]
        assert 120 <= red <= 136 and red == green == blue


@pytest.mark.parametrize("mode", ["RGB", "L"])
def test_a_png_with_a_transparent_colour_stays_transparent(client: Client, mode: str) -> None:
    media = _payload(upload(client, media_files.png_colour_key(mode), user=make_user()))["media"]
    stored = _fetch(client, media["url"])
    assert stored.mode == "RGBA"
    assert stored.getpixel((1, 1))[3] == 0  # type: ignore[index]
    assert stored.getpixel((20, 20))[3] == 255  # type: ignore[index]


BAD_FILES = [
    ("text-renamed-jpg", b"just some text, honestly\n" * 10, "UNSUPPORTED_MEDIA"),
    ("truncated-jpeg", media_files.truncated_jpeg(), "UNSUPPORTED_MEDIA"),
    ("png-bomb", media_files.png_bomb(), "TOO_LARGE"),
    ("svg-with-script", media_files.SVG_WITH_SCRIPT, "UNSUPPORTED_MEDIA"),
    ("html-polyglot", b"<html>" + media_files.jpeg(), "UNSUPPORTED_MEDIA"),
    ("zero-bytes", b"", "UNSUPPORTED_MEDIA"),
]


@pytest.mark.parametrize(
    ("data", "code"), [(d, c) for _, d, c in BAD_FILES], ids=[n for n, _, _ in BAD_FILES]
)
def test_a_bad_file_is_a_payload_error_and_nothing_is_stored(
    client: Client, data: bytes, code: str
) -> None:
    payload = _payload(upload(client, data, user=make_user()))
    assert payload["media"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("file", code)]
    assert stored_files() == []
    assert not Media.objects.exists()


def test_a_polyglot_image_is_stored_without_what_rode_along(client: Client) -> None:
    data = media_files.polyglot_gif()
    media = _payload(upload(client, data, user=make_user(), name="a.html"))["media"]
    assert media is not None
    for path in stored_files():
        assert media_files.POLYGLOT_PAYLOAD not in path.read_bytes()


def test_a_file_over_media_max_bytes_is_too_large(client: Client, settings: Any) -> None:
    settings.MEDIA_MAX_BYTES = 2_000
    settings.MEDIA_MULTIPART_OVERHEAD = 1_000_000  # the body passes; the file does not
    payload = _payload(upload(client, media_files.jpeg((400, 400)), user=make_user()))
    assert [e["code"] for e in payload["errors"]] == ["TOO_LARGE"]
    assert stored_files() == []


def test_a_body_over_the_upload_limit_is_refused_with_413_before_it_is_read(
    client: Client, settings: Any
) -> None:
    settings.MEDIA_MAX_BYTES = 2_000
    settings.MEDIA_MULTIPART_OVERHEAD = 1_000
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    result = upload(client, media_files.jpeg((400, 400)), user=make_user(), status=413)
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "3,000 bytes" in result["errors"][0]["message"]
    assert stored_files() == []


def test_an_image_over_media_max_pixels_is_too_large(client: Client, settings: Any) -> None:
    settings.MEDIA_MAX_PIXELS = 100 * 100
    payload = _payload(upload(client, media_files.png((101, 100)), user=make_user()))
    assert [e["code"] for e in payload["errors"]] == ["TOO_LARGE"]
    assert stored_files() == []


def test_alt_text_over_1500_characters_is_too_long(client: Client) -> None:
    payload = _payload(upload(client, media_files.png(), user=make_user(), alt="a" * 1501))
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("altText", "TOO_LONG")]
    assert stored_files() == []
    ok = _payload(upload(client, media_files.png(), user=make_user(), alt="a" * 1500))
    assert len(ok["media"]["altText"]) == 1500


def test_uploads_count_against_the_users_quota(client: Client, settings: Any) -> None:
    user = make_user()
    first = _payload(upload(client, media_files.png(), user=user))["media"]
    used = Media.objects.get().size
    settings.MEDIA_QUOTA_BYTES = used + 10
    payload = _payload(upload(client, media_files.png(), user=user))
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("file", "TOO_LARGE")]
    assert Media.objects.count() == 1 and first is not None
    assert len(stored_files()) == 2  # the first upload's two renditions only
    # Another user has their own quota.
    assert _payload(upload(client, media_files.png(), user=make_user()))["media"] is not None


def test_uploads_per_hour_are_limited(client: Client, settings: Any) -> None:
    settings.RATELIMIT_UPLOADS = "1/h"
    user = make_user()
    assert _payload(upload(client, media_files.png(), user=user))["media"] is not None
    payload = _payload(upload(client, media_files.png(), user=user))
    assert [e["code"] for e in payload["errors"]] == ["RATE_LIMITED"]
    assert Media.objects.count() == 1


def test_processing_waits_for_a_slot_then_refuses(client: Client, settings: Any) -> None:
    from social.media import processing

    settings.MEDIA_PROCESSING_CONCURRENCY = 1
    settings.MEDIA_PROCESSING_WAIT = 0.05
    slots = processing._processing_slots()
    assert slots.acquire(timeout=1)
    try:
        payload = _payload(upload(client, media_files.png(), user=make_user()))
    finally:
        slots.release()
    assert [e["code"] for e in payload["errors"]] == ["RATE_LIMITED"]
    assert stored_files() == []


def test_signed_out_uploads_are_unauthenticated(client: Client) -> None:
    result = upload(client, media_files.png())
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert stored_files() == []


def test_cookie_uploads_need_the_csrf_token_and_bearer_ones_do_not() -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("cookie_user"))
    refused = upload(client, media_files.png(), status=403)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert stored_files() == []
    client.get("/admin/login/")  # sets the csrftoken cookie
    token = client.cookies["csrftoken"].value
    assert _payload(upload(client, media_files.png(), HTTP_X_CSRFTOKEN=token))["media"]
    bearer = Client(enforce_csrf_checks=True)
    assert _payload(upload(bearer, media_files.png(), user=make_user()))["media"]


def _multipart(client: Client, fields: dict[str, Any], user: Any) -> Any:
    token = access_token_issue(user=user)
    return client.post("/graphql", fields, HTTP_AUTHORIZATION=f"Bearer {token}")


def _file() -> SimpleUploadedFile:
    return SimpleUploadedFile("a.png", media_files.png(), content_type="image/png")


OPERATIONS = json.dumps({"query": UPLOAD, "variables": {"file": None}})
MALFORMED = [
    (
        "map-names-no-variable",
        {"operations": OPERATIONS, "map": '{"1": ["variables.nope"]}', "1": "f"},
    ),
    ("map-outside-variables", {"operations": OPERATIONS, "map": '{"1": ["query"]}', "1": "f"}),
    (
        "two-files-one-variable",
        {
            "operations": OPERATIONS,
            "map": '{"1": ["variables.file"], "2": ["variables.file"]}',
            "1": "f",
            "2": "f",
        },
    ),
    ("missing-file-part", {"operations": OPERATIONS, "map": '{"1": ["variables.file"]}'}),
    ("file-not-in-map", {"operations": OPERATIONS, "map": "{}", "1": "f"}),
    ("operations-not-json", {"operations": "{nope", "map": "{}"}),
    ("no-operations", {"map": "{}"}),
    ("map-not-an-object", {"operations": OPERATIONS, "map": "[1]", "1": "f"}),
    ("batched-operations", {"operations": json.dumps([json.loads(OPERATIONS)]), "map": "{}"}),
]


@pytest.mark.parametrize("fields", [f for _, f in MALFORMED], ids=[n for n, _ in MALFORMED])
def test_a_malformed_multipart_request_is_a_request_error(
    client: Client, fields: dict[str, Any]
) -> None:
    fields = {k: _file() if v == "f" else v for k, v in fields.items()}
    response = _multipart(client, fields, make_user())
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert stored_files() == []
    assert not Media.objects.exists()


def test_a_string_where_the_file_goes_is_a_request_error(gql: Any) -> None:
    result = gql(UPLOAD, {"file": "not a file"}, as_user=make_user())
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert stored_files() == []


def test_uploads_to_a_server_with_uploads_disabled_are_refused(
    client: Client, settings: Any
) -> None:
    settings.MEDIA_UPLOADS_ENABLED = False
    fields = {"operations": OPERATIONS, "map": '{"1": ["variables.file"]}', "1": _file()}
    response = _multipart(client, fields, make_user())
    assert response.status_code == 400
    assert "not enabled" in response.json()["errors"][0]["message"]
    assert stored_files() == []


@pytest.mark.parametrize(
    "path", ["/media/../config/settings.py", "/media/m/x.py", "/media/%2e%2e/db.sqlite3"]
)
def test_only_stored_images_are_served_from_media_url(client: Client, path: str) -> None:
    assert client.get(path).status_code == 404
