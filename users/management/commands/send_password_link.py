"""Mail an account its password link from the command line: the invitation
when it never had a password, a reset link otherwise."""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import URLValidator, ValidationError

from users import mail, services
from users.models import User


class Command(BaseCommand):
    help = (
        "Email USERNAME a single-use link to set their password (audited, actor "
        '"system"). Links point at --base-url, or SITE_URL.'
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--base-url",
            default=settings.SITE_URL,
            help="The address staff reach this site at, e.g. https://admin.example.com",
        )

    def handle(self, *args, username: str, base_url: str, **options):
        try:
            URLValidator(schemes=["https", "http"])(base_url)
        except ValidationError:
            raise CommandError(
                "Say where the link points: --base-url https://admin.example.com "
                "(or set SITE_URL)."
            ) from None
        user = User.objects.get_by_username(username)
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        try:
            # actor=None: the system, run by an operator with shell access.
            services.user_send_password_link(actor=None, user=user, base_url=base_url)
        except PermissionDenied as refusal:
            raise CommandError(str(refusal)) from None
        except mail.MAIL_ERRORS as error:
            raise CommandError(f"The mail server failed: {error}") from None
        self.stdout.write(f"Sent a password link to {user.email}.")
