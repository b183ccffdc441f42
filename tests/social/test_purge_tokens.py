"""`manage.py purge_tokens` deletes refresh tokens whose whole session (sign-in) has expired."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from freezegun import freeze_time

from social.errors import ValidationFailed
from social.models import RefreshToken
from social.services.tokens import token_pair_issue, token_pair_refresh
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_purge_deletes_expired_sessions_and_keeps_live_ones(settings: object) -> None:
    alice = make_user("alice")
    long_ago = timezone.now() - timedelta(days=60)
    with freeze_time(long_ago):
        old = token_pair_issue(user=alice)
        token_pair_refresh(refresh_token=old.refresh_token)  # a used one and its successor
    recent = token_pair_issue(user=alice)
    assert RefreshToken.objects.count() == 3

    out = StringIO()
    call_command("purge_tokens", stdout=out)

    assert "Purged 2" in out.getvalue()
    assert RefreshToken.objects.count() == 1
    # The live session still works.
    token_pair_refresh(refresh_token=recent.refresh_token)


def test_a_session_with_a_live_token_keeps_its_used_ones_for_reuse_detection() -> None:
    alice = make_user("alice")
    with freeze_time(timezone.now() - timedelta(days=29, hours=23)):
        first = token_pair_issue(user=alice)
    with freeze_time(timezone.now() - timedelta(days=1)):
        # The used first token expires within the hour; its successor lives on.
        _, second = token_pair_refresh(refresh_token=first.refresh_token)
    with freeze_time(timezone.now() + timedelta(hours=2)):
        call_command("purge_tokens", stdout=StringIO())
        assert RefreshToken.objects.count() == 2
        # Presenting the used first token still signs the session out.
        with pytest.raises(ValidationFailed):
            token_pair_refresh(refresh_token=first.refresh_token)
        with pytest.raises(ValidationFailed):
            token_pair_refresh(refresh_token=second.refresh_token)


def test_purge_works_in_batches() -> None:
    from social.services.tokens import refresh_tokens_purge

    alice = make_user("alice")
    with freeze_time(timezone.now() - timedelta(days=60)):
        for _ in range(7):
            token_pair_issue(user=alice)
    assert refresh_tokens_purge(batch_size=3) == 7
    assert not RefreshToken.objects.exists()
