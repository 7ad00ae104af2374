"""Migration operations that keep deploys from locking the users table."""

from django.contrib.postgres.indexes import PostgresIndex
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db.migrations.operations import AddConstraint, AddIndex

INVALID_INDEX_SQL = """
    SELECT 1 FROM pg_index JOIN pg_class ON pg_class.oid = pg_index.indexrelid
    WHERE pg_class.relname = %s AND NOT pg_index.indisvalid
"""


class AddIndexWithoutLocking(AddIndexConcurrently):
    """Add an index CONCURRENTLY on PostgreSQL and plainly elsewhere.

    Indexes that only PostgreSQL has (GIN with trigram operator classes) are
    skipped on other databases rather than faked. A CONCURRENTLY build that was
    interrupted leaves an INVALID index behind; it is dropped first so that
    rerunning `migrate` after a lock timeout just works.
    """

    def _on_postgresql(self, schema_editor) -> bool:
        return schema_editor.connection.vendor == "postgresql"

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if self._on_postgresql(schema_editor):
            self._drop_invalid_leftover(schema_editor)
            super().database_forwards(app_label, schema_editor, from_state, to_state)
        elif not isinstance(self.index, PostgresIndex):
            AddIndex.database_forwards(
                self, app_label, schema_editor, from_state, to_state
            )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if self._on_postgresql(schema_editor):
            super().database_backwards(app_label, schema_editor, from_state, to_state)
        elif not isinstance(self.index, PostgresIndex):
            AddIndex.database_backwards(
                self, app_label, schema_editor, from_state, to_state
            )

    def _drop_invalid_leftover(self, schema_editor) -> None:
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(INVALID_INDEX_SQL, [self.index.name])
            if cursor.fetchone():
                cursor.execute(
                    "DROP INDEX CONCURRENTLY IF EXISTS "
                    + schema_editor.quote_name(self.index.name)
                )


class ForbidInNewUsernames(AddConstraint):
    """Refuse a character in usernames written from now on, leaving old ones be.

    A CHECK constraint (even NOT VALID on PostgreSQL) is checked on every
    UPDATE of a row, so an account whose username already holds the character
    could then not even be deactivated. Triggers check only inserted or
    changed usernames instead; the old ones are reported by the migration for
    staff to rename. The model state gets the CheckConstraint, which full_clean
    applies (a form save asks for the rename).
    """

    def __init__(self, *, character: str, **kwargs):
        self.character = character
        super().__init__(**kwargs)

    def deconstruct(self):
        name, args, kwargs = super().deconstruct()
        return name, args, kwargs | {"character": self.character}

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        table = schema_editor.quote_name(model._meta.db_table)
        name, char = self.constraint.name, self.character
        failed = f"CHECK constraint failed: {name}"
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(PG_TRIGGER_SQL.format(**locals()), None)
            return
        schema_editor.execute(
            f"CREATE TRIGGER {name}_insert BEFORE INSERT ON {table} FOR EACH ROW "
            f"WHEN instr(NEW.username, '{char}') > 0 "
            f"BEGIN SELECT RAISE(ABORT, '{failed}'); END"
        )
        schema_editor.execute(
            f"CREATE TRIGGER {name}_update BEFORE UPDATE OF username ON {table} "
            f"FOR EACH ROW WHEN instr(NEW.username, '{char}') > 0 "
            f"AND NEW.username IS NOT OLD.username "
            f"BEGIN SELECT RAISE(ABORT, '{failed}'); END"
        )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        table = schema_editor.quote_name(model._meta.db_table)
        name = self.constraint.name
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()")
            return
        for event in ("insert", "update"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}_{event}")


PG_TRIGGER_SQL = """
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$
BEGIN
    IF position('{char}' in NEW.username) > 0
       AND (TG_OP = 'INSERT' OR NEW.username IS DISTINCT FROM OLD.username) THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation', MESSAGE = '{failed}';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER {name} BEFORE INSERT OR UPDATE ON {table}
FOR EACH ROW EXECUTE FUNCTION {name}();
"""
