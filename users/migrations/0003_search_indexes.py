from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations
from django.db.models.functions import Upper

from users.migration_operations import AddIndexWithoutLocking


def trigram_index(field):
    return AddIndexWithoutLocking(
        model_name="user",
        index=GinIndex(
            OpClass(Upper(field), name="gin_trgm_ops"), name=f"users_user_{field}_trgm"
        ),
    )


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [("users", "0002_sort_indexes")]

    operations = [
        TrigramExtension(),
        *(trigram_index(field) for field in ("email", "username", "full_name")),
    ]
