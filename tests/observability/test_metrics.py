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
