import datetime

import django.db.models.functions.comparison
from django.db import migrations, models

from users.migration_operations import AddIndexWithoutLocking


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [("users", "0012_audit_action_erase")]

    operations = [
        AddIndexWithoutLocking(
            model_name="user",
            index=models.Index(
                django.db.models.functions.comparison.Coalesce(
                    "last_login",
                    models.Value(
                        datetime.datetime(1, 1, 1, 0, 0, tzinfo=datetime.UTC),
                        output_field=models.DateTimeField(),
                    ),
                ),
                models.F("id"),
                name="users_user_last_login_id_idx",
            ),
        ),
    ]
