"""The audit trail names the changes to staff second factors (choices only: no SQL)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("users", "0006_login_names_and_session_epoch"),
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
                ],
                max_length=20,
                verbose_name="action",
            ),
        ),
    ]
