"""Migration operations that keep deploys from locking the users table."""

from django.contrib.postgres.indexes import PostgresIndex
from django.contrib.postgres.operations import (
    AddIndexConcurrently,
    RemoveIndexConcurrently,
)
from django.core.management import CommandError
from django.db.migrations.operations import AddConstraint, AddIndex, RemoveIndex
from django.db.migrations.operations.base import Operation
from django.db.models.functions import Length

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


class RemoveIndexWithoutLocking(RemoveIndexConcurrently):
    """Drop an index CONCURRENTLY on PostgreSQL and plainly elsewhere; the
    reverse of AddIndexWithoutLocking (PostgreSQL-only indexes are skipped on
    other databases, and going back rebuilds the index concurrently after
    dropping an INVALID leftover of an interrupted build)."""

    def _on_postgresql(self, schema_editor) -> bool:
        return schema_editor.connection.vendor == "postgresql"

    def _index(self, state, app_label):
        return state.models[app_label, self.model_name_lower].get_index_by_name(
            self.name
        )

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if self._on_postgresql(schema_editor):
            super().database_forwards(app_label, schema_editor, from_state, to_state)
        elif not isinstance(self._index(from_state, app_label), PostgresIndex):
            RemoveIndex.database_forwards(
                self, app_label, schema_editor, from_state, to_state
            )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if self._on_postgresql(schema_editor):
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(INVALID_INDEX_SQL, [self.name])
                if cursor.fetchone():
                    cursor.execute(
                        "DROP INDEX CONCURRENTLY IF EXISTS "
                        + schema_editor.quote_name(self.name)
                    )
            super().database_backwards(app_label, schema_editor, from_state, to_state)
        elif not isinstance(self._index(to_state, app_label), PostgresIndex):
            RemoveIndex.database_backwards(
                self, app_label, schema_editor, from_state, to_state
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


class LimitLength(Operation):
    """Refuse values of a text column longer than max_length, without
    rewriting or long-locking the table.

    PostgreSQL: a CHECK constraint added NOT VALID (a brief lock; new and
    changed rows are checked from then on, existing ones are not read), to be
    validated by a later migration (ValidateConstraint: a scan that lets reads
    and writes go on). Shrinking the varchar instead would rewrite the table
    under an exclusive lock, so the column keeps its old length in the
    database and the model state gets the new max_length (the forms, the
    services and the import report it) in a state-only AlterField beside this.
    SQLite: triggers on insert and on a changed value (adding a CHECK there
    means rebuilding the table; the SQLite backend keeps triggers through
    later rebuilds).
    """

    reduces_to_sql = True
    reversible = True

    def __init__(self, *, model_name: str, field: str, max_length: int, name: str):
        self.model_name, self.field = model_name, field
        self.max_length, self.name = max_length, name

    def deconstruct(self):
        kwargs = {
            "model_name": self.model_name,
            "field": self.field,
            "max_length": self.max_length,
            "name": self.name,
        }
        return self.__class__.__qualname__, [], kwargs

    def state_forwards(self, app_label, state):
        pass  # the model state holds the limit as the field's max_length

    def describe(self) -> str:
        return f"Limit {self.model_name}.{self.field} to {self.max_length} characters"

    def _names(self, schema_editor, state, app_label):
        model = state.apps.get_model(app_label, self.model_name)
        column = model._meta.get_field(self.field).column
        quote = schema_editor.quote_name
        return quote(model._meta.db_table), quote(column)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        table, column = self._names(schema_editor, to_state, app_label)
        name, limit = schema_editor.quote_name(self.name), self.max_length
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(
                f"ALTER TABLE {table} ADD CONSTRAINT {name} "
                f"CHECK (char_length({column}) <= {limit}) NOT VALID"
            )
            return
        failed = f"CHECK constraint failed: {self.name}"
        for event, when in (("insert", "INSERT"), ("update", f"UPDATE OF {column}")):
            schema_editor.execute(
                f"CREATE TRIGGER {self.name}_{event} BEFORE {when} ON {table} "
                f"FOR EACH ROW WHEN length(NEW.{column}) > {limit} "
                f"BEGIN SELECT RAISE(ABORT, '{failed}'); END"
            )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        table, _ = self._names(schema_editor, from_state, app_label)
        name = schema_editor.quote_name(self.name)
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(
                f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}"
            )
            return
        for event in ("insert", "update"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {self.name}_{event}")


class ValidateConstraint(Operation):
    """VALIDATE a constraint added NOT VALID (PostgreSQL; nothing elsewhere).

    It reads the whole table under SHARE UPDATE EXCLUSIVE, which lets reads
    and writes go on; a row that breaks the constraint fails the migration,
    naming it. Backwards there is nothing to undo.
    """

    reduces_to_sql = True
    reversible = True

    def __init__(self, *, model_name: str, name: str):
        self.model_name, self.name = model_name, name

    def deconstruct(self):
        kwargs = {"model_name": self.model_name, "name": self.name}
        return self.__class__.__qualname__, [], kwargs

    def state_forwards(self, app_label, state):
        pass

    def describe(self) -> str:
        return f"Validate constraint {self.name} on {self.model_name}"

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        model = to_state.apps.get_model(app_label, self.model_name)
        table = schema_editor.quote_name(model._meta.db_table)
        schema_editor.execute(
            f"ALTER TABLE {table} VALIDATE CONSTRAINT "
            + schema_editor.quote_name(self.name)
        )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        pass


USERNAME_MAX_LENGTH = 100
SHOWN = 20


def refuse_overlong_usernames(apps, schema_editor) -> None:
    """Stop the deploy, loudly, while usernames longer than the new limit exist.

    Renaming someone's login behind their back is not the migration's call,
    and a constraint that old rows break fails VALIDATE anyway - with less to
    go on. The running release still accepts these names, so staff shorten
    them on the staff pages or in the admin and run migrate again.
    """
    User = apps.get_model("users", "User")
    overlong = (
        User.objects.annotate(length=Length("username"))
        .filter(length__gt=USERNAME_MAX_LENGTH)
        .order_by("pk")
    )
    count = overlong.count()
    if not count:
        return
    lines = [
        f"users: {count} username(s) are longer than {USERNAME_MAX_LENGTH} "
        "characters, the new limit. Nothing was changed. Shorten them on the "
        "staff pages or in the admin, then run migrate again:"
    ]
    for pk, username, length in overlong.values_list("pk", "username", "length")[
        :SHOWN
    ]:
        lines.append(f"  id {pk}: {username[:40]}... ({length} characters)")
    if count > SHOWN:
        lines.append(f"  ... and {count - SHOWN} more")
    raise CommandError("\n".join(lines))
