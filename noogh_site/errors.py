"""The error handlers: 403 with a security log line; 500, which answers 503
when the database is what failed.

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
from django.views.defaults import permission_denied as django_permission_denied

from users.audit import client_ip, log_security_event

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


def permission_denied(request, exception=None) -> HttpResponse:
    """The 403 page, with a security log line saying who was refused what."""
    user = request.user.get_username() if request.user.is_authenticated else None
    log_security_event("forbidden", user=user, ip=client_ip(), path=request.path[:300])
    return django_permission_denied(request, exception)
