"""Paging and counting users: keyset pages (constant time at any depth, opaque
signed tokens) for the staff list, capped or estimated counts, and the admin's
paginator."""

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from django.core import signing
from django.core.paginator import Paginator

from .managers import UserQuerySet
from .models import User

SALT = "users.page"
# Past this many matches a filtered list says "10,000+" instead of counting on.
COUNT_CAP = 10_000
MAX_ADMIN_PAGES = 200


class InvalidPageToken(ValueError):
    """A page token that was not made here, or belongs to another sort order."""


@dataclass(frozen=True)
class KeysetPage:
    rows: list[User]
    next_token: str | None
    previous_token: str | None


def _key(row: User, ordering: str) -> list[Any]:
    value = getattr(row, ordering.removeprefix("-"))
    if isinstance(value, datetime):
        value = value.isoformat()
    return [value, row.pk]


def make_token(direction: str, ordering: str, row: User) -> str:
    return signing.dumps([direction, ordering, *_key(row, ordering)], salt=SALT)


def read_token(token: str, ordering: str) -> tuple[str, tuple[Any, int]]:
    try:
        direction, token_ordering, value, pk = signing.loads(token, salt=SALT)
    except (signing.BadSignature, TypeError, ValueError) as error:
        raise InvalidPageToken("This page link is damaged or out of date.") from error
    if token_ordering != ordering or direction not in ("after", "before"):
        raise InvalidPageToken("This page link belongs to another sort order.")
    if ordering.removeprefix("-") == "created_at":
        value = datetime.fromisoformat(value)
    return direction, (value, pk)


def _reverse(ordering: str) -> str:
    return ordering[1:] if ordering.startswith("-") else f"-{ordering}"


def keyset_page(
    queryset: UserQuerySet, *, ordering: str, per_page: int, token: str | None
) -> KeysetPage:
    """One page of queryset in ordering, after or before the row a token names."""
    direction, key = read_token(token, ordering) if token else ("after", None)
    walk = ordering if direction == "after" else _reverse(ordering)
    rows = queryset.sorted_by(walk)
    if key is not None:
        rows = rows.beyond(walk, key)
    rows = list(rows[: per_page + 1])
    more = len(rows) > per_page
    rows = rows[:per_page]
    if direction == "before":
        rows.reverse()
        has_next, has_previous = True, more
    else:
        has_next, has_previous = more, key is not None
    return KeysetPage(
        rows=rows,
        next_token=make_token("after", ordering, rows[-1])
        if rows and has_next
        else None,
        previous_token=(
            make_token("before", ordering, rows[0]) if rows and has_previous else None
        ),
    )


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
            return ResultCount(_two_significant_digits(estimate), exact=False)
    number = queryset.count_up_to(COUNT_CAP)
    if number > COUNT_CAP:
        return ResultCount(COUNT_CAP, capped=True)
    return ResultCount(number)


class EstimatedCountPaginator(Paginator):
    """Uses the planner's estimate for the unfiltered table instead of COUNT(*),
    and stops at MAX_ADMIN_PAGES: past that, OFFSET reads every row it skips
    (~500 ms at 250,000 rows), so deeper results are reached by narrowing the
    search or by the keyset-paged staff list at /users/."""

    @cached_property
    def count(self) -> int:
        if not self.object_list.query.where:
            estimate = User.objects.estimated_count()
            if estimate is not None and estimate > COUNT_CAP:
                return estimate
        return super().count

    @cached_property
    def num_pages(self) -> int:
        return min(super().num_pages, MAX_ADMIN_PAGES)
