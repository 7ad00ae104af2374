"""Project middleware."""

import logging
import time

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string

logger = logging.getLogger("noogh.database")

# Refreshing the expiry on every request would write the session row on every
# page; once a minute keeps the idle timeout within a minute of exact.
REFRESH_AFTER_SECONDS = 60
REFRESHED_KEY = "_noogh_refreshed"


class SlidingSessionMiddleware:
    """End a session SESSION_COOKIE_AGE seconds after its last request, not after
    its first: a saved session gets a new expiry date."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and not session.is_empty():
            now = int(time.time())
            if now - session.get(REFRESHED_KEY, 0) > REFRESH_AFTER_SECONDS:
                session[REFRESHED_KEY] = now  # SessionMiddleware saves it
        return response


class DatabaseUnavailableMiddleware:
    """Answer 503 with a clear page while the database cannot be reached.

    Connections are health-checked before reuse (CONN_HEALTH_CHECKS), so once
    the database is back the next request reconnects: no restart needed.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.error("database unavailable: %s", str(exception).splitlines()[0])
        response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = "5"
        return response
