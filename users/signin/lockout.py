"""django-axes, keyed on the account, with two limits: a strict one per
account+IP, a looser one per IP; and the page a locked-out client sees."""

import ipaddress

from asgiref.sync import sync_to_async
from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from django.conf import settings
from django.shortcuts import render
from django.utils import timezone
from django.utils.timesince import timeuntil

from .. import attempts, services
from ..audit.context import request_client_ip

# An IPv6 client is counted by its /64: one subscriber gets a whole /64 (often
# more), so counting single addresses gave 2**64 x 5 tries at one account.
IPV6_LOCKOUT_PREFIX = 64
# Set in the credentials of an invalid API bearer token (users.api.auth): its
# failures count under attempts.API_TOKEN_KEY.
API_TOKEN_CREDENTIAL = "api_token"


def lockout_client_ip(request) -> str | None:
    """AXES_CLIENT_IP_CALLABLE: the client address
    (users.audit.context.request_client_ip) as lockouts count it - an IPv6
    address by its /64 network, written as the network's first address
    ("2001:db8:1:2::"). The trail and the security log keep the full address."""
    address = request_client_ip(request)
    if address is None or ":" not in address:
        return address
    network = ipaddress.ip_network(f"{address}/{IPV6_LOCKOUT_PREFIX}", strict=False)
    return str(network.network_address)


def lockout_key(request, credentials: dict | None) -> str:
    """AXES_USERNAME_CALLABLE: the key a login's failures count under.

    "ROOT1", "Root1", its fullwidth form and root1's email all name the
    account root1, so they share its tries; a login that names no account is
    keyed on its normalised form (users.attempts). Resolved once per request:
    axes asks several times.
    """
    if (credentials or {}).get(API_TOKEN_CREDENTIAL):
        return attempts.API_TOKEN_KEY
    login = (credentials or {}).get(settings.AXES_USERNAME_FORM_FIELD)
    if login is None and request is not None:
        login = getattr(request, "POST", {}).get(settings.AXES_USERNAME_FORM_FIELD)
    if request is None:
        return attempts.key_for_login(login)
    resolved = request.__dict__.setdefault("_noogh_lockout_keys", {})
    if login not in resolved:
        resolved[login] = attempts.key_for_login(login)
    return resolved[login]


# What django-axes copies from the request into its tables, as it set them on
# the request (axes.handlers.proxy.AxesProxyHandler.update_request).
COPIED_HEADERS = ("axes_user_agent", "axes_http_accept", "axes_path_info")


def _storable(request) -> None:
    """PostgreSQL text cannot hold NUL: a header with one made axes' write fail,
    so the login answered 500 and its failure was never counted - unlimited
    password guesses. Drop the NULs (axes does the same to GET and POST data)."""
    for name in COPIED_HEADERS:
        value = getattr(request, name, None)
        if isinstance(value, str) and "\x00" in value:
            setattr(request, name, value.replace("\x00", ""))


class TieredLockoutHandler(AxesDatabaseHandler):
    """Count failures per AXES_LOCKOUT_PARAMETERS entry: [account+IP, IP].

    axes compares the largest count with one limit (AXES_FAILURE_LIMIT); the
    per-IP count is scaled so that it reaches that limit only at
    LOGIN_IP_FAILURE_LIMIT. Someone guessing one account is stopped after a few
    tries; an office behind one NAT address is not locked out by one person.
    """

    def get_failures(self, request, credentials=None) -> int:
        pair, address = (
            attempts.failures_in(records)
            for records in self.get_user_attempts(request, credentials)
        )
        scaled = (
            address * settings.AXES_FAILURE_LIMIT // settings.LOGIN_IP_FAILURE_LIMIT
        )
        return max(pair, scaled)

    def reset_user_attempts(self, request, credentials=None) -> int:
        """On a successful login: forgive that account's failures from this IP
        only. axes would delete every record of the IP too, and then anyone
        holding one valid account could interleave logins with guesses at
        others without limit; forgiven failures still count against the IP."""
        key = get_client_username(request, credentials)
        return services.lockout_forgive(ip=request.axes_ip_address, login_key=key)

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        if request is not None:
            _storable(request)
        return super().user_login_failed(sender, credentials, request, **kwargs)

    def user_logged_in(self, sender, request, user, **kwargs):
        _storable(request)
        return super().user_logged_in(sender, request, user, **kwargs)

    def user_logged_out(self, sender, request, user, **kwargs):
        _storable(request)
        return super().user_logged_out(sender, request, user, **kwargs)


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' backend (first in AUTHENTICATION_BACKENDS: a locked-out
    client is refused before its password is checked), with the async twin
    axes lacks: without it `await aauthenticate(...)` raised AttributeError.
    The twin is the sync check in a worker thread, so the lockout rules are
    one and the same; failures are counted by the user_login_failed signal,
    which aauthenticate sends too."""

    async def aauthenticate(self, request, username=None, password=None, **kwargs):
        return await sync_to_async(self.authenticate)(
            request, username=username, password=password, **kwargs
        )


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the 429 page, saying in words when to try again.

    Nothing in it depends on whether the login named an account (axes' own
    response echoes the key, which would tell).
    """
    cool_off = attempts.cool_off()
    now = timezone.now()
    response = render(
        request,
        "registration/locked_out.html",
        {"retry_in": timeuntil(now + cool_off, now)},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
    response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response
