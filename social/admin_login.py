"""The admin's sign-in goes through `user_authenticate`, so it is throttled like the API's.

Both count the same failures per account and per client address: an attacker cannot
double the guesses by alternating between /admin/login/ and the `login` mutation.

A staff user's own password change (/admin/password_change/) is the API's `changePassword`
in the admin's clothes: the current password is confirmed by `password_confirm` (throttled
with the account's sign-in failures) and the new one signs the user's API sessions out at
once, everywhere; the admin session that changed it goes on (Django keeps it).
"""

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm, AdminPasswordChangeForm
from django.contrib.auth.views import PasswordChangeView
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponseBase
from django.urls import reverse

from config.client_address import request_limit_key_address
from social.errors import ErrorCode, ValidationFailed
from social.models import User
from social.services.accounts import password_confirm, user_authenticate
from social.services.sessions import revoke_user_sessions


class ThrottledAdminLoginForm(AdminAuthenticationForm):
    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            address = request_limit_key_address(self.request) if self.request else None
            try:
                user = user_authenticate(login=username, password=password, client_address=address)
            except ValidationFailed as exc:
                if exc.errors and exc.errors[0].code == ErrorCode.RATE_LIMITED:
                    raise ValidationError(exc.errors[0].message, code="rate_limited") from exc
                raise self.get_invalid_login_error() from exc
            # The session keeps the backend that loads it again on each request: the
            # configured one (it also refuses a suspended account), not Django's default.
            user.backend = settings.AUTHENTICATION_BACKENDS[0]  # type: ignore[attr-defined]
            self.user_cache = user
            self.confirm_login_allowed(user)
        return self.cleaned_data


class ThrottledPasswordChangeForm(AdminPasswordChangeForm):
    user: User

    def clean_old_password(self) -> str:
        old_password: str = self.cleaned_data["old_password"]
        try:
            password_confirm(user=self.user, password=old_password, field="old_password")
        except ValidationFailed as exc:
            if exc.errors and exc.errors[0].code == ErrorCode.RATE_LIMITED:
                raise ValidationError(exc.errors[0].message, code="rate_limited") from exc
            raise ValidationError(
                self.error_messages["password_incorrect"], code="password_incorrect"
            ) from exc
        return old_password

    def save(self, commit: bool = True) -> Any:
        user = super().save(commit=commit)
        # Whoever holds this account's tokens is out; this cookie session is not one of them.
        revoke_user_sessions(user_id=user.pk)
        return user


def password_change(request: HttpRequest) -> HttpResponseBase:
    """AdminSite.password_change (Django 5.2) with the form above; routed ahead of the
    admin's own URL in config/urls.py, under the same path and name."""
    request.current_app = admin.site.name
    view = PasswordChangeView.as_view(
        form_class=ThrottledPasswordChangeForm,
        success_url=reverse("admin:password_change_done", current_app=admin.site.name),
        extra_context=admin.site.each_context(request),
    )
    return view(request)
