"""Paging and counting users: keyset pages (constant time at any depth, opaque
signed tokens) for the staff list, capped or estimated counts, and the admin's
paginator."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import cached_property

from django.core import signing
from django.core.paginator import Paginator

from .managers.accounts import UserQuerySet
from .managers.trail import AuditEventQuerySet
from .models import User

SALT = "users.page"
# Past this many matches a filtered list says "10,000+" instead of counting on.
COUNT_CAP = 10_000
MAX_ADMIN_PAGES = 200
# The "ordering" history tokens are made for: no list token opens a history page.
HISTORY_ORDERING = "history"


class InvalidPageToken(ValueError):
    """A page token that was not made here, or belongs to another sort order."""


@dataclass(frozen=True)
class KeysetPage:
    rows: list  # users, or an account's events
    next_token: str | None
    previous_token: str | None
    # The row the token started from was deleted meanwhile: this is page one.
    restarted: bool = False
    # How many rows come before this page, as counted when its link was made
    # (rows added or deleted since shift it); None for links made before
    # tokens carried it.
    offset: int | None = 0

    @property
    def first_number(self) -> int | None:
        """The position of the page's first row (1-based), if known."""
        return None if self.offset is None or not self.rows else self.offset + 1

    @property
    def last_number(self) -> int | None:
        return None if self.offset is None else self.offset + len(self.rows)


def make_token(
    direction: str, ordering: str, row: User, offset: int | None = None
) -> str:
    """A page link names its boundary row by id only: short whatever the
    row's values (a long name made the old tokens exceed the 300 characters
    the list accepts), and no email address or name in a URL, which ends up
    in browser histories and server logs. The sort value is read by id when
    the link is followed. offset, the number of rows before the page the link
    opens, lets the page say where it is ("26-50 of 52") without counting."""
    payload = [direction, ordering, row.pk]
    if offset is not None:
        payload.append(offset)
    return signing.dumps(payload, salt=SALT)


def read_token(token: str, ordering: str) -> tuple[str, int]:
    """The direction and the boundary row's id of a token made for ordering."""
    direction, pk, _ = _read_token(token, ordering)
    return direction, pk


def _read_token(token: str, ordering: str) -> tuple[str, int, int | None]:
    damaged = InvalidPageToken("This page link is damaged or out of date.")
    try:
        direction, token_ordering, pk, *offset = signing.loads(token, salt=SALT)
    except (signing.BadSignature, TypeError, ValueError) as error:
        raise damaged from error
    if token_ordering != ordering or direction not in ("after", "before"):
        raise InvalidPageToken("This page link belongs to another sort order.")
    if type(pk) is not int or len(offset) > 1:
        raise damaged
    if offset and (type(offset[0]) is not int or offset[0] < 0):
        raise damaged
    return direction, pk, offset[0] if offset else None


def _reverse(ordering: str) -> str:
    return ordering[1:] if ordering.startswith("-") else f"-{ordering}"


def page_rows(
    queryset: UserQuerySet, *, ordering: str, token: str | None
) -> tuple[UserQuerySet, str, bool]:
    """The rows a token's page starts with, walked in its direction, the
    direction, and whether the token had to be dropped (its row is gone)."""
    rows, direction, restarted, _ = _page_rows(queryset, ordering, token)
    return rows, direction, restarted


def _page_rows(queryset: UserQuerySet, ordering: str, token: str | None):
    direction, pk, offset = (
        _read_token(token, ordering) if token else ("after", None, 0)
    )
    # The boundary row's (sort value, id) as stored now: one primary-key lookup.
    key = User.objects.sort_key_of(pk, ordering) if pk is not None else None
    return _walk(queryset, ordering, direction, key, offset, restarted=bool(token))


async def _apage_rows(queryset: UserQuerySet, ordering: str, token: str | None):
    direction, pk, offset = (
        _read_token(token, ordering) if token else ("after", None, 0)
    )
    key = await User.objects.asort_key_of(pk, ordering) if pk is not None else None
    return _walk(queryset, ordering, direction, key, offset, restarted=bool(token))


def _walk(queryset, ordering, direction, key, offset, *, restarted):
    restarted = restarted and key is None
    if restarted:  # the boundary row was deleted: start again from page one
        direction, offset = "after", 0
    walk = ordering if direction == "after" else _reverse(ordering)
    rows = queryset.sorted_by(walk)
    if key is not None:
        rows = rows.beyond(walk, key)
    return rows, direction, restarted, offset


def keyset_page(
    queryset: UserQuerySet, *, ordering: str, per_page: int, token: str | None
) -> KeysetPage:
    """One page of queryset in ordering, after or before the row a token names."""
    rows, direction, restarted, offset = _page_rows(queryset, ordering, token)
    return _page(rows, direction, restarted, offset, ordering, per_page, token)


async def akeyset_page(
    queryset: UserQuerySet, *, ordering: str, per_page: int, token: str | None
) -> KeysetPage:
    """Async twin of keyset_page."""
    rows, direction, restarted, offset = await _apage_rows(queryset, ordering, token)
    found = [row async for row in rows[: per_page + 1]]
    return _page(found, direction, restarted, offset, ordering, per_page, token)


