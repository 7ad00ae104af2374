"""Django's SQLite backend, minus the PostgreSQL-only indexes.

The trigram (GIN) indexes are in the model state, so whenever SQLite has to
rebuild the users table (a NOT NULL column, a new constraint) Django would try
to create them there too and fail on "gin_trgm_ops". They are PostgreSQL speed-
ups with no SQLite equivalent: skipped here, never faked.
"""

from django.contrib.postgres.indexes import PostgresIndex
from django.db.backends.sqlite3 import base, schema


class DatabaseSchemaEditor(schema.DatabaseSchemaEditor):
    def _model_indexes_sql(self, model):
        postgres_only = {
            index.name
            for index in model._meta.indexes
            if isinstance(index, PostgresIndex)
        }
        return [
            sql
            for sql in super()._model_indexes_sql(model)
            if not any(name in str(sql) for name in postgres_only)
        ]


class DatabaseWrapper(base.DatabaseWrapper):
    SchemaEditorClass = DatabaseSchemaEditor
