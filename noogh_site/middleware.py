"""Project middleware."""

import logging
import time

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
