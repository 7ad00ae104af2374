"""The user list's orderings: the last-login key, sorting by one column with
id as the tie-breaker, keyset pages (rows after a (value, id) key) and the
last-login filters that share that key."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Self

from django.core.exceptions import EmptyResultSet
from django.db import connections, models
from django.db.models import DateTimeField, F, QuerySet, Value
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan
from django.db.models.functions import Coalesce

# An account that never signed in sorts and filters as if it last did on this
# day, before any real login: "oldest login first" starts with the accounts
# that never logged in, "latest first" ends with them, and keyset pages need
# no NULL cases (NULL compares as unknown, so a row comparison would drop
# those rows). The (last_login_key, id) expression index serves sort and filters.
NEVER_LOGGED_IN = datetime(1, 1, 1, tzinfo=UTC)

# A first page walks the sort index, rather than reading every match by id,
# when matched * matched * WALK_WHEN_DENSE >= limit * table rows: the walk
# meets limit matches after about limit * table / matched rows (as the matches
# are spread). Measured per row at 1M users, walked against read by id and
# sorted: a group's membership probe costs 0.37 of it, a search's 0.8, so
# 1.25 favours the walk only where it wins for both. A group of 10,000 took
# 35 ms by ids and 3.2 ms walked; "anderson" (4,015 matches) 28 ms by ids
# and 77 ms walked for 51 rows (bench/measure.py's data).
# Below WALK_FROM_ROWS rows either read is cheap, and the one query stays one.
WALK_WHEN_DENSE = 1.25
WALK_FROM_ROWS = 5_000


def last_login_key() -> Coalesce:
    return Coalesce("last_login", Value(NEVER_LOGGED_IN, output_field=DateTimeField()))


# Sort columns that are expressions, aliased under these names.
SORT_EXPRESSIONS: dict[str, Callable[[], Any]] = {"last_login": last_login_key}


def _sort_alias(field: str) -> str:
    return f"{field}_key" if field in SORT_EXPRESSIONS else field


class OrderedQuerySet(models.QuerySet):
    """The orderings and keyset pages of users.managers.accounts.UserQuerySet."""

    def sorted_by(self, ordering: str) -> Self:
        """Order by one column ("-email" descends) with id as the tie-breaker."""
        descending = "-" if ordering.startswith("-") else ""
        rows, column = self._with_sort_column(ordering.removeprefix("-"))
        return rows.order_by(f"{descending}{column}", f"{descending}id")

    def beyond(self, ordering: str, key: tuple[Any, int]) -> Self:
        """Rows that come after `key` (a (value, id) pair) in this ordering.

        A row comparison the (column, id) index serves at any depth, unlike OFFSET.
        """
        rows, column = self._with_sort_column(ordering.removeprefix("-"))
        after = TupleLessThan if ordering.startswith("-") else TupleGreaterThan
        return rows.filter(after(Tuple(column, "id"), key))

    def _with_sort_column(self, field: str) -> tuple[Self, str]:
        """This queryset with the field's sort column (aliased if an
        expression), and that column's name."""
        column = _sort_alias(field)
        if field not in SORT_EXPRESSIONS or column in self.query.annotations:
            return self, column
        return self.alias(**{column: SORT_EXPRESSIONS[field]()}), column

    def never_logged_in(self) -> Self:
        # IS NULL rather than the key's "never" date: the same rows, but the
        # partial index on them (models: users_user_never_logged_in_idx) is
        # usable only for the condition it was built with. A quarter of the
        # accounts: its capped count read ~10,000 rows of the table instead.
        rows, _ = self._with_sort_column("last_login")
        return rows.filter(last_login__isnull=True)

    def last_login_between(
        self, start: datetime | None = None, end: datetime | None = None
    ) -> Self:
        """Accounts whose last login lies in [start, end); never is in no range."""
        rows, column = self._with_sort_column("last_login")
        rows = rows.filter(**{f"{column}__gt": NEVER_LOGGED_IN})
        if start is not None:
            rows = rows.filter(**{f"{column}__gte": start})
        if end is not None:
            rows = rows.filter(**{f"{column}__lt": end})
        return rows

    def first_counted(
        self, ordering: str, limit: int, cap: int
    ) -> tuple[list, int] | None:
        """The first `limit` rows in ordering and how many rows there are, from
        one query, when there are at most `cap`; None when there are more.

        The matches are read once, unordered, then counted, and sorted only
        when there are at most cap of them. The usual "ordered page, then a
        capped count" reads a few thousand matches twice, and for the page
        walks the sort index past every row that does not match: at 1M users a
        common surname took 27 + 11 ms that way (bench/measure.py, "search
        common surname"). Past the cap nothing is sorted or read beyond ids.
        Dense matches (PostgreSQL) take a second query: the page walked."""
        try:
            if connections[self.db].vendor == "postgresql":
                found = self._first_counted_by_ids(ordering, limit, cap)
            else:
                found = self._first_counted_in_one_pass(ordering, limit, cap)
        except EmptyResultSet:
            return [], 0  # none() (a search that can match nothing): no SQL

        total = found[0].matched if found else 0
        if total > cap:
            return None
        if found and getattr(found[0], "walk", False):
            return list(self.sorted_by(ordering)[:limit]), total
        return [row for row in found if row.pk is not None], total

    def _first_counted_in_one_pass(self, ordering: str, limit: int, cap: int) -> list:
        """Ids and sort keys of at most cap + 1 matches, counted; the page's
        rows read by id only when there are at most cap. With more (or none),
        one row of NULLs carries the count."""
        direction, key, rows = self._first_sort_key(self.order_by(), ordering)
        matches = rows.annotate(page_key=F(key)) if key != "first_sort_key" else rows
        key = "page_key" if key != "first_sort_key" else key
        sql, params = matches.values("id", key)[: cap + 1].query.sql_with_params()
        quote = connections[self.db].ops.quote_name
        table = quote(self.model._meta.db_table)
        return list(
            self.model._default_manager.db_manager(self.db).raw(
                f"WITH matches AS MATERIALIZED ({sql}), "
                "counted AS (SELECT COUNT(*) AS total FROM matches) "
                f"SELECT {table}.*, counted.total AS matched FROM counted "
                f"LEFT JOIN (SELECT id AS page_id, {key} AS page_key "
                "FROM matches WHERE (SELECT total FROM counted) <= %s "
                f"ORDER BY {key} {direction}, id {direction} LIMIT %s) page "
                f"ON 1 = 1 LEFT JOIN {table} ON {table}.id = page.page_id "
                f"ORDER BY page.page_key {direction}, page.page_id {direction}",
                [*params, cap, limit],
            )
        )

    def _first_counted_by_ids(self, ordering: str, limit: int, cap: int) -> list:
        """PostgreSQL: the ids of at most cap + 1 matches first (as a capped
        count reads them: often from indexes alone), then - only when there
        are at most cap - the page's rows among them by primary key.

        Reading whole rows in that first step let the planner prefer a merge
        join for a search (its matches are ids from the search table,
        models.UserSearch): at 1M users "zo" walked half the users table
        (377 ms on a busy machine) where ids then rows took 41 ms. With more
        than cap matches the rows are not read at all: one row of NULLs
        carries the count.

        Nor are they when the matches are dense (the row's `walk` is true):
        then the caller walks the sort index instead, which meets `limit`
        matches after about limit * table / matched rows, fewer than the
        matches (WALK_WHEN_DENSE)."""
        manager = self.model._default_manager.db_manager(self.db)
        ids, ids_params = self.capped_ids(cap).query.sql_with_params()
        direction, key, rows = self._first_sort_key(manager.order_by(), ordering)
        page, page_params = rows.query.sql_with_params()
        quote = connections[self.db].ops.quote_name
        table, pk = quote(self.model._meta.db_table), quote(self.model._meta.pk.column)
        return list(
            manager.raw(
                f"WITH matches AS MATERIALIZED ({ids}), "
                "counted AS (SELECT COUNT(*) AS matched FROM matches), "
                "sized AS (SELECT matched, reltuples >= %s "
                "AND matched * matched * %s >= %s * reltuples AS walk "
                "FROM counted, pg_class WHERE pg_class.oid = %s::regclass) "
                "SELECT page.*, sized.matched, sized.walk FROM sized "
                "LEFT JOIN LATERAL "
                f"({page} WHERE sized.matched <= %s AND NOT sized.walk "
                f"AND {table}.{pk} = ANY(ARRAY(SELECT * FROM matches)) "
                f"ORDER BY {quote(key)} {direction}, {table}.{pk} {direction} "
                "LIMIT %s) AS page ON true "
                f"ORDER BY page.{quote(key)} {direction}, page.{pk} {direction}",
                [
                    *ids_params,
                    WALK_FROM_ROWS,
                    WALK_WHEN_DENSE,
                    limit,
                    self.model._meta.db_table,
                    *page_params,
                    cap,
                    limit,
                ],
            )
        )

    def capped_ids(self, cap: int) -> QuerySet:
        """The ids of at most cap + 1 of these rows, in no order."""
        return self.order_by().values("pk")[: cap + 1]

    def _first_sort_key(
        self, rows: QuerySet, ordering: str
    ) -> tuple[str, str, QuerySet]:
        """ASC/DESC, the column (or annotation) rows sort by, and rows with it."""
        field = ordering.removeprefix("-")
        direction = "DESC" if ordering.startswith("-") else "ASC"
        if field in SORT_EXPRESSIONS:
            rows = rows.annotate(first_sort_key=SORT_EXPRESSIONS[field]())
            return direction, "first_sort_key", rows
        return direction, self.model._meta.get_field(field).column, rows

    def sort_key_of(self, pk: int, ordering: str) -> tuple[Any, int] | None:
        """(sort value, id) of one row, as stored now (a primary-key lookup);
        None when it is gone."""
        value = self._sort_value(pk, ordering).first()
        return (value, pk) if value is not None else None

    async def asort_key_of(self, pk: int, ordering: str) -> tuple[Any, int] | None:
        value = await self._sort_value(pk, ordering).afirst()
        return (value, pk) if value is not None else None

    def _sort_value(self, pk: int, ordering: str) -> QuerySet:
        # The value the list sorts by (last login: coalesced, never NULL), so
        # None can only mean "no such row".
        field = ordering.removeprefix("-")
        rows, column = self.filter(pk=pk).order_by(), _sort_alias(field)
        if field in SORT_EXPRESSIONS:
            rows = rows.annotate(**{column: SORT_EXPRESSIONS[field]()})
        return rows.values_list(column, flat=True)
