"""Partial indexes for the list's filters on rare states - deactivated,
staff, superuser - built CONCURRENTLY (no lock on users_user; an
interrupted build is dropped and rebuilt by the next `migrate`). Each holds
only the rows in its state: at 1M users the inactive filter's first page and
capped count read ~10,000 index entries instead of scanning the table."""

from django.db import migrations, models

from users.migration_operations import AddIndexWithoutLocking


def _partial(name: str, condition: models.Q, fields=("created_at", "id")):
    return AddIndexWithoutLocking(
        model_name="user",
        index=models.Index(condition=condition, fields=list(fields), name=name),
    )


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [("users", "0025_dormant_policy")]

    operations = [
        _partial("users_user_inactive_idx", models.Q(("is_active", False))),
        _partial("users_user_staff_idx", models.Q(("is_staff", True))),
        _partial("users_user_superuser_idx", models.Q(("is_superuser", True))),
    ]
