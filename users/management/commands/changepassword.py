"""Django's changepassword, through users.services: the new password is
audited (actor "system", as every command without --actor) and ends the
account's sessions, instead of being saved past the trail."""

import getpass

from django.contrib.auth.management.commands import changepassword
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from users import services
from users.models import User

MAX_TRIES = 3


class Command(changepassword.Command):
    help = (
        'Change a user\'s password (audited, actor "system"); every session of '
        "the account ends."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "username",
            nargs="?",
            help="Username to change the password of; by default, the current "
            "system user's name.",
        )

    def handle(self, *args, username: str | None = None, **options):
        username = username or getpass.getuser()
        user = User.objects.get_by_username(username)
        if user is None:
            raise CommandError(f"user '{username}' does not exist")
        self.stdout.write(f"Changing password for user '{user.username}'")
        password = self._ask(user)
        # actor=None: the system, run by an operator with shell access.
        services.user_set_password(actor=None, user=user, password=password)
        return f"Password changed successfully for user '{user.username}'"

    def _ask(self, user: User) -> str:
        for _ in range(MAX_TRIES):
            first = self._get_pass()
            if first != self._get_pass("Password (again): "):
                self.stdout.write("Passwords do not match. Please try again.")
                continue
            try:
                validate_password(first, user)
            except ValidationError as error:
                self.stderr.write("\n".join(error.messages))
                continue
            return first
        raise CommandError(
            f"Aborting password change for user '{user.username}' after "
            f"{MAX_TRIES} attempts"
        )
