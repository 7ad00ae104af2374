"""Rows streamed a chunk at a time, through any connection pooler.

Behind PgBouncer in transaction mode a deployment sets
DISABLE_SERVER_SIDE_CURSORS: outside a transaction Django declares a
server-side cursor WITH HOLD, to fetch from it over several transactions, and
the pooler may hand each of those to a different server connection, where the
cursor does not exist (every .iterator() does this, Django's own too: a
ModelChoiceField's choices). With the setting, .iterator() fetches the whole
result at once instead - fine for a page's choices, not for an export of a
million rows.

So the streamed downloads declare their cursor inside a transaction, whatever
the setting: there it lives exactly as long as the transaction, which
transaction pooling keeps on one server connection, and memory stays bounded
by the chunk. They read on the database the rows were routed to while the
request was still being served (the replica router's pin and health decide it
then, not after the response has started).
"""

from collections.abc import Iterator

from django.db import transaction
from django.db.models import QuerySet

CHUNK_ROWS = 2000


def streamed(rows: QuerySet, chunk_size: int = CHUNK_ROWS) -> Iterator:
    """Iterate rows chunk_size at a time in one transaction, lazily: nothing
    is read until the first row is asked for."""
    alias = rows.db
    return _stream(rows.using(alias), alias, chunk_size)


def _stream(rows: QuerySet, alias: str, chunk_size: int) -> Iterator:
    # No savepoint inside a caller's transaction: the cursor ends with it.
    with transaction.atomic(using=alias, savepoint=False):
        # What QuerySet.iterator() runs, with the server-side cursor asked for
        # even under DISABLE_SERVER_SIDE_CURSORS (safe here: see above).
        yield from rows._iterable_class(rows, chunked_fetch=True, chunk_size=chunk_size)
