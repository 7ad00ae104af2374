"""The account lifecycle, for cron, a systemd timer or a Kubernetes CronJob:
lift suspensions whose end has come, deactivate accounts whose access ended,
then the dormant-account policy (warn, deactivate), then the trail's upkeep:
seal new events, purge past AUDIT_RETENTION_DAYS. Idempotent; several servers
may run it at once (see users.services.policy and .dormancy)."""

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from users import services
from users.audit import retention
from users.export import EXPORT_FIELDS, csv_lines
from users.managers.dormancy import DormancyPolicy
from users.models import User

SHOWN = 50


class Command(BaseCommand):
    help = (
        "Lift suspensions whose end has come, deactivate accounts whose access "
        "has ended, and apply the dormant-account policy (DORMANT_AFTER_DAYS) "
        '(audited, actor "policy"). Safe to rerun and to run on several '
        "servers at once."
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
        parser.add_argument(
            "--dormant-batch-size",
            type=int,
            default=services.dormancy.BATCH_SIZE,
            help="Dormant accounts deactivated per transaction (default %(default)s).",
        )
        parser.add_argument(
            "--dormant-csv",
            metavar="FILE",
            help="With --dry-run: write the accounts the dormant-account policy "
            "would deactivate to FILE (CSV, as the list's export).",
        )

    def handle(self, *args, dry_run: bool, batch_size: int, **options):
        now, policy = timezone.now(), DormancyPolicy.from_settings()
        if options["dormant_csv"] and not dry_run:
            raise CommandError("--dormant-csv previews: give --dry-run too.")
        if dry_run:
            self._dry_run(now, policy, options["dormant_csv"])
            return
        result = services.lifecycle_run(
            now,
            size=max(batch_size, 1),
            policy=policy,
            dormant_size=max(options["dormant_batch_size"], 1),
        )
        lifted, expired = (result.done[kind] for kind in ("lift", "expire"))
        self.stdout.write(f"Lifted {len(lifted)} suspension(s).")
        self.stdout.write(f"Deactivated {len(expired)} account(s) whose access ended.")
        dormancy = result.dormancy
        if policy.enabled:
            self.stdout.write(f"Warned {dormancy.warned} dormant account(s).")
            self.stdout.write(f"Deactivated {dormancy.deactivated} dormant account(s).")
        for reason in (*result.skipped.values(), *dormancy.skipped.values()):
            self.stderr.write(f"Left as it is: {reason}")
        for reason in dormancy.unsent.values():
            self.stderr.write(f"Warning not sent (retried next run): {reason}")
        self._keep_trail()

    def _keep_trail(self) -> None:
        try:
            sealed, purged = retention.upkeep(settings.AUDIT_RETENTION_DAYS)
        except (ImproperlyConfigured, ValueError) as error:
            self.stderr.write(f"The audit trail was not sealed: {error}")
            return
        self.stdout.write(f"Sealed {sealed} audit event(s); purged {purged}.")

    def _dry_run(self, now, policy: DormancyPolicy, csv_path: str | None) -> None:
        self._preview(
            "Would lift the suspension of", User.objects.suspension_ended(now)
        )
        self._preview("Would deactivate (access ended)", User.objects.access_ended(now))
        if not policy.enabled:
            self.stdout.write("The dormant-account policy is off (DORMANT_AFTER_DAYS).")
            return
        dormant = User.objects.dormant(policy, now)
        if policy.warns:
            self._preview(
                "Would warn (dormant soon)", User.objects.due_warning(policy, now)
            )
        self._preview(
            f"Would deactivate (no login for {policy.after_days} days)", dormant
        )
        if csv_path:
            self._write_csv(Path(csv_path), dormant)

    def _preview(self, what: str, users) -> None:
        count = users.count()
        self.stdout.write(f"{what}: {count} account(s)")
        names = users.order_by("pk").values_list("username", flat=True)[:SHOWN]
        for name in names:
            self.stdout.write(f"  {name}")
        if count > SHOWN:
            self.stdout.write(f"  … and {count - SHOWN} more")

    def _write_csv(self, path: Path, users) -> None:
        try:
            with path.open("w", encoding="utf-8", newline="") as out:
                rows = services.users_export(
                    users,
                    fields=EXPORT_FIELDS,
                    ordering="last_login",
                    actor=None,
                    filters=services.dormancy.PREVIEW_EXPORT,
                )
                for line in csv_lines(rows):
                    out.write(line)
        except OSError as error:
            raise CommandError(f"Cannot write {path}: {error}") from error
        self.stdout.write(f"Wrote the accounts it would deactivate to {path}.")
