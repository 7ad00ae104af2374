"""Bulk actions: a BULK audit action, and the batch that ties a bulk action's
event to the events of the accounts it touched (what an undo reverses).

Safe on a live trail: a nullable column without a default is a catalogue
change only, the new choice changes no SQL, and the index is built
CONCURRENTLY (partial: only bulk actions' events carry a batch)."""

from django.db import migrations, models

from users.migration_operations import AddIndexWithoutLocking


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [("users", "0013_last_login_index")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="batch",
            field=models.UUIDField(
                blank=True, editable=False, null=True, verbose_name="batch"
            ),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("create", "created"),
                    ("update", "updated"),
                    ("activate", "activated"),
                    ("deactivate", "deactivated"),
                    ("delete", "deleted"),
                    ("password", "password changed"),
                    ("grant", "groups/permissions changed"),
                    ("export", "exported users"),
                    ("import", "imported users"),
                    ("mfa_enrol", "two-factor authentication set up"),
                    ("mfa_codes", "recovery codes replaced"),
                    ("mfa_reset", "two-factor authentication reset"),
                    ("end_session", "session ended"),
                    ("end_sessions", "all sessions ended"),
                    ("unlock", "lifted a lockout"),
                    ("password_link", "password link sent"),
                    ("erase", "personal data erased"),
                    ("bulk", "bulk action"),
                ],
                max_length=20,
                verbose_name="action",
            ),
        ),
        AddIndexWithoutLocking(
            model_name="auditevent",
            index=models.Index(
                condition=models.Q(batch__isnull=False),
                fields=["batch", "action"],
                name="users_audit_batch_idx",
            ),
        ),
    ]
