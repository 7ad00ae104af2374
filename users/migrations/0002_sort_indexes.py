from django.db import migrations, models

from users.migration_operations import AddIndexWithoutLocking


def sort_index(field):
    return AddIndexWithoutLocking(
        model_name="user",
        index=models.Index(fields=[field, "id"], name=f"users_user_{field}_id_idx"),
    )


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [("users", "0001_initial")]

    operations = [
        sort_index(field) for field in ("created_at", "full_name", "email", "username")
    ]
