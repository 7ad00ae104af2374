"""The reader's fast path: a row of plain values checked by a few compiled
patterns instead of the model fields' machinery (~4x less CPU per row).

Every pattern here accepts a subset of what the model's fields accept, and
for that subset normalising changes nothing (ASCII usernames are their own
NFKC form; a lowercase domain is its own lowercase). A row the patterns do
not vouch for - anything unusual: non-ASCII, spaces to strip, an uppercase
domain, an odd boolean or date - goes through the full checks
(reader.UserCsvReader._row), which name the bad line and field. So the fast
path never decides that a row is bad, and a row it takes comes out exactly as
the full checks would have made it (test_import_plainrows.py compares both).
"""

import re
from collections.abc import Callable
from datetime import UTC, datetime

from ..models import User
from .rows import BOOLEANS, EARLIEST_CREATED_AT, LARGEST_UTC_OFFSET

_USERNAME_MAX = User._meta.get_field("username").max_length
_EMAIL_MAX = User._meta.get_field("email").max_length
_FULL_NAME_MAX = User._meta.get_field("full_name").max_length
# Within LoginNameValidator's [\w.+-]; no whitespace, NUL or "@".
PLAIN_USERNAME = re.compile(rf"[A-Za-z0-9_.+-]{{1,{_USERNAME_MAX}}}")
# Within EmailValidator's dot-atom local part and its domain pattern (labels of
# letters, digits and inner hyphens; a top-level domain of letters), with the
# domain already lowercase: normalize_email would change nothing.
_LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
PLAIN_EMAIL = re.compile(
    rf"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*@(?:{_LABEL}\.)+[a-z]{{2,63}}"
)
# What makes a full name unusual: a NUL (refused), or a line boundary (where
# the reader looks for rows swallowed by an open quote).
UNUSUAL_NAME = re.compile("[\x00\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")


def plain_row_parser(
    columns: list[str], now: datetime, password: str
) -> Callable[[int, list[str]], tuple | None]:
    """parse(line, record) for a file with these header columns: the staged
    row when every value is plain, else None (take the full checks)."""
    width = len(columns)
    at = {name: index for index, name in enumerate(columns)}
    username_at, email_at, name_at = at["username"], at["email"], at["full_name"]
    active_at = at.get("is_active")
    superuser_at = at.get("is_superuser")
    created_at = at.get("created_at")
    # The spellings the full checks take, unstripped; an empty cell: the default.
    active_values = {**BOOLEANS, "": True}
    superuser_values = {**BOOLEANS, "": False}
    username_ok, email_ok = PLAIN_USERNAME.fullmatch, PLAIN_EMAIL.fullmatch
    unusual_name = UNUSUAL_NAME.search

    def parse(line: int, record: list[str]) -> tuple | None:
        if len(record) != width:
            return None
        username, email, raw_name = (
            record[username_at],
            record[email_at],
            record[name_at],
        )
        if not username_ok(username) or not email_ok(email) or len(email) > _EMAIL_MAX:
            return None
        if unusual_name(raw_name):
            return None
        full_name = " ".join(raw_name.split())
        if len(full_name) > _FULL_NAME_MAX:
            return None
        is_active = True if active_at is None else active_values.get(record[active_at])
        superuser = (
            False
            if superuser_at is None
            else superuser_values.get(record[superuser_at])
        )
        if is_active is None or superuser is None:
            return None
        created = now if created_at is None else _plain_moment(record[created_at], now)
        if created is None:
            return None
        return (
            line,
            username,
            email,
            full_name,
            is_active,
            superuser,  # a superuser needs staff status to reach the admin
            superuser,
            created,
            password,
            None,  # never logged in
        )

    return parse


def _plain_moment(raw: str, now: datetime) -> datetime | None:
    """An ISO 8601 date-time with a UTC offset, in range, in UTC; else None.
    An empty cell is the import's moment; one without an offset (read in
    TIME_ZONE) takes the full checks."""
    if not raw:
        return now
    try:
        # What parse_datetime tries first; it refuses surrounding whitespace,
        # which the full checks would strip.
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return None
    offset = moment.utcoffset()
    if offset is None or abs(offset) > LARGEST_UTC_OFFSET:
        return None
    if moment < EARLIEST_CREATED_AT or moment > now:
        return None
    return moment.astimezone(UTC)
