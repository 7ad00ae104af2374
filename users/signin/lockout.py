"""django-axes with two limits: a strict one per username+IP, a looser one per IP."""

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.db.models import Sum


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
