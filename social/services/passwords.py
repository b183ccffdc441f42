"""Passwords: changing one (signed in) and resetting a forgotten one by a mailed token."""

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from social.errors import ErrorCode, ValidationFailed
from social.mail import frontend_link, send_after_commit
from social.models import Session, User
from social.models.users import same_ignoring_case
from social.ratelimits import limit_hit
from social.services.accounts import password_confirm
from social.services.sessions import revoke_user_sessions


def _validated(password: str, user: User, *, field: str = "newPassword") -> str:
    if not password:
        raise ValidationFailed(field=field, code=ErrorCode.REQUIRED, message="Choose a password.")
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed(
            field=field, code=ErrorCode.INVALID, message=" ".join(exc.messages)
        ) from exc
    return password


def password_change(
    *, user: User, current_password: str, new_password: str, session_key: str | None
) -> None:
    """Sets a new password and signs out every session but `session_key` (the caller's)."""
    password_confirm(user=user, password=current_password, field="currentPassword")
    _validated(new_password, user)
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        current = None
        if session_key is not None:
            current = (
                Session.objects.filter(key=session_key, user=user)
                .values_list("pk", flat=True)
                .first()
            )
        revoke_user_sessions(user_id=user.pk, except_session_id=current)


def password_set(*, user: User, new_password: str) -> None:
    """Sets a password chosen for the user by an operator (`manage.py changepassword`)
    and signs out every session, as a reset does: whoever held the account is out."""
    _validated(new_password, user, field="password")
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        revoke_user_sessions(user_id=user.pk)


def _reset_token(user: User) -> str:
    # Django's generator binds it to the password hash and last login: single-use, and
    # void once the password changes; it expires after PASSWORD_RESET_TIMEOUT.
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return f"{uid}.{default_token_generator.make_token(user)}"


def password_reset_request(*, email: str, client_address: str | None) -> None:
    """Mails a reset link if an active account has this address. The caller answers the
    same whatever the address; only the rate limits (per client and per address) show."""
    email = email.strip()
    throttles = [
        ("password-reset-email", email.lower(), settings.RATELIMIT_PASSWORD_RESET_PER_EMAIL)
    ]
    if client_address:
        throttles.append(
            (
                "password-reset-address",
                client_address,
                settings.RATELIMIT_PASSWORD_RESET_PER_ADDRESS,
            )
        )
    if any([limit_hit(scope=scope, key=key, rate=rate) for scope, key, rate in throttles]):
        raise ValidationFailed(
            field=None,
            code=ErrorCode.RATE_LIMITED,
            message="Too many reset requests. Wait an hour and try again.",
        )
    user = (
        User.objects.filter(same_ignoring_case("email", email), is_active=True).first()
        # No address holds a NUL, which PostgreSQL refuses as a parameter.
        if email and "\x00" not in email
        else None
    )
    if user is None:
        return
    send_after_commit(
        template="password_reset",
        to=user.email,
        context={
            "user": user,
            "link": frontend_link("reset-password", _reset_token(user)),
            "valid_minutes": max(1, settings.PASSWORD_RESET_TIMEOUT // 60),
        },
    )


def _invalid_token() -> ValidationFailed:
    return ValidationFailed(
        field="token",
        code=ErrorCode.INVALID_TOKEN,
        message="This reset link is invalid, expired or already used. Ask for a new one.",
    )


def _user_of_reset_token(token: str) -> User:
    uid, _, secret = token.partition(".")
    try:
        user_id = int(force_str(urlsafe_base64_decode(uid)))
    except (ValueError, TypeError, UnicodeDecodeError):
        raise _invalid_token() from None
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not default_token_generator.check_token(user, secret):
        raise _invalid_token()
    return user


def password_reset(*, token: str, new_password: str) -> None:
    """Sets the password from a mailed token and signs out every session."""
    user = _user_of_reset_token(token)
    _validated(new_password, user)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.password != user.password:
            # The token was used by a concurrent request meanwhile.
            raise _invalid_token()
        locked.set_password(new_password)
        locked.save(update_fields=["password"])
        revoke_user_sessions(user_id=locked.pk)
