"""Index handling during a large merge (PostgreSQL), and statistics after it."""

from contextlib import contextmanager
from time import monotonic

from django.db import connection

# The trigram indexes are on the search table (models.UserSearch), which the
# users table's triggers fill: one INSERT ... SELECT per INSERT statement.
TABLES = ("users_user", "users_usersearch")
GIN_INDEXES_SQL = """
SELECT index.relname FROM pg_index
JOIN pg_class AS index ON index.oid = pg_index.indexrelid
JOIN pg_am ON pg_am.oid = index.relam
WHERE pg_index.indrelid = ANY(%s::regclass[]) AND pg_am.amname = 'gin'
"""
GIN_PENDING_LIMIT_KB = 1024 * 1024  # 1 GB: nothing is merged before the end
# Every index but the primary keys: the unique LOWER() indexes too (an index
# that backs a constraint, which DROP INDEX refuses, stays).
ALL_INDEXES_SQL = """
SELECT index.relname, pg_get_indexdef(pg_index.indexrelid)
FROM pg_index JOIN pg_class AS index ON index.oid = pg_index.indexrelid
WHERE pg_index.indrelid = ANY(%s::regclass[]) AND NOT pg_index.indisprimary
  AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conindid = pg_index.indexrelid)
ORDER BY pg_index.indisunique DESC, index.relname
"""
SEARCH_KEYS_SQL = """
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
WHERE conrelid = 'users_usersearch'::regclass AND contype = 'f'
"""
SECONDARY_INDEXES_SQL = """
SELECT index.relname, pg_get_indexdef(pg_index.indexrelid)
FROM pg_index JOIN pg_class AS index ON index.oid = pg_index.indexrelid
WHERE pg_index.indrelid = ANY(%s::regclass[])
  AND NOT pg_index.indisunique AND NOT pg_index.indisprimary
"""


@contextmanager
def indexes_built_after(incoming: int, phases: dict[str, float]):
    """Keep index maintenance off the per-row path of a large merge.

    Inserting row by row into three trigram and five sort indexes runs at
    ~20k rows/s. When the load dwarfs the table (a first load), the secondary
    indexes of users_user and of the search table (its trigram indexes) are
    dropped and built afterwards (~15 s per million rows); dropping locks the
    tables until commit, so a large, busy table keeps its indexes and instead
    lets the trigram indexes collect entries in GIN's pending list for the
    merge, which is then folded in with one sorted pass. The unique indexes
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
        with _secondary_indexes_dropped(phases):
            yield
    else:
        with _gin_pending_lists(phases):
            yield


@contextmanager
def _secondary_indexes_dropped(phases: dict[str, float]):
    with connection.cursor() as cursor:
        cursor.execute(SECONDARY_INDEXES_SQL, [list(TABLES)])
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    yield
    with connection.cursor() as cursor:
        for _, definition in indexes:
            started = monotonic()
            cursor.execute(definition)
            _add(phases, _index_phase(definition), monotonic() - started)


@contextmanager
def _gin_pending_lists(phases: dict[str, float]):
    with connection.cursor() as cursor:
        cursor.execute(GIN_INDEXES_SQL, [list(TABLES)])
        names = [connection.ops.quote_name(row[0]) for row in cursor.fetchall()]
        for name in names:
            cursor.execute(
                f"ALTER INDEX {name} SET "
                f"(fastupdate = on, gin_pending_list_limit = {GIN_PENDING_LIMIT_KB:d})"
            )
    yield
    started = monotonic()
    with connection.cursor() as cursor:
        for name in names:
            cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [name])
            cursor.execute(f"ALTER INDEX {name} SET (fastupdate = off)")
            cursor.execute(f"ALTER INDEX {name} RESET (gin_pending_list_limit)")
    phases["trigram pending lists"] = monotonic() - started


@contextmanager
def everything_built_after(phases: dict[str, float]):
    """A load into an empty users table: every index but the primary keys, and
    the search table's foreign key, dropped for the load and built after it.

    Inserting a million rows into the two unique LOWER() indexes costs more
    than building them from a sort, and the search table's foreign key checks
    each copied row with a query of its own; adding it back checks them all
    in one join. The unique indexes are built first: when the rows repeat a
    username or email, building them fails at once (IntegrityError).
    """
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # DDL needs none pending
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(SEARCH_KEYS_SQL)
        keys = cursor.fetchall()
        for name, _ in keys:
            cursor.execute(
                f"ALTER TABLE users_usersearch DROP CONSTRAINT {_quoted(name)}"
            )
        cursor.execute(ALL_INDEXES_SQL, [list(TABLES)])
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {_quoted(name)}")
    yield
    with connection.cursor() as cursor:
        for _, definition in indexes:
            started = monotonic()
            cursor.execute(definition)
            _add(phases, _index_phase(definition), monotonic() - started)
        started = monotonic()
        for name, definition in keys:
            cursor.execute(
                f"ALTER TABLE users_usersearch ADD CONSTRAINT {_quoted(name)} "
                f"{definition}"
            )
        _add(phases, "foreign key", monotonic() - started)


def _index_phase(definition: str) -> str:
    """Where an index build's time is reported: trigram (GIN) builds run in
    one process, btree builds may use parallel workers."""
    if " USING gin " in definition:
        return "trigram indexes"
    if definition.startswith("CREATE UNIQUE"):
        return "unique indexes"
    return "other indexes"


def _add(phases: dict[str, float], name: str, seconds: float) -> None:
    phases[name] = phases.get(name, 0.0) + seconds


def _quoted(name: str) -> str:
    return connection.ops.quote_name(name)


# Autovacuum's own rule for a table's statistics (threshold + scale factor x
# rows): a change below it leaves them as they are.
STALE_STATISTICS_SQL = """
SELECT reltuples < 0 OR %s >= current_setting('autovacuum_analyze_threshold')::float
    + current_setting('autovacuum_analyze_scale_factor')::float * reltuples
FROM pg_class WHERE oid = 'users_user'::regclass
"""


def analyze_users(changed: int) -> None:
    """Refresh planner statistics after a bulk load that changed `changed`
    accounts (fresh GIN stats included: the search table's, on PostgreSQL).

    On PostgreSQL only when autovacuum would find them stale (a first load,
    or 10% of the table by default): below that, the planner's estimates
    hardly move (it scales row counts by the table's current size itself),
    and the ~0.7 s of sampling two 1M-row tables would be spent for nothing.
    """
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(f"ANALYZE {TABLES[0]}")
            return
        cursor.execute(STALE_STATISTICS_SQL, [changed])
        if cursor.fetchone()[0]:
            for table in TABLES:
                cursor.execute(f"ANALYZE {table}")
