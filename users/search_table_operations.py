"""The migration operation that fills and keeps the search's own table
(users_usersearch, users.usersearch.UserSearch) on PostgreSQL."""

from django.db import IntegrityError, transaction
from django.db.migrations.operations.base import Operation


class CopyIntoSearchTable(Operation):
    """Keep users_usersearch (usersearch.UserSearch) a copy of each account's
    searched columns, on PostgreSQL, by triggers on users_user; then copy the
    accounts already there. Nothing on other databases.

    Triggers rather than code: imports, bulk actions and erasure write with
    raw SQL and COPY, and each would otherwise have to remember the copy.
    An INSERT statement copies its rows in one INSERT ... SELECT from its
    transition table (cheap for a COPY of a million rows); an UPDATE that
    changes email, username or full name upserts that row's copy (the WHEN
    clause keeps every other update - (de)activation, logins - from queueing
    the trigger at all); deletes cascade (the foreign key). The WHEN clause
    compares whole rows through users_search_changed() rather than naming the
    columns, as does the trigger (no UPDATE OF list): PostgreSQL refuses to
    change the type of a column a trigger names, so a later max_length change
    of users_user's columns would fail (test_sqlite_rebuilds makes one).

    The copy of existing rows runs after the triggers exist, in id ranges of
    BACKFILL_BATCH rows, each its own short transaction with ON CONFLICT DO
    NOTHING: a row written meanwhile already has its (newer) copy, which is
    kept. A batch that names an account deleted meanwhile fails its deferred
    foreign-key check and is simply run again.
    """

    reduces_to_sql = False
    reversible = True
    atomic = False

    def deconstruct(self):
        return self.__class__.__qualname__, [], {}

    def state_forwards(self, app_label, state):
        pass

    def describe(self) -> str:
        return "Copy the searched columns into users_usersearch, kept by triggers"

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(SEARCH_TRIGGERS_SQL, None)
        backfill_search_table(schema_editor.connection)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        for name in ("users_search_insert", "users_search_update"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON users_user")
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()")
        schema_editor.execute(
            "DROP FUNCTION IF EXISTS users_search_changed(users_user, users_user)"
        )


SEARCH_COPY_SET = """
    email = EXCLUDED.email, username = EXCLUDED.username,
    full_name = EXCLUDED.full_name
"""
SEARCH_TRIGGERS_SQL = f"""
CREATE OR REPLACE FUNCTION users_search_insert() RETURNS trigger AS $$
BEGIN
    INSERT INTO users_usersearch (user_id, email, username, full_name)
    SELECT id, email, username, full_name FROM inserted
    ON CONFLICT (user_id) DO UPDATE SET {SEARCH_COPY_SET};
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION users_search_changed(old users_user, new users_user)
RETURNS boolean AS $$
    SELECT old.email IS DISTINCT FROM new.email
        OR old.username IS DISTINCT FROM new.username
        OR old.full_name IS DISTINCT FROM new.full_name
$$ LANGUAGE sql IMMUTABLE;
CREATE OR REPLACE FUNCTION users_search_update() RETURNS trigger AS $$
BEGIN
    INSERT INTO users_usersearch (user_id, email, username, full_name)
    VALUES (NEW.id, NEW.email, NEW.username, NEW.full_name)
    ON CONFLICT (user_id) DO UPDATE SET {SEARCH_COPY_SET};
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS users_search_insert ON users_user;
CREATE TRIGGER users_search_insert AFTER INSERT ON users_user
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION users_search_insert();
DROP TRIGGER IF EXISTS users_search_update ON users_user;
CREATE TRIGGER users_search_update AFTER UPDATE ON users_user FOR EACH ROW
    WHEN (users_search_changed(OLD, NEW)) EXECUTE FUNCTION users_search_update();
"""
BACKFILL_BATCH = 100_000
BACKFILL_SQL = """
INSERT INTO users_usersearch (user_id, email, username, full_name)
SELECT id, email, username, full_name FROM users_user WHERE id >= %s AND id < %s
ON CONFLICT (user_id) DO NOTHING
"""
BACKFILL_ATTEMPTS = 3


def backfill_search_table(connection) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT MIN(id), MAX(id) FROM users_user")
        low, high = cursor.fetchone()
    if low is None:
        return
    for start in range(low, high + 1, BACKFILL_BATCH):
        for attempt in range(1, BACKFILL_ATTEMPTS + 1):
            try:
                with (
                    transaction.atomic(using=connection.alias),
                    connection.cursor() as cursor,
                ):
                    cursor.execute(BACKFILL_SQL, [start, start + BACKFILL_BATCH])
                break
            except IntegrityError:  # an account deleted meanwhile
                if attempt == BACKFILL_ATTEMPTS:
                    raise


def analyze_search_table(apps, schema_editor) -> None:
    """Statistics for the new table and its index expressions (PostgreSQL)."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ANALYZE users_usersearch")
