"""The 500 handler, which answers 503 when the database is what failed.

Django calls handler500 for an exception raised anywhere in a request: a view,
a middleware, or a template rendered after the view returned. While PostgreSQL
is unreachable that is where every request ends, so this is the one place that
turns it into a clear, retryable 503. Connections are health-checked before
reuse (CONN_HEALTH_CHECKS): once the database is back the next request
reconnects, with no restart.
"""

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseServerError
from django.template.loader import render_to_string

logger = logging.getLogger("noogh.database")
RETRY_AFTER_SECONDS = 5


def server_error(request) -> HttpResponse:
    error = sys.exc_info()[1]
    if isinstance(error, OperationalError | InterfaceError):
        logger.error("database unavailable: %s", str(error).splitlines()[0])
        response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return HttpResponseServerError(render_to_string("500.html"))
