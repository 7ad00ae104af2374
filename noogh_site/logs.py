"""Log lines for the log shipper: one JSON object per line on stderr, and the
logging configuration (the settings' LOGGING) that sends them there."""

import json
import logging
from datetime import UTC, datetime

# The settings' LOGGING. Security events (users.signin.events) are JSON lines
# on stderr, for the log shipper; so is every server error, with its traceback
# (JsonLines below): Django's default sends those only to mail_admins, which
# has no recipients.
CONFIG = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(message)s"},
        "json": {"()": "noogh_site.logs.JsonLines"},
    },
    "handlers": {
        "stderr": {"class": "logging.StreamHandler", "formatter": "plain"},
        "stderr_json": {"class": "logging.StreamHandler", "formatter": "json"},
    },
    "loggers": {
        "noogh.security": {"handlers": ["stderr"], "level": "INFO", "propagate": True},
        # 5xx responses (ERROR); 4xx are warnings, and not an operator's concern.
        "django.request": {
            "handlers": ["stderr_json"],
            "level": "ERROR",
            "propagate": False,
        },
        "noogh.database": {"handlers": ["stderr_json"], "level": "WARNING"},
    },
}


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
