"""The user changelist's paginator: the matches of a search read once, and
deep pages found by id before their rows are read.

The admin pages with OFFSET over its queryset, and counts it in full. For a
search that asked the trigram indexes twice (the count, then the page), and
the page, sorted by date, walked the date index probing the search table for
every row until it had found 100 matches: at 1M users "anderson" (0.4%)
took 258 ms for its page and 103 ms for its count on a busy machine. Here its
matching ids are read once (at most MATCHED_IDS_CAP of them: their number is
the count) and the page is sorted among them. A deep page (page 150: OFFSET
14,900) skips its rows in the sort index alone (an index-only scan) and then
reads only the 100 it shows, by primary key.
"""

from dataclasses import dataclass
from functools import cached_property

from django.contrib.admin.views.main import SEARCH_VAR
from django.core.paginator import Page
from django.db import connections

from ..managers.counting import counted_id_array
from ..pagination import EstimatedCountPaginator
from .mixins import FilteredOnlyChangeList

# From this offset on, a page's ids are found first (an index-only walk).
DEFERRED_FROM = 1_000
# A search with more matches is counted and paged as the stock admin does.
# Reading the ids costs less than counting them (the count reads them too),
# and "zo" at 1M users matches ~20,000: 400 KB of ids at most.
MATCHED_IDS_CAP = 50_000


class UserAdminPaginator(EstimatedCountPaginator):
    def __init__(self, object_list, per_page, *, searched: bool = False, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.searched = searched

    @cached_property
    def matches(self) -> "Matches | None":
        """A search's matching ids (PostgreSQL; at most MATCHED_IDS_CAP),
        counted and put in one array literal by the database
        (managers.counting.counted_id_array)."""
        rows = self.object_list
        if not (self.searched and _plain(rows)):
            return None
        if connections[rows.db].vendor != "postgresql":
            return None  # no array parameters: the stock queries
        count, literal = counted_id_array(rows, MATCHED_IDS_CAP)
        return Matches(count, literal) if count <= MATCHED_IDS_CAP else None

    @cached_property
    def count(self) -> int:
        matches = self.matches
        return matches.count if matches is not None else super().count

    def page(self, number) -> Page:
        # As Paginator.page, with the rows from _rows.
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        return self._get_page(self._rows(bottom, top), number, self)

    def _rows(self, bottom: int, top: int):
        rows, matches = self.object_list, self.matches
        if matches is not None:
            return self.rows_among(matches.ids, bottom, top)
        if bottom < DEFERRED_FROM or not _plain(rows):
            return rows[bottom:top]
        page_ids = list(rows.values_list("pk", flat=True)[bottom:top])
        if connections[rows.db].vendor == "postgresql":
            # One array parameter: pk__in's hundred cost ~0.6 ms of Python.
            return self.rows_among(array_literal(page_ids), 0, len(page_ids))
        return _fresh(rows).filter(pk__in=page_ids)

    def rows_among(self, ids: str, bottom: int, top: int):
        """The rows with these ids (a PostgreSQL array literal), in the list's
        order, from bottom to top."""
        rows = self.object_list
        quote = connections[rows.db].ops.quote_name
        meta = rows.model._meta
        among = f"{quote(meta.db_table)}.{quote(meta.pk.column)} = ANY(%s::bigint[])"
        return _fresh(rows).extra(where=[among], params=[ids])[bottom:top]


@dataclass(frozen=True)
class Matches:
    count: int
    # One array literal: a Python list is sent as ARRAY[...] of 20,000
    # parameters, which took 240 ms to plan against 14 ms ("zo").
    ids: str


def array_literal(ids: list[int]) -> str:
    return "{" + ",".join(map(str, map(int, ids))) + "}"


def _plain(rows) -> bool:
    """Rows of the model in a total order, with nothing the page's own
    query would have to repeat (annotations, joins read along, DISTINCT)."""
    query = rows.query
    return bool(
        query.order_by
        and not query.annotations
        and not query.select_related
        and not query.distinct
        and not query.extra
        and not query.combinator
        and query.deferred_loading == (frozenset(), True)
    )


def _fresh(rows):
    """The model's rows in the same order, none of rows' filters."""
    return rows.model._default_manager.using(rows.db).order_by(*rows.query.order_by)


class UserChangeList(FilteredOnlyChangeList):
    def get_results(self, request):
        super().get_results(request)
        # A list that fits one page (or "Show all") is the whole queryset in
        # the stock admin, which would run the search again: its rows among
        # the ids already read instead.
        matches = getattr(self.paginator, "matches", None)
        whole = (self.show_all and self.can_show_all) or not self.multi_page
        if matches is not None and whole:
            self.result_list = self.paginator.rows_among(matches.ids, 0, matches.count)


class UserAdminPaginatorMixin:
    """A ModelAdmin whose changelist pages with UserAdminPaginator (put it
    before FilteredOnlyMixin: its change list is a FilteredOnlyChangeList)."""

    paginator = UserAdminPaginator

    def get_changelist(self, request, **kwargs):
        return UserChangeList

    def get_paginator(self, request, queryset, per_page, **kwargs):
        searched = bool(request.GET.get(SEARCH_VAR, "").strip())
        return self.paginator(queryset, per_page, searched=searched, **kwargs)
