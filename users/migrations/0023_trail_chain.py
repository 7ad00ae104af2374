"""A trail you can trust: the hash chain's columns on users_auditevent (all
NULL: events already there are sealed later, in batches, by the sealer -
manage.py audit_seal - not here), the purge's checkpoint, the chain's
indexes (built CONCURRENTLY), and on PostgreSQL the triggers that refuse
changing or deleting audit events but for sealing, erasure and the purge
(users.trail_guard_operations)."""

from django.db import migrations, models

from users.migration_operations import AddIndexWithoutLocking
from users.trail_guard_operations import GuardAuditTrail


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [("users", "0022_drop_user_trigram_indexes")]

    operations = [
        migrations.CreateModel(
            name="AuditCheckpoint",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                (
                    "seq",
                    models.BigIntegerField(verbose_name="last purged chain position"),
                ),
                (
                    "hash",
                    models.CharField(max_length=64, verbose_name="its chain hash"),
                ),
                ("through_at", models.DateTimeField(verbose_name="its time")),
                (
                    "purged",
                    models.BigIntegerField(
                        default=0, verbose_name="events purged in all"
                    ),
                ),
            ],
            options={"verbose_name": "audit checkpoint", "default_permissions": ()},
        ),
        migrations.AddField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(
                editable=False, max_length=64, null=True, verbose_name="chain hash"
            ),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="redacted",
            field=models.JSONField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(
                editable=False, null=True, verbose_name="chain position"
            ),
        ),
        AddIndexWithoutLocking(
            model_name="auditevent",
            index=models.Index(fields=["seq"], name="users_audit_seq_idx"),
        ),
        AddIndexWithoutLocking(
            model_name="auditevent",
            index=models.Index(
                condition=models.Q(("seq__isnull", True)),
                fields=["id"],
                name="users_audit_unsealed_idx",
            ),
        ),
        GuardAuditTrail(),
    ]
