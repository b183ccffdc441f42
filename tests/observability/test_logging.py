import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from observability.logging import log_ws_event, new_request_id
from social.models import User
from tests.conftest import GqlCall
from tests.factories import PASSWORD


def as_json(record: logging.LogRecord) -> dict[str, Any]:
    """The line the configured JSON formatter writes for this record."""
    options = dict(settings.LOGGING["formatters"]["json"])
    factory = options.pop("()")
    module, _, name = factory.rpartition(".")
    formatter = getattr(__import__(module, fromlist=[name]), name)(**options)
    line = formatter.format(record)
    assert "\n" not in line
    return json.loads(line)


def request_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [as_json(r) for r in caplog.records if r.name == "observability.request"]


@pytest.mark.django_db
def test_one_json_line_per_request_with_id_user_operation_duration_and_status(
    client: Client, gql: GqlCall, user_factory: Callable[..., User], caplog: Any
) -> None:
    user = user_factory()
    caplog.set_level(logging.INFO, logger="observability.request")

    response = client.post(
        "/graphql",
        {"query": "query WhoAmI { me { username } }"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {_token(user)}",
    )

    [line] = request_lines(caplog)
    assert line["request_id"] == response["X-Request-ID"]
    assert line["level"] == "INFO"
    assert line["logger"] == "observability.request"
    assert line["method"] == "POST"
    assert line["path"] == "/graphql"
    assert line["status"] == 200
    assert line["user_id"] == user.pk
    assert line["operation_name"] == "WhoAmI"
    assert line["operation_type"] == "query"
    assert isinstance(line["duration_ms"], float)


@pytest.mark.django_db
def test_a_proxy_request_id_is_kept_and_a_bad_one_replaced(client: Client, caplog: Any) -> None:
    caplog.set_level(logging.INFO, logger="observability.request")

    kept = client.get("/graphql", HTTP_X_REQUEST_ID="proxy-id-1234", HTTP_ACCEPT="text/html")
    replaced = client.get("/graphql", HTTP_X_REQUEST_ID="<script>", HTTP_ACCEPT="text/html")

    assert kept["X-Request-ID"] == "proxy-id-1234"
    assert replaced["X-Request-ID"] != "<script>"
    assert [line["request_id"] for line in request_lines(caplog)] == [
        "proxy-id-1234",
        replaced["X-Request-ID"],
    ]


@pytest.mark.django_db
def test_error_codes_are_logged_and_a_bad_token_is_not(client: Client, gql: GqlCall, caplog: Any):
    caplog.set_level(logging.DEBUG)

    gql("query WhoAmI { me { username } }", token="secret-looking-token-value")

    [line] = request_lines(caplog)
    assert line["error_codes"] == "UNAUTHENTICATED"
    assert line["user_id"] is None
    assert "secret-looking-token-value" not in caplog.text


@pytest.mark.django_db
def test_no_password_or_token_reaches_the_logs(
    gql: GqlCall, user_factory: Callable[..., User], caplog: Any
) -> None:
    user = user_factory()
    caplog.set_level(logging.DEBUG)

    result = gql(
        "mutation SignIn($input: LoginInput!) "
        "{ login(input: $input) { accessToken refreshToken } }",
        {"input": {"login": user.username, "password": PASSWORD}},
    )

    payload = result["data"]["login"]
    everything = "\n".join(json.dumps(as_json(record)) for record in caplog.records)
    assert PASSWORD not in everything
    assert payload["accessToken"] not in everything
    assert payload["refreshToken"] not in everything
    [line] = request_lines(caplog)
    assert line["operation_name"] == "SignIn"
    assert line["operation_type"] == "mutation"


def test_probes_are_logged_below_info(client: Client, caplog: Any) -> None:
    caplog.set_level(logging.INFO, logger="observability.request")

    client.get("/healthz")

    assert request_lines(caplog) == []


def test_ws_events_are_json_lines_without_secrets(caplog: Any) -> None:
    caplog.set_level(logging.INFO, logger="observability.ws")

    log_ws_event(
        "connection_init",
        connection_id="c1",
        user_id=7,
        authorization="Bearer abc.def",
        access_token="abc.def",
        payload={"authorization": "Bearer abc.def"},
    )

    [record] = [r for r in caplog.records if r.name == "observability.ws"]
    line = as_json(record)
    assert line["event"] == "connection_init"
    assert line["connection_id"] == "c1"
    assert line["user_id"] == 7
    assert "abc.def" not in json.dumps(line)


def test_request_ids_are_fresh_unless_given_a_sane_one() -> None:
    assert new_request_id(None) != new_request_id(None)
    assert new_request_id("abc") != "abc"  # too short to be an id
    assert new_request_id("0123456789abcdef") == "0123456789abcdef"


def _token(user: User) -> str:
    from social.services.tokens import access_token_issue

    return access_token_issue(user=user)


@pytest.mark.django_db
def test_a_session_user_is_logged_once_the_page_loaded_them(
    client: Client, user_factory: Callable[..., User], caplog: Any
) -> None:
    staff = user_factory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    caplog.set_level(logging.INFO, logger="observability.request")

    response = client.get("/admin/")

    [line] = request_lines(caplog)
    assert response.status_code == 200
    assert line["user_id"] == staff.pk
    assert line["operation_name"] is None


@pytest.mark.django_db(transaction=True)
async def test_under_asgi_the_middleware_runs_async_and_logs_the_same_line(
    user_factory: Callable[..., User], caplog: Any
) -> None:
    from asgiref.sync import sync_to_async
    from django.db import connections
    from django.test import AsyncClient

    user = await sync_to_async(user_factory)()
    token = await sync_to_async(_token)(user)
    caplog.set_level(logging.DEBUG, logger="observability.request")  # probes: DEBUG

    client = AsyncClient()
    response = await client.post(
        "/graphql",
        {"query": "query WhoAmI { me { username } }"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}", "X-Request-ID": "async-id-1"},
    )
    assert response.json() == {"data": {"me": {"username": user.username}}}
    probe = await client.get("/readyz")
    assert probe.status_code == 200

    graphql_line, probe_line = request_lines(caplog)
    assert response["X-Request-ID"] == graphql_line["request_id"] == "async-id-1"
    assert graphql_line["user_id"] == user.pk
    assert graphql_line["operation_name"] == "WhoAmI"
    assert probe_line["path"] == "/readyz" and probe_line["status"] == 200
    # The views' thread keeps its connection until Django's own cleanup, which a test
    # client does not run: closed here, or the test database cannot be dropped.
    await sync_to_async(connections.close_all)()


async def test_static_files_are_served_on_the_async_path() -> None:
    from django.test import AsyncClient

    from observability.middleware import StaticFilesMiddleware

    assert StaticFilesMiddleware.async_capable
    response = await AsyncClient().get("/static/admin/css/base.css")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")


def test_a_request_line_below_the_level_builds_no_fields(
    caplog: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # At LOG_LEVEL=WARNING (the bench's) the line is dropped before its fields are filtered.
    from observability import logging as request_logging

    filtered: list[dict[str, Any]] = []
    monkeypatch.setattr(request_logging, "safe_fields", lambda f: filtered.append(f) or f)
    caplog.set_level(logging.WARNING, logger="observability.request")
    request_logging.log_request(request_id="r" * 8, status=200)
    assert filtered == []
    caplog.set_level(logging.INFO, logger="observability.request")
    request_logging.log_request(request_id="r" * 8, status=200)
    assert len(filtered) == 1
