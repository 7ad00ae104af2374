"""The reader's fast path (imports.plainrows) takes only rows the full checks
accept, and makes them exactly as the full checks do; it never rejects."""

import csv
from datetime import UTC, datetime
from itertools import product

from users.imports import UserCsvReader
from users.imports import reader as reader_module
from users.imports.plainrows import plain_row_parser

COLUMNS = ["username", "email", "full_name", "is_active", "is_superuser", "created_at"]
NOW = datetime(2026, 1, 1, tzinfo=UTC)

USERNAMES = ["ada", "Ada.L+x_y-z", "a" * 100, "a" * 101, " ada", "ada\n", "ad@", "",
             "ÅDA", "ａｄａ", "ada\x00", "a,b", "ada\u2028"]  # fmt: skip
EMAILS = ["ada@example.com", "Ada.X+y@mail.example.co", "ada@Example.COM",
          "ada@localhost", "ada@example", "ada@-x.com", "ada@x-.com", "a..b@x.com",
          ".a@x.com", "ada@xn--80ak6aa92e.com", "ada@192.168.0.1", "ada@[1.2.3.4]",
          "ada@éxample.com", " ada@x.com", "ada@x.com ", "a\"b@x.com", "a@b@x.com",
          "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 60 + ".com",
          "ada@x.c", "ada@" + "x" * 64 + ".com", "ada@x.c0m", ""]  # fmt: skip
NAMES = ["Ada Lovelace", "  Ada   Lovelace ", "", "x" * 255, "x" * 256,
         "x" * 250 + "      y", "Ada\x00", "Ada\nLovelace", "Ada\x1cL,b",
         "Åda\tL"]  # fmt: skip
BOOLEANS = ["true", "false", "1", "0", "yes", "no", "", " true", "TRUE", "maybe"]
MOMENTS = ["2020-01-02T03:04:05Z", "2020-01-02T03:04:05.5+02:00", "2020-01-02",
           "2020-01-02T03:04:05", "1969-12-31T23:59:59Z", "1970-01-01T00:00:00Z",
           "2030-01-01T00:00:00Z", "2020-01-02T03:04:05+14:00",
           "2020-01-02T03:04:05+14:01", "2020-01-02T03:04:05-14:00", "20200102T030405Z",
           " 2020-01-02T03:04:05Z", "0001-01-01T00:00:00+05:00", "2020-02-30T00:00:00Z",
           "9999-12-31T23:59:59-05:00", "garbage", ""]  # fmt: skip


def read(path, monkeypatch, fast: bool):
    """The rows and rejections of a file, with or without the fast path; and
    how many rows the fast path took."""
    taken = []

    def parser(*args):
        parse = plain_row_parser(*args)

        def counted(line, record):
            row = parse(line, record) if fast else None
            taken.extend([line] if row else [])
            return row

        return counted

    monkeypatch.setattr(reader_module, "plain_row_parser", parser)
    rejections = []
    reader = UserCsvReader(path, on_rejection=rejections.append)
    reader.now = NOW
    # The password is a fresh unusable one per reader: not compared.
    rows = [row[:8] + row[9:] for row in reader.rows()]
    return rows, rejections, taken


def same_with_and_without(tmp_path, monkeypatch, records) -> int:
    path = tmp_path / "users.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([COLUMNS, *records])
    full_rows, full_rejections, _ = read(path, monkeypatch, fast=False)
    rows, rejections, taken = read(path, monkeypatch, fast=True)
    assert rows == full_rows
    assert [row[7].utcoffset() for row in rows] == [
        row[7].utcoffset() for row in full_rows
    ]
    assert rejections == full_rejections
    return len(taken)


def test_values_one_column_at_a_time(tmp_path, monkeypatch):
    base = ["ada", "ada@example.com", "Ada", "true", "false", "2020-01-02T03:04:05Z"]
    columns = [USERNAMES, EMAILS, NAMES, BOOLEANS, BOOLEANS, MOMENTS]
    records = [
        [*base[:column], value, *base[column + 1 :]]
        for column, values in enumerate(columns)
        for value in values
    ]
    # Distinct usernames and emails do not matter: the reader checks rows alone.
    assert same_with_and_without(tmp_path, monkeypatch, records) > 20


def test_every_combination_of_unusual_values(tmp_path, monkeypatch):
    records = [
        [username, email, name, "", "", ""]
        for username, email, name in product(USERNAMES, EMAILS, NAMES)
    ]
    assert same_with_and_without(tmp_path, monkeypatch, records) > 20


def test_the_fast_path_takes_the_plain_rows():
    """Otherwise it would buy nothing: a benchmark row is plain."""
    parse = plain_row_parser(COLUMNS, NOW, "!")
    record = ["first.ada1", "first.ada1@example.com", "Ada L", "true", ""]
    record.append("2023-12-02T00:14:59.080000+00:00")
    assert parse(2, record) is not None
    assert parse(2, record[:4]) is None  # a field short: the full checks say so


def test_a_different_column_order(tmp_path):
    path = tmp_path / "users.csv"
    path.write_text("email,created_at,username,full_name\nada@x.com,,ada,Ada  L\n")
    rows = list(UserCsvReader(path, on_rejection=None).rows())
    assert rows[0][1:4] == ("ada", "ada@x.com", "Ada L")
