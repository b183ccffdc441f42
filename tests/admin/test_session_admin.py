"""Sessions in the admin: staff who may look them up see them; only moderators (who may act
on reports, `social.change_report`) sign people out, and the sign-out holds at once."""

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from social import revocations
from social.models import Session, User
from social.services.tokens import token_pair_issue
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _staff(username: str, *permissions: str) -> Client:
    staff = make_user(username, is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(codename__in=permissions))
    client = Client()
    client.force_login(staff)
    return client


@pytest.fixture
def member() -> User:
    member = make_user("member")
    token_pair_issue(user=member, user_agent="MemberPhone/1.0")
    return member


def test_staff_who_may_only_look_see_sessions_but_cannot_revoke_them(member: User) -> None:
    support = _staff("support", "view_session", "view_user")
    listing = support.get("/admin/social/session/")
    assert listing.status_code == 200 and b"MemberPhone/1.0" in listing.content
    assert b"revoke_sessions" not in listing.content
    assert b"sign_out_everywhere" not in support.get("/admin/social/user/").content
    session = Session.objects.get(user=member)
    support.post(
        "/admin/social/session/", {"action": "revoke_sessions", "_selected_action": [session.pk]}
    )
    support.post(
        "/admin/social/user/", {"action": "sign_out_everywhere", "_selected_action": [member.pk]}
    )
    assert Session.objects.get(pk=session.pk).revoked_at is None
    assert not revocations.is_revoked(str(session.key))


@pytest.mark.parametrize("expired", [False, True])
def test_a_moderator_revokes_a_users_session(
    member: User, django_capture_on_commit_callbacks: Any, settings: Any, expired: bool
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    moderator = _staff("mod", "view_session", "view_user", "change_report")
    assert b"revoke_sessions" in moderator.get("/admin/social/session/").content
    session = Session.objects.get(user=member)
    if expired:  # no longer listed for its owner; the moderator may still end it
        stale = timezone.now() - settings.REFRESH_TOKEN_TTL - timedelta(minutes=1)
        Session.objects.filter(pk=session.pk).update(last_used_at=stale)
    with django_capture_on_commit_callbacks(execute=True):
        response = moderator.post(
            "/admin/social/session/",
            {"action": "revoke_sessions", "_selected_action": [session.pk]},
        )
    assert response.status_code == 302
    assert Session.objects.get(pk=session.pk).revoked_at is not None
    assert revocations.is_revoked(str(session.key))
