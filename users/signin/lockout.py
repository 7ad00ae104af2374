"""django-axes with two limits: a strict one per username+IP, a looser one per IP."""

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.db.models import Sum

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
    """Count failures per AXES_LOCKOUT_PARAMETERS entry: [username+IP, IP].

    axes compares the largest count with one limit (AXES_FAILURE_LIMIT); the
    per-IP count is scaled so that it reaches that limit only at
    LOGIN_IP_FAILURE_LIMIT. Someone guessing one account is stopped after a few
    tries; an office behind one NAT address is not locked out by one person.
    """

    def get_failures(self, request, credentials=None) -> int:
        pair, address = (
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        scaled = (
            address * settings.AXES_FAILURE_LIMIT // settings.LOGIN_IP_FAILURE_LIMIT
        )
        return max(pair, scaled)

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
