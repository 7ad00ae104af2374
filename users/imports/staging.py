"""Stage many users in a temporary table, then merge them in one statement.

PostgreSQL stages through COPY (psycopg); SQLite through batched inserts. The
merge runs in the caller's transaction, so a run that dies midway leaves
users_user as it was, and rerunning the same rows is idempotent. Duplicates
(ignoring case) inside the rows and against existing users are found by SQL
over the staging table, so memory stays flat however many rows come in.
"""

from collections.abc import Callable, Iterable, Iterator
from itertools import batched
from time import monotonic

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from . import sql
from .indexes import indexes_built_after
from .rows import (
    STAGED_COLUMNS,
    UPDATABLE_COLUMNS,
    MergeResult,
    Rejection,
)

SUSPENDED_MESSAGE = (
    "This account is suspended: lift the suspension (its page or the admin) "
    "to activate it."
)
OUTRANKED_MESSAGE = (
    "This account holds permissions you do not have; only a superuser "
    "(or someone holding all of them) can change it."
)
STAGING_TABLES = ("users_staging", "users_rejected", "users_changes")
REJECTED_DDL = """
CREATE TEMPORARY TABLE users_rejected (
    line integer NOT NULL, field varchar(20) NOT NULL,
    value text NOT NULL, message text NOT NULL
)
"""


class Staging:
    """A temporary table of incoming users, dropped when the run ends."""

    def __init__(self, batch_size: int = 5000):
        self.batch_size = batch_size
        self.staged = 0

    def __enter__(self) -> "Staging":
        with connection.cursor() as cursor:
            for table in STAGING_TABLES:
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
            cursor.execute(sql.staging_table_sql())
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
        statement = f"COPY users_staging ({', '.join(STAGED_COLUMNS)}) FROM STDIN"
        with connection.connection.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
                self.staged += 1

    def _insert(self, rows: Iterable[tuple]) -> None:
        placeholders = ", ".join(["%s"] * len(STAGED_COLUMNS))
        statement = (
            f"INSERT INTO users_staging ({', '.join(STAGED_COLUMNS)}) "
            f"VALUES ({placeholders})"
        )
        with connection.cursor() as cursor:
            for batch in batched(rows, self.batch_size):
                cursor.executemany(statement, batch)
                self.staged += len(batch)

    def analyze(self) -> None:
        """Statistics of the staged rows, before they are joined with users_user
        (PostgreSQL). Temporary tables are never analysed by autovacuum, and
        without statistics the planner guesses at every join."""
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE users_staging")

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
                f"SELECT line, %s, {sql.as_text(column)}, %s FROM users_staging "
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
        above, params = outranking.values("pk").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                f"""INSERT INTO users_rejected (line, field, value, message)
                SELECT line, 'username', username, %s FROM users_staging
                WHERE EXISTS (SELECT 1 FROM users_user AS u
                    WHERE LOWER(u.username) = LOWER(users_staging.username)
                    AND u.id IN ({above}))""",
                [OUTRANKED_MESSAGE, *params],
            )
        return self._move_rejected()

    def reject_activating_suspended(self) -> int:
        """Drop rows that would activate a suspended account: a suspension
        ends by being lifted, with its record, on every path."""
        return self._reject(
            """is_active AND EXISTS (SELECT 1 FROM users_user AS u
               JOIN users_suspension AS p ON p.user_id = u.id
               WHERE LOWER(u.username) = LOWER(users_staging.username)
               AND NOT u.is_active)""",
            "is_active",
            SUSPENDED_MESSAGE,
        )

    def reject_new_superusers(self) -> int:
        """Drop rows that would create a superuser (the actor is not one)."""
        return self._reject(
            """is_superuser AND NOT EXISTS (SELECT 1 FROM users_user AS u
               WHERE LOWER(u.username) = LOWER(users_staging.username))""",
            "is_superuser",
            "Only a superuser can create a superuser.",
        )

    def merge(
        self,
        on_conflict: str,
        updated_columns: Iterable[str],
        record_created: Callable[[str, list], int],
    ) -> MergeResult:
        """Write the staged rows into users_user; returns what happened.

        With on_conflict="update", stored users (matched by username) get the
        staged values of `updated_columns` only; rows that change nothing are
        left alone. The changed rows, old and new values, stay in the
        temporary table users_changes for the audit trail. record_created
        records the "created" events of a statement (see created_sql) and
        returns how many.
        """
        result = MergeResult()
        self.now = now = timezone.now()
        columns = [c for c in UPDATABLE_COLUMNS if c in set(updated_columns)]
        if on_conflict != "update":
            columns = []
        self.changed_columns = columns  # those users_changes holds old/new of
        started = monotonic()
        with (
            connection.cursor() as cursor,
            indexes_built_after(self.staged, result.phases),
        ):
            cursor.execute(sql.changes_table_sql(columns))
            if connection.vendor == "postgresql":
                cursor.execute("ANALYZE users_changes")
            if columns:
                assignments = sql.update_assignments(columns)
                cursor.execute(
                    f"""UPDATE users_user SET {assignments}, updated_at = %s
                    FROM users_changes AS c WHERE users_user.id = c.id""",
                    [now],
                )
                result.updated = cursor.rowcount
            result.inserted = self._insert_new(cursor, record_created)
            result.phases["merge + trail"] = monotonic() - started
        result.skipped = self.staged_rows() - result.inserted - result.updated
        return result

    def _insert_new(self, cursor, record_created: Callable[[str, list], int]) -> int:
        """Insert the staged rows no stored user has; record them; how many."""
        insert = sql.insert_sql(skip_stored=True)
        if connection.vendor == "postgresql":
            # The new rows come back from the INSERT itself: no join of the
            # staged rows with the table afterwards (one that the planner,
            # guessing, ran as a nested loop: 60k rows into 300k took hours).
            return record_created(
                f"{insert} RETURNING {sql.created_columns()}", [self.now]
            )
        cursor.execute(insert, [self.now])
        return record_created(*self.created_sql())

    def changes_sql(self) -> str:
        """SELECT target_id, target_label, changes (JSON) of every updated row."""
        columns = self.changed_columns
        pairs = [(c, sql.json_change(c)) for c in columns]
        return (
            f"SELECT c.id AS target_id, c.username AS target_label, "
            f"{sql.json_object_without_nulls(pairs)} AS changes FROM users_changes AS c"
        )

    def created_sql(self) -> tuple[str, list]:
        """SELECT target_id, target_label, changes (JSON) of every inserted row
        (SQLite: PostgreSQL takes them from the INSERT's RETURNING)."""
        statement = f"""SELECT {sql.created_columns("u.")}
            FROM users_staging AS s JOIN users_user AS u
            ON LOWER(u.username) = LOWER(s.username)
            WHERE u.updated_at = %s AND NOT EXISTS (
                SELECT 1 FROM users_changes AS c WHERE c.id = u.id)"""
        return statement, [self.now]

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
