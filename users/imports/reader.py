"""Reading a users CSV: the header, each row checked by the model's field rules."""

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time
from pathlib import Path

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from ..models import User
from .plainrows import plain_row_parser
from .rows import BOOLEANS, EARLIEST_CREATED_AT, LARGEST_UTC_OFFSET, Rejection

REQUIRED_COLUMNS = ("username", "email", "full_name")
OPTIONAL_COLUMNS = ("is_active", "is_superuser", "created_at")
HEADER_HINT = "username,email,full_name[,is_active,is_superuser,created_at]"
# Where str.splitlines() splits.
LINE_BOUNDARY = re.compile("[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
# As the forms refuse it: PostgreSQL cannot store a NUL in text. One instance
# for every cell (a million-row file has five million).
NO_NUL = ProhibitNullCharactersValidator()


# How often (rows) bytes_read follows the file: a tell() per row costs 12% of
# the reader's time, and the progress bar moves every 5,000 rows.
PROGRESS_EVERY = 1000


class BadFile(Exception):
    """The file as a whole cannot be imported; the message says why."""


@dataclass
class ReadProgress:
    rows: int = 0
    rejected: int = 0
    bytes_read: int = 0


def _normalise(column: str, raw: str) -> str:
    if column == "username":
        return User.normalize_username(raw.strip())
    if column == "email":
        return User.objects.normalize_email(raw.strip())
    return " ".join(raw.split())


def _boolean(raw: str, default: bool) -> bool:
    text = raw.strip().lower()
    if not text:
        return default
    if text not in BOOLEANS:
        raise ValidationError("Enter true or false.")
    return BOOLEANS[text]


def _created_at(raw: str, now: datetime) -> datetime:
    """An ISO 8601 date or date-time (in TIME_ZONE without an offset), in UTC."""
    text = raw.strip()
    if not text:
        return now
    try:
        moment = parse_datetime(text)
        day = None if moment else parse_date(text)
    except ValueError:
        moment = day = None
    if day is not None:
        moment = datetime.combine(day, time.min)
    if moment is None:
        raise ValidationError("Enter an ISO 8601 date or date-time.")
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    elif abs(moment.utcoffset()) > LARGEST_UTC_OFFSET:
        raise ValidationError("The UTC offset must lie between -14:00 and +14:00.")
    # Aware moments compare as instants, whatever their offsets; converting
    # first would overflow for year 1 east of UTC or year 9999 west of it.
    if moment < EARLIEST_CREATED_AT:
        raise ValidationError("Cannot be before 1970-01-01 (UTC).")
    if moment > now:
        raise ValidationError("Cannot be in the future.")
    return moment.astimezone(UTC)


def check_file(path: Path) -> None:
    """Refuse a path that is no file, before anything is read or written."""
    if path.is_dir():
        raise BadFile(f"{path} is a directory, not a CSV file")
    if not path.exists():
        raise BadFile(f"{path}: no such file")


def _holds_csv_lines(record: list[str]) -> bool:
    """A field whose later lines hold commas: rows swallowed by an open quote.
    (A quoted line break alone is fine: "Ada<newline>Lovelace".)"""
    return any(
        "," in part
        for field in record
        if LINE_BOUNDARY.search(field)  # most fields have none: one C scan
        for part in field.splitlines()[1:]
    )


class UserCsvReader:
    """Stream a users CSV as staged rows, reporting each bad row as it goes."""

    def __init__(self, path: Path, on_rejection):
        self.path = path
        self.on_rejection = on_rejection
        self.progress = ReadProgress()
        self.now = timezone.now()
        self.password = make_password(None)
        self.fields = {name: User._meta.get_field(name) for name in REQUIRED_COLUMNS}
        self.columns: list[str] = []  # the header's, once read

    def rows(self) -> Iterator[tuple]:
        try:
            with open(self.path, "rb") as raw:
                text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
                # strict: a quote left open to the end of the file is an error,
                # not one last field holding every line after it.
                yield from self._rows(csv.reader(text, strict=True), raw)
        except FileNotFoundError as error:
            raise BadFile(f"{self.path}: no such file") from error
        except IsADirectoryError as error:
            raise BadFile(f"{self.path} is a directory, not a CSV file") from error
        except UnicodeDecodeError as error:
            raise BadFile(
                f"{self.path} is not UTF-8 text (byte 0x{error.object[error.start]:02x}"
                f" after line {self.progress.rows + 1}); save it as UTF-8 and retry"
            ) from error
        except csv.Error as error:
            raise BadFile(self._csv_problem(error)) from error

    def _csv_problem(self, error: csv.Error) -> str:
        if "unexpected end of data" in str(error):
            return (
                f"{self.path}: a quote opened on line {self._line} is never closed, "
                "so every line after it would be read into one field"
            )
        return f"{self.path}: CSV error on line {self._line}: {error}"

    def _rows(self, reader, raw) -> Iterator[tuple]:
        self._line = 1
        self.columns = columns = self._header(reader)
        self._line = reader.line_num + 1
        plain_row = plain_row_parser(columns, self.now, self.password)
        progress = self.progress
        for record in reader:
            line, self._line = self._line, reader.line_num + 1
            if not progress.rows % PROGRESS_EVERY:
                progress.bytes_read = raw.tell()
            if row := plain_row(line, record):
                progress.rows += 1
                yield row
                continue
            if not any(field.strip() for field in record):
                continue
            self.progress.rows += 1
            if _holds_csv_lines(record):
                self._reject(
                    line,
                    "line",
                    ",".join(record)[:200],
                    f"A quoted field runs from line {line} to line {reader.line_num}"
                    " and holds what look like CSV rows: a closing quote is "
                    f"probably missing on line {line}.",
                )
                continue
            row = self._row(line, columns, record)
            if row is not None:
                yield row

    def _header(self, reader) -> list[str]:
        header = next(reader, None)
        if header is None:
            raise BadFile(f"{self.path} is empty: expected the header {HEADER_HINT}")
        columns = [name.strip().lower() for name in header]
        unknown = [n for n in columns if n not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
        missing = [n for n in REQUIRED_COLUMNS if n not in columns]
        if missing and len(unknown) == len(columns):
            raise BadFile(
                f"{self.path} has no header line: the first line must be "
                f"{HEADER_HINT} (it is {','.join(header)[:80]!r})"
            )
        if unknown:
            raise BadFile(
                f"unknown column(s) {', '.join(unknown)} in the header; "
                f"allowed: {', '.join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)}"
            )
        if missing:
            raise BadFile(f"the header lacks the column(s) {', '.join(missing)}")
        if len(set(columns)) != len(columns):
            raise BadFile("the header names a column twice")
        return columns

    def _reject(self, line: int, field: str, value: str, message: str) -> None:
        self.progress.rejected += 1
        self.on_rejection(Rejection(line, field, value, message))

    def _row(self, line: int, columns: list[str], record: list[str]) -> tuple | None:
        if len(record) != len(columns):
            self._reject(
                line,
                "line",
                ",".join(record)[:200],
                f"Expected {len(columns)} fields, found {len(record)}.",
            )
            return None
        values = dict(zip(columns, record, strict=True))
        cleaned = {}
        for column in columns:
            raw = values[column]
            try:
                cleaned[column] = self._clean(column, raw)
            except ValidationError as error:
                self._reject(line, column, raw[:200], " ".join(error.messages))
                return None
        is_superuser = cleaned.get("is_superuser", False)
        return (
            line,
            cleaned["username"],
            cleaned["email"],
            cleaned["full_name"],
            cleaned.get("is_active", True),
            is_superuser,  # a superuser needs staff status to reach the admin
            is_superuser,
            cleaned.get("created_at", self.now),
            self.password,
            None,  # never logged in
        )

    def _clean(self, column: str, raw: str):
        NO_NUL(raw)
        if column in self.fields:
            return self.fields[column].clean(_normalise(column, raw), None)
        if column == "created_at":
            return _created_at(raw, self.now)
        return _boolean(raw, default=column == "is_active")
