"""Migrations that make SQLite rebuild the users table, generated and applied
forward and back on both databases; and the SQLite indexes rebuilt for Unicode
case folding (migration 0018)."""

import importlib
import shutil
import sys
import uuid
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, models, transaction
from django.db.migrations.autodetector import MigrationAutodetector
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.questioner import NonInteractiveMigrationQuestioner
from django.db.migrations.writer import MigrationWriter

import users
from noogh_site.sqlite import casing
from users.models import User, UserSearch

from .factories import UserFactory
from .test_migrations import TRIGRAM_INDEXES, search_indexes
from .test_username_limit import insert_raw

pytestmark = pytest.mark.django_db(transaction=True)
MIGRATIONS = Path(users.__file__).parent / "migrations"


def schema() -> dict:
    """What a rebuild must keep: the users table's columns, indexes, unique
    and check constraints, and (SQLite) triggers."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "users_user")
        columns = connection.introspection.get_table_description(cursor, "users_user")
        triggers = []
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger'"
                " AND tbl_name = 'users_user' ORDER BY name"
            )
            triggers = [name for (name,) in cursor.fetchall()]
    return {
        "columns": {(c.name, c.internal_size) for c in columns},
        "constraints": {
            name: (info["unique"], info["index"], info["check"])
            for name, info in constraints.items()
        },
        "triggers": triggers,
    }


def generate_migration(package: Path, module: str) -> str:
    """makemigrations' own autodetector on the project state plus the seed's
    "Add user role column" and a changed max_length; written as a file into a
    copy of users/migrations. Returns the new migration's name."""
    loader = MigrationLoader(connection)
    before = loader.project_state()
    after = before.clone()
    user = after.models["users", "user"]
    user.fields["role"] = models.CharField(max_length=20, default="member")
    full_name = user.fields["full_name"].clone()
    full_name.max_length = 300
    user.fields["full_name"] = full_name
    changes = MigrationAutodetector(
        before, after, NonInteractiveMigrationQuestioner()
    ).changes(graph=loader.graph, migration_name="role_and_longer_names")
    migration = changes["users"][0]
    (package / f"{migration.name}.py").write_text(
        MigrationWriter(migration).as_string()
    )
    operations = {type(op).__name__ for op in migration.operations}
    assert operations == {"AddField", "AlterField"}
    return migration.name


@pytest.fixture
def migrations_copy(tmp_path, settings):
    module = f"generated_{uuid.uuid4().hex}"
    package = tmp_path / module
    shutil.copytree(MIGRATIONS, package, ignore=shutil.ignore_patterns("__pycache__"))
    sys.path.insert(0, str(tmp_path))
    settings.MIGRATION_MODULES = {"users": module}
    importlib.invalidate_caches()
    yield package
    sys.path.remove(str(tmp_path))


def latest_migration() -> str:
    return max(p.stem for p in MIGRATIONS.glob("0*.py"))


def test_a_generated_rebuilding_migration_applies_and_reverts(migrations_copy):
    UserFactory(username="Zoë", full_name="Before")
    before = schema()
    name = generate_migration(migrations_copy, migrations_copy.name)
    importlib.invalidate_caches()
    try:
        call_command("migrate", "users", name, verbosity=0)
        after = schema()
        assert "role" in {column for column, _ in after["columns"]}
        # Everything else survived the rebuild: indexes (the trigram ones on
        # PostgreSQL), the case-insensitive unique indexes, the triggers.
        assert after["constraints"] == before["constraints"]
        assert after["triggers"] == before["triggers"]
        with connection.cursor() as cursor:
            cursor.execute("SELECT role, full_name FROM users_user")
            assert cursor.fetchall() == [("member", "Before")]
            # The widened column still reaches the search's copy (PostgreSQL).
            cursor.execute("UPDATE users_user SET full_name = %s", ["y" * 300])
            assert_search_table_follows("y" * 300)
            cursor.execute("UPDATE users_user SET full_name = 'Before'")
        assert_search_table_follows("Before")
        assert_rules_hold()
        call_command("migrate", "users", latest_migration(), verbosity=0)
        assert schema() == before
        assert_rules_hold()
    finally:
        call_command("migrate", "users", latest_migration(), verbosity=0)
    if connection.vendor == "postgresql":
        assert search_indexes() >= TRIGRAM_INDEXES


def assert_search_table_follows(full_name: str) -> None:
    copies = list(UserSearch.objects.values_list("full_name", flat=True))
    assert copies == ([full_name] if connection.vendor == "postgresql" else [])


def assert_rules_hold():
    """The database still refuses what the triggers and constraints refuse."""
    for bad in ("has@at", "x" * 101, "zoë"):
        with pytest.raises(IntegrityError), transaction.atomic():
            insert_raw(bad)


def reindex_migration():
    return importlib.import_module("users.migrations.0018_unicode_case_on_sqlite")


def ascii_lower(value):
    if not isinstance(value, str):
        return value
    return "".join(char.lower() if char.isascii() else char for char in value)


def with_ascii_only_lower(*usernames: str) -> None:
    """Rows indexed as before migration 0018: by SQLite's ASCII-only LOWER."""
    raw = connection.connection
    raw.create_function("LOWER", 1, ascii_lower, deterministic=True)
    try:
        for username in usernames:
            UserFactory(username=username)
    finally:
        casing.register(raw)


def test_the_case_insensitive_indexes_are_rebuilt_on_sqlite():
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        with_ascii_only_lower("Ümit")
        # The index still holds the old key: the lookup misses.
        assert User.objects.get_by_username("ümit") is None
    else:
        UserFactory(username="Ümit")
    with connection.schema_editor(atomic=False) as editor:
        reindex_migration().rebuild_with_unicode_case(apps, editor)
    assert User.objects.get_by_username("ümit").username == "Ümit"


def test_accounts_that_fold_together_stop_the_reindex_with_their_ids():
    connection.ensure_connection()
    if connection.vendor != "sqlite":
        return  # PostgreSQL always folded Unicode: no such pair can exist
    with_ascii_only_lower("Zoë", "ZOË")
    ids = sorted(User.objects.values_list("pk", flat=True))
    with (
        pytest.raises(CommandError) as stopped,
        connection.schema_editor(atomic=False) as editor,
    ):
        reindex_migration().rebuild_with_unicode_case(apps, editor)
    assert f"username 'ZOË': ids {ids[0]} and {ids[1]}" in str(stopped.value)
    # Meanwhile the stale indexes are gone, so the pair can be put right.
    User.objects.filter(pk=ids[1]).update(username="Zoë2")
    with connection.schema_editor(atomic=False) as editor:
        reindex_migration().rebuild_with_unicode_case(apps, editor)
    assert User.objects.get_by_username("ZOË").pk == ids[0]
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_raw("zoË")
