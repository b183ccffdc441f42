import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from social.models import User
from tests.conftest import GqlCall

ME = "query WhoAmI { me { username } }"


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text format (0 when absent)."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in text.splitlines():
        match = re.match(r"^(\w+)\{(.*)\} (\S+)$", line)
        if match and match[1] == name:
            got = ",".join(sorted(match[2].split(",")))
            if got == wanted:
                return float(match[3])
    return 0.0


@pytest.fixture(autouse=True)
def _metrics_readable_from_here(settings: Any) -> None:
    """/metrics is closed by default: these tests read it as an allowed address."""
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1"]


@pytest.mark.django_db
def test_metrics_count_operations_by_name_and_type_and_errors_by_code(
    client: Client, gql: GqlCall, user_factory: Callable[..., User]
) -> None:
    before = client.get("/metrics").content.decode()
    user = user_factory()

    for _ in range(3):
        gql(ME, as_user=user)
    gql(ME, token="not-a-valid-token")

    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    count = "graphql_request_duration_seconds_count"
    labels = {"operation_name": "WhoAmI", "operation_type": "query"}
    assert sample(text, count, **labels) - sample(before, count, **labels) == 4
    errors_before = sample(before, "graphql_errors_total", code="UNAUTHENTICATED")
    assert sample(text, "graphql_errors_total", code="UNAUTHENTICATED") - errors_before == 1
    # The WebSocket side's metrics are exposed too, even before any socket opened.
    assert "graphql_websockets_open" in text


@pytest.mark.django_db
def test_a_syntax_error_counts_as_the_clients_error_not_ours(client: Client, gql: GqlCall) -> None:
    before = client.get("/metrics").content.decode()

    body = gql(") { edges {")

    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    text = client.get("/metrics").content.decode()
    for code, grew in (("BAD_USER_INPUT", 1), ("INTERNAL_SERVER_ERROR", 0)):
        counted = sample(text, "graphql_errors_total", code=code)
        assert counted - sample(before, "graphql_errors_total", code=code) == grew


@pytest.mark.django_db
def test_anonymous_operations_share_one_label(client: Client, gql: GqlCall) -> None:
    gql("{ me { username } }")

    text = client.get("/metrics").content.decode()

    labels = {"operation_name": "anonymous", "operation_type": "query"}
    assert sample(text, "graphql_request_duration_seconds_count", **labels) >= 1


def test_metrics_token_is_required_when_set(client: Client, settings: Any) -> None:
    settings.METRICS_TOKEN = "scrape-secret"

    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret").status_code == 200


def test_metrics_allowed_ips_restrict_by_address(client: Client, settings: Any) -> None:
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8"]
    assert client.get("/metrics").status_code == 403  # the test client is 127.0.0.1

    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8", "127.0.0.1"]
    assert client.get("/metrics").status_code == 200


def test_with_a_token_and_addresses_both_must_match(client: Client, settings: Any) -> None:
    settings.DEBUG = False
    settings.METRICS_TOKEN = "scrape-secret"
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8"]
    good = "Bearer scrape-secret"
    assert (
        client.get("/metrics", REMOTE_ADDR="10.0.0.5", HTTP_AUTHORIZATION=good).status_code == 200
    )
    # The right token from elsewhere, or the right address without the token: closed.
    assert (
        client.get("/metrics", REMOTE_ADDR="192.0.2.1", HTTP_AUTHORIZATION=good).status_code == 403
    )
    assert client.get("/metrics", REMOTE_ADDR="10.0.0.5").status_code == 403
    wrong = "Bearer scrape-secreT"
    assert (
        client.get("/metrics", REMOTE_ADDR="10.0.0.5", HTTP_AUTHORIZATION=wrong).status_code == 403
    )


@pytest.mark.django_db
def test_only_names_that_succeeded_become_labels(
    client: Client, settings: Any, gql: GqlCall, user_factory: Callable[..., User]
) -> None:
    settings.METRICS_TOKEN = "scrape-secret"
    scrape = {"HTTP_AUTHORIZATION": "Bearer scrape-secret"}
    count = "graphql_request_duration_seconds_count"
    before = client.get("/metrics", **scrape).content.decode()

    # A probe's names that never succeed stay out of the label set.
    for n in range(20):
        gql(f"query Probe{n} {{ noSuchField }}")
        gql(f"query Unauth{n} {{ me {{ username }} }}", token="not-a-valid-token")
    gql("query ProbeOk { me { username } }", as_user=user_factory())

    text = client.get("/metrics", **scrape).content.decode()
    # Exact labels: other tests' labels (test_client_caches's "Probe<hex>x0") may share a prefix.
    assert 'operation_name="Probe0"' not in text and 'operation_name="Unauth0"' not in text
    other = {"operation_name": "other", "operation_type": "query"}
    assert sample(text, count, **other) - sample(before, count, **other) == 40
    ok = {"operation_name": "ProbeOk", "operation_type": "query"}
    assert sample(text, count, **ok) == 1
    # Once a name has succeeded, its failures keep its label.
    gql("query ProbeOk { me { username } }", token="not-a-valid-token")
    text = client.get("/metrics", **scrape).content.decode()
    assert sample(text, count, **ok) == 2


def test_metrics_are_closed_by_default_without_debug(client: Client, settings: Any) -> None:
    settings.DEBUG = False
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = []
    response = client.get("/metrics")
    assert response.status_code == 403
    assert b"METRICS_TOKEN" in response.content

    settings.DEBUG = True
    assert client.get("/metrics").status_code == 200


@pytest.mark.parametrize(
    ("trusted_proxy", "forwarded", "status"),
    [
        # Without TRUSTED_PROXY the header is the client's own claim: ignored.
        (False, "10.1.2.3", 403),
        # Behind the proxy, its appended (last) hop is the client; earlier hops are forgeable.
        (True, "10.1.2.3", 200),
        (True, "10.1.2.3, 192.0.2.7", 403),
        (True, "192.0.2.7, 10.1.2.3", 200),
    ],
)
def test_metrics_address_comes_from_the_proxy_only_when_trusted(
    client: Client, settings: Any, trusted_proxy: bool, forwarded: str, status: int
) -> None:
    settings.DEBUG = False
    settings.TRUSTED_PROXY = trusted_proxy
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8"]
    response = client.get("/metrics", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert response.status_code == status
