from collections.abc import Iterable
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.validators import RegexValidator
from django.db import models, transaction
from django.db.models.functions import Lower, Upper
from django.db.models.lookups import Exact

from social.models.counters import USER_COUNTERS, fields_to_save

USERNAME_PATTERN = r"^[A-Za-z0-9_]{3,30}$"

username_validator = RegexValidator(
    USERNAME_PATTERN,
    "Use 3-30 characters: letters, digits or underscores.",
    code="invalid",
)


def same_ignoring_case(field: str, value: str) -> models.Q:
    """`field` equals `value` but for case, through the case-insensitive unique index (lower()
    of both): `iexact` compiles to UPPER() on PostgreSQL, which reads every user. Text beyond
    ASCII is also compared as `iexact` compares it, so nothing matches that did not before."""
    same = models.Q(Exact(Lower(field), Lower(models.Value(value))))
    return same if value.isascii() else same & models.Q(**{f"{field}__iexact": value})


class SocialUserManager(UserManager["User"]):
    def get_by_natural_key(self, username: str | None) -> "User":
        # Admin and session logins match usernames case-insensitively, like the API.
        return self.get(same_ignoring_case("username", username or ""))


class User(AbstractUser):
    username = models.CharField(max_length=30, unique=True, validators=[username_validator])
    email = models.EmailField(max_length=254)
    # Set by verifyEmail with a token mailed to this address; a changed address is unverified.
    # Nullable without a default: SQLite adds it in place (a rebuilt table would lose the
    # PostgreSQL-only indexes' guard).
    email_verified_at = models.DateTimeField(null=True, blank=True)
    # Set by a moderator (social/services/moderation.py): the account is gone for everyone
    # and cannot sign in until unsuspended; nothing of it is deleted.
    suspended_at = models.DateTimeField(null=True, blank=True)
    display_name = models.CharField(max_length=50, blank=True, default="")
    bio = models.CharField(max_length=300, blank=True, default="")
    # The contract's avatarUrl is nullable: null is "no avatar", as the API returns it.
    avatar_url = models.URLField(max_length=500, blank=True, null=True)  # noqa: DJ001
    # The avatar upload (Media.as_json), kept beside the user so every read of a user has
    # it in its one statement; null when none was uploaded.
    avatar_json = models.JSONField(null=True, blank=True)
    # A locked account approves each follower (FollowRequest); its posts reach them only.
    is_locked = models.BooleanField(default=False)

    # Counters kept by the database's triggers (social/migrations/0006_counters_kept_by_triggers),
    # so lists never count per row; save() never writes them back (see counters.py).
    follower_count = models.PositiveIntegerField(default=0)
    following_count = models.PositiveIntegerField(default=0)
    post_count = models.PositiveIntegerField(default=0)

    objects: ClassVar[SocialUserManager] = SocialUserManager()  # type: ignore[assignment]

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("username"), name="user_username_ci_unique"),
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]
        # searchUsers: trigram indexes for `icontains`, which PostgreSQL runs as
        # UPPER(column) LIKE UPPER('%query%'), the indexed expression. PostgreSQL only
        # (social/migration_operations.py); SQLite scans.
        indexes = [
            GinIndex(OpClass(Upper("username"), name="gin_trgm_ops"), name="user_username_trgm"),
            GinIndex(
                OpClass(Upper("display_name"), name="gin_trgm_ops"), name="user_display_name_trgm"
            ),
        ]

    def __str__(self) -> str:
        return self.username

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    def save(self, *args: Any, **kwargs: Any) -> None:
        kwargs["update_fields"] = fields_to_save(self, kwargs.get("update_fields"), USER_COUNTERS)
        if not self._closes_account(kwargs["update_fields"]):
            super().save(*args, **kwargs)
            return
        # A save that closes the account (`is_active = False` or `suspended_at` set in
        # `manage.py shell`, an admin form) signs it out everywhere as the services do:
        # access tokens are checked against sessions in memory, never against this row.
        from social.services.sessions import revoke_user_sessions  # services import models

        with transaction.atomic():
            was_open = User.objects.filter(
                pk=self.pk, is_active=True, suspended_at__isnull=True
            ).exists()
            super().save(*args, **kwargs)
            if was_open:
                revoke_user_sessions(user_id=self.pk)

    def _closes_account(self, update_fields: Iterable[str] | None) -> bool:
        if self._state.adding or (self.is_active and self.suspended_at is None):
            return False
        return update_fields is None or bool({"is_active", "suspended_at"} & set(update_fields))
