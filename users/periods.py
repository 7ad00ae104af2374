"""Date presets of the list's filters ("last 7 days", ...): each is a range of
whole days in the project's time zone, turned into the datetimes a filter
compares with."""

from datetime import date, datetime, time, timedelta

from django.utils import timezone

PERIOD_CHOICES = [
    ("today", "Today"),
    ("last_7_days", "Last 7 days"),
    ("last_30_days", "Last 30 days"),
    ("last_month", "Last month"),
    ("this_year", "This year"),
]


def start_of(day: date) -> datetime:
    """Midnight starting day, in the project's time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


def day_after(day: date) -> datetime | None:
    """Midnight ending day; None past the last date (no end)."""
    if day >= date.max:
        return None
    return start_of(day + timedelta(days=1))


def period_days(name: str, today: date) -> tuple[date, date]:
    """The first and the last day of a preset period (both included)."""
    if name == "today":
        return today, today
    if name == "last_7_days":
        return today - timedelta(days=6), today
    if name == "last_30_days":
        return today - timedelta(days=29), today
    if name == "last_month":
        last_day = today.replace(day=1) - timedelta(days=1)
        return last_day.replace(day=1), last_day
    if name == "this_year":
        return today.replace(month=1, day=1), today.replace(month=12, day=31)
    raise ValueError(f"unknown period {name!r}")


def period_range(name: str) -> tuple[datetime, datetime | None]:
    """[start, end) of a preset period as of today, in the project's time zone."""
    first, last = period_days(name, timezone.localdate())
    return start_of(first), day_after(last)
