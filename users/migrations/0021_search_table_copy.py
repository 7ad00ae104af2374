"""Fill users_usersearch and build its trigram indexes; safe on a live table.

In steps: the triggers that keep it in step with users_user from then on, and
the copy of the rows already there (short batches, ON CONFLICT DO NOTHING: a
row written meanwhile keeps its copy); the three GIN indexes built
CONCURRENTLY; statistics. users_user's own trigram indexes stay until 0022,
so the release before this one still searches through them meanwhile.
"""

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import migrations
from django.db.models.functions import Upper

from users.migration_operations import AddIndexWithoutLocking
from users.search_table_operations import CopyIntoSearchTable, analyze_search_table

FIELDS = ("email", "username", "full_name")


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [("users", "0020_search_table")]

    operations = [
        CopyIntoSearchTable(),
        *(
            AddIndexWithoutLocking(
                model_name="usersearch",
                index=GinIndex(
                    OpClass(Upper(field), name="gin_trgm_ops"),
                    fastupdate=False,
                    name=f"users_search_{field}_trgm",
                ),
            )
            for field in FIELDS
        ),
        migrations.RunPython(analyze_search_table, migrations.RunPython.noop),
    ]
