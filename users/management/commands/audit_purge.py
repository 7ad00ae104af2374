"""Delete audit events older than AUDIT_RETENTION_DAYS (users.audit.retention):
the chain's oldest events go, and it stays verifiable from a checkpoint."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from users.audit import chain, retention
from users.models import AuditEvent


class Command(BaseCommand):
    help = (
        "Delete the audit events older than the retention period (--days, default "
        "AUDIT_RETENTION_DAYS; 0 keeps everything), oldest first, in batches; "
        "audit_verify then starts from the last deleted event's hash."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=settings.AUDIT_RETENTION_DAYS)
        parser.add_argument("--batch-size", type=int, default=chain.BATCH_SIZE)
        parser.add_argument(
            "--dry-run", action="store_true", help="Count; delete nothing."
        )

    def handle(self, *args, days: int, batch_size: int, dry_run: bool, **options):
        try:
            before = retention.cutoff(days)
        except ValueError as error:
            raise CommandError(f"--days: {error}.") from None
        if before is None:
            self.stdout.write(f"Retention is off ({days} days): kept all.")
            return
        if dry_run:
            older = AuditEvent.objects.filter(at__lt=before).count()
            self.stdout.write(f"{older} event(s) older than {before:%Y-%m-%d %H:%M}.")
            return
        try:
            purged = retention.purge(before=before, batch_size=batch_size)
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Deleted {purged} event(s) older than {before:%Y-%m-%d %H:%M}; "
            f"the chain now starts after position {chain.start()[0]}."
        )
