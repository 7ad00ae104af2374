"""The UserSearch model (users.models registers it): the search's copy of
each account's searched columns, under the trigram indexes."""

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models.functions import Upper

from .managers.search import SEARCH_FIELDS


def _trigram_index(field: str) -> GinIndex:
    # On the search table (UserSearch), not on users_user: see its docstring.
    # icontains compiles to UPPER(col::text) LIKE UPPER(%s) on PostgreSQL, so the
    # trigram index must be on Upper(col) for the planner to use it.
    # fastupdate off: with it on, every write parks index entries in a pending
    # list that each search scans linearly until vacuum merges it; under steady
    # edits (measured: 10k pending entries after 3 minutes of load) the planner
    # gave up on the index. Reads far outnumber writes here.
    return GinIndex(
        OpClass(Upper(field), name="gin_trgm_ops"),
        name=f"users_search_{field}_trgm",
        fastupdate=False,
    )


class UserSearch(models.Model):
    """What the search reads on PostgreSQL: a copy of each account's searched
    columns, under the three GIN trigram indexes.

    On users_user those indexes made every other write slow: a row's update is
    not HOT (rows lie in created_at order, and an UPDATE rarely finds room on
    its page), so each new row version got entries in all eleven indexes, and
    the GIN ones cost most. Deactivating 100,000 of 1M accounts took 22 s,
    24 of the UPDATE's 30 s (EXPLAIN ANALYZE) going into the trigram indexes;
    logins paid the same for last_login. Here they are touched only when an
    email, username or full name changes.

    Database triggers keep it in step (migration 0021), so every write path,
    raw SQL and COPY included, does without knowing: one INSERT ... SELECT per
    INSERT statement (a transition table), an upsert per row whose searched
    columns change, ON DELETE CASCADE. The table exists on SQLite too but stays
    empty there: SQLite has no trigram indexes and searches users_user itself
    (managers.accounts.UserQuerySet.search).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.DB_CASCADE,
        primary_key=True,
        related_name="search_entry",
    )
    # text: a later change of users_user's column lengths needs no change here.
    email = models.TextField()
    username = models.TextField()
    full_name = models.TextField()

    class Meta:
        indexes = [_trigram_index(field) for field in SEARCH_FIELDS]
        # Kept by triggers, never by people: no permissions to grant.
        default_permissions = ()

    def __str__(self) -> str:
        return self.username
