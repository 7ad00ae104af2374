"""The dormant-account policy: two small tables (exemptions, warnings), new
audit actions (choices only), and a partial index on the users table for
active accounts by (Coalesce(last_login, created_at), id), built CONCURRENTLY
(an interrupted build is dropped and rebuilt by the next `migrate`), with
statistics on that expression: the planner ignores a partial index's own, and
without them guesses a third of the table dormant and scans it."""

import django.core.validators
import django.db.models.deletion
import django.db.models.functions.comparison
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from users.migration_operations import AddIndexWithoutLocking

IDLE_STATISTICS = "users_user_idle_since_stats"


def create_idle_statistics(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":  # PostgreSQL 14+
        schema_editor.execute(
            f"CREATE STATISTICS IF NOT EXISTS {IDLE_STATISTICS}"
            " ON (COALESCE(last_login, created_at)) FROM users_user"
        )
        schema_editor.execute("ANALYZE users_user")


def drop_idle_statistics(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP STATISTICS IF EXISTS {IDLE_STATISTICS}")


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("users", "0024_active_superuser_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="DormancyExemption",
            fields=[
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="dormancy_exemption",
                        serialize=False,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "note",
                    models.CharField(
                        blank=True,
                        max_length=500,
                        validators=[
                            django.core.validators.ProhibitNullCharactersValidator()
                        ],
                        verbose_name="why",
                    ),
                ),
                (
                    "at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="exempted at"
                    ),
                ),
                (
                    "by_id",
                    models.BigIntegerField(
                        blank=True, null=True, verbose_name="exempted by (id)"
                    ),
                ),
                (
                    "by_label",
                    models.CharField(max_length=150, verbose_name="exempted by"),
                ),
            ],
            options={
                "verbose_name": "dormancy exemption",
                "verbose_name_plural": "dormancy exemptions",
            },
        ),
        migrations.CreateModel(
            name="DormancyWarning",
            fields=[
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="dormancy_warning",
                        serialize=False,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                ("sent_at", models.DateTimeField(verbose_name="warned at")),
            ],
            options={
                "verbose_name": "dormancy warning",
                "verbose_name_plural": "dormancy warnings",
            },
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
                    ("dormant", "deactivated as dormant"),
                    ("dormant_warn", "warned of deactivation as dormant"),
                    ("dormant_exempt", "dormancy exemption changed"),
                ],
                max_length=20,
                verbose_name="action",
            ),
        ),
        AddIndexWithoutLocking(
            model_name="user",
            index=models.Index(
                django.db.models.functions.comparison.Coalesce(
                    "last_login", "created_at"
                ),
                models.F("id"),
                condition=models.Q(("is_active", True)),
                name="users_user_dormancy_idx",
            ),
        ),
        migrations.RunPython(create_idle_statistics, drop_idle_statistics),
    ]
