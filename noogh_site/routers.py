"""Reads from an optional replica, writes to the primary, read-your-writes.

With DATABASE_REPLICA_URL set, reads go to the "replica" alias except:
- inside a transaction (the rows may be locked or just written),
- for the rest of a request that wrote, and
- for REPLICA_PIN_SECONDS after it: the response that wrote sets a cookie, so
  the pin travels with the client to whichever app server its next request
  reaches, and the page a form redirects to shows the change even while the
  replica lags behind (nothing about it is kept in a process),
- while the replica is unusable (down, not streaming, or lagging more than
  REPLICA_MAX_LAG_SECONDS: noogh_site.replica_health), and
- for the security state (lockouts, sessions, second-factor devices and their
  throttles), whose readers must see the last failure or sign-out at once.

A safe request (GET, HEAD) that wrote nothing and failed on a database error
after reading from the replica is answered again from the primary, so losing
the replica costs no error page (noogh_site.errors answers other database
failures with a 503).
"""

import sys
from contextvars import ContextVar

from django.conf import settings
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError, transaction

from .replica_health import ReplicaHealth

REPLICA = "replica"
PIN_COOKIE = "noogh_primary"
PRIMARY_ONLY_APPS = frozenset({"axes", "sessions", "otp_totp", "otp_static"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Per request: {"pinned": came with the cookie, "wrote": has written,
# "replica_read": read from the replica, "replica_failed": a database error
# after that}; None outside requests (commands use transactions for
# read-your-writes).
_request: ContextVar[dict | None] = ContextVar("noogh_replica_request", default=None)
health = ReplicaHealth(REPLICA)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints):
        state = _request.get()
        if not self._replica_allowed(model, state or {}):
            return "default"
        if state is not None:
            state["replica_read"] = True
        return REPLICA

    def _replica_allowed(self, model, state: dict) -> bool:
        if not replica_configured() or state.get("pinned") or state.get("wrote"):
            return False
        if model._meta.app_label in PRIMARY_ONLY_APPS:
            return False
        if transaction.get_connection("default").in_atomic_block:
            return False
        return health.is_usable()

    def db_for_write(self, model, **hints):
        state = _request.get()
        if state is not None:
            state["wrote"] = True
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"


def _note_replica_failure(sender, request=None, **kwargs) -> None:
    """got_request_exception, sent for an exception in any view or
    middleware (the user may be loaded outside the view): a database error in
    a request that read from the replica marks the replica down and the
    request for another try."""
    state = getattr(request, "_noogh_replica_state", None)
    failed = isinstance(sys.exc_info()[1], OperationalError | InterfaceError)
    if state is not None and failed and state["replica_read"]:
        state["replica_failed"] = True
        health.mark_down()


got_request_exception.connect(_note_replica_failure)


class ReplicaPinningMiddleware:
    """Pin a client to the primary for a few seconds after it writes; answer a
    safe request again from the primary when the replica failed it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        pinned = PIN_COOKIE in request.COOKIES
        response, state = self._respond(request, pinned)
        if state["replica_failed"] and self._retryable(request, state):
            response, state = self._respond(request, pinned=True)
        if state["wrote"] and replica_configured():
            response.set_cookie(
                PIN_COOKIE,
                "1",
                max_age=settings.REPLICA_PIN_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response

    def _respond(self, request, pinned: bool):
        state = {
            "pinned": pinned,
            "wrote": False,
            "replica_read": False,
            "replica_failed": False,
        }
        token = _request.set(state)
        request._noogh_replica_state = state
        try:
            return self.get_response(request), state
        finally:
            _request.reset(token)

    @staticmethod
    def _retryable(request, state: dict) -> bool:
        return request.method in SAFE_METHODS and not state["wrote"]
