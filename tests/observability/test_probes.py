import subprocess
from typing import Any

import pytest
from django.db.utils import OperationalError
from django.test import Client

from observability import views


def test_healthz_answers_without_touching_the_database(client: Client) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["X-Request-ID"]


def test_probes_answer_a_load_balancer_that_probes_by_ip_address(client: Client) -> None:
    # Not in ALLOWED_HOSTS: any other path would get 400 from the host check.
    assert client.get("/healthz", HTTP_HOST="10.1.2.3:8000").status_code == 200
    assert client.get("/graphql", HTTP_HOST="10.1.2.3:8000").status_code == 400


@pytest.mark.django_db
def test_readyz_is_ok_when_the_database_answers(client: Client, settings: Any) -> None:
    settings.REDIS_URL = ""

    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok"}, "failed": []}


@pytest.mark.django_db
def test_readyz_names_the_database_when_it_fails(
    client: Client, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.REDIS_URL = ""

    def broken() -> None:
        raise OperationalError("connection refused")

    monkeypatch.setattr(views, "_check_database", broken)

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["failed"] == ["database"]
    assert response.json()["checks"]["database"] == "error: OperationalError"


@pytest.mark.django_db
def test_readyz_stays_200_but_degraded_naming_redis_when_redis_stops(
    client: Client, settings: Any, own_redis: tuple[str, subprocess.Popen[bytes]]
) -> None:
    # Every process shares the one Redis: a 503 would take the whole fleet out of the load
    # balancer while each process can still serve every query and mutation.
    url, process = own_redis
    settings.REDIS_URL = url
    assert client.get("/readyz").json()["checks"] == {"database": "ok", "redis": "ok"}

    process.terminate()
    process.wait(timeout=10)
    response = client.get("/readyz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["failed"] == ["redis"]
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"].startswith("error: ")
    # Never the URL: it can carry a password.
    assert url not in response.content.decode()
