"""The account lifecycle, for cron, a systemd timer or a Kubernetes CronJob:
lift suspensions whose end has come, deactivate accounts whose access ended;
then the trail's upkeep: seal new events, purge past AUDIT_RETENTION_DAYS.
Idempotent; several servers may run it at once (see users.services.policy)."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand
from django.utils import timezone

from users import services
from users.audit import retention
from users.models import User

SHOWN = 50


class Command(BaseCommand):
    help = (
        "Lift suspensions whose end has come and deactivate accounts whose "
        'access has ended (audited, actor "policy"). Safe to rerun and to run '
        "on several servers at once."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Print what would change; change nothing.",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=services.policy.BATCH_SIZE,
            help="Accounts per transaction (default %(default)s).",
        )

    def handle(self, *args, dry_run: bool, batch_size: int, **options):
        now = timezone.now()
        if dry_run:
            self._preview(
                "Would lift the suspension of", User.objects.suspension_ended(now)
            )
            self._preview(
                "Would deactivate (access ended)", User.objects.access_ended(now)
            )
            return
        result = services.lifecycle_run(now, size=max(batch_size, 1))
        lifted, expired = (result.done[kind] for kind in ("lift", "expire"))
        self.stdout.write(f"Lifted {len(lifted)} suspension(s).")
        self.stdout.write(f"Deactivated {len(expired)} account(s) whose access ended.")
        for reason in result.skipped.values():
            self.stderr.write(f"Left as it is: {reason}")
        self._keep_trail()

    def _keep_trail(self) -> None:
        try:
            sealed, purged = retention.upkeep(settings.AUDIT_RETENTION_DAYS)
        except (ImproperlyConfigured, ValueError) as error:
            self.stderr.write(f"The audit trail was not sealed: {error}")
            return
        self.stdout.write(f"Sealed {sealed} audit event(s); purged {purged}.")

    def _preview(self, what: str, users) -> None:
        names = list(users.order_by("pk").values_list("username", flat=True))
        self.stdout.write(f"{what}: {len(names)} account(s)")
        for name in names[:SHOWN]:
            self.stdout.write(f"  {name}")
        if len(names) > SHOWN:
            self.stdout.write(f"  … and {len(names) - SHOWN} more")
