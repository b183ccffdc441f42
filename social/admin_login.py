"""The admin's sign-in goes through `user_authenticate`, so it is throttled like the API's.

Both count the same failures per account and per client address: an attacker cannot
double the guesses by alternating between /admin/login/ and the `login` mutation.
"""

from typing import Any

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError

from config.client_address import request_limit_key_address
from social.errors import ErrorCode, ValidationFailed
from social.services.accounts import user_authenticate


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