async def aiter_keyset(
    queryset: UserQuerySet, *, ordering: str = "created_at", batch_size: int = 500
) -> AsyncIterator[User]:
    """Every row of queryset in ordering, fetched a keyset page at a time:
    constant cost per page at any depth, and no connection held between pages."""
    token = None
    while True:
        page = await akeyset_page(
            queryset, ordering=ordering, per_page=batch_size, token=token
        )
        for row in page.rows:
            yield row
        if page.next_token is None:
            return
        token = page.next_token


def history_page(
    events: AuditEventQuerySet, *, per_page: int, token: str | None
) -> KeysetPage:
    """One page of an account's history, newest first, after or before the
    event a token names (its id only, like the list's tokens)."""
    direction, key, restarted, offset = "after", None, False, 0
    if token:
        direction, pk, offset = _read_token(token, HISTORY_ORDERING)
        key = events.key_of(pk)
        if key is None:  # gone, or another account's event: start again
            direction, restarted, offset = "after", True, 0
    if direction == "after":
        rows = events.order_by("-at", "-id")
        rows = rows.older_than(key) if key else rows
    else:
        rows = events.oldest_first().newer_than(key)
    return _page(rows, direction, restarted, offset, HISTORY_ORDERING, per_page, token)


def _page(rows, direction, restarted, offset, ordering, per_page, token) -> KeysetPage:
    # rows: a queryset, or the rows an async twin has already fetched.
    rows = list(rows[: per_page + 1])
    more = len(rows) > per_page
    rows = rows[:per_page]
    beyond_a_row = bool(token) and not restarted
    if direction == "before":
        rows.reverse()
        has_next, has_previous = True, more
        if not more:
            offset = 0  # nothing further back: this is the first page
    else:
        has_next, has_previous = more, beyond_a_row
    known = offset is not None
    return KeysetPage(
        rows=rows,
        next_token=make_token(
            "after", ordering, rows[-1], offset + len(rows) if known else None
        )
        if rows and has_next
        else None,
        previous_token=(
            make_token(
                "before",
                ordering,
                rows[0],
                max(offset - per_page, 0) if known else None,
            )
            if rows and has_previous
            else None
        ),
        restarted=restarted,
        offset=offset,
    )


def page_and_count(
    queryset: UserQuerySet,
    *,
    ordering: str,
    per_page: int,
    token: str | None,
    filtered: bool,
) -> tuple[KeysetPage, "ResultCount"]:
    """A page of the list and how many rows match. The first page of a
    filtered list with at most COUNT_CAP matches (most searches) comes with
    its count from one read (UserQuerySet.first_counted); beyond the cap the
    count is known to be capped, and the page is walked as any other."""
    if filtered and not token:
        found = queryset.first_counted(ordering, per_page + 1, COUNT_CAP)
        if found is not None:
            rows, total = found
            page = _page(rows, "after", False, 0, ordering, per_page, None)
            return page, ResultCount(total)
        page = keyset_page(queryset, ordering=ordering, per_page=per_page, token=None)
        return page, ResultCount(COUNT_CAP, capped=True)
    page = keyset_page(queryset, ordering=ordering, per_page=per_page, token=token)
    return page, result_count(queryset, filtered=filtered)


@dataclass(frozen=True)
class ResultCount:
    number: int
    exact: bool = True
    capped: bool = False

    def __str__(self) -> str:
        noun = "user" if self.number == 1 else "users"
        if self.capped:
            return f"{self.number:,}+ {noun}"
        return f"{'' if self.exact else 'about '}{self.number:,} {noun}"


def _two_significant_digits(number: int) -> int:
    return int(float(f"{number:.2g}"))


def result_count(queryset: UserQuerySet, *, filtered: bool) -> ResultCount:
    """Exact when small, an estimate for the whole table, capped when filtered."""
    if not filtered:
        estimate = User.objects.estimated_count()
        if estimate is not None and estimate > COUNT_CAP:
            return _estimated(estimate)
    return _counted(queryset.count_up_to(COUNT_CAP))


async def aresult_count(queryset: UserQuerySet, *, filtered: bool) -> ResultCount:
    """Async twin of result_count."""
    if not filtered:
        estimate = await User.objects.aestimated_count()
        if estimate is not None and estimate > COUNT_CAP:
            return _estimated(estimate)
    return _counted(await queryset.acount_up_to(COUNT_CAP))


def _estimated(estimate: int) -> ResultCount:
    return ResultCount(_two_significant_digits(estimate), exact=False)


def _counted(number: int) -> ResultCount:
    if number > COUNT_CAP:
        return ResultCount(COUNT_CAP, capped=True)
    return ResultCount(number)


class EstimatedCountPaginator(Paginator):
    """Uses the planner's estimate for an unfiltered table instead of COUNT(*),
    and stops at MAX_ADMIN_PAGES: past that, OFFSET reads every row it skips
    (~500 ms at 250,000 rows), so deeper results are reached by narrowing the
    search or by the keyset-paged staff list at /users/."""

    @cached_property
    def count(self) -> int:
        if not self.object_list.query.where:
            estimate = self.object_list.model._default_manager.estimated_count()
            if estimate is not None and estimate > COUNT_CAP:
                return estimate
        return super().count

    @cached_property
    def num_pages(self) -> int:
        return min(super().num_pages, MAX_ADMIN_PAGES)
