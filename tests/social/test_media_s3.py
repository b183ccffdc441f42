"""Media on an S3-compatible service through django-storages (MEDIA_STORAGE=s3), against a
real server on a local port: upload, read back, signed and public URLs, deletion."""

import io
import json
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from graph.ids import global_id
from social.models import Post
from social.services.tokens import access_token_issue
from tests import media_files
from tests.factories import make_user
from tests.s3_server import s3_endpoint  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

UPLOAD = (
    "mutation($file: Upload!) { uploadMedia(file: $file) { media { id url thumbnailUrl } "
    "errors { code } } }"
)
CREATE = (
    'mutation($ids: [ID!]) { createPost(input: {body: "", mediaIds: $ids}) { errors { code } } }'
)
DELETE = "mutation($id: ID!) { deletePost(id: $id) { errors { code } } }"
KEY, SECRET, REGION = "testing-key", "testing-secret", "us-east-1"


@pytest.fixture
def bucket(s3_endpoint: str, settings: Any) -> Iterator[Any]:  # noqa: F811
    name = f"media-{uuid.uuid4().hex[:12]}"
    s3 = boto3.resource(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id=KEY,
        aws_secret_access_key=SECRET,
        region_name=REGION,
    )
    s3.create_bucket(Bucket=name)
    settings.STORAGES = {
        **settings.STORAGES,
        "media": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": name,
                "endpoint_url": s3_endpoint,
                "region_name": REGION,
                "access_key": KEY,
                "secret_key": SECRET,
                "querystring_auth": True,
                "querystring_expire": 600,
                "default_acl": None,
                "file_overwrite": False,
            },
        },
    }
    settings.MEDIA_STORAGE = "s3"
    yield s3.Bucket(name)


def _keys(bucket: Any) -> set[str]:
    return {item.key for item in bucket.objects.all()}


def _upload(client: Client, data: bytes, user: Any) -> dict[str, Any]:
    response = client.post(
        "/graphql",
        {
            "operations": json.dumps({"query": UPLOAD, "variables": {"file": None}}),
            "map": json.dumps({"0": ["variables.file"]}),
            "0": SimpleUploadedFile("a.jpg", data, content_type="image/jpeg"),
        },
        HTTP_AUTHORIZATION=f"Bearer {access_token_issue(user=user)}",
    )
    assert response.status_code == 200, response.content
    return response.json()["data"]["uploadMedia"]  # type: ignore[no-any-return]


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (a local test server)
        return response.read()  # type: ignore[no-any-return]


def test_an_upload_is_stored_read_back_by_its_signed_url_and_deleted_with_its_post(
    client: Client, bucket: Any, django_capture_on_commit_callbacks: Any
) -> None:
    user = make_user("ann")
    media = _upload(client, media_files.jpeg((500, 300), orientation=6), user)["media"]
    keys = _keys(bucket)
    assert len(keys) == 2 and all(k.endswith(".webp") and "a.jpg" not in k for k in keys)
    # Signed URLs: they carry a signature and expire.
    assert "X-Amz-Signature=" in media["url"] or "Signature=" in media["url"]
    stored = Image.open(io.BytesIO(_get(media["url"])))
    assert (stored.format, stored.size) == ("WEBP", (300, 500))
    assert Image.open(io.BytesIO(_get(media["thumbnailUrl"]))).size == (240, 400)
    body = bucket.Object(sorted(keys)[0]).get()
    assert body["ContentLength"] > 0
    assert (
        client.post(
            "/graphql",
            json.dumps({"query": CREATE, "variables": {"ids": [media["id"]]}}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {access_token_issue(user=user)}",
        ).json()["data"]["createPost"]["errors"]
        == []
    )
    post_id = global_id("Post", Post.objects.get().pk)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/graphql",
            json.dumps({"query": DELETE, "variables": {"id": post_id}}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {access_token_issue(user=user)}",
        )
    assert _keys(bucket) == set()


def test_a_public_base_url_gives_plain_urls(
    client: Client,
    bucket: Any,
    settings: Any,
    s3_endpoint: str,  # noqa: F811
) -> None:
    options = settings.STORAGES["media"]["OPTIONS"]
    host = s3_endpoint.removeprefix("http://")
    settings.STORAGES = {
        **settings.STORAGES,
        "media": {
            **settings.STORAGES["media"],
            "OPTIONS": {
                **options,
                "querystring_auth": False,
                "custom_domain": f"{host}/{bucket.name}",
                "url_protocol": "http:",
                # A public bucket (or a CDN in front) serves the plain URLs.
                "default_acl": "public-read",
            },
        },
    }
    media = _upload(client, media_files.png(), make_user())["media"]
    assert media["url"].startswith(f"{s3_endpoint}/{bucket.name}/m/")
    assert "?" not in media["url"]
    assert Image.open(io.BytesIO(_get(media["url"]))).format == "WEBP"


def test_a_refused_file_leaves_nothing_in_the_bucket(client: Client, bucket: Any) -> None:
    payload = _upload(client, media_files.png_bomb(), make_user())
    assert [e["code"] for e in payload["errors"]] == ["TOO_LARGE"]
    truncated = _upload(client, media_files.truncated_jpeg(), make_user())
    assert [e["code"] for e in truncated["errors"]] == ["UNSUPPORTED_MEDIA"]
    assert _keys(bucket) == set()
