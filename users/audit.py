"""Where a change came from: the client address of the request being served.

Services record audit events; they know the actor but not the request, so the
middleware below lends them the client IP for the length of each request.
"""

from contextvars import ContextVar

from axes.helpers import get_client_ip_address

_client_ip: ContextVar[str | None] = ContextVar("noogh_client_ip", default=None)


def client_ip() -> str | None:
    """The current request's client address (None outside a request)."""
    return _client_ip.get()


class ClientIPMiddleware:
    """Resolve the client IP once per request, the way django-axes does, so the
    lockout key and the audit trail agree on who is asking."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _client_ip.set(get_client_ip_address(request) or None)
        try:
            return self.get_response(request)
        finally:
            _client_ip.reset(token)
