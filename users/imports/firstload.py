"""A first load: the staged rows straight into an empty users table (PostgreSQL).

An empty table has nothing to clash with, update or outrank, so the only check
left is the rows against each other, and that is what the unique indexes do
when they are built after the load: the rows go in with one INSERT, their
search copies and "created" events with one INSERT ... SELECT each (the table
holds only them), and the indexes are built from a sort.
When the rows do repeat a username or email (ignoring case), the attempt is
rolled back to its savepoint and the caller takes the general path, which
rejects the repeats line by line. It all runs in the caller's transaction,
like the general path: a run killed midway leaves the table as it was.
"""

from collections.abc import Callable
from time import monotonic

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from . import sql
from .indexes import everything_built_after
from .rows import MergeResult

UNIQUE_VIOLATION = "23505"
# The statement-level trigger that copies new accounts into the search table
# (search_table_operations.SEARCH_TRIGGERS_SQL), and the same copy in bulk:
# one INSERT ... SELECT of a table holding only the new rows costs about half
# of the trigger's transition table and ON CONFLICT.
SEARCH_INSERT_TRIGGER = "users_search_insert"
SEARCH_COPY_SQL = """
INSERT INTO users_usersearch (user_id, email, username, full_name)
SELECT id, email, username, full_name FROM users_user
"""


def fills_empty_table(unrestricted: bool) -> bool:
    """Whether this load can take the first-load path; if so, the users table
    stays locked (ACCESS EXCLUSIVE) to the end of the transaction."""
    if connection.vendor != "postgresql" or not unrestricted:
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM users_user)")
        if cursor.fetchone()[0]:
            return False
        # Nobody may add an account between this look and the load. Dropping
        # the indexes takes this lock anyway.
        cursor.execute("LOCK TABLE users_user IN ACCESS EXCLUSIVE MODE")
        cursor.execute("SELECT EXISTS (SELECT 1 FROM users_user)")
        return not cursor.fetchone()[0]


def load_into_empty(
    staging, record_created: Callable[[str, list], int]
) -> MergeResult | None:
    """Insert every staged row (a Staging) and record it; None when the rows
    repeat a username or email, with nothing written."""
    result = MergeResult()
    staging.now = now = timezone.now()
    staging.changed_columns = []  # nothing stored to change
    try:
        with (
            transaction.atomic(),  # a savepoint: a failed attempt leaves nothing
            everything_built_after(result.phases),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql.changes_table_sql([]))  # empty: nobody is updated
            _insert_with_search_copies(cursor, now, result.phases)
            started = monotonic()
            # Every row of the table is new: no join to find them.
            result.inserted = record_created(
                f"SELECT {sql.created_columns()} FROM users_user", []
            )
            result.phases["trail"] = monotonic() - started
    except IntegrityError as error:
        if getattr(error.__cause__, "sqlstate", None) != UNIQUE_VIOLATION:
            raise
        return None
    result.skipped = staging.staged - result.inserted
    return result


def _insert_with_search_copies(cursor, now, phases: dict[str, float]) -> None:
    """The staged rows into users_user, and their copies into the search table
    (empty too: its rows cascade from users_user's)."""
    cursor.execute(f"ALTER TABLE users_user DISABLE TRIGGER {SEARCH_INSERT_TRIGGER}")
    started = monotonic()
    cursor.execute(sql.insert_sql(skip_stored=False), [now])
    copied = monotonic()
    cursor.execute(SEARCH_COPY_SQL)
    phases["insert"], phases["search copies"] = copied - started, monotonic() - copied
    cursor.execute(f"ALTER TABLE users_user ENABLE TRIGGER {SEARCH_INSERT_TRIGGER}")
