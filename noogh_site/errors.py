"""The error handlers: 400, 403 (with a security log line), 404, a CSRF failure,
and 500, which answers 503 when the database is what failed.

None of them may fail. Django's own 400, 403 and 404 views are decorated with
requires_csrf_token, which runs the CSRF check again, and so reads the request
body again: a form sent in a charset other than UTF-8 raised BadRequest in the
first check, raised it again in the 400 page, and became a 500. These pages
never read the body (a `{% csrf_token %}` in the template only needs the
cookie), and if rendering the page fails anyway - a session table that cannot
be read, a template error - the answer is a plain page with the same status.

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
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string

from users.audit.context import client_ip
from users.audit.security_log import log_security_event

logger = logging.getLogger("noogh.database")
RETRY_AFTER_SECONDS = 5
API_PREFIX = "/api/"
BAD_REQUEST = (
    "This request could not be understood: the address or the submitted form "
    "is not valid here (forms are sent as UTF-8)."
)
CSRF_FAILURE = (
    "The form was not accepted because its security token is missing or out "
    "of date. Go back, reload the page and submit it again."
)
# What is left when even the error page cannot be drawn: no template, no
# database, no request data.
PLAIN_PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">'
    "<title>{title} · noogh</title></head><body><main><h1>{title}</h1>"
    '<p><a href="/users/">Back to the user list</a></p></main></body></html>'
)
TITLES = {
    400: "Bad request",
    403: "Permission denied",
    404: "Not found",
    500: "Server error",
    503: "Service unavailable",
}


def error_page(request, template: str, status: int, context=None) -> HttpResponse:
    """Render an error page; should that fail, a plain page with the status."""
    try:
        body = render_to_string(template, context, request=request)
    except Exception:
        logging.getLogger("django.request").exception(
            "The %s page could not be rendered", status
        )
        body = PLAIN_PAGE.format(title=TITLES.get(status, "Error"))
    return HttpResponse(body, status=status)


def bad_request(request, exception=None) -> HttpResponse:
    return error_page(request, "400.html", 400, {"message": BAD_REQUEST})


def page_not_found(request, exception=None) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        # No route of the API (ids that are not numbers match none): JSON,
        # as every other answer there.
        return JsonResponse({"detail": "Not Found"}, status=404)
    return error_page(request, "404.html", 404)


def permission_denied(request, exception=None) -> HttpResponse:
    """The 403 page, with a security log line saying who was refused what."""
    _log_refusal(request, "forbidden")
    return error_page(request, "403.html", 403, {"exception": str(exception or "")})


def csrf_failure(request, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: the form's token was missing or wrong."""
    _log_refusal(request, "csrf_failure", reason=reason[:200])
    return error_page(request, "403_csrf.html", 403, {"message": CSRF_FAILURE})


def server_error(request) -> HttpResponse:
    error = sys.exc_info()[1]
    if isinstance(error, OperationalError | InterfaceError):
        logger.error("database unavailable: %s", str(error).splitlines()[0])
        # Without the request: its session and user live in the database.
        response = error_page(None, "503.html", 503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return error_page(None, "500.html", 500)


def _log_refusal(request, event: str, **extra) -> None:
    try:
        user = request.user.get_username() if request.user.is_authenticated else None
    except Exception:  # the session or the user could not be read
        user = None
    path = request.path[:300]
    log_security_event(event, user=user, ip=client_ip(), path=path, **extra)
