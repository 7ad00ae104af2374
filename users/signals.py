"""Security events as structured log lines: who, from where, when (UTC).

One JSON object per line on the "noogh.security" logger; never a password.
"""

import json
import logging

from axes.signals import user_locked_out
from django.contrib.auth.signals import (
    user_logged_in,
    user_logged_out,
    user_login_failed,
)
from django.dispatch import receiver
from django.utils import timezone

from .audit import client_ip

logger = logging.getLogger("noogh.security")
MAX_LOGGED_NAME = 150


def log_event(event: str, *, user: str | None, ip: str | None, **extra) -> None:
    line = (
        {
            "time": timezone.now().isoformat(),  # USE_TZ: always UTC
            "event": event,
            "user": (user or "")[:MAX_LOGGED_NAME],
            "ip": ip,
        }
        | extra
    )
    level = logging.INFO if event in ("login", "logout") else logging.WARNING
    logger.log(level, json.dumps(line, ensure_ascii=True))


def _ip(request) -> str | None:
    return client_ip() or (request.META.get("REMOTE_ADDR") if request else None)


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    log_event("login", user=user.get_username(), ip=_ip(request))


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    log_event("logout", user=user.get_username() if user else None, ip=_ip(request))


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    # Django has already masked the password in credentials; only the name
    # that was typed is kept.
    log_event("login_failed", user=credentials.get("username"), ip=_ip(request))


@receiver(user_locked_out)
def _locked_out(sender, request, username, ip_address, **kwargs):
    log_event("lockout", user=username, ip=ip_address)
