"""Migration operations that keep deploys from locking the users table."""

from django.contrib.postgres.indexes import PostgresIndex
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db.migrations.operations import AddIndex

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
