"""Account lifecycle: suspensions (a table of their own), User.active_until (a
nullable column: no rewrite of the users table) and its partial index, built
CONCURRENTLY. The new table and column are instant; only the index build takes
time, and an interrupted one is dropped and rebuilt by the next `migrate`."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from users.migration_operations import AddIndexWithoutLocking


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("users", "0018_unicode_case_on_sqlite"),
    ]

    operations = [
        migrations.CreateModel(
            name="Suspension",
            fields=[
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="suspension",
                        serialize=False,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "reason",
                    models.CharField(
                        choices=[
                            ("security", "Security (a compromised account)"),
                            ("abuse", "Abuse of the terms of use"),
                            ("billing", "Billing"),
                            ("request", "At the account holder's request"),
                            ("other", "Another reason (say which)"),
                        ],
                        max_length=20,
                        verbose_name="reason",
                    ),
                ),
                (
                    "note",
                    models.CharField(
                        blank=True, max_length=500, verbose_name="details"
                    ),
                ),
                (
                    "until",
                    models.DateTimeField(
                        blank=True, db_index=True, null=True, verbose_name="until"
                    ),
                ),
                (
                    "message",
                    models.CharField(
                        blank=True, max_length=500, verbose_name="message at login"
                    ),
                ),
                (
                    "at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="suspended at"
                    ),
                ),
                (
                    "by_id",
                    models.BigIntegerField(
                        blank=True, null=True, verbose_name="suspended by (id)"
                    ),
                ),
                (
                    "by_label",
                    models.CharField(max_length=150, verbose_name="suspended by"),
                ),
            ],
            options={
                "verbose_name": "suspension",
                "verbose_name_plural": "suspensions",
            },
        ),
        migrations.AddField(
            model_name="user",
            name="active_until",
            field=models.DateTimeField(
                blank=True, editable=False, null=True, verbose_name="active until"
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
                    ("token_create", "created an API token"),
                    ("token_revoke", "revoked an API token"),
                    ("token_use", "used an API token (first use that day)"),
                    ("suspend", "suspended"),
                    ("lift", "lifted a suspension"),
                    ("active_until", "set when access ends"),
                    ("expire", "access ended (expired)"),
                ],
                max_length=20,
                verbose_name="action",
            ),
        ),
        AddIndexWithoutLocking(
            model_name="user",
            index=models.Index(
                condition=models.Q(("active_until__isnull", False)),
                fields=["active_until", "id"],
                name="users_user_active_until_idx",
            ),
        ),
    ]
