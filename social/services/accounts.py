"""Accounts: registration, credential checks and profile edits."""

import re

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import update_last_login
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction

from social.errors import ErrorCode, FieldError, ValidationFailed
from social.models import User
from social.models.users import USERNAME_PATTERN, same_ignoring_case
from social.ratelimits import attempt_count, attempt_refund
from social.services import follow_requests, media
from social.services.emails import send_verification_email
from social.services.guards import follow_partners, lock_user_and_partners
from social.services.sessions import revoke_user_sessions
from social.text import trimmed

USERNAME_MAX_LENGTH = 30
DISPLAY_NAME_MAX_LENGTH = 50
BIO_MAX_LENGTH = 300
AVATAR_URL_MAX_LENGTH = 500
EMAIL_MAX_LENGTH = 254

# (scope, key, rate) of one rate limit.
Throttle = tuple[str, str, str]

_https_url = URLValidator(schemes=["http", "https"])
# Spent on unknown logins so that they take as long as a wrong password.
_DUMMY_PASSWORD_HASH = make_password("timing-equaliser")


def _username_errors(username: str) -> list[FieldError]:
    if not username:
        return [FieldError("username", ErrorCode.REQUIRED, "Choose a username.")]
    if len(username) > USERNAME_MAX_LENGTH:
        return [FieldError("username", ErrorCode.TOO_LONG, "Use at most 30 characters.")]
    if not re.fullmatch(USERNAME_PATTERN, username, flags=re.ASCII):
        return [
            FieldError(
                "username",
                ErrorCode.INVALID,
                "Use 3-30 characters: letters, digits or underscores.",
            )
        ]
    if User.objects.filter(same_ignoring_case("username", username)).exists():
        return [FieldError("username", ErrorCode.TAKEN, "That username is taken.")]
    return []


def _email_errors(email: str) -> list[FieldError]:
    if not email:
        return [FieldError("email", ErrorCode.REQUIRED, "Enter an email address.")]
    if len(email) > EMAIL_MAX_LENGTH:
        return [FieldError("email", ErrorCode.TOO_LONG, "Use at most 254 characters.")]
    try:
        validate_email(email)
    except ValidationError:
        return [FieldError("email", ErrorCode.INVALID, "Enter a valid email address.")]
    if User.objects.filter(same_ignoring_case("email", email)).exists():
        return [FieldError("email", ErrorCode.TAKEN, "That email is already registered.")]
    return []


def _text_errors(field: str, value: str, max_length: int) -> list[FieldError]:
    if len(value) > max_length:
        return [FieldError(field, ErrorCode.TOO_LONG, f"Use at most {max_length} characters.")]
    if "\x00" in value:
        # PostgreSQL text cannot hold NUL; refused as posts' bodies are.
        return [FieldError(field, ErrorCode.INVALID, "The text contains a NUL character.")]
    return []


def _avatar_url_errors(url: str) -> list[FieldError]:
    # Length and NUL first: URLValidator lets a NUL through in the path.
    if errors := _text_errors("avatarUrl", url, AVATAR_URL_MAX_LENGTH):
        return errors
    try:
        _https_url(url)
    except ValidationError:
        return [FieldError("avatarUrl", ErrorCode.INVALID, "Use an http:// or https:// URL.")]
    return []


def _is_uploaded_avatars_url(user: User, url: str) -> bool:
    """Whether `url` is the URL avatarUrl shows for the user's uploaded avatar (its
    thumbnail's, on whatever host or signed): that avatar sent back, not a new one."""
    thumb = (user.avatar_json or {}).get("thumb")
    return bool(thumb) and url.split("?", 1)[0].endswith(f"/{thumb}")


def user_register(
    *, username: str, email: str, password: str, display_name: str | None = None
) -> User:
    username = username.strip()
    email = email.strip()
    display_name = trimmed(display_name or "")
    errors = [*_username_errors(username), *_email_errors(email)]
    if display_name:
        errors += _text_errors("displayName", display_name, DISPLAY_NAME_MAX_LENGTH)
    # None given: the username, whose own errors say what is wrong with it.
    display_name = display_name or username
    if not password:
        errors.append(FieldError("password", ErrorCode.REQUIRED, "Choose a password."))
    else:
        try:
            password_validation.validate_password(
                password, User(username=username, email=email, display_name=display_name)
            )
        except ValidationError as exc:
            errors.append(FieldError("password", ErrorCode.INVALID, " ".join(exc.messages)))
    if errors:
        raise ValidationFailed(errors)

    user = User(username=username, email=email, display_name=display_name)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
            send_verification_email(user=user)
    except IntegrityError as exc:
        # Lost a race with a concurrent registration: the database constraint decides.
        field = "email" if "email" in str(exc).lower() else "username"
        raise ValidationFailed(
            field=field, code=ErrorCode.TAKEN, message=f"That {field} is taken."
        ) from exc
    return user


def _login_throttles(
    *, login: str, user: User | None, client_address: str | None
) -> list[Throttle]:
    # Per account (an unknown login is throttled alike, so a lock reveals nothing),
    # and per client address against one machine trying many accounts.
    account = f"user:{user.pk}" if user is not None else f"login:{login.lower()}"
    per_account = settings.RATELIMIT_LOGIN_FAILURES_PER_ACCOUNT
    throttles = [("login-failures-account", account, per_account)]
    if client_address:
        per_address = settings.RATELIMIT_LOGIN_FAILURES_PER_ADDRESS
        throttles.append(("login-failures-address", client_address, per_address))
    return throttles


