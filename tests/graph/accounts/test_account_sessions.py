"""Sessions: one per sign-in, listed for their owner, revoked at once; others' are NOT_FOUND."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from graph.ids import global_id
from social.models import Session, SessionRevocation
from social.services.sessions import revoke_user_sessions
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

LOGIN = """
mutation ($login: String!, $password: String!) {
  login(input: {login: $login, password: $password}) { accessToken refreshToken }
}
"""
REFRESH = (
    "mutation ($t: String!) { refreshToken(refreshToken: $t) { accessToken errors { code } } }"
)
SESSIONS = "{ sessions { id createdAt lastUsedAt userAgent current } }"
REVOKE = "mutation ($id: ID!) { revokeSession(id: $id) { ok errors { field code } } }"
ME = "{ me { username } }"


def _login(gql: Any, username: str, agent: str = "") -> dict[str, str]:
    headers = {"HTTP_USER_AGENT": agent} if agent else {}
    return gql(LOGIN, {"login": username, "password": PASSWORD}, **headers)["data"]["login"]  # type: ignore[no-any-return]


def _code(result: dict[str, Any]) -> str:
    return str(result["errors"][0]["extensions"]["code"])


def test_each_sign_in_is_a_session_most_recently_used_first(gql: Any) -> None:
    make_user("sam")
    phone = _login(gql, "sam", "Phone/1.0")
    laptop = _login(gql, "sam", "Laptop/2.0")
    gql(REFRESH, {"t": phone["refreshToken"]})  # the phone was used last

    sessions = gql(SESSIONS, token=laptop["accessToken"])["data"]["sessions"]
    assert [(s["userAgent"], s["current"]) for s in sessions] == [
        ("Phone/1.0", False),
        ("Laptop/2.0", True),
    ]
    assert sessions[0]["lastUsedAt"] > sessions[0]["createdAt"]


def test_sessions_requires_sign_in(gql: Any) -> None:
    assert _code(gql(SESSIONS)) == "UNAUTHENTICATED"


def test_revoking_a_session_stops_its_tokens_at_once_and_keeps_the_others(
    gql: Any, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    make_user("sam")
    phone, laptop = _login(gql, "sam", "Phone"), _login(gql, "sam", "Laptop")
    phone_id = next(
        s["id"]
        for s in gql(SESSIONS, token=laptop["accessToken"])["data"]["sessions"]
        if s["userAgent"] == "Phone"
    )
    with django_capture_on_commit_callbacks(execute=True):
        result = gql(REVOKE, {"id": phone_id}, token=laptop["accessToken"])
    assert result["data"]["revokeSession"] == {"ok": True, "errors": []}

    assert _code(gql(ME, token=phone["accessToken"])) == "UNAUTHENTICATED"
    assert gql(REFRESH, {"t": phone["refreshToken"]})["data"]["refreshToken"]["errors"] == [
        {"code": "INVALID_TOKEN"}
    ]
    assert gql(ME, token=laptop["accessToken"])["data"]["me"] == {"username": "sam"}
    assert [
        s["userAgent"] for s in gql(SESSIONS, token=laptop["accessToken"])["data"]["sessions"]
    ] == ["Laptop"]


@pytest.mark.parametrize("kind", ["someone else's", "unknown", "not an id", "a user id"])
def test_a_session_that_is_not_the_viewers_is_not_found_and_stays(gql: Any, kind: str) -> None:
    make_user("sam")
    eve = make_user("eve")
    sams = _login(gql, "sam")
    eves = _login(gql, "eve")
    ids = {
        "someone else's": global_id("Session", Session.objects.get(user=eve).pk),
        "unknown": global_id("Session", 999_999),
        "not an id": "garbage",
        "a user id": global_id("User", eve.pk),
    }
    result = gql(REVOKE, {"id": ids[kind]}, token=sams["accessToken"])
    assert result["data"]["revokeSession"] == {
        "ok": False,
        "errors": [{"field": "id", "code": "NOT_FOUND"}],
    }
    assert gql(ME, token=eves["accessToken"])["data"]["me"] == {"username": "eve"}
    assert not Session.objects.filter(revoked_at__isnull=False).exists()


@pytest.mark.parametrize("state", ["signed out", "expired"])
def test_a_session_no_longer_listed_is_not_found(gql: Any, settings: Any, state: str) -> None:
    from django.utils import timezone

    make_user("sam")
    here = _login(gql, "sam", "Here")
    _login(gql, "sam", "Old")
    session = Session.objects.get(user_agent="Old")
    if state == "signed out":
        revoke_user_sessions(user_id=session.user_id, except_session_id=None)
        here = _login(gql, "sam", "Here")
    else:
        stale = timezone.now() - settings.REFRESH_TOKEN_TTL - timedelta(minutes=1)
        Session.objects.filter(pk=session.pk).update(last_used_at=stale)
    revoked_at = Session.objects.get(pk=session.pk).revoked_at
    listed = gql(SESSIONS, token=here["accessToken"])["data"]["sessions"]
    assert "Old" not in [s["userAgent"] for s in listed]
    result = gql(REVOKE, {"id": global_id("Session", session.pk)}, token=here["accessToken"])
    assert result["data"]["revokeSession"] == {
        "ok": False,
        "errors": [{"field": "id", "code": "NOT_FOUND"}],
    }
    assert Session.objects.get(pk=session.pk).revoked_at == revoked_at


def test_another_users_session_is_invisible_through_node(gql: Any) -> None:
    make_user("sam")
    eve = make_user("eve")
    sams, _ = _login(gql, "sam"), _login(gql, "eve")
    node = "query ($id: ID!) { node(id: $id) { ... on Session { userAgent } } }"
    eves_id = global_id("Session", Session.objects.get(user=eve).pk)
    assert gql(node, {"id": eves_id}, token=sams["accessToken"])["data"]["node"] is None
    own_id = global_id("Session", Session.objects.get(user__username="sam").pk)
    assert gql(node, {"id": own_id}, token=sams["accessToken"])["data"]["node"] == {"userAgent": ""}


def test_revoke_user_sessions_inside_a_callers_transaction_publishes_after_commit(
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    from django.db import transaction

    from social import revocations
    from social.services.tokens import token_pair_issue

    sam = make_user("sam")
    keep, drop = token_pair_issue(user=sam), token_pair_issue(user=sam)
    kept = Session.objects.order_by("pk").first()
    assert kept is not None
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        assert revoke_user_sessions(user_id=sam.pk, except_session_id=kept.pk) == 1
    dropped = Session.objects.exclude(pk=kept.pk).get()
    assert not revocations.is_revoked(str(dropped.key))  # not before the commit
    for callback in callbacks:
        callback()
    assert revocations.is_revoked(str(dropped.key))
    assert not revocations.is_revoked(str(kept.key))
    assert SessionRevocation.objects.filter(key=dropped.key).exists()
    assert keep.access_token != drop.access_token


def test_sessions_query_count_is_flat(gql: Any, django_assert_max_num_queries: Any) -> None:
    make_user("sam")
    token = _login(gql, "sam")["accessToken"]
    for count in (2, 20):
        while Session.objects.count() < count:
            _login(gql, "sam")
        with django_assert_max_num_queries(1):
            assert len(gql(SESSIONS, token=token)["data"]["sessions"]) == count
