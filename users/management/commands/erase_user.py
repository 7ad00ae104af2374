"""Erase an account's personal data from the command line (the right to be
forgotten): irreversible, so the username is typed twice."""

from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from users import services
from users.models import User

MAX_BASIS = 500


class Command(BaseCommand):
    help = (
        "Replace USERNAME's username, email and name by keyed pseudonyms, here and "
        "in the audit trail, and remove its password, sessions, second factors and "
        'sign-in records (audited, actor "system"). Cannot be undone.'
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--basis", required=True, help="why, e.g. 'request of 2026-11-30, #4711'"
        )
        parser.add_argument(
            "--confirm", required=True, metavar="USERNAME", help="the username again"
        )

    def handle(self, *args, username: str, basis: str, confirm: str, **options):
        user = User.objects.get_by_username(username)
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if confirm != user.username:
            raise CommandError(
                f"--confirm must repeat the username exactly: {user.username}"
            )
        basis = basis.strip()
        if not basis or len(basis) > MAX_BASIS:
            raise CommandError(f"--basis must say why, in 1 to {MAX_BASIS} characters.")
        try:
            # actor=None: the system, run by an operator with shell access.
            erased = services.user_erase(actor=None, user=user, basis=basis)
        except (PermissionDenied, ImproperlyConfigured) as refusal:
            raise CommandError(str(refusal)) from None
        self.stdout.write(f"Erased {username}: the account is now {erased.username}.")
