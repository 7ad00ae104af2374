"""Sign-in events to the security log (users.audit.security_log.log_security_event)."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import (
    user_logged_in,
    user_logged_out,
    user_login_failed,
)
from django.dispatch import receiver

from ..audit.context import client_ip, request_client_ip
from ..audit.security_log import log_security_event


def _ip(request) -> str | None:
    return client_ip() or (request_client_ip(request) if request else None)


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    log_security_event("login", user=user.get_username(), ip=_ip(request))


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    log_security_event(
        "logout", user=user.get_username() if user else None, ip=_ip(request)
    )


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, refused=None, **kwargs):
    # Django has already masked the password in credentials; only the name
    # that was typed is kept. `refused`: the password was right, but the
    # account may not sign in here (users.signin.forms.StaffOnlyMixin).
    extra = {"reason": refused} if refused else {}
    log_security_event(
        "login_refused" if refused else "login_failed",
        user=credentials.get("username"),
        ip=_ip(request),
        **extra,
    )


@receiver(user_locked_out)
def _locked_out(sender, request, username, ip_address, **kwargs):
    # axes' username is the lockout key ("user:<id>" or "login:<login>").
    typed = (getattr(request, "axes_credentials", None) or {}).get("username")
    log_security_event("lockout", user=typed, ip=ip_address, key=username)
