"""`manage.py changepassword`, Django's prompts with the API's password change behind them.

Django's own command only saves the new hash: access tokens are checked against sessions,
never against the password, so the user stayed signed in everywhere. This one (listed
before django.contrib.auth in INSTALLED_APPS, so it wins) sets the password through
`password_set`, which signs every session out at once, as the admin's form does.
"""

import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from social.errors import ValidationFailed
from social.models import User
from social.models.users import same_ignoring_case
from social.services.passwords import password_set

MAX_TRIES = 3


class Command(BaseCommand):
    help = "Change a user's password and sign them out of every session."
    requires_migrations_checks = True
    requires_system_checks: list[str] = []

    def _get_pass(self, prompt: str = "Password: ") -> str:
        password = getpass.getpass(prompt=prompt)
        if not password:
            raise CommandError("aborted")
        return password

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "username", nargs="?", help="The user whose password changes (default: yours)."
        )

    def handle(self, *args: Any, **options: Any) -> str:
        username = options["username"] or getpass.getuser()
        user = User.objects.filter(same_ignoring_case("username", username)).first()
        if user is None:
            raise CommandError(f"user '{username}' does not exist")
        self.stdout.write(f"Changing password for user '{user}'")
        for _ in range(MAX_TRIES):
            first = self._get_pass()
            if first != self._get_pass("Password (again): "):
                self.stdout.write("Passwords do not match. Please try again.")
                continue
            try:
                password_set(user=user, new_password=first)
            except ValidationFailed as exc:
                self.stderr.write("\n".join(error.message for error in exc.errors))
                continue
            return f"Password changed successfully for user '{user}'; signed out everywhere."
        raise CommandError(f"Aborting password change for user '{user}' after {MAX_TRIES} attempts")
