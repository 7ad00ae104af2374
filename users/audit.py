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