def user_authenticate(*, login: str, password: str, client_address: str | None = None) -> User:
    """The active user whose username or email is `login` and whose password matches.

    After too many failures for the account or from the address, every attempt is
    RATE_LIMITED, even with the right password, until the window ends.
    """
    login = login.strip()
    match = same_ignoring_case("email" if "@" in login else "username", login)
    # No username or address holds a NUL, which PostgreSQL refuses as a parameter.
    user = User.objects.filter(match).first() if login and "\x00" not in login else None
    throttles = _login_throttles(login=login, user=user, client_address=client_address)
    # Counted before the password is checked, so concurrent guesses cannot all slip past.
    attempts = [attempt_count(scope=scope, key=key, rate=rate) for scope, key, rate in throttles]
    if not all(attempt.allowed for attempt in attempts):
        raise ValidationFailed(
            field=None,
            code=ErrorCode.RATE_LIMITED,
            message="Too many failed sign-ins. Wait 15 minutes and try again.",
        )
    if user is None:
        check_password(password, _DUMMY_PASSWORD_HASH)
    elif user.is_active and user.check_password(password):
        # Only failures spend the budget.
        for attempt in attempts:
            attempt_refund(attempt)
        if user.suspended_at is not None:
            raise ValidationFailed(
                field=None,
                code=ErrorCode.SUSPENDED,
                message="This account is suspended by the moderators.",
            )
        update_last_login(User, user)
        return user
    raise ValidationFailed(
        field=None, code=ErrorCode.INVALID_CREDENTIALS, message="Wrong login or password."
    )


def user_update_profile(
    *,
    user: User,
    display_name: str | None = None,
    bio: str | None = None,
    avatar_url: str | None = None,
    is_locked: bool | None = None,
    avatar_media_id: int | None = None,
) -> User:
    """Changes the given fields; None leaves a field as it is, "" clears avatarUrl.
    `avatar_media_id` (one of the user's uploads) becomes the avatar; any other avatarUrl
    replaces an uploaded avatar, whose files go after the commit.
    Unlocking accepts every pending follow request, in the same transaction."""
    errors: list[FieldError] = []
    changed: list[str] = []
    if display_name is not None:
        display_name = trimmed(display_name)
        if not display_name:
            errors.append(FieldError("displayName", ErrorCode.REQUIRED, "Enter a display name."))
        errors += _text_errors("displayName", display_name, DISPLAY_NAME_MAX_LENGTH)
        user.display_name = display_name
        changed.append("display_name")
    if bio is not None:
        errors += _text_errors("bio", bio, BIO_MAX_LENGTH)
        user.bio = bio
        changed.append("bio")
    if avatar_url is not None and _is_uploaded_avatars_url(user, avatar_url.strip()):
        avatar_url = None  # unchanged: replacing the upload would point at its deleted files
    if avatar_url is not None:
        avatar_url = avatar_url.strip()
        if avatar_url:
            errors += _avatar_url_errors(avatar_url)
        user.avatar_url = avatar_url or None
        changed.append("avatar_url")
    if errors:
        user.refresh_from_db(fields=changed)
        raise ValidationFailed(errors)
    with transaction.atomic():
        if is_locked is not None:
            # The account's row and its requesters' first, in the global order, before
            # anything here writes the row; _set_locked finds them held.
            follow_requests.lock_account_and_requesters(target=user)
        if changed:
            user.save(update_fields=changed)
        if avatar_media_id is not None:
            replaced = media.avatar_set(user=user, media_id=avatar_media_id)
        elif avatar_url is not None:
            replaced = media.avatar_remove(user=user)
        else:
            replaced = []
        media.delete_files_after_commit(replaced)
        if is_locked is not None:
            _set_locked(user=user, locked=is_locked)
    return user


def _set_locked(*, user: User, locked: bool) -> None:
    # The rows locked first: a follow request racing the unlock is accepted with the rest,
    # and a block or unfollow by a requester waits for the unlock, not the other way round.
    was_locked = follow_requests.lock_account_and_requesters(target=user)
    User.objects.filter(pk=user.pk).update(is_locked=locked)
    user.is_locked = locked
    if was_locked and not locked and follow_requests.follow_requests_accept_all(target=user):
        user.refresh_from_db(fields=["follower_count", "following_count"])


def user_set_active(*, user: User, active: bool) -> None:
    """Deactivating signs the user out of every session at once, on every process."""
    with transaction.atomic():
        # The account with everyone it follows or is followed by, in the global order:
        # the change updates their counters, so a block or unfollow by one of them racing
        # it waits instead of deadlocking.
        lock_user_and_partners(user_id=user.pk, partners=lambda: follow_partners(user.pk))
        User.objects.filter(pk=user.pk).update(is_active=active)
        user.is_active = active
        if not active:
            revoke_user_sessions(user_id=user.pk)


def password_confirm(*, user: User, password: str, field: str) -> None:
    """The signed-in user's password, re-entered to confirm a sensitive change. Wrong
    guesses count with the sign-in failures of the account, so a stolen access token
    cannot be used to guess the password here."""
    scope, key, rate = _login_throttles(login="", user=user, client_address=None)[0]
    # Counted before the check, in one atomic step, as sign-ins are (user_authenticate).
    attempt = attempt_count(scope=scope, key=key, rate=rate)
    if not attempt.allowed:
        raise ValidationFailed(
            field=None,
            code=ErrorCode.RATE_LIMITED,
            message="Too many wrong passwords. Wait 15 minutes and try again.",
        )
    if user.check_password(password):
        attempt_refund(attempt)
        return
    raise ValidationFailed(
        field=field, code=ErrorCode.INVALID_CREDENTIALS, message="Wrong password."
    )
