"""Rows streamed a chunk at a time, through any connection pooler.

A queryset's .iterator() reads through a server-side cursor. Outside a
transaction Django declares it WITH HOLD, to fetch from it over several
transactions, and PgBouncer in transaction mode may hand each of those to a
different server connection, where the cursor does not exist. Inside one
transaction the cursor lives exactly as long as it, and transaction pooling
keeps a transaction on one server connection: so the streamed downloads
iterate inside a read transaction, on the database the rows were routed to
while the request was still being served (the replica router's pin and
health decide it then, not after the response has started).
"""

from collections.abc import Iterator

from django.db import transaction
from django.db.models import QuerySet

CHUNK_ROWS = 2000


def streamed(rows: QuerySet, chunk_size: int = CHUNK_ROWS) -> Iterator:
    """Iterate rows chunk_size at a time in one transaction, lazily: nothing
    is read until the first row is asked for. Memory stays bounded while
    server-side cursors are on (the default); with DISABLE_SERVER_SIDE_CURSORS
    the driver fetches the whole result at once (docs/scaling.md)."""
    alias = rows.db
    return _stream(rows.using(alias), alias, chunk_size)


def _stream(rows: QuerySet, alias: str, chunk_size: int) -> Iterator:
    # No savepoint inside a caller's transaction: the cursor ends with it.
    with transaction.atomic(using=alias, savepoint=False):
        yield from rows.iterator(chunk_size=chunk_size)
