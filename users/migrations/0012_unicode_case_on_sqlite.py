"""SQLite: rebuild the case-insensitive indexes with Unicode case folding.

The SQLite backend (noogh_site/sqlite) now folds every letter in LOWER() as
PostgreSQL does; indexes on LOWER(email) and LOWER(username) built by SQLite's
ASCII-only function hold stale keys ("zoË" for "ZOË"), so lookups would miss
and "Zoë" beside "ZOË" would go unnoticed. Two accounts that become one under
the new folding stop the migration with their ids, before anything changes.
Nothing to do on PostgreSQL, which always folded Unicode.
"""

from django.core.management import CommandError
from django.db import migrations

from noogh_site.sqlite import casing

INDEXES = ("users_user_email_ci_unique", "users_user_username_ci_unique")


def clashes(User) -> list[str]:
    seen: dict[tuple[str, str], int] = {}
    found = []
    rows = User.objects.order_by("pk").values_list("pk", "email", "username")
    for pk, *values in rows.iterator(2000):
        for field, value in zip(("email", "username"), values, strict=True):
            other = seen.setdefault((field, casing.lower(value)), pk)
            if other != pk:
                found.append(f"  {field} {value!r}: ids {other} and {pk}")
    return found


def reindex_with_unicode_case(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    found = clashes(apps.get_model("users", "User"))
    if found:
        raise CommandError(
            "users: these accounts differ only in the case of a non-ASCII letter,"
            " which SQLite did not see until now; rename or delete one of each"
            " pair, then run migrate again:\n" + "\n".join(found)
        )
    for index in INDEXES:
        schema_editor.execute(f"REINDEX {schema_editor.quote_name(index)}")


class Migration(migrations.Migration):
    dependencies = [
        ("users", "0011_validate_username_length"),
    ]

    operations = [
        migrations.RunPython(reindex_with_unicode_case, migrations.RunPython.noop),
    ]
