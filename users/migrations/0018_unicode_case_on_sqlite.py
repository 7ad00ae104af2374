"""SQLite: rebuild the case-insensitive indexes with Unicode case folding.

The SQLite backend (noogh_site/sqlite) now folds every letter in LOWER() as
PostgreSQL does. Indexes on LOWER(email) and LOWER(username) built with
SQLite's ASCII-only function hold stale keys ("zoË" for "ZOË"): lookups miss
them, and SQLite reports changing or deleting such a row as a malformed
database. So they are dropped and built again.

Two accounts that become one under the new folding ("Zoë" and "ZOË") stop the
migration, listing their ids. Not atomic on purpose: the stale indexes stay
dropped, so staff can rename or delete one of each pair (the services still
refuse new duplicates), then run migrate again, which builds the indexes.
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


def rebuild_with_unicode_case(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    User = apps.get_model("users", "User")
    for index in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(index)}")
    found = clashes(User)
    if found:
        raise CommandError(
            "users: these accounts differ only in the case of a non-ASCII letter,"
            " which SQLite did not see until now. Rename or delete one of each"
            " pair, then run migrate again (until then the database does not"
            " enforce unique emails and usernames itself):\n" + "\n".join(found)
        )
    for constraint in User._meta.constraints:
        if constraint.name in INDEXES:
            schema_editor.add_constraint(User, constraint)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("users", "0017_validate_username_length"),
    ]

    operations = [
        migrations.RunPython(rebuild_with_unicode_case, migrations.RunPython.noop),
    ]
