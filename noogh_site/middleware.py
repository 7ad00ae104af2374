"""Project middleware."""

import logging
import time

from django.core.exceptions import BadRequest
from django.utils.cache import add_never_cache_headers

from .content_type import UNREADABLE

logger = logging.getLogger("noogh.database")

# Refreshing the expiry on every request would write the session row on every
# page; once a minute keeps the idle timeout within a minute of exact.
REFRESH_AFTER_SECONDS = 60
REFRESHED_KEY = "_noogh_refreshed"


class UnreadableContentTypeMiddleware:
    """Answer a request whose Content-Type the entry point found unreadable
    (noogh_site.content_type) with the 400 page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.content_type == UNREADABLE:
            raise BadRequest("The request's Content-Type header cannot be read.")
        return self.get_response(request)


class NoStoreMiddleware:
    """Nothing the application answers is kept by a browser or a proxy cache:
    the pages, the admin and the export show personal data, and a login or
    error page names the person signed in. Placed after whitenoise, which
    answers static files itself, so those keep their long-lived caching."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        add_never_cache_headers(response)
        return response


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
