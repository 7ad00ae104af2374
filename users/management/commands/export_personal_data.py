"""Hand an account its data (a subject-access request) from the command line."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from users import services
from users.models import User


class Command(BaseCommand):
    help = (
        "Write everything stored about USERNAME as JSON (audited as an export of "
        'personal data, actor "system"): to --output FILE, or to stdout.'
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--output", type=Path, help="file to write (new)")

    def handle(self, *args, username: str, output: Path | None, **options):
        user = User.objects.get_by_username(username)
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if output is not None and output.exists():
            raise CommandError(f"{output} exists; name a new file.")
        if output is not None and not output.parent.is_dir():
            raise CommandError(f"No folder {output.parent} to write {output.name} in.")
        # actor=None: the system, run by an operator with shell access.
        chunks = services.user_export_personal_data(actor=None, user=user)
        if output is None:
            for chunk in chunks:
                self.stdout.write(chunk, ending="")
            return
        with output.open("x", encoding="utf-8") as file:
            file.writelines(chunks)
        self.stderr.write(f"Wrote the personal data of {user.username} to {output}.")
