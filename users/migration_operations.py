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


class AddCheckConstraintNotValid(AddConstraint):
    """Add a CHECK constraint that new writes obey, without scanning old rows.

    PostgreSQL: ADD CONSTRAINT ... NOT VALID takes a brief lock and checks only
    rows written from now on; rows already there are reported by the migration
    beside it (VALIDATE CONSTRAINT can follow once they are fixed). SQLite cannot
    add a constraint without rebuilding the table, so the same condition is
    enforced by insert and update triggers. The model state gets the plain
    CheckConstraint either way.
    """

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        table = schema_editor.quote_name(model._meta.db_table)
        name = self.constraint.name
        if schema_editor.connection.vendor == "postgresql":
            sql = self.constraint.constraint_sql(model, schema_editor)
            schema_editor.execute(f"ALTER TABLE {table} ADD {sql} NOT VALID", None)
            return
        check = self.constraint._get_check_sql(model, schema_editor)
        for event in ("INSERT", "UPDATE"):
            schema_editor.execute(
                f"CREATE TRIGGER {name}_{event.lower()} BEFORE {event} ON {table} "
                f"FOR EACH ROW WHEN NOT ({_on_new_row(check, model)}) "
                f"BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: {name}'); END"
            )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
            return
        for event in ("insert", "update"):
            schema_editor.execute(
                f"DROP TRIGGER IF EXISTS {self.constraint.name}_{event}"
            )
        del model


def _on_new_row(check: str, model) -> str:
    """Qualify the check's column names with NEW. for a trigger."""
    for field in model._meta.concrete_fields:
        quoted = f'"{field.column}"'
        check = check.replace(quoted, f"NEW.{quoted}")
    return check
