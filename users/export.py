"""Downloads: CSV that spreadsheets open safely (the export, the import's
errors file), and the subject-access JSON (personal_data_response).

Every cell is quoted (csv.QUOTE_ALL), and a cell a spreadsheet could run as a
formula gets one leading apostrophe, which spreadsheets show as nothing and
read as "this is text" (OWASP "CSV injection"). A spreadsheet runs a cell that
starts with = + - or @ (or with a tab or a carriage return before one), and it
may split a cell where the file did not: on its locale's list separator (";"
in much of Europe), on tabs, on line breaks. So the rule is: a cell is
neutralised when it, or any piece after a , ; tab or line break - ignoring
spaces and quotes in front - starts with one of = + - @ (or their full-width
forms). "Bob;=cmd|' /C calc'!A0" becomes "'Bob;=cmd|' /C calc'!A0".

Reversible: to get the stored value back, remove the leading apostrophe of a
cell that the rule still flags without it (see `original`). Only cells the
rule flags ever gain one, and a flagged value stays flagged behind an
apostrophe, so no value is mistaken for another.
"""

import csv
import re
from collections.abc import Iterable, Iterator
from datetime import datetime

from django.http import StreamingHttpResponse

from .models import EDITABLE_FIELDS, User

EXPORT_FIELDS = ("id", *EDITABLE_FIELDS, "created_at", "updated_at", "last_login")
FORMULA = re.compile(r"(?:^|[,;\t\r\n])[\s\"']*[=+\-@\t\r＝＋－＠]")
# Excel needs the byte-order mark to read UTF-8; every CSV reader skips it.
UTF8_BOM = "\ufeff"


class _Echo:
    def write(self, value: str) -> str:
        return value


def could_run_as_formula(text: str) -> bool:
    return FORMULA.search(text) is not None


def cell(value) -> str:
    """One value as a CSV cell: text, with the apostrophe where the rule says."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    return "'" + text if could_run_as_formula(text) else text


def original(text: str) -> str:
    """The value `cell` was given (for text): the inverse of the rule."""
    if text.startswith("'") and could_run_as_formula(text[1:]):
        return text[1:]
    return text


def writer(stream):
    """A CSV writer that quotes every cell; give it rows of cell() values."""
    return csv.writer(stream, quoting=csv.QUOTE_ALL)


def csv_lines(rows: Iterable[tuple]) -> Iterator[str]:
    """Yield the header line, then one line per row, for a streaming response."""
    lines = writer(_Echo())
    yield UTF8_BOM + lines.writerow(EXPORT_FIELDS)
    for row in rows:
        yield lines.writerow([cell(value) for value in row])


def personal_data_response(chunks, user: User) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        chunks, content_type="application/json; charset=utf-8"
    )
    filename = f"personal-data-user-{user.pk}.json"  # no name: it may be anything
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
