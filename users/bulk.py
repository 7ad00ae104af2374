"""Bulk writes: stage many users in a temporary table, then merge in one statement.

PostgreSQL stages through COPY (psycopg); SQLite through batched inserts. The
merge runs in the caller's transaction, so a run that dies midway leaves
users_user as it was, and rerunning the same rows is idempotent. Duplicates
(ignoring case) inside the rows and against existing users are found by SQL
over the staging table, so memory stays flat however many rows come in.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import batched

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

STAGED_COLUMNS = (
    "line",
    "username",
    "email",
    "full_name",
    "is_active",
    "is_staff",
    "is_superuser",
    "created_at",
    "password",
)
# Columns a merge writes into users_user (besides updated_at and last_login).
USER_COLUMNS = STAGED_COLUMNS[1:]
# Columns an update may write, when the file has them (and is_superuser only
# when privileges may change); is_staff follows a promotion to superuser.
UPDATABLE_COLUMNS = ("email", "full_name", "is_active", "is_superuser")
CREATED_AUDIT_COLUMNS = (
    "email",
    "full_name",
    "is_active",
    "is_staff",
    "is_superuser",
    "username",
)
BOOLEAN_COLUMNS = frozenset({"is_active", "is_staff", "is_superuser"})
OUTRANKED_MESSAGE = (
    "This account holds permissions you do not have; only a superuser "
    "(or someone holding all of them) can change it."
)
CONFLICT_MODES = ("skip", "update", "fail")
GIN_INDEXES_SQL = """
SELECT index.relname FROM pg_index
JOIN pg_class AS index ON index.oid = pg_index.indexrelid
JOIN pg_am ON pg_am.oid = index.relam
WHERE pg_index.indrelid = 'users_user'::regclass AND pg_am.amname = 'gin'
"""
GIN_PENDING_LIMIT_KB = 1024 * 1024  # 1 GB: nothing is merged before the end
SECONDARY_INDEXES_SQL = """
SELECT index.relname, pg_get_indexdef(pg_index.indexrelid)
FROM pg_index JOIN pg_class AS index ON index.oid = pg_index.indexrelid
WHERE pg_index.indrelid = 'users_user'::regclass
  AND NOT pg_index.indisunique AND NOT pg_index.indisprimary
