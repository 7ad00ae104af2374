"""Signed-in sessions that can be listed and ended: users.UserSession (a new,
empty table, so its index is built with it) and the audit trail's two new
actions (choices only: no change to the column)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("users", "0007_audit_event_mfa_actions"),
    ]

    operations = [
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
                ],
                max_length=20,
                verbose_name="action",
            ),
        ),
        migrations.CreateModel(
            name="UserSession",
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
                    "session_key",
                    models.CharField(
                        max_length=40, unique=True, verbose_name="session key"
                    ),
                ),
                ("epoch", models.IntegerField(verbose_name="session epoch")),
                (
                    "created_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="started"
                    ),
                ),
                (
                    "last_seen_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="last seen"
                    ),
                ),
                ("expires_at", models.DateTimeField(verbose_name="expires")),
                (
                    "ip",
                    models.GenericIPAddressField(
                        blank=True, null=True, verbose_name="client IP"
                    ),
                ),
                (
                    "user_agent",
                    models.CharField(
                        blank=True, max_length=300, verbose_name="user agent"
                    ),
                ),
                (
                    "browser",
                    models.CharField(
                        blank=True, max_length=100, verbose_name="browser"
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="signed_in_sessions",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "session",
                "verbose_name_plural": "sessions",
                "ordering": ["-last_seen_at", "-id"],
                "indexes": [
                    models.Index(
                        fields=["user", "-last_seen_at"],
                        name="users_session_user_seen_idx",
                    )
                ],
            },
        ),
    ]
