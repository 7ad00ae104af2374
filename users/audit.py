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
import re
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from .models import AuditEvent, User

SYSTEM_LABEL = "system"
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


# The fields of an account whose values the trail holds and erasure replaces.
IDENTIFYING_FIELDS = ("username", "email", "full_name")
# Shorter values are not looked for inside other text (they would match words).
MIN_QUOTED_LENGTH = 3


def pseudonymise_trail(
    account: User, pseudonym: Callable[[str, str], str], *, batch_size: int = 5000
) -> None:
    """Rewrite the trail about and by account with pseudonym(field, value) in
    place of its identifying values: the labels naming it, the old and new
    values of its username, email and name changes, those values quoted in
    other text (e.g. "reset sent to a@x"), and the addresses it acted from.
    account holds the values as they are now; earlier ones come from the trail.
    Other columns, and other accounts' events, stay as they were. Each event
    is written once."""
    about = AuditEvent.objects.filter(target_id=account.pk)
    by = AuditEvent.objects.filter(actor_id=account.pk)
    values = _identifying_values(account, about, by)
    replacements = {value: pseudonym(field, value) for value, field in values.items()}
    quoted = _quoted_pattern(replacements)
    changed = []
    columns = ("id", "target_id", "actor_id", *REWRITTEN)
    rows = (about | by).order_by().values_list(*columns)
    for pk, target_id, actor_id, *before in rows.iterator(chunk_size=batch_size):
        target_label, actor_label, ip, changes = before
        if target_id == account.pk:
            target_label = replacements.get(target_label, target_label)
        if actor_id == account.pk:
            actor_label, ip = replacements.get(actor_label, actor_label), None
        changes = _scrub(changes, replacements, quoted)
        after = [target_label, actor_label, ip, changes]
        if after != before:
            changed.append((pk, *after))
        if len(changed) == batch_size:
            _store_rewritten(changed)
            changed = []
    _store_rewritten(changed)


# The columns pseudonymise_trail may rewrite.
REWRITTEN = ("target_label", "actor_label", "ip", "changes")


def _store_rewritten(rows: list[tuple]) -> None:
    """Write rows of (id, *REWRITTEN). On PostgreSQL one UPDATE joined to the
    new values: Django's bulk_update builds a CASE with a branch per row,
    which PostgreSQL evaluates row by row (~15 s for 10,000 events)."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        events = [
            AuditEvent(pk, **dict(zip(REWRITTEN, new, strict=True)))
            for pk, *new in rows
        ]
        AuditEvent.objects.bulk_update(events, REWRITTEN, batch_size=500)
        return
    values = ", ".join(["(%s, %s, %s, %s::inet, %s::jsonb)"] * len(rows))
    params = [
        value
        for pk, target_label, actor_label, ip, changes in rows
        for value in (pk, target_label, actor_label, ip, json.dumps(changes))
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {AuditEvent._meta.db_table} AS event
            SET target_label = new.target_label, actor_label = new.actor_label,
                ip = new.ip, changes = new.changes
            FROM (VALUES {values}) AS new (id, target_label, actor_label, ip, changes)
            WHERE event.id = new.id""",
            params,
        )


def _identifying_values(account: User, about, by) -> dict[str, str]:
    """{value: field} of every identifying value the account has had."""
    values = {getattr(account, field): field for field in IDENTIFYING_FIELDS}
    for label in about.order_by().values_list("target_label", flat=True).distinct():
        values.setdefault(label, "username")
    for label in by.order_by().values_list("actor_label", flat=True).distinct():
        values.setdefault(label, "username")
    changes_about = about.order_by().values_list("changes", flat=True)
    for changes in changes_about.iterator(chunk_size=5000):
        for field in IDENTIFYING_FIELDS:
            for value in changes.get(field) or ():
                if isinstance(value, str) and value:
                    values.setdefault(value, field)
    values.pop("", None)
    return values


def _quoted_pattern(replacements: Mapping[str, str]) -> re.Pattern | None:
    """One pattern for every value long enough to look for in other text,
    longest first, so that one pass replaces each once."""
    olds = sorted(
        (old for old in replacements if len(old) >= MIN_QUOTED_LENGTH),
        key=len,
        reverse=True,
    )
    return re.compile("|".join(map(re.escape, olds))) if olds else None


def _scrub(value: Any, replacements: Mapping[str, str], quoted, field=None) -> Any:
    if isinstance(value, dict):
        return {
            key: _scrub(item, replacements, quoted, key) for key, item in value.items()
        }
    if isinstance(value, list):
        return [_scrub(item, replacements, quoted, field) for item in value]
    if not isinstance(value, str):
        return value
    if field in IDENTIFYING_FIELDS and value in replacements:
        return replacements[value]
    if quoted is None:
        return value
    return quoted.sub(lambda match: replacements[match.group(0)], value)
