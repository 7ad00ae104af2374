"""Trigram indexes without GIN's pending list (fastupdate = off).

ALTER INDEX ... SET only changes the index's options (no rebuild, a brief
lock); the pending list already there is merged into the index right away.
"""

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import migrations
from django.db.models.functions import Upper

FIELDS = ("email", "username", "full_name")


def index(field, **options):
    return GinIndex(
        OpClass(Upper(field), name="gin_trgm_ops"),
        name=f"users_user_{field}_trgm",
        **options,
    )


def fastupdate_off(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # the trigram indexes exist only on PostgreSQL
    for field in FIELDS:
        name = f"users_user_{field}_trgm"
        schema_editor.execute(f"ALTER INDEX {name} SET (fastupdate = off)")
        schema_editor.execute(f"SELECT gin_clean_pending_list('{name}'::regclass)")


def fastupdate_default(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for field in FIELDS:
        schema_editor.execute(f"ALTER INDEX users_user_{field}_trgm RESET (fastupdate)")


class Migration(migrations.Migration):
    dependencies = [("users", "0004_audit_event")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunPython(fastupdate_off, fastupdate_default),
            ],
            state_operations=[
                operation
                for field in FIELDS
                for operation in (
                    migrations.RemoveIndex(
                        model_name="user", name=f"users_user_{field}_trgm"
                    ),
                    migrations.AddIndex(
                        model_name="user", index=index(field, fastupdate=False)
                    ),
                )
            ],
        ),
    ]
