"""Django's SQLite backend, made to behave like the PostgreSQL one in production.

- **Unicode case** (casing.py): UPPER and LOWER fold every letter as PostgreSQL
  does, and the case-insensitive lookups (iexact, icontains, istartswith,
  iendswith) compare UPPER() of both sides as PostgreSQL's backend does, not
  SQLite's ASCII-only LIKE. So "ZOË" finds "zoë", and the unique indexes on
  LOWER(username) / LOWER(email) refuse "Zoë" beside "ZOË".
- **PostgreSQL-only indexes** (GIN with trigram operator classes) are skipped,
  never faked: they live in the model state, so whenever SQLite rebuilds the
  users table (a new NOT NULL column, a changed max_length, a constraint)
  Django would try to create them too and fail on "gin_trgm_ops".
- **Triggers survive table rebuilds.** Some rules are triggers here
  (users.migration_operations: checks on new or changed usernames only); a
  rebuild drops the old table and its triggers with it, so they are recreated
  afterwards, and a CHECK constraint a trigger stands for is not added to the
  rebuilt table (it would refuse to copy the old rows the trigger spares).
"""

from django.contrib.postgres.indexes import OpClass, PostgresIndex
from django.db.backends.sqlite3 import base, operations, schema

from . import casing

CASE_INSENSITIVE_LOOKUPS = ("iexact", "icontains", "istartswith", "iendswith")


def postgres_only(index) -> bool:
    return isinstance(index, PostgresIndex) or any(
        isinstance(expression, OpClass) for expression in index.expressions
    )


class DatabaseSchemaEditor(schema.DatabaseSchemaEditor):
    trigger_backed: frozenset[str] = frozenset()

    def _model_indexes_sql(self, model):
        skipped = {index.name for index in model._meta.indexes if postgres_only(index)}
        return [
            sql
            for sql in super()._model_indexes_sql(model)
            if not any(name in str(sql) for name in skipped)
        ]

    def add_index(self, model, index):
        if not postgres_only(index):
            super().add_index(model, index)

    def remove_index(self, model, index):
        if not postgres_only(index):
            super().remove_index(model, index)

    def _remake_table(self, model, *args, **kwargs):
        triggers = self._triggers_of(model._meta.db_table)
        # ForbidInNewUsernames names its triggers <constraint>_insert/_update.
        self.trigger_backed = frozenset(
            name.rpartition("_")[0] for name in triggers if name.endswith("_insert")
        )
        try:
            super()._remake_table(model, *args, **kwargs)
        finally:
            self.trigger_backed = frozenset()
        for sql in triggers.values():
            self.execute(sql)

    def _triggers_of(self, table: str) -> dict[str, str]:
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master"
                " WHERE type = 'trigger' AND tbl_name = %s ORDER BY name",
                [table],
            )
            return dict(cursor.fetchall())

    def _check_sql(self, name, check):
        if name in self.trigger_backed:
            return None
        return super()._check_sql(name, check)

    def _create_check_sql(self, model, name, check):
        if name in self.trigger_backed:
            return None
        return super()._create_check_sql(model, name, check)


class DatabaseOperations(operations.DatabaseOperations):
    def lookup_cast(self, lookup_type, internal_type=None):
        cast = super().lookup_cast(lookup_type, internal_type)
        if lookup_type in CASE_INSENSITIVE_LOOKUPS:
            return f"UPPER({cast})"
        return cast


class DatabaseWrapper(base.DatabaseWrapper):
    SchemaEditorClass = DatabaseSchemaEditor
    ops_class = DatabaseOperations
    # As PostgreSQL's backend: UPPER() on both sides (the column's through
    # DatabaseOperations.lookup_cast). LIKE then only has to match exactly.
    operators = base.DatabaseWrapper.operators | {
        lookup: "LIKE UPPER(%s) ESCAPE '\\'" for lookup in CASE_INSENSITIVE_LOOKUPS
    }

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        casing.register(connection)
        return connection
