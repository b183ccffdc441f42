import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

RawPost = Callable[..., Any]


@pytest.fixture
def raw_post(client: Client) -> RawPost:
    """POSTs any body to /graphql and returns the response, whatever its status."""

    def post(body: Any, content_type: str = "application/json", **headers: str) -> Any:
        data = body if isinstance(body, (str, bytes)) else json.dumps(body)
        return client.post("/graphql", data, content_type=content_type, **headers)  # type: ignore[arg-type]

    return post


def only_error(payload: dict[str, Any]) -> dict[str, Any]:
    """The single top-level error of a response with no data."""
    assert payload.get("data") is None, payload
    assert len(payload["errors"]) == 1, payload
    return payload["errors"][0]
