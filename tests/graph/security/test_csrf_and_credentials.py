"""CSRF and the credential are decided together (graph/auth.py).

A request with an Authorization header is judged by that header alone and never falls back
to the session cookie: a malformed or bad one is UNAUTHENTICATED, a blank one (Apollo's
recipe when signed out) runs signed out.
Only a request without the header is authenticated by the cookie, and then a write
needs the CSRF token. GET may only read.
"""

import json
from typing import Any

import pytest
from django.test import Client

from social.models import Post
from social.services.tokens import access_token_issue
from tests.factories import make_user

pytestmark = pytest.mark.django_db

CREATE = (
    "mutation { createPost(input: {body: %s}) { post { author { username } } errors { code } } }"
)

HEADERS = ["absent", "empty", "malformed", "bad token", "good token"]
COOKIES = ["none", "valid"]
CSRF = ["none", "valid"]


def _client(*, cookie: str, csrf: str) -> Client:
    client = Client(enforce_csrf_checks=True)
    if cookie == "valid":
        client.force_login(make_user("cookie_user"))
    if csrf == "valid":
        client.get("/admin/login/")  # sets the csrftoken cookie
    return client


def _authorization(header: str) -> dict[str, str]:
    if header == "absent":
        return {}
    value = {
        "empty": "",
        "malformed": "Token abc.def.ghi",
        "bad token": "Bearer not.a.token",
        "good token": f"Bearer {access_token_issue(user=make_user('token_user'))}",
    }[header]
    return {"HTTP_AUTHORIZATION": value}


def _expected(header: str, cookie: str, csrf: str) -> tuple[int, str | None]:
    """(HTTP status, the author of the post written, or the error code)."""
    if header == "good token":
        return 200, "token_user"
    if header != "absent":
        return 200, "UNAUTHENTICATED"
    if cookie == "none":
        return 200, "UNAUTHENTICATED"
    if csrf == "none":
        return 403, "FORBIDDEN"
    return 200, "cookie_user"


@pytest.mark.parametrize("csrf", CSRF)
@pytest.mark.parametrize("cookie", COOKIES)
@pytest.mark.parametrize("header", HEADERS)
def test_mutation_credential_and_csrf(header: str, cookie: str, csrf: str) -> None:
    client = _client(cookie=cookie, csrf=csrf)
    extra: dict[str, Any] = _authorization(header)
    if csrf == "valid":
        extra["HTTP_X_CSRFTOKEN"] = client.cookies["csrftoken"].value
    body = json.dumps({"query": CREATE % json.dumps(f"{header} {cookie} {csrf}")})
    response = client.post("/graphql", body, content_type="application/json", **extra)

    status, outcome = _expected(header, cookie, csrf)
    assert response.status_code == status, response.content
    result = response.json()
    if outcome in {"token_user", "cookie_user"}:
        assert result == {
            "data": {"createPost": {"post": {"author": {"username": outcome}}, "errors": []}}
        }
        assert Post.objects.get().author.username == outcome
    else:
        assert result["data"] is None
        assert [e["extensions"]["code"] for e in result["errors"]] == [outcome]
        assert not Post.objects.exists()


def test_a_malformed_header_says_how_to_send_it() -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("cookie_user"))
    response = client.post(
        "/graphql",
        json.dumps({"query": "{ me { username } }"}),
        content_type="application/json",
        **_authorization("malformed"),
    )
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert "Bearer <access token>" in error["message"]


@pytest.mark.parametrize("value", ["", "   ", "Bearer", "Bearer  "])
def test_a_blank_header_runs_signed_out_without_the_cookie(value: str) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("cookie_user"))
    response = client.post(
        "/graphql",
        json.dumps({"query": "{ me { username } publicFeed(first: 1) { edges { cursor } } }"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=value,
    )
    assert response.json() == {"data": {"me": None, "publicFeed": {"edges": []}}}


def test_a_mutation_over_get_is_refused_even_with_the_session_cookie() -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("cookie_user"))
    response = client.get("/graphql", {"query": CREATE % '"over get"'})
    assert response.status_code == 405
    assert response.json()["data"] is None
    assert not Post.objects.exists()


def test_a_query_over_get_still_reads_with_the_session_cookie() -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("cookie_user"))
    response = client.get("/graphql", {"query": "{ me { username } }"})
    assert response.json() == {"data": {"me": {"username": "cookie_user"}}}


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_other_methods_with_the_session_cookie_write_nothing(method: str) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("cookie_user"))
    body = json.dumps({"query": CREATE % '"other method"'})
    response = getattr(client, method)("/graphql", body, content_type="application/json")
    assert response.status_code in {403, 405}
    assert not Post.objects.exists()


def _form_bodies() -> list[tuple[str, dict[str, Any]]]:
    query = CREATE % '"from a form"'
    operations = json.dumps({"query": query, "variables": {}})
    return [
        ("multipart", {"operations": operations, "map": "{}"}),
        ("form", {"query": query}),
    ]


@pytest.mark.parametrize(("kind", "fields"), _form_bodies())
def test_form_bodies_with_the_session_cookie_need_the_csrf_token(
    kind: str, fields: dict[str, Any]
) -> None:
    """What a cross-site HTML form can send without a preflight: refused before it runs."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("cookie_user"))
    if kind == "multipart":
        response = client.post("/graphql", fields)
    else:
        from urllib.parse import urlencode

        response = client.post(
            "/graphql", urlencode(fields), content_type="application/x-www-form-urlencoded"
        )
    assert response.status_code == 403
    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert not Post.objects.exists()


@pytest.mark.parametrize(("kind", "fields"), _form_bodies())
def test_form_bodies_with_an_empty_authorization_header_do_not_use_the_cookie(
    kind: str, fields: dict[str, Any]
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("cookie_user"))
    if kind == "multipart":
        response = client.post("/graphql", fields, HTTP_AUTHORIZATION="")
    else:
        from urllib.parse import urlencode

        response = client.post(
            "/graphql",
            urlencode(fields),
            content_type="application/x-www-form-urlencoded",
            HTTP_AUTHORIZATION="",
        )
    assert response.status_code in {200, 400}
    assert response.json()["data"] is None
    assert not Post.objects.exists()
