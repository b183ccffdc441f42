"""Production mode: unexpected errors are masked and logged with a request id."""

import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from graph.schema import schema
from graph.security.errors import ApiSchema
from tests.security.conftest import RawPost, only_error

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
SECRET_DETAIL = "connection to 10.0.0.7 failed: password for db_admin"


@pytest.fixture(autouse=True)
def _normal_executor(settings: Any) -> None:
    # These pin the normal executor (its SQL, its resolvers); the compiled path, which
    # answers these queries on PostgreSQL, has its own tests in tests/graph/compiled.
    settings.GRAPHQL_COMPILED = False


def _boom(**_: Any) -> None:
    raise RuntimeError(SECRET_DETAIL)


def test_unexpected_error_is_masked_with_a_request_id_in_the_log(
    raw_post: RawPost, monkeypatch: Any, caplog: Any
) -> None:
    monkeypatch.setattr("graph.accounts.queries.user_by_username", _boom)
    with caplog.at_level(logging.ERROR, logger="graph.errors"):
        response = raw_post({"query": '{ user(username: "ann") { id } }'})
    assert response.status_code == 200
    payload = response.json()
    assert payload["data"] == {"user": None}
    [error] = payload["errors"]
    assert error["message"] == "Unexpected error."
    assert error["path"] == ["user"]
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    request_id = error["extensions"]["requestId"]
    assert SECRET_DETAIL not in response.content.decode()
    [record] = [r for r in caplog.records if request_id in r.getMessage()]
    assert record.exc_info is not None and record.exc_info[0] is RuntimeError
    assert SECRET_DETAIL in caplog.text and "Traceback" in caplog.text
    assert response.get("X-Request-ID", request_id) == request_id


def test_debug_mode_shows_the_message(raw_post: RawPost, monkeypatch: Any, settings: Any) -> None:
    settings.DEBUG = True
    monkeypatch.setattr("graph.accounts.queries.user_by_username", _boom)
    error = raw_post({"query": '{ user(username: "ann") { id } }'}).json()["errors"][0]
    assert error["message"] == SECRET_DETAIL
    assert error["extensions"]["requestId"]


def test_api_errors_pass_through(gql: Any) -> None:
    result = gql("mutation { logout { ok } }")
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert result["errors"][0]["message"] != "Unexpected error."


def test_a_fault_outside_execution_is_masked_json(
    raw_post: RawPost, monkeypatch: Any, caplog: Any
) -> None:
    def broken_context(*_: Any) -> None:
        raise RuntimeError(SECRET_DETAIL)

    monkeypatch.setattr("graph.views.context_for_request", broken_context)
    with caplog.at_level(logging.ERROR, logger="graph.errors"):
        response = raw_post({"query": "{ me { id } }"})
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    error = only_error(response.json())
    assert error["message"] == "Unexpected error."
    assert error["extensions"]["requestId"] in caplog.text
    assert SECRET_DETAIL not in response.content.decode()


def test_field_suggestions_are_off_in_production(raw_post: RawPost) -> None:
    error = only_error(raw_post({"query": "{ me { emial } }"}).json())
    assert error["message"] == "Cannot query field 'emial' on type 'User'."
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


def test_field_suggestions_help_in_debug(raw_post: RawPost, settings: Any) -> None:
    settings.DEBUG = True
    error = only_error(raw_post({"query": "{ me { emial } }"}).json())
    assert "Did you mean 'email'?" in error["message"]


def test_introspection_is_on_by_default(raw_post: RawPost) -> None:
    payload = raw_post({"query": "{ __schema { queryType { name } } }"}).json()
    assert payload == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


def test_introspection_can_be_switched_off(raw_post: RawPost, settings: Any) -> None:
    settings.GRAPHQL_INTROSPECTION = False
    payload = raw_post({"query": "{ __schema { queryType { name } } }"}).json()
    assert payload["data"] is None
    assert "introspection has been disabled" in payload["errors"][0]["message"]
    assert payload["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def _settings_in_subprocess(env: dict[str, str], expression: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; from django.conf import settings; django.setup(); "
            f"print(repr(({expression})))",
        ],
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_to_start_without_secret_key() -> None:
    done = _settings_in_subprocess({"DEBUG": "false"}, "settings.SECRET_KEY")
    assert done.returncode != 0
    assert "SECRET_KEY is not set" in done.stderr


def test_tls_deployments_get_secure_cookies_and_hsts() -> None:
    expression = (
        "settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE, "
        "settings.SECURE_HSTS_SECONDS, settings.SECURE_SSL_REDIRECT"
    )
    done = _settings_in_subprocess(
        {"DEBUG": "false", "SECRET_KEY": "x" * 50, "HTTPS": "true"}, expression
    )
    assert done.stdout.strip() == "(True, True, 31536000, True)", done.stderr
    plain = _settings_in_subprocess({"DEBUG": "false", "SECRET_KEY": "x" * 50}, expression)
    assert plain.stdout.strip() == "(False, False, 0, False)", plain.stderr


def test_schema_is_the_hardened_one() -> None:
    assert isinstance(schema, ApiSchema)
