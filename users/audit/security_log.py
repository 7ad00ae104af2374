"""The security log: one JSON line per sign-in event (logins, lockouts,
refusals) on the "noogh.security" logger."""

import json
import logging

from django.utils import timezone

MAX_LOGGED_NAME = 150
# Security-log events at INFO; every other one (failures, refusals) is a WARNING.
ROUTINE_EVENTS = frozenset({"login", "logout", "mfa_verified", "mfa_enrolled"})
security_logger = logging.getLogger("noogh.security")


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
