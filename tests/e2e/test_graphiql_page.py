"""The GraphiQL page without a browser: our template, every file served by the backend."""

import base64
import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
import strawberry
from django.test import Client

from tests.e2e.conftest import ROOT

STATIC = ROOT / "graph" / "static" / "graphiql"


@pytest.fixture
def page(client: Client) -> str:
    response = client.get("/graphql", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    return response.content.decode()


def test_graphiql_loads_only_files_of_this_backend(page: str, client: Client) -> None:
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)

    assert "/static/graphiql/graphiql.min.js" in assets
    assert "/static/graphiql/plugin-explorer.umd.js" in assets
    assert "/static/graphiql/init.js" in assets
    for asset in assets:
        assert asset.startswith("/static/graphiql/"), asset
        response: Any = client.get(asset)
        assert response.status_code == 200, asset
    assert "unpkg" not in page
    assert "cdn" not in page.lower()


def test_graphiql_page_has_no_inline_script_and_a_strict_csp(page: str) -> None:
    assert "script-src 'self';" in page
    # Every <script> has a src: the page runs without 'unsafe-inline'.
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == []


def test_vendored_files_are_the_pinned_versions() -> None:
    readme = (STATIC / "README.md").read_text()
    script = (ROOT / "scripts" / "vendor_graphiql.sh").read_text()
    for pin in ("react@18.2.0", "react-dom@18.2.0", "graphiql@3.8.3", "plugin-explorer@1.0.2"):
        assert pin in script
    for version in ("18.2.0", "3.0.5", "3.8.3", "1.0.2"):
        assert version in readme
    assert 'version="18.2.0"' in (STATIC / "react.production.min.js").read_text()


def test_vendored_files_match_their_recorded_sha256() -> None:
    recorded = re.findall(r"^([0-9a-f]{64})  (\S+)$", (STATIC / "README.md").read_text(), re.M)
    assert len(recorded) == 7
    for digest, name in recorded:
        assert hashlib.sha256((STATIC / name).read_bytes()).hexdigest() == digest, name


def test_vendored_files_are_byte_identical_to_the_ones_strawberry_pins() -> None:
    """Strawberry's own page loads the same versions from a CDN with these SRI hashes."""
    strawberry_page = (Path(strawberry.__file__).parent / "static" / "graphiql.html").read_text()
    ours = (ROOT / "graph" / "templates" / "graphql" / "graphiql.html").read_text()
    names = [n for _, n in re.findall(r"^([0-9a-f]{64})  (\S+)$", _readme(), re.M)]
    for name in names:
        digest = base64.b64encode(hashlib.sha384((STATIC / name).read_bytes()).digest()).decode()
        assert f'integrity="sha384-{digest}"' in strawberry_page, name
        assert f'integrity="sha384-{digest}"' in ours, name


def _readme() -> str:
    return (STATIC / "README.md").read_text()