"""

STAGING_TABLES = ("users_staging", "users_rejected", "users_changes")
REJECTED_DDL = """
CREATE TEMPORARY TABLE users_rejected (
    line integer NOT NULL, field varchar(20) NOT NULL,
    value text NOT NULL, message text NOT NULL
)
"""
STAGING_DDL = """
CREATE TEMPORARY TABLE users_staging (
    line integer NOT NULL,
    username varchar(150) NOT NULL,
    email varchar(254) NOT NULL,
    full_name varchar(255) NOT NULL,
    is_active boolean NOT NULL,
    is_staff boolean NOT NULL,
    is_superuser boolean NOT NULL,
    created_at timestamp with time zone NOT NULL,
    password varchar(128) NOT NULL
)
"""


@dataclass
class Rejection:
    line: int
    field: str
    value: str
    message: str


@dataclass
class MergeResult:
    inserted: int = 0
    updated: int = 0
    skipped: int = 0
    rejected: int = 0


class Staging:
    """A temporary table of incoming users, dropped when the run ends."""

    def __init__(self, batch_size: int = 5000):
        self.batch_size = batch_size
        self.staged = 0

    def __enter__(self) -> "Staging":
        with connection.cursor() as cursor:
            for table in STAGING_TABLES:
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
            cursor.execute(STAGING_DDL)
            cursor.execute(REJECTED_DDL)
        return self

    def __exit__(self, exc_type, *exc_info) -> None:
        if exc_type is not None:
            return  # the transaction rolls back, and the tables with it
        if connection.needs_rollback or connection.connection is None:
            return
        with connection.cursor() as cursor:
            for table in STAGING_TABLES:
                cursor.execute(f"DROP TABLE {table}")

    def add(self, rows: Iterable[tuple]) -> int:
        """Stage rows shaped like STAGED_COLUMNS; return how many were staged."""
        before = self.staged
        if connection.vendor == "postgresql":
            self._copy(rows)
        else:
            self._insert(rows)
        return self.staged - before

    def _copy(self, rows: Iterable[tuple]) -> None:
        connection.ensure_connection()
        sql = f"COPY users_staging ({', '.join(STAGED_COLUMNS)}) FROM STDIN"
        with connection.connection.cursor() as cursor, cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
                self.staged += 1

    def _insert(self, rows: Iterable[tuple]) -> None:
        placeholders = ", ".join(["%s"] * len(STAGED_COLUMNS))
        sql = (
            f"INSERT INTO users_staging ({', '.join(STAGED_COLUMNS)}) "
            f"VALUES ({placeholders})"
        )
        with connection.cursor() as cursor:
            for batch in batched(rows, self.batch_size):
                cursor.executemany(sql, batch)
                self.staged += len(batch)

    def reject_duplicates_within(self) -> int:
        """Drop every later row repeating an earlier row's email or username."""
        rejected = 0
        for column in ("username", "email"):
            rejected += self._reject(
                f"""line IN (
                    SELECT line FROM (
                        SELECT line, MIN(line) OVER (
                            PARTITION BY LOWER({column})
                        ) AS first_line
                        FROM users_staging
                    ) AS ranked WHERE line <> first_line
                )""",
                column,
                f"Repeats the {column} of an earlier line (ignoring case).",
            )
        return rejected

    def reject_conflicts_with_existing(self, on_conflict: str) -> int:
        """Drop rows that clash with stored users in a way the mode can't merge.

        skip: nothing is rejected (clashing rows are skipped at the merge).
        update: a row whose email belongs to a different stored user.
        fail: any row clashing with a stored user.
        """
        if on_conflict == "skip":
            return 0
        if on_conflict == "update":
            return self._reject(
                """EXISTS (SELECT 1 FROM users_user AS u
                   WHERE LOWER(u.email) = LOWER(users_staging.email)
                   AND LOWER(u.username) <> LOWER(users_staging.username))""",
                "email",
                "This email belongs to another existing user.",
            )
        return self._reject(
            """EXISTS (SELECT 1 FROM users_user AS u
               WHERE LOWER(u.email) = LOWER(users_staging.email)
               OR LOWER(u.username) = LOWER(users_staging.username))""",
            "username",
            "A user with this username or email already exists.",
        )

    def _reject(self, where: str, column: str, message: str) -> int:
        """Move the rows matching where into users_rejected; return how many."""
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO users_rejected (line, field, value, message) "
                f"SELECT line, %s, {_as_text(column)}, %s FROM users_staging "
                f"WHERE {where}",
                [column, message],
            )
        return self._move_rejected()

    def _move_rejected(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM users_staging WHERE line IN "
                "(SELECT line FROM users_rejected)"
            )
            return cursor.rowcount

    def rejections(self) -> Iterator[Rejection]:
        """Stream the rejected rows in line order (a server-side cursor on PG)."""
        with connection.chunked_cursor() as cursor:
            cursor.execute(
                "SELECT line, field, value, message FROM users_rejected ORDER BY line"
            )
            while rows := cursor.fetchmany(2000):
                for row in rows:
                    yield Rejection(*row)

    def reject_outranked(self, outranking: QuerySet) -> int:
        """Drop rows naming a stored account the importing actor may not change."""
        sql, params = outranking.values("pk").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                f"""INSERT INTO users_rejected (line, field, value, message)
                SELECT line, 'username', username, %s FROM users_staging
                WHERE EXISTS (SELECT 1 FROM users_user AS u
                    WHERE LOWER(u.username) = LOWER(users_staging.username)
                    AND u.id IN ({sql}))""",
                [OUTRANKED_MESSAGE, *params],
            )
        return self._move_rejected()

    def reject_new_superusers(self) -> int:
        """Drop rows that would create a superuser (the actor is not one)."""
        return self._reject(
            """is_superuser AND NOT EXISTS (SELECT 1 FROM users_user AS u
               WHERE LOWER(u.username) = LOWER(users_staging.username))""",
            "is_superuser",
            "Only a superuser can create a superuser.",
        )

    def merge(self, on_conflict: str, updated_columns: Iterable[str]) -> MergeResult:
        """Write the staged rows into users_user; returns what happened.

        With on_conflict="update", stored users (matched by username) get the
        staged values of `updated_columns` only; rows that change nothing are
        left alone. The changed rows, old and new values, stay in the
        temporary table users_changes for the audit trail.
        """
        result = MergeResult()
        self.now = now = timezone.now()
        columns = [c for c in UPDATABLE_COLUMNS if c in set(updated_columns)]
        if on_conflict != "update":
            columns = []
        self.changed_columns = columns  # those users_changes holds old/new of
        with connection.cursor() as cursor, _indexes_built_after(self.staged):
            cursor.execute(_changes_table_sql(columns))
            if columns:
                assignments = ", ".join(f"{c} = c.new_{c}" for c in columns)
                if "is_superuser" in columns:
                    # A superuser needs staff status to reach the admin.
                    assignments += (
                        ", is_staff = users_user.is_staff OR c.new_is_superuser"
                    )
                losing = [
                    f"(users_user.{c} AND NOT c.new_{c})"
                    for c in columns
                    if c in ("is_active", "is_superuser")
                ]
                if losing:
                    # Losing access or power ends the account's sessions.
                    assignments += (
                        ", session_epoch = users_user.session_epoch + CASE WHEN "
                        f"{' OR '.join(losing)} THEN 1 ELSE 0 END"
                    )
                cursor.execute(
                    f"""UPDATE users_user SET {assignments}, updated_at = %s
                    FROM users_changes AS c WHERE users_user.id = c.id""",
                    [now],
                )
                result.updated = cursor.rowcount
            cursor.execute(
                f"""
                INSERT INTO users_user ({", ".join(USER_COLUMNS)}, updated_at)
                SELECT {", ".join(USER_COLUMNS)}, %s FROM users_staging
                WHERE true ORDER BY line
                ON CONFLICT DO NOTHING
                """,
                [now],
            )
            result.inserted = cursor.rowcount
        result.skipped = self.staged_rows() - result.inserted - result.updated
        return result

    def changes_sql(self) -> str:
        """SELECT target_id, target_label, changes (JSON) of every updated row."""
        columns = self.changed_columns
        pairs = [(c, _json_change(c)) for c in columns]
        return (
            f"SELECT c.id AS target_id, c.username AS target_label, "
            f"{_json_object_without_nulls(pairs)} AS changes FROM users_changes AS c"
        )

    def created_sql(self) -> tuple[str, list]:
        """SELECT target_id, target_label, changes (JSON) of every inserted row."""
        pairs = [
            (c, _json_array("NULL", _json_value(f"u.{c}", c)))
            for c in sorted(CREATED_AUDIT_COLUMNS)
        ]
        sql = f"""SELECT u.id AS target_id, u.username AS target_label,
            {_json_object(pairs)} AS changes
            FROM users_staging AS s JOIN users_user AS u
            ON LOWER(u.username) = LOWER(s.username)
            WHERE u.updated_at = %s AND u.id NOT IN (SELECT id FROM users_changes)"""
        return sql, [self.now]

    def lines_losing_superusers(self) -> list[int]:
        """Lines that deactivate or demote an active superuser."""
        columns = self.changed_columns
        losing = [
            f"NOT c.new_{c}" for c in ("is_active", "is_superuser") if c in columns
        ]
        if not losing:
            return []
        with connection.cursor() as cursor:
            cursor.execute(
                f"""SELECT c.line FROM users_changes AS c
                WHERE c.was_active_superuser AND ({" OR ".join(losing)})
                ORDER BY c.line"""
            )
            return [line for (line,) in cursor.fetchall()]

    def staged_rows(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM users_staging")
            return cursor.fetchone()[0]


@contextmanager
def _indexes_built_after(incoming: int):
    """Keep index maintenance off the per-row path of a large merge.

    Inserting row by row into three trigram and four sort indexes runs at
    ~20k rows/s. When the load dwarfs the table (a first load), the secondary
    indexes are dropped and built afterwards (~15 s per million rows); dropping
    locks the table until commit, so a large, busy table keeps its indexes and
    instead lets the trigram indexes collect entries in GIN's pending list for
    the merge, which is then folded in with one sorted pass. The unique indexes
    stay throughout: they are the constraints.
    """
    if connection.vendor != "postgresql" or not incoming:
        yield
        return
    with connection.cursor() as cursor:
        # DDL cannot run while deferred foreign-key checks are pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(
            "SELECT COUNT(*) FROM (SELECT 1 FROM users_user LIMIT %s) AS head",
            [incoming],
        )
        first_load = cursor.fetchone()[0] < incoming
    if first_load:
        with _secondary_indexes_dropped():
            yield
    else:
        with _gin_pending_lists():
            yield


