"""Reuse detection as the README states it: presenting a used refresh token again signs that
sign-in out; its refresh tokens and the access tokens it issued stop working at once, and
the user's other sign-ins keep working."""

from collections.abc import Callable
from typing import Any

import pytest

from tests.factories import make_user

pytestmark = pytest.mark.django_db

LOGIN = """
mutation($password: String!) {
  login(input: {login: "tess", password: $password}) { accessToken refreshToken errors { code } }
}
"""
REFRESH = """
mutation($t: String!) {
  refreshToken(refreshToken: $t) { accessToken refreshToken errors { code } }
}
"""
ME = "{ me { username } }"


def _signed_in(gql: Any, token: str) -> bool:
    result = gql(ME, token=token)
    if result.get("errors"):
        assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", result
        return False
    return bool(result["data"]["me"] == {"username": "tess"})


def test_a_reused_refresh_token_signs_its_sign_in_out_and_leaves_the_others(
    gql: Any, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    make_user("tess", password="a-long-password-for-tess")
    variables = {"password": "a-long-password-for-tess"}
    phone = gql(LOGIN, variables)["data"]["login"]
    laptop = gql(LOGIN, variables)["data"]["login"]
    rotated = gql(REFRESH, {"t": phone["refreshToken"]})["data"]["refreshToken"]
    assert rotated["errors"] == [] and _signed_in(gql, rotated["accessToken"])

    with django_capture_on_commit_callbacks(execute=True):  # the revocation's publication
        replay = gql(REFRESH, {"t": phone["refreshToken"]})["data"]["refreshToken"]

    assert replay["errors"] == [{"code": "INVALID_TOKEN"}] and replay["accessToken"] is None
    # That sign-in is out: its access tokens, old and new, and its newest refresh token.
    assert not _signed_in(gql, phone["accessToken"])
    assert not _signed_in(gql, rotated["accessToken"])
    refused = gql(REFRESH, {"t": rotated["refreshToken"]})["data"]["refreshToken"]
    assert refused["errors"] == [{"code": "INVALID_TOKEN"}]
    # The laptop's sign-in is another session and keeps working.
    assert _signed_in(gql, laptop["accessToken"])
    assert gql(REFRESH, {"t": laptop["refreshToken"]})["data"]["refreshToken"]["errors"] == []
