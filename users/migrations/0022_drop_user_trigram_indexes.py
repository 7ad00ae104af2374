"""Drop users_user's trigram indexes (CONCURRENTLY): the search reads
users_usersearch since 0021's release, and every write to users_user paid for
them. Going back rebuilds them concurrently."""

from django.db import migrations

from users.migration_operations import RemoveIndexWithoutLocking


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("users", "0021_search_table_copy")]

    operations = [
        RemoveIndexWithoutLocking(model_name="user", name=f"users_user_{field}_trgm")
        for field in ("email", "username", "full_name")
    ]