@contextmanager
def _secondary_indexes_dropped():
    with connection.cursor() as cursor:
        cursor.execute(SECONDARY_INDEXES_SQL)
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    yield
    with connection.cursor() as cursor:
        for _, definition in indexes:
            cursor.execute(definition)


@contextmanager
def _gin_pending_lists():
    with connection.cursor() as cursor:
        cursor.execute(GIN_INDEXES_SQL)
        names = [connection.ops.quote_name(row[0]) for row in cursor.fetchall()]
        for name in names:
            cursor.execute(
                f"ALTER INDEX {name} SET "
                f"(fastupdate = on, gin_pending_list_limit = {GIN_PENDING_LIMIT_KB:d})"
            )
    yield
    with connection.cursor() as cursor:
        for name in names:
            cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [name])
            cursor.execute(f"ALTER INDEX {name} SET (fastupdate = off)")
            cursor.execute(f"ALTER INDEX {name} RESET (gin_pending_list_limit)")


def analyze_users() -> None:
    """Refresh planner statistics after a bulk load (fresh GIN stats included)."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE users_user")


def _changes_table_sql(columns: list[str]) -> str:
    """users_changes: the stored users a staged row changes, old and new values."""
    selected = "".join(f", u.{c} AS old_{c}, s.{c} AS new_{c}" for c in columns)
    selected += ", u.is_active AND u.is_superuser AS was_active_superuser"
    differs = " OR ".join(f"u.{c} <> s.{c}" for c in columns) or "false"
    return f"""CREATE TEMPORARY TABLE users_changes AS
        SELECT u.id, u.username, s.line{selected}
        FROM users_user AS u JOIN users_staging AS s
        ON LOWER(u.username) = LOWER(s.username)
        WHERE {differs}"""


def _as_text(column: str) -> str:
    return f"CAST({column} AS text)" if column in BOOLEAN_COLUMNS else column


def _json_value(expression: str, column: str) -> str:
    if column in BOOLEAN_COLUMNS and connection.vendor == "sqlite":
        # SQLite keeps booleans as 0/1; the trail shows true/false.
        return f"CASE WHEN {expression} THEN json('true') ELSE json('false') END"
    return expression


def _json_change(column: str) -> str:
    """[old, new] where they differ, else NULL (dropped from the object)."""
    old, new = f"c.old_{column}", f"c.new_{column}"
    pair = _json_array(_json_value(old, column), _json_value(new, column))
    return f"CASE WHEN {old} <> {new} THEN {pair} END"


def _json_array(*items: str) -> str:
    function = "json_build_array" if connection.vendor == "postgresql" else "json_array"
    return f"{function}({', '.join(items)})"


def _json_object(pairs: list[tuple[str, str]]) -> str:
    function = (
        "jsonb_build_object" if connection.vendor == "postgresql" else "json_object"
    )
    return f"{function}({', '.join(f"'{key}', {value}" for key, value in pairs)})"


def _json_object_without_nulls(pairs: list[tuple[str, str]]) -> str:
    if not pairs:
        return "CAST('{}' AS jsonb)" if connection.vendor == "postgresql" else "'{}'"
    if connection.vendor == "postgresql":
        return f"jsonb_strip_nulls({_json_object(pairs)})"
    return f"json_patch('{{}}', {_json_object(pairs)})"  # a null member removes it
