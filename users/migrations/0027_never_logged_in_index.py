"""A partial index of the accounts that never logged in, by (created_at, id),
built CONCURRENTLY like 0026's. A quarter of the accounts in the benchmark:
the "never logged in" filter's capped count read ~40,000 rows of users_user
to find 10,001 (the (last_login_key, id) expression index holds the key, not
last_login itself); with this index it reads index entries only, and its
first page walks the index."""

from django.db import migrations, models

from users.migration_operations import AddIndexWithoutLocking


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [("users", "0026_filter_indexes")]

    operations = [
        AddIndexWithoutLocking(
            model_name="user",
            index=models.Index(
                condition=models.Q(("last_login", None)),
                fields=["created_at", "id"],
                name="users_user_never_logged_in_idx",
            ),
        ),
    ]
