"""Email addresses: verification by a mailed token, and changing the address."""

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from social.errors import ErrorCode, ValidationFailed
from social.mail import frontend_link, send_after_commit
from social.models import User
from social.models.users import same_ignoring_case
from social.ratelimits import limit_hit

EMAIL_MAX_LENGTH = 254
_VERIFICATION_SALT = "social.email-verification"


def _verification_token(user: User) -> str:
    # Bound to the address it was issued for: a changed address invalidates it.
    return signing.dumps({"u": user.pk, "e": user.email.lower()}, salt=_VERIFICATION_SALT)


def send_verification_email(*, user: User) -> None:
    """Mails a verification link for the user's current address, after commit."""
    send_after_commit(
        template="verify_email",
        to=user.email,
        context={
            "user": user,
            "email": user.email,
            "link": frontend_link("verify-email", _verification_token(user)),
            "valid_days": max(1, settings.EMAIL_VERIFICATION_TIMEOUT // 86400),
        },
    )


def _verification_mail_budget(email: str) -> None:
    """Verification mails to one address, however asked for (a new link, a change of
    address, from any account): no one can flood someone else's mailbox through us."""
    rate = settings.RATELIMIT_VERIFICATION_EMAILS
    if limit_hit(scope="verification-email", key=email.lower(), rate=rate):
        raise ValidationFailed(
            field=None,
            code=ErrorCode.RATE_LIMITED,
            message="Too many verification emails to this address. Wait an hour and try again.",
        )


def email_verification_request(*, user: User) -> bool:
    """Sends a new verification email unless the address is verified. True when sent."""
    if user.email_verified:
        return False
    _verification_mail_budget(user.email)
    send_verification_email(user=user)
    return True


def _invalid_token() -> ValidationFailed:
    return ValidationFailed(
        field="token",
        code=ErrorCode.INVALID_TOKEN,
        message="This link is invalid, expired or already used. Ask for a new one.",
    )


def email_verify(*, token: str) -> User:
    """Marks the address the token was mailed to verified; single-use (INVALID_TOKEN after)."""
    try:
        claims = signing.loads(
            token, salt=_VERIFICATION_SALT, max_age=settings.EMAIL_VERIFICATION_TIMEOUT
        )
        user_id, email = int(claims["u"]), str(claims["e"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise _invalid_token() from None
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id, is_active=True).first()
        if user is None or user.email.lower() != email or user.email_verified:
            raise _invalid_token()
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
    return user


def _new_email_errors(*, user: User, email: str) -> ValidationFailed | None:
    def failed(code: ErrorCode, message: str) -> ValidationFailed:
        return ValidationFailed(field="newEmail", code=code, message=message)

    if not email:
        return failed(ErrorCode.REQUIRED, "Enter an email address.")
    if len(email) > EMAIL_MAX_LENGTH:
        return failed(ErrorCode.TOO_LONG, f"Use at most {EMAIL_MAX_LENGTH} characters.")
    try:
        validate_email(email)
    except ValidationError:
        return failed(ErrorCode.INVALID, "Enter a valid email address.")
    if User.objects.filter(same_ignoring_case("email", email)).exclude(pk=user.pk).exists():
        return failed(ErrorCode.TAKEN, "That email is already registered.")
    return None


def email_change(*, user: User, new_email: str, password: str) -> User:
    """Needs the password; the new address is unverified until its mailed token is used,
    and the old address is told of the change. Only a new case of the same address keeps
    its verification and mails nobody."""
    from social.services.accounts import password_confirm

    password_confirm(user=user, password=password, field="password")
    new_email = new_email.strip()
    error = _new_email_errors(user=user, email=new_email)
    if error is not None:
        raise error
    if new_email == user.email:
        return user
    if new_email.lower() == user.email.lower():
        # The same address re-spelled (addresses are one whatever their case, and so are
        # their tokens): its verification stands and no one needs a mail.
        user.email = new_email
        user.save(update_fields=["email"])
        return user
    _verification_mail_budget(new_email)
    old_email = user.email
    try:
        with transaction.atomic():
            user.email = new_email
            user.email_verified_at = None
            user.save(update_fields=["email", "email_verified_at"])
            send_verification_email(user=user)
            send_after_commit(
                template="email_changed",
                to=old_email,
                context={"user": user, "old_email": old_email, "new_email": new_email},
            )
    except IntegrityError as exc:
        # A concurrent registration or change took the address first.
        user.email = old_email
        user.refresh_from_db(fields=["email", "email_verified_at"])
        raise ValidationFailed(
            field="newEmail", code=ErrorCode.TAKEN, message="That email is already registered."
        ) from exc
    return user
