"""Lifting a lockout before it ends: audited, and never on an account above
the actor (the lockout is what stops someone guessing its password)."""

from django.db import transaction

from .. import attempts, permissions
from ..audit import trail
from ..audit.context import client_ip
from ..audit.security_log import log_security_event
from ..models import AuditEvent
from .base import FROM_REQUEST, lock, resolve_actor

MAX_LABEL = AuditEvent._meta.get_field("target_label").max_length


@transaction.atomic
def lockout_lift(*, actor=FROM_REQUEST, ip: str, login_key: str | None = None) -> int:
    """Lift one lockout and return the failures it held (0: it had ended).

    With a login_key (an account, or a login naming none): that key's failures
    from ip stop counting against it; they still count against the IP until
    they expire, so lifting an account's lockout never opens the IP. Without
    one: the IP's lockout, by deleting every failure recorded from it, which
    also lifts each account's lockout there - so the actor must be allowed to
    lift all of those.
    """
    # The failure records first, under lock: a failure recorded after the
    # check below is not lifted by it.
    records = attempts.attempts_from(ip, login_key)
    ids = list(records.select_for_update().values_list("pk", flat=True))
    held = records.filter(pk__in=ids)
    protected = attempts.accounts_in(held)
    _, actor = lock(None, resolve_actor(actor), matching=protected)
    permissions.check_lift_lockout(actor, protected)
    if not ids:
        return 0
    failures = attempts.failures_in(held)
    if login_key is None:
        held.delete()
    else:
        held.update(username=None)
    _record(actor, ip, login_key, failures)
    return failures


def lockout_forgive(*, ip: str, login_key: str) -> int:
    """After a successful login: stop counting login_key's failures from ip
    against it; they still count against the IP until they expire. Returns
    the failures forgiven. Bookkeeping of the login itself: no actor to judge,
    nothing for the trail (the login is on the security log)."""
    records = attempts.attempts_from(ip, login_key)
    forgiven = attempts.failures_in(records)
    records.update(username=None)
    return forgiven


def _record(actor, ip: str, login_key: str | None, failures: int) -> None:
    account = attempts.account_of(login_key)
    label = attempts.lockout_label(login_key, ip, account)[:MAX_LABEL]
    trail.record(
        AuditEvent.Action.UNLOCK,
        account,
        {"lockout": [f"{failures} failed logins from {ip}", "lifted"]},
        actor=actor,
        target_label=label,
    )
    log_security_event(
        "lockout_lifted",
        user=actor.get_username() if actor else trail.SYSTEM_LABEL,
        ip=client_ip(),
        lifted=label,
        address=ip,
        failures=failures,
    )
