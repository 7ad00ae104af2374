"""An index of the active superusers (a handful of rows), built CONCURRENTLY:
every write that could remove one - deactivation, deletion, erasure, bulk
actions - locks them all, and at 1M accounts that was a scan of the table
(480 ms of an erasure's time)."""

from django.db import migrations, models

from users.migration_operations import AddIndexWithoutLocking


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("users", "0023_trail_chain")]

    operations = [
        AddIndexWithoutLocking(
            model_name="user",
            index=models.Index(
                condition=models.Q(("is_active", True), ("is_superuser", True)),
                fields=["id"],
                name="users_active_superuser_idx",
            ),
        )
    ]
