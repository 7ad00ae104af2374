"""The trail: who did what to which account, from where, and what changed.

Every write in users.services records its events here. The acting user and
the client address come from the request being served (RequestContextMiddleware
lends them to the services for the length of each request), so a path that
does not name its actor still records the real one; outside a request (a
management command) the actor is the system. Passwords and hashes never
appear in an event: only whether a password was set or made unusable.

The security log (logins, lockouts, refusals) is a second, log-file trail of
one JSON line per event on the "noogh.security" logger.
"""

import ipaddress
import json
import logging
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.db import connection
from django.utils import timezone

from .models import AuditEvent, User

SYSTEM_LABEL = "system"
HISTORY_SHOWN = 20  # events on a user's page and in the admin
MAX_LOGGED_NAME = 150
# Security-log events at INFO; every other one (failures, refusals) is a WARNING.
ROUTINE_EVENTS = frozenset({"login", "logout", "mfa_verified", "mfa_enrolled"})
security_logger = logging.getLogger("noogh.security")

_request: ContextVar = ContextVar("noogh_request", default=None)
_client_ip: ContextVar[str | None] = ContextVar("noogh_client_ip", default=None)


class RequestContextMiddleware:
    """Lend the request's user and client address to the services and the trail.

    The address is resolved once, the way django-axes resolves it, so that the
    lockout key and the audit trail agree on who is asking. Placed after
    AuthenticationMiddleware; request.user stays lazy until an event needs it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_token = _request.set(request)
        ip_token = _client_ip.set(get_client_ip_address(request) or None)
        try:
            return self.get_response(request)
        finally:
            _client_ip.reset(ip_token)
            _request.reset(request_token)


def client_address(request) -> str | None:
    """The client's address, as django-axes (AXES_CLIENT_IP_CALLABLE) and the
    trail both take it: REMOTE_ADDR; or, behind TRUSTED_PROXY_COUNT proxies
    that each append the address they were reached from to X-Forwarded-For,
    the entry that many places from its end - the entries before it are
    whatever the client sent. Anything but a plain address there (a proxy
    misconfigured, a request that did not pass them all) falls back to
    REMOTE_ADDR, which is never a client's choice."""
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    if len(hops) < proxies:
        return remote
    try:
        address = ipaddress.ip_address(hops[-proxies].strip())
    except ValueError:
        return remote
    if getattr(address, "scope_id", None):  # fe80::1%eth0: no column takes it
        return remote
    return str(address)


def client_ip() -> str | None:
    """The current request's client address (None outside a request)."""
    return _client_ip.get()


def current_actor() -> User | None:
    """The signed-in user of the current request; None (the system) elsewhere."""
    request = _request.get()
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    return user


def as_json(value: Any) -> Any:
    return value if isinstance(value, bool | int | str | None) else str(value)


def diff(before: Any, after: Mapping[str, Any]) -> dict[str, list]:
    """{field: [old, new]} for the fields of `before` whose value `after` changes."""
    return {
        name: [as_json(getattr(before, name)), as_json(value)]
        for name, value in after.items()
        if getattr(before, name) != value
    }


def event(
    action: str,
    target: User | None,
    changes: Mapping | None = None,
    *,
    actor: User | None,
    target_label: str | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """An unsaved event (for bulk_create); `record` saves one."""
    return AuditEvent(
        at=at or timezone.now(),
        action=action,
        actor_id=actor.pk if actor else None,
        actor_label=actor.get_username() if actor else SYSTEM_LABEL,
        target_id=target.pk if target else None,
        target_label=target_label or (target.get_username() if target else ""),
        ip=client_ip(),
        changes=dict(changes or {}),
    )


def record(action: str, target: User | None, changes=None, **kwargs) -> AuditEvent:
    entry = event(action, target, changes, **kwargs)
    entry.save()
    return entry


def record_many(events: Iterable[AuditEvent], batch_size: int = 2000) -> None:
    AuditEvent.objects.bulk_create(events, batch_size=batch_size)


def describe(events: Iterable[AuditEvent]) -> str:
    """One line for people: "alice updated, full_name: 'A' → 'B'; bob deactivated"."""
    return "; ".join(
        f"{entry.actor_label} {entry.get_action_display()}"
        + "".join(
            f", {name}: {old!r} → {new!r}" for name, (old, new) in entry.changes.items()
        )
        for entry in events
    )


def log_security_event(event: str, *, user: str | None, ip: str | None, **extra):
    """One JSON line on the security log: who, from where, when (UTC)."""
    line = (
        {
            "time": timezone.now().isoformat(),  # USE_TZ: always UTC
            "event": event,
            "user": (user or "")[:MAX_LOGGED_NAME],
            "ip": ip,
        }
        | extra
    )
    level = logging.INFO if event in ROUTINE_EVENTS else logging.WARNING
    security_logger.log(level, json.dumps(line, ensure_ascii=True))


def record_from_sql(action: str, select: str, params: list, *, actor: User | None):
    """Record one event per row of `select` (columns target_id, target_label and
    changes, as JSON), in one INSERT: a million-row import stays in the database."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {AuditEvent._meta.db_table}
            (at, action, actor_id, actor_label, target_id, target_label, ip, changes)
            SELECT %s, %s, %s, %s, t.target_id, t.target_label, %s, t.changes
            FROM ({select}) AS t""",
            [
                timezone.now(),
                action,
                actor.pk if actor else None,
                actor.get_username() if actor else SYSTEM_LABEL,
                client_ip(),
                *params,
            ],
        )
