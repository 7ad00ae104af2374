"""Is the replica worth reading from? Asked by the router before each read.

Each process probes the replica at most once every REPLICA_CHECK_SECONDS, on a
connection of its own with a short connect timeout, and remembers the answer:
usable when it answered and its replay lag was at most REPLICA_MAX_LAG_SECONDS.
A replica that is down, unreachable, not streaming or too far behind sends the
reads to the primary until a later probe finds it well again, so a lost
replica costs at most one check interval of errors (and the router retries
those reads on the primary: noogh_site.routers).

Probed, not read from a shared store: each app server sees the replica over
its own network path, and the state needs no coordination.
"""

import contextlib
import threading
import time

from django.conf import settings
from django.db import DatabaseError, connections
from django.db.utils import load_backend

# The replay lag in seconds; NULL (unusable) when the replica is not streaming:
# with no WAL receiver it serves rows that no longer change. Zero when all it
# received is replayed (a quiet primary), else the age of the last replayed
# commit, which is the apply delay while writes keep coming.
LAG_SQL = """
SELECT CASE
  WHEN NOT pg_is_in_recovery() THEN 0
  WHEN pg_last_wal_receive_lsn() IS NULL THEN NULL
  WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
  ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0)
END
"""


class ReplicaHealth:
    """The last probe's answer for one alias, refreshed when it is too old."""

    def __init__(self, alias: str):
        self.alias = alias
        self.checked_at = float("-inf")
        self.usable = False
        self.lag: float | None = None
        self._probing = threading.Lock()

    def is_usable(self) -> bool:
        stale = time.monotonic() - self.checked_at >= settings.REPLICA_CHECK_SECONDS
        # One thread probes; the others go on with the last answer (at first
        # "no": the primary answers until the replica has).
        if stale and self._probing.acquire(blocking=False):
            try:
                self.refresh()
            finally:
                self._probing.release()
        return self.usable

    def refresh(self) -> None:
        self.lag = probe(self.alias)
        self.usable = self.lag is not None and self.lag <= (
            settings.REPLICA_MAX_LAG_SECONDS
        )
        self.checked_at = time.monotonic()

    def mark_down(self) -> None:
        """A read just failed there: primary only until the next probe."""
        self.usable = False
        self.checked_at = time.monotonic()


def probe(alias: str) -> float | None:
    """The replica's lag in seconds, or None if it did not answer in time."""
    # A connection of its own, never the one requests use: a probe that fails
    # or is cancelled leaves theirs alone.
    settings_dict = dict(connections[alias].settings_dict)
    connection = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(
        settings_dict, alias
    )
    # A pooler whose server is gone may hold the query rather than fail it:
    # cancel it after the timeout.
    timer = threading.Timer(settings.REPLICA_CHECK_TIMEOUT, _cancel, [connection])
    try:
        connection.ensure_connection()
        timer.start()
        with connection.cursor() as cursor:
            postgres = connection.vendor == "postgresql"
            cursor.execute(LAG_SQL if postgres else "SELECT 0")
            lag = cursor.fetchone()[0]
        return None if lag is None else float(lag)
    except DatabaseError:
        return None
    finally:
        timer.cancel()
        with contextlib.suppress(DatabaseError):
            connection.close()


def _cancel(connection) -> None:
    cancel = getattr(connection.connection, "cancel", None)
    if cancel is not None:
        with contextlib.suppress(Exception):  # the probe fails either way
            cancel()
