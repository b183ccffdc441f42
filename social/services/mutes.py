"""Mutes: the muter stops seeing the muted user in feeds (and, with `notifications`, hears
nothing from them) until the mute expires or is undone. The muted user is never told: no
notification, no flag on their side. The rule itself is social/visibility.py's."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from notifications.services import unread_changed_by_actor
from social.errors import ErrorCode, ValidationFailed
from social.models import Mute, User

# "Absurd" per issue 13: over ten years (3,653 days holds the leap days of any ten years).
MAX_MUTE = timedelta(days=3653)


def _self_action() -> ValidationFailed:
    return ValidationFailed(
        field="userId", code=ErrorCode.SELF_ACTION, message="You cannot mute yourself."
    )


def mute_create(
    *,
    muter: User,
    muted: User,
    duration_seconds: int | None = None,
    notifications: bool = True,
) -> Mute:
    """Mutes `muted` for `duration_seconds` (until unmuted when None). Muting again replaces
    the duration and the notifications choice, and starts the mute anew."""
    if muter.pk == muted.pk:
        raise _self_action()
    if duration_seconds is not None and not 0 < duration_seconds <= MAX_MUTE.total_seconds():
        raise ValidationFailed(
            field="durationSeconds",
            code=ErrorCode.INVALID,
            message="A mute lasts from one second up to ten years.",
        )
    with transaction.atomic():
        if not User.objects.filter(pk=muted.pk, is_active=True).exists():
            raise ValidationFailed(
                field="userId", code=ErrorCode.NOT_FOUND, message="That user does not exist."
            )
        now = timezone.now()
        expires_at = None if duration_seconds is None else now + timedelta(seconds=duration_seconds)
        mute, _ = Mute.objects.update_or_create(
            muter=muter,
            muted=muted,
            defaults={"notifications": notifications, "created_at": now, "expires_at": expires_at},
        )
        # The muted user's unread notifications may hide or show again (the choice changed).
        unread_changed_by_actor(actor_id=muted.pk, recipient_id=muter.pk)
    return mute


def mute_delete(*, muter: User, muted: User) -> bool:
    """Unmutes; True when a mute (expired or not) was removed."""
    if muter.pk == muted.pk:
        raise _self_action()
    with transaction.atomic():
        deleted, _ = Mute.objects.filter(muter=muter, muted=muted).delete()
        if deleted:
            unread_changed_by_actor(actor_id=muted.pk, recipient_id=muter.pk)
    return bool(deleted)
