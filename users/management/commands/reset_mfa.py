"""Break glass: remove an account's second factors from the command line, for
when nobody who could do it on the staff pages can sign in (the only
superuser lost their phone and their recovery codes)."""

from django.core.management.base import BaseCommand, CommandError

from users import services
from users.models import User


class Command(BaseCommand):
    help = (
        "Reset the two-factor authentication of USERNAME (audited, actor "
        '"system"): its sessions end and it sets up a new authenticator app '
        "at its next login."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username: str, **options):
        user = User.objects.get_by_username(username)
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        # actor=None: the system, run by an operator with shell access.
        if services.user_reset_mfa(actor=None, user=user):
            self.stdout.write(
                f"Reset the two-factor authentication of {user.username}: "
                "they set it up again at their next login."
            )
        else:
            self.stdout.write(f"{user.username} had no two-factor authentication.")
