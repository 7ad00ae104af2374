"""Migrations: to zero and back (on a loaded table too), lock and statement
timeouts, and the indexes each database gets."""

import pytest
from django.core.management import call_command
from django.db import connection

from users.models import User

from .markers import postgres_only

pytestmark = pytest.mark.django_db(transaction=True)

SORT_INDEXES = {
    "users_user_created_at_id_idx",
    "users_user_full_name_id_idx",
    "users_user_email_id_idx",
    "users_user_username_id_idx",
}
# On the search table since 0021 (users_user had them until 0022).
TRIGRAM_INDEXES = {
    "users_search_email_trgm",
    "users_search_username_trgm",
    "users_search_full_name_trgm",
}
OLD_TRIGRAM_INDEXES = {
    "users_user_email_trgm",
    "users_user_username_trgm",
    "users_user_full_name_trgm",
}
LOADED_ROWS = 100_000


def user_indexes(table: str = "users_user") -> set[str]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return {name for name, info in constraints.items() if info["index"]}


def search_indexes() -> set[str]:
    return user_indexes("users_usersearch")


def users_table_exists() -> bool:
    return "users_user" in connection.introspection.table_names()


def count_users() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM users_user")
        return cursor.fetchone()[0]


@pytest.mark.slow
def test_migrations_go_to_zero_and_back():
    try:
        call_command("migrate", "users", "zero", verbosity=0)
        assert not users_table_exists()
    finally:
        call_command("migrate", verbosity=0)
    assert users_table_exists()
    call_command("migrate", "users", "0001", verbosity=0)
    assert not user_indexes() & (SORT_INDEXES | OLD_TRIGRAM_INDEXES)
    call_command("migrate", verbosity=0)


def test_models_and_migrations_agree():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_each_database_gets_the_indexes_it_supports():
    indexes = user_indexes()
    assert indexes >= SORT_INDEXES
    assert not indexes & OLD_TRIGRAM_INDEXES
    if connection.vendor == "postgresql":
        assert search_indexes() >= TRIGRAM_INDEXES
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
            assert cursor.fetchone()
            # No pending list: searches stay index-backed under steady writes.
            cursor.execute(
                "SELECT relname, reloptions FROM pg_class WHERE relname = ANY(%s)",
                [sorted(TRIGRAM_INDEXES)],
            )
            options = dict(cursor.fetchall())
        assert options == {name: ["fastupdate=off"] for name in TRIGRAM_INDEXES}
    else:
        # GIN trigram indexes exist only on PostgreSQL: skipped, never faked.
        assert not TRIGRAM_INDEXES & search_indexes()


@postgres_only
def test_rerun_after_an_interrupted_concurrent_build_recovers():
    # An interrupted CREATE INDEX CONCURRENTLY leaves an INVALID index; fake one
    # by marking the real index invalid, then migrate again from before it.
    call_command("migrate", "users", "0020", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            'CREATE INDEX "users_search_email_trgm" ON users_usersearch (email)'
        )
        cursor.execute(
            "UPDATE pg_index SET indisvalid = false WHERE indexrelid ="
            " 'users_search_email_trgm'::regclass"
        )
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indisvalid, pg_get_indexdef(indexrelid) FROM pg_index"
            " WHERE indexrelid = 'users_search_email_trgm'::regclass"
        )
        valid, definition = cursor.fetchone()
    assert valid and "gin_trgm_ops" in definition


@postgres_only
def test_migrating_a_loaded_table_from_zero_to_latest_and_back():
    try:
        call_command("migrate", "users", "0001", verbosity=0)
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO users_user (password, is_superuser, email, username,
                    full_name, is_active, is_staff, created_at, updated_at)
                SELECT '!', false, 'u' || n || '@example.com', 'u' || n,
                    'User ' || n, true, false, now(), now()
                FROM generate_series(1, %s) AS n
                """,
                [LOADED_ROWS],
            )
        call_command("migrate", verbosity=0)  # indexes built CONCURRENTLY
        assert count_users() == LOADED_ROWS
        # The search table was filled from the loaded rows (0021).
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT COUNT(*) FROM users_user AS u JOIN users_usersearch AS s"
                " ON s.user_id = u.id AND s.email = u.email"
                " AND s.username = u.username AND s.full_name = u.full_name"
            )
            assert cursor.fetchone() == (LOADED_ROWS,)
        assert User.objects.search("r 4242").count() == 11  # 4242, 42420-42429
        call_command("migrate", "users", "0021", verbosity=0)
        assert user_indexes() >= OLD_TRIGRAM_INDEXES
        call_command("migrate", "users", "0019", verbosity=0)
        assert "users_usersearch" not in connection.introspection.table_names()
        assert count_users() == LOADED_ROWS
        call_command("migrate", "users", "0001", verbosity=0)
        assert count_users() == LOADED_ROWS
        call_command("migrate", "users", "zero", verbosity=0)
        assert "users_user" not in connection.introspection.table_names()
    finally:
        call_command("migrate", verbosity=0)
    assert count_users() == 0


@postgres_only
def test_migrate_sets_lock_and_statement_timeouts(settings):
    settings.MIGRATE_LOCK_TIMEOUT = "3s"
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        assert cursor.fetchone() == ("3s",)
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone() == ("30min",)
        cursor.execute("SET lock_timeout = 0; SET statement_timeout = 0")
