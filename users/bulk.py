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
UPDATED_COLUMNS = ("email", "full_name", "is_active", "is_staff", "is_superuser")
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

STAGING_TABLES = ("users_staging", "users_rejected")
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
                f"SELECT line, %s, {column}, %s FROM users_staging WHERE {where}",
                [column, message],
            )
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

    def merge(self, on_conflict: str) -> MergeResult:
        """Write the staged rows into users_user; returns what happened."""
        result = MergeResult()
        now = timezone.now()
        with connection.cursor() as cursor, _indexes_built_after(self.staged):
            if on_conflict == "update":
                cursor.execute(
                    f"""
                    UPDATE users_user AS u SET
                        {", ".join(f"{c} = s.{c}" for c in UPDATED_COLUMNS)},
                        updated_at = %s
                    FROM users_staging AS s
                    WHERE LOWER(u.username) = LOWER(s.username)
                    """,
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
