"""Reads from an optional replica, writes to the primary, read-your-writes.

With DATABASE_REPLICA_URL set, reads go to the "replica" alias except:
- inside a transaction (the rows may be locked or just written),
- for the rest of a request that wrote, and
- for REPLICA_PIN_SECONDS after it (a cookie), so the page a form redirects
  to shows the change even while the replica lags behind.
"""

from contextvars import ContextVar

from django.conf import settings
from django.db import transaction

REPLICA = "replica"
PIN_COOKIE = "noogh_primary"
# Per request: {"pinned": came with the cookie, "wrote": has written}; None
# outside requests (commands use transactions for read-your-writes).
_request: ContextVar[dict | None] = ContextVar("noogh_replica_request", default=None)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints):
        state = _request.get() or {}
        if not replica_configured() or state.get("pinned") or state.get("wrote"):
            return "default"
        if transaction.get_connection("default").in_atomic_block:
            return "default"
        return REPLICA

    def db_for_write(self, model, **hints):
        state = _request.get()
        if state is not None:
            state["wrote"] = True
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"


class ReplicaPinningMiddleware:
    """Pin a client to the primary for a few seconds after it writes."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        state = {"pinned": PIN_COOKIE in request.COOKIES, "wrote": False}
        token = _request.set(state)
        try:
            response = self.get_response(request)
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
        finally:
            _request.reset(token)
