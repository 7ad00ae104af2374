"""Seal the audit events written since the last run into the hash chain
(users.audit.chain): for cron or a timer, every few minutes."""

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from users.audit import chain


class Command(BaseCommand):
    help = (
        "Give the audit events written since the last run their place and hash "
        "in the trail's hash chain. Safe to run on several servers at once."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size",
            type=int,
            default=chain.BATCH_SIZE,
            help="Events per transaction (default %(default)s).",
        )

    def handle(self, *args, batch_size: int, **options):
        try:
            sealed = chain.seal(batch_size=batch_size)
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from None
        seq, hash_ = chain.head()
        self.stdout.write(f"Sealed {sealed} event(s). Head: position {seq}, {hash_}")
