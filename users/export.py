"""CSV export that spreadsheets open safely."""

import csv
from collections.abc import Iterable, Iterator
from datetime import datetime

from .models import EDITABLE_FIELDS

EXPORT_FIELDS = ("id", *EDITABLE_FIELDS, "created_at", "updated_at", "last_login")
# A cell starting with one of these is run as a formula by Excel, LibreOffice and
# Google Sheets (OWASP "CSV injection"); a leading apostrophe makes it text.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Excel needs the byte-order mark to read UTF-8; every CSV reader skips it.
UTF8_BOM = "\ufeff"


class _Echo:
    def write(self, value: str) -> str:
        return value


def cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def csv_lines(rows: Iterable[tuple]) -> Iterator[str]:
    """Yield the header line, then one line per row, for a streaming response."""
    writer = csv.writer(_Echo())
    yield UTF8_BOM + writer.writerow(EXPORT_FIELDS)
    for row in rows:
        yield writer.writerow([cell(value) for value in row])
