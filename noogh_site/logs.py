"""Log lines for the log shipper: one JSON object per line on stderr."""

import json
import logging
from datetime import UTC, datetime


class JsonLines(logging.Formatter):
    """One JSON object per record. A traceback is a field of it, so that a
    500 stays one line that a shipper keeps whole, like the security log."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line |= _request_fields(record)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=True, default=str)


def _request_fields(record: logging.LogRecord) -> dict:
    # The path without its query string, which may hold a searched email.
    request = getattr(record, "request", None)
    fields = {}
    if hasattr(request, "method") and hasattr(request, "path"):
        fields = {"method": request.method, "path": request.path[:300]}
    if status := getattr(record, "status_code", None):
        fields["status"] = status
    return fields
