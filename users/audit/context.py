"""The request context: the client address behind the trusted proxies, and
the request's user and address lent to the services and the trail for the
length of each request (context variables, so async tasks each see their own).
"""

import ipaddress
from contextvars import ContextVar

from django.conf import settings

from ..models import User

_request: ContextVar = ContextVar("noogh_request", default=None)
_client_ip: ContextVar[str | None] = ContextVar("noogh_client_ip", default=None)


def request_client_ip(request) -> str | None:
    """The address of the client that sent `request`, behind TRUSTED_PROXY_COUNT
    proxies: the one function behind lockouts (AXES_CLIENT_IP_CALLABLE), the
    trail and the security log.

    Each proxy appends the address it received the request from to
    X-Forwarded-For, so the Nth entry from the right was written by the
    outermost trusted proxy; everything left of it is whatever the client sent,
    and is never read. With no proxies, or a chain shorter than expected (a
    request that came round the outer proxies, so its left-most entry is still
    one a trusted proxy wrote), the nearest address a proxy vouches for is used.
    An entry that is not an address (a misconfigured proxy) falls back to
    REMOTE_ADDR rather than to anything the client chose.
    """
    remote = request.META.get("REMOTE_ADDR")
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies <= 0 or not forwarded.strip():
        return _address(remote)
    # rsplit: only the right-most entries are split off, however long the rest.
    hops = forwarded.rsplit(",", proxies)
    written_by_a_proxy = hops[-proxies] if len(hops) >= proxies else hops[0]
    return _address(written_by_a_proxy) or _address(remote)


def _address(value: str | None) -> str | None:
    """value as a canonical IP address (IPv4-mapped IPv6 as IPv4), or None.

    Some proxies write a port too ("203.0.113.7:5123", "[2001:db8::1]:443")."""
    value = (value or "").strip()
    if value.startswith("["):
        value = value[1:].partition("]")[0]
    elif value.count(":") == 1:
        value = value.partition(":")[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if getattr(address, "scope_id", None):  # fe80::1%eth0: no column takes it
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return str(mapped or address)


class RequestContextMiddleware:
    """Lend the request's user and client address to the services and the trail.

    The address is resolved once, by the function django-axes uses too
    (request_client_ip), so that the lockout key, the trail and the security
    log agree on who is asking. Placed after AuthenticationMiddleware;
    request.user stays lazy until an event needs it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_token = _request.set(request)
        ip_token = _client_ip.set(request_client_ip(request))
        try:
            return self.get_response(request)
        finally:
            _client_ip.reset(ip_token)
            _request.reset(request_token)


def current_request():
    """The request being served (None outside one)."""
    return _request.get()


def client_ip() -> str | None:
    """The current request's client address (None outside a request)."""
    return _client_ip.get()


def current_actor() -> User | None:
    """The signed-in user of the current request; None (the system) elsewhere."""
    request = _request.get()
    # A request an API token authenticated acts as the token's owner
    # (users.api.auth); its request.user stays anonymous, as it has no session.
    user = getattr(request, "token_owner", None) or getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    return user
